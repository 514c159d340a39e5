#!/bin/sh
#
# tag_subject.sh - mark a message with a header and a subject tag
#
# WHAT
#	Asks sluice, through result file directives, to
#	  - add the header field "HEADER-NAME: TAG (rule RULE)", RULE being
#	    the rule that ran the filter ($SLUICE_RULE), and
#	  - put TAG and a space before the Subject (a message without a
#	    Subject gets "Subject: TAG").
#	The subject is left alone when it already contains TAG, so a
#	message that passes twice, or a reply, is not tagged twice.  The
#	header is always added.  Which messages are tagged is the rules'
#	business (a time window, a sender, a size...), not this script's.
#
# USAGE
#	tag_subject.sh [TAG [HEADER-NAME]]
#	TAG defaults to "[tagged]", HEADER-NAME to "X-Sluice-Tag".  TAG is
#	at most 200 bytes without control characters; HEADER-NAME is
#	printable ASCII without ':' (at most 100 bytes).  The message is
#	read from $SLUICE_MESSAGE, only to look at its Subject.  In
#	sluice.conf:
#
#	  filters = ( { name = "tag_subject";
#	                command = "tag_subject.sh '[sluice]'"; } );
#	  rules = ( { filter = "tag_subject";
#	              time = "* 0-7,18-23 * * *"; } );
#
#	Run by hand (no $SLUICE_RESULT) it prints the directives instead.
#
# EXIT CODES (sluice's default table)
#	0	continue, with the directives in $SLUICE_RESULT.  Also when
#		the result file cannot be written (said on stderr): a tag
#		is not worth holding mail for.
#	64	usage error (bad TAG or HEADER-NAME).  Not in the default
#		table, so sluice counts it as a filter error under
#		on_error.
#
# NEEDS
#	A POSIX sh, awk and tr.
#
# SECURITY
#	The message is untrusted and only read by awk.  TAG and
#	HEADER-NAME come from the config; they are checked so that no
#	directive this writes can be refused, and the rule name is cut to
#	printable text.
#
set -u
LC_ALL=C
export LC_ALL

prog=tag_subject.sh
finished=

# on_exit - the EXIT trap.  A shell error must not leave with a status
# that sluice maps to a verdict such as reject (1): tagging is cosmetic,
# so the message goes on.  Only the trap calls it, which shellcheck
# misses.
# shellcheck disable=SC2317
on_exit() {
	st=$?
	if [ -z "$finished" ]; then
		echo "$prog: unexpected error (status $st); not tagged" >&2
		exit 0
	fi
}
trap 'on_exit' EXIT

# finish - leave with a status we chose
finish() {
	finished=1
	exit "$1"
}

# usage - complain about the command line
usage() {
	echo "$prog: $*" >&2
	echo "usage: $prog [TAG [HEADER-NAME]]" >&2
	finish 64
}

[ $# -le 2 ] || usage "too many arguments"
tag=${1-[tagged]}
hname=${2-X-Sluice-Tag}

# Limits of the result file (see directive.h): a subject prefix is at
# most 200 bytes, no control characters; a field name is RFC 5322
# ftext, printable ASCII but ':'.
if [ "$(printf '%s' "$tag" | tr -d '\000-\037\177')" != "$tag" ]; then
	usage "TAG contains control characters"
fi
[ -n "$(printf '%s' "$tag" | tr -d ' ')" ] || usage "TAG is empty"
[ "${#tag}" -le 200 ] || usage "TAG is longer than 200 bytes"
if [ -z "$hname" ] || [ -n "$(printf '%s' "$hname" | tr -d '!-9;-~')" ]
then
	usage "HEADER-NAME must be printable ASCII without ':' or blanks"
fi
[ "${#hname}" -le 100 ] || usage "HEADER-NAME is longer than 100 bytes"

rule=$(printf '%s' "${SLUICE_RULE:-}" | tr -d '\000-\037\177' | cut -c1-200)
value=$tag
[ -z "$rule" ] || value="$tag (rule $rule)"

# The first Subject field, unfolded; empty when there is none or the
# message cannot be read (then the subject is tagged regardless).
subject=
msg=${SLUICE_MESSAGE:-}
if [ -n "$msg" ] && [ -f "$msg" ] && [ -r "$msg" ]; then
	subject=$(awk '
	{ sub(/\r$/, "") }
	$0 == "" { exit }
	/^[ \t]/ { if (insubj) s = s $0; next }
	insubj { exit }
	{
		i = index($0, ":")
		name = tolower(substr($0, 1, i - 1))
		sub(/[ \t]+$/, "", name)
		if (i > 0 && name == "subject") {
			s = substr($0, i + 1)
			insubj = 1
		}
	}
	END { print s }
	' "$msg" 2>/dev/null) || subject=
fi

directives="add-header $hname: $value"
case $subject in
*"$tag"*)	;;
*)		directives="$directives
prefix-subject $tag" ;;
esac

if [ -z "${SLUICE_RESULT:-}" ]; then
	printf '%s\n' "$directives"
elif ! printf '%s\n' "$directives" >"$SLUICE_RESULT"; then
	echo "$prog: cannot write $SLUICE_RESULT; not tagged" >&2
fi
finish 0
