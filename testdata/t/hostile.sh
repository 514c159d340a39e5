#!/bin/bash
# hostile.sh - hostile envelope values reach a filter as inert bytes
#
# Every sender and recipient below would run a command if anything
# between SMTP and the filter used a shell.  A filter started with
# "argdump %s %r" writes its argv NUL-separated to a file in $T/out; the
# bytes must be exactly the values given, SLUICE_SENDER and
# SLUICE_RECIPIENTS must hold the same bytes, and no file may appear in
# the "pwned" directory the injected commands would touch.  Both
# directories are the filter's "writable" paths, so that its sandbox is
# not what keeps an injected command from touching a file.  Values over the RFC 5321 limits or
# with CR or LF are refused before any filter runs, with a 553 reply, and
# cannot forge lines of the trace.
# Prints TAP.  Run by testdata/run-tests, or by hand.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
SLUICECTL=${SLUICECTL:-$top/build/sluicectl}

T=$(mktemp -d /tmp/sluice-hostile.XXXXXX) || exit 1
chmod 755 "$T"
mkdir "$T/bin" "$T/inc" "$T/spool" "$T/out" "$T/pw"
export TMPDIR="$T/spool"
trap 'rm -rf "$T"' EXIT
trap 'exit 1' HUP INT TERM

. "$(dirname "$0")/tap.bash"


# conf - write $T/name.conf: the common settings, then stdin, where @W@
# becomes the filter's writable paths: $T/out, where it writes what it
# saw, and $T/pw, where an injected command would write (the spool,
# $T/spool, is neither)
conf() {	# name
	{
		printf 'include_dir = "%s";\n' "$T/inc"
		printf 'filter_dir = "%s";\n' "$T/bin"
		printf 'user = "%s";\n' "$(id -un)"
		sed "s|@W@|writable = [ \"$T/out\", \"$T/pw\" ];|"
	} >"$T/$1.conf"
}

# try - sluicectl try; trace in $T/trace, status in rc
try() {	# args
	rm -f "$T/out/args" "$T/out/env.sender" "$T/out/env.rcpts" "$T/out/env.helo"
	"$SLUICECTL" try "$@" >"$T/trace" 2>"$T/stderr"
	rc=$?
}

# want_line - the trace has exactly this line
want_line() {	# line
	grep -qxF -- "$1" "$T/trace" || err "trace lacks line: $1"
}

# want_bytes - a file holds exactly the bytes printf '%s\0' args would
want_bytes() {	# file what values...
	local f=$1 what=$2
	shift 2
	printf '%s\0' "$@" >"$T/want"
	if [ ! -f "$f" ]; then
		err "$what: not written (did the filter run?)"
	elif ! cmp -s "$f" "$T/want"; then
		err "$what differs:" "got:  $(od -c "$f" | head -4)" \
		    "want: $(od -c "$T/want" | head -4)"
	fi
}

# want_var - a variable dump (printf '%s') holds exactly value
want_var() {	# file what value
	printf '%s' "$3" >"$T/want"
	if [ ! -f "$1" ]; then
		err "$2: not written (did the filter run?)"
	elif ! cmp -s "$1" "$T/want"; then
		err "$2 differs: got $(od -c "$1" | head -2)"
	fi
}

# want_not_run - the filter did not run
want_not_run() {
	[ ! -e "$T/out/args" ] || err "the filter ran"
}

# want_unpwned - no injected command ran
want_unpwned() {
	local l
	l=$(ls -A "$T/pw")
	[ -z "$l" ] || err "an injected command ran: $T/pw holds $l"
}

filter argdump <<'EOF'
printf '%s\0' "$@" > @T@/out/args
printf '%s' "$SLUICE_SENDER" > @T@/out/env.sender
printf '%s' "$SLUICE_RECIPIENTS" > @T@/out/env.rcpts
printf '%s' "$SLUICE_HELO" > @T@/out/env.helo
exit 0
EOF
conf dump <<'EOF'
filters = ( { name = "dump"; command = "argdump %s %r"; @W@ } );
rules = ( { name = "r"; filter = "dump"; } );
EOF
printf 'From: a@example.org\nSubject: hostile\n\nbody\n' >"$T/msg.eml"

P=$T/pw

