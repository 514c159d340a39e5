#!/bin/sh
# demo-filter.sh - a filter that does what the message asks for
#
# Reads the "X-Demo:" header of the message and answers with the verdict
# or rewrite it names, so "sluicectl try" can show every verdict and
# every directive on the messages in testdata/demo/messages.
# Usage (config): command = "demo-filter.sh %f %n";
# Exit codes: as mapped by the demo config's exit group.
set -u
msg=$1
new=$2
want=$(sed -n '/^$/q; s/^X-Demo: *//p' "$msg" | head -n 1)
case "$want" in
reject)
	echo "reason the demo rejects this message" >"$SLUICE_RESULT"
	exit 1 ;;
tempfail)
	echo "reason the demo asks to try later" >"$SLUICE_RESULT"
	exit 75 ;;
discard)	exit 2 ;;
quarantine)	exit 3 ;;
accept)		exit 4 ;;
headers)
	cat >"$SLUICE_RESULT" <<'DIRECTIVES'
add-header X-Demo-Added: yes
insert-header 0 X-Demo-First: at the top
change-header X-Demo-Change: new value
delete-header X-Demo-Delete
prefix-subject [demo]
DIRECTIVES
	exit 0 ;;
envelope)
	cat >"$SLUICE_RESULT" <<'DIRECTIVES'
add-rcpt <archive@example.org>
delete-rcpt <old@example.org>
change-sender <bounces@example.org>
DIRECTIVES
	exit 0 ;;
replace)
	{
		printf 'From: demo@example.org\n'
		printf 'Subject: replaced by the demo filter\n\n'
		printf 'The original body was removed.\n'
	} >"$new"
	exit 0 ;;
crash)
	# exit 2 is what dash gives for a syntax error: not mapped by the
	# default table, so it is an error, never a discard
	exit 9 ;;
esac
exit 0
