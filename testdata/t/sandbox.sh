#!/bin/bash
# sandbox.sh - what a filter program runs with, and what it cannot do
#
# sluiced started as root: a running filter shows, in its own
# /proc/self/status, no way to gain privileges (NoNewPrivs: 1), umask
# 0077, the configured unprivileged uid and gid, seccomp and no
# capability in any set; the agent and the launcher show NoNewPrivs: 1
# and umask 0077 as well.  Then filters try to escape, through sluiced
# (running as filter_user, two runs of the same user at once) and
# through sluicectl try: a TCP socket, unshare, mount, ptrace, reading
# another message that is in flight, writing outside their run
# directory, planting a result in another run's directory or a symlink
# as their own, signalling the agent, memory, CPU time and a fork bomb
# past their limits.  Each fails the way sluice.conf(5) says, the
# message gets the filter's on_error tempfail, and sluiced serves on.
# A configuration naming root or nobody as a filter's user, or a filter
# program others may write, is refused by "sluiced -n" with the reason.
# Prints TAP.  Needs root and miltertest.  Run by testdata/run-tests.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
SLUICED=${SLUICED:-$top/build/sluiced}
SLUICECTL=${SLUICECTL:-$top/build/sluicectl}

T=$(mktemp -d /tmp/sluice-sandbox.XXXXXX) || exit 1
mkdir -p "$T/bin" "$T/inc" "$T/run" "$T/out" "$T/open"
chmod 755 "$T" "$T/bin" "$T/inc"
# out: where the filters that may (writable) leave what they saw; open:
# writable by anyone as far as the file modes go, and by no filter
chmod 1777 "$T/out" "$T/open"
TAP_RESET=1
. "$(dirname "$0")/tap.bash"
. "$(dirname "$0")/postfix.bash"	# free_port, pf_wait_port
. "$(dirname "$0")/milter.bash"	# mt_probe

[ "$(id -u)" = 0 ] || { skip_all "needs root (the filter's user differs)"; exit 0; }

master=
cleanup() {
	[ -n "$master" ] && stop_pid "$master"
	[ "${KEEP:-0}" = 1 ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

port=$(free_port) || exit 1
filter status.sh <<'EOF'
cat /proc/self/status >@T@/out/status
: >@T@/out/made
echo "add-header X-Status: seen" >"$SLUICE_RESULT"
EOF
# try.sh WHAT: one escape attempt; its exit is the verdict, its reason
# what the system said
filter try.sh <<'EOF'
case $1 in
tcp)	if bash -c 'exec 3<>/dev/tcp/127.0.0.1/9' 2>@T@/out/tcp.err; then
		r=connected
	else
		r=refused
	fi
	echo "reason $r: $(tr -d '\n' <@T@/out/tcp.err)" >"$SLUICE_RESULT"
	exit 1 ;;
unshare) exec unshare -m true ;;
mount)	exec mount -t tmpfs none @T@/out ;;
ptrace)	exec strace -o /dev/null true ;;
esac
EOF
# hold.sh: a message that stays in flight while others try to reach it;
# it says where its message is
filter hold.sh <<'EOF'
echo "$1" >@T@/out/held.path.new
mv @T@/out/held.path.new @T@/out/held.path
sleep 8
EOF
# escape.sh WHAT: one escape attempt in sluiced; exits 0 (continue, an
# accept) only when the attempt worked
filter escape.sh <<'EOF'
held=$(cat @T@/out/held.path)
case $1 in
readother)
	cat "$held" && exit 0
	exec cat "$(cat @T@/out/held.work)" ;;
plant)	echo "reject planted" >"$(dirname "$held")/result" && exit 0
	exit 3 ;;
write)	echo x >@T@/open/escaped && exit 0
	echo x >/tmp/sluice-escaped.$$ && { rm -f /tmp/sluice-escaped.$$; exit 0; }
	exit 3 ;;
