#!/bin/bash
# msglog.sh - the message log in SQLite, and sluicectl log
#
# miltertest sends 300 messages with mixed verdicts (the filter's exit
# status follows the subject: accept, reject, tempfail, discard): the
# database has exactly one row per message with its queue id, sender,
# recipients, subject, verdict and reply, and a run row with the
# filter's outcome; sluicectl log filters by verdict, sender and
# recipient regexes, time and limit; the message counters of sluicectl
# metrics, and of /metrics over HTTP read with curl and parsed by
# prometheus_client, match the rows.  Rows queued when sluiced stops are written.
# A database that is not one (garbage in the file) is logged, and mail
# goes on.
# Prints TAP.  Needs root, miltertest, curl and python3.  Run by
# testdata/run-tests.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
SLUICED=${SLUICED:-$top/build/sluiced}
SLUICECTL=${SLUICECTL:-$top/build/sluicectl}

T=$(mktemp -d /tmp/sluice-msglog.XXXXXX) || exit 1
mkdir -p "$T/bin" "$T/run" "$T/db"
chmod 755 "$T" "$T/bin"
TAP_RESET=1
. "$(dirname "$0")/tap.bash"
. "$(dirname "$0")/postfix.bash"	# free_port
. "$(dirname "$0")/control.bash"	# ctl, jq_

[ "$(id -u)" -eq 0 ] || skip_all "needs root"
command -v miltertest >/dev/null || skip_all "miltertest is not installed"
chown sluice "$T/db"

master=
cleanup() {
	[ -n "$master" ] && stop_pid "$master"
	[ "${KEEP:-0}" = 1 ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

sock=$T/run/control.sock
hport=$(free_port) || exit 1
db=$T/db/log.db
filter verdict.sh <<'EOF'
case $(grep -m1 '^Subject:' "$SLUICE_MESSAGE") in
*reject*) echo "not wanted"; exit 1 ;;
*tempfail*) exit 75 ;;
*discard*) exit 3 ;;
esac
exit 0
EOF
cat >"$T/sluice.conf" <<EOF
run_dir = "$T/run";
spool_dir = "$T/run/spool";
include_dir = "$T";
filter_dir = "$T/bin";
milter_listen = [ "unix:milter.sock" ];
log_db = "$db";
metrics_listen = "$hport";
filters = ( { name = "v"; command = "verdict.sh"; exit = { continue = 0; reject = 1; tempfail = 75;
    discard = 3; }; } );
rules = ( { name = "judge"; filter = "v"; } );
EOF

# send - N messages (one connection) numbered from FIRST: message i has
# sender s<i%7>@example.org, recipients r<i%5>@example.net and
# all@example.net, subject "m<i> <kind>", kind by i % 10: 0-1 reject,
# 2 tempfail, 3 discard, else accept
send() {	# first n
	cat >"$T/send.lua" <<-EOF
	local conn = mt.connect("unix:$T/run/milter.sock")
	assert(conn, "connect")
	assert(mt.conninfo(conn, "client.test", "192.0.2.9") == nil)
	assert(mt.helo(conn, "client.test") == nil)
	local kinds = { [0] = "reject", "reject", "tempfail", "discard" }
	for i = $1, $1 + $2 - 1 do
		assert(mt.mailfrom(conn, "<s" .. (i % 7) .. "@example.org>") == nil)
		assert(mt.rcptto(conn, "<r" .. (i % 5) .. "@example.net>") == nil)
		assert(mt.rcptto(conn, "<all@example.net>") == nil)
		if mt.test_option(conn, SMFIP_NODATA) == false then
			assert(mt.data(conn) == nil)
		end
		local kind = kinds[i % 10] or "accept"
		assert(mt.header(conn, "Subject", "m" .. i .. " " .. kind) == nil)
		assert(mt.eoh(conn) == nil)
		assert(mt.bodystring(conn, "body " .. i .. "\r\n") == nil)
		assert(mt.eom(conn) == nil)
	end
	mt.disconnect(conn)
	EOF
	miltertest -s "$T/send.lua" >>"$T/trace" 2>&1
}

# sql - one query on the database, the rows to stdout
sql() {
	/usr/bin/python3 -c 'import sqlite3,sys
c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
for r in c.execute(sys.argv[2]): print("|".join("" if v is None else str(v) for v in r))' \
	    "$db" "$1"
}

start() {
	"$SLUICED" -f -c "$T/sluice.conf" >>"$T/log" 2>&1 &
	master=$!
	for _ in $(seq 100); do
		[ -S "$T/run/milter.sock" ] && [ -S "$sock" ] && return 0
		sleep 0.1
	done
	return 1
}

start || fail "sluiced did not start" "$(cat "$T/log")"

begin "300 messages, mixed verdicts: one correct row each"
send 0 300 || err "miltertest: $(tail -3 "$T/trace")"
for _ in $(seq 50); do
	[ "$(sql 'SELECT count(*) FROM messages')" -ge 300 ] && break
	sleep 0.1
done
[ "$(sql 'SELECT count(*) FROM messages')" = 300 ] ||
    err "$(sql 'SELECT count(*) FROM messages') rows"
[ "$(sql 'SELECT count(DISTINCT queue_id) FROM messages')" = 300 ] ||
    err "queue ids are not one per row"
# every row's verdict is the one its subject asked for
wrong=$(sql "SELECT subject, verdict FROM messages WHERE NOT (
    (subject LIKE '% reject' AND verdict = 'reject') OR
    (subject LIKE '% tempfail' AND verdict = 'tempfail') OR
    (subject LIKE '% discard' AND verdict = 'discard') OR
    (subject LIKE '% accept' AND verdict = 'accept'))" | head -3)
