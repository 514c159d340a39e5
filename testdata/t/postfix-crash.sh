#!/bin/bash
# postfix-crash.sh - SIGKILL the agent under load: no accepted message lost
#
# A private Postfix (testdata/t/postfix.bash) with sluiced as its milter
# and one exec filter for every message; smtp-source sends a few hundred
# messages over several sessions while the agent process is killed with
# SIGKILL again and again.  The master must restart it each time, and
# every message Postfix accepted (queued: a qmgr "from=" line) must reach
# smtp-sink.  Messages in flight when the agent dies are answered with a
# 4xx by Postfix (milter_default_action = tempfail) and stay with the
# client, so they are not counted as accepted.  The counts are printed
# as TAP diagnostics.
# Prints TAP.  Needs root.  Run by testdata/run-tests, or by hand.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
SLUICED=${SLUICED:-$top/build/sluiced}
MESSAGES=${CRASH_MESSAGES:-400}
KILLS=${CRASH_KILLS:-6}

T=$(mktemp -d /tmp/sluice-pfcrash.XXXXXX) || exit 1
mkdir -p "$T/bin" "$T/inc" "$T/run"
chmod 755 "$T" "$T/bin" "$T/inc"
TAP_RESET=1
. "$(dirname "$0")/tap.bash"
. "$(dirname "$0")/postfix.bash"

spid=
srcpid=
cleanup() {
	[ -n "$srcpid" ] && kill "$srcpid" 2>/dev/null
	[ -n "$spid" ] && stop_pid "$spid"

	pf_cleanup
	[ "${KEEP:-0}" = 1 ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

mport=$(free_port) || exit 1
filter tag.sh <<'EOF'
echo 'add-header X-Sluice-Crash: seen' >"$SLUICE_RESULT"
EOF
cat >"$T/sluice.conf" <<EOF
user = "nobody";
run_dir = "$T/run";
spool_dir = "$T/run/spool";
include_dir = "$T/inc";
filter_dir = "$T/bin";
milter_listen = [ "inet:127.0.0.1:$mport" ];
filters = ( { name = "tag"; command = "tag.sh"; } );
rules = ( { name = "all"; filter = "tag"; } );
EOF

PF_MILTER=inet:127.0.0.1:$mport
"$SLUICED" -f -c "$T/sluice.conf" >"$T/sluiced.log" 2>&1 &
spid=$!
if ! pf_init "$T/pf" || ! sink_start || ! pf_start ||
    ! pf_wait_port "$mport" 10; then
	echo "Bail out! cannot start Postfix, smtp-sink or sluiced"
	exit 1
fi

# agent_pid - the running agent, by the name the master gives it
agent_pid() {
	pgrep -P "$spid" -x sluice-agent | head -1
}

# load - 8 clients, each sending batches of 10 messages in one session;
# smtp-source gives up on its first 4xx, so a batch that meets a dead
# agent ends early and the client goes on with the next batch
load() {
	local w b
	for w in $(seq 8); do
		for b in $(seq $((MESSAGES / 80))); do
			smtp-source -s 1 -m 10 -l 4096 -f sender@example.org \
			    -t rcpt@example.net "127.0.0.1:$PF_PORT" \
			    >>"$T/source.out" 2>&1
		done &
	done
	wait
}

begin "the master restarts the agent after each SIGKILL under load"
load &
srcpid=$!
kills=0
while [ "$kills" -lt "$KILLS" ] && alive "$srcpid"; do
	sleep 0.4
	a=$(agent_pid)
	[ -n "$a" ] || continue
	# kill only an agent that is handling mail, not one just started
	grep -q 'verdict=' "$T/sluiced.log" || continue
	kill -KILL "$a" 2>/dev/null && kills=$((kills + 1))
	# wait for the replacement, so the next kill hits it under load
	new_kid "$spid" sluice-agent "$a" >/dev/null
done
wait "$srcpid"
srcpid=
[ "$kills" -ge 3 ] || err "only $kills kills happened before the load ended"
restarts=$(grep -c 'agent killed by signal 9 (Killed); restarting' \
    "$T/sluiced.log")
[ "$restarts" -eq "$kills" ] ||
    err "$kills kills but $restarts restart lines in the log"
[ -n "$(agent_pid)" ] || err "no agent runs after the load"
end

begin "every message Postfix accepted is delivered"
pf_wait_idle 120 || err "the Postfix queue did not drain"
accepted=$(grep -c 'postfix/qmgr\[[0-9]*\]: [0-9A-F]*: from=<' \
    "$T/pf/maillog")
delivered=$(grep -c 'postfix/smtp\[[0-9]*\]: .* status=sent' \
    "$T/pf/maillog")
sunk=$(sink_count)
tempfailed=$(grep -c 'milter-reject: .*4\.[0-9]\.[0-9]' "$T/pf/maillog")
echo "# $MESSAGES messages in batches, $kills agent kills: accepted=$accepted" \
    "delivered=$delivered sink=$sunk tempfailed=$tempfailed"
[ "$accepted" -gt 0 ] || err "Postfix accepted nothing"
[ "$delivered" -eq "$accepted" ] ||
    err "accepted $accepted, delivered $delivered"
[ "$sunk" -ge "$accepted" ] || err "accepted $accepted, smtp-sink got $sunk"
[ "$(pf_queue_count)" -eq 0 ] || err "messages left in the Postfix queue"
end

begin "accepted messages passed the filter"
# smtp-sink counts only; the filter's log line per accepted message
seen=$(grep -c 'rule=all filter=tag exit=0' "$T/sluiced.log")
[ "$seen" -ge "$accepted" ] ||
    err "$accepted accepted but the filter ran $seen times"
end

begin "no work or run directory is left after the restarts"
stop_pid "$spid" || err "sluiced did not stop"
spid=
# the spool holds its .runs and nothing else, and .runs nothing
left=$(find "$T/run/spool" -mindepth 1 -maxdepth 1 ! -name .runs \
    2>/dev/null | wc -l)
[ "$left" -eq 0 ] || err "$left work directories left"
if [ -d "$T/run/spool/.runs" ]; then
	runs=$(find "$T/run/spool/.runs" -mindepth 1 -maxdepth 1 | wc -l)
	[ "$runs" -eq 0 ] || err "$runs run directories left in .runs:" \
	    "$(ls -A "$T/run/spool/.runs" | head -5)"
else
	err "the spool has no .runs"
fi
end

tap_done
