#!/bin/bash
# sandbox.sh - what a filter program runs with, seen from inside it
#
# sluiced started as root: a running filter shows, in its own
# /proc/self/status, no way to gain privileges (NoNewPrivs: 1), umask
# 0077, the configured unprivileged uid and gid and no capabilities; the
# agent and the launcher show NoNewPrivs: 1 and umask 0077 as well.
# Prints TAP.  Needs root and miltertest.  Run by testdata/run-tests.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
SLUICED=${SLUICED:-$top/build/sluiced}

T=$(mktemp -d /tmp/sluice-sandbox.XXXXXX) || exit 1
mkdir -p "$T/bin" "$T/inc" "$T/run" "$T/out"
chmod 755 "$T" "$T/bin" "$T/inc"
chmod 1777 "$T/out"
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
  { name = "x"; command = "try.sh %s"; sandbox = "none"; } );
rules = ( { name = "status"; filter = "status"; recipient = "b@example.net"; },
  { name = "d"; filter = "d"; recipient = "d@example.net"; },
  { name = "n"; filter = "n"; recipient = "n@example.net"; },
  { name = "x"; filter = "x"; recipient = "x@example.net"; } );
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
	for c in CapInh CapPrm CapEff CapAmb; do
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
	"$top/build/sluicectl" try -c "$T/sluice.conf" -f "$2" -r "$1@example.net" \
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

begin "profile none: no seccomp (unshare as root works)"
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

tap_done
