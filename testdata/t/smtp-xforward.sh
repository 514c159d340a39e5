#!/bin/bash
# smtp-xforward.sh - who may send XFORWARD, and what it may carry
#
# Two sluiced content filters relay to smtp-sink and run one filter,
# "record", that writes what it was given (%q %h %i %H and
# SLUICE_QUEUE_ID) to a file in $T/got (mode 777), its writable path.  The first keeps the default
# smtp_xforward_hosts (loopback and unix sockets); the second allows
# only 192.0.2.0/24, so the test client on 127.0.0.1 and on a unix
# socket is outside it.  Checked: an authorized client sees XFORWARD in
# EHLO and its well-formed values reach the filter; hostile values (a
# queue id with "/" or "..", a host name with ";" or "$(...)", an
# address that is none, ...) get "501 5.5.4" and reach no filter; a
# client outside the list is not offered XFORWARD, gets "550 5.7.0
# Error: insufficient authorization" (Postfix's reply) for it however
# it is written, and its filters see the connection's own facts; the
# same over unix sockets.
# Prints TAP.  Needs root, smtp-sink (postfix) and /usr/bin/python3.
# Run by testdata/run-tests, or by hand.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
SLUICED=${SLUICED:-$top/build/sluiced}
PY=/usr/bin/python3
CLIENT=$top/testdata/t/smtp_client.py

. "$(dirname "$0")/tap.bash"
[ "$(id -u)" -eq 0 ] || skip_all "needs root (smtp-sink -u postfix)"
command -v smtp-sink >/dev/null 2>&1 || skip_all "no smtp-sink (postfix)"
[ -x "$PY" ] || skip_all "no $PY"

T=$(mktemp -d /tmp/sluice-smtpxfwd.XXXXXX) || exit 1
mkdir -p "$T/sink" "$T/bin" "$T/inc" "$T/got" "$T/a" "$T/u"
chmod 755 "$T" "$T/bin" "$T/inc"
chmod 777 "$T/got"
chown postfix "$T/sink"
TAP_RESET=1
. "$(dirname "$0")/postfix.bash"	# free_port, pf_wait_port