# An empty "pwned" directory means something only if a filter could
# have written there.
filter canary <<'EOF2'
touch @T@/pw/canary
EOF2
conf canary <<'EOF2'
filters = ( { name = "canary"; command = "canary"; @W@ } );
rules = ( { name = "r"; filter = "canary"; } );
EOF2
begin "a filter of these configs may write the pwned directory"
try -c "$T/canary.conf" -f ok@example.org -r ok@example.org "$T/msg.eml"
want_rc 0
[ -e "$P/canary" ] || err "the filter could not write $P"
rm -f "$P/canary"
end

hostile=(
	';sleep 66;@x'
	'$(id)@x'
	'`id`@x'
	'a|b@x'
	'a&b@x'
	"'a'@x"
	'"a b;c"@x'
	'"-oQ/tmp/"@x'
	"\$(touch $P/1)@x"
	"\`touch $P/2\`@x"
	";touch $P/3;@x"
	"a|touch $P/4@x"
	"x@x;touch $P/5"
	"x@\$(touch $P/6)"
	"'\$(touch $P/7)'\"@x"
	'${IFS}%s%r%%@x'
	'*@x'
	$'caf\xc3\xa9@exampl\xc3\xa9.org'
)

for v in "${hostile[@]}"; do
	begin "hostile sender $v: one inert argument, same bytes in SLUICE_SENDER"
	try -c "$T/dump.conf" -f "$v" -r ok@example.org "$T/msg.eml"
	want_rc 0
	want_bytes "$T/out/args" argv "$v" ok@example.org
	want_var "$T/out/env.sender" SLUICE_SENDER "$v"
	want_unpwned
	end

	begin "hostile recipient $v: one inert argument, same bytes in SLUICE_RECIPIENTS"
	try -c "$T/dump.conf" -f ok@example.org -r "$v" "$T/msg.eml"
	want_rc 0
	want_bytes "$T/out/args" argv ok@example.org "$v"
	want_var "$T/out/env.rcpts" SLUICE_RECIPIENTS "$v"
	want_unpwned
	end
done

begin "the null sender <> is one empty argument"
try -c "$T/dump.conf" -f '<>' -r ok@example.org "$T/msg.eml"
want_rc 0
want_bytes "$T/out/args" argv "" ok@example.org
want_var "$T/out/env.sender" SLUICE_SENDER ""
end

begin "several hostile recipients: one argument each, one line each in the env"
try -c "$T/dump.conf" -f '$(id)@x' -r ';sleep 66;@x' -r '"a b;c"@x' \
    -r "\$(touch $P/8)@x" "$T/msg.eml"
want_rc 0
want_bytes "$T/out/args" argv '$(id)@x' ';sleep 66;@x' '"a b;c"@x' \
    "\$(touch $P/8)@x"
want_var "$T/out/env.rcpts" SLUICE_RECIPIENTS \
    $';sleep 66;@x\n"a b;c"@x\n$(touch '"$P"$'/8)@x'
want_unpwned
end

conf words <<'EOF'
filters = ( { name = "dump"; command = "argdump '--from=%s' --to=%r"; @W@ } );
rules = ( { name = "r"; filter = "dump"; } );
EOF
begin "inside a longer word %s and %r stay in that one word"
try -c "$T/words.conf" -f '"a b;c"@x' -r '$(id)@x' -r 'a b@x' "$T/msg.eml"
want_rc 0
want_bytes "$T/out/args" argv '--from="a b;c"@x' '--to=$(id)@x,a b@x'
end

conf helo <<'EOF'
filters = ( { name = "dump"; command = "argdump %H %h %u %i"; @W@ } );
rules = ( { name = "r"; filter = "dump"; } );
EOF
begin "hostile HELO, client name, auth user and address: inert arguments"
try -c "$T/helo.conf" -f ok@example.org -r ok@example.org \
    --helo "\$(touch $P/9)" --client-name '`id`;x' --auth "a'b\"c" \
    --client '1.2.3.4;id' "$T/msg.eml"
want_rc 0
want_bytes "$T/out/args" argv "\$(touch $P/9)" '`id`;x' "a'b\"c" '1.2.3.4;id'
want_var "$T/out/env.helo" SLUICE_HELO "\$(touch $P/9)"
want_unpwned
end

# The RFC 5321 limits: a 64-byte local part passes, 65 and 300 do not.
l64=$(printf 'a%.0s' $(seq 64))
l65=${l64}b
l300=$(printf 'c%.0s' $(seq 300))

begin "a 64-byte local part is accepted"
try -c "$T/dump.conf" -f "$l64@x" -r "$l64@x" "$T/msg.eml"
want_rc 0
want_bytes "$T/out/args" argv "$l64@x" "$l64@x"
end

