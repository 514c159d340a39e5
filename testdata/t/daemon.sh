#!/bin/bash
# daemon.sh - sluiced's processes: start, stop, reload, restarts, spool
#
# The master's duties seen from outside: the processes it starts and
# their names and users, the pid file and one daemon per run directory,
# leftover work directories removed at start with a log line, a reload
# that takes a good configuration (the agent swaps it in) and refuses a bad one (the
# old agent stays), an agent restarted after it is killed, detaching with
# errors still on the terminal, and a clean stop.  miltertest checks that
# the daemon answers after each step.
# Prints TAP.  Needs root and miltertest.  Run by testdata/run-tests.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
SLUICED=${SLUICED:-$top/build/sluiced}

T=$(mktemp -d /tmp/sluice-daemon.XXXXXX) || exit 1
mkdir -p "$T/bin" "$T/inc" "$T/run"
chmod 755 "$T" "$T/bin" "$T/inc"
TAP_RESET=1
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

# conf - the config, with the rule named $1
conf() {	# rule-name
	cat >"$T/sluice.conf" <<-EOF
	run_dir = "$T/run";
	spool_dir = "$T/run/spool";
	include_dir = "$T/inc";
	filter_dir = "$T/bin";
	milter_listen = [ "inet:127.0.0.1:$port", "unix:milter.sock" ];
	filters = ( { name = "tag"; command = "tag.sh"; } );
	rules = ( { name = "$1"; filter = "tag"; } );
	EOF
}

# probe - one message through the milter; true when the header added
# names the rule (on the socket spec given)
probe() {	# rule-name [spec]
	mt_probe "${2:-inet:$port@127.0.0.1}" X-Rules "$1"
}

# kid - the pid of the master's child with this name
kid() {	# sluice-agent | sluice-launcher
	pgrep -P "$master" -x "$1" | head -1
}

begin "leftover work directories are removed at start, with a log line"
conf first
mkdir -p "$T/run/spool/0123456789ABCDEF0123/tmp.0" "$T/run/spool/keep-me"
echo x >"$T/run/spool/0123456789ABCDEF0123/message"
"$SLUICED" -f -c "$T/sluice.conf" >"$T/log" 2>&1 &
master=$!
pf_wait_port "$port" 10 || err "nothing listens on $port"
[ -e "$T/run/spool/0123456789ABCDEF0123" ] && err "leftover still there"
[ -d "$T/run/spool/keep-me" ] || err "a foreign entry was removed"
grep -q 'removed 1 work directory left by an earlier run' "$T/log" ||
    err "no log line for the leftover"
end

begin "master, launcher and agent run under their names, users and capabilities"
[ "$(cat "$T/run/sluiced.pid")" = "$master" ] || err "pid file"
a=$(kid sluice-agent)
l=$(kid sluice-launcher)
[ -n "$a" ] || err "no sluice-agent"
[ -n "$l" ] || err "no sluice-launcher"
[ "$(ps -o user= -p "$master")" = root ] || err "master is not root"
[ -n "$a" ] && [ "$(ps -o user= -p "$a")" != sluice ] && err "agent user"
[ -n "$l" ] && [ "$(ps -o user= -p "$l")" != sluice ] &&
    err "launcher user"
# the agent has no capability; the launcher CAP_SETUID, CAP_SETGID,
# CAP_KILL and CAP_SETPCAP (bits 6, 7, 5, 8), in no other set either
capset_of() {	# pid field
	sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status"
}
if [ -n "$a" ]; then
	for f in CapPrm CapEff CapInh CapAmb; do
		[ "$(capset_of "$a" $f)" = 0000000000000000 ] ||
		    err "agent $f $(capset_of "$a" $f)"
	done
	[ "$(sed -n 's/^Groups:[[:space:]]*//p' /proc/$a/status | tr -d ' ')" = "$(id -g sluice)" ] ||
	    err "agent groups: $(sed -n 's/^Groups://p' /proc/$a/status)"
