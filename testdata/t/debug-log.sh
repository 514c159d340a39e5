#!/bin/bash
# debug-log.sh - what "debug = true" adds to the daemon's log
#
# With debug on, the log says for each message why each rule and
# address rule was taken or not; with it off, it does not.  Runs
# sluiced in milter mode and sends through miltertest.
# Prints TAP.  Needs miltertest.  Run by testdata/run-tests.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
SLUICED=${SLUICED:-$top/build/sluiced}

T=$(mktemp -d /tmp/sluice-debug.XXXXXX) || exit 1
mkdir -p "$T/bin" "$T/inc" "$T/run"
chmod 755 "$T" "$T/bin" "$T/inc"
. "$(dirname "$0")/tap.bash"
. "$(dirname "$0")/postfix.bash"	# free_port, pf_wait_port
. "$(dirname "$0")/milter.bash"	# mt_probe

master=
cleanup() {
	[ -n "$master" ] && stop_pid "$master"
	[ "${KEEP:-0}" = 1 ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

port=$(free_port) || exit 1
filter tag.sh <<'EOF'
echo "add-header X-Rules: $SLUICE_RULE" >"$SLUICE_RESULT"
EOF
cat >"$T/sluice.conf" <<EOF
user = "$(id -un)";
run_dir = "$T/run";
spool_dir = "$T/run/spool";
include_dir = "$T/inc";
filter_dir = "$T/bin";
milter_listen = [ "inet:127.0.0.1:$port" ];
filters = ( { name = "tag"; command = "tag.sh"; } );
address_rules = ( { name = "mark"; add_header = "X-Mark: yes"; } );
rules = (
  { name = "for-net"; filter = "tag"; recipient = "/@example\\\\.net\$/"; },
  { name = "for-com"; filter = "tag"; recipient = "b@example.com"; }
);
EOF

# run - start sluiced with debug set to $1, send one message, stop
run() {	# true|false
	: >"$T/log"
	"$SLUICED" -f -c "$T/sluice.conf" -O debug="$1" >"$T/log" 2>&1 &
	master=$!
	pf_wait_port "$port" 10 || err "nothing listens on $port"
	mt_probe "inet:$port@127.0.0.1" X-Rules for-net || err "the message failed"
	stop_pid "$master"
	wait "$master" 2>/dev/null
	master=
}

begin "debug = true logs why each rule was taken or not"
run true
grep -q 'address_rule=mark matched: 1 recipient selected' "$T/log" ||
    err "no line for the address rule"
grep -q 'rule=for-net filter=tag matched: recipient "b@example.net" matches' "$T/log" ||
    err "no line for the matching rule"
grep -q 'rule=for-com filter=tag not matched: ' "$T/log" ||
    err "no line for the rule that did not match"
grep -q 'rule=for-com .*(filter tag)\|rule=for-com filter=tag exit' "$T/log" &&
    err "the rule that did not match ran"
end

begin "debug = false logs no decisions"
run false
grep -q 'not matched' "$T/log" && err "decision lines without debug"
grep -q 'rule=for-net filter=tag exit=0' "$T/log" || err "no line for the filter run"
end

tap_done
