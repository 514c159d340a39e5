#!/bin/bash
# demo.sh - the shipped demo (testdata/demo/run) shows what it promises:
# each message's verdict as try's exit status and trace, and each
# rewrite in the resulting message.
# Prints TAP.  Run by testdata/run-tests, or by hand.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/t/tap.bash"
export SLUICECTL=${SLUICECTL:-$here/../build/sluicectl}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$here/demo/run" >"$out" 2>&1

# check - the demo's output has a line matching the pattern
check() {	# description grep-pattern
	if grep -qE -- "$2" "$out"; then
		pass "$1"
	else
		fail "$1" "no line matching: $2"
	fi
}

# section - the lines of one message's section
section() {
	sed -n "/^=== $1 ===/,/^(exit status/p" "$out"
}

# expect - one message's verdict and try's exit status
expect() {	# message exit-status verdict
	s=$(section "$1")
	if echo "$s" | grep -q "^(exit status $2)" &&
	    echo "$s" | grep -q "^verdict: $3"; then
		pass "$1: verdict $3, exit status $2"
	else
		fail "$1: verdict $3, exit status $2" "$s"
	fi
}

expect accept 0 accept
expect continue 0 accept
expect reject 1 reject
expect tempfail 2 tempfail
expect discard 3 discard
expect quarantine 4 quarantine
expect headers 0 accept
expect envelope 0 accept
expect replace 0 accept
expect crash 2 tempfail
check "reject reply carries the reason" \
    '^reply: 550 5\.7\.1 Message rejected: the demo rejects this message$'
check "redirect replaces the recipient" \
    '^final envelope: from <sender@example.net> to <alice@example.org> <bob@example.org>$'
check "envelope directives change sender and recipients" \
    '^final envelope: from <bounces@example.org> to <archive@example.org>$'
check "inserted header is first in the result" '^X-Demo-First: at the top$'
check "subject prefixed" '^Subject: \[demo\] demo: headers$'
check "changed header" '^X-Demo-Change: new value$'
if grep -q '^X-Demo-Delete' "$out"; then
	fail "deleted headers are gone" "$(grep '^X-Demo-Delete' "$out")"
else
	pass "deleted headers are gone"
fi
check "replacement message is the output" \
    '^Subject: replaced by the demo filter$'
check "unmapped exit code is an error, not a discard" \
    'error: exit code 9 is not mapped to a verdict'
tap_done
