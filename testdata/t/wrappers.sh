#!/bin/bash
#
# wrappers.sh - test the sample wrappers, run directly as sluice would
#
# Runs wrappers/reject_html.sh, archive.sh and tag_subject.sh on the
# messages in testdata/messages/ and on odd messages made here, each
# with a clean environment, a private working directory and the
# SLUICE_* variables that sluice sets.  Checks exit codes, the result
# file, standard output, and the Maildir copies.  The checks that mean
# nothing as root (an unreadable message, an unwritable ARCHIVE_DIR) run
# the wrapper as an unprivileged user when the suite runs as root (see
# unpriv in tap.bash).  Prints TAP through tap.bash and exits 1 when a
# test failed.
#
# usage: bash testdata/t/wrappers.sh    (from anywhere)
#
# Checks are often written  check DESC eval '...'  so that the
# expression is expanded when the check runs, not before:
# shellcheck disable=SC2016
set -u

here=$(cd "$(dirname "$0")" && pwd) || exit 1
root=$(cd "$here/../.." && pwd) || exit 1
W=$root/wrappers
M=$root/testdata/messages
T=$(mktemp -d "${TMPDIR:-/tmp}/sluice-wrappers.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
trap 'exit 1' HUP INT TERM

. "$here/tap.bash"

seq=0
RULE=test-rule
QID=4QxT2K1vZ9
SH=
AS=()

# check DESC COMMAND... - one test: COMMAND must succeed
check() {
	desc=$1
	shift
	if "$@"; then
		pass "$desc"
	else
		fail "$desc" "exit $rc; stdout: $(cat "$rd/out"); stderr: $(cat \
		    "$rd/err")"
	fi
}

# run WRAPPER MSG ARGS... - run a wrapper the way sluice does: argv
# only, PATH fixed, cwd and TMPDIR a private directory, and the
# SLUICE_* environment.  MSG goes into SLUICE_MESSAGE only.  Leaves
# rc, and rd with out, err and (if written) result.
run() {
	w=$1
	msg=$2
	shift 2
	seq=$((seq + 1))
	rd=$T/run.$seq
	mkdir "$rd" "$rd/tmp" || exit 1
	# a run as the unprivileged user owns its directory, as the filter
	# user owns its work directory under sluice
	[ ${#AS[@]} -eq 0 ] || chown -R "$UNPRIV_USER" "$rd" || exit 1
	size=$({ wc -c <"$msg"; } 2>/dev/null | tr -d ' ')
	(
		cd "$rd/tmp" || exit 99
		# shellcheck disable=SC2086  # $SH: empty, or a shell name
		exec "${AS[@]}" env -i PATH=/usr/local/bin:/usr/bin:/bin LANG=C \
		    HOME="$rd/tmp" TMPDIR="$rd/tmp" \
		    SLUICE_SENDER=alice@example.com \
		    SLUICE_RECIPIENTS="bob@example.net
carol@example.org" \
		    SLUICE_MESSAGE="$msg" SLUICE_NEW_MESSAGE="$rd/new" \
		    SLUICE_RESULT="${RESULT-$rd/result}" \
		    SLUICE_QUEUE_ID="$QID" SLUICE_CLIENT_ADDR=192.0.2.10 \
		    SLUICE_CLIENT_NAME=mail.example.com \
		    SLUICE_HELO=mail.example.com SLUICE_AUTH_USER= \
		    SLUICE_TMPDIR="$rd/tmp" SLUICE_SIZE="${size:-0}" \
		    SLUICE_RULE="$RULE" SLUICE_FILTER=test-filter \
		    $SH "$W/$w" "$@"
	) >"$rd/out" 2>"$rd/err"
	rc=$?
}

# result_is TEXT - the result file holds exactly TEXT (and a newline)
result_is() {
	[ -f "$rd/result" ] && [ "$(cat "$rd/result")" = "$1" ]
}

# no_result - no directives: the result file is absent or empty
no_result() {
	[ ! -s "$rd/result" ]
}

# first_out_is TEXT - the first line of standard output is TEXT
first_out_is() {
	[ "$(sed -n 1p "$rd/out")" = "$1" ]
}

# rc_is N - the last run exited with N
rc_is() {
	[ "$rc" -eq "$1" ]
}

# rejects DESC WANT-REASON MSG ARGS... - reject_html exits 1 with WANT
rejects() {
	desc=$1
	want=$2
	shift 2
	run reject_html.sh "$@"
	if rc_is 1 && result_is "reason $want" && first_out_is "$want"
	then
		pass "reject_html rejects $desc"
	else
		fail "reject_html rejects $desc" "exit $rc; result: $(cat \
		    "$rd/result" 2>/dev/null); stderr: $(cat "$rd/err")"
	fi
}

# passes DESC MSG ARGS... - reject_html exits 0 with no directives
passes() {
	desc=$1
	shift
	run reject_html.sh "$@"
	if rc_is 0 && no_result; then
		pass "reject_html passes $desc"
	else
		fail "reject_html passes $desc" "exit $rc; stdout: $(cat \
		    "$rd/out"); stderr: $(cat "$rd/err")"
	fi
}

# mime FILE - start a made-up message with the usual header fields
mime() {
	printf '%s\n' "From: Test <test@example.com>" "To: bob@example.net" \
	    "Subject: test" "Date: Fri, 22 Nov 2024 10:00:00 +0000" \
	    "Message-ID: <t.$seq@example.com>" "MIME-Version: 1.0" >"$1"
}

# ---------------------------------------------------------------------
# the files themselves
for w in reject_html.sh archive.sh tag_subject.sh; do
	if [ -f "$W/$w" ] && [ -x "$W/$w" ]; then
		pass "$w is executable"
	else
		fail "$w is executable"
	fi
	if sh -n "$W/$w" 2>/dev/null; then
		pass "$w parses with sh -n"
	else
		fail "$w parses with sh -n"
	fi
	if command -v shellcheck >/dev/null 2>&1; then
		if out=$(shellcheck -s sh "$W/$w" 2>&1); then
			pass "$w passes shellcheck"
		else
			fail "$w passes shellcheck" "$out"
		fi
	else
		skip "$w passes shellcheck" "shellcheck not installed"
	fi
done

# ---------------------------------------------------------------------
# reject_html.sh on the sample messages (the command is "reject_html.sh
# %f", so the path is also an argument)
passes "plain.eml" "$M/plain.eml" "$M/plain.eml"
rejects "html-only.eml" "HTML-only messages are not accepted" \
    "$M/html-only.eml" "$M/html-only.eml"
passes "multipart-alt.eml (text and HTML)" "$M/multipart-alt.eml" \
    "$M/multipart-alt.eml"
rejects "attachment.eml" "attachments are not accepted (invoice.pdf)" \
    "$M/attachment.eml" "$M/attachment.eml"
rejects "folded-headers.eml (folded, quoted, odd case)" \
    "attachments are not accepted (quarterly report.pdf)" \
    "$M/folded-headers.eml" "$M/folded-headers.eml"
passes "no-subject.eml" "$M/no-subject.eml" "$M/no-subject.eml"
passes "eicar.eml" "$M/eicar.eml" "$M/eicar.eml"
rejects "crlf.eml (CRLF line endings)" \
    "attachments are not accepted (notes.txt)" "$M/crlf.eml" "$M/crlf.eml"
passes "8bit.eml" "$M/8bit.eml" "$M/8bit.eml"

# the switches
passes "attachment.eml with -A" "$M/attachment.eml" -A "$M/attachment.eml"
passes "folded-headers.eml with -A" "$M/folded-headers.eml" -A \
    "$M/folded-headers.eml"
passes "crlf.eml with -A" "$M/crlf.eml" -A "$M/crlf.eml"
rejects "html-only.eml with -A" "HTML-only messages are not accepted" \
    "$M/html-only.eml" -A "$M/html-only.eml"
passes "html-only.eml with -H" "$M/html-only.eml" -H "$M/html-only.eml"
rejects "attachment.eml with -H" \
    "attachments are not accepted (invoice.pdf)" "$M/attachment.eml" -H \
    "$M/attachment.eml"
passes "html-only.eml with -H -A" "$M/html-only.eml" -H -A \
    "$M/html-only.eml"
passes "attachment.eml with -HA" "$M/attachment.eml" -HA \
    "$M/attachment.eml"

# the message from $SLUICE_MESSAGE when there is no argument
rejects "with the path from SLUICE_MESSAGE" \
    "HTML-only messages are not accepted" "$M/html-only.eml"

# made-up messages
f=$T/html-folded.eml
mime "$f"
printf '%s\n' "Content-Type:" "	text/html;" " charset=utf-8" "" \
    "<p>hi</p>" >>"$f"
rejects "a folded top-level text/html" \
    "HTML-only messages are not accepted" "$f" "$f"

f=$T/html-lower.eml
mime "$f"
printf '%s\n' "content-type : TEXT/HTML ; charset=us-ascii" "" \
    "<p>hi</p>" >>"$f"
rejects "lower-case names, upper-case types" \
    "HTML-only messages are not accepted" "$f" "$f"

f=$T/related.eml
mime "$f"
printf '%s\n' 'Content-Type: multipart/related; boundary="rel"' "" \
    "--rel" "Content-Type: text/html" "" "<img src=\"cid:logo\">" \
    "--rel" "Content-Type: image/png" "Content-ID: <logo>" \
    "Content-Transfer-Encoding: base64" "" "iVBORw0KGgo=" "--rel--" >>"$f"
rejects "multipart/related HTML with an unnamed inline image" \
    "HTML-only messages are not accepted" "$f" "$f"

f=$T/related-named.eml
sed 's/^Content-ID: <logo>$/Content-Disposition: inline; filename=logo.png/' \
    "$T/related.eml" >"$f"
rejects "an inline image with a file name as an attachment" \
    "attachments are not accepted (logo.png)" "$f" "$f"
rejects "the same as HTML-only with -A" \
    "HTML-only messages are not accepted" "$f" -A "$f"

f=$T/nested.eml
mime "$f"
printf '%s\n' 'Content-Type: multipart/mixed; boundary=outer' "" \
    "preamble" "--outer" \
    'Content-Type: multipart/alternative; boundary="outer-inner"' "" \
    "--outer-inner" "Content-Type: text/plain" "" "text" \
    "--outer-inner" "Content-Type: text/html" "" "<p>html</p>" \
    "--outer-inner--" "" "--outer" \
    'Content-Type: application/pdf; name="inner.pdf"' "" "JVBERi0=" \
    "--outer--" "epilogue" >>"$f"
rejects "an attachment beside a nested alternative" \
    "attachments are not accepted (inner.pdf)" "$f" "$f"
passes "the nested alternative with -A" "$f" -A "$f"

f=$T/plain-attached.eml
mime "$f"
printf '%s\n' 'Content-Type: multipart/mixed; boundary=b1' "" \
    "--b1" "Content-Type: text/html" "" "<p>body</p>" \
    "--b1" "Content-Type: text/plain" \
    "Content-Disposition: attachment; filename=notes.txt" "" "notes" \
    "--b1--" >>"$f"
rejects "HTML whose only text/plain part is an attachment (-A)" \
    "HTML-only messages are not accepted" "$f" -A "$f"

f=$T/rfc2231.eml
mime "$f"
printf '%s\n' 'Content-Type: multipart/mixed; boundary=b2' "" \
    "--b2" "Content-Type: text/plain" "" "see attachment" \
    "--b2" "Content-Type: application/pdf" \
    "Content-Disposition: attachment;" \
    " filename*=UTF-8''r%C3%A9sum%C3%A9%20final.pdf" "" "JVBERi0=" \
    "--b2--" >>"$f"
rejects "an RFC 2231 encoded file name" \
    "attachments are not accepted (r??sum?? final.pdf)" "$f" "$f"

f=$T/rfc2231-cont.eml
mime "$f"
printf '%s\n' 'Content-Type: multipart/mixed; boundary=b3' "" \
    "--b3" "Content-Type: text/plain" "" "see attachment" \
    "--b3" 'Content-Type: application/octet-stream;' \
    '	name*0="a-rather-long-";' '	name*1="file-name.bin"' "" "AAAA" \
    "--b3--" >>"$f"
rejects "an RFC 2231 continued name" \
    "attachments are not accepted (a-rather-long-file-name.bin)" "$f" "$f"

f=$T/several.eml
mime "$f"
printf '%s\n' 'Content-Type: multipart/mixed; boundary=b4' "" \
    "--b4" "Content-Type: text/plain" "" "three files" \
    "--b4" 'Content-Type: application/pdf; name=a.pdf' "" "x" \
    "--b4" 'Content-Type: application/pdf; name=b.pdf' "" "x" \
    "--b4" 'Content-Type: application/pdf; name=c.pdf' "" "x" \
    "--b4--" >>"$f"
rejects "several attachments, naming the first" \
    "attachments are not accepted (a.pdf and 2 more)" "$f" "$f"

f=$T/noname.eml
mime "$f"
printf '%s\n' 'Content-Type: multipart/mixed; boundary=b5' "" \
    "--b5" "Content-Type: text/plain" "" "x" \
    "--b5" 'Content-Type: application/octet-stream' \
    'Content-Disposition: ATTACHMENT' "" "x" "--b5--" >>"$f"
rejects "an attachment without a name" "attachments are not accepted" \
    "$f" "$f"

f=$T/hostile.eml
mime "$f"
{
	printf '%s\n' 'Content-Type: multipart/mixed; boundary=b6' "" \
	    "--b6" "Content-Type: text/plain" "" "x" "--b6"
	printf 'Content-Disposition: attachment; filename="ev\001il\\"q.exe"\n'
	printf '%s\n' "" "x" "--b6--"
} >>"$f"
rejects "a file name with a control byte and a quote" \
    'attachments are not accepted (ev?il"q.exe)' "$f" "$f"

f=$T/longname.eml
long=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
long=$long$long		# 80 bytes
mime "$f"
printf '%s\n' 'Content-Type: multipart/mixed; boundary=b7' "" \
    "--b7" "Content-Type: text/plain" "" "x" \
    "--b7" "Content-Type: application/pdf; name=${long}yyyy.pdf" "" "x" \
    "--b7--" >>"$f"
rejects "a long file name, cut to 80 bytes" \
    "attachments are not accepted (${long}...)" "$f" "$f"

f=$T/padding.eml
mime "$f"
printf '%s\n' 'Content-Type: multipart/mixed; boundary=pad' "" \
    "--pad  " "Content-Type: text/plain" "" "x" \
    "--pad	" "Content-Type: image/gif; name=dot.gif" "" "R0lGOD" \
    "--pad-- " >>"$f"
rejects "delimiters with transport padding" \
    "attachments are not accepted (dot.gif)" "$f" "$f"

f=$T/unclosed.eml
mime "$f"
printf '%s\n' 'Content-Type: multipart/mixed; boundary=open' "" \
    "--open" "Content-Type: text/plain" "" "x" \
    "--open" "Content-Type: application/zip; name=a.zip" "" "UEsDB" >>"$f"
rejects "a multipart that is never closed" \
    "attachments are not accepted (a.zip)" "$f" "$f"

f=$T/comment.eml
mime "$f"
printf '%s\n' 'Content-Type: multipart/mixed (a comment; boundary=no);' \
    '  boundary="c(1)"' "" "--c(1)" "Content-Type: text/html (really)" "" \
    "<p>x</p>" "--c(1)--" >>"$f"
rejects "comments in structured fields" \
    "HTML-only messages are not accepted" "$f" "$f"

f=$T/noboundary.eml
mime "$f"
printf '%s\n' 'Content-Type: multipart/mixed' "" "--x" \
    "Content-Type: text/html" "" "<p>x</p>" >>"$f"
passes "a multipart without a boundary" "$f" "$f"

f=$T/empty.eml
: >"$f"
passes "an empty file" "$f" "$f"

f=$T/headers-only.eml
printf '%s\n' "Subject: no body" "Content-Type: text/html" >"$f"
rejects "a header block without a body" \
    "HTML-only messages are not accepted" "$f" "$f"

f=$T/binary.eml
printf 'Content-Type: multipart/mixed; boundary="\377"\n\n--\377\n%b' \
    '\000\001\002\r\r\n\377\376--\n' >"$f"
run reject_html.sh "$f" "$f"
check "reject_html passes binary junk without an error" rc_is 0

# deep - a message with LEVELS nested multiparts around a text/html
deep() {
	mime "$1"
	i=0
	while [ "$i" -lt "$2" ]; do
		printf 'Content-Type: multipart/mixed; boundary=d%s\n\n--d%s\n' \
		    "$i" "$i" >>"$1"
		i=$((i + 1))
	done
	printf '%s\n' "Content-Type: text/html" "" "<p>deep</p>" >>"$1"
}
deep "$T/deep60.eml" 60
rejects "HTML under 60 nested multiparts" \
    "HTML-only messages are not accepted" "$T/deep60.eml" "$T/deep60.eml"
deep "$T/deep150.eml" 150
passes "150 nested multiparts (gives up past 100)" "$T/deep150.eml" \
    "$T/deep150.eml"

# The unprivileged user for the checks that mean nothing as root, and
# the wrappers and the message where it can reach them: a copy under $T
# when the checkout is closed to it.  Each such check first makes the
# same run on something the user may use and wants exit 0 there, so
# that the 75 it wants after is for the reason it tests.
UW=$W
UM=$M
if unpriv; then
	chmod 711 "$T"
	if ! unpriv_can -x "$T"; then
		UNPRIV_WHY="user $UNPRIV_USER cannot reach $T"
	elif ! unpriv_can -r "$W/reject_html.sh" "$W/archive.sh" \
	    "$M/plain.eml" ||
	    ! unpriv_can -x "$W/reject_html.sh" "$W/archive.sh"; then
		mkdir "$T/pub"
		cp "$W/reject_html.sh" "$W/archive.sh" "$M/plain.eml" "$T/pub"
		chmod 755 "$T/pub" "$T/pub/reject_html.sh" "$T/pub/archive.sh"
		chmod 644 "$T/pub/plain.eml"
		UW=$T/pub
		UM=$T/pub
	fi
fi
[ ${#UNPRIV[@]} -eq 0 ] || [ -n "$UNPRIV_WHY" ] ||
    echo "# the unreadable and unwritable checks run as $UNPRIV_USER"

# as_unpriv - run (above) as the unprivileged user, on the wrappers it
# can reach
as_unpriv() {	# run arguments
	AS=("${UNPRIV[@]}")
	W=$UW
	run "$@"
	AS=()
	W=$root/wrappers
}

# errors
run reject_html.sh "$T/missing.eml" "$T/missing.eml"
check "reject_html: a missing message file is a tempfail (75)" rc_is 75
run reject_html.sh "$T" "$T"
check "reject_html: a directory as the message is a tempfail (75)" rc_is 75
if [ -z "$UNPRIV_WHY" ]; then
	cp "$M/plain.eml" "$T/unreadable.eml"
	chown "$UNPRIV_USER" "$T/unreadable.eml"
	chmod 000 "$T/unreadable.eml"
	as_unpriv reject_html.sh "$UM/plain.eml" "$UM/plain.eml"
	rc0=$rc
	as_unpriv reject_html.sh "$T/unreadable.eml" "$T/unreadable.eml"
	check "reject_html: an unreadable message is a tempfail (75)" \
	    eval '[ "$rc0" -eq 0 ] && rc_is 75'
else
	skip "reject_html: an unreadable message is a tempfail (75)" \
	    "$UNPRIV_WHY"
fi
run reject_html.sh "" ""
check "reject_html: no message at all is a tempfail (75)" rc_is 75
run reject_html.sh "$M/plain.eml" -x "$M/plain.eml"
check "reject_html: an unknown option is a usage error (64)" rc_is 64
run reject_html.sh "$M/plain.eml" "$M/plain.eml" extra
check "reject_html: two messages are a usage error (64)" rc_is 64

RESULT=
run reject_html.sh "$M/html-only.eml" "$M/html-only.eml"
check "reject_html without SLUICE_RESULT: exit 1, reason on stdout" \
    eval 'rc_is 1 && first_out_is "HTML-only messages are not accepted"'
RESULT=$T/no/such/dir/result
run reject_html.sh "$M/html-only.eml" "$M/html-only.eml"
check "reject_html with an unwritable result file still rejects" \
    eval 'rc_is 1 && first_out_is "HTML-only messages are not accepted"'
unset RESULT

# other shells
for sh in bash "busybox sh"; do
	if ! command -v "${sh%% *}" >/dev/null 2>&1; then
		skip "reject_html under $sh" "${sh%% *} not installed"
		continue
	fi
	SH=$sh
	run reject_html.sh "$M/folded-headers.eml" "$M/folded-headers.eml"
	check "reject_html under $sh" eval 'rc_is 1 && result_is \
	    "reason attachments are not accepted (quarterly report.pdf)"'
	SH=
done

# ---------------------------------------------------------------------
# archive.sh

# perm_is MODE PATH - PATH has exactly the permission bits MODE
perm_is() {
	[ -e "$2" ] && [ -n "$(find "$2" -prune -perm "$1")" ]
}

# first_in DIR - the name of one entry of DIR, or nothing
first_in() {
	for e in "$1"/*; do
		[ -e "$e" ] && echo "${e##*/}"
		return 0
	done
}

# maildir_ok DIR - DIR is a Maildir: cur new tmp, all mode 0700
maildir_ok() {
	for d in "$1" "$1/cur" "$1/new" "$1/tmp"; do
		[ -d "$d" ] && perm_is 700 "$d" || return 1
	done
}

# count DIR - the number of entries in DIR
count() {
	set -- "$1"/* "$1"/.[!.]*
	c=0
	for e in "$@"; do
		[ -e "$e" ] && c=$((c + 1))
	done
	echo "$c"
}

# archived ARCHIVE - the day directory the last run wrote (today, or
# yesterday's date if the run crossed midnight); sets day and dd
archived() {
	dd=
	for day in "$day1" "$day2"; do
		if [ -d "$1/$day" ]; then
			dd=$1/$day
			return 0
		fi
	done
	return 1
}

A=$T/archive/sub
day1=$(date +%Y-%m-%d)
run archive.sh "$M/plain.eml" "$A"
day2=$(date +%Y-%m-%d)
check "archive exits 0" rc_is 0
check "archive writes nothing to the result file" test ! -e "$rd/result"
check "archive prints nothing" test ! -s "$rd/out"
check "archive makes a dated directory" archived "$A"
check "archive makes ARCHIVE_DIR mode 0700" \
    perm_is 700 "$A"
check "archive makes a Maildir, all directories mode 0700" \
    maildir_ok "${dd:-$A/none}"
check "archive: one message in new/" \
    eval '[ "$(count "$dd/new")" -eq 1 ]'
check "archive: tmp/ and cur/ are empty" \
    eval '[ "$(count "$dd/tmp")" -eq 0 ] && [ "$(count "$dd/cur")" -eq 0 ]'
copy=$(first_in "$dd/new")
check "archive: the copy is byte-identical" cmp -s "$dd/new/$copy" \
    "$M/plain.eml"
check "archive: the copy is mode 0600" \
    perm_is 600 "$dd/new/$copy"
case $copy in
[0-9]*.P[0-9]*R[0-9]*_4QxT2K1vZ9.*)
	pass "archive: name is TIME.PpidRrandom_QUEUEID.HOST ($copy)" ;;
*)
	fail "archive: name is TIME.PpidRrandom_QUEUEID.HOST ($copy)" ;;
esac
case $copy in
*:* | */*)	fail "archive: no ':' or '/' in the name" ;;
*)		pass "archive: no ':' or '/' in the name" ;;
esac

run archive.sh "$M/crlf.eml" "$A"
run archive.sh "$M/8bit.eml" "$A"
day2=$(date +%Y-%m-%d)
check "archive: a second and third delivery" rc_is 0
n_new=0
same_crlf=0
same_8bit=0
for p in "$A"/*/new/*; do
	n_new=$((n_new + 1))
	cmp -s "$p" "$M/crlf.eml" && same_crlf=1
	cmp -s "$p" "$M/8bit.eml" && same_8bit=1
done
check "archive: three distinct files in new/" test "$n_new" -eq 3
check "archive: the CRLF message is copied byte for byte" \
    test "$same_crlf" -eq 1
check "archive: the 8-bit message is copied byte for byte" \
    test "$same_8bit" -eq 1

QID='../x:y/z'
A2=$T/archive2
run archive.sh "$M/plain.eml" "$A2"
QID=4QxT2K1vZ9
copy=$(first_in "$A2/$day1/new")
[ -n "$copy" ] || copy=$(first_in "$A2/$(date +%Y-%m-%d)/new")
case $copy in
*_xyz.*)	pass "archive: a hostile queue id is reduced to letters and digits" ;;
*)		fail "archive: a hostile queue id is reduced to letters and digits" \
		    "rc $rc, name $copy" ;;
esac

mkdir "$T/archive3"
chmod 755 "$T/archive3"
run archive.sh "$M/plain.eml" "$T/archive3"
check "archive leaves an existing ARCHIVE_DIR's mode alone" \
    perm_is 755 "$T/archive3"

run archive.sh "$M/plain.eml" "$M/plain.eml/sub"
check "archive: ARCHIVE_DIR below a file is a tempfail (75)" rc_is 75
check "archive: ... and says why on stderr" test -s "$rd/err"
if [ -z "$UNPRIV_WHY" ]; then
	mkdir "$T/ro" "$T/rw"
	chown "$UNPRIV_USER" "$T/ro" "$T/rw"
	chmod 500 "$T/ro"
	as_unpriv archive.sh "$UM/plain.eml" "$T/rw/archive"
	rc0=$rc
	as_unpriv archive.sh "$UM/plain.eml" "$T/ro/archive"
	check "archive: an unwritable ARCHIVE_DIR is a tempfail (75)" \
	    eval '[ "$rc0" -eq 0 ] && rc_is 75'
else
	skip "archive: an unwritable ARCHIVE_DIR is a tempfail (75)" \
	    "$UNPRIV_WHY"
fi
A4=$T/archive4
run archive.sh "$T/missing.eml" "$A4"
check "archive: a missing message is a tempfail (75)" rc_is 75
check "archive: ... and leaves no file behind" \
    eval '[ -z "$(find "$A4" -type f 2>/dev/null)" ]'
run archive.sh "$M/plain.eml" archive
check "archive: a relative ARCHIVE_DIR is a usage error (64)" rc_is 64
check "archive: ... and creates nothing" test ! -e "$rd/tmp/archive"
run archive.sh "$M/plain.eml"
check "archive: no ARCHIVE_DIR is a usage error (64)" rc_is 64
run archive.sh "" "$A4"
check "archive: no message at all is a tempfail (75)" rc_is 75
run archive.sh "$T/missing.eml" "$A4" "$M/8bit.eml"
check "archive: the message may be given as the second argument" rc_is 0

# ---------------------------------------------------------------------
# tag_subject.sh
run tag_subject.sh "$M/plain.eml"
check "tag_subject: defaults" eval 'rc_is 0 && result_is \
"add-header X-Sluice-Tag: [tagged] (rule test-rule)
prefix-subject [tagged]"'
run tag_subject.sh "$M/plain.eml" "[sluice]" X-Mark
check "tag_subject: TAG and HEADER-NAME" eval 'rc_is 0 && result_is \
"add-header X-Mark: [sluice] (rule test-rule)
prefix-subject [sluice]"'
run tag_subject.sh "$M/no-subject.eml" "[sluice]"
check "tag_subject: a message without a Subject is still tagged" \
    eval 'rc_is 0 && result_is \
"add-header X-Sluice-Tag: [sluice] (rule test-rule)
prefix-subject [sluice]"'
run tag_subject.sh "$M/8bit.eml" "[sluice]"
check "tag_subject: an encoded subject" eval 'rc_is 0 && result_is \
"add-header X-Sluice-Tag: [sluice] (rule test-rule)
prefix-subject [sluice]"'

f=$T/tagged.eml
printf '%s\n' "From: a@example.com" "Subject: Re: the plan," \
    " was: [sluice] the budget" "To: b@example.com" "" "body" >"$f"
run tag_subject.sh "$f" "[sluice]"
check "tag_subject: a (folded) subject with the tag is not tagged again" \
    eval 'rc_is 0 && result_is \
"add-header X-Sluice-Tag: [sluice] (rule test-rule)"'
printf 'From: a@example.com\r\nSubject: [sluice] hi\r\n\r\nbody\r\n' >"$f"
run tag_subject.sh "$f" "[sluice]"
check "tag_subject: ... also with CRLF" eval 'rc_is 0 && result_is \
"add-header X-Sluice-Tag: [sluice] (rule test-rule)"'
printf '%s\n' "From: a@example.com" "Subject: hello" "" \
    "Subject: [sluice] in the body" >"$f"
run tag_subject.sh "$f" "[sluice]"
check "tag_subject: a Subject line in the body does not count" \
    eval 'rc_is 0 && result_is \
"add-header X-Sluice-Tag: [sluice] (rule test-rule)
prefix-subject [sluice]"'
printf '%s\n' "From: a@example.com" "" "Subject: [sluice] in the body" >"$f"
run tag_subject.sh "$f" "[sluice]"
check "tag_subject: ... nor without a Subject field" \
    eval 'rc_is 0 && result_is \
"add-header X-Sluice-Tag: [sluice] (rule test-rule)
prefix-subject [sluice]"'

RULE=
run tag_subject.sh "$M/plain.eml" "[sluice]"
check "tag_subject: no rule name" eval 'rc_is 0 && result_is \
"add-header X-Sluice-Tag: [sluice]
prefix-subject [sluice]"'
RULE=$(printf 'night\tshift\001')
run tag_subject.sh "$M/plain.eml" "[sluice]"
check "tag_subject: control bytes are dropped from the rule name" \
    eval 'rc_is 0 && result_is \
"add-header X-Sluice-Tag: [sluice] (rule nightshift)
prefix-subject [sluice]"'
RULE=test-rule

run tag_subject.sh "$T/missing.eml" "[sluice]"
check "tag_subject: tags even when the message cannot be read" \
    eval 'rc_is 0 && result_is \
"add-header X-Sluice-Tag: [sluice] (rule test-rule)
prefix-subject [sluice]"'
RESULT=
run tag_subject.sh "$M/plain.eml" "[sluice]"
check "tag_subject without SLUICE_RESULT prints the directives" \
    eval 'rc_is 0 && [ "$(cat "$rd/out")" = \
"add-header X-Sluice-Tag: [sluice] (rule test-rule)
prefix-subject [sluice]" ]'
RESULT=$T/no/such/dir/result
run tag_subject.sh "$M/plain.eml" "[sluice]"
check "tag_subject with an unwritable result file goes on (0)" rc_is 0
unset RESULT

t200=$(printf '%0200d' 0)
run tag_subject.sh "$M/plain.eml" "$t200"
check "tag_subject: a 200-byte TAG" eval 'rc_is 0 && \
    [ "$(sed -n 2p "$rd/result")" = "prefix-subject $t200" ]'
for bad in "x$t200" "" "   " "$(printf 'a\nb')" "$(printf 'a\tb')"; do
	run tag_subject.sh "$M/plain.eml" "$bad"
	check "tag_subject: TAG \"$(printf '%s' "$bad" | tr '\t\n' '??' |
	    cut -c1-12)\" is a usage error (64)" \
	    eval 'rc_is 64 && [ ! -e "$rd/result" ]'
done
for bad in "X Bad" "X-A:b" "" "$(printf 'X-\001')"; do
	run tag_subject.sh "$M/plain.eml" tag "$bad"
	check "tag_subject: HEADER-NAME \"$(printf '%s' "$bad" |
	    tr '\001' '?')\" is a usage error (64)" \
	    eval 'rc_is 64 && [ ! -e "$rd/result" ]'
done
run tag_subject.sh "$M/plain.eml" a b c
check "tag_subject: three arguments are a usage error (64)" rc_is 64

tap_done