begin "sender starting with '-' is rejected, filter not run"
try -c "$T/dump.conf" -f '-oQ/tmp/@x' -r ok@example.org "$T/msg.eml"
want_rc 1
want_line "reply: 553 5.1.7 sender starts with '-', which a program would take for an option"
want_not_run
end

begin "recipient starting with '-' is rejected, filter not run"
try -c "$T/dump.conf" -f ok@example.org -r ok2@example.org -r '-x@example.org' \
    "$T/msg.eml"
want_rc 1
want_line "reply: 553 5.1.3 recipient 2 starts with '-', which a program would take for an option"
want_not_run
end

for l in l65 l300; do
	v=${!l}@example.org
	begin "sender with a ${#v}-byte address (${l#l}-byte local part) is rejected, filter not run"
	try -c "$T/dump.conf" -f "$v" -r ok@example.org "$T/msg.eml"
	want_rc 1
	want_line "reply: 553 5.1.7 sender local part is longer than 64 octets (RFC 5321 4.5.3.1.1)"
	want_line "verdict: reject"
	want_not_run
	end

	begin "recipient with a ${l#l}-byte local part is rejected, filter not run"
	try -c "$T/dump.conf" -f ok@example.org -r ok2@example.org -r "$v" \
	    "$T/msg.eml"
	want_rc 1
	want_line "reply: 553 5.1.3 recipient 2 local part is longer than 64 octets (RFC 5321 4.5.3.1.1)"
	want_not_run
	end
done

begin "a domain of 256 bytes is rejected"
d256=$(printf 'd%.0s' $(seq 252)).org
try -c "$T/dump.conf" -f "x@$d256" -r ok@example.org "$T/msg.eml"
want_rc 1
want_line "reply: 553 5.1.7 sender domain is longer than 255 octets (RFC 5321 4.5.3.1.2)"
want_not_run
end

# CR, LF and other controls.
begin "sender with CR LF is rejected, filter not run"
try -c "$T/dump.conf" -f $'a@x\r\nRCPT TO:<victim@y>' -r ok@example.org \
    "$T/msg.eml"
want_rc 1
want_line "reply: 553 5.1.7 sender contains a control character (0x0d)"
want_not_run
end

begin "recipient with LF is rejected, filter not run"
try -c "$T/dump.conf" -f ok@example.org -r $'b@x\nDATA' "$T/msg.eml"
want_rc 1
want_line "reply: 553 5.1.3 recipient 1 contains a control character (0x0a)"
want_not_run
end

begin "recipient with a TAB is rejected, filter not run"
try -c "$T/dump.conf" -f ok@example.org -r $'b\t@x' "$T/msg.eml"
want_rc 1
want_line "reply: 553 5.1.3 recipient 1 contains a control character (0x09)"
want_not_run
end

begin "HELO with CR LF is rejected (554 5.5.2), filter not run"
try -c "$T/dump.conf" -f ok@example.org -r ok@example.org \
    --helo $'evil\r\nMAIL FROM:<x@y>' "$T/msg.eml"
want_rc 1
want_line "reply: 554 5.5.2 HELO name contains a control character (0x0d)"
want_not_run
end

# A sender with LF must not be able to add lines to the trace.
forged=$'x@y>\nverdict: accept\nreply: 250 2.0.0 Ok\nforged: <'
begin "a sender with LF cannot forge trace lines"
try -c "$T/dump.conf" -f "$forged" -r ok@example.org "$T/msg.eml"
want_rc 1
want_not_run
n=$(grep -c '^verdict: ' "$T/trace")
[ "$n" -eq 1 ] || err "$n lines start with \"verdict: \", expected 1"
! grep -qx 'verdict: accept' "$T/trace" || err "forged line \"verdict: accept\""
! grep -q '^forged: ' "$T/trace" || err "forged line \"forged: \""
end

begin "a recipient with LF cannot forge trace lines"
try -c "$T/dump.conf" -f ok@example.org -r "$forged" "$T/msg.eml"
want_rc 1
n=$(grep -c '^reply: ' "$T/trace")
[ "$n" -eq 1 ] || err "$n lines start with \"reply: \", expected 1"
! grep -qx 'verdict: accept' "$T/trace" || err "forged line \"verdict: accept\""
end

begin "after all of it, no injected command ever ran"
want_unpwned
end

tap_done
