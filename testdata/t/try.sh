#!/bin/bash
# try.sh - "sluicectl try" and "sluiced -n" end to end
#
# Runs real shell filters, written into a private temporary directory,
# through the whole pipeline: every verdict and exit code table, reject
# and tempfail replies, every result file directive, replacement
# messages, malformed filter output, rule conditions, address rules,
# timeouts with grandchildren, exec failures, and config checking.
# Asserts on the trace, the exit status, the bytes of "-o" and on files
# the filters write; never on how long anything took.
# Prints TAP.  Run by testdata/run-tests, or by hand.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
SLUICECTL=${SLUICECTL:-$top/build/sluicectl}
SLUICED=${SLUICED:-$top/build/sluiced}

T=$(mktemp -d /tmp/sluice-try.XXXXXX) || exit 1
chmod 755 "$T"
mkdir "$T/bin" "$T/inc" "$T/spool" "$T/rec"
# sluicectl makes its private spool under TMPDIR; keep it in ours
export TMPDIR="$T/spool"

# cleanup - kill what a failed test may have left running, remove T.
# Only processes of this suite: those whose pid a filter wrote down (in
# T/rec), and those whose working directory is a filter's directory
# under T.
cleanup() {
	local f p
	for f in "$T"/rec/*.pid; do
		[ -f "$f" ] || continue
		p=$(cat "$f" 2>/dev/null)
		case "$p" in ''|*[!0-9]*) continue ;; esac
		alive "$p" && kill -KILL "$p" 2>/dev/null
	done
	for f in /proc/[0-9]*; do
		case $(readlink "$f/cwd" 2>/dev/null) in
		"$T"/*) kill -KILL "${f#/proc/}" 2>/dev/null ;;
		esac
	done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

. "$(dirname "$0")/tap.bash"


# conf - write $T/name.conf: the common settings, then stdin with @T@
# replaced by $T.  The filters that write down what they saw or did
# (mark, seer, the pid files of hang, stubborn and bg) write into $T/rec
# and name it writable: they may write nothing else but their run
# directory.
conf() {	# name
	{
		printf 'include_dir = "%s";\n' "$T/inc"
		printf 'filter_dir = "%s";\n' "$T/bin"
		printf 'spool_dir = "%s";\n' "$T/spool"
		printf 'user = "%s";\n' "$(id -un)"
		sed "s|@T@|$T|g"
	} >"$T/$1.conf"
}

# try - sluicectl try; trace in $T/trace, stderr in $T/stderr, status rc
try() {	# args
	"$SLUICECTL" try "$@" >"$T/trace" 2>"$T/stderr"
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

# want_text - the trace contains this text somewhere
want_text() {	# text
	grep -qF -- "$1" "$T/trace" || err "trace lacks: $1"
}

# want_no_text - the trace does not contain this text
want_no_text() {	# text
	! grep -qF -- "$1" "$T/trace" || err "trace has: $1"
}

# want_file_lacks - a file does not contain the text
want_file_lacks() {	# file text
	! grep -qaF -- "$2" "$1" 2>/dev/null || err "$1 contains $2"
}

# The message most tests use, and its size.
cat >"$T/msg.eml" <<'EOF'
From: Alice <alice@example.org>
To: bob@example.org
Subject: Hello there
X-A: one
X-A: two
Received: from a by b
Received: from c by d

Body line 1
Body line 2
EOF
msgsize=$(wc -c <"$T/msg.eml")

# ---------------------------------------------------------------------
# Verdicts and the exit code table

filter exitwith <<'EOF'
exit "$1"
EOF

# verdict_case - one exit code through a filter with this exit table
verdict_case() {	# code try-status verdict table-name exit-group
	conf "exit$4$1" <<EOF
filters = ( { name = "x"; command = "exitwith $1"; $5 } );
rules = ( { name = "r"; filter = "x"; } );
EOF
	try -c "$T/exit$4$1.conf" -f alice@example.org -r bob@example.org \
	    "$T/msg.eml"
	want_rc "$2"
	want_re "verdict: $3( \(rule \"r\"\))?"
	want_re "    status: exit=$1, [0-9.]+ ms"
	case $3 in
	reject)	want_line "reply: 550 5.7.1 Message rejected" ;;
	tempfail) want_line "reply: 451 4.7.1 Message deferred, please try again later" ;;
	discard) want_line "reply: 250 2.0.0 Ok: discarded" ;;
	quarantine) want_line "reply: 250 2.0.0 Ok: quarantined" ;;
	accept)	want_line "reply: 250 2.0.0 Ok" ;;
	esac
}

# The default table maps 0, 1 and 75 only; anything else is an error.
for c in "0 0 accept" "1 1 reject" "75 2 tempfail"; do
	set -- $c
	begin "default exit table: exit $1 -> verdict $3, try exits $2"
	verdict_case "$1" "$2" "$3" dflt ""
	end
done
for c in 2 3 4; do
	begin "default exit table: exit $c is unmapped -> error -> tempfail"
	verdict_case "$c" 2 tempfail dflt ""
	want_line "    error: exit code $c is not mapped to a verdict"
	want_line "    verdict: error -> tempfail (on_error)"
	end
done

# Every verdict through a table of one's own.
all='exit = { continue = 0; reject = 1; discard = 2; quarantine = 3; accept = 4; tempfail = [75, 76]; };'
for c in "0 0 accept" "1 1 reject" "2 3 discard" "3 4 quarantine" \
    "4 0 accept" "75 2 tempfail" "76 2 tempfail"; do
	set -- $c
	begin "exit table with every verdict: exit $1 -> $3, try exits $2"
	verdict_case "$1" "$2" "$3" all "$all"
	want_no_text "error:"
	end
done

conf exit7 <<'EOF'
filters = ( { name = "x"; command = "exitwith 7"; exit = { reject = [7, 8]; continue = 0; }; } );
rules = ( { name = "r"; filter = "x"; } );
EOF
begin "custom exit group: exit 7 -> reject"
try -c "$T/exit7.conf" -f alice@example.org -r bob@example.org "$T/msg.eml"
want_rc 1
want_line 'verdict: reject (rule "r")'
want_line "    verdict: reject"
end

conf exit1custom <<'EOF'
filters = ( { name = "x"; command = "exitwith 1"; exit = { reject = [7, 8]; continue = 0; }; } );
rules = ( { name = "r"; filter = "x"; } );
EOF
begin "custom exit group replaces the default table: exit 1 is unmapped"
try -c "$T/exit1custom.conf" -f alice@example.org -r bob@example.org \
    "$T/msg.eml"
want_rc 2
want_line "    error: exit code 1 is not mapped to a verdict"
want_line 'verdict: tempfail (rule "r")'
end

conf unmapped <<'EOF'
filters = ( { name = "x"; command = "exitwith 9"; } );
rules = ( { name = "r"; filter = "x"; } );
EOF
begin "unmapped exit code is an error: on_error tempfail (default)"
try -c "$T/unmapped.conf" -f alice@example.org -r bob@example.org \
    "$T/msg.eml"
want_rc 2
want_line "    error: exit code 9 is not mapped to a verdict"
want_line "    verdict: error -> tempfail (on_error)"
want_line 'verdict: tempfail (rule "r")'
want_line "reply: 451 4.7.1 Message deferred, please try again later"
end

filter mark <<'EOF'
echo "$SLUICE_RULE" >> @T@/rec/ran
exit 0
EOF
conf skip <<'EOF'
filters = (
  { name = "x"; command = "exitwith 9"; on_error = "skip"; },
  { name = "mark"; command = "mark"; writable = [ "@T@/rec" ]; }
);
rules = ( { name = "first"; filter = "x"; }, { name = "second"; filter = "mark"; } );
EOF
begin "unmapped exit code with on_error = skip: next rule runs, accept"
rm -f "$T/rec/ran"
try -c "$T/skip.conf" -f alice@example.org -r bob@example.org "$T/msg.eml"
want_rc 0
want_line "    error: exit code 9 is not mapped to a verdict"
want_line "    verdict: error -> skip (on_error)"
want_line "verdict: accept"
[ "$(cat "$T/rec/ran" 2>/dev/null)" = second ] || err "the second rule did not run"
end

# ---------------------------------------------------------------------
# Reject and tempfail replies

filter rej <<'EOF'
[ -f @T@/rej.result ] && cat @T@/rej.result > "$SLUICE_RESULT"
[ -f @T@/rej.stdout ] && cat @T@/rej.stdout
exit "${1:-1}"
EOF

# rejcase - run the rej filter with a result file and stdout
rejcase() {	# conf result-text stdout-text
	rm -f "$T/rej.result" "$T/rej.stdout"
	[ -n "$2" ] && printf '%s' "$2" >"$T/rej.result"
	[ -n "$3" ] && printf '%s' "$3" >"$T/rej.stdout"
	try -c "$T/$1.conf" -f alice@example.org -r bob@example.org \
	    "$T/msg.eml"
}

conf rej <<'EOF'
filters = ( { name = "rej"; command = "rej"; } );
rules = ( { name = "r"; filter = "rej"; } );
EOF
begin "reject with a reason directive: 550 5.7.1 Message rejected: reason"
rejcase rej $'reason Spam score 12.5\n' $'stdout is not the reason\n'
want_rc 1
want_line "    reason: Spam score 12.5"
want_line "reply: 550 5.7.1 Message rejected: Spam score 12.5"
end

begin "reject without a reason directive: reason is the first stdout line"
rejcase rej "" $'\n   Virus found: Eicar-Test  \nsecond line\n'
want_rc 1
want_line "reply: 550 5.7.1 Message rejected: Virus found: Eicar-Test"
end

begin "reason from stdout is made printable (control bytes become ?)"
rejcase rej "" $'bad\tthing\033[2J\n'
want_rc 1
want_line "reply: 550 5.7.1 Message rejected: bad?thing?[2J"
end

conf rejcfg <<'EOF'
filters = ( { name = "rej"; command = "rej";
    reject_reply = { code = 554; status = "5.7.0"; text = "Go away"; }; } );
rules = ( { name = "r"; filter = "rej"; } );
EOF
begin "filters.reject_reply code, status and text"
rejcase rejcfg $'reason Listed in a blocklist\n' ""
want_rc 1
want_line "reply: 554 5.7.0 Go away: Listed in a blocklist"
end

conf rejnoreason <<'EOF'
filters = ( { name = "rej"; command = "rej";
    reject_reply = { code = 554; status = "5.7.0"; text = "Go away"; with_reason = false; }; } );
rules = ( { name = "r"; filter = "rej"; } );
EOF
begin "filters.reject_reply with_reason = false leaves the reason out"
rejcase rejnoreason $'reason Listed in a blocklist\n' ""
want_rc 1
want_line "reply: 554 5.7.0 Go away"
end

conf rejtop <<'EOF'
reject_reply = { code = 551; status = "5.7.2"; text = "Not here"; };
filters = ( { name = "rej"; command = "rej"; } );
rules = ( { name = "r"; filter = "rej"; } );
EOF
begin "top-level reject_reply is the default of a filter's"
rejcase rejtop $'reason nope\n' ""
want_rc 1
want_line "reply: 551 5.7.2 Not here: nope"
end

conf tempf <<'EOF'
filters = ( { name = "rej"; command = "rej 75"; } );
rules = ( { name = "r"; filter = "rej"; } );
EOF
begin "tempfail (exit 75) with a reason: 451 4.7.1 default reply"
rejcase tempf $'reason greylisted\n' ""
want_rc 2
want_line "reply: 451 4.7.1 Message deferred, please try again later: greylisted"
end

conf tempfcfg <<'EOF'
filters = ( { name = "rej"; command = "rej 75";
    tempfail_reply = { code = 421; status = "4.3.2"; text = "Busy"; }; } );
rules = ( { name = "r"; filter = "rej"; } );
EOF
begin "filters.tempfail_reply code, status and text"
rejcase tempfcfg $'reason greylisted\n' ""
want_rc 2
want_line "reply: 421 4.3.2 Busy: greylisted"
end

# ---------------------------------------------------------------------
# Directives: the bytes of -o and the final envelope

filter dir <<'EOF'
cat @T@/directives > "$SLUICE_RESULT"
EOF
conf dir <<'EOF'
filters = ( { name = "dir"; command = "dir"; } );
rules = ( { name = "r"; filter = "dir"; } );
EOF

# dircase - run the dir filter with these directives on a message
dircase() {	# directives [message]
	printf '%s' "$1" >"$T/directives"
	rm -f "$T/out"
	try -c "$T/dir.conf" -f alice@example.org -r bob@example.org \
	    -o "$T/out" "${2:-$T/msg.eml}"
}

# expect - write the expected message to $T/expected from stdin
expect() {
	cat >"$T/expected"
}

begin "add-header appends a field (blanks after the colon dropped)"
dircase $'add-header X-New:    spaced value\n'
expect <<'EOF'
From: Alice <alice@example.org>
To: bob@example.org
Subject: Hello there
X-A: one
X-A: two
Received: from a by b
Received: from c by d
X-New: spaced value

Body line 1
Body line 2
EOF
want_rc 0
want_same "$T/out" "$T/expected"
want_line "    applied: add-header X-New: spaced value"
want_line "final envelope: from <alice@example.org> to <bob@example.org>"
end

begin "insert-header 0 puts the field at the top"
dircase $'insert-header 0 X-Top: top\n'
expect <<'EOF'
X-Top: top
From: Alice <alice@example.org>
To: bob@example.org
Subject: Hello there
X-A: one
X-A: two
Received: from a by b
Received: from c by d

Body line 1
Body line 2
EOF
want_rc 0
want_same "$T/out" "$T/expected"
end

begin "insert-header 2 puts the field after the first two"
dircase $'insert-header 2 X-Mid: mid\n'
expect <<'EOF'
From: Alice <alice@example.org>
To: bob@example.org
X-Mid: mid
Subject: Hello there
X-A: one
X-A: two
Received: from a by b
Received: from c by d

Body line 1
Body line 2
EOF
want_rc 0
want_same "$T/out" "$T/expected"
end

begin "change-header without an index changes the first field"
dircase $'change-header X-A: changed\n'
expect <<'EOF'
From: Alice <alice@example.org>
To: bob@example.org
Subject: Hello there
X-A: changed
X-A: two
Received: from a by b
Received: from c by d

Body line 1
Body line 2
EOF
want_rc 0
want_same "$T/out" "$T/expected"
want_line "    applied: change-header X-A[1]: changed"
end

begin "change-header NAME[2] changes the second field"
dircase $'change-header x-a[2]: second changed\n'
expect <<'EOF'
From: Alice <alice@example.org>
To: bob@example.org
Subject: Hello there
X-A: one
X-A: second changed
Received: from a by b
Received: from c by d

Body line 1
Body line 2
EOF
want_rc 0
want_same "$T/out" "$T/expected"
end

begin "change-header of an absent field adds it"
dircase $'change-header X-Absent: now here\n'
expect <<'EOF'
From: Alice <alice@example.org>
To: bob@example.org
Subject: Hello there
X-A: one
X-A: two
Received: from a by b
Received: from c by d
X-Absent: now here

Body line 1
Body line 2
EOF
want_rc 0
want_same "$T/out" "$T/expected"
want_line "    applied: change-header X-Absent[1]: now here (absent, added)"
end

begin "delete-header without an index deletes every such field"
dircase $'delete-header received\n'
expect <<'EOF'
From: Alice <alice@example.org>
To: bob@example.org
Subject: Hello there
X-A: one
X-A: two

Body line 1
Body line 2
EOF
want_rc 0
want_same "$T/out" "$T/expected"
want_line "    applied: delete-header received (2 deleted)"
end

begin "delete-header NAME[1] deletes only the first"
dircase $'delete-header X-A[1]\n'
expect <<'EOF'
From: Alice <alice@example.org>
To: bob@example.org
Subject: Hello there
X-A: two
Received: from a by b
Received: from c by d

Body line 1
Body line 2
EOF
want_rc 0
want_same "$T/out" "$T/expected"
want_line "    applied: delete-header X-A[1] (1 deleted)"
end

begin "prefix-subject with a Subject"
dircase $'prefix-subject [SPAM]\n'
expect <<'EOF'
From: Alice <alice@example.org>
To: bob@example.org
Subject: [SPAM] Hello there
X-A: one
X-A: two
Received: from a by b
Received: from c by d

Body line 1
Body line 2
EOF
want_rc 0
want_same "$T/out" "$T/expected"
end

printf 'From: alice@example.org\nTo: bob@example.org\n\nno subject\n' \
    >"$T/nosubj.eml"
begin "prefix-subject without a Subject adds one"
dircase $'prefix-subject [SPAM]\n' "$T/nosubj.eml"
printf 'From: alice@example.org\nTo: bob@example.org\nSubject: [SPAM]\n\nno subject\n' \
    >"$T/expected"
want_rc 0
want_same "$T/out" "$T/expected"
end

begin "add-rcpt, delete-rcpt, change-sender: final envelope, body untouched"
dircase $'add-rcpt <carol@example.org>\ndelete-rcpt BOB@example.org\nchange-sender bounce@example.net\n'
want_rc 0
want_line "final envelope: from <bounce@example.net> to <carol@example.org>"
want_line "    applied: add-rcpt <carol@example.org>"
want_line "    applied: delete-rcpt <BOB@example.org>"
want_line "    applied: change-sender <bounce@example.net>"
want_same "$T/out" "$T/msg.eml"
end

begin "change-sender <> makes the null sender"
dircase $'change-sender <>\n'
want_rc 0
want_line "final envelope: from <> to <bob@example.org>"
end

begin "delete-rcpt of a non-recipient and add-rcpt of a recipient change nothing"
dircase $'delete-rcpt nobody@example.org\nadd-rcpt bob@example.org\n'
want_rc 0
want_line "    applied: delete-rcpt <nobody@example.org> (not a recipient)"
want_line "    applied: add-rcpt <bob@example.org> (already a recipient)"
want_same "$T/out" "$T/msg.eml"
end

begin "reason directive with verdict continue changes nothing"
dircase $'# a comment\n\nREASON just a note\n'
want_rc 0
want_line "    reason: just a note"
want_line "verdict: accept"
want_same "$T/out" "$T/msg.eml"
end

# A second filter sees what the first changed, in %f, %s, %r and the env.
filter seer <<'EOF'
cp "$1" @T@/rec/seen.msg
printf '%s\n' "$SLUICE_SENDER" > @T@/rec/seen.sender
printf '%s\n' "$SLUICE_RECIPIENTS" > @T@/rec/seen.rcpts
printf '%s\n' "$SLUICE_SIZE" > @T@/rec/seen.size
shift
printf '%s\n' "$@" > @T@/rec/seen.args
EOF
conf chain <<'EOF'
filters = ( { name = "dir"; command = "dir"; },
    { name = "seer"; command = "seer %f %s %r"; writable = [ "@T@/rec" ]; } );
rules = ( { name = "one"; filter = "dir"; }, { name = "two"; filter = "seer"; } );
EOF
begin "a second filter sees the first one's changes (%f, %s, %r, env)"
printf '%s' $'add-header X-Seen: first-filter\nprefix-subject [T]\nadd-rcpt carol@example.org\nchange-sender new@example.net\ndelete-header X-A[1]\n' \
    >"$T/directives"
rm -f "$T"/rec/seen.* "$T/out"
try -c "$T/chain.conf" -f alice@example.org -r bob@example.org -o "$T/out" \
    "$T/msg.eml"
expect <<'EOF'
From: Alice <alice@example.org>
To: bob@example.org
Subject: [T] Hello there
X-A: two
Received: from a by b
Received: from c by d
X-Seen: first-filter

Body line 1
Body line 2
EOF
want_rc 0
want_same "$T/rec/seen.msg" "$T/expected"
want_same "$T/out" "$T/expected"
printf 'new@example.net\n' >"$T/want"
want_same "$T/rec/seen.sender" "$T/want"
printf 'bob@example.org\ncarol@example.org\n' >"$T/want"
want_same "$T/rec/seen.rcpts" "$T/want"
printf 'new@example.net\nbob@example.org\ncarol@example.org\n' >"$T/want"
want_same "$T/rec/seen.args" "$T/want"
wc -c <"$T/expected" | tr -d ' ' >"$T/want"
want_same "$T/rec/seen.size" "$T/want"
want_line "final envelope: from <new@example.net> to <bob@example.org> <carol@example.org>"
end

# ---------------------------------------------------------------------
# Replacement message through %n

filter repl <<'EOF'
cat @T@/replacement > "$1"
EOF
conf repl <<'EOF'
filters = ( { name = "repl"; command = "repl %n"; },
    { name = "seer"; command = "seer %f %s %r"; writable = [ "@T@/rec" ]; } );
rules = ( { name = "r"; filter = "repl"; }, { name = "after"; filter = "seer"; } );
EOF
begin "replacement via %n: output is exactly the replacement, CRLF -> LF"
printf 'From: r@example.org\r\nSubject: replaced\r\nX-Folded: a\r\n b\r\n\r\nnew body\r\nline 2\r\n' \
    >"$T/replacement"
printf 'From: r@example.org\nSubject: replaced\nX-Folded: a\n b\n\nnew body\nline 2\n' \
    >"$T/expected"
rm -f "$T/out" "$T"/rec/seen.*
try -c "$T/repl.conf" -f alice@example.org -r bob@example.org -o "$T/out" \
    "$T/msg.eml"
want_rc 0
want_line "    applied: replaced the whole message"
want_same "$T/out" "$T/expected"
want_same "$T/rec/seen.msg" "$T/expected"
end

# ---------------------------------------------------------------------
# Malformed filter output: an error, nothing of it applied

filter bad <<'EOF'
[ -f @T@/bad.result ] && cat @T@/bad.result > "$SLUICE_RESULT"
[ -f @T@/bad.new ] && cat @T@/bad.new > "$1"
exit 0
EOF
conf bad <<'EOF'
filters = ( { name = "bad"; command = "bad %n"; } );
rules = ( { name = "r"; filter = "bad"; } );
EOF

# badcase - the bad filter leaves $T/bad.result and/or $T/bad.new behind
badcase() {	# description expected-error [try options]
	local d=$1 e=$2
	shift 2
	begin "$d"
	rm -f "$T/out"
	try -c "$T/bad.conf" "$@" -f alice@example.org -r bob@example.org \
	    -o "$T/out" "$T/msg.eml"
	want_rc 2
	want_line "    error: $e"
	want_line 'verdict: tempfail (rule "r")'
	want_same "$T/out" "$T/msg.eml"
	want_file_lacks "$T/out" Injected
	want_no_text "applied:"
	end
	rm -f "$T/bad.result" "$T/bad.new"
}

printf 'add-header X-Injected: 1\nadd-header X Bad: v\n' >"$T/bad.result"
badcase "result file: header name with a space" \
    'result file line 2: bad header name "X Bad"'
printf 'add-header X-Injected: a\rb\n' >"$T/bad.result"
badcase "result file: value with a CR" \
    'result file line 1: CR not followed by LF'
printf 'add-header X-Ok: 1\nadd-header X-Injected: a\0b\n' >"$T/bad.result"
badcase "result file: NUL byte" 'result file line 2: NUL byte'
{ printf 'add-header X-Injected: '; head -c 991 /dev/zero | tr '\0' x
  echo; } >"$T/bad.result"
badcase "result file: header line of 999 bytes" \
    'result file line 1: header field longer than 998 bytes'
printf 'add-header X-Injected: 1\nfrobnicate now\n' >"$T/bad.result"
badcase "result file: unknown directive" \
    'result file line 2: unknown directive "frobnicate"'
{ printf 'add-header X-Injected: 1\n'; yes '# padding to make the file big' |
  head -c $((256 * 1024)); } >"$T/bad.result"
badcase "result file over 256 KiB" \
    'result file is larger than 262144 bytes'
printf 'From: r@example.org\nSubject: Injected\n' >"$T/bad.new"
badcase "replacement without an empty line after the header" \
    'replacement message rejected: no empty line between header and body'
{ printf 'From: r@example.org\nSubject: Injected\n\nshort\n'
  head -c 999 /dev/zero | tr '\0' y; echo; } >"$T/bad.new"
badcase "replacement with a body line of 999 bytes" \
    'replacement message rejected: line 5 is longer than 998 bytes'
{ printf 'From: r@example.org\nSubject: Injected\n\n'
  yes 'body line of a big replacement' | head -c 3000; } >"$T/bad.new"
badcase "replacement bigger than message_max" \
    'replacement message is larger than 2048 bytes' -O message_max=2048
printf 'From: r@example.org\nSubject: Injected\n\nNUL\0here\n' >"$T/bad.new"
badcase "replacement with a NUL byte" \
    'replacement message rejected: it contains a NUL byte'

# The limits themselves are allowed.
begin "result file: header line of exactly 998 bytes is applied"
{ printf 'add-header X-Long: '; head -c 990 /dev/zero | tr '\0' x
  echo; } >"$T/bad.result"
rm -f "$T/out"
try -c "$T/bad.conf" -f alice@example.org -r bob@example.org -o "$T/out" \
    "$T/msg.eml"
want_rc 0
n=$(grep -a '^X-Long: ' "$T/out" 2>/dev/null | tr -d '\n' | wc -c)
[ "$n" -eq 998 ] || err "X-Long line is $n bytes, expected 998"
rm -f "$T/bad.result"
end

begin "result file of exactly 256 KiB is applied"
{ printf 'add-header X-Big: 1\n'; yes '# padding to make the file big' |
  head -c $((256 * 1024 - 21)); echo; } >"$T/bad.result"
rm -f "$T/out"
try -c "$T/bad.conf" -f alice@example.org -r bob@example.org -o "$T/out" \
    "$T/msg.eml"
want_rc 0
[ "$(wc -c <"$T/bad.result")" -eq 262144 ] || err "test file has the wrong size"
grep -qx 'X-Big: 1' "$T/out" 2>/dev/null || err "X-Big not added"
rm -f "$T/bad.result"
end

begin "replacement of exactly message_max bytes with a 998-byte line is taken"
{ printf 'From: r@example.org\nSubject: fits\n\n'
  head -c 998 /dev/zero | tr '\0' y; echo; } >"$T/bad.new"
pad=$((2048 - $(wc -c <"$T/bad.new") - 5))
{ yes 'fill' | head -c "$pad"; echo last; } >>"$T/bad.new"
rm -f "$T/out"
try -c "$T/bad.conf" -O message_max=2048 -f alice@example.org \
    -r bob@example.org -o "$T/out" "$T/msg.eml"
want_rc 0
[ "$(wc -c <"$T/bad.new")" -eq 2048 ] || err "test file has the wrong size"
want_same "$T/out" "$T/bad.new"
rm -f "$T/bad.new"
end

# ---------------------------------------------------------------------
# Conditions

min=$(( (10#$(date +%M) + 30) % 60 ))
conf cond <<EOF
filters = ( { name = "mark"; command = "mark"; writable = [ "@T@/rec" ]; } );
rules = (
  { name = "sender-exact"; filter = "mark"; sender = "ALICE@example.org"; },
  { name = "sender-exact-no"; filter = "mark"; sender = "mallory@example.org"; },
  { name = "sender-re"; filter = "mark"; sender = "/^alice@/"; },
  { name = "sender-re-no"; filter = "mark"; sender = ["/^bob@/", "x@y"]; },
  { name = "rcpt-exact"; filter = "mark"; recipient = "bob@example.org"; },
  { name = "rcpt-re"; filter = "mark"; recipient = "/@example[.]net\$/"; },
  { name = "rcpt-none"; filter = "mark"; recipient = "zed@example.com"; },
  { name = "rcpt-all-no"; filter = "mark"; recipient = "/@example[.]org\$/"; recipient_match = "all"; },
  { name = "rcpt-all"; filter = "mark"; recipient = "/@example[.](org|net)\$/"; recipient_match = "all"; },
  { name = "subject-exact"; filter = "mark"; subject = "hello THERE"; },
  { name = "subject-re-no"; filter = "mark"; subject = "/viagra/i"; },
  { name = "header-exact"; filter = "mark"; header = ( { name = "x-a"; match = "TWO"; } ); },
  { name = "header-re-no"; filter = "mark"; header = ( { name = "X-A"; match = "/^thr/"; } ); },
  { name = "header-absent"; filter = "mark"; header = ( { name = "X-Spam-Flag"; match = "YES"; } ); },
  { name = "size-in"; filter = "mark"; size_min = 10; size_max = "1K"; },
  { name = "size-max-no"; filter = "mark"; size_max = 10; },
  { name = "size-min-no"; filter = "mark"; size_min = "1M"; },
  { name = "time-never"; filter = "mark"; time = "$min * * * *"; },
  { name = "time-always"; filter = "mark"; time = "* * * * *"; },
  { name = "unless-hit"; filter = "mark"; unless = { sender = "alice@example.org"; }; },
  { name = "unless-miss"; filter = "mark"; unless = { sender = "nobody@example.org"; }; },
  { name = "two-conds"; filter = "mark"; sender = "alice@example.org"; subject = "/hello/i"; },
  { name = "two-conds-no"; filter = "mark"; sender = "alice@example.org"; subject = "/bye/"; }
);
EOF
rm -f "$T/rec/ran"
try -c "$T/cond.conf" -f alice@example.org -r bob@example.org \
    -r carol@example.net "$T/msg.eml"
cp "$T/trace" "$T/cond.trace"
cond_rc=$rc

# cond - one rule's trace line and whether its filter ran
cond() {	# rule ran(1/0) line-after-"(filter mark): "
	begin "condition $1: $3"
	cp "$T/cond.trace" "$T/trace"
	: >"$T/stderr"
	want_line "rule \"$1\" (filter mark): $3"
	if [ "$2" = 1 ]; then
		grep -qx "$1" "$T/rec/ran" 2>/dev/null || err "$1 did not run"
	else
		! grep -qx "$1" "$T/rec/ran" 2>/dev/null || err "$1 ran"
	fi
	end
}

begin "conditions: a run over many rules accepts"
rc=$cond_rc
want_rc 0
end
cond sender-exact 1 'matched: sender "alice@example.org" matches "ALICE@example.org"'
cond sender-exact-no 0 'not matched: sender "alice@example.org" matches none of 1 pattern'
cond sender-re 1 'matched: sender "alice@example.org" matches "/^alice@/"'
cond sender-re-no 0 'not matched: sender "alice@example.org" matches none of 2 patterns'
cond rcpt-exact 1 'matched: recipient "bob@example.org" matches'
cond rcpt-re 1 'matched: recipient "carol@example.net" matches'
cond rcpt-none 0 'not matched: none of 2 recipients matches'
cond rcpt-all-no 0 'not matched: recipient "carol@example.net" matches none of 1 pattern (recipient_match = all)'
cond rcpt-all 1 'matched: all 2 recipients match'
cond subject-exact 1 'matched: Subject "Hello there" matches "hello THERE"'
cond subject-re-no 0 'not matched: Subject "Hello there" matches none of 1 pattern'
cond header-exact 1 'matched: x-a "two" matches "TWO"'
cond header-re-no 0 'not matched: X-A "two" matches none of 1 pattern'
cond header-absent 0 'not matched: no X-Spam-Flag header'
cond size-in 1 "matched: size $msgsize is within 10-1024"
cond size-max-no 0 "not matched: size $msgsize is outside 0-10"
cond size-min-no 0 "not matched: size $msgsize is outside 1048576-18446744073709551615"
begin "condition time-never: a minute that is not now does not match"
cp "$T/cond.trace" "$T/trace"
want_re "rule \"time-never\" \(filter mark\): not matched: time [A-Z][a-z]{2} [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2} is outside \"$min \* \* \* \*\""
! grep -qx time-never "$T/rec/ran" 2>/dev/null || err "time-never ran"
end
begin "condition time-always: * * * * * matches"
cp "$T/cond.trace" "$T/trace"
want_re "rule \"time-always\" \(filter mark\): matched: time .* is inside \"\* \* \* \* \*\""
grep -qx time-always "$T/rec/ran" 2>/dev/null || err "time-always did not run"
end
cond unless-hit 0 'not matched: unless: sender "alice@example.org" matches "alice@example.org"'
cond unless-miss 1 'matched: no conditions'
cond two-conds 1 'matched: all 2 conditions hold'
cond two-conds-no 0 'not matched: Subject "Hello there" matches none of 1 pattern'

begin "conditions: the filters ran in rule order, the others not at all"
printf '%s\n' sender-exact sender-re rcpt-exact rcpt-re rcpt-all \
    subject-exact header-exact size-in time-always unless-miss two-conds \
    >"$T/want"
want_same "$T/rec/ran" "$T/want"
end

# ---------------------------------------------------------------------
# Address rules

conf arules <<'EOF'
filters = ( { name = "seer"; command = "seer %f %s %r"; writable = [ "@T@/rec" ]; } );
rules = ( { name = "look"; filter = "seer"; } );
address_rules = (
  { name = "archive"; add_recipient = "archive@example.org"; },
  { name = "redir"; recipient = "old@example.org"; redirect = "new@example.org"; },
  { name = "hdr"; add_header = "X-Routed: by address rule"; },
  { name = "mallory-only"; sender = "mallory@example.org"; add_header = "X-Never: 1"; },
  { name = "nobody-rcpt"; recipient = "/^nobody@/"; add_recipient = "never@example.org"; }
);
EOF
begin "address rules: add_recipient, redirect, add_header"
rm -f "$T/out" "$T"/rec/seen.*
try -c "$T/arules.conf" -f alice@example.org -r old@example.org \
    -r keep@example.org -o "$T/out" "$T/msg.eml"
want_rc 0
want_line 'address rule "archive": matched: 2 recipients selected'
want_line "    applied: add-rcpt <archive@example.org>"
want_line 'address rule "redir": matched: 1 recipient selected'
want_line "    applied: redirect <old@example.org> to 1 address"
want_line 'address rule "mallory-only": not matched: sender does not match'
want_line 'address rule "nobody-rcpt": not matched: no recipient matches'
want_line "final envelope: from <alice@example.org> to <keep@example.org> <archive@example.org> <new@example.org>"
{ sed '/^$/,$d' "$T/msg.eml"; echo 'X-Routed: by address rule'
  sed -n '/^$/,$p' "$T/msg.eml"; } >"$T/expected"
want_same "$T/out" "$T/expected"
printf 'keep@example.org\narchive@example.org\nnew@example.org\n' >"$T/want"
want_same "$T/rec/seen.rcpts" "$T/want"
want_same "$T/rec/seen.msg" "$T/expected"
end

# ---------------------------------------------------------------------
# Timeouts, grandchildren, exec failures

filter hang <<'EOF'
sleep 1000 &
echo $! > @T@/rec/hang-gc.pid
echo $$ > @T@/rec/hang.pid
sleep 1000
EOF
filter stubborn <<'EOF'
trap '' TERM
sleep 1000 &
echo $! > @T@/rec/stub-gc.pid
echo $$ > @T@/rec/stub.pid
while :; do sleep 1; done
EOF
filter bg <<'EOF'
sleep 1000 &
echo $! > @T@/rec/bg-gc.pid
exit 0
EOF
conf timeout <<'EOF'
filters = (
  { name = "hang"; command = "hang"; timeout = 0.5; kill_grace = 0.3;
    writable = [ "@T@/rec" ]; },
  { name = "stubborn"; command = "stubborn"; timeout = 0.5; kill_grace = 0.3;
    writable = [ "@T@/rec" ]; },
  { name = "bg"; command = "bg"; timeout = 30; writable = [ "@T@/rec" ]; }
);
rules = ( { name = "r"; filter = "hang"; } );
EOF

# gone - the test fails if the pid in the file still runs
gone() {	# pidfile what
	local p
	p=$(cat "$1" 2>/dev/null)
	if [ -z "$p" ]; then
		err "the filter did not write $1"
	elif ! wait_gone "$p"; then
		err "$2 (pid $p) still runs: $(cat /proc/$p/cmdline 2>/dev/null |
		    tr '\0' ' ')"
	fi
}

begin "timeout: tempfail, trace says timed out, filter and grandchild killed"
try -c "$T/timeout.conf" -f alice@example.org -r bob@example.org \
    "$T/msg.eml"
want_rc 2
want_line "    error: timed out after 500 ms and was killed"
want_text "    status: timeout after 500ms"
want_line 'verdict: tempfail (rule "r")'
gone "$T/rec/hang.pid" "the filter"
gone "$T/rec/hang-gc.pid" "the background sleep"
end

sed -i 's/filter = "hang"/filter = "stubborn"/' "$T/timeout.conf"
begin "timeout: a filter that ignores TERM is killed after kill_grace"
try -c "$T/timeout.conf" -f alice@example.org -r bob@example.org \
    "$T/msg.eml"
want_rc 2
want_line "    error: timed out after 500 ms and was killed"
gone "$T/rec/stub.pid" "the filter"
gone "$T/rec/stub-gc.pid" "the background sleep (ignoring TERM)"
end

sed -i 's/filter = "stubborn"/filter = "bg"/' "$T/timeout.conf"
begin "a filter that exits leaving 'sleep 1000 &' returns at once; sleep killed"
try -c "$T/timeout.conf" -f alice@example.org -r bob@example.org \
    "$T/msg.eml"
want_rc 0
want_re "    status: exit=0, [0-9.]+ ms"
want_line "verdict: accept"
gone "$T/rec/bg-gc.pid" "the background sleep"
end

printf '#!/nonexistent/sh\nexit 0\n' >"$T/bin/badinterp"
chmod 755 "$T/bin/badinterp"
conf execfail <<'EOF'
filters = ( { name = "x"; command = "badinterp"; } );
rules = ( { name = "r"; filter = "x"; } );
EOF
begin "exec failure (bad interpreter) is an error: tempfail"
try -c "$T/execfail.conf" -f alice@example.org -r bob@example.org \
    "$T/msg.eml"
want_rc 2
want_line "    error: exec failed: No such file or directory"
want_line 'verdict: tempfail (rule "r")'
end

filter selfkill <<'EOF'
kill -KILL $$
EOF
conf selfkill <<'EOF'
filters = ( { name = "x"; command = "selfkill"; on_error = "skip"; } );
rules = ( { name = "r"; filter = "x"; } );
EOF
begin "a filter killed by a signal is an error (on_error skip: accept)"
try -c "$T/selfkill.conf" -f alice@example.org -r bob@example.org \
    "$T/msg.eml"
want_rc 0
want_line "    error: signal=9 (Killed)"
want_line "    verdict: error -> skip (on_error)"
want_line "verdict: accept"
end

# ---------------------------------------------------------------------
# sluiced -n

begin "sluiced -n with a good config exits 0"
"$SLUICED" -n -c "$T/cond.conf" >"$T/trace" 2>"$T/stderr"
rc=$?
want_rc 0
want_line "sluiced: $T/cond.conf: configuration is valid (1 filter, 23 rules, 0 address rules)"
end

# The bad config: each error on a line of its own, found with grep -n.
F=$T/badconf.conf
cat >"$F" <<EOF
include_dir = "$T/inc";
filter_dir = "$T/bin";
bogus_key = 1;
message_max = true;
filters = (
  { name = "f"; command = "mark"; },
  { name = "g"; command = "nothere %s"; }
);
rules = (
  { filter = "f"; sender = "/a(b/"; },
  { filter = "f"; time = "99 * * * *"; },
  { filter = "missing"; }
);
EOF
lno() {	# text: the line number of its first line in $F
	grep -nF -- "$1" "$F" | head -1 | cut -d: -f1
}
"$SLUICED" -n -c "$F" >"$T/trace" 2>&1
rc=$?
cp "$T/trace" "$T/badconf.out"

# badline - one expected error line of sluiced -n
badline() {	# description line-regex
	begin "sluiced -n reports $1"
	cp "$T/badconf.out" "$T/trace"
	want_re "$2"
	end
}
qF=$(printf '%s' "$F" | sed 's/[.[\*^$()+?{|]/\\&/g')
begin "sluiced -n with a bad config exits non-zero"
want_rc 1
end
badline "an unknown key" \
    "$qF:$(lno bogus_key): unknown key \"bogus_key\""
badline "a wrong type" \
    "$qF:$(lno message_max): message_max: expected a size.*"
badline "a program not found" \
    "$qF:$(lno nothere): program $T/bin/nothere: No such file or directory"
badline "a bad regex" \
    "$qF:$(lno '/a(b/'): sender: \"/a\(b/\": bad regex.*"
badline "a bad cron time" \
    "$qF:$(lno '"99 '): time \"99 \* \* \* \*\": .*"
badline "a rule with a missing filter" \
    "$qF:$(lno missing): rule \"rule3\": no filter called \"missing\""
badline "the error count" "sluiced: $qF: 6 errors"

# The same build errors without the schema errors are all found.
sed -i '/bogus_key/d; /message_max/d' "$F"
"$SLUICED" -n -c "$F" >"$T/trace" 2>&1
rc=$?
begin "sluiced -n reports all four build errors of a schema-clean config"
want_rc 1
want_re "$qF:$(lno nothere): program $T/bin/nothere: No such file or directory"
want_re "$qF:$(lno '/a(b/'): sender: \"/a\(b/\": bad regex.*"
want_re "$qF:$(lno '"99 '): time \"99 \* \* \* \*\": .*"
want_re "$qF:$(lno missing): rule \"rule3\": no filter called \"missing\""
want_line "sluiced: $F: 4 errors"
end

mkdir "$T/inc2"
printf '# fragment\nrules = ( { filter = "mark"; nonsense = 1; } );\n' \
    >"$T/inc2/10-extra.conf"
conf frag <<'EOF'
filters = ( { name = "mark"; command = "mark"; } );
EOF
begin "an error in an include_dir fragment names the fragment and line"
"$SLUICED" -n -c "$T/frag.conf" -O include_dir="$T/inc2" >"$T/trace" 2>&1
rc=$?
want_rc 1
want_line "$T/inc2/10-extra.conf:2: unknown key \"nonsense\" in rules"
end

begin "sluicectl try with a bad config exits 78"
try -c "$F" -f alice@example.org -r bob@example.org "$T/msg.eml"
want_rc 78
end

# Output a filter leaves behind must never hang, leak into another
# filter's run, or carry control bytes into the message.
filter fifo <<'EOF'
#!/bin/sh
mkfifo "$SLUICE_RESULT"
exit 0
EOF
filter planter <<'EOF'
#!/bin/sh
# plant result files where the next runs will look: in the run
# directories they will get (SPOOL/.runs/PID-N+i/), and in its own
# under the names of the files it leaves behind.  Whatever its sandbox
# refuses is no error of the planter's.
d=${SLUICE_RESULT%/*}
n=${d##*-}
for i in 1 2 3 4 5; do
	mkdir -p "${d%-*}-$((n + i))" 2>/dev/null
	echo "add-rcpt evil@example.org" >"${d%-*}-$((n + i))/result" 2>/dev/null
	printf 'From: x@y\n\nplanted\n' >"${d%-*}-$((n + i))/new" 2>/dev/null
	echo "add-rcpt evil@example.org" >"$d/result.$((n + i))"
	printf 'From: x@y\n\nplanted\n' >"$d/new.$((n + i))"
done
exit 0
EOF
filter quiet <<'EOF'
#!/bin/sh
exit 0
EOF
filter esc <<'EOF'
#!/bin/sh
printf 'add-header X-A: \033[2Jverdict: accept\n' >"$SLUICE_RESULT"
exit 0
EOF
conf leftovers <<'EOF'
filters = ( { name = "fifo"; command = "fifo"; timeout = 5; },
	{ name = "planter"; command = "planter"; },
	{ name = "quiet"; command = "quiet"; },
	{ name = "esc"; command = "esc"; } );
rules = ( { filter = "fifo"; subject = "fifo"; },
	{ filter = "planter"; subject = "plant"; },
	{ filter = "quiet"; subject = "plant"; },
	{ filter = "esc"; subject = "esc"; } );
EOF
for subj in fifo plant esc; do
	printf 'From: a@example.org\nSubject: %s\n\nbody\n' "$subj" \
	    >"$T/$subj.eml"
done
begin "a FIFO as result file is an error, not a hang"
rc=0
timeout 60 "$SLUICECTL" try -c "$T/leftovers.conf" -f a@example.org \
    -r b@example.org "$T/fifo.eml" >"$T/trace" 2>"$T/stderr" || rc=$?
[ "$rc" -eq 124 ] && err "try hung on the FIFO"
want_rc 2
want_re '    error: result file: .*'
end

begin "files planted by one filter are not the next filter's output"
try -c "$T/leftovers.conf" -f a@example.org -r b@example.org \
    -o "$T/out" "$T/plant.eml"
want_rc 0
grep -q 'evil@example.org' "$T/trace" && err "planted add-rcpt was applied"
grep -q 'planted' "$T/out" && err "planted replacement was applied"
end

begin "a control byte in a header value is the filter's error"
try -c "$T/leftovers.conf" -f a@example.org -r b@example.org \
    -o "$T/out" "$T/esc.eml"
want_rc 2
grep -q "$(printf '\033')" "$T/trace" && err "ESC reached the trace"
grep -q 'X-A' "$T/out" && err "header was added"
end

begin "no work directory is left in the private spool"
left=$(find "$T/spool" -mindepth 1 | head -5)
[ -z "$left" ] || err "left behind: $left"
end

tap_done
