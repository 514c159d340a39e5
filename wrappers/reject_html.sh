#!/bin/sh
#
# reject_html.sh - reject HTML-only mail and mail with attachments
#
# WHAT
#	Reads the MIME structure of one message and rejects it when
#	  - it is HTML-only: some body part is text/html and no body part
#	    is text/plain (a multipart/alternative with both passes), or
#	  - it has an attachment: a part with "Content-Disposition:
#	    attachment", or any part whose Content-Type or
#	    Content-Disposition has a name= or filename= parameter (so an
#	    inline image with a file name counts as an attachment too).
#	A part that is an attachment never counts as the text or HTML body.
#	Header names are matched without regard to case, folded header
#	lines are unfolded, parameters may be quoted (with backslash
#	escapes), carry (comments), or use the RFC 2231 forms
#	(filename*=, filename*0=...).  CR before LF is ignored, so a CRLF
#	file reads like an LF one.  Only the structure is read: nothing is
#	decoded, and a message/rfc822 part is not opened.
#
# USAGE
#	reject_html.sh [-H] [-A] [MESSAGE]
#	  -H	no HTML-only check
#	  -A	no attachment check
#	MESSAGE defaults to $SLUICE_MESSAGE.  In sluice.conf:
#
#	  filters = ( { name = "reject_html";
#	                command = "reject_html.sh %f";
#	                timeout = 30; } );
#	  rules = ( { filter = "reject_html"; } );
#
#	Use "reject_html.sh -A %f" to reject HTML-only mail alone, or
#	"reject_html.sh -H %f" to reject attachments alone.
#
# EXIT CODES (sluice's default table)
#	0	continue: nothing to object to, or the structure could not
#		be read (a filter that cannot parse a message lets it pass
#		rather than bounce it)
#	1	reject: "reason ..." is written to $SLUICE_RESULT and the same
#		text is the first line of standard output, e.g.
#		"HTML-only messages are not accepted" or
#		"attachments are not accepted (invoice.pdf)"
#	64	usage error (unknown option).  Not in the default table, so
#		sluice counts it as a filter error under on_error.
#	75	tempfail: the message file is missing or cannot be read
#
# NEEDS
#	A POSIX sh, awk, tr and cut.  Reads nothing but the message and
#	writes nothing but $SLUICE_RESULT.
#
# SECURITY
#	The message is untrusted.  It is only read by awk, never evaluated;
#	a file name quoted in the reason is cut to 80 bytes and anything
#	but printable ASCII in it becomes '?'.
#
set -u
LC_ALL=C
export LC_ALL

prog=reject_html.sh
finished=

# on_exit - the EXIT trap.  A shell error (a bug here, an odd
# environment) must not leave with a status that sluice maps to a
# verdict, such as reject (1).  Only the trap calls it, which shellcheck
# misses.
# shellcheck disable=SC2317
on_exit() {
	st=$?
	if [ -z "$finished" ]; then
		echo "$prog: unexpected error (status $st);" \
		    "letting the message pass" >&2
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
	echo "usage: $prog [-H] [-A] [MESSAGE]" >&2
	finish 64
}

check_html=1
check_att=1
while getopts HA opt; do
	case $opt in
	H)	check_html=0 ;;
	A)	check_att=0 ;;
	*)	usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -le 1 ] || usage

msg=${1:-${SLUICE_MESSAGE:-}}
if [ -z "$msg" ]; then
	echo "$prog: no message file (no argument, SLUICE_MESSAGE unset)" >&2
	finish 75
fi
# "command" keeps a failed redirection from ending the shell.
if [ ! -f "$msg" ] || ! { command exec 3<"$msg"; } 2>/dev/null; then
	echo "$prog: cannot read message file $msg" >&2
	finish 75
fi

