#!/bin/bash
# nexthop.sh - the content filter's relay against a confused next hop
#
# sluiced with the milter off and three SMTP/LMTP listeners (SMTP to an
# SMTP next hop, LMTP to an LMTP next hop, SMTP to an LMTP next hop),
# all relaying to nexthop.py, a next hop that follows a script per test:
# it answers DATA with 250, a command with a code that does not answer
# it, sends multi-line replies (well-formed and not), over-long lines,
# replies before the end of the data, extra replies after the greeting,
# after RSET or after the end of the data (in the same packet or a
# moment later), too few or too many LMTP replies, or closes the
# connection mid-transaction.  A raw client (smtp_client.py) sends
# through sluice.  Each test asserts the reply the client got - never
# 250 for a message the next hop did not take, 4xx when the next hop
# made no sense - and what the next hop saw: whether a message reached
# its end of data, and whether sluice opened a fresh connection rather
# than read a stale reply on an old one.
# Prints TAP.  Needs /usr/bin/python3 and ss; root for user "nobody".
# Run by testdata/run-tests, or by hand.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
SLUICED=${SLUICED:-$top/build/sluiced}
PY=/usr/bin/python3
CLIENT=$top/testdata/t/smtp_client.py
HOP=$top/testdata/t/nexthop.py

T=$(mktemp -d /tmp/sluice-nexthop.XXXXXX) || exit 1
mkdir -p "$T/hop" "$T/d/inc"
chmod 755 "$T"
TAP_RESET=1
. "$(dirname "$0")/tap.bash"
. "$(dirname "$0")/postfix.bash"	# free_port, pf_wait_port

[ -x "$PY" ] || skip_all "no /usr/bin/python3"
[ "$(id -u)" -eq 0 ] || skip_all "not root (sluiced runs mail as nobody)"