[ -z "$wrong" ] || err "wrong verdicts: $wrong"
[ "$(sql "SELECT count(*) FROM messages WHERE verdict = 'reject'")" = 60 ] ||
    err "rejects"
row=$(sql "SELECT sender, recipients, client_addr, helo, reply, rule FROM messages WHERE subject = 'm10 reject'")
want="s3@example.org|r0@example.net
all@example.net|192.0.2.9|client.test|550 5.7.1 Message rejected: not wanted|judge"
[ "$row" = "$want" ] || err "row: $row"
[ "$(sql 'SELECT count(*) FROM runs')" = 300 ] || err "runs"
run=$(sql "SELECT r.rule, r.filter, r.outcome, r.verdict, r.ms > 0 FROM runs r JOIN messages m ON m.id = r.message_id WHERE m.subject = 'm12 tempfail'")
[ "$run" = "judge|v|exit=75|tempfail|1" ] || err "run: $run"
end

begin "sluicectl log filters by verdict, sender, recipient, time and limit"
ctl log --verdict reject --limit 1000 --json
want_rc 0
[ "$(jq_ 'len(j["messages"])')" = 60 ] || err "--verdict reject"
ctl log --sender '^s3@' --limit 1000 --json
want=$(sql "SELECT count(*) FROM messages WHERE sender = 's3@example.org'")
[ "$(jq_ 'len(j["messages"])')" = "$want" ] || err "--sender"
ctl log --recipient '^r4@example\.net$' --verdict discard --limit 1000 --json
# i % 5 == 4 and i % 10 == 3: none; i % 10 == 3 gives i % 5 == 3
[ "$(jq_ 'len(j["messages"])')" = 0 ] || err "--recipient with --verdict"
ctl log --recipient '^r3@' --verdict discard --limit 1000 --json
[ "$(jq_ 'len(j["messages"])')" = 30 ] || err "--recipient r3 discard"
ctl log --limit 5 --json
[ "$(jq_ '[m["subject"] for m in j["messages"]]')" = \
    "['m295 accept', 'm296 accept', 'm297 accept', 'm298 accept', 'm299 accept']" ] ||
    err "--limit: $(jq_ '[m["subject"] for m in j["messages"]]')"
ctl log --since "$(($(date +%s) + 3600))" --json
[ "$(jq_ 'len(j["messages"])')" = 0 ] || err "--since the future"
ctl log --since 1h --limit 2
want_rc 0
grep -q '^TIME  *QUEUE-ID  *VERDICT' "$T/out" || err "no table head"
grep -q 'm299 accept' "$T/out" || err "table: $(cat "$T/out")"
grep -q 'run   judge/v exit=0 ' "$T/out" || err "no run line"
ctl log --since yesterday
want_rc 1
grep -q 'since=yesterday: not a time' "$T/err" || err "$(cat "$T/err")"
end

begin "the message counters of metrics match the log"
ctl metrics
for v in accept reject tempfail discard; do
	m=$(sed -n "s/^sluice_messages_total{verdict=\"$v\"} //p" "$T/out")
	l=$(sql "SELECT count(*) FROM messages WHERE verdict = '$v'")
	[ "$m" = "$l" ] || err "$v: metrics $m, log $l"
done
grep -q '^sluice_message_log_rows_total{result="written"} 300$' "$T/out" ||
    err "written: $(grep message_log "$T/out")"
end

begin "curl /metrics: exposition text prometheus_client parses, counters as in the log"
curl -sf "http://127.0.0.1:$hport/metrics" >"$T/metrics.txt" ||
    err "curl failed"
/usr/bin/python3 - "$T/metrics.txt" >"$T/m.out" 2>&1 <<-'EOF'
import sys
from prometheus_client.parser import text_string_to_metric_families
for f in text_string_to_metric_families(open(sys.argv[1]).read()):
    for s in f.samples:
        if s.name == "sluice_messages_total":
            print(s.labels["verdict"], int(s.value))
EOF
[ $? -eq 0 ] || err "parse: $(cat "$T/m.out")"
for v in accept reject tempfail discard quarantine; do
	l=$(sql "SELECT count(*) FROM messages WHERE verdict = '$v'")
	grep -qx "$v $l" "$T/m.out" ||
	    err "$v: log $l, metrics $(grep "^$v " "$T/m.out")"
done
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$hport/other")
[ "$code" = 404 ] || err "another path: $code"
end

begin "rows of the messages just before a stop are written"
send 300 50 || err "miltertest"
stop_pid "$master"
master=
[ "$(sql 'SELECT count(*) FROM messages')" = 350 ] ||
    err "$(sql 'SELECT count(*) FROM messages') rows after the stop"
end

begin "a database that is not one is logged, and mail goes on"
rm -f "$db" "$db-wal" "$db-shm"
head -c 8192 /dev/urandom >"$db"
chown sluice "$db"
start || err "sluiced did not start"
send 404 3 || err "the mail did not go on"
for _ in $(seq 50); do
	grep -q 'msglog: .*log.db' "$T/log" && break
	sleep 0.1
done
grep -q "msglog: $db: .*rows are lost" "$T/log" ||
    err "no log line: $(grep msglog "$T/log")"
ctl status --json
[ "$(jq_ 'j["messages"]["accept"]')" -ge 1 ] || err "no message accepted"
end

tap_done
