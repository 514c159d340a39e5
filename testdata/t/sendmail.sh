#!/bin/bash
# sendmail.sh - sluiced as the milter of a real, private Sendmail
#
# First, without root or Sendmail: the INPUT_MAIL_FILTER line that the
# README, sluiced(8), "make run" and conf.d/sluice.conf show is the same
# in all four, and its timeouts are those of testdata/t/sendmail.mc.
# Then Debian's Sendmail, unpacked by "make sendmail-root" and run in
# private namespaces (testdata/t/sendmail.bash), with sluiced as its
# INPUT_MAIL_FILTER (F=T), relays to smtp-sink, which writes each
# delivered message to a file.  swaks sends; the tests assert on the
# delivered bytes (a header added, the subject tagged, a replacement
# message written to %n, recipients added and removed, the sender
# changed, the filter's environment), on what swaks is told (5xx with
# the filter's reason on a reject, 4xx with it on a tempfail, 4xx while
# sluiced is down) and that a filter slower than Sendmail's default
# reply timeout still gets its verdict through with the documented T=.
# When this machine cannot run the unpacked Sendmail at all (no root,
# no namespaces, no unpacked packages) those tests are skipped with the
# reason.
# Prints TAP.  Needs root for all but the first test.  Run by
# testdata/run-tests, or by hand.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
SLUICED=${SLUICED:-$top/build/sluiced}

T=$(mktemp -d /tmp/sluice-sendmail.XXXXXX) || exit 1
mkdir -p "$T/bin" "$T/inc" "$T/run" "$T/out"
chmod 755 "$T" "$T/bin" "$T/inc"
chmod 777 "$T/out"
TAP_RESET=1
. "$(dirname "$0")/tap.bash"
. "$(dirname "$0")/postfix.bash"
. "$(dirname "$0")/sendmail.bash"