symlink) ln -s /etc/passwd "$SLUICE_RESULT"; exit 0 ;;
signal)	exec kill -TERM "$(cat @T@/out/agent.pid)" ;;
memory)	exec python3 -c 'bytearray(300 << 20)' ;;
cpu)	while :; do :; done ;;
bomb)	b() { b | b & }; b; sleep 10 ;;
esac
exit 3
EOF
cat >"$T/sluice.conf" <<EOF
user = "nobody";
run_dir = "$T/run";
spool_dir = "$T/run/spool";
include_dir = "$T/inc";
filter_dir = "$T/bin";
milter_listen = [ "inet:127.0.0.1:$port" ];
filters = ( { name = "status"; command = "status.sh"; writable = [ "$T/out" ]; },
  { name = "d"; command = "try.sh %s"; sandbox = "default"; writable = [ "$T/out" ]; },
  { name = "n"; command = "try.sh %s"; sandbox = "network"; writable = [ "$T/out" ]; },
  { name = "x"; command = "try.sh %s"; sandbox = "none"; },
  { name = "hold"; command = "hold.sh %f"; writable = [ "$T/out" ]; timeout = 30; },
  { name = "e"; command = "escape.sh %s"; exit = { continue = [0]; }; },
  { name = "mem"; command = "escape.sh memory"; rlimit_memory = "128M";
    exit = { continue = [0]; }; },
  { name = "cpu"; command = "escape.sh cpu"; rlimit_cpu = 1; timeout = 60;
    exit = { continue = [0]; }; },
  { name = "bomb"; command = "escape.sh bomb"; rlimit_nproc = 40; timeout = 3;
    kill_grace = 1; exit = { continue = [0]; }; } );
rules = ( { name = "status"; filter = "status"; recipient = "b@example.net"; },
  { name = "d"; filter = "d"; recipient = "d@example.net"; },
  { name = "n"; filter = "n"; recipient = "n@example.net"; },
  { name = "x"; filter = "x"; recipient = "x@example.net"; },
  { name = "hold"; filter = "hold"; recipient = "hold@example.net"; },
  { name = "e"; filter = "e"; recipient = "e@example.net"; },
  { name = "mem"; filter = "mem"; recipient = "mem@example.net"; },
  { name = "cpu"; filter = "cpu"; recipient = "cpu@example.net"; },
  { name = "bomb"; filter = "bomb"; recipient = "bomb@example.net"; } );
EOF
"$SLUICED" -f -c "$T/sluice.conf" >"$T/log" 2>&1 &
master=$!
pf_wait_port "$port" 10 || { echo "Bail out! sluiced does not start: $(tail -3 "$T/log")"; exit 1; }

# field - one field of a status file
field() {	# file name
	sed -n "s/^$2:[[:space:]]*//p" "$1"
}

nobody_uid=$(id -u sluice-filter)
nobody_gid=$(id -g sluice-filter)

begin "a filter runs with NoNewPrivs, umask 0077, the configured user, no capabilities"
mt_probe "inet:$port@127.0.0.1" X-Status seen || err "the filter did not run"
s=$T/out/status
if [ -s "$s" ]; then
	[ "$(field "$s" NoNewPrivs)" = 1 ] || err "NoNewPrivs: $(field "$s" NoNewPrivs)"
	[ "$(field "$s" Umask)" = 0077 ] || err "Umask: $(field "$s" Umask)"
	[ "$(field "$s" Uid)" = "$nobody_uid	$nobody_uid	$nobody_uid	$nobody_uid" ] ||
	    err "Uid: $(field "$s" Uid)"
	[ "$(field "$s" Gid)" = "$nobody_gid	$nobody_gid	$nobody_gid	$nobody_gid" ] ||
	    err "Gid: $(field "$s" Gid)"
	[ "$(field "$s" Seccomp)" = 2 ] || err "Seccomp: $(field "$s" Seccomp)"
	for c in CapInh CapPrm CapEff CapBnd CapAmb; do
		[ "$(field "$s" $c)" = 0000000000000000 ] || err "$c: $(field "$s" $c)"
	done
	[ "$(stat -c %a "$T/out/made")" = 600 ] || err "a file it makes is $(stat -c %a "$T/out/made")"
else
	err "no status written"
fi
end

begin "the agent and the launcher run with NoNewPrivs and umask 0077"
for k in sluice-agent sluice-launcher; do
	p=$(pgrep -P "$master" -x "$k" | head -1)
	if [ -z "$p" ]; then
		err "no $k"
		continue
	fi
	[ "$(field /proc/$p/status NoNewPrivs)" = 1 ] || err "$k NoNewPrivs"
	[ "$(field /proc/$p/status Umask)" = 0077 ] || err "$k Umask"
