#!/bin/sh
#
# archive.sh - keep a copy of every message in a dated Maildir
#
# WHAT
#	Copies the message, byte for byte, into the Maildir
#	ARCHIVE_DIR/YYYY-MM-DD/ (local date), creating ARCHIVE_DIR, the
#	day's directory and its cur/, new/ and tmp/ as needed, mode 0700.
#	Delivery follows the Maildir rules: the copy is written under a
#	unique name in tmp/, flushed to disk, and only then renamed into
#	new/, so a reader never sees half a message.  The unique name is
#	TIME.PpidRrandom_QUEUEID.HOST (the queue id from $SLUICE_QUEUE_ID,
#	letters and digits only).  The message is not changed and nothing
#	is written to the result file.
#
# USAGE
#	archive.sh ARCHIVE_DIR [MESSAGE]
#	ARCHIVE_DIR must be absolute (a filter runs in a temporary
#	directory that is removed afterwards).  MESSAGE defaults to
#	$SLUICE_MESSAGE.  In sluice.conf:
#
#	  filters = ( { name = "archive";
#	                command = "archive.sh /var/spool/sluice-archive"; } );
#	  rules = ( { filter = "archive";
#	              recipient = "/@example\\.org$/i"; } );
#
#	The filter runs as sluice's unprivileged user, which must be able
#	to create ARCHIVE_DIR or write into it, e.g.
#	  install -d -o nobody -m 700 /var/spool/sluice-archive
#
# EXIT CODES (sluice's default table)
#	0	continue: the copy is in new/
#	64	usage error (no ARCHIVE_DIR, or a relative one).  Not in the
#		default table, so sluice counts it as a filter error under
#		on_error.
#	75	tempfail: the message cannot be read, or the copy cannot be
#		written (no directory, no permission, disk full).  An
#		archive must not lose a message silently, so the sender's
#		MTA is told to try again later.
#
# NEEDS
#	A POSIX sh, date, od (for /dev/urandom), uname, tr, sed, cat, mv,
#	mkdir; sync with file arguments (GNU coreutils, busybox) to flush
#	the copy, else a global sync.
#
# SECURITY
#	Writes only below ARCHIVE_DIR, with umask 077.  The queue id and
#	host name are reduced to safe characters before they become part
#	of a file name.  The message is copied, never interpreted.
#
set -u
LC_ALL=C
export LC_ALL
umask 077

prog=archive.sh
finished=
tmpf=

# on_exit - the EXIT trap.  A shell error must not leave with a status
# that sluice maps to a verdict (1 would reject the message); the
# archive's answer to any surprise is "try again later".  Only the trap
# calls it, which shellcheck misses.
# shellcheck disable=SC2317
on_exit() {
	st=$?
	if [ -z "$finished" ]; then
		[ -z "$tmpf" ] || rm -f -- "$tmpf"
		echo "$prog: unexpected error (status $st); deferring" >&2
		exit 75
	fi
}
trap 'on_exit' EXIT

# finish - leave with a status we chose
finish() {
	finished=1
	exit "$1"
}

# fail - report, remove a half-written copy, and ask for a retry
fail() {
	echo "$prog: $*; deferring the message" >&2
	[ -z "$tmpf" ] || rm -f -- "$tmpf"
	finish 75
}

# usage - complain about the command line
usage() {
	echo "usage: $prog ARCHIVE_DIR [MESSAGE]  (ARCHIVE_DIR absolute)" >&2
	finish 64
}

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	usage
fi
archive=$1
case $archive in
/*)	;;
*)	usage ;;
esac
msg=${2:-${SLUICE_MESSAGE:-}}
[ -n "$msg" ] || fail "no message file (no argument, SLUICE_MESSAGE unset)"
if [ ! -f "$msg" ] || [ ! -r "$msg" ]; then
	fail "cannot read message file $msg"
fi

stamp=$(date '+%Y-%m-%d %s') || fail "date failed"
day=${stamp% *}
now=${stamp#* }
md=$archive/$day
mkdir -p -- "$md/tmp" "$md/new" "$md/cur" || fail "cannot create $md"

# Maildir unique names: a ':' would start the info part and a '/' a
# directory, so they are written as \072 and \057.
host=$(uname -n 2>/dev/null | sed 's,/,\\057,g; s,:,\\072,g')
[ -n "$host" ] || host=localhost
qid=$(printf '%s' "${SLUICE_QUEUE_ID:-}" | tr -cd 'A-Za-z0-9')

# Try a few names: a clash is next to impossible, but an existing file
# must never be overwritten.
n=0
while :; do
	n=$((n + 1))
	[ "$n" -le 5 ] || fail "no free file name in $md/tmp"
	rand=$(od -An -N4 -tu4 /dev/urandom 2>/dev/null | tr -cd '0-9')
	name=$now.P$$R${rand:-$n}_$qid.$host
	if [ -e "$md/tmp/$name" ] || [ -e "$md/new/$name" ]; then
		continue
	fi
	# noclobber: the shell creates the file with O_EXCL
	if (set -C; : >"$md/tmp/$name") 2>/dev/null; then
		tmpf=$md/tmp/$name
		break
	fi
	[ -e "$md/tmp/$name" ] || fail "cannot create a file in $md/tmp"
done
cat -- "$msg" >"$tmpf" || fail "cannot write $tmpf"

# The data must be on disk before the name appears in new/.
sync -- "$tmpf" 2>/dev/null || sync
[ ! -e "$md/new/$name" ] || fail "$md/new/$name exists"
mv -- "$tmpf" "$md/new/$name" ||
    fail "cannot move $tmpf into $md/new"
tmpf=
# and the rename with it
sync -- "$md/new" 2>/dev/null || :
finish 0
