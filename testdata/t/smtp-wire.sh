#!/bin/bash
# smtp-wire.sh - the SMTP/LMTP content filter, byte for byte on the wire
#
# sluiced with the milter off and SMTP/LMTP listeners whose next hop is
# smtp-sink (one file per message), reached through a recording relay
# (smtp_client.py --tee) so the exact bytes the next hop got can be
# checked as well.  A raw client (smtp_client.py) sends what an attacker
# or a broken MTA would: SMTP smuggling with every end-of-data look-alike
# under both smtp_bare_newline policies, hostile envelopes, every limit
# (line lengths, recipients, SIZE, a client that lies about its size or
# leaves mid-DATA, a slow client, too many connections), and the protocol
# rules (pipelining, EHLO keywords, RSET, sequence errors, commands not
# offered, the error limit, LMTP's LHLO and per-recipient replies, a next
# hop that is down).  Assertions are on the exact replies, the messages
# that reached the sink and their envelopes, and the relay's bytes.
# Prints TAP.  Needs root, smtp-sink (postfix) and /usr/bin/python3.
# Run by testdata/run-tests, or by hand.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
SLUICED=${SLUICED:-$top/build/sluiced}
PY=/usr/bin/python3
CLIENT=$top/testdata/t/smtp_client.py

T=$(mktemp -d /tmp/sluice-smtpwire.XXXXXX) || exit 1
mkdir -p "$T/sink" "$T/sink2" "$T/wire" "$T/wire2" "$T/n/inc" "$T/r/inc" "$T/s/inc"
chmod 755 "$T"
chown postfix "$T/sink" "$T/sink2"
TAP_RESET=1
. "$(dirname "$0")/tap.bash"
. "$(dirname "$0")/postfix.bash"	# free_port, pf_wait_port

