# tap.bash - what the shell suites share: TAP output, test cases, helpers
#
# Sourced by every testdata/t/*.sh (after they set T, their private
# temporary directory, if they use one).  Every TAP line names its suite:
# "ok N - SUITE: WHAT", SUITE being the script's name without .sh (or
# $TAP_SUITE).  A test is either
#   begin WHAT; checks that call "err WHY"; end
#	a test case; end prints the TAP line with diagnostics: the
#	reasons, then $T/trace and $T/stderr
#   pass WHAT   or   fail WHAT [WHY...]
#	a result known at once
#   skip WHAT REASON
#	a test that cannot run here: "ok N - SUITE: WHAT # SKIP REASON",
#	which testdata/run-tests counts as skipped, never as passed
# skip_all REASON prints the plan "1..0 # SKIP REASON" and exits 0.  A
# suite ends with "tap_done": the plan, a summary comment, and status 1
# when a test failed.  Set TAP_RESET=1 to empty $T/trace and $T/stderr
# at each begin.

TAP_SUITE=${TAP_SUITE:-$(basename "$0" .sh)}
ntest=0
nfail=0
nskip=0
terrs=()

# tap_line - print one numbered TAP line; "#" in WHAT is escaped so that
# it cannot pass for a directive
tap_line() {	# ok|"not ok" what [directive]
	local what=${2//\#/\\#}
	ntest=$((ntest + 1))
	printf '%s %d - %s: %s%s\n' "$1" "$ntest" "$TAP_SUITE" "$what" \
	    "${3:+ # $3}"
}

# diag - each argument as "# " comment lines, at most 12 lines each
diag() {	# text...
	local e
	for e in "$@"; do
		printf '%s\n' "$e" | head -12 | sed 's/^/# /'
	done
}

# pass - one test that passed
pass() {	# what
	tap_line ok "$1"
}

# fail - one test that failed, with the reasons
fail() {	# what [why...]
	local what=$1
	shift
	nfail=$((nfail + 1))
	tap_line "not ok" "$what"
	diag "$@"
}

# skip - one test that cannot run here, and why
skip() {	# what reason
	nskip=$((nskip + 1))
	tap_line ok "$1" "SKIP $2"
}

# skip_all - the whole suite cannot run here: an empty plan, exit 0
skip_all() {	# reason
	echo "1..0 # SKIP $1"
	exit 0
}

# tap_done - the plan and a summary; 1 when a test failed
tap_done() {
	echo "1..$ntest"
	echo "# $((ntest - nfail - nskip)) passed, $nfail failed," \
	    "$nskip skipped"
	[ "$nfail" -eq 0 ]
}

# unpriv - make UNPRIV a command prefix that runs a command without
# root's privileges, for the checks that mean nothing as root (a file
# its owner may not read, a directory its owner may not write).  Not
# root: UNPRIV is empty and the command runs as the caller.  Root: setpriv
# to the system user $SLUICE_TEST_USER (sluicetest), made with useradd if
# it is missing, no supplementary groups.  Sets UNPRIV_USER; returns 1
# with the reason in UNPRIV_WHY when there is no such user.
unpriv() {
	local u uid gid
	UNPRIV=()
	UNPRIV_USER=$(id -un)
	UNPRIV_WHY=
	[ "$(id -u)" -eq 0 ] || return 0
	u=${SLUICE_TEST_USER:-sluicetest}
	if ! id -u "$u" >/dev/null 2>&1 &&
	    ! useradd --system --user-group --no-create-home \
	    --home-dir /nonexistent --shell /usr/sbin/nologin "$u" \
	    >/dev/null 2>&1 &&
	    ! id -u "$u" >/dev/null 2>&1; then	# or made meanwhile
		UNPRIV_WHY="no user $u, and useradd failed"
		return 1
	fi
	uid=$(id -u "$u")
	gid=$(id -g "$u")
	if [ "$uid" -eq 0 ]; then
		UNPRIV_WHY="user $u is root"
		return 1
	fi
	if ! command -v setpriv >/dev/null 2>&1; then
		UNPRIV_WHY="setpriv is not installed"
		return 1
	fi
	UNPRIV=(setpriv --reuid="$uid" --regid="$gid" --clear-groups --)
	if ! "${UNPRIV[@]}" true 2>/dev/null; then
		UNPRIV=()
		UNPRIV_WHY="setpriv to $u fails"
		return 1
	fi
	UNPRIV_USER=$u
}

# unpriv_can - the user of UNPRIV passes "test OP PATH" for each path:
# the path's ancestors are searchable by it, and the file allows OP
unpriv_can() {	# op path...
	local op=$1 p
	shift
	for p in "$@"; do
		"${UNPRIV[@]}" test "$op" "$p" 2>/dev/null || return 1
	done
}

# begin - start one test case
begin() {	# description
	tname=$1
	terrs=()
	if [ "${TAP_RESET:-0}" = 1 ]; then
		: >"$T/trace"
		: >"$T/stderr"
	fi
}

# err - note why the current test fails
err() {
	terrs+=("$@")
}

# end - print the TAP line of the current test, with diagnostics
end() {
	if [ ${#terrs[@]} -eq 0 ]; then
		pass "$tname"
		return
	fi
	fail "$tname" "${terrs[@]}"
	if [ -s "$T/trace" ]; then
		echo "# trace:"
		head -25 "$T/trace" | cat -v | sed 's/^/#   /'
	fi
	if [ -s "$T/stderr" ]; then
		echo "# stderr:"
		head -8 "$T/stderr" | cat -v | sed 's/^/#   /'
	fi
}

# alive - is pid a running (not zombie) process
alive() {	# pid
	local s
	s=$(sed -n 's/^.*) \(.\).*/\1/p' "/proc/$1/stat" 2>/dev/null)
	[ -n "$s" ] && [ "$s" != Z ]
}

# wait_gone - poll up to about 5 s for pid to be gone; 0 when it is
wait_gone() {	# pid
	local _
	for _ in $(seq 50); do
		alive "$1" || return 0
		sleep 0.1
	done
	return 1
}

# stop_pid - SIGTERM, up to about 10 s to end, then SIGKILL; 0 when it
# ended of itself
stop_pid() {	# pid
	kill "$1" 2>/dev/null
	wait_gone "$1" || wait_gone "$1" || { kill -KILL "$1" 2>/dev/null;
	    return 1; }
}

# new_kid - wait up to about 10 s for a child of sluiced's master with
# this process name other than old; print its pid.  0 when one came.
new_kid() {	# master name old
	local _ k
	for _ in $(seq 100); do
		k=$(pgrep -P "$1" -x "$2" | head -1)
		if [ -n "$k" ] && [ "$k" != "$3" ]; then
			echo "$k"
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# runs_busy - what a spool's .runs holds that an idle run directory
# does not (its recipients file and an empty tmp/, which the agent
# keeps for the next run; an idle work directory is empty), one
# NAME/FILE per line
runs_busy() {	# runs-dir
	(cd "$1" && find . -mindepth 2 | sed 's|^\./||' |
	    grep -Ev '^[^/]+/(recipients|tmp)$')
}

# want_spool_idle - a running sluiced's spool holds no work directory,
# only .runs, and .runs only idle run directories: no message, nothing
# a run made
want_spool_idle() {	# spool-dir
	local left
	left=$(find "$1" -mindepth 1 -maxdepth 1 ! -name .runs 2>/dev/null)
	[ -z "$left" ] || err "left in the spool:" $left
	if [ -d "$1/.runs" ]; then
		left=$(runs_busy "$1/.runs")
		[ -z "$left" ] || err "left in .runs:" $left
	else
		err "the spool has no .runs"
	fi
}

# filter - write an executable shell filter into $T/bin; @T@ becomes $T
filter() {	# name, body on stdin
	{ echo '#!/bin/sh'; sed "s|@T@|$T|g"; } >"$T/bin/$1"
	chmod 755 "$T/bin/$1"
}

# want_rc - the exit status of the last command
want_rc() {	# status
	[ "$rc" -eq "$1" ] || err "exit status $rc, expected $1"
}

# want_same - two files have the same bytes
want_same() {	# got expected
	if [ ! -f "$1" ]; then
		err "$1 was not written"
	elif ! cmp -s "$1" "$2"; then
		err "$(basename "$1") differs from $(basename "$2"):" \
		    "$(diff "$2" "$1" | head -8)"
	fi
}