spid=
# stop_sluiced - SIGTERM the master and wait until it is gone
stop_sluiced() {
	[ -n "$spid" ] || return 0
	stop_pid "$spid"
	wait "$spid" 2>/dev/null
	spid=
}
cleanup() {
	stop_sluiced
	sm_cleanup
	[ "${KEEP:-0}" = 1 ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# mf_specs - the INPUT_MAIL_FILTER(`sluice', `SPEC') specs in a file,
# one a line, with groff's and make's quoting undone
mf_specs() {	# file
	sed -e 's/\\(ga/`/g' -e "s/\\\\(aq/'/g" -e 's/\\`/`/g' "$1" |
	    sed -n "s/.*INPUT_MAIL_FILTER(\`sluice', \`\([^']*\)').*/\1/p"
}

begin "the Sendmail line is the same in the README, sluiced(8), make run and sluice.conf"
used=$(mf_specs "$SM_MC" | sed 's/@MILTER_PORT@/8890/')
if [ -z "$used" ] || [ "$(printf '%s\n' "$used" | wc -l)" -ne 1 ]; then
	err "no single INPUT_MAIL_FILTER line in $SM_MC"
fi
for f in README man/sluiced.8 GNUmakefile conf.d/sluice.conf; do
	specs=$(mf_specs "$top/$f")
	if [ -z "$specs" ]; then
		err "$f: no INPUT_MAIL_FILTER line"
		continue
	fi
	while IFS= read -r s; do
		[ "$s" = "$used" ] ||
		    err "$f: \"$s\"" "  the suite's Sendmail uses \"$used\""
	done <<<"$specs"
done
end

if ! sm_find_root || ! sm_can_run; then
	# The tests below, by the names they would have, each skipped
	mapfile -t names < <(sed -n 's/^begin "\(.*\)"$/\1/p' "$0")
	for t in "${names[@]:1}"; do
		skip "$t" "$SM_WHY"
	done
	tap_done
	exit
fi

# Filters: each writes result-file directives or a new message.
filter tag.sh <<'EOF'
printf 'add-header X-Sluice-Tag: tagged via sendmail\nprefix-subject [tagged]\n' >"$SLUICE_RESULT"
EOF
filter body.sh <<'EOF'
# body.sh MESSAGE NEW - the header, one more field, a new body
sed '/^$/q' "$1" | sed '$d' >"$2"
printf 'X-Replaced: by sluice\n\nThis body was replaced by sluice.\n' >>"$2"
EOF
filter rcpt.sh <<'EOF'
printf 'add-rcpt <added@example.net>\ndelete-rcpt <gone@example.net>\n' >"$SLUICE_RESULT"
EOF
filter sender.sh <<'EOF'
echo 'change-sender <changed@example.org>' >"$SLUICE_RESULT"
EOF
filter reject.sh <<'EOF'
echo "forbidden words"
exit 1
EOF
filter defer.sh <<'EOF'
echo "scanner busy"
exit 75
EOF
filter slow.sh <<'EOF'
sleep 12
echo 'add-header X-Sluice-Slow: waited' >"$SLUICE_RESULT"
EOF
filter env.sh <<'EOF'
env | grep '^SLUICE_' | sort >@T@/out/env.$SLUICE_QUEUE_ID
EOF

SM_MILTER_PORT=$(free_port) || exit 1
cat >"$T/sluice.conf" <<EOF
user = "nobody";
run_dir = "$T/run";
spool_dir = "$T/run/spool";
include_dir = "$T/inc";
filter_dir = "$T/bin";
milter_listen = [ "inet:127.0.0.1:$SM_MILTER_PORT" ];
reject_reply = { code = 554; status = "5.7.0"; text = "Refused by the e2e policy"; };
tempfail_reply = { code = 452; status = "4.3.0"; text = "Not now"; };
filters = (
	{ name = "tag"; command = "tag.sh"; },
	{ name = "body"; command = "body.sh %f %n"; },
	{ name = "rcpt"; command = "rcpt.sh"; },
	{ name = "sender"; command = "sender.sh"; },
	{ name = "reject"; command = "reject.sh"; },
	{ name = "defer"; command = "defer.sh"; },
	{ name = "slow"; command = "slow.sh"; timeout = 60; },
	{ name = "env"; command = "env.sh"; writable = [ "$T/out" ]; }
);
rules = (
	{ name = "tag"; filter = "tag"; recipient = "tag@example.net"; },
	{ name = "body"; filter = "body"; recipient = "body@example.net"; },
	{ name = "rcpt"; filter = "rcpt"; recipient = "gone@example.net"; },
	{ name = "sender"; filter = "sender"; recipient = "sender@example.net"; },
	{ name = "reject"; filter = "reject"; recipient = "reject@example.net"; },
	{ name = "defer"; filter = "defer"; recipient = "defer@example.net"; },
	{ name = "slow"; filter = "slow"; recipient = "slow@example.net"; },
	{ name = "env"; filter = "env"; recipient = "env@example.net"; }
);
EOF

# start_sluiced - the daemon in the foreground, log in $T/sluiced.log
start_sluiced() {
	"$SLUICED" -f -c "$T/sluice.conf" >>"$T/sluiced.log" 2>&1 &
	spid=$!
	pf_wait_port "$SM_MILTER_PORT" 10
}

if ! sm_init "$T/sm" || ! sm_start || ! start_sluiced; then
	echo "Bail out! cannot start Sendmail, smtp-sink or sluiced"
	tail -20 "$T/sluiced.log" 2>/dev/null
	exit 1
fi
diag "Sendmail ${SM_VERSION:-(version not logged)} from $SM_ROOT" \
    "$(cat "$SM_ROOT/../versions" 2>/dev/null)"

# send - one message; swaks' transcript in $T/trace, its status in rc
send() {	# subject rcpt... (then swaks options after --)
	local subj=$1 to=
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		to=${to:+$to,}$1
		shift
	done
	[ "${1:-}" = -- ] && shift
	sm_send --to "$to" --header "Subject: $subj" \
	    --body "original body of $subj" "$@" >"$T/trace" 2>&1
	rc=$?
}

# delivered - the sink file of the message with this subject, or nothing
delivered() {	# subject
	local f end=$((SECONDS + 10))
	# Sendmail removes its queue file once the sink has said 250 to the
	# message; a file the sink still holds may be this message.
	sm_wait_idle 60 >/dev/null 2>&1
	while :; do
		for f in $(sm_sink_files); do
			if grep -q "^Subject: .*$1" "$f"; then
				echo "$f"
				return 0
			fi
		done
		sm_sink_open && [ "$SECONDS" -le "$end" ] || return 1
		sleep 0.1
	done
}

# want_in / want_not_in - a fixed string is (not) in a file
want_in() {	# file string
	grep -qF -- "$2" "$1" || err "\"$2\" not in the delivered message"
}
want_not_in() {	# file string
	! grep -qF -- "$2" "$1" || err "\"$2\" in the delivered message"
}
# want_reply - swaks was told this (code and text)
want_reply() {	# text
	grep -qF -- "$1" "$T/trace" || err "swaks was not told \"$1\""
}
# in_maillog - Sendmail logged a line matching this (syslogd writes
# behind: up to about 5 s)
in_maillog() {	# regex
	local _
	for _ in $(seq 50); do
		grep -q -- "$1" "$SM_DIR/maillog" && return 0
		sleep 0.1
	done
	return 1
}
# maillog - the end of Sendmail's log, for a diagnosis
maillog() {
	err "maillog: $(tail -6 "$SM_DIR/maillog")"
}

begin "a message no rule selects passes through Sendmail unchanged"
send "plain-1" plain@example.net
want_rc 0
f=$(delivered plain-1) || { err "not delivered"; maillog; }
if [ -n "$f" ]; then
	want_in "$f" "original body of plain-1"
	want_in "$f" "by sm.test (8.17"
	want_not_in "$f" "X-Sluice-Tag"
fi
end

begin "a header added by a filter and a tagged subject arrive"
send "tag-1" tag@example.net
want_rc 0
f=$(delivered tag-1) || { err "not delivered"; maillog; }
if [ -n "$f" ]; then
	want_in "$f" "X-Sluice-Tag: tagged via sendmail"
	want_in "$f" "Subject: [tagged] tag-1"
	want_in "$f" "original body of tag-1"
fi
end

begin "a replacement message written to %n arrives: new body, new header"
send "body-1" body@example.net
want_rc 0
f=$(delivered body-1) || { err "not delivered"; maillog; }
if [ -n "$f" ]; then
	want_in "$f" "This body was replaced by sluice."
	want_in "$f" "X-Replaced: by sluice"
	want_not_in "$f" "original body of body-1"
	want_in "$f" "Subject: body-1"
fi
end

begin "add-rcpt and delete-rcpt change the envelope Sendmail delivers to"
send "rcpt-1" gone@example.net kept@example.net
want_rc 0
f=$(delivered rcpt-1) || { err "not delivered"; maillog; }
if [ -n "$f" ]; then
	grep -q '^X-Rcpt-Args: <added@example.net>' "$f" ||
	    err "the added recipient is not in the envelope"
	grep -q '^X-Rcpt-Args: <kept@example.net>' "$f" ||
	    err "the kept recipient is not in the envelope"
	grep -q '^X-Rcpt-Args: <gone@example.net>' "$f" &&
	    err "the deleted recipient is in the envelope"
fi
end

begin "change-sender changes the envelope sender"
send "sender-1" sender@example.net
want_rc 0
f=$(delivered sender-1) || { err "not delivered"; maillog; }
if [ -n "$f" ]; then
	grep -q '^X-Mail-Args: <changed@example.org>' "$f" ||
	    err "the new sender is not the envelope sender"
fi
end

begin "Sendmail's queue id, client and HELO reach the filter's environment"
send "env-1" env@example.net
want_rc 0
qid=$(sed -n 's/.*: \([0-9A-Za-z]*\): rule=env filter=env .*/\1/p' \
    "$T/sluiced.log" | tail -1)
e=$T/out/env.$qid
if [ -z "$qid" ] || [ ! -f "$e" ]; then
	err "no environment file for queue id '$qid'"
else
	grep -qx "SLUICE_QUEUE_ID=$qid" "$e" || err "queue id"
	grep -qx 'SLUICE_HELO=client.test' "$e" || err "HELO"
	grep -qx 'SLUICE_CLIENT_ADDR=127.0.0.1' "$e" || err "client address"
	grep -qx 'SLUICE_SENDER=sender@example.org' "$e" || err "sender"
	grep -qx 'SLUICE_RECIPIENTS=env@example.net' "$e" || err "recipients"
	in_maillog "sendmail\[[0-9]*\]: $qid: from=<sender@example.org>" ||
	    err "the queue id is not Sendmail's"
fi
end

begin "a reject gives the client 5xx with the filter's reason"
send "reject-1" reject@example.net
[ "$rc" -ne 0 ] || err "swaks succeeded"
want_reply "<** 554 5.7.0 Refused by the e2e policy: forbidden words"
delivered reject-1 >/dev/null && err "a rejected message was delivered"
end

begin "a tempfail gives the client 4xx with the filter's reason"
send "defer-1" defer@example.net
[ "$rc" -ne 0 ] || err "swaks succeeded"
want_reply "<** 452 4.3.0 Not now: scanner busy"
delivered defer-1 >/dev/null && err "a deferred message was delivered"
end

# Sendmail's own default for R is 10 s, and sluice answers only once
# its filters are done: the documented R:5m lets a 12 s filter finish.
begin "a filter slower than Sendmail's default reply timeout still gets its verdict through"
send "slow-1" slow@example.net
want_rc 0
f=$(delivered slow-1) || { err "not delivered"; maillog; }
[ -n "$f" ] && want_in "$f" "X-Sluice-Slow: waited"
end

begin "with sluiced down Sendmail answers 4xx (F=T) and delivers nothing"
stop_sluiced
send "down-1" tag@example.net
[ "$rc" -ne 0 ] || err "swaks succeeded"
grep -qE '^<\*\* 4[0-9][0-9] ' "$T/trace" || err "no 4xx reply"
grep -qE '^<\*\* 5[0-9][0-9] ' "$T/trace" && err "a 5xx reply"
delivered down-1 >/dev/null && err "delivered without its filter"
in_maillog 'Milter (sluice): .*Connection refused' ||
    err "Sendmail did not log the refused milter connection"
end

begin "with sluiced back, the same message goes through its filter"
start_sluiced || err "sluiced did not come back"
send "down-2" tag@example.net
want_rc 0
f=$(delivered down-2) || { err "not delivered"; maillog; }
[ -n "$f" ] && want_in "$f" "Subject: [tagged] down-2"
# nothing is left in the spool but .runs, and nothing in its run directories
want_spool_idle "$T/run/spool"
end

tap_done