sinkpid=
teepid=
tee7pid=
sink2pid=
tee2pid=
silentpid=
dn=
dr=
ds=
bgpids=()
cleanup() {
	local p
	for p in "${bgpids[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in $dn $dr $ds; do
		stop_pid "$p"
	done
	[ -n "$teepid" ] && kill "$teepid" 2>/dev/null
	[ -n "$tee7pid" ] && kill "$tee7pid" 2>/dev/null
	[ -n "$sinkpid" ] && kill "$sinkpid" 2>/dev/null
	for p in $sink2pid $tee2pid $silentpid; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	[ "${KEEP:-0}" = 1 ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

sinkport=$(free_port) || exit 1
teeport=$(free_port) || exit 1	# adds SMTPUTF8 to smtp-sink's EHLO
tee7port=$(free_port) || exit 1	# does not
deadport=$(free_port) || exit 1	# nothing listens there
sink2port=$(free_port) || exit 1	# smtp-sink without PIPELINING
tee2port=$(free_port) || exit 1	# records what reaches it
silentport=$(free_port) || exit 1	# listens, never answers
pn2=$(free_port) || exit 1	# smtp, next hop without PIPELINING
ps2=$(free_port) || exit 1	# smtp, next hop that never answers
pn=$(free_port) || exit 1	# smtp, smtp_bare_newline = normalize
pl=$(free_port) || exit 1	# lmtp
pd=$(free_port) || exit 1	# smtp, next hop down
pr=$(free_port) || exit 1	# smtp, smtp_bare_newline = reject
ps=$(free_port) || exit 1	# smtp_timeout = 2, smtp_connections = 3
MAX=102400			# message_max

# conf - a config for daemon $1 (n, r or s) with its listeners and keys
conf() {	# name listeners keys
	cat >"$T/$1.conf" <<-EOF
	user = "nobody";
	run_dir = "$T/$1/run";
	spool_dir = "$T/$1/run/spool";
	include_dir = "$T/$1/inc";
	milter_listen = [];
	smtp_listen = ( $2 );
	smtp_hostname = "filter.test";
	message_max = $MAX;
	smtp_text_line_max = 1000;
	smtp_recipients_max = 100;
	relay_connect_timeout = 5;
	relay_timeout = ${4:-20};
	$3
	EOF
}
hop="next_hop = \"inet:127.0.0.1:$teeport\";"
conf n "{ listen = \"inet:127.0.0.1:$pn\"; $hop },
    { listen = \"inet:127.0.0.1:$pl\"; protocol = \"lmtp\"; $hop },
    { listen = \"inet:127.0.0.1:$pd\";
      next_hop = \"inet:127.0.0.1:$deadport\"; },
    { listen = \"inet:127.0.0.1:$pn2\";
      next_hop = \"inet:127.0.0.1:$tee2port\"; }" \
    'smtp_bare_newline = "normalize";'
conf r "{ listen = \"inet:127.0.0.1:$pr\";
      next_hop = \"inet:127.0.0.1:$tee7port\"; }" \
    'smtp_bare_newline = "reject";'
conf s "{ listen = \"inet:127.0.0.1:$ps\"; $hop },
    { listen = \"inet:127.0.0.1:$ps2\";
      next_hop = \"inet:127.0.0.1:$silentport\"; }" \
    'smtp_timeout = 2; smtp_connections = 3;' 3

smtp-sink -u postfix -d "$T/sink/%M." "127.0.0.1:$sinkport" 100 \
    >"$T/sink.log" 2>&1 &
sinkpid=$!
"$PY" "$CLIENT" --tee --utf8 "$teeport" "$sinkport" "$T/wire" \
    >"$T/tee.log" 2>&1 &
teepid=$!
"$PY" "$CLIENT" --tee "$tee7port" "$sinkport" "$T/wire" >"$T/tee7.log" 2>&1 &
tee7pid=$!
smtp-sink -p -u postfix -d "$T/sink2/%M." "127.0.0.1:$sink2port" 100 \
    >"$T/sink2.log" 2>&1 &
sink2pid=$!
"$PY" "$CLIENT" --tee "$tee2port" "$sink2port" "$T/wire2" \
    >"$T/tee2.log" 2>&1 &
tee2pid=$!
# a next hop that takes the connection into its backlog and says nothing
"$PY" -c 'import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(16)
time.sleep(3600)' "$silentport" >"$T/silent.log" 2>&1 &
silentpid=$!
"$SLUICED" -f -c "$T/n.conf" >"$T/n.log" 2>&1 &
dn=$!
"$SLUICED" -f -c "$T/r.conf" >"$T/r.log" 2>&1 &
dr=$!
"$SLUICED" -f -c "$T/s.conf" >"$T/s.log" 2>&1 &
ds=$!
for p in "$sinkport" "$teeport" "$tee7port" "$pn" "$pl" "$pd" "$pr" "$ps" \
    "$sink2port" "$tee2port" "$silentport" "$pn2" "$ps2"; do
	if ! pf_wait_port "$p" 15; then
		echo "Bail out! nothing listens on port $p"
		tail -n 5 "$T"/*.log | sed 's/^/# /'
		exit 1
	fi
done

# cl - run the client (port, steps); its output in $T/out, the final
# reply codes in $codes ("220 250 354 ...")
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

# want_codes - the final reply codes of the last session were exactly
want_codes() {	# "220 250 ..."
	[ "$codes" = "$1" ] || err "replies: $codes" "expected: $1"
}

# want_reply - the last session had a reply line starting so
want_reply() {	# "550 5.5.2"
	grep -aq "^$1" "$T/out" || err "no \"$1\" reply"
}

# want_closed - the server closed the last session
want_closed() {
	[ "$(tail -n 1 "$T/out")" = "#closed" ] ||
	    err "the connection was not closed"
}

# sink_reset - forget what the sink and the relay recorder got
sink_reset() {
	rm -f "$T"/sink/* "$T"/wire/*
}

# sink_files - the complete messages the sink got (it holds a file open
# from MAIL FROM to the end of the transaction)
sink_files() {
	local f l open=" " _
	for _ in $(seq 50); do
		open=" "
		for f in /proc/"$sinkpid"/fd/*; do
			l=$(readlink "$f" 2>/dev/null) && open="$open$l "
		done
		case "$open" in *" $T/sink/"*) sleep 0.1 ;; *) break ;; esac
	done
	for f in "$T"/sink/*; do
		[ -f "$f" ] || continue
		case "$open" in *" $f "*) continue ;; esac
		echo "$f"
	done
}

# sink_n - how many messages reached the sink
sink_n() {
	sink_files | wc -l
}

# want_sink - exactly n messages reached the sink
want_sink() {	# n
	local n
	n=$(sink_n)
	[ "$n" -eq "$1" ] || err "$n message(s) reached the sink, expected $1"
}

# sink_env - the envelope lines of every message the sink got
sink_env() {
	local f
	for f in $(sink_files); do
		grep -a '^X-\(Mail\|Rcpt\)-Args:' "$f"
	done
}

# want_env - the one message at the sink has exactly this envelope
want_env() {	# sender rcpt...
	local want r
	want="X-Mail-Args: <$1>"
	shift
	for r in "$@"; do
		want="$want
X-Rcpt-Args: <$r>"
	done
	[ "$(sink_env | sed 's/ SIZE=[0-9]*//; s/ BODY=8BITMIME//;
	    s/ SMTPUTF8//')" = "$want" ] ||
	    err "envelope at the sink:" "$(sink_env)" "expected:" "$want"
}

# want_wire - what the relay sent the next hop is clean SMTP (CR LF only,
# dot-stuffed) and holds n transactions
want_wire() {	# n
	local out
	if ! out=$("$PY" "$CLIENT" --wire-check $(find "$T/wire" -type f) \
	    2>&1); then
		err "relay bytes:" "$out"
	elif [ "$out" != "transactions $1" ]; then
		err "relay bytes: $out, expected $1"
	fi
}

# spool_dirs - work directories in daemon n's spool (not quarantine,
# nor .runs, which holds the filters' run directories)
spool_dirs() {
	find "$T/n/run/spool" -mindepth 1 -maxdepth 1 -type d \
	    ! -name quarantine ! -name .runs 2>/dev/null
}

# run_dirs - what daemon n's spool/.runs holds of runs in use (not the
# idle run and work directories kept for the next messages); "no .runs"
# when there is no such directory
run_dirs() {
	if [ -d "$T/n/run/spool/.runs" ]; then
		runs_busy "$T/n/run/spool/.runs"
	else
		echo "no .runs"
	fi
}

ehlo='s:EHLO client.test\r\n'
from='MAIL FROM:<alice@a.test>\r\n'
to='RCPT TO:<bob@b.test>\r\n'
msg='Subject: wire\r\n\r\nbody\r\n.\r\n'
quit='s:QUIT\r\n'

# ---------------------------------------------------------------- A
# SMTP smuggling: the content "first part" VARIANT, then commands for a
# second transaction pipelined inside the data, then the real end.
smuggle='MAIL FROM:<evil@x>\r\nRCPT TO:<victim@y>\r\nDATA\r\nsmuggled\r\n'

# smuggle_try - one smuggling session on port; the DATA reply expected
smuggle_try() {	# port variant data-reply
	sink_reset
	cl "$1" w:220 "$ehlo$from$to"'DATA\r\n' w:354 \
	    "s:Subject: smuggle\r\n\r\nfirst part$2$smuggle\r\n.\r\n" n:1 \
	    "$quit" w:221
	want_codes "220 250 250 250 354 $3 221"
	sink_env | grep -aq 'evil@x\|victim@y' &&
	    err "a smuggled envelope reached the sink:" "$(sink_env)"
}

variants=('\n.\n' '\r.\r' '\n.\r\n' '\r\n.\n' '\r.\r\n' '\r\n.\r' '\n.\r'
    '\r\n..\n' '\n..\r\n' '\r\n.\r\r\n.\r' '\r\n\0.\r\n' '\r\n.\0\r\n'
    '\r\n.\0\n' '\r\n \r\n.\0\r\n' '\r\n .\r\n' '\r\n.\t\r\n' '\r\n. \r\n')
# the variant's DATA reply under normalize and under reject
expect() {	# variant policy
	case $1 in
	*'\0'*) echo 554 ;;
	*'\r\n .\r\n' | *'\r\n.\t\r\n' | *'\r\n. \r\n') echo 250 ;;
	*) [ "$2" = normalize ] && echo 250 || echo 550 ;;
	esac
}

for v in "${variants[@]}"; do
	e=$(expect "$v" normalize)
	begin "smuggling, normalize: \"$v\" inside DATA is content ($e)"
	smuggle_try "$pn" "$v" "$e"
	if [ "$e" = 250 ]; then
		want_sink 1
		want_env alice@a.test bob@b.test
		f=$(sink_files | head -1)
		if [ -n "$f" ]; then
			grep -aq '^MAIL FROM:<evil@x>$' "$f" ||
			    err "the pipelined commands are not in the body"
			grep -aq '^smuggled$' "$f" ||
			    err "the body lost its last line"
		fi
		want_wire 1
	else
		want_reply "554 5.6.0"
		want_sink 0
		want_wire 0
	fi
	end
done

for v in "${variants[@]}"; do
	e=$(expect "$v" reject)
	begin "smuggling, reject: \"$v\" inside DATA ($e)"
	smuggle_try "$pr" "$v" "$e"
	case $e in
	550) want_reply "550 5.5.2"; want_sink 0; want_wire 0 ;;
	554) want_reply "554 5.6.0"; want_sink 0; want_wire 0 ;;
	*) want_sink 1; want_env alice@a.test bob@b.test; want_wire 1 ;;
	esac
	end