sinkpid=
da=
du=
cleanup() {
	local p
	for p in $da $du; do
		stop_pid "$p"
	done
	[ -n "$sinkpid" ] && kill "$sinkpid" 2>/dev/null
	wait 2>/dev/null
	[ "${KEEP:-0}" = 1 ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

sinkport=$(free_port) || exit 1
pa=$(free_port) || exit 1	# default smtp_xforward_hosts
pu=$(free_port) || exit 1	# smtp_xforward_hosts = [ "192.0.2.0/24" ]

filter record <<'EOF'
printf 'q=%s h=%s i=%s H=%s env_q=%s\n' "$1" "$2" "$3" "$4" \
    "$SLUICE_QUEUE_ID" >>@T@/got/rec
exit 0
EOF

# conf - the config of daemon $1 (a or u), with the extra keys $3
conf() {	# name port keys
	cat >"$T/$1.conf" <<-EOF
	user = "nobody";
	run_dir = "$T/$1/run";
	spool_dir = "$T/$1/run/spool";
	include_dir = "$T/inc";
	filter_dir = "$T/bin";
	milter_listen = [];
	smtp_listen = (
	    { listen = "inet:127.0.0.1:$2";
	      next_hop = "inet:127.0.0.1:$sinkport"; },
	    { listen = "unix:smtp.sock";
	      next_hop = "inet:127.0.0.1:$sinkport"; } );
	smtp_hostname = "filter.test";
	smtp_timeout = 20;
	filters = ( { name = "record"; command = "record %q %h %i %H";
	    writable = [ "$T/got" ]; } );
	rules = ( { filter = "record"; } );
	$3
	EOF
}
conf a "$pa" ''
conf u "$pu" 'smtp_xforward_hosts = [ "192.0.2.0/24" ];'

smtp-sink -u postfix -d "$T/sink/%M." "127.0.0.1:$sinkport" 100 \
    >"$T/sink.log" 2>&1 &
sinkpid=$!
"$SLUICED" -f -c "$T/a.conf" >"$T/a.log" 2>&1 &
da=$!
"$SLUICED" -f -c "$T/u.conf" >"$T/u.log" 2>&1 &
du=$!
for p in "$sinkport" "$pa" "$pu"; do
	if ! pf_wait_port "$p" 15; then
		echo "Bail out! nothing listens on port $p"
		tail -n 5 "$T"/*.log | sed 's/^/# /'
		exit 1
	fi
done

# cl - the client on port $1; its output in $T/out, the final reply
# codes in $codes
cl() {	# port step...
	local a
	"$PY" "$CLIENT" "$@" >"$T/out" 2>>"$T/stderr"
	{
		printf '$ client'
		for a in "$@"; do
			printf ' %s' "${a:0:120}"
		done
		echo
		cat "$T/out"
	} >>"$T/trace"
	codes=$(grep -aoE '^[0-9]{3}( |.?$)' "$T/out" | cut -c1-3 |
	    tr '\n' ' ' | sed 's/ $//')
}

# ucl - the same over the unix socket $1: the greeting, then the text
# (backslash escapes decoded) in one write, then everything until the
# server closes
ucl() {	# socket text
	"$PY" -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(30)
s.connect(sys.argv[1])
got = b""
while b"\n" not in got:
    b = s.recv(4096)
    if not b:
        break
    got += b
s.sendall(sys.argv[2].encode().decode("unicode_escape").encode("latin-1"))
while True:
    b = s.recv(65536)
    if not b:
        break
    got += b
sys.stdout.buffer.write(got)' "$@" >"$T/out" 2>>"$T/stderr"
	{ echo "\$ unix client $1 ${2:0:200}"; cat "$T/out"; } >>"$T/trace"
	codes=$(grep -aoE '^[0-9]{3}( |.?$)' "$T/out" | cut -c1-3 |
	    tr '\n' ' ' | sed 's/ $//')
}

# want_codes - the final reply codes of the last session were exactly
want_codes() {	# "220 250 ..."
	[ "$codes" = "$1" ] || err "replies: $codes" "expected: $1"
}

# want_xforward_offered - the EHLO reply of the last session lists
# XFORWARD (yes) or does not (no)
want_xforward_offered() {	# yes|no
	if grep -aqE '^250[- ]XFORWARD' "$T/out"; then
		[ "$1" = yes ] || err "EHLO offers XFORWARD"
	else
		[ "$1" = no ] || err "EHLO does not offer XFORWARD"
	fi
}

# want_rec - what the filter recorded is exactly these lines
want_rec() {	# line...
	local want
	want=$(printf '%s\n' "$@")
	if [ ! -f "$T/got/rec" ]; then
		err "the filter did not run"
	elif [ "$(cat "$T/got/rec")" != "$want" ]; then
		err "the filter got:" "$(cat -v "$T/got/rec")" "expected:" \
		    "$want"
	fi
}

# want_rec_match - the one line the filter recorded matches the regex
want_rec_match() {	# regex
	if [ ! -f "$T/got/rec" ]; then
		err "the filter did not run"
	elif [ "$(wc -l <"$T/got/rec")" -ne 1 ] ||
	    ! grep -qE "$1" "$T/got/rec"; then
		err "the filter got:" "$(cat -v "$T/got/rec")" "expected:" "$1"
	fi
}

# want_nothing_hostile - no byte of the hostile values reached the filter
want_nothing_hostile() {
	[ -f "$T/got/rec" ] || return
	grep -qE '/|\.\.|;|\$|\(|evil|not-an|BADQUEUEID' "$T/got/rec" &&
	    err "a hostile value reached the filter:" "$(cat -v "$T/got/rec")"
}

ehlo='EHLO client.test\r\n'
mail='MAIL FROM:<alice@a.test>\r\nRCPT TO:<bob@b.test>\r\nDATA\r\n'
msg='Subject: xforward\r\n\r\nbody\r\n.\r\n'
quit='QUIT\r\n'
# the filter's line for a message without XFORWARD from 127.0.0.1
plain='^q=([0-9A-F]{20}) h= i=127\.0\.0\.1 H=client\.test env_q=\1$'

begin "an authorized client is offered XFORWARD; good values reach the filter"
rm -f "$T/got/rec"
cl "$pa" w:220 "s:$ehlo" w:250 \
    's:XFORWARD NAME=mx.example.org ADDR=192.0.2.7 PORT=4711 PROTO=ESMTP\r\n' \
    n:1 's:XFORWARD HELO=helo.example IDENT=3F2A1C SOURCE=REMOTE\r\n' n:1 \
    "s:$mail" w:354 "s:$msg" n:1 "s:$quit" w:221
want_codes "220 250 250 250 250 250 354 250 221"
want_xforward_offered yes
want_rec "q=3F2A1C h=mx.example.org i=192.0.2.7 H=helo.example env_q=3F2A1C"
grep -q '^.*3F2A1C: from=<alice@a.test>' "$T/a.log" ||
    err "the log does not name the message by its IDENT"
end

begin "address literals, IPv6 and Postfix's [UNAVAILABLE] are accepted"
rm -f "$T/got/rec"
cl "$pa" w:220 "s:$ehlo" w:250 \
    's:XFORWARD NAME=[UNAVAILABLE] ADDR=IPv6:2001:db8::7 PORT=[UNAVAILABLE]\r\n' \
    n:1 's:XFORWARD HELO=[192.0.2.7] IDENT=4Rb1Hn0wJDz9vRV PROTO=SMTP SOURCE=LOCAL\r\n' \
    n:1 's:XFORWARD HELO=[IPv6:2001:db8::7]\r\n' n:1 \
    "s:$mail" w:354 "s:$msg" n:1 "s:$quit" w:221
want_codes "220 250 250 250 250 250 250 354 250 221"
want_rec_match '^q=4Rb1Hn0wJDz9vRV h= i=(IPv6:)?2001:db8::7 H=\[IPv6:2001:db8::7\] env_q=4Rb1Hn0wJDz9vRV$'
end

begin "hostile XFORWARD values get 501 5.5.4 and reach no filter"
rm -f "$T/got/rec"
bad=(
	'IDENT=BADQUEUEIDaaaaaaaaaaaaaaaaaaaaaaa'	# 33 characters
	'IDENT=a/b'
	'IDENT=a+2E+2E'				# "a.."
	'IDENT=../../x'
	'NAME=evil+3Bexample.org'			# ";"
	'NAME=+24+28id+29.example'			# "$(id)"
	'NAME=evil+01.example'			# a control character
	'NAME=-evil.example'
	'NAME=evil..example'
	'HELO=evil+3By'
	'HELO=[not-an-address]'
	'ADDR=not-an-address'
	'ADDR=192.0.2.300'
	'ADDR=IPv6:2001:db8::zz'
	'PORT=not-an-port'
	'PORT=65536'
	'PROTO=E+3BSMTP'
	'SOURCE=ELSEWHERE'
)
steps=(w:220 "s:$ehlo" w:250)
want="220 250"
for b in "${bad[@]}"; do
	steps+=("s:XFORWARD $b\r\n" n:1)
	want="$want 501"
done
steps+=("s:$mail" w:354 "s:$msg" n:1 "s:$quit" w:221)
cl "$pa" "${steps[@]}"
want_codes "$want 250 250 354 250 221"
[ "$(grep -ac '^501 5\.5\.4 ' "$T/out")" -eq ${#bad[@]} ] ||
    err "not every refusal is 501 5.5.4"
grep -aE '^501' "$T/out" | grep -aqE 'evil|\.\./|not-an|BADQUEUEID' &&
    err "a refusal echoes the value"
want_rec_match "$plain"
want_nothing_hostile
grep -aqE '\.\./\.\./x|a/b|BADQUEUEID' "$T/a.log" &&
    err "the log names a message by a hostile IDENT"
end

begin "an authorized client on a unix socket may send XFORWARD"
rm -f "$T/got/rec"
ucl "$T/a/run/smtp.sock" \
    "${ehlo}XFORWARD NAME=mx.example.org ADDR=192.0.2.8\r\n$mail$msg$quit"
want_codes "220 250 250 250 250 354 250 221"
want_xforward_offered yes
want_rec_match '^q=[0-9A-F]{20} h=mx\.example\.org i=192\.0\.2\.8 H=client\.test '
end

begin "outside smtp_xforward_hosts XFORWARD is not offered and gets 550 5.7.0"
rm -f "$T/got/rec"
cl "$pu" w:220 "s:$ehlo" w:250 's:HELP\r\n' n:1 \
    's:XFORWARD NAME=evil.example ADDR=192.0.2.66 IDENT=EVIL1\r\n' n:1 \
    's:XFORWARD IDENT=../../x\r\n' n:1 's:XFORWARD FOO=1\r\n' n:1 \
    's:XFORWARD\r\n' n:1 "s:$mail" w:354 "s:$msg" n:1 "s:$quit" w:221
want_codes "220 250 214 550 550 550 550 250 250 354 250 221"
want_xforward_offered no
[ "$(grep -ac '^550 5\.7\.0 Error: insufficient authorization' \
    "$T/out")" -eq 4 ] || err "not \"550 5.7.0 Error: insufficient" \
    "authorization\" each time"
grep -aE '^214' "$T/out" | grep -aq XFORWARD && err "HELP lists XFORWARD"
want_rec_match "$plain"
want_nothing_hostile
grep -aqE 'EVIL1|192\.0\.2\.66' "$T/u.log" &&
    err "the log took the refused XFORWARD's facts"
end

begin "outside smtp_xforward_hosts a unix socket client gets 550 5.7.0 too"
rm -f "$T/got/rec"
ucl "$T/u/run/smtp.sock" \
    "${ehlo}XFORWARD NAME=evil.example ADDR=192.0.2.66\r\n$mail$msg$quit"
want_codes "220 250 550 250 250 354 250 221"
want_xforward_offered no
want_rec_match '^q=[0-9A-F]{20} h= i= H=client\.test '
want_nothing_hostile
end

tap_done
