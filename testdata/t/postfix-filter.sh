#!/bin/bash
# postfix-filter.sh - sluiced as Postfix's after-queue content filter
#
# A real, private Postfix (testdata/t/postfix.bash) with FILTER_README's
# advanced content filter setup: its smtpd queues each message, the
# "scan" transport delivers it over SMTP with XFORWARD to sluiced, and
# sluiced hands what its rules leave to a second smtpd (the re-injection
# port, no content filter), which relays to smtp-sink; the sink writes
# each delivered message to a file.  swaks sends.  The tests assert on
# the delivered bytes and envelopes (a plain message arrives once and
# byte for byte, header and envelope rewrites arrive), on what Postfix
# does with sluiced's answers (a reject bounces to the sender with the
# filter's text, a tempfail stays queued until a reload lets it through,
# a discard vanishes without a bounce), on the original client's facts
# reaching the filters through XFORWARD, on mail waiting in Postfix's
# queue while sluiced is down, and, with LMTP between Postfix and
# sluiced, on one answer per recipient.  After every test sluiced's
# spool holds no work directory and its .runs no run directory.  The
# filters run as sluice-filter; those that keep records write them to
# $T/out (mode 777), their one writable path.
# Prints TAP.  Needs root.  Run by testdata/run-tests, or by hand.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
SLUICED=${SLUICED:-$top/build/sluiced}

T=$(mktemp -d /tmp/sluice-pffilter.XXXXXX) || exit 1
mkdir -p "$T/bin" "$T/inc" "$T/inc-lmtp" "$T/run" "$T/out" "$T/mail"
chmod 755 "$T" "$T/bin" "$T/inc" "$T/inc-lmtp"
chmod 777 "$T/out"
TAP_RESET=1
. "$(dirname "$0")/tap.bash"
. "$(dirname "$0")/postfix.bash"

