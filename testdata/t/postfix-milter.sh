#!/bin/bash
# postfix-milter.sh - sluiced as a milter of a real, private Postfix
#
# Postfix (testdata/t/postfix.bash: own config and queue, smtpd on
# loopback, smtpd_milters pointing at sluiced, milter_default_action =
# tempfail) relays to smtp-sink, which writes each delivered message to
# a file.  swaks sends; the tests assert on the delivered bytes (header
# added, subject tagged, body replaced, recipient added and removed,
# sender changed), on what swaks is told (the configured 5xx text on a
# reject, 4xx on a filter timeout and while sluiced is down), and that
# no work directory is left behind, nor a run directory in the spool's
# .runs.  The env filter, run as sluice-filter, writes its record to
# $T/out (mode 777), its writable path.
# Prints TAP.  Needs root.  Run by testdata/run-tests, or by hand.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
SLUICED=${SLUICED:-$top/build/sluiced}

T=$(mktemp -d /tmp/sluice-pfmilter.XXXXXX) || exit 1
mkdir -p "$T/bin" "$T/inc" "$T/run" "$T/out"
chmod 755 "$T" "$T/bin" "$T/inc"
chmod 777 "$T/out"
TAP_RESET=1
. "$(dirname "$0")/tap.bash"
. "$(dirname "$0")/postfix.bash"

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
	pf_cleanup
	[ "${KEEP:-0}" = 1 ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

mport=$(free_port) || exit 1

# Filters: each writes result-file directives or a new message.
filter tag.sh <<'EOF'
printf 'add-header X-Sluice-Tag: tagged by e2e\nprefix-subject [tagged]\n' >"$SLUICE_RESULT"
EOF
filter body.sh <<'EOF'
sed '/^$/q' "$SLUICE_MESSAGE" >"$SLUICE_NEW_MESSAGE"
echo "This body was replaced by sluice." >>"$SLUICE_NEW_MESSAGE"
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
filter slow.sh <<'EOF'
sleep 30
EOF
filter env.sh <<'EOF'
env | grep '^SLUICE_' | sort >@T@/out/env.$SLUICE_QUEUE_ID
EOF

cat >"$T/sluice.conf" <<EOF
user = "nobody";
run_dir = "$T/run";
spool_dir = "$T/run/spool";
include_dir = "$T/inc";
filter_dir = "$T/bin";
milter_listen = [ "inet:127.0.0.1:$mport" ];
message_max = "64K";
reject_reply = { code = 554; status = "5.7.0"; text = "Refused by the e2e policy"; };
filters = (
	{ name = "tag"; command = "tag.sh"; },
	{ name = "body"; command = "body.sh"; },
	{ name = "rcpt"; command = "rcpt.sh"; },
	{ name = "sender"; command = "sender.sh"; },
	{ name = "reject"; command = "reject.sh"; },
	{ name = "slow"; command = "slow.sh"; timeout = 1; kill_grace = 0.2; },
	{ name = "env"; command = "env.sh"; writable = [ "$T/out" ]; }
);
rules = (
	{ name = "tag"; filter = "tag"; recipient = "tag@example.net"; },
	{ name = "body"; filter = "body"; recipient = "body@example.net"; },
	{ name = "rcpt"; filter = "rcpt"; recipient = "gone@example.net"; },
	{ name = "sender"; filter = "sender"; recipient = "sender@example.net"; },
	{ name = "reject"; filter = "reject"; recipient = "reject@example.net"; },
	{ name = "slow"; filter = "slow"; recipient = "slow@example.net"; },
	{ name = "env"; filter = "env"; recipient = "env@example.net"; }
);
EOF

# start_sluiced - the daemon in the foreground, log in $T/sluiced.log
start_sluiced() {
	"$SLUICED" -f -c "$T/sluice.conf" >>"$T/sluiced.log" 2>&1 &
	spid=$!
	pf_wait_port "$mport" 10
}

PF_MILTER=inet:127.0.0.1:$mport
if ! pf_init "$T/pf" || ! SINK_DUMP=1 sink_start || ! pf_start ||
    ! start_sluiced; then
	echo "Bail out! cannot start Postfix, smtp-sink or sluiced"
	tail -20 "$T/sluiced.log" 2>/dev/null
	exit 1
fi

# send - one message; swaks' transcript in $T/trace, its status in rc
send() {	# subject rcpt... (then swaks options after --)
	local subj=$1 to=
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		to=${to:+$to,}$1
		shift
	done
	[ "${1:-}" = -- ] && shift
	pf_send --to "$to" --header "Subject: $subj" \
	    --body "original body of $subj" "$@" >"$T/trace" 2>&1
	rc=$?
}

# delivered - the sink file of the message with this subject, or nothing
delivered() {	# subject
	local f
	pf_wait_idle 60 >/dev/null 2>&1
	for f in $(sink_files); do
		if grep -q "^Subject: .*$1" "$f"; then
			echo "$f"
			return 0
		fi
	done
	return 1
}

# want_in / want_not_in - a fixed string is (not) in a file
want_in() {	# file string
	grep -qF -- "$2" "$1" || err "\"$2\" not in the delivered message"
}
want_not_in() {	# file string
	! grep -qF -- "$2" "$1" || err "\"$2\" in the delivered message"
}
# want_reply - swaks was told this (code and text) at end of data
want_reply() {	# text
	grep -qF -- "$1" "$T/trace" || err "swaks was not told \"$1\""
}

begin "a message no rule selects passes unchanged"
send "plain-1" plain@example.net
want_rc 0
f=$(delivered plain-1) || err "not delivered"
if [ -n "$f" ]; then
	want_in "$f" "original body of plain-1"
	want_not_in "$f" "X-Sluice-Tag"
fi
end

begin "add-header and prefix-subject reach the delivered message"
send "tag-1" tag@example.net
want_rc 0
f=$(delivered tag-1) || err "not delivered"
if [ -n "$f" ]; then
	want_in "$f" "X-Sluice-Tag: tagged by e2e"
	want_in "$f" "Subject: [tagged] tag-1"
	want_in "$f" "original body of tag-1"
fi
end

begin "a replacement message replaces the body, headers stay"
send "body-1" body@example.net
want_rc 0
f=$(delivered body-1) || err "not delivered"
if [ -n "$f" ]; then
	want_in "$f" "This body was replaced by sluice."
	want_not_in "$f" "original body of body-1"
	want_in "$f" "Subject: body-1"
fi
end

begin "add-rcpt and delete-rcpt change the envelope Postfix delivers to"
send "rcpt-1" gone@example.net kept@example.net
want_rc 0
f=$(delivered rcpt-1) || err "not delivered"
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
f=$(delivered sender-1) || err "not delivered"
if [ -n "$f" ]; then
	grep -qx 'X-Mail-Args: <changed@example.org>' "$f" ||
	    err "the new sender is not the envelope sender"
fi
end

begin "a reject gives the client the configured 5xx text and the reason"
send "reject-1" reject@example.net
[ "$rc" -ne 0 ] || err "swaks succeeded"
want_reply "554 5.7.0 Refused by the e2e policy: forbidden words"
delivered reject-1 >/dev/null && err "a rejected message was delivered"
end

begin "a message over message_max: 552 at the end of DATA, the next passes"
# sluice does not answer body chunks (SMFIP_NR_BODY): the reject it
# decided on when the body passed the limit comes at end of message
big=$(head -c 90000 /dev/zero | tr '\0' 'x' | fold -w 76)
send "big-1" tag@example.net -- --body "$big"
[ "$rc" -ne 0 ] || err "swaks succeeded"
want_reply "552 5.3.4 Message size exceeds fixed maximum message size"
delivered big-1 >/dev/null && err "a message over message_max was delivered"
grep -q 'verdict=reject size over message_max' "$T/sluiced.log" ||
    err "the log does not say why"
send "big-2" tag@example.net
f=$(delivered big-2) || err "the message after it was not delivered"
[ -n "$f" ] && want_in "$f" "X-Sluice-Tag: tagged by e2e"
end

begin "a filter timeout gives the client a 4xx"
send "slow-1" slow@example.net
[ "$rc" -ne 0 ] || err "swaks succeeded"
grep -qE '<\*\* 451 4\.7\.1 ' "$T/trace" ||
    err "no 451 4.7.1 at end of data"
grep -q 'rule=slow filter=slow timeout' "$T/sluiced.log" ||
    err "no log line for the timeout"
end

begin "MTA macros reach the filter's environment"
send "env-1" env@example.net -- --helo helo.e2e.test
want_rc 0
qid=$(sed -n 's/.*: \([0-9A-F]*\): rule=env filter=env .*/\1/p' \
    "$T/sluiced.log" | tail -1)
e=$T/out/env.$qid
if [ -z "$qid" ] || [ ! -f "$e" ]; then
	err "no environment file for queue id '$qid'"
else
	grep -q "^SLUICE_QUEUE_ID=$qid\$" "$e" || err "queue id"
	grep -qx 'SLUICE_HELO=helo.e2e.test' "$e" || err "HELO"
	grep -qx 'SLUICE_CLIENT_ADDR=127.0.0.1' "$e" || err "client address"
	grep -qx 'SLUICE_SENDER=sender@example.org' "$e" || err "sender"
	grep -qx 'SLUICE_RECIPIENTS=env@example.net' "$e" || err "recipients"
	grep -q "^SLUICE_MAIL_ARGS=" "$e" || err "MAIL FROM parameters"
	grep -q "postfix/cleanup.*: $qid: message-id=" "$T/pf/maillog" ||
	    err "the queue id is not Postfix's"
fi
end

begin "no work or run directory is left in the spool"
want_spool_idle "$T/run/spool"
end

begin "with sluiced down, Postfix answers 4xx and keeps nothing"
stop_sluiced
send "down-1" plain@example.net
[ "$rc" -ne 0 ] || err "swaks succeeded"
grep -qE '<\*\* 4[0-9][0-9] ' "$T/trace" || err "no 4xx reply"
delivered down-1 >/dev/null && err "delivered without the filter"
end

begin "after a restart mail flows again"
start_sluiced
send "again-1" tag@example.net
want_rc 0
f=$(delivered again-1) || err "not delivered"
[ -n "$f" ] && want_in "$f" "Subject: [tagged] again-1"
end

begin "sluiced stops cleanly and removes its socket files and pid file"
stop_sluiced
[ -e "$T/run/sluiced.pid" ] && err "pid file left"
grep -q 'master: stopped' "$T/sluiced.log" || err "no 'stopped' log line"
end

tap_done
