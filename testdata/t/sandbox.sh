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
cat >"$T/sluice.conf" <<EOF
user = "nobody";
run_dir = "$T/run";
spool_dir = "$T/run/spool";
include_dir = "$T/inc";
filter_dir = "$T/bin";
milter_listen = [ "inet:127.0.0.1:$port" ];
filters = ( { name = "status"; command = "status.sh"; } );
rules = ( { name = "status"; filter = "status"; } );
EOF
"$SLUICED" -f -c "$T/sluice.conf" >"$T/log" 2>&1 &
master=$!
pf_wait_port "$port" 10 || { echo "Bail out! sluiced does not start: $(tail -3 "$T/log")"; exit 1; }

# field - one field of a status file
field() {	# file name
	sed -n "s/^$2:[[:space:]]*//p" "$1"
}

nobody_uid=$(id -u nobody)
nobody_gid=$(id -g nobody)

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

tap_done
