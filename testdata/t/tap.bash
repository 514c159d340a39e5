# tap.bash - what the shell suites share: TAP test cases and filters
#
# Sourced by testdata/t/*.sh after they set T (their private temporary
# directory).  A test case is "begin DESCRIPTION", checks that call
# "err WHY" when something is wrong, and "end", which prints the TAP
# line with diagnostics: the reasons, then $T/trace and $T/stderr.
# A suite ends with: echo "1..$ntest"; [ "$nfail" -eq 0 ]
# Set TAP_RESET=1 to empty $T/trace and $T/stderr at each begin.

ntest=0
nfail=0
terrs=()

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
	local e
	ntest=$((ntest + 1))
	if [ ${#terrs[@]} -eq 0 ]; then
		printf 'ok %d - %s\n' "$ntest" "$tname"
		return
	fi
	nfail=$((nfail + 1))
	printf 'not ok %d - %s\n' "$ntest" "$tname"
	for e in "${terrs[@]}"; do
		printf '%s\n' "$e" | head -12 | sed 's/^/# /'
	done
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
