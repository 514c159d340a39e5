#!/bin/bash
# supervise.sh - sluiced's children never outlive their master
#
# Whatever ends the master — SIGKILL (an OOM kill), a fault, a signal it
# does not expect — the launcher and the agent stop within seconds and
# free the listening sockets, so a new sluiced starts on the same
# sockets and answers.  SIGUSR1 reloads like SIGHUP; SIGUSR2 and other
# stray signals are logged and change nothing.  Runs as root, so the
# children change user (which is what used to clear their parent-death
# signal).  miltertest and an SMTP client check that the daemon answers.
# Prints TAP.  Needs root and miltertest.  Run by testdata/run-tests.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
SLUICED=${SLUICED:-$top/build/sluiced}

T=$(mktemp -d /tmp/sluice-supervise.XXXXXX) || exit 1
mkdir -p "$T/bin" "$T/inc" "$T/run"
chmod 755 "$T" "$T/bin" "$T/inc"
TAP_RESET=1
. "$(dirname "$0")/tap.bash"
. "$(dirname "$0")/postfix.bash"	# free_port, pf_wait_port
. "$(dirname "$0")/milter.bash"	# mt_probe

[ "$(id -u)" = 0 ] || { skip_all "needs root (the children change user)"; exit 0; }

master=
kids=
cleanup() {
	[ -n "$master" ] && stop_pid "$master"
	# whatever a failed check left behind
	for p in $kids; do kill -KILL "$p" 2>/dev/null; done
	[ "${KEEP:-0}" = 1 ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

port=$(free_port) || exit 1
sport=$(free_port) || exit 1
hop=$(free_port) || exit 1
filter tag.sh <<'EOF'
echo "add-header X-Rules: $SLUICE_RULE" >"$SLUICE_RESULT"
EOF
cat >"$T/sluice.conf" <<EOF
user = "nobody";
run_dir = "$T/run";
spool_dir = "$T/run/spool";
include_dir = "$T/inc";
filter_dir = "$T/bin";
milter_listen = [ "inet:127.0.0.1:$port", "unix:milter.sock" ];
smtp_listen = ( { listen = "inet:127.0.0.1:$sport"; next_hop = "inet:127.0.0.1:$hop"; } );
filters = ( { name = "tag"; command = "tag.sh"; } );
rules = ( { name = "first"; filter = "tag"; } );
EOF

# probe - one message through the milter; true when the filter's header
# comes back
probe() {
	mt_probe "inet:$port@127.0.0.1" X-Rules first
}

# start - a sluiced in the foreground; sets master, agent, launcher
start() {
	"$SLUICED" -f -c "$T/sluice.conf" >>"$T/log" 2>&1 &
	master=$!
	pf_wait_port "$port" 10 || err "nothing listens on $port"
	pf_wait_port "$sport" 10 || err "nothing listens on $sport"
	agent=$(new_kid "$master" sluice-agent "") || err "no agent"
	launcher=$(new_kid "$master" sluice-launcher "") || err "no launcher"
	kids="$kids $agent $launcher"
}

# gone_within - true when every pid has ended within N seconds
gone_within() {	# seconds pid...
	local n=$(($1 * 10)) p left
	shift
	while [ "$n" -gt 0 ]; do
		left=
		for p in "$@"; do
			alive "$p" && left=1
		done
		[ -z "$left" ] && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# orphan_check - kill the master with SIG, then its children must end
# and a new sluiced must take the same sockets
orphan_check() {	# signal
	kill "-$1" "$master"
	wait "$master" 2>/dev/null
	master=
	gone_within 5 $agent $launcher ||
	    err "children left after SIG$1: $(ps -o pid=,ppid=,comm= -p "$agent,$launcher" | tr '\n' ';')"
	ss -Hltnp "sport = :$port" | grep -q . &&
	    err "the milter port is still held: $(ss -Hltnp "sport = :$port")"
	start
	probe || err "the new daemon does not answer on the milter socket"
	grep -q "milter listening on inet:127.0.0.1:$port" "$T/log" ||
	    err "no listening line from the new daemon"
}

begin "SIGKILL of the master: launcher and agent stop, a new sluiced starts on the same sockets"
start
probe || err "no answer before the kill"
[ "$(ps -o user= -p "$agent")" = nobody ] || err "the agent did not change user"
orphan_check KILL
end

begin "a fault in the master (SIGSEGV): the children stop too"
orphan_check SEGV
end

begin "SIGUSR1 reloads like SIGHUP: the master and the agent stay"
: >"$T/log.mark"
n=$(grep -c 'master: reloaded' "$T/log")
kill -USR1 "$master"
for _ in $(seq 100); do
	[ "$(grep -c 'master: reloaded' "$T/log")" -gt "$n" ] && break
	sleep 0.1
done
alive "$master" || err "the master died of SIGUSR1"
alive "$agent" || err "the agent was restarted"
[ "$(grep -c 'master: reloaded' "$T/log")" -gt "$n" ] || err "no reload log line"
probe || err "no answer after the reload"
end

begin "SIGUSR2 and other stray signals are logged and change nothing"
for sig in USR2 ALRM PWR VTALRM PROF IO; do
	kill "-$sig" "$master"
done
sleep 0.5
alive "$master" || err "the master died of a stray signal"
alive "$agent" || err "the agent changed"
alive "$launcher" || err "the launcher changed"
grep -q 'master: ignoring signal .*User defined signal 2' "$T/log" ||
    err "no log line for SIGUSR2: $(tail -3 "$T/log")"
probe || err "no answer after the stray signals"
end

begin "SIGTERM still stops everything in order"
kill "$master"
wait_gone "$master" || err "the master did not stop"
master=
gone_within 5 "$agent" "$launcher" || err "children left after SIGTERM"
grep -q 'master: stopped' "$T/log" || err "no 'stopped' line"
end

tap_done