hoppid=
dpid=
cleanup() {
	[ -n "$dpid" ] && stop_pid "$dpid"
	[ -n "$hoppid" ] && kill "$hoppid" 2>/dev/null
	wait 2>/dev/null
	[ "${KEEP:-0}" = 1 ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

hopport=$(free_port) || exit 1
ps=$(free_port) || exit 1	# SMTP in, SMTP to the next hop
pl=$(free_port) || exit 1	# LMTP in, LMTP to the next hop
pm=$(free_port) || exit 1	# SMTP in, LMTP to the next hop
MAX=33554432			# message_max, for the big message
hop="next_hop = \"inet:127.0.0.1:$hopport\";"
cat >"$T/d.conf" <<EOF
user = "nobody";
run_dir = "$T/d/run";
spool_dir = "$T/d/run/spool";
include_dir = "$T/d/inc";
milter_listen = [];
smtp_listen = (
    { listen = "inet:127.0.0.1:$ps"; $hop },
    { listen = "inet:127.0.0.1:$pl"; protocol = "lmtp"; $hop
      next_hop_protocol = "lmtp"; },
    { listen = "inet:127.0.0.1:$pm"; $hop next_hop_protocol = "lmtp"; } );
smtp_hostname = "filter.test";
message_max = $MAX;
relay_connect_timeout = 5;
relay_timeout = 4;
EOF

"$PY" "$HOP" "$hopport" "$T/hop" >"$T/hop.log" 2>&1 &
hoppid=$!
"$SLUICED" -f -c "$T/d.conf" >"$T/d.log" 2>&1 &
dpid=$!
for p in "$hopport" "$ps" "$pl" "$pm"; do
	if ! pf_wait_port "$p" 15; then
		echo "Bail out! nothing listens on port $p"
		tail -n 5 "$T"/*.log | sed 's/^/# /'
		exit 1
	fi
done

# script - the next hop's script for the next test: a name, then pairs
# of reply name and bytes (\r \n \t \\ as in smtp_client.py); forgets
# what the next hop saw so far
script() {	# name [reply bytes]...
	"$PY" -c 'import json, sys
a = sys.argv[1:]
s = {"name": a[0]}
for k, v in zip(a[1::2], a[2::2]):
    s[k] = (v.replace("\\r", "\r").replace("\\n", "\n")
            .replace("\\t", "\t").replace("\\\\", "\\"))
print(json.dumps(s))' "$@" >"$T/hop/script.new" &&
	    mv "$T/hop/script.new" "$T/hop/script"
	rm -f "$T"/hop/events "$T"/hop/msg.*
	: >"$T/hop/events"
}

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
		head -c 2000 "$T/out"
		echo '$ next hop saw'
		cat "$T/hop/events"
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

# hop_n - how many events of the next hop match the pattern
hop_n() {	# extended regex, after "cN "
	grep -acE "^c[0-9]+ ($1)" "$T/hop/events"
}

# want_ends - exactly n messages reached the next hop's end of data
want_ends() {	# n
	local n
	n=$(hop_n 'end')
	[ "$n" -eq "$1" ] || err "$n message(s) reached the next hop's end" \
	    "of data, expected $1"
}

# want_conns - sluice opened exactly n connections to the next hop
want_conns() {	# n
	local n
	n=$(hop_n 'connect')
	[ "$n" -eq "$1" ] || err "$n connection(s) to the next hop," \
	    "expected $1"
}

# want_dropped - sluice closed next hop connection cN without QUIT
want_dropped() {	# n
	local _
	# the next hop notes the end of the connection when it reads it
	for _ in $(seq 50); do
		grep -aqE "^c$1 (eof|eof-in-data|closed)$" "$T/hop/events" &&
		    break
		sleep 0.1
	done
	grep -aqE "^c$1 (eof|eof-in-data)$" "$T/hop/events" ||
	    err "connection c$1 to the next hop was not dropped"
	grep -aq "^c$1 QUIT$" "$T/hop/events" &&
	    err "connection c$1 to the next hop ended with QUIT"
}

# want_log - the daemon's log has a line matching the pattern
want_log() {	# extended regex
	grep -aqE "$1" "$T/d.log" || err "no log line like \"$1\""
}

ehlo='s:EHLO client.test\r\n'
lhlo='s:LHLO client.test\r\n'
from='MAIL FROM:<alice@a.test>\r\n'
to='RCPT TO:<bob@b.test>\r\n'
to2='RCPT TO:<carol@b.test>\r\n'
msg='Subject: hop\r\n\r\nbody\r\n.\r\n'
quit='s:QUIT\r\n'

# one - one SMTP message through port ps; the reply codes in $codes
one() {
	cl "$ps" w:220 "$ehlo$from$to"'DATA\r\n' w:354 "s:$msg" n:1 \
	    "$quit" w:221
}

# two - two SMTP messages over one connection through port ps, with
# the steps given between them
two() {	# [step...]
	cl "$ps" w:220 "$ehlo$from$to"'DATA\r\n' w:354 "s:$msg" n:1 "$@" \
	    "s:$from$to"'DATA\r\n' w:354 "s:$msg" n:1 "$quit" w:221
}

# ---------------------------------------------------------------- A
# what a well-behaved next hop gets, for comparison

begin "a next hop that behaves: 250, one connection for two messages"
script ok
two
want_codes "220 250 250 250 354 250 250 250 354 250 221"
want_ends 2
want_conns 1
end

# ---------------------------------------------------------------- B
# replies that do not answer the command they follow

begin "DATA answered with 250 (pipelined): 451, nothing sent, dropped"
script data250 data '250 2.0.0 Ok\r\n'
one
want_codes "220 250 250 250 354 451 221"
want_reply "451 4.4.1"
want_ends 0
want_dropped 1
want_log 'relay to .*DATA'
end

begin "DATA answered with 250 (no PIPELINING): 451, dropped"
script data250np data '250 2.0.0 Ok\r\n' \
    ehlo '250-hop.test\r\n250 8BITMIME\r\n'
one
want_codes "220 250 250 250 354 451 221"
want_ends 0
want_dropped 1
end

begin "DATA answered with 334: 451, dropped"
script data334 data '334 go on\r\n'
one
want_codes "220 250 250 250 354 451 221"
want_ends 0
want_dropped 1
end

begin "MAIL answered with 354: 451, nothing sent, dropped"
script mail354 mail '354 go ahead\r\n'
one
want_codes "220 250 250 250 354 451 221"
want_ends 0
want_dropped 1
end

begin "RCPT answered with 354 (no PIPELINING): 451, dropped"
script rcpt354 rcpt '354 go ahead\r\n' \
    ehlo '250-hop.test\r\n250 8BITMIME\r\n'
one
want_codes "220 250 250 250 354 451 221"
want_ends 0
want_dropped 1
end

begin "the end of data answered with 354: 451, dropped"
script dot354 dot '354 more please\r\n'
one
want_codes "220 250 250 250 354 451 221"
want_dropped 1
end

for c in 199 600 099; do
	begin "the end of data answered with code $c: 451, dropped"
	script "dot$c" dot "$c 2.0.0 what\\r\\n"
	one
	want_codes "220 250 250 250 354 451 221"
	want_dropped 1
	end
done

begin "XFORWARD answered with 354: 451, nothing sent"
script xf354 xforward '354 go\r\n' \
    ehlo '250-hop.test\r\n250-PIPELINING\r\n250 XFORWARD NAME ADDR HELO\r\n'
cl "$ps" w:220 "$ehlo" n:1 's:XFORWARD ADDR=192.0.2.1 NAME=c.test\r\n' n:1 \
    "s:$from$to"'DATA\r\n' w:354 "s:$msg" n:1 "$quit" w:221
want_codes "220 250 250 250 250 354 451 221"
want_ends 0
want_dropped 1
end

# ---------------------------------------------------------------- C
# malformed replies

begin "a multi-line reply whose code changes (250- then 550): 451"
script mlchange dot '250-2.0.0 Ok\r\n550 5.7.1 No\r\n'
one
want_codes "220 250 250 250 354 451 221"
want_dropped 1
end

begin "a reply line of 5000 bytes: 451, dropped"
long=$(head -c 5000 /dev/zero | tr '\0' x)
script longline dot "250 2.0.0 $long\\r\\n"
one
want_codes "220 250 250 250 354 451 221"
want_dropped 1
end

begin "a reply of 200 lines: 451, dropped"
many=$(for _ in $(seq 200); do printf '250-2.0.0 more\\r\\n'; done)
script manylines dot "${many}250 2.0.0 Ok\\r\\n"
one
want_codes "220 250 250 250 354 451 221"
want_dropped 1
end

# ---------------------------------------------------------------- D
# multi-line replies, well-formed

begin "multi-line replies to every command, accepting: 250"
script mlok mail '250-2.1.0 one\r\n250 2.1.0 two\r\n' \
    rcpt '250-2.1.5 one\r\n250-2.1.5 two\r\n250 2.1.5 three\r\n' \
    data '354-go\r\n354 on\r\n' \
    dot '250-2.0.0 queued\r\n250 2.0.0 as ABC\r\n'
two
want_codes "220 250 250 250 354 250 250 250 354 250 221"
want_reply "250-2.0.0 queued"
want_reply "250 2.0.0 as ABC"
want_ends 2
want_conns 1
end

begin "a multi-line refusal at the end of data: 550, both lines"
script mlreject dot '550-5.7.1 first line\r\n550 5.7.1 second line\r\n'
one
want_codes "220 250 250 250 354 550 221"
want_reply "550-5.7.1 first line"
want_reply "550 5.7.1 second line"
want_ends 1
end

begin "multi-line RCPT replies (one taken, one refused), then another message"
script mlrcpt rcpt1@1 '250-2.1.5 one\r\n250 2.1.5 two\r\n' \
    rcpt2@1 '550-5.1.1 no such\r\n550 5.1.1 user here\r\n' \
    data@1 '554 5.5.1 Error: no valid recipients\r\n' \
    dot@2 '550 5.7.1 the real answer\r\n'
cl "$ps" w:220 "$ehlo$from$to$to2"'DATA\r\n' w:354 "s:$msg" n:1 \
    "s:$from$to"'DATA\r\n' w:354 "s:$msg" n:1 "$quit" w:221
want_codes "220 250 250 250 250 354 550 250 250 354 550 221"
want_reply "550-5.1.1 no such"
want_reply "550 5.7.1 the real answer"
want_ends 1
end

# ---------------------------------------------------------------- E
# replies before the end of the data

begin "a reply in the same packet as 354: 451, the end of data never sent"
script early354 data '354 go\r\n250 2.0.0 early\r\n' \
    dot '550 5.7.1 the real answer\r\n'
one
want_codes "220 250 250 250 354 451 221"
want_ends 0
want_dropped 1
end

# big enough to outlast every socket buffer between sluice and the next
# hop (whose receive buffer is small), so sluice is still sending when
# the early reply comes
big=$T/big.eml
"$PY" -c 'import sys
with open(sys.argv[1], "wb") as f:
    f.write(b"Subject: big\r\n\r\n")
    line = b"x" * 76 + b"\r\n"
    f.write(line * (8 * 1024 * 1024 // len(line)))
    f.write(b".\r\n")' "$big"

begin "a reply while the data is still coming (8 MiB): 451, no end of data"
script earlymid early '250 2.0.0 early\r\n' dot '550 5.7.1 the real answer\r\n'
cl "$ps" w:220 "$ehlo$from$to"'DATA\r\n' w:354 "f:$big" n:1 "$quit" w:221
want_codes "220 250 250 250 354 451 221"
want_ends 0
want_dropped 1
end

# ---------------------------------------------------------------- F
# more replies than commands: nothing may shift onto the next message

begin "two replies to the end of data in one packet: 451, then the next message gets 550"
script stale dot@1 '250 2.0.0 Ok\r\n250 2.0.0 stale\r\n' \
    dot@2 '550 5.7.1 the real answer\r\n'
two
want_codes "220 250 250 250 354 451 250 250 354 550 221"
want_reply "550 5.7.1 the real answer"
want_conns 2
want_dropped 1
end

begin "a stale 250 a moment after the end of data: the next message gets 550"
script stalelater later@1 '250 2.0.0 stale\r\n' \
    dot@2 '550 5.7.1 the real answer\r\n'
two p:2
# the first message's 250 stands, or is a 451 when the stale line was
# there already when its reply was read: either is safe
[ "$codes" = "220 250 250 250 354 451 250 250 354 550 221" ] ||
    want_codes "220 250 250 250 354 250 250 250 354 550 221"
want_reply "550 5.7.1 the real answer"
want_conns 2
want_dropped 1
end

begin "two replies to RSET after a refused message: 451, the next message gets 550"
script stalerset rcpt@1 '550 5.1.1 no such user\r\n' \
    data@1 '554 5.5.1 Error: no valid recipients\r\n' \
    rset '250 2.0.0 Ok\r\n250 2.0.0 stale\r\n' \
    dot@2 '550 5.7.1 the real answer\r\n'
two
want_codes "220 250 250 250 354 451 250 250 354 550 221"
want_reply "550 5.7.1 the real answer"
want_conns 2
end

begin "an extra reply after the greeting: 451"
script stalegreet greet '220 hop.test ESMTP\r\n250 2.0.0 stale\r\n'
one
want_codes "220 250 250 250 354 451 221"
want_ends 0
want_dropped 1
end

begin "two replies to XFORWARD (pipelined): 451, nothing sent"
script xfstale xforward '250 2.0.0 Ok\r\n250 2.0.0 stale\r\n' \
    ehlo '250-hop.test\r\n250-PIPELINING\r\n250 XFORWARD NAME ADDR HELO\r\n'
cl "$ps" w:220 "$ehlo" n:1 's:XFORWARD ADDR=192.0.2.1 NAME=c.test\r\n' n:1 \
    "s:$from$to"'DATA\r\n' w:354 "s:$msg" n:1 "$quit" w:221
want_codes "220 250 250 250 250 354 451 221"
want_ends 0
want_dropped 1
end

# ---------------------------------------------------------------- G
# the connection ends mid-transaction

begin "the next hop closes instead of answering RCPT: 451"
script droprcpt rcpt '<close>'
one
want_codes "220 250 250 250 354 451 221"
want_ends 0
end

begin "the next hop closes in the middle of the data: 451"
script dropdata early '<close>'
cl "$ps" w:220 "$ehlo$from$to"'DATA\r\n' w:354 "f:$big" n:1 "$quit" w:221
want_codes "220 250 250 250 354 451 221"
want_ends 0
end

begin "the next hop closes instead of answering the end of data: 451"
script dropdot dot '<close>'
one
want_codes "220 250 250 250 354 451 221"
want_ends 1
end

begin "the next hop closes after its 250: the next message on a new connection"
script closeafter dot@1 '250 2.0.0 Ok\r\n<close>' \
    dot@2 '550 5.7.1 the real answer\r\n'
two
want_codes "220 250 250 250 354 250 250 250 354 550 221"
want_conns 2
end

# the next hop's close crosses the next MAIL: nothing was answered, so
# nothing can have been taken, and the message goes on a new connection
begin "the next hop closes a kept connection at the next MAIL: sent again on a new one"
script closeatmail mail@2 '<close>' dot@3 '550 5.7.1 the real answer\r\n'
two
want_codes "220 250 250 250 354 250 250 250 354 550 221"
want_conns 2
end

# ---------------------------------------------------------------- H
# LMTP: one reply per recipient after the end of data

# lmtp2 - one LMTP message to bob and carol through port pl
lmtp2() {	# [steps after the message]
	cl "$pl" w:220 "$lhlo$from$to$to2"'DATA\r\n' w:354 "s:$msg" n:2 "$@" \
	    "$quit" w:221
}

begin "LMTP: multi-line replies per recipient, one taken, one refused"
script lmtpok dot '250-2.1.5 bob\r\n250 2.1.5 delivered\r\n550-5.2.2 carol\r\n550 5.2.2 is over quota\r\n'
lmtp2
want_codes "220 250 250 250 250 354 250 550 221"
want_reply "250 2.1.5 delivered"
want_reply "550 5.2.2 is over quota"
want_ends 1
end

begin "LMTP: one reply for two recipients: 451 for both"
script lmtpmissing dot '250 2.1.5 Ok\r\n'
lmtp2
want_codes "220 250 250 250 250 354 451 451 221"
want_dropped 1
end

begin "LMTP: three replies for two recipients: 451 for both, the next message gets 550"
script lmtpextra dot@1 '250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 stale\r\n' \
    dot@2 '550 5.7.1 the real answer\r\n550 5.7.1 the real answer\r\n'
lmtp2 "s:$from$to$to2"'DATA\r\n' w:354 "s:$msg" n:2
want_codes "220 250 250 250 250 354 451 451 250 250 250 354 550 550 221"
want_conns 2
want_dropped 1
end

begin "SMTP in, LMTP out: two replies for one recipient: 451"
script smtplmtp dot '250 2.1.5 Ok\r\n250 2.1.5 stale\r\n'
cl "$pm" w:220 "$ehlo$from$to"'DATA\r\n' w:354 "s:$msg" n:1 "$quit" w:221
want_codes "220 250 250 250 354 451 221"
want_dropped 1
end

# ---------------------------------------------------------------- Z

begin "the daemon is still up, with no error of its own"
alive "$dpid" || err "sluiced died"
grep -ahiE 'panic|fatal|AddressSanitizer|runtime error' "$T/d.log" |
    head -5 >"$T/bad"
[ -s "$T/bad" ] && err "$(cat "$T/bad")"
end

tap_done
