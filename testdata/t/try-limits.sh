#!/bin/bash
# try-limits.sh - errors that must not look like answers, and memory that
# must not grow with the message, through "sluicectl try"
#
# A rule whose regex cannot finish matching (the match limit, the
# backtracking depth) is undecided: the message is tempfailed with the
# general tempfail reply, the filter does not run, and the log names the
# rule and the pattern.  A pattern that needs deep backtracking on a
# long but ordinary subject still matches.  A filter's replacement
# message (%n) is checked while it is copied: a 200 MB one is taken, byte
# for byte, with the peak memory of sluicectl far below its size; the
# checks on it still hold past the first chunk.  Asserts on the trace,
# the exit status, the log, the bytes of "-o" and the "Maximum resident
# set size" of /usr/bin/time; never on how long anything took.
# Prints TAP.  Run by testdata/run-tests, or by hand.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
SLUICECTL=${SLUICECTL:-$top/build/sluicectl}

T=$(mktemp -d /tmp/sluice-trylimits.XXXXXX) || exit 1
chmod 755 "$T"
mkdir "$T/bin" "$T/inc" "$T/spool" "$T/rec"
export TMPDIR="$T/spool"
trap 'rm -rf "$T"' EXIT
trap 'exit 1' HUP INT TERM
TAP_RESET=1
. "$(dirname "$0")/tap.bash"