done

for v in '\n.\n' '\r\n.\r' '\r.\r\n' '\r\n.\0\r\n'; do
	e=$(expect "$v" normalize)
	begin "smuggling a byte per segment, normalize: \"$v\" ($e)"
	sink_reset
	cl "$pn" w:220 "$ehlo$from$to"'DATA\r\n' w:354 \
	    "d:Subject: drip\r\n\r\nfirst part$v$smuggle\r\n.\r\n" n:1 \
	    "$quit" w:221
	want_codes "220 250 250 250 354 $e 221"
	want_sink $([ "$e" = 250 ] && echo 1 || echo 0)
	sink_env | grep -aq 'evil@x\|victim@y' &&
	    err "a smuggled envelope reached the sink:" "$(sink_env)"
	end
done

begin "a real end of data after a NUL: 554, then the client's own next mail"
# "\0\r\n.\r\n" is an end of data for every reader: what follows is the
# client's second transaction, seen the same way by the MTA before us.
sink_reset
cl "$pn" w:220 "$ehlo$from$to"'DATA\r\n' w:354 \
    "s:Subject: nul\r\n\r\nfirst part\0\r\n.\r\n$smuggle\r\n.\r\n" n:5 \
    "$quit" w:221
want_codes "220 250 250 250 354 554 250 250 354 250 221"
want_reply "554 5.6.0"
want_sink 1
want_env evil@x victim@y
want_wire 1
end

begin "dot-stuffing both ways: content \".\" and \"..\" lines reach the sink"
sink_reset
cl "$pn" w:220 "$ehlo$from$to"'DATA\r\n' w:354 \
    's:Subject: dots\r\n\r\n..\r\n...\r\n..x\r\n.\r\n' n:1 "$quit" w:221
want_codes "220 250 250 250 354 250 221"
want_sink 1
f=$(sink_files | head -1)
[ -n "$f" ] && [ "$(sed '1,/^$/d' "$f" | grep -v '^$')" != "$(printf \
    '.\n..\n.x')" ] && err "body at the sink:" "$(sed '1,/^$/d' "$f")"
want_wire 1
end