spid=
# stop_sluiced - SIGTERM the master and wait until it is gone
stop_sluiced() {
	[ -n "$spid" ] || return 0
	stop_pid "$spid"
	wait "$spid" 2>/dev/null
	spid=
}
cleanup() {
	stop_sluiced
	pf_cleanup
	[ "${KEEP:-0}" = 1 ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

SPORT=$(free_port) || exit 1
LPORT=$(free_port) || exit 1

# Filters: result-file directives, a new message, exit codes, records.
filter tag.sh <<'EOF'
printf 'add-header X-Sluice-Tag: tagged by e2e\nprefix-subject [tagged]\n' >"$SLUICE_RESULT"
exit 0
EOF
filter body.sh <<'EOF'
sed '/^$/q' "$SLUICE_MESSAGE" >"$SLUICE_NEW_MESSAGE"
echo "This body was replaced by sluice." >>"$SLUICE_NEW_MESSAGE"
exit 0
EOF
filter rcpt.sh <<'EOF'
printf 'add-rcpt <added@example.net>\ndelete-rcpt <gone@example.net>\n' >"$SLUICE_RESULT"
exit 0
EOF
filter sender.sh <<'EOF'
echo 'change-sender <changed@example.org>' >"$SLUICE_RESULT"
exit 0
EOF
filter reject.sh <<'EOF'
printf '%s\n' "$SLUICE_RECIPIENTS" >>@T@/out/reject.rcpts
echo "forbidden words"
exit 1
EOF
filter defer.sh <<'EOF'
echo "busy, come back later"
exit 75
EOF
filter retried.sh <<'EOF'
echo 'add-header X-Sluice-Retried: yes' >"$SLUICE_RESULT"
exit 0
EOF
filter discard.sh <<'EOF'
: >@T@/out/discard.$SLUICE_QUEUE_ID
exit 0
EOF
filter hold.sh <<'EOF'
exit 3
EOF
filter xf.sh <<'EOF'
printf '%s\n' "$@" >@T@/out/args.$SLUICE_QUEUE_ID
env | grep '^SLUICE_' | sort >@T@/out/env.$SLUICE_QUEUE_ID
exit 0
EOF

# conf_main - the main file: global settings and one content-filter socket
conf_main() {	# file include_dir listen-port protocol
	cat >"$1" <<-EOF
	user = "nobody";
	run_dir = "$T/run";
	spool_dir = "$T/run/spool";
	include_dir = "$2";
	filter_dir = "$T/bin";
	smtp_hostname = "sluice.test";
	milter_listen = [];
	smtp_listen = ( {
		listen = "inet:127.0.0.1:$3";
		next_hop = "inet:127.0.0.1:$PF_REINJECT_PORT";
		protocol = "$4";
	} );
	reject_reply = { code = 554; status = "5.7.0";
	    text = "Refused by the e2e filter"; };
	tempfail_reply = { code = 451; status = "4.7.1";
	    text = "Deferred by the e2e filter"; };
	EOF
}

# The rules live in fragments; 60-defer.conf is rewritten by a test.
sed "s|@T@|$T|g" >"$T/inc/50-e2e.conf" <<'EOF'
filters = (
	{ name = "tag"; command = "tag.sh"; },
	{ name = "body"; command = "body.sh"; },
	{ name = "rcpt"; command = "rcpt.sh"; },
	{ name = "sender"; command = "sender.sh"; },
	{ name = "reject"; command = "reject.sh"; writable = [ "@T@/out" ]; },
	{ name = "discard"; command = "discard.sh"; exit = { discard = 0; };
	    writable = [ "@T@/out" ]; },
	{ name = "hold"; command = "hold.sh"; exit = { quarantine = 3; }; },
	{ name = "xf"; command = "xf.sh %i %h %H %q"; writable = [ "@T@/out" ]; }
);
rules = (
	{ name = "tag"; filter = "tag"; recipient = "tag@example.net"; },
	{ name = "body"; filter = "body"; recipient = "body@example.net"; },
	{ name = "rcpt"; filter = "rcpt"; recipient = "gone@example.net"; },
	{ name = "sender"; filter = "sender"; recipient = "sender@example.net"; },
	{ name = "reject"; filter = "reject"; recipient = "reject@example.net"; },
	{ name = "discard"; filter = "discard"; recipient = "discard@example.net"; },
	{ name = "hold"; filter = "hold"; recipient = "hold@example.net"; },
	{ name = "xf"; filter = "xf"; recipient = "xf@example.net"; }
);
EOF
# defer_rules - the defer rule with the filter that tempfails, or not
defer_rules() {	# defer.sh | retried.sh
	cat >"$T/inc/60-defer.conf" <<-EOF
	filters = ( { name = "defer"; command = "$1"; } );
	rules = ( { name = "defer"; filter = "defer";
	    recipient = "defer@example.net"; } );
	EOF
}
defer_rules defer.sh
sed "s|@T@|$T|g" >"$T/inc-lmtp/50-lmtp.conf" <<'EOF'
filters = ( { name = "reject"; command = "reject.sh"; writable = [ "@T@/out" ]; },
	{ name = "hold"; command = "hold.sh"; exit = { quarantine = 3; }; } );
rules = ( { name = "bad"; filter = "reject"; recipient = "bad@example.net"; },
	{ name = "held"; filter = "hold"; recipient = "a-hold@example.net"; } );
EOF

# start_sluiced - the daemon in the foreground, log in $T/sluiced.log
start_sluiced() {	# conf port
	"$SLUICED" -f -c "$1" >>"$T/sluiced.log" 2>&1 &
	spid=$!
	pf_wait_port "$2" 10
}

if ! pf_init "$T/pf" ||
    ! pf_content_filter smtp "[127.0.0.1]:$SPORT" ||
    ! SINK_DUMP=1 sink_start || ! pf_start; then
	echo "Bail out! cannot start Postfix or smtp-sink"
	exit 1
fi
conf_main "$T/sluice.conf" "$T/inc" "$SPORT" smtp
if ! start_sluiced "$T/sluice.conf" "$SPORT"; then
	echo "Bail out! cannot start sluiced"
	tail -20 "$T/sluiced.log" 2>/dev/null | sed 's/^/# /'
	exit 1
fi

# send - one message; swaks' transcript in $T/trace, its status in rc
send() {	# subject rcpt... (then swaks options after --)
	local subj=$1 to=
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		to=${to:+$to,}$1
		shift
	done
	[ "${1:-}" = -- ] && shift
	pf_send --to "$to" --header "Subject: $subj" \
	    --body "original body of $subj" "$@" >"$T/trace" 2>&1
	rc=$?
}

# is_bounce - the sink file holds a message with the null sender
is_bounce() {	# file
	grep -q '^X-Mail-Args: <>' "$1"
}

# copies - the delivered (not bounce) sink files whose Subject ends in
# subject, now
copies() {	# subject
	local f
	for f in $(sink_files); do
		is_bounce "$f" && continue
		# The header ends at the first empty line.
		if sed '/^$/q' "$f" | grep -qE "^Subject: (.* )?$1\$"; then
			echo "$f"
		fi
	done
}

# bounces - the sink files of bounces that quote subject
bounces() {	# subject
	local f
	for f in $(sink_files); do
		is_bounce "$f" && grep -qE "^Subject: (.* )?$1\$" "$f" &&
		    echo "$f"
	done
}

# delivered - wait until Postfix is idle; the one delivered copy of the
# message with this subject, or nothing (and an error) when there is
# none or more than one
delivered() {	# subject
	local f n
	pf_wait_idle 60 >/dev/null 2>&1
	f=$(copies "$1")
	n=$(printf '%s' "$f" | grep -c .)
	if [ "$n" -ne 1 ]; then
		echo "$n delivered copies of \"$1\", expected 1" >&2
		return 1
	fi
	echo "$f"
}

# wait_log - poll up to about 60 s for an extended regex in a file
wait_log() {	# file regex
	local _
	for _ in $(seq 600); do
		grep -qE -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# pf_qid - Postfix's queue id of the message with this Message-Id, as
# the first smtpd (the one swaks talks to) received it; waits up to
# about 30 s for postlogd to write the line
pf_qid() {	# message-id
	local _ q
	for _ in $(seq 300); do
		q=$(sed -n "s/.*postfix\/cleanup\[[0-9]*\]: \([0-9A-F]*\): message-id=<$1>\$/\1/p" \
		    "$PF_DIR/maillog" | head -1)
		[ -n "$q" ] && break
		sleep 0.1
	done
	echo "$q"
}

# flat - a file's text with CRs dropped and line folds and runs of
# blanks made single spaces (Postfix wraps the lines of a bounce)
flat() {	# file
	tr -d '\r' <"$1" | tr '\n\t' '  ' | tr -s ' '
}

# want_in / want_not_in - a fixed string is (not) in a file
want_in() {	# file string
	grep -qF -- "$2" "$1" || err "\"$2\" not in the delivered message"
}
want_not_in() {	# file string
	! grep -qF -- "$2" "$1" || err "\"$2\" in the delivered message"
}
# want_no_bounce - no bounce quotes the subject
want_no_bounce() {	# subject
	[ -z "$(bounces "$1")" ] || err "a bounce was sent for \"$1\""
}

# The message of the first test, header and body exactly as sent: a
# body line that starts with a dot, one that is only a dot, one with two.
cat >"$T/mail/accept.eml" <<'EOF'
From: Sender <sender@example.org>
To: plain@example.net
Subject: accept-1
Message-Id: <accept-1@client.test>
Date: Sun, 1 Mar 2026 10:00:00 +0000
X-Custom: kept as it is,
	with a folded continuation
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

first line of the body
.a line that starts with a dot
.
..two dots
 a line that starts with a blank

last line
EOF

begin "a message no rule selects arrives once, header and body intact"
pf_send --to plain@example.net --data "@$T/mail/accept.eml" >"$T/trace" 2>&1
rc=$?
want_rc 0
f=$(delivered accept-1 2>"$T/stderr") || err "not delivered exactly once"
if [ -n "$f" ]; then
	# The message's own header: what the sink wrote, without its
	# envelope lines and the Received fields (sink, re-injection and
	# first smtpd), each with its continuation lines.
	awk '/^$/ { exit }
	    /^[^ \t]/ { skip = $0 ~ /^(X-Client-Addr|X-Client-Proto|X-Helo-Args|X-Mail-Args|X-Rcpt-Args|Received):/ }
	    !skip' "$f" >"$T/got.hdr"
	sed '/^$/q' "$T/mail/accept.eml" | sed '$d' >"$T/want.hdr"
	want_same "$T/got.hdr" "$T/want.hdr"
	# swaks ends DATA with one more CR LF before its dot when the
	# data ends in a line end, and smtp-sink ends its file with an
	# empty line: Postfix alone delivers the same two.
	sed '1,/^$/d' "$f" >"$T/got.body"
	{ sed '1,/^$/d' "$T/mail/accept.eml"; echo; echo; } >"$T/want.body"
	want_same "$T/got.body" "$T/want.body"
	n=$(grep -c '^Received: from ' "$f")
	[ "$n" -eq 3 ] || err "$n Received fields, expected 3 (through" \
	    "the re-injection smtpd)"
fi
qid=$(pf_qid accept-1@client.test)
[ -n "$qid" ] || err "no queue id in the maillog"
grep -qE "^.*: $qid: to=<plain@example.net> relay=inet:127.0.0.1:$PF_REINJECT_PORT reply=\"250 " \
    "$T/sluiced.log" || err "sluiced did not relay queue id '$qid'"
want_spool_idle "$T/run/spool"
end

begin "add-header and prefix-subject reach the delivered message"
send "tag-1" tag@example.net
want_rc 0
f=$(delivered tag-1 2>"$T/stderr") || err "not delivered exactly once"
if [ -n "$f" ]; then
	want_in "$f" "X-Sluice-Tag: tagged by e2e"
	grep -qx "Subject: \[tagged\] tag-1" "$f" || err "subject not tagged"
	want_in "$f" "original body of tag-1"
fi
want_spool_idle "$T/run/spool"
end

begin "a replacement message replaces the body, the header stays"
send "body-1" body@example.net
want_rc 0
f=$(delivered body-1 2>"$T/stderr") || err "not delivered exactly once"
if [ -n "$f" ]; then
	want_in "$f" "This body was replaced by sluice."
	want_not_in "$f" "original body of body-1"
	grep -qx "Subject: body-1" "$f" || err "subject lost"
fi
want_spool_idle "$T/run/spool"
end

begin "add-rcpt and delete-rcpt change the recipients delivered to"
send "rcpt-1" gone@example.net kept@example.net
want_rc 0
f=$(delivered rcpt-1 2>"$T/stderr") || err "not delivered exactly once"
if [ -n "$f" ]; then
	grep -q '^X-Rcpt-Args: <added@example.net>' "$f" ||
	    err "the added recipient is not in the envelope"
	grep -q '^X-Rcpt-Args: <kept@example.net>' "$f" ||
	    err "the kept recipient is not in the envelope"
	grep -q '^X-Rcpt-Args: <gone@example.net>' "$f" &&
	    err "the deleted recipient is in the envelope"
	want_in "$f" "original body of rcpt-1"
fi
want_spool_idle "$T/run/spool"
end

begin "change-sender changes the envelope sender"
send "sender-1" sender@example.net
want_rc 0
f=$(delivered sender-1 2>"$T/stderr") || err "not delivered exactly once"
if [ -n "$f" ]; then
	grep -qx 'X-Mail-Args: <changed@example.org>' "$f" ||
	    err "the new sender is not the envelope sender:" \
	    "$(grep '^X-Mail-Args' "$f")"
fi
want_spool_idle "$T/run/spool"
end

begin "a reject bounces to the sender with the filter's 5xx text"
send "reject-1" reject@example.net -- \
    --header "Message-Id: <reject-1@client.test>"
want_rc 0
pf_wait_idle 60 2>>"$T/stderr" || err "Postfix did not finish"
[ -z "$(copies reject-1)" ] || err "the rejected message was delivered"
qid=$(pf_qid reject-1@client.test)
[ -n "$qid" ] || err "no queue id in the maillog"
grep -E ": $qid: to=<reject@example.net>.* status=bounced " \
    "$PF_DIR/maillog" >"$T/trace"
grep -qF 'said: 554 5.7.0 Refused by the e2e filter: forbidden words' \
    "$T/trace" || err "Postfix did not log the 554 for queue id '$qid'"
b=$(bounces reject-1)
n=$(printf '%s' "$b" | grep -c .)
if [ "$n" -ne 1 ]; then
	err "$n bounces, expected 1"
else
	grep -q '^X-Rcpt-Args: <sender@example.org>' "$b" ||
	    err "the bounce is not for the sender"
	sed '/^$/q' "$b" | grep -q '^From: .*<MAILER-DAEMON@pf.test>' ||
	    err "the bounce is not from MAILER-DAEMON"
	flat "$b" | grep -qF '554 5.7.0 Refused by the e2e filter: forbidden words' ||
	    err "the bounce does not quote the reject text"
	grep -qx 'Final-Recipient: rfc822; reject@example.net' "$b" ||
	    err "the bounce does not report reject@example.net"
fi
want_spool_idle "$T/run/spool"
end

begin "a tempfail keeps the message queued; after a reload it arrives once"
send "defer-1" defer@example.net -- \
    --header "Message-Id: <defer-1@client.test>"
want_rc 0
qid=$(pf_qid defer-1@client.test)
[ -n "$qid" ] || err "no queue id in the maillog"
wait_log "$PF_DIR/maillog" ": $qid: to=<defer@example.net>.* status=deferred " ||
    err "no deferral in the maillog"
grep -E ": $qid: to=<defer@example.net>.* status=deferred " \
    "$PF_DIR/maillog" | head -1 >"$T/trace"
grep -qF 'said: 451 4.7.1 Deferred by the e2e filter: busy, come back later' \
    "$T/trace" || err "the maillog does not show the filter's 451"
[ "$(pf_queue_count)" -gt 0 ] || err "the message is not in the queue"
[ -z "$(copies defer-1)" ] || err "the deferred message was delivered"
want_spool_idle "$T/run/spool"
# Let it through: the same rule runs a filter that accepts.
nrel=$(grep -c 'master: reloaded' "$T/sluiced.log")
defer_rules retried.sh
kill -HUP "$spid"
for _ in $(seq 100); do
	[ "$(grep -c 'master: reloaded' "$T/sluiced.log")" -gt "$nrel" ] &&
	    break
	sleep 0.1
done
[ "$(grep -c 'master: reloaded' "$T/sluiced.log")" -gt "$nrel" ] ||
    err "sluiced did not reload"
postqueue -c "$PF_CONF" -f 2>>"$T/stderr"
f=$(delivered defer-1 2>>"$T/stderr") || err "not delivered exactly once"
[ -n "$f" ] && want_in "$f" "X-Sluice-Retried: yes"
[ "$(pf_queue_count)" -eq 0 ] || err "still queued"
want_no_bounce defer-1
want_spool_idle "$T/run/spool"
end

begin "a discard is neither delivered nor queued nor bounced"
send "discard-1" discard@example.net -- \
    --header "Message-Id: <discard-1@client.test>"
want_rc 0
pf_wait_idle 60 2>>"$T/stderr" || err "Postfix did not finish"
qid=$(pf_qid discard-1@client.test)
[ -n "$qid" ] || err "no queue id in the maillog"
[ -e "$T/out/discard.$qid" ] || err "the discard filter did not run" \
    "for queue id '$qid'"
grep -qE ": $qid: to=<discard@example.net>.* status=sent \(250 2\.0\.0 Ok: discarded" \
    "$PF_DIR/maillog" || err "Postfix did not log the discard's 250"
[ -z "$(copies discard-1)" ] || err "the discarded message was delivered"
[ "$(pf_queue_count)" -eq 0 ] || err "the discarded message is queued"
want_no_bounce discard-1
want_spool_idle "$T/run/spool"
end

begin "a quarantined message is kept in the spool, synced, and answered 250"
send "hold-1" hold@example.net -- \
    --header "Message-Id: <hold-1@client.test>"
want_rc 0
pf_wait_idle 60 2>>"$T/stderr" || err "Postfix did not finish"
qid=$(pf_qid hold-1@client.test)
grep -qE ": $qid: to=<hold@example.net>.* status=sent \(250 2\.0\.0 Ok: quarantined" \
    "$PF_DIR/maillog" || err "Postfix did not log the quarantine's 250"
[ -z "$(copies hold-1)" ] || err "the quarantined message was delivered"
[ "$(pf_queue_count)" -eq 0 ] || err "the quarantined message is queued"
want_no_bounce hold-1
q=$(find "$T/run/spool/quarantine" -mindepth 1 -maxdepth 1 -type d \
    2>/dev/null)
if [ "$(echo "$q" | grep -c .)" -ne 1 ]; then
	err "not one quarantine directory: '$q'"
else
	grep -q "Message-Id: <hold-1@client.test>" "$q/message" ||
	    err "the quarantined message file lacks the message"
	grep -qx "queue_id $qid" "$q/envelope" &&
	    grep -qx "sender sender@example.org" "$q/envelope" &&
	    grep -qx "recipient hold@example.net" "$q/envelope" ||
	    err "the envelope file: $(cat "$q/envelope")"
	grep -q "$qid: quarantined in " "$T/sluiced.log" ||
	    err "no log line for the quarantine"
fi
rm -rf "$T/run/spool/quarantine"
want_spool_idle "$T/run/spool"
end

# xf_check - the xf filter's records for the message with this Message-Id
# show the client address and HELO name; Postfix's queue id names it
xf_check() {	# message-id addr helo
	local qid e a
	qid=$(pf_qid "$1")
	e=$T/out/env.$qid
	a=$T/out/args.$qid
	if [ -z "$qid" ] || [ ! -f "$e" ] || [ ! -f "$a" ]; then
		err "no filter records for <$1> (queue id '$qid')"
		return
	fi
	grep -qx "SLUICE_QUEUE_ID=$qid" "$e" || err "queue id"
	grep -qx "SLUICE_CLIENT_ADDR=$2" "$e" ||
	    err "client address: $(grep CLIENT_ADDR "$e")"
	grep -qx "SLUICE_HELO=$3" "$e" || err "HELO: $(grep HELO "$e")"
	# Postfix looked up no name (smtpd_peername_lookup = no) and
	# forwards it as unavailable: %h and the variable are empty.
	grep -qx "SLUICE_CLIENT_NAME=" "$e" ||
	    err "client name: $(grep CLIENT_NAME "$e")"
	printf '%s\n' "$2" "" "$3" "$qid" >"$T/want.args"
	want_same "$a" "$T/want.args"
	grep -qx "SLUICE_SENDER=sender@example.org" "$e" || err "sender"
	grep -qx "SLUICE_RECIPIENTS=xf@example.net" "$e" || err "recipients"
	grep -q ": $qid: client=" "$PF_DIR/maillog" ||
	    err "'$qid' is not a queue id of Postfix's smtpd"
	grep -q "$qid: rule=xf filter=xf exit=0 verdict=continue" \
	    "$T/sluiced.log" || err "the filter's log line lacks '$qid'"
	grep -q "$qid: from=<sender@example.org> .*client=$2" \
	    "$T/sluiced.log" || err "the message's log line lacks '$qid'"
}

begin "XFORWARD: filters see the original client, not Postfix"
send "xf-1" xf@example.net -- --header "Message-Id: <xf-1@client.test>"
want_rc 0
# From another loopback address: sluice's own peer is 127.0.0.1.
send "xf-2" xf@example.net -- --header "Message-Id: <xf-2@client.test>" \
    --local-interface 127.0.0.2 --helo other.client.test
want_rc 0
pf_wait_idle 60 2>>"$T/stderr" || err "Postfix did not finish"
xf_check xf-1@client.test 127.0.0.1 client.test
xf_check xf-2@client.test 127.0.0.2 other.client.test
grep -h '^SLUICE_HELO=pf.test$' "$T"/out/env.* >/dev/null &&
    err "a filter saw Postfix's HELO name"
delivered xf-1 >/dev/null 2>>"$T/stderr" || err "xf-1 not delivered once"
delivered xf-2 >/dev/null 2>>"$T/stderr" || err "xf-2 not delivered once"
want_spool_idle "$T/run/spool"
end

begin "while sluiced is down mail waits in Postfix's queue, then arrives once"
stop_sluiced
for i in 1 2 3; do
	send "down-$i" plain@example.net
	[ "$rc" -eq 0 ] || err "Postfix refused down-$i (swaks exit $rc)"
done
wait_log "$PF_DIR/maillog" "connect to 127\.0\.0\.1\[127\.0\.0\.1\]:$SPORT: Connection refused" ||
    err "no \"Connection refused\" in the maillog"
for _ in $(seq 300); do
	[ "$(pf_queue_count)" -eq 3 ] &&
	    [ -n "$(find "$PF_DIR/queue/deferred" -type f)" ] && break
	sleep 0.1
done
n=$(pf_queue_count)
[ "$n" -eq 3 ] || err "$n messages queued, expected 3"
[ -n "$(find "$PF_DIR/queue/deferred" -type f)" ] ||
    err "nothing in the deferred queue"
grep -qE "status=deferred \(.*:$SPORT: Connection refused\)" \
    "$PF_DIR/maillog" || err "no deferral for the refused connection"
for i in 1 2 3; do
	[ -z "$(copies "down-$i")" ] || err "down-$i delivered without sluiced"
done
start_sluiced "$T/sluice.conf" "$SPORT" || err "sluiced did not start again"
postqueue -c "$PF_CONF" -f 2>>"$T/stderr"
for i in 1 2 3; do
	delivered "down-$i" >/dev/null 2>>"$T/stderr" ||
	    err "down-$i not delivered exactly once"
done
[ "$(pf_queue_count)" -eq 0 ] || err "still queued"
want_spool_idle "$T/run/spool"
end

# LMTP: a second Postfix instance whose content filter speaks LMTP to a
# sluiced that listens with protocol = "lmtp".
stop_sluiced
pf_cleanup
lmtp_ok=1
if ! pf_init "$T/pf-lmtp" ||
    ! pf_content_filter lmtp "[127.0.0.1]:$LPORT" ||
    ! SINK_DUMP=1 sink_start || ! pf_start; then
	lmtp_ok=0
fi
conf_main "$T/sluice-lmtp.conf" "$T/inc-lmtp" "$LPORT" lmtp
[ "$lmtp_ok" = 1 ] && ! start_sluiced "$T/sluice-lmtp.conf" "$LPORT" &&
    lmtp_ok=0

begin "LMTP: one answer per recipient, the filter runs for its group only"
[ "$lmtp_ok" = 1 ] || err "cannot start Postfix, smtp-sink or sluiced" \
    "for LMTP: $(tail -3 "$T/sluiced.log")"
: >"$T/out/reject.rcpts"
send "lmtp-1" good@example.net bad@example.net -- \
    --header "Message-Id: <lmtp-1@client.test>"
want_rc 0
pf_wait_idle 60 2>>"$T/stderr" || err "Postfix did not finish"
qid=$(pf_qid lmtp-1@client.test)
[ -n "$qid" ] || err "no queue id in the maillog"
f=$(delivered lmtp-1 2>>"$T/stderr") || err "not delivered exactly once"
if [ -n "$f" ]; then
	grep -q '^X-Rcpt-Args: <good@example.net>' "$f" ||
	    err "good@example.net is not a recipient"
	grep -q '^X-Rcpt-Args: <bad@example.net>' "$f" &&
	    err "bad@example.net is a recipient"
	want_in "$f" "original body of lmtp-1"
fi
grep -qE ": $qid: to=<good@example.net>.* status=sent " "$PF_DIR/maillog" ||
    err "Postfix did not log good@example.net as sent"
grep -E ": $qid: to=<bad@example.net>.* status=bounced " \
    "$PF_DIR/maillog" >"$T/trace"
grep -qF '554 5.7.0 Refused by the e2e filter: forbidden words' \
    "$T/trace" || err "Postfix did not log the 554 for bad@example.net"
b=$(bounces lmtp-1)
n=$(printf '%s' "$b" | grep -c .)
if [ "$n" -ne 1 ]; then
	err "$n bounces, expected 1"
else
	grep -q '^X-Rcpt-Args: <sender@example.org>' "$b" ||
	    err "the bounce is not for the sender"
	flat "$b" | grep -qF '554 5.7.0 Refused by the e2e filter: forbidden words' ||
	    err "the bounce does not quote the reject text"
	grep -qx 'Final-Recipient: rfc822; bad@example.net' "$b" ||
	    err "the bounce does not report bad@example.net"
	grep -q 'Final-Recipient: .*good@example.net' "$b" &&
	    err "the bounce reports good@example.net"
fi
printf 'bad@example.net\n' >"$T/want.rcpts"
want_same "$T/out/reject.rcpts" "$T/want.rcpts"
n=$(grep -c "$qid: rule=bad filter=reject " "$T/sluiced.log")
[ "$n" -eq 1 ] || err "the reject filter ran $n times for '$qid'"
want_spool_idle "$T/run/spool"
end

begin "LMTP: a quarantined group does not hold up the other recipients"
[ "$lmtp_ok" = 1 ] || err "no LMTP set-up"
rm -rf "$T/run/spool/quarantine"
# the quarantined recipient first (Postfix sorts them): its group
# is the first to run
send "lmtp-2" a-hold@example.net good@example.net -- \
    --header "Message-Id: <lmtp-2@client.test>"
want_rc 0
pf_wait_idle 60 2>>"$T/stderr" || err "Postfix did not finish"
qid=$(pf_qid lmtp-2@client.test)
[ -n "$qid" ] || err "no queue id in the maillog"
grep -qE ": $qid: to=<a-hold@example.net>.* status=sent \(250 2\.0\.0 Ok: quarantined" \
    "$PF_DIR/maillog" || err "Postfix did not log the quarantine's 250"
grep -qE ": $qid: to=<good@example.net>.* status=sent " "$PF_DIR/maillog" ||
    err "good@example.net was not sent"
grep -qE ": $qid: to=<good@example.net>.* status=deferred " "$PF_DIR/maillog" &&
    err "good@example.net was deferred first"
grep -q "$qid: .*answering tempfail" "$T/sluiced.log" && err "a tempfail"

f=$(delivered lmtp-2 2>>"$T/stderr") || err "not delivered exactly once"
if [ -n "$f" ]; then
	grep -q '^X-Rcpt-Args: <good@example.net>' "$f" ||
	    err "good@example.net is not a recipient"
	grep -q '^X-Rcpt-Args: <a-hold@example.net>' "$f" &&
	    err "a-hold@example.net was delivered"
fi
q=$(find "$T/run/spool/quarantine" -mindepth 1 -maxdepth 1 -type d \
    2>/dev/null)
[ "$(echo "$q" | grep -c .)" -eq 1 ] &&
    grep -q "Message-Id: <lmtp-2@client.test>" "$q/message" ||
    err "not one quarantine directory with the message: '$q'"
rm -rf "$T/run/spool/quarantine"
want_spool_idle "$T/run/spool"
end

begin "sluiced stops cleanly"
stop_sluiced
grep -q 'master: stopped' "$T/sluiced.log" || err "no 'stopped' log line"
if grep -qE 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:' \
    "$T/sluiced.log"; then
	err "sanitizer report in the log:" \
	    "$(grep -m3 -E 'Sanitizer|runtime error' "$T/sluiced.log")"
fi
end

tap_done