done
end

# attempt - sluicectl try as root: the attempt WHAT under profile P;
# trace in $T/try
attempt() {	# profile what
	"$SLUICECTL" try -c "$T/sluice.conf" -f "$2" -r "$1@example.net" \
	    "$top/testdata/messages/plain.eml" >"$T/try" 2>&1
}

begin "default profile: a TCP socket is refused with EPERM, the filter says so"
attempt d tcp
grep -q 'reply: 550 5.7.1 .*refused: .*Operation not permitted' "$T/try" ||
    err "$(grep -E 'reply|error' "$T/try")"
end

begin "network profile: the same socket is made (and the port is closed)"
attempt n tcp
grep -q 'reply: 550 5.7.1 .*refused: .*Connection refused' "$T/try" ||
    err "$(grep -E 'reply|error' "$T/try")"
end

for what in unshare mount ptrace; do
	begin "default profile: $what kills the filter, the error names the sandbox"
	attempt d "$what"
	grep -q "error: signal=31 (Bad system call): a system call that the sandbox profile \"default\" forbids" "$T/try" ||
	    err "$(grep -E 'status|reply|error' "$T/try")"
	grep -q 'reply: 451 ' "$T/try" || err "not the on_error tempfail"
	mountpoint -q "$T/out" && { umount "$T/out"; err "mounted"; }
	end
done

begin "a spool beside special file systems (sluicectl's under /dev/shm, beside /dev/mqueue): runs go on"
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
	TMPDIR=/dev/shm "$SLUICECTL" try -c "$T/sluice.conf" -f tcp \
	    -r d@example.net "$top/testdata/messages/plain.eml" >"$T/try" 2>&1
	grep -q 'reply: 550 5.7.1 .*refused: .*Operation not permitted' "$T/try" ||
	    err "$(grep -E 'status|reply|error' "$T/try")"
fi
end

begin "profile none: no seccomp (unshare under sluicectl try as root works)"
attempt x unshare
grep -q 'status: exit=0' "$T/try" || err "$(grep -E 'status|error' "$T/try")"
end

begin "sluiced: a forbidden call is the run's error in the log, and sluiced serves on"
cat >"$T/probe-d.lua" <<EOF
local conn = mt.connect("inet:$port@127.0.0.1")
mt.conninfo(conn, "client.test", "192.0.2.1")
mt.helo(conn, "client.test")
mt.mailfrom(conn, "<ptrace>")
mt.rcptto(conn, "<d@example.net>")
if mt.test_option(conn, SMFIP_NODATA) == false then mt.data(conn) end
mt.header(conn, "Subject", "probe")
mt.eoh(conn)
mt.bodystring(conn, "body\r\n")
mt.eom(conn)
assert(mt.getreply(conn) == SMFIR_REPLYCODE, "not a tempfail reply")
mt.disconnect(conn)
EOF
miltertest -s "$T/probe-d.lua" >>"$T/trace" 2>&1 || err "miltertest: $(tail -3 "$T/trace")"
grep -q 'filter=d error: signal=31 (Bad system call): a system call that the sandbox profile "default" forbids' "$T/log" ||
    err "no log line: $(grep 'filter=d' "$T/log" | tail -2)"
mt_probe "inet:$port@127.0.0.1" X-Status seen || err "sluiced does not serve on"
end