# ---------------------------------------------------------------- B
# Hostile envelopes: (MAIL args, RCPT args, MAIL reply, RCPT reply).  When
# both are 250 the message must reach the sink with the addresses as sent.
# env_case - one envelope over the wire
env_case() {	# mail-line rcpt-line mail-reply rcpt-reply [sink-from sink-to]
	sink_reset
	cl "$pn" w:220 "$ehlo" w:250 "s:MAIL $1\r\n" n:1 "s:RCPT $2\r\n" n:1 \
	    's:DATA\r\n' n:1 "s:$msg" n:1 "$quit" w:221
	want_reply "$3"
	[ "${3%% *}" = 250 ] && want_reply "$4"
	if [ $# -ge 6 ]; then
		want_codes "220 250 250 250 354 250 221"
		want_sink 1
		want_env "$5" "$6"
	else
		want_sink 0
	fi
}

begin "CR inside an address: 500 5.5.2, nothing relayed"
env_case 'FROM:<a\rb@x.test>' 'TO:<bob@b.test>' "500 5.5.2" ""
end
begin "NUL inside an address: 500 5.5.2, nothing relayed"
env_case 'FROM:<a\0b@x.test>' 'TO:<bob@b.test>' "500 5.5.2" ""
end
begin "LF inside a recipient ends the line: 501 5.1.3, then 500, no RCPT"
sink_reset
cl "$pn" w:220 "$ehlo$from"'RCPT TO:<v\nictim@y>\r\nDATA\r\n' n:5 \
    "$quit" w:221
want_codes "220 250 250 501 500 554 221"
want_reply "501 5.1.3"
want_sink 0
end
begin "an address starting with '-': 553, nothing relayed"
env_case 'FROM:<-oQ/tmp/@x.test>' 'TO:<bob@b.test>' "553 5.1.7" ""
cl "$pn" w:220 "$ehlo$from" n:2 "s:RCPT TO:<-x@b.test>\r\n" n:1 "$quit" w:221
want_codes "220 250 250 553 221"
want_reply "553 5.1.3 recipient starts with '-'"
end
begin "bare LF in a command under reject: 500 5.5.2"
cl "$pr" w:220 "$ehlo" n:1 's:MAIL FROM:<alice@a.test>\n' n:1 "$quit" w:221
want_codes "220 250 500 221"
want_reply "500 5.5.2"
end

for a in '`id`@x.test' 'a|b@x.test' 'a&b@x.test' "'a'@x.test" \
    '"-oQ/tmp/"@x.test' '"a b;c"@x.test' '"$(id)"@x.test' '";sleep 66;"@x.test' \
    'a$b@x.test' '#{x}@x.test' 'a@[192.0.2.1]'; do
	begin "shell metacharacters, accepted as sent: sender and rcpt $a"
	env_case "FROM:<$a>" "TO:<$a>" "250 2.1.0" "250 2.1.5" "$a" "$a"
	end
done
for a in ';sleep 66;@x.test' '$(id)@x.test' 'a b@x.test' 'a<b@x.test' \
    'a"b@x.test' 'a\\b@x.test' 'a..b@x.test' '.a@x.test' 'a@x..test' \
    'a@-x.test' 'a@'; do
	begin "bad syntax refused: sender $a (501 5.1.7), rcpt (501 5.1.3)"
	env_case "FROM:<$a>" "TO:<bob@b.test>" "501 5.1.7" ""
	cl "$pn" w:220 "$ehlo$from" n:2 "s:RCPT TO:<$a>\r\n" n:1 "$quit" w:221
	want_codes "220 250 250 501 221"
	want_reply "501 5.1.3"
	end
done

l64=$(printf 'l%.0s' $(seq 64))
l65=${l64}x
lab=$(printf 'd%.0s' $(seq 63))
d255=$lab.$lab.$lab.$(printf 'e%.0s' $(seq 61)).x	# 255 bytes
d256=$lab.$lab.$lab.$(printf 'e%.0s' $(seq 62)).x	# 256 bytes
begin "64-byte local part accepted and relayed unchanged"
env_case "FROM:<$l64@x.test>" "TO:<$l64@y.test>" "250 2.1.0" "250 2.1.5" \
    "$l64@x.test" "$l64@y.test"
end
begin "65-byte local part: 501 5.1.7 as sender, 501 5.1.3 as recipient"
env_case "FROM:<$l65@x.test>" "TO:<bob@b.test>" "501 5.1.7" ""
cl "$pn" w:220 "$ehlo$from" n:2 "s:RCPT TO:<$l65@y.test>\r\n" n:1 \
    "$quit" w:221
want_codes "220 250 250 501 221"
want_reply "501 5.1.3"
end
begin "256-byte domain: 501 5.1.7 as sender, 501 5.1.3 as recipient"
env_case "FROM:<a@$d256>" "TO:<bob@b.test>" "501 5.1.7" ""
cl "$pn" w:220 "$ehlo$from" n:2 "s:RCPT TO:<a@$d256>\r\n" n:1 \
    "$quit" w:221
want_codes "220 250 250 501 221"
want_reply "501 5.1.3"
end
begin "a path over 256 bytes (255-byte domain) is refused: 501 5.1.3"
cl "$pn" w:220 "$ehlo$from" n:2 "s:RCPT TO:<ab@$d255>\r\n" n:1 \
    "$quit" w:221
want_codes "220 250 250 501 221"
want_reply "501 5.1.3"
end
begin "non-ASCII without SMTPUTF8: 553 5.6.7 for sender and recipient"
cl "$pn" w:220 "$ehlo" n:1 's:MAIL FROM:<jürgen@x.test>\r\n' n:1 \
    "s:$from" n:1 's:RCPT TO:<zoë@y.test>\r\n' n:1 "$quit" w:221
want_codes "220 250 553 250 553 221"
[ "$(grep -ac '^553 5.6.7' "$T/out")" -eq 2 ] || err "not 553 5.6.7 twice"
end
begin "non-ASCII with SMTPUTF8: accepted, relayed unchanged"
# smtp-sink writes "?" for non-ASCII bytes: look at the relay's bytes
env_case 'FROM:<jürgen@bücher.test> SMTPUTF8' 'TO:<zoë@y.test>' \
    "250 2.1.0" "250 2.1.5" 'j??rgen@b??cher.test' 'zo??@y.test'
cat "$T"/wire/* >"$T/wire.all" 2>/dev/null
grep -aq '^MAIL FROM:<jürgen@bücher.test>.* SMTPUTF8' "$T/wire.all" ||
    err "the relay's MAIL is not as sent"
grep -aq '^RCPT TO:<zoë@y.test>' "$T/wire.all" ||
    err "the relay's RCPT is not as sent"
want_wire 1
end
begin "SMTPUTF8 mail, next hop without SMTPUTF8: 5xx 5.6.7, not relayed"
sink_reset
cl "$pr" w:220 "$ehlo" w:250 's:MAIL FROM:<jürgen@x.test> SMTPUTF8\r\n' \
    's:RCPT TO:<bob@b.test>\r\nDATA\r\n' w:354 "s:$msg" n:1 "$quit" w:221
echo "$codes" | grep -qx '220 250 250 250 354 5[0-9][0-9] 221' ||
    err "replies: $codes" "expected: 220 250 250 250 354 5xx 221"
grep -aq '^5[0-9][0-9] 5.6.7' "$T/out" || err "no 5.6.7 reply"
want_sink 0
end
begin "malformed UTF-8 with SMTPUTF8: 501 5.1.7"
env_case 'FROM:<j\xc0\xafk@x.test> SMTPUTF8' 'TO:<bob@b.test>' "501 5.1.7" ""
end
begin "null sender <> accepted and relayed as <>"
env_case 'FROM:<>' 'TO:<bob@b.test>' "250 2.1.0" "250 2.1.5" "" bob@b.test
end
begin "null recipient <> refused: 501 5.1.3"
cl "$pn" w:220 "$ehlo$from" n:2 's:RCPT TO:<>\r\n' n:1 "$quit" w:221
want_codes "220 250 250 501 221"
want_reply "501 5.1.3"
end
begin "source routes are dropped: <@a,@b:u@d> relayed as <u@d>"
env_case 'FROM:<@a.test,@b.test:alice@a.test>' 'TO:<@c.test:bob@b.test>' \
    "250 2.1.0" "250 2.1.5" alice@a.test bob@b.test
end
begin "quoted local part with escapes is relayed as sent"
# the client decodes "\\" to one backslash: <"a\\\"b c"@x.test> on the wire
env_case 'FROM:<"a\\\\\\"b c"@x.test>' 'TO:<bob@b.test>' "250 2.1.0" \
    "250 2.1.5" '"a\\\"b c"@x.test' bob@b.test
end
begin "<postmaster> without a domain is a recipient; as sender it is not"
env_case 'FROM:<alice@a.test>' 'TO:<Postmaster>' "250 2.1.0" "250 2.1.5" \
    alice@a.test Postmaster
cl "$pn" w:220 "$ehlo" n:1 's:MAIL FROM:<postmaster>\r\n' n:1 "$quit" w:221
want_codes "220 250 501 221"
want_reply "501 5.1.7"
end

begin "XFORWARD: values checked (CR via xtext refused), not inside MAIL"
cl "$pn" w:220 "$ehlo" n:1 's:XFORWARD NAME=a+0Db.test\r\n' n:1 \
    's:XFORWARD ADDR=192.0.2.1 HELO=x+2Ey\r\n' n:1 's:XFORWARD FOO=1\r\n' \
    n:1 "s:$from" n:1 's:XFORWARD ADDR=192.0.2.2\r\n' n:1 "$quit" w:221
want_codes "220 250 501 250 501 250 503 221"
[ "$(grep -ac '^501 5.5.4' "$T/out")" -eq 2 ] || err "not 501 5.5.4"
want_reply "503 5.5.1"
end

begin "a bare CR cannot split a command: \"RSET\\rMAIL FROM:<evil@x>\" is 500"
sink_reset
cl "$pn" w:220 "$ehlo"'RSET\rMAIL FROM:<evil@x>\r\nRCPT TO:<victim@y>\r\n' \
    n:3 "$quit" w:221
want_codes "220 250 500 503 221"
want_reply "500 5.5.2"
end

# ---------------------------------------------------------------- C
begin "command line of 1,001 bytes: 500 5.5.2, the session goes on"
long=$(printf 'a%.0s' $(seq 995))
cl "$pn" w:220 "$ehlo" n:1 "s:NOOP $long\r\n" n:1 "s:NOOP ${long}b\r\n" \
    n:1 's:NOOP\r\n' n:1 "$quit" w:221
# "NOOP " + 995 bytes is 1,000 bytes: the longest line allowed
want_codes "220 250 250 500 250 221"
want_reply "500 5.5.2"
end

begin "10,000 pipelined RCPTs: 100 get 250, the rest 452 4.5.3; DATA works"
sink_reset
{
	printf 'EHLO client.test\r\nMAIL FROM:<alice@a.test>\r\n'
	for i in $(seq 10000); do
		printf 'RCPT TO:<r%d@b.test>\r\n' "$i"
	done
	printf 'DATA\r\n'
} >"$T/rcpts"
cl "$pn" w:220 "f:$T/rcpts" w:354 "s:$msg" n:1 "$quit" w:221
n250=$(grep -ac '^250 2.1.5' "$T/out")
n452=$(grep -ac '^452 4.5.3' "$T/out")
[ "$n250" -eq 100 ] || err "$n250 recipients got 250, expected 100"
[ "$n452" -eq 9900 ] || err "$n452 recipients got 452 4.5.3, expected 9900"
[ "$(echo "$codes" | awk '{ print $(NF - 1), $NF }')" = "250 221" ] ||
    err "the DATA reply is not 250: ${codes: -20}"
want_sink 1
f=$(sink_files | head -1)
if [ -n "$f" ]; then
	n=$(grep -ac '^X-Rcpt-Args:' "$f")
	[ "$n" -eq 100 ] || err "$n recipients at the sink, expected 100"
	[ "$(grep -a '^X-Rcpt-Args:' "$f" | sed -n '1p;$p' | tr '\n' ' ')" = \
	    "X-Rcpt-Args: <r1@b.test> X-Rcpt-Args: <r100@b.test> " ] ||
	    err "not the first 100 recipients at the sink"
fi
end

begin "MAIL SIZE= over message_max: 552 5.3.4; SIZE=message_max: 250"
cl "$pn" w:220 "$ehlo" n:1 "s:MAIL FROM:<alice@a.test> SIZE=$((MAX + 1))\r\n" \
    n:1 "s:MAIL FROM:<alice@a.test> SIZE=$MAX\r\n" n:1 "$quit" w:221
want_codes "220 250 552 250 221"
want_reply "552 5.3.4"
end

begin "a client that lies in SIZE=10 and sends more: 552 5.3.4, not relayed"
sink_reset
{
	printf 'Subject: big\r\n\r\n'
	for i in $(seq 1200); do
		printf '%099d\r\n' "$i"
	done
	printf '.\r\n'
} >"$T/big"
cl "$pn" w:220 "$ehlo"'MAIL FROM:<alice@a.test> SIZE=10\r\n'"$to"'DATA\r\n' \
    w:354 "f:$T/big" n:1 's:NOOP\r\n' n:1 "$quit" w:221
want_codes "220 250 250 250 354 552 250 221"
want_reply "552 5.3.4"
want_sink 0
want_wire 0
end

begin "a text line over smtp_text_line_max: 554 5.6.0; at the limit: 250"
sink_reset
l1000=$(printf 'x%.0s' $(seq 1000))
cl "$pn" w:220 "$ehlo$from$to"'DATA\r\n' w:354 \
    "s:Subject: long\r\n\r\n${l1000}y\r\n.\r\n" n:1 \
    "s:$from$to"'DATA\r\n' w:354 "s:Subject: long\r\n\r\n$l1000\r\n.\r\n" \
    n:1 "$quit" w:221
want_codes "220 250 250 250 354 554 250 250 354 250 221"
want_reply "554 5.6.0"
want_sink 1
f=$(sink_files | head -1)
[ -n "$f" ] && ! grep -aqx "$l1000" "$f" && err "the 1,000-byte line changed"
end

begin "a client gone mid-DATA: nothing relayed, no work or run directory left"
sink_reset
"$PY" "$CLIENT" "$pn" w:220 "$ehlo$from$to"'DATA\r\n' w:354 \
    's:Subject: half\r\n\r\nhalf a message\r\n' p:60 >"$T/half" 2>&1 &
hp=$!
bgpids+=("$hp")
seen=
for _ in $(seq 100); do
	seen=$(spool_dirs)
	[ -n "$seen" ] && break
	sleep 0.1
done
[ -n "$seen" ] || err "no work directory while the data came in"
{
	kill -KILL "$hp"
	wait "$hp"
} 2>/dev/null
left=
for _ in $(seq 100); do
	left=$(spool_dirs)
	[ -z "$left" ] && break
	sleep 0.1
done
[ -n "$left" ] && err "work directory left: $left"
left=$(run_dirs)
[ -n "$left" ] && err "in .runs: $left"
want_sink 0
want_wire 0
grep -q 'disconnected in DATA' "$T/n.log" || err "no log line"
end

begin "slowloris: a command at 1 byte a second gets 421 4.4.2 and is closed"
cl "$ps" w:220 'slow:NOOP and a few more bytes\r\n' e:10
want_codes "220 421"
want_reply "421 4.4.2"
want_closed
end

begin "smtp_connections = 3: the 4th connection gets 421 4.7.0"
hold=()
for i in 1 2 3; do
	"$PY" "$CLIENT" "$ps" w:220 k:8 "$quit" w:221 >"$T/hold.$i" 2>&1 &
	hold+=($!)
	bgpids+=($!)
done
# est - established sessions on the limited daemon
est() {
	ss -Htn state established "( sport = :$ps )" 2>/dev/null | wc -l
}
for _ in $(seq 100); do
	[ "$(est)" -ge 3 ] && break
	sleep 0.1
done
# the acceptor takes connections in order: the 4th comes after the 3
cl "$ps" w:421 e:5
want_codes "421"
want_reply "421 4.7.0"
want_closed
for p in "${hold[@]}"; do
	wait "$p"
done
for i in 1 2 3; do
	grep -q '^221 ' "$T/hold.$i" || err "holder $i: $(tr '\r\n' '  ' \
	    <"$T/hold.$i" | cut -c1-200)"
done
ok=0
for _ in $(seq 20); do
	cl "$ps" w:220 "$quit" w:221
	[ "$codes" = "220 221" ] && { ok=1; break; }
	sleep 0.25
done
[ "$ok" = 1 ] || err "no connection served after the holders left: $codes"
end

# ---------------------------------------------------------------- D
begin "PIPELINING: EHLO MAIL RCPT DATA, message and QUIT in one write"
sink_reset
cl "$pn" w:220 "$ehlo$from$to"'DATA\r\n'"$msg"'QUIT\r\n' w:221
want_codes "220 250 250 250 354 250 221"
want_sink 1
want_env alice@a.test bob@b.test
want_wire 1
end

begin "two messages in one session, each relayed once"
sink_reset
cl "$pn" w:220 "$ehlo$from$to"'DATA\r\n' w:354 "s:$msg" n:1 \
    "s:MAIL FROM:<carol@c.test>\r\nRCPT TO:<dave@d.test>\r\nDATA\r\n" \
    w:354 "s:$msg" n:1 "$quit" w:221
want_codes "220 250 250 250 354 250 250 250 354 250 221"
want_sink 2
want_wire 2
end

begin "EHLO lists PIPELINING SIZE 8BITMIME SMTPUTF8 ENHANCEDSTATUSCODES" \
    "XFORWARD"
cl "$pn" w:220 "$ehlo" w:250 "$quit" w:221
for k in PIPELINING "SIZE $MAX" 8BITMIME SMTPUTF8 ENHANCEDSTATUSCODES \
    XFORWARD; do
	grep -aqE "^250[- ]$k(\s|\r|$)" "$T/out" || err "no $k"
done
grep -aqE '^250[- ](STARTTLS|AUTH|CHUNKING)' "$T/out" &&
    err "offers what it does not do"
grep -aq '^220 filter.test ESMTP' "$T/out" || err "greeting"
end

begin "HELO: no extensions; ESMTP parameters then get 555 5.5.4"
cl "$pn" w:220 's:HELO client.test\r\n' n:1 \
    's:MAIL FROM:<alice@a.test> SIZE=10\r\n' n:1 "s:$from" n:1 "$quit" w:221
want_codes "220 250 555 250 221"
grep -aq '^250-' "$T/out" && err "HELO got a multi-line reply"
end

begin "RSET clears the transaction"
sink_reset
cl "$pn" w:220 "$ehlo$from$to"'RSET\r\nDATA\r\nRCPT TO:<bob@b.test>\r\n' \
    n:6 "s:$from" n:1 "$quit" w:221
want_codes "220 250 250 250 250 503 503 250 221"
want_sink 0
end

begin "commands out of order: 503 5.5.1"
cl "$pn" w:220 "s:$from" n:1 "$ehlo" n:1 "s:$to" n:1 's:DATA\r\n' n:1 \
    "s:$from$from" n:2 's:DATA\r\n' n:1 "$quit" w:221
# MAIL before EHLO, RCPT and DATA before MAIL, nested MAIL, DATA with no
# recipient (554 5.5.1)
want_codes "220 503 250 503 503 250 503 554 221"
[ "$(grep -ac '^503 5.5.1' "$T/out")" -eq 4 ] || err "not 503 5.5.1 each time"
want_reply "554 5.5.1"
end

begin "STARTTLS, AUTH, BDAT: 502 5.5.1; an unknown command: 500 5.5.2"
cl "$pn" w:220 "$ehlo" n:1 's:STARTTLS\r\n' n:1 's:AUTH PLAIN AGJvYgB4\r\n' \
    n:1 's:BDAT 10 LAST\r\n' n:1 's:FOO bar\r\n' n:1 's:NOOP\r\n' n:1 \
    "$quit" w:221
want_codes "220 250 502 502 502 500 250 221"
[ "$(grep -ac '^502 5.5.1' "$T/out")" -eq 3 ] || err "not 502 5.5.1"
want_reply "500 5.5.2"
end

begin "20 errors: 421 4.7.0 and the session is closed"
bad=
for i in $(seq 25); do
	bad="${bad}FOO $i\\r\\n"
done
cl "$pn" w:220 "s:$bad" e:10
want_codes "220$(printf ' 500%.0s' $(seq 20)) 421"
want_reply "421 4.7.0"
want_closed
end

begin "20 refused commands out of sequence: 421 4.7.0 as well"
bad=
for i in $(seq 25); do
	bad="${bad}RCPT TO:<a$i@b.test>\\r\\n"
done
cl "$pn" w:220 "$ehlo" n:1 "s:$bad" e:10
want_codes "220 250$(printf ' 503%.0s' $(seq 20)) 421"
want_closed
end

begin "LMTP: EHLO and HELO refused, LHLO required"
cl "$pl" w:220 "$ehlo" n:1 's:HELO client.test\r\n' n:1 "s:$from" n:1 \
    's:LHLO client.test\r\n' w:250 "s:$from" n:1 "$quit" w:221
want_codes "220 500 500 503 250 250 221"
grep -aq '^220 filter.test LMTP' "$T/out" || err "greeting"
[ "$(grep -ac '^500 5.5.1' "$T/out")" -eq 2 ] || err "not 500 5.5.1"
end

begin "LMTP: one reply per recipient after DATA"
sink_reset
cl "$pl" w:220 's:LHLO client.test\r\n' w:250 "s:$from"'RCPT TO:<r1@b.test>\r\n'\
'RCPT TO:<r2@b.test>\r\nRCPT TO:<r3@b.test>\r\nDATA\r\n' w:354 "s:$msg" n:3 \
    "$quit" w:221
want_codes "220 250 250 250 250 250 354 250 250 250 221"
want_sink 1
want_env alice@a.test r1@b.test r2@b.test r3@b.test
want_wire 1
end

begin "LMTP: a refused message gets its reply once per recipient"
sink_reset
cl "$pl" w:220 's:LHLO client.test\r\n' w:250 "s:$from"'RCPT TO:<r1@b.test>\r\n'\
'RCPT TO:<r2@b.test>\r\nDATA\r\n' w:354 's:Subject: x\r\n\r\nnul\0\r\n.\r\n' \
    n:2 "$quit" w:221
want_codes "220 250 250 250 250 354 554 554 221"
want_sink 0
end

begin "next hop down: 451 4.4.1, never 250"
sink_reset
cl "$pd" w:220 "$ehlo$from$to"'DATA\r\n' w:354 "s:$msg" n:1 "$quit" w:221
want_codes "220 250 250 250 354 451 221"
want_reply "451 4.4.1"
end

begin "next hop stopped (smtp-sink killed): 451 4.4.1, never 250"
kill "$sinkpid" 2>/dev/null
wait "$sinkpid" 2>/dev/null
sinkpid=
sink_reset
cl "$pn" w:220 "$ehlo$from$to"'DATA\r\n' w:354 "s:$msg" n:1 "$quit" w:221
want_codes "220 250 250 250 354 451 221"
want_reply "451 4.4.1"
cl "$pl" w:220 's:LHLO client.test\r\n' w:250 "s:$from"'RCPT TO:<r1@b.test>\r\n'\
'RCPT TO:<r2@b.test>\r\nDATA\r\n' w:354 "s:$msg" n:2 "$quit" w:221
want_codes "220 250 250 250 250 354 451 451 221"
end

begin "a next hop without PIPELINING gets XFORWARD and the rest one by one"
cl "$pn2" w:220 "$ehlo" n:1 's:XFORWARD ADDR=10.1.2.3 HELO=orig.test\r\n' \
    n:1 's:XFORWARD IDENT=ABC123 NAME=[UNAVAILABLE]\r\n' n:1 "s:$from$to" \
    n:2 's:DATA\r\n' w:354 "s:$msg" n:1 "$quit" w:221
want_codes "220 250 250 250 250 250 354 250 221"
[ "$(find "$T/sink2" -type f | wc -l)" -eq 1 ] ||
    err "not one message at the sink without PIPELINING"
cat "$T"/wire2/* >"$T/wire2.all" 2>/dev/null
grep -aq '^XFORWARD .*ADDR=10\.1\.2\.3' "$T/wire2.all" &&
    grep -aq '^XFORWARD .*HELO=orig\.test' "$T/wire2.all" &&
    grep -aq '^XFORWARD .*NAME=\[UNAVAILABLE\]' "$T/wire2.all" ||
    err "XFORWARD not passed on:" "$(grep -a XFORWARD "$T/wire2.all")"
[ "$(grep -an '^XFORWARD\|^MAIL FROM' "$T/wire2.all" | tail -n 1 |
    cut -d: -f2-)" = "$(grep -a '^MAIL FROM' "$T/wire2.all")" ] ||
    err "XFORWARD after MAIL"
grep -q 'ABC123: to=<bob@b.test>' "$T/n.log" ||
    err "the log does not name the message by its XFORWARD IDENT"
end

begin "a next hop that never answers: 451 4.4.1 after relay_timeout"
cl "$ps2" w:220 "$ehlo" n:1 "s:$from$to" n:2 's:DATA\r\n' w:354 "s:$msg" n:1 \
    "$quit" w:221
want_codes "220 250 250 250 354 451 221"
want_reply "451 4.4.1"
grep -q 'no reply from the next hop within 3 s' "$T/s.log" ||
    err "no log line naming the silent next hop"
end

begin "the daemons are still up, with no error of their own"
for p in $dn $dr $ds; do
	alive "$p" || err "sluiced $p died"
done
grep -ahiE 'panic|fatal|AddressSanitizer|runtime error' "$T"/[nrs].log |
    head -5 | while read -r l; do echo "$l"; done >"$T/bad"
[ -s "$T/bad" ] && err "$(cat "$T/bad")"
end

begin "stopping: an idle connection gets 421 4.3.2, the daemon ends"
"$PY" "$CLIENT" "$pr" w:220 "$ehlo" n:1 e:60 >"$T/out" 2>>"$T/stderr" &
idle=$!
sleep 1
kill -TERM "$dr"
wait "$idle"
grep -aq '^421 4\.3\.2' "$T/out" || err "no 421 4.3.2:" "$(cat "$T/out")"
want_closed
wait_gone "$dr" || wait_gone "$dr" || err "sluiced did not stop"
dr=
end

tap_done
