#!/bin/bash
# reaper.sh - nothing a filter starts outlives its run
#
# A filter that puts a child in a session of its own (setsid) or
# double-forks, then hangs past its timeout or simply exits: afterwards
# no process of that run is left.  The same when sluiced stops in the
# middle of a run, when the launcher is killed, and for sluicectl try;
# and killed keepers or a restarted launcher cost the next runs nothing.
# Each leftover is a "sleep" with a number of its own, found by pgrep.
# Prints TAP.  Needs miltertest.  Run by testdata/run-tests.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
SLUICED=${SLUICED:-$BUILD/sluiced}
SLUICECTL=${SLUICECTL:-$BUILD/sluicectl}

T=$(mktemp -d /tmp/sluice-reaper.XXXXXX) || exit 1
mkdir -p "$T/bin" "$T/inc" "$T/run"
chmod 755 "$T" "$T/bin" "$T/inc"
TAP_RESET=1
. "$(dirname "$0")/tap.bash"
. "$(dirname "$0")/postfix.bash"	# free_port, pf_wait_port
. "$(dirname "$0")/milter.bash"	# mt_probe

# a number no other process uses in its command line
tag=$((600000 + $$ % 100000))
master=
cleanup() {
	[ -n "$master" ] && stop_pid "$master"
	pkill -KILL -f "sleep $tag" 2>/dev/null
	[ "${KEEP:-0}" = 1 ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

port=$(free_port) || exit 1
# escape.sh HOW WAIT: leave "sleep TAG.N" processes behind, then wait
# (hang) or not; HOW is setsid or double (fork twice, the middle exits)
filter escape.sh <<EOF
case \$1 in
setsid)	setsid sleep $tag.1 </dev/null >/dev/null 2>&1 &
	setsid sh -c 'sleep $tag.2 & exec sleep $tag.3' </dev/null >/dev/null 2>&1 & ;;
double)	( ( exec sleep $tag.4 ) </dev/null >/dev/null 2>&1 & ) ;;
esac
sleep 0.3
[ "\$2" = hang ] && exec sleep $tag.9
echo "add-header X-Escape: done" >"\$SLUICE_RESULT"
exit 0
EOF
cat >"$T/sluice.conf" <<EOF
user = "$(id -un)";
run_dir = "$T/run";
spool_dir = "$T/run/spool";
include_dir = "$T/inc";
filter_dir = "$T/bin";
milter_listen = [ "inet:127.0.0.1:$port" ];
filters = ( { name = "escape"; command = "escape.sh %q"; timeout = 2;
    kill_grace = 1; on_error = "skip"; } );
rules = ( { name = "escape"; filter = "escape"; } );
EOF

# left - the leftover processes of this suite, one line each
left() {
	pgrep -a -f "sleep $tag" 2>/dev/null
}

# none_left_within - true when no leftover exists within N seconds
none_left_within() {	# seconds
	local n=$(($1 * 10))
	while [ "$n" -gt 0 ]; do
		[ -z "$(left)" ] && return 0
		sleep 0.1
		n=$((n - 1))
	done
	echo "left behind: $(left | tr '\n' ';')"
	# so that the next check starts clean
	pkill -KILL -f "sleep $tag" 2>/dev/null
	return 1
}

# err_if_left - a failed check when leftovers are there after N seconds
err_if_left() {	# seconds
	local msg
	msg=$(none_left_within "$1") || err "$msg"
}

# conf_how - the filter's arguments
conf_how() {	# how wait
	sed -i "s|command = \"escape.sh [^\"]*\"|command = \"escape.sh $1 $2\"|" \
	    "$T/sluice.conf"
}

# start - sluiced in the foreground
start() {
	"$SLUICED" -f -c "$T/sluice.conf" >>"$T/log" 2>&1 &
	master=$!
	pf_wait_port "$port" 10 || err "nothing listens on $port"
}

# stop - sluiced stopped
stop() {
	stop_pid "$master"
	wait "$master" 2>/dev/null
	master=
}

begin "sluicectl try: a filter's setsid children die with its run"
conf_how setsid exit
"$SLUICECTL" try -c "$T/sluice.conf" -f a@example.org -r b@example.net \
    "$top/testdata/messages/plain.eml" >"$T/try" 2>&1
grep -q 'add-header X-Escape: done' "$T/try" || err "the filter did not run: $(cat "$T/try")"
err_if_left 3
end

for how in setsid double; do
	begin "sluiced: $how children of a filter that exits die with its run"
	conf_how "$how" exit
	start
	mt_probe "inet:$port@127.0.0.1" X-Escape done || err "no header"
	err_if_left 3
	stop
	end

	begin "sluiced: $how children of a filter that hangs die at its timeout"
	conf_how "$how" hang
	start
	# on_error = skip: the message passes without the header
	mt_probe "inet:$port@127.0.0.1" X-Escape done && err "the filter did not time out"
	grep -q 'filter=escape error: timed out\|filter=escape .*timeout' "$T/log" ||
	    err "no timeout logged: $(tail -3 "$T/log")"
	err_if_left 3
	stop
	end
done

# a run in flight: start a message in the background, wait for its
# leftovers to exist, then do something to sluiced
inflight() {
	conf_how setsid hang
	sed -i 's/timeout = 2;/timeout = 120;/' "$T/sluice.conf"
	start
	mt_probe "inet:$port@127.0.0.1" X-Escape done >/dev/null 2>&1 &
	probe=$!
	for _ in $(seq 50); do
		[ -n "$(left)" ] && break
		sleep 0.1
	done
	[ -n "$(left)" ] || err "the filter did not start"
}

begin "sluiced stopped during a run: the run and its setsid children die"
inflight
kill "$master"
sleep 0.5
kill "$master"			# a second stop signal: at once
wait "$master" 2>/dev/null
master=
err_if_left 5
kill "$probe" 2>/dev/null
wait "$probe" 2>/dev/null
sed -i 's/timeout = 120;/timeout = 2;/' "$T/sluice.conf"
end

begin "launcher killed during a run: the run and its setsid children die"
inflight
l=$(pgrep -P "$master" -x sluice-launcher)
[ -n "$l" ] && kill -KILL "$l"
err_if_left 5
stop
kill "$probe" 2>/dev/null
wait "$probe" 2>/dev/null
sed -i 's/timeout = 120;/timeout = 2;/' "$T/sluice.conf"
end

# the agent keeps its channels to idle keepers from run to run: one
# whose keeper is gone must cost the next message nothing
begin "idle keepers killed, then the launcher: the next messages' filter still runs"
conf_how setsid exit
off=$(stat -c %s "$T/log")
start
mt_probe "inet:$port@127.0.0.1" X-Escape done || err "no header at first"
pkill -KILL -x sluice-keeper
sleep 0.2
mt_probe "inet:$port@127.0.0.1" X-Escape done ||
    err "no header after the keepers died: $(grep 'filter=escape' "$T/log" | tail -2)"
l=$(pgrep -P "$master" -x sluice-launcher)
[ -n "$l" ] && kill -KILL "$l"
if new_kid "$master" sluice-launcher "$l" >/dev/null; then
	mt_probe "inet:$port@127.0.0.1" X-Escape done ||
	    err "no header after the launcher's restart: $(grep 'filter=escape' "$T/log" | tail -2)"
else
	err "the launcher was not restarted"
fi
tail -c +$((off + 1)) "$T/log" | grep 'filter=escape error' >"$T/errors"
[ -s "$T/errors" ] && err "a run failed: $(tail -1 "$T/errors")"
err_if_left 3
stop
end

tap_done