# send - one message from <sender> to <rcpt> with queue id qid through
# sluiced; true when the reply is the one given (tempfail: sluice's 451
# reply; accept)
send() {	# qid sender rcpt tempfail|accept
	local want
	case $4 in
	tempfail) want=SMFIR_REPLYCODE ;;
	*) want=SMFIR_ACCEPT ;;
	esac
	cat >"$T/send-$1.lua" <<-EOF
	local conn = mt.connect("inet:$port@127.0.0.1")
	assert(conn, "connect")
	mt.conninfo(conn, "client.test", "192.0.2.1")
	mt.helo(conn, "client.test")
	mt.macro(conn, SMFIC_MAIL, "i", "$1")
	mt.mailfrom(conn, "<$2>")
	mt.rcptto(conn, "<$3>")
	if mt.test_option(conn, SMFIP_NODATA) == false then mt.data(conn) end
	mt.header(conn, "Subject", "escape $1")
	mt.eoh(conn)
	mt.bodystring(conn, "the secret of $1\r\n")
	mt.eom(conn)
	local r = mt.getreply(conn)
	if r ~= $want and not ("$4" == "accept" and r == SMFIR_CONTINUE) then
		print("reply " .. tostring(r) .. ", expected $4")
		os.exit(1)
	end
	mt.disconnect(conn)
	EOF
	miltertest -s "$T/send-$1.lua" >>"$T/trace" 2>&1
}

# logged - the log has a line of message qid matching the pattern
logged() {	# qid pattern
	grep "^.*$1: " "$T/log" | grep -q -- "$2"
}

agent_pid=$(pgrep -P "$master" -x sluice-agent | head -1)
echo "$agent_pid" >"$T/out/agent.pid"
chmod 644 "$T/out/agent.pid"

# a message in flight, of the same filter user, for the next cases;
# out/held.path says where its run has it, out/held.work where its work
# directory in the spool does (the one work directory there)
hold_start() {
	local w
	rm -f "$T/out/held.path" "$T/out/held.work"
	send HOLD1 a@example.org hold@example.net tempfail &
	holder=$!
	for _ in $(seq 50); do
		if [ -s "$T/out/held.path" ]; then
			w=$(find "$T/run/spool" -mindepth 2 -maxdepth 2 \
			    -name message ! -path '*/.runs/*')
			[ "$(echo "$w" | wc -l)" -eq 1 ] && [ -n "$w" ] ||
			    return 1
			echo "$w" >"$T/out/held.work"
			chmod 644 "$T/out/held.work"
			return 0
		fi
		sleep 0.1
	done
	return 1
}

begin "reading another message in flight (its run directory and its work directory) fails; on_error"
if hold_start; then
	send ESC1 readother e@example.net tempfail || err "$(tail -1 "$T/trace")"
	n=$(grep "^.*ESC1: filter=e stderr: cat: " "$T/log" |
	    grep -c 'Permission denied')
	[ "$n" -eq 2 ] ||
	    err "$n Permission denied, expected 2: $(grep 'ESC1: filter=e' "$T/log" | head -3)"
	logged ESC1 'filter=e stdout: the secret' && err "it read the message"
	logged ESC1 'filter=e error: exit code 1 is not mapped' ||
	    err "not the filter's error: $(grep 'ESC1:' "$T/log" | tail -2)"
else
	err "the held message did not start"
fi
end

begin "planting a result file in another run's directory fails; on_error"
if [ -s "$T/out/held.path" ] && [ -d "$(dirname "$(cat "$T/out/held.path")")" ]; then
	send ESC2 plant e@example.net tempfail || err "$(tail -1 "$T/trace")"
	logged ESC2 'Permission denied' || err "$(grep 'ESC2:' "$T/log" | head -3)"
	logged ESC2 'exit code 3 is not mapped' || err "$(grep 'ESC2:' "$T/log" | tail -1)"
else
	err "the held message is gone"
fi
end
wait "$holder" 2>/dev/null

begin "writing outside the run directory fails, even where the file modes allow it"
send ESC3 write e@example.net tempfail || err "$(tail -1 "$T/trace")"
[ -e "$T/open/escaped" ] && err "it wrote $T/open/escaped"
logged ESC3 'Permission denied' || err "$(grep 'ESC3:' "$T/log" | head -3)"
logged ESC3 'exit code 3 is not mapped' || err "$(grep 'ESC3:' "$T/log" | tail -1)"
end

begin "a symlink as the result file is refused; on_error"
send ESC4 symlink e@example.net tempfail || err "$(tail -1 "$T/trace")"
logged ESC4 'filter=e error: result file: not a regular file' ||
    err "$(grep 'ESC4:' "$T/log" | tail -2)"
end