# conf - write $T/name.conf: the common settings, then stdin with @T@
# replaced by $T
conf() {	# name
	{
		printf 'include_dir = "%s";\n' "$T/inc"
		printf 'filter_dir = "%s";\n' "$T/bin"
		printf 'spool_dir = "%s";\n' "$T/spool"
		printf 'user = "%s";\n' "$(id -un)"
		sed "s|@T@|$T|g"
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

# ran leaves $T/rec/ran, its writable path, to show that it ran
filter ran <<'EOF'
touch @T@/rec/ran
exit 1
EOF
conf runaway <<'EOF'
filters = ( { name = "ran"; command = "ran"; writable = [ "@T@/rec" ];
    tempfail_reply = { code = 452; status = "4.3.1"; text = "Busy"; }; } );
rules = ( { name = "runaway"; filter = "ran"; subject = "/^(a+)+$/"; } );
EOF
conf deep <<'EOF'
filters = ( { name = "ran"; command = "ran"; writable = [ "@T@/rec" ]; } );
rules = ( { name = "deep"; filter = "ran"; subject = "/^(a|b)*$/"; } );
EOF
subject_msg runaway 64 b
subject_msg deep 300000 c
subject_msg long 5000 b

begin "a regex over its match limit tempfails the message, names rule and pattern"
rm -f "$T/rec/ran"
try -c "$T/runaway.conf" -f a@example.org -r b@example.org "$T/runaway.eml"
want_rc 2
want_re 'rule "runaway" \(filter ran\): undecided: Subject "a+b": pattern "/\^\(a\+\)\+\$/" could not finish: match limit exceeded'
want_line 'verdict: tempfail (rule "runaway")'
want_line 'reply: 451 4.7.1 Message deferred, please try again later'
want_log ': rule=runaway undecided: Subject "a+b": pattern "/\^\(a\+\)\+\$/" could not finish: match limit exceeded: answering tempfail'
[ -e "$T/rec/ran" ] && err "the filter ran"
end

begin "a regex over its backtracking depth tempfails the message"
rm -f "$T/rec/ran"
try -c "$T/deep.conf" -f a@example.org -r b@example.org "$T/deep.eml"
want_rc 2
want_re 'rule "deep" \(filter ran\): undecided: Subject "a+\.\.\.": pattern "/\^\(a\|b\)\*\$/" could not finish: .*limit.*'
want_line 'verdict: tempfail (rule "deep")'
want_log ': rule=deep undecided: Subject "a+\.\.\.": pattern "/\^\(a\|b\)\*\$/" could not finish: .*limit.*: answering tempfail'
[ -e "$T/rec/ran" ] && err "the filter ran"
end

begin "deep backtracking on an ordinary long subject still matches"
rm -f "$T/rec/ran"
try -c "$T/deep.conf" -f a@example.org -r b@example.org "$T/long.eml"
want_rc 1
want_re 'rule "deep" \(filter ran\): matched: Subject "a+\.\.\." matches "/\^\(a\|b\)\*\$/"'
want_line 'verdict: reject (rule "deep")'
[ -e "$T/rec/ran" ] || err "the filter did not run"
end

begin "a condition that settles the rule makes an undecided one harmless"
conf unless <<'EOF'
filters = ( { name = "ran"; command = "ran"; writable = [ "@T@/rec" ]; } );
rules = ( { name = "runaway"; filter = "ran"; subject = "/^(a+)+$/";
    sender = "nobody@example.org"; } );
EOF
rm -f "$T/rec/ran"
try -c "$T/unless.conf" -f a@example.org -r b@example.org "$T/runaway.eml"
want_rc 0
want_line 'verdict: accept'
[ -e "$T/rec/ran" ] && err "the filter ran"
end

# ---------------------------------------------------------------------
# Replacement messages are checked while they are copied

BIG=$((200 * 1024 * 1024))
filter big <<'EOF'
{ printf 'From: r@example.org\r\nSubject: big\r\n\r\n'
  yes 'a body line of a replacement much bigger than any buffer....' |
  head -c "$1"; } >"$2"
exit 0
EOF
conf big <<EOF
message_max = $((BIG + 1024 * 1024));
filters = ( { name = "big"; command = "big $BIG %n"; timeout = 300; } );
rules = ( { name = "r"; filter = "big"; } );
EOF
printf 'From: a@example.org\nSubject: small\n\nbody\n' >"$T/small.eml"

# maxrss_kb - sluicectl try under /usr/bin/time -v; its peak RSS in KiB
maxrss_kb() {	# try args
	/usr/bin/time -v -o "$T/time" "$SLUICECTL" try "$@" >"$T/trace" \
	    2>"$T/stderr"
	rc=$?
	sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' \
	    "$T/time"
}

begin "a 200 MB replacement is taken with far less than 200 MB of memory"
if [ ! -x /usr/bin/time ]; then
	skip "$tname" "no /usr/bin/time"
else
	kb=$(maxrss_kb -c "$T/big.conf" -f a@example.org -r b@example.org \
	    -o "$T/out" "$T/small.eml")
	want_rc 0
	want_line '    applied: replaced the whole message'
	if [ -z "$kb" ]; then
		err "no maximum resident set size in: $(cat "$T/time")"
	elif [ "$kb" -ge $((64 * 1024)) ]; then
		err "peak RSS $kb KiB for a $((BIG >> 20)) MiB replacement," \
		    "expected below 64 MiB"
	fi
	want=$((BIG + $(printf 'From: r@example.org\nSubject: big\n\n' |
	    wc -c)))
	got=$(wc -c <"$T/out" 2>/dev/null || echo 0)
	[ "$got" -eq "$want" ] || err "-o has $got bytes, expected $want"
	[ "$(head -c 33 "$T/out")" = "$(printf 'From: r@example.org\nSubject: big\n')" ] ||
	    err "-o does not start with the replacement's header"
	cmp -s <(tail -c 4096 "$T/out") <(yes 'a body line of a replacement much bigger than any buffer....' |
	    head -c "$BIG" | tail -c 4096) || err "-o does not end as the replacement"
	rm -f "$T/out"
	end
fi

# The checks that hold for a small replacement hold past the first
# chunk of a big one, and nothing of a bad one reaches the message.
filter bad <<'EOF'
cat @T@/bad.new >"$1"
exit 0
EOF
conf bad <<'EOF'
message_max = 4000000;
filters = ( { name = "bad"; command = "bad %n"; } );
rules = ( { name = "r"; filter = "bad"; } );
EOF

# badnew - the bad filter writes $T/bad.new; the run is an error
badnew() {	# description expected-error
	begin "$1"
	try -c "$T/bad.conf" -f a@example.org -r b@example.org -o "$T/out" \
	    "$T/small.eml"
	want_rc 2
	want_line "    error: $2"
	want_line 'verdict: tempfail (rule "r")'
	cmp -s "$T/out" "$T/small.eml" || err "the message was changed"
	end
}

# body - n bytes of 76-byte body lines
body() {	# n
	yes 'a body line of 75 bytes .................................................' |
	    head -c "$1"
}
{ printf 'From: r@example.org\n\n'; body 3000000; printf 'NUL\0here\n'; } \
    >"$T/bad.new"
badnew "a NUL byte 3 MB into a replacement" \
    'replacement message rejected: it contains a NUL byte'
{ printf 'From: r@example.org\n\n'; body 2999980; echo
  head -c 999 /dev/zero | tr '\0' y; echo; } >"$T/bad.new"
n=$(($(head -c 3000003 "$T/bad.new" | wc -l) + 1))
badnew "a line of 999 bytes 3 MB into a replacement" \
    "replacement message rejected: line $n is longer than 998 bytes"
{ printf 'From: r@example.org\n\n'; body 4000000; } >"$T/bad.new"
badnew "a replacement one chunk over message_max" \
    'replacement message is larger than 4000000 bytes'
{ printf 'From: r@example.org\n'; yes 'X-Filler: a header field' |
  head -n 100000; printf '\nbody\n'; } >"$T/bad.new"
badnew "a replacement whose header block never ends" \
    'replacement message rejected: its header block is longer than 1048576 bytes'

begin "a replacement of exactly message_max bytes is taken"
{ printf 'From: r@example.org\n\n'; body $((4000000 - 21)); } >"$T/bad.new"
[ "$(wc -c <"$T/bad.new")" -eq 4000000 ] || err "test file has the wrong size"
try -c "$T/bad.conf" -f a@example.org -r b@example.org -o "$T/out" \
    "$T/small.eml"
want_rc 0
cmp -s "$T/out" "$T/bad.new" || err "-o differs from the replacement"
end

begin "no work directory is left in the private spool"
left=$(find "$T/spool" -mindepth 1 | head -5)
[ -z "$left" ] || err "left behind: $left"
end

tap_done
