#!/bin/bash
# miltertest.sh - the milter front end of sluiced, driven by miltertest
#
# Each scenario is testdata/miltertest/NAME.lua with its filters and
# rules in NAME.conf (where @T@ stands for the scenario's directory).
# For each one this suite starts a sluiced of its own, as root with
# user nobody (the filters run as sluice-filter, the default
# filter_user), listening on a free TCP port and a unix socket; runs the
# script with miltertest -vvvv; checks the "-- log:", "-- nolog:" and
# "-- trace:" lines at the top of the script (see common.lua) against
# the daemon's log and miltertest's output, and that the spool holds no
# work directory and its .runs no run directory; and at the end that
# each daemon stopped cleanly on SIGTERM, without a sanitizer report.
# Filters are shell scripts: "say" (below) for every scenario, and
# NAME.sh, installed as NAME.sh, for one.
# A filter that writes into S/out (owned by sluice-filter) names it in
# its "writable" list; it may write nothing else but its run directory.
# The daemons wind down in parallel while the next scenarios run.
# Prints TAP, and a comment with the run time of each scenario.  Needs
# root and miltertest; without them each scenario's tests are skipped.
# Run by testdata/run-tests, or by hand:
#   SLUICED=build/asan/sluiced bash testdata/t/miltertest.sh [NAME...]
# MT_KEEP=1 keeps the temporary directory with the logs and traces.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
SLUICED=${SLUICED:-$top/${BUILD:-build}/sluiced}
case $SLUICED in /*) ;; *) SLUICED=$PWD/$SLUICED ;; esac
MT=$top/testdata/miltertest

. "$(dirname "$0")/tap.bash"

# the scenarios: those named, or each NAME.lua that has a NAME.conf
if [ $# -gt 0 ]; then
	names=("$@")
else
	names=()
	for f in "$MT"/*.lua; do
		n=$(basename "$f" .lua)
		[ -f "$MT/$n.conf" ] && names+=("$n")
	done
fi

# Without root or miltertest nothing can run: each scenario's tests (the
# four of run_scenario and the one of stop_all) are skipped.
why=
if [ "$(id -u)" -ne 0 ]; then
	why="needs root (sluiced switches to users nobody and sluice-filter)"
elif ! command -v miltertest >/dev/null; then
	why="miltertest is not installed"
fi
if [ -n "$why" ]; then
	for n in "${names[@]}"; do
		for t in "sluiced starts" "miltertest script passes" \
		    "the log has the expected lines" \
		    "no work or run directory is left in the spool" \
		    "sluiced stops cleanly"; do
			skip "$n: $t" "$why"
		done
	done
	tap_done
	exit
fi

T=$(mktemp -d /tmp/sluice-mt.XXXXXX) || exit 1
chmod 755 "$T"
pids=()

# cleanup - kill daemons a failed run left behind, remove T
cleanup() {
	local p
	for p in "${pids[@]}"; do
		alive "$p" && kill -KILL "$p" 2>/dev/null
	done
	[ -n "${MT_KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# free_port - a TCP port on 127.0.0.1 that nothing listens on now
free_port() {
	perl -MIO::Socket::INET -e '
	    my $s = IO::Socket::INET->new(Listen => 1, ReuseAddr => 1,
		LocalAddr => "127.0.0.1", LocalPort => 0) or die "$!\n";
	    print $s->sockport, "\n";'
}

# ms - milliseconds since the epoch
ms() {
	echo $(($(date +%s%N) / 1000000))
}

# setup - the scenario's directory S: filters, config fragment, main file
setup() {	# name
	local name=$1
	S=$T/$name
	mkdir -p "$S/bin" "$S/inc" "$S/out"
	chmod 755 "$S" "$S/bin" "$S/inc"
	chown sluice-filter "$S/out"
	cat >"$S/bin/say" <<'EOF'
#!/bin/sh
# say CODE [LINE...] - write each LINE to the result file, exit CODE
code=$1
shift
[ $# -gt 0 ] && printf '%s\n' "$@" >"$SLUICE_RESULT"
exit "$code"
EOF
	if [ -f "$MT/$name.sh" ]; then
		sed "s|@T@|$S|g" "$MT/$name.sh" >"$S/bin/$name.sh"
	fi
	chmod 755 "$S"/bin/*
	sed "s|@T@|$S|g" "$MT/$name.conf" >"$S/inc/$name.conf"
}

# start - a sluiced for S on a free port; sets PORT and PID, 0 when up
start() {
	local try i
	for try in 1 2 3; do
		PORT=$(free_port) || return 1
		cat >"$S/sluice.conf" <<EOF
user = "nobody";
run_dir = "$S/run";
spool_dir = "$S/spool";
include_dir = "$S/inc";
filter_dir = "$S/bin";
milter_listen = [ "inet:127.0.0.1:$PORT", "unix:milter.sock" ];
EOF
		"$SLUICED" -f -c "$S/sluice.conf" >"$S/log" 2>&1 &
		PID=$!
		# the master listens before it says so: no probe connection
		for i in $(seq 100); do
			grep -q 'sluiced started' "$S/log" && return 0
			alive "$PID" || break
			sleep 0.05
		done
		alive "$PID" && { pids+=("$PID"); return 1; }
		wait "$PID" 2>/dev/null
		cp "$S/log" "$S/log.$try"
	done
	return 1
}

# spool_left - what is in the spool but its .runs, and in .runs (as
# .runs/NAME/FILE) what an idle run directory does not hold (its
# recipients file and an empty tmp/: the agent keeps them for the next
# run), after waiting up to about 5 s for the daemon to finish a
# connection that the script dropped; "no .runs" when it is missing
spool_left() {
	local i left
	for i in $(seq 50); do
		if [ ! -d "$S/spool/.runs" ]; then
			left="no .runs"
		else
			left=$(ls -A "$S/spool" | grep -vx '\.runs'
			    runs_busy "$S/spool/.runs" | sed 's|^|.runs/|')
		fi
		[ -z "$left" ] && return 0
		sleep 0.1
	done
	echo "$left"
}

# expect_lines - the "-- KEY: text" lines at the top of a scenario
expect_lines() {	# key lua
	sed -n "s/^-- $1: //p" "$2"
}

# has_line - a line of the file starts with the text
has_line() {	# text file
	L=$1 awk 'index($0, ENVIRON["L"]) == 1 { f = 1 } END { exit !f }' "$2"
}

# nofd - trace lines without the descriptor in "mt_milter_read(3):",
# which depends on what miltertest inherits (flock(1) leaves it fd 3)
nofd() {
	sed -E 's/(mt_[a-z_]+)\([0-9]+\)/\1(N)/g'
}

# run_scenario - one scenario, three or four test cases
run_scenario() {	# name
	local name=$1 lua=$MT/$1.lua t0 t1 rc line left
	setup "$name"
	t0=$(ms)
	begin "$name: sluiced starts"
	if ! start; then
		err "sluiced did not start:" "$(tail -5 "$S/log")"
		end
		return
	fi
	end
	pids+=("$PID")
	stopped+=("$name:$PID")

	begin "$name: miltertest script passes"
	miltertest -vvvv -D DIR="$MT" -D T="$S" \
	    -D INET="inet:$PORT@127.0.0.1" -D UNIX="unix:$S/run/milter.sock" \
	    -s "$lua" >"$S/trace" 2>&1
	rc=$?
	t1=$(ms)
	if [ "$rc" -ne 0 ] || [ "$(tail -1 "$S/trace")" != ok ]; then
		if grep -q '^FAIL: ' "$S/trace"; then
			err "miltertest exited $rc:" "$(grep '^FAIL: ' "$S/trace")"
		else
			err "miltertest exited $rc:" "$(tail -3 "$S/trace")"
		fi
	fi
	nofd <"$S/trace" >"$S/trace.nofd"
	while IFS= read -r line; do
		grep -qF -- "$(printf '%s\n' "$line" | nofd)" \
		    "$S/trace.nofd" || err "miltertest did not print: $line"
	done < <(expect_lines trace "$lua")
	end

	begin "$name: the log has the expected lines"
	while IFS= read -r line; do
		has_line "sluiced: $line" "$S/log" ||
		    err "log lacks a line starting: sluiced: $line"
	done < <(expect_lines log "$lua")
	while IFS= read -r line; do
		! grep -qF -- "$line" "$S/log" || err "log has: $line"
	done < <(expect_lines nolog "$lua")
	[ ${#terrs[@]} -eq 0 ] || err "log:" "$(grep -v master: "$S/log")"
	end

	begin "$name: no work or run directory is left in the spool"
	left=$(spool_left)
	[ -z "$left" ] || err "left: $left"
	end

	# stop it now; the next scenarios run while it winds down
	kill -TERM "$PID"
	times+=("$name $((t1 - t0))")
}

# stop_all - each daemon exits 0 on SIGTERM, with no sanitizer report
stop_all() {
	local e name pid rc
	for e in "${stopped[@]}"; do
		name=${e%%:*}
		pid=${e##*:}
		S=$T/$name
		begin "$name: sluiced stops cleanly"
		if ! wait_gone "$pid" && ! wait_gone "$pid" &&
		    ! wait_gone "$pid"; then
			err "still running 15 s after SIGTERM"
			kill -KILL "$pid"
		fi
		wait "$pid"
		rc=$?
		[ "$rc" -eq 0 ] || err "exit status $rc"
		grep -q 'master: stopped' "$S/log" || err "no 'stopped' line"
		if grep -qE 'Sanitizer|runtime error|agent (killed|exited with status [1-9])' \
		    "$S/log"; then
			err "$(grep -E -A12 'Sanitizer|runtime error|agent (killed|exited)' \
			    "$S/log" | head -40)"
		fi
		end
	done
}

stopped=()
times=()
for n in "${names[@]}"; do
	run_scenario "$n"
done
t0=$(ms)
stop_all
echo "# ms from start to the script's end: ${times[*]};" \
    "stopping all: $(($(ms) - t0))"

tap_done