begin "signalling the agent fails; the agent lives on"
send ESC5 signal e@example.net tempfail || err "$(tail -1 "$T/trace")"
logged ESC5 'filter=e stderr: .*\(Operation not permitted\|No such process\)' ||
    err "$(grep 'ESC5:' "$T/log" | head -3)"
[ "$(pgrep -P "$master" -x sluice-agent | head -1)" = "$agent_pid" ] ||
    err "the agent changed: $(pgrep -P "$master" -x sluice-agent)"
end

begin "allocating past rlimit_memory fails; on_error"
send ESC6 a@example.org mem@example.net tempfail || err "$(tail -1 "$T/trace")"
logged ESC6 'filter=mem stderr: MemoryError' ||
    err "$(grep 'ESC6:' "$T/log" | head -3)"
logged ESC6 'filter=mem error: exit code 1 is not mapped' ||
    err "$(grep 'ESC6:' "$T/log" | tail -1)"
end

begin "running past rlimit_cpu: SIGXCPU, the error names the limit; on_error"
send ESC7 a@example.org cpu@example.net tempfail || err "$(tail -1 "$T/trace")"
logged ESC7 'filter=cpu error: signal=24 (CPU time limit exceeded): past its CPU time limit (rlimit_cpu 1 s)' ||
    err "$(grep 'ESC7:' "$T/log" | tail -2)"
end

begin "a fork bomb meets rlimit_nproc and its timeout; nothing of it is left; on_error"
send ESC8 a@example.org bomb@example.net tempfail || err "$(tail -1 "$T/trace")"
logged ESC8 'filter=bomb error: timed out' ||
    err "$(grep 'ESC8:' "$T/log" | tail -2)"
logged ESC8 'filter=bomb stderr: .*Cannot fork' || err "no fork failed"
sleep 0.5
left=$(pgrep -u sluice-filter | wc -l)
[ "$left" -eq 0 ] || err "$left processes of sluice-filter left: $(pgrep -a -u sluice-filter | head -3)"
end

begin "after all that sluiced serves on, and nothing is left in the spool"
mt_probe "inet:$port@127.0.0.1" X-Status seen || err "sluiced does not serve on"
want_spool_idle "$T/run/spool"
end

# refused - sluiced -n on a config with this filter; the reason is printed
refused() {	# filter-keys pattern
	cat >"$T/bad.conf" <<-EOF
	run_dir = "$T/run2";
	spool_dir = "$T/run2/spool";
	include_dir = "$T/inc";
	filter_dir = "$T/bin";
	filters = ( { name = "f"; $1 } );
	EOF
	"$SLUICED" -n -c "$T/bad.conf" >"$T/n.out" 2>&1 && err "accepted"
	grep -q -- "$2" "$T/n.out" || err "$(cat "$T/n.out")"
}

begin "sluiced -n refuses root as a filter's user, with the reason"
refused 'command = "status.sh"; user = "root";' 'filter "f": user "root" is root; a filter runs as a user of its own'
end

begin "sluiced -n refuses nobody as a filter's user, with the reason"
refused 'command = "status.sh"; user = "nobody";' 'filter "f": user "nobody" is nobody'
end

begin "sluiced -n refuses sluice's own user as a filter's user"
refused 'command = "status.sh"; user = "sluice";' "filter \"f\": user \"sluice\" is sluice's own user"
end

begin "sluiced -n refuses a filter program others may write, with the reason"
cp "$T/bin/status.sh" "$T/bin/open.sh"
chmod 777 "$T/bin/open.sh"
refused 'command = "open.sh";' 'open.sh is writable by everyone (mode 0777); only its owner may write it'
end

begin "sluiced -n prints each filter's user, group, profile and limits"
"$SLUICED" -n -c "$T/sluice.conf" >"$T/n.out" 2>&1 || err "refused: $(cat "$T/n.out")"
grep -q "^filter mem: user sluice-filter (uid $(id -u sluice-filter)), group sluice-filter (gid $(id -g sluice-filter)); sandbox default (seccomp, Landlock); limits cpu 60s, memory 128M, fsize 1G, nofile 1024, nproc 256; timeout 60.000s$" "$T/n.out" ||
    err "$(grep 'filter mem' "$T/n.out")"
grep -q "^filter hold: may write $T/out$" "$T/n.out" || err "no writable line"
end

tap_done
