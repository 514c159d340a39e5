#!/bin/bash
# try-limits.sh - errors that must not look like answers, and memory that
# must not grow with the message, through "sluicectl try"
#
# A rule whose regex cannot finish matching (the match limit, the
# backtracking depth) is undecided: the message is tempfailed with the
# general tempfail reply, the filter does not run, and the log names the
# rule and the pattern.  A pattern that needs deep backtracking on a
# long but ordinary subject still matches.  Asserts on the trace, the
# exit status and the log; never on how long anything took.
# Prints TAP.  Run by testdata/run-tests, or by hand.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
SLUICECTL=${SLUICECTL:-$top/build/sluicectl}

T=$(mktemp -d /tmp/sluice-trylimits.XXXXXX) || exit 1
chmod 755 "$T"
mkdir "$T/bin" "$T/inc" "$T/spool"
export TMPDIR="$T/spool"
trap 'rm -rf "$T"' EXIT
trap 'exit 1' HUP INT TERM
TAP_RESET=1
. "$(dirname "$0")/tap.bash"

# conf - write $T/name.conf: the common settings, then stdin
conf() {	# name
	{
		printf 'include_dir = "%s";\n' "$T/inc"
		printf 'filter_dir = "%s";\n' "$T/bin"
		printf 'spool_dir = "%s";\n' "$T/spool"
		printf 'user = "%s";\n' "$(id -un)"
		cat
	} >"$T/$1.conf"
}

# try - sluicectl try -v (the log on stderr); trace in $T/trace, log in
# $T/stderr, status rc
try() {	# args
	"$SLUICECTL" try -v "$@" >"$T/trace" 2>"$T/stderr"
	rc=$?
}

# want_line - the trace has exactly this line
want_line() {	# line
	grep -qxF -- "$1" "$T/trace" || err "trace lacks line: $1"
}

# want_re - the trace has a line matching this extended regex
want_re() {	# regex
	grep -qxE -- "$1" "$T/trace" || err "trace lacks line like: $1"
}

# want_log - the log has a line matching this extended regex
want_log() {	# regex
	grep -qE -- "$1" "$T/stderr" || err "log lacks line like: $1"
}

# subject_msg - $T/name.eml with a Subject of n a's and then a byte
subject_msg() {	# name n last
	{
		printf 'From: a@example.org\nSubject: '
		head -c "$2" /dev/zero | tr '\0' a
		printf '%s\n\nbody\n' "$3"
	} >"$T/$1.eml"
}

# ---------------------------------------------------------------------
# Regex limits

filter ran <<'EOF'
touch @T@/ran
exit 1
EOF
conf runaway <<'EOF'
filters = ( { name = "ran"; command = "ran";
    tempfail_reply = { code = 452; status = "4.3.1"; text = "Busy"; }; } );
rules = ( { name = "runaway"; filter = "ran"; subject = "/^(a+)+$/"; } );
EOF
conf deep <<'EOF'
filters = ( { name = "ran"; command = "ran"; } );
rules = ( { name = "deep"; filter = "ran"; subject = "/^(a|b)*$/"; } );
EOF
subject_msg runaway 64 b
subject_msg deep 300000 c
subject_msg long 5000 b

begin "a regex over its match limit tempfails the message, names rule and pattern"
rm -f "$T/ran"
try -c "$T/runaway.conf" -f a@example.org -r b@example.org "$T/runaway.eml"
want_rc 2
want_re 'rule "runaway" \(filter ran\): undecided: Subject "a+b": pattern "/\^\(a\+\)\+\$/" could not finish: match limit exceeded'
want_line 'verdict: tempfail (rule "runaway")'
want_line 'reply: 451 4.7.1 Message deferred, please try again later'
want_log ': rule=runaway undecided: Subject "a+b": pattern "/\^\(a\+\)\+\$/" could not finish: match limit exceeded: answering tempfail'
[ -e "$T/ran" ] && err "the filter ran"
end

begin "a regex over its backtracking depth tempfails the message"
rm -f "$T/ran"
try -c "$T/deep.conf" -f a@example.org -r b@example.org "$T/deep.eml"
want_rc 2
want_re 'rule "deep" \(filter ran\): undecided: Subject "a+\.\.\.": pattern "/\^\(a\|b\)\*\$/" could not finish: .*limit.*'
want_line 'verdict: tempfail (rule "deep")'
want_log ': rule=deep undecided: Subject "a+\.\.\.": pattern "/\^\(a\|b\)\*\$/" could not finish: .*limit.*: answering tempfail'
[ -e "$T/ran" ] && err "the filter ran"
end

begin "deep backtracking on an ordinary long subject still matches"
rm -f "$T/ran"
try -c "$T/deep.conf" -f a@example.org -r b@example.org "$T/long.eml"
want_rc 1
want_re 'rule "deep" \(filter ran\): matched: Subject "a+\.\.\." matches "/\^\(a\|b\)\*\$/"'
want_line 'verdict: reject (rule "deep")'
[ -e "$T/ran" ] || err "the filter did not run"
end

begin "a condition that settles the rule makes an undecided one harmless"
conf unless <<'EOF'
filters = ( { name = "ran"; command = "ran"; } );
rules = ( { name = "runaway"; filter = "ran"; subject = "/^(a+)+$/";
    sender = "nobody@example.org"; } );
EOF
rm -f "$T/ran"
try -c "$T/unless.conf" -f a@example.org -r b@example.org "$T/runaway.eml"
want_rc 0
want_line 'verdict: accept'
[ -e "$T/ran" ] && err "the filter ran"
end

begin "no work directory is left in the private spool"
left=$(find "$T/spool" -mindepth 1 | head -5)
[ -z "$left" ] || err "left behind: $left"
end

tap_done