fi
if [ -n "$l" ]; then
	for f in CapPrm CapEff CapBnd; do
		[ "$(capset_of "$l" $f)" = 00000000000001e0 ] ||
		    err "launcher $f $(capset_of "$l" $f)"
	done
	[ -z "$(sed -n 's/^Groups:[[:space:]]*//p' /proc/$l/status | tr -d ' ')" ] ||
	    err "launcher groups: $(sed -n 's/^Groups://p' /proc/$l/status)"
fi
[ "$(stat -c '%U %a' "$T/run/spool")" = "sluice 711" ] ||
    err "spool is $(stat -c '%U %a' "$T/run/spool")"
[ "$(stat -c '%U %a' "$T/run/spool/.runs")" = "sluice 711" ] ||
    err "spool/.runs is $(stat -c '%U %a' "$T/run/spool/.runs")"
[ "$(stat -c %a "$T/run/milter.sock")" = 660 ] || err "socket mode"
probe first || err "no answer on the inet socket"
probe first "unix:$T/run/milter.sock" || err "no answer on the unix socket"
end

begin "a second daemon on the same run directory is refused, exit 1"
"$SLUICED" -c "$T/sluice.conf" >"$T/out2" 2>&1
rc=$?
want_rc 1
grep -q "another sluiced (pid $master) runs" "$T/out2" ||
    err "no clear message: $(cat "$T/out2")"
alive "$master" || err "the first daemon died"
end

begin "a reload with errors keeps the running agent and configuration"
a=$(kid sluice-agent)
echo 'rules = ( { name = "x"; filter = "nonesuch"; } );' >"$T/inc/bad.conf"
kill -HUP "$master"
for _ in $(seq 50); do
	grep -q 'reload of .* failed' "$T/log" && break
	sleep 0.1
done
grep -q 'reload of .* failed; the running configuration stays' "$T/log" ||
    err "no log line for the failed reload"
grep -q 'nonesuch' "$T/log" || err "the error itself is not logged"
[ "$(kid sluice-agent)" = "$a" ] || err "the agent changed"
probe first || err "the old rules do not answer"
rm -f "$T/inc/bad.conf"
end

begin "a good reload: the same agent swaps in the new rules"
conf second
n=$(grep -c 'master: reloaded' "$T/log")
kill -HUP "$master"
for _ in $(seq 100); do
	[ "$(grep -c 'master: reloaded' "$T/log")" -gt "$n" ] && break
	sleep 0.1
done
[ "$(grep -c 'master: reloaded' "$T/log")" -gt "$n" ] || err "no reload"
probe second || err "the new rules do not answer"
[ "$(kid sluice-agent)" = "$a" ] || err "the agent was restarted"
grep -q 'agent: configuration .* loaded: 1 filters (1 kept their state, 0 new)' \
    "$T/log" || err "no log line of the agent's load"
end

begin "a killed agent is restarted and answers again"
a=$(kid sluice-agent)
kill -KILL "$a"
new_kid "$master" sluice-agent "$a" >/dev/null || err "no new agent"
grep -q 'agent killed by signal 9 (Killed); restarting it in' "$T/log" ||
    err "no restart log line"
probe second || err "no answer after the restart"
end

begin "a killed launcher is restarted and filters run again"
l=$(kid sluice-launcher)
kill -KILL "$l"
new_kid "$master" sluice-launcher "$l" >/dev/null || err "no new launcher"
probe second || err "no filter run after the restart"
end

begin "SIGTERM stops everything and removes socket and pid file"
kill "$master"
wait_gone "$master" || err "the master did not stop"
wait "$master"
rc=$?
want_rc 0
master=
pgrep -f "$T/sluice.conf" >/dev/null && err "processes left"
[ -e "$T/run/sluiced.pid" ] && err "pid file left"
[ -e "$T/run/milter.sock" ] && err "socket file left"
grep -q 'master: stopped' "$T/log" || err "no 'stopped' line"
end

begin "without -f it detaches, after the checks that can fail"
"$SLUICED" -c "$T/sluice.conf" >"$T/out3" 2>&1
rc=$?
want_rc 0
master=$(cat "$T/run/sluiced.pid" 2>/dev/null)
[ -n "$master" ] && alive "$master" || err "no daemon runs"
pf_wait_port "$port" 10 && probe second || err "the daemon does not answer"
end

tap_done