# The awk program prints one line: "ok", "html", or
# "attachment COUNT NAME" (NAME may be empty).
found=$(awk -v check_html="$check_html" -v check_att="$check_att" \
    -v apos="'" '
# trim - s without leading and trailing blanks
function trim(s) {
	sub(/^[ \t]+/, "", s)
	sub(/[ \t]+$/, "", s)
	return s
}

# params - split a structured field body into MAINV (the value before
# the first ";", lowercased) and P[name] (names lowercased; quotes,
# escapes and comments removed).  The first of a repeated name wins.
function params(v,    n, i, c, inq, esc, cmt, seg, name, val, q, haseq) {
	split("", P)
	MAINV = ""
	n = length(v)
	seg = 0; name = ""; val = ""; q = 0; haseq = 0
	inq = 0; esc = 0; cmt = 0
	for (i = 1; i <= n + 1; i++) {
		if (i > n) {
			c = ";"		# an unterminated quote or comment ends here
			inq = 0; cmt = 0
		} else
			c = substr(v, i, 1)
		if (inq) {
			if (esc) { val = val c; esc = 0 }
			else if (c == "\\") esc = 1
			else if (c == "\"") inq = 0
			else val = val c
			continue
		}
		if (cmt > 0) {
			if (esc) esc = 0
			else if (c == "\\") esc = 1
			else if (c == "(") cmt++
			else if (c == ")") cmt--
			continue
		}
		if (c == ";") {
			if (seg == 0)
				MAINV = tolower(trim(val))
			else if (haseq) {
				name = tolower(trim(name))
				if (name != "" && !(name in P))
					P[name] = q ? val : trim(val)
			}
			seg++; name = ""; val = ""; q = 0; haseq = 0
			continue
		}
		if (c == "(") { cmt = 1; continue }
		if (q)
			continue	# after a quoted value: ignore the rest
		if (c == "=" && seg > 0 && !haseq) {
			haseq = 1; name = val; val = ""
			continue
		}
		if (c == "\"") {
			inq = 1
			if (haseq) { q = 1; val = "" }
			continue
		}
		val = val c
	}
}

# hexval - value of two hex digits, or -1
function hexval(s,    a, b) {
	a = index("0123456789abcdef", tolower(substr(s, 1, 1)))
	b = index("0123456789abcdef", tolower(substr(s, 2, 1)))
	if (a == 0 || b == 0 || length(s) != 2)
		return -1
	return (a - 1) * 16 + b - 1
}

# ext - an RFC 2231 extended value: drop the charset and language
# (first piece only) and decode %XX; bytes outside printable ASCII
# become "?"
function ext(v, first,    i, n, c, h, out) {
	if (first && (i = index(v, apos)) > 0) {
		v = substr(v, i + 1)
		if ((i = index(v, apos)) > 0)
			v = substr(v, i + 1)
	}
	out = ""
	n = length(v)
	for (i = 1; i <= n; i++) {
		c = substr(v, i, 1)
		if (c == "%" && i + 2 <= n && (h = hexval(substr(v, i + 1, 2))) >= 0) {
			out = out (h >= 32 && h < 127 ? sprintf("%c", h) : "?")
			i += 2
		} else
			out = out c
	}
	return out
}

# cont - an RFC 2231 continued value base*0, base*1, ...
function cont(base,    i, k, s) {
	s = ""
	for (i = 0; i < 100; i++) {
		k = base "*" i
		if (k in P)
			s = s P[k]
		else if ((k "*") in P)
			s = s ext(P[k "*"], i == 0)
		else
			break
	}
	return s
}

# fname - the file name in P, if any; PFOUND says whether there is one
function fname(    k) {
	PFOUND = 0
	for (k in P)
		if (k == "name" || k == "filename" || k ~ /^(file)?name\*/)
			PFOUND = 1
	if (!PFOUND)
		return ""
	if ("filename" in P) return P["filename"]
	if ("filename*" in P) return ext(P["filename*"], 1)
	if ("filename*0" in P || "filename*0*" in P) return cont("filename")
	if ("name" in P) return P["name"]
	if ("name*" in P) return ext(P["name*"], 1)
	return cont("name")
}

# entity_begin - forget the headers of the previous entity
function entity_begin() {
	cur = ""; keep = 0
	ct = ""; cd = ""; have_ct = 0; have_cd = 0
}

# hdr_store - keep the field just finished if it is one we read
function hdr_store(    colon, name) {
	if (keep) {
		colon = index(cur, ":")
		name = tolower(trim(substr(cur, 1, colon - 1)))
		if (name == "content-type" && !have_ct) {
			ct = substr(cur, colon + 1); have_ct = 1
		} else if (name == "content-disposition" && !have_cd) {
			cd = substr(cur, colon + 1); have_cd = 1
		}
	}
	cur = ""; keep = 0
}

# entity_end - the header block of an entity is complete: classify it
function entity_end(    type, bnd, disp, att, ctname, cdname, ctfound) {
	hdr_store()
	params(ct)
	type = MAINV
	gsub(/[ \t]/, "", type)
	bnd = ("boundary" in P) ? P["boundary"] : ""
	ctname = fname()
	ctfound = PFOUND
	params(cd)
	disp = MAINV
	cdname = fname()
	if (type !~ /^[^\/]+\/[^\/]+$/)
		type = digest ? "message/rfc822" : "text/plain"
	att = disp == "attachment" || ctfound || PFOUND
	if (type ~ /^multipart\// && bnd != "" && !att) {
		if (depth < 100) {
			depth++
			B[depth] = bnd
			SUBT[depth] = substr(type, 11)
		}
		return
	}
	if (att) {
		if (natt++ == 0)
			attname = PFOUND ? cdname : ctname
	} else if (type == "text/plain")
		plain = 1
	else if (type == "text/html")
		html = 1
}

BEGIN {
	state = 1		# 1: in a header block, 2: in a body
	depth = 0; digest = 0; natt = 0; plain = 0; html = 0
	entity_begin()
}

{
	line = $0
	sub(/\r$/, "", line)
	if (depth > 0 && substr(line, 1, 2) == "--") {
		for (i = depth; i >= 1; i--) {
			if (index(line, "--" B[i]) != 1)
				continue
			rest = substr(line, length(B[i]) + 3)
			if (rest ~ /^[ \t]*$/) {
				if (state == 1)
					entity_end()
				depth = i
				digest = SUBT[i] == "digest"
				entity_begin()
				state = 1
				next
			}
			if (substr(rest, 1, 2) == "--") {
				if (state == 1)
					entity_end()
				depth = i - 1
				state = 2
				next
			}
		}
	}
	if (state != 1)
		next
	if (line == "") {
		entity_end()
		state = 2
		next
	}
	if (line ~ /^[ \t]/) {
		if (keep && length(cur) < 65536)
			cur = cur line
		next
	}
	hdr_store()
	colon = index(line, ":")
	if (colon == 0) {
		# not a header field: the body starts without an empty line
		entity_end()
		state = 2
		next
	}
	name = tolower(trim(substr(line, 1, colon - 1)))
	if (name == "content-type" || name == "content-disposition") {
		cur = line; keep = 1
	}
}

END {
	if (state == 1)
		entity_end()
	if (check_att && natt > 0)
		print "attachment " natt " " attname
	else if (check_html && html && !plain)
		print "html"
	else
		print "ok"
}
' <&3)
st=$?
exec 3<&-
if [ "$st" -ne 0 ]; then
	echo "$prog: cannot parse $msg (awk status $st); letting it pass" >&2
	finish 0
fi

case $found in
html)
	reason="HTML-only messages are not accepted"
	;;
attachment\ *)
	found=${found#attachment }
	count=${found%% *}
	name=${found#* }
	# one line of printable ASCII, at most 80 bytes
	short=$(printf '%s' "$name" | tr -c ' -~' '?' | cut -c1-80)
	[ "${#name}" -le 80 ] || short="$short..."
	reason="attachments are not accepted"
	if [ -n "$short" ] && [ "$count" -gt 1 ]; then
		reason="$reason ($short and $((count - 1)) more)"
	elif [ -n "$short" ]; then
		reason="$reason ($short)"
	fi
	;;
*)
	finish 0
	;;
esac

# Without a result file (run by hand) the first line of standard
# output still carries the reason.
printf '%s\n' "$reason"
if [ -n "${SLUICE_RESULT:-}" ] &&
    ! printf 'reason %s\n' "$reason" >"$SLUICE_RESULT"; then
	echo "$prog: cannot write $SLUICE_RESULT" >&2
fi
finish 1
