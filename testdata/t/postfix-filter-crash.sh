#!/bin/bash
# postfix-filter-crash.sh - SIGKILL the content filter under load: no
# accepted message lost
#
# A private Postfix (testdata/t/postfix.bash) with sluiced as its
# after-queue content filter (FILTER_README's advanced setup: Postfix's
# "scan" transport delivers to sluiced, sluiced relays to the
# re-injection smtpd, which relays to smtp-sink), and one exec filter
# that adds a header to every message.  smtp-source sends a few hundred
# messages in small batches over several sessions, each batch with its
# own Message-ID domain, so every message carries a Message-ID of its
# own.  Meanwhile the agent process is killed with SIGKILL again and
# again at random moments, each time once its replacement is handling
# mail, and now and then the launcher too.  The master must restart each
# of them.  sluiced answers Postfix's end of data only after the next
# hop has answered, so a message in flight at a kill stays in Postfix's
# queue and is retried: every message Postfix's smtpd accepted must
# reach smtp-sink at least once.  A copy may arrive twice (the next hop
# took it, the agent died before it answered Postfix): that is allowed,
# and counted.  The counts are printed as TAP diagnostics.  The master's
# back-off, doubling to 30 s while the agent keeps dying young, sets
# most of the run time (about 100 s).
# Prints TAP.  Needs root.  Run by testdata/run-tests, or by hand.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
SLUICED=${SLUICED:-$top/build/sluiced}
WORKERS=4
BATCH=5
BATCHES=${CRASH_BATCHES:-18}		# per worker: 4 * 18 * 5 = 360
MESSAGES=$((WORKERS * BATCHES * BATCH))
KILLS=${CRASH_KILLS:-8}			# agent kills; the launcher's come extra

T=$(mktemp -d /tmp/sluice-pffcrash.XXXXXX) || exit 1
mkdir -p "$T/bin" "$T/inc" "$T/run"
chmod 755 "$T" "$T/bin" "$T/inc"
TAP_RESET=1
PF_KEEP=${KEEP:-0}
. "$(dirname "$0")/tap.bash"
. "$(dirname "$0")/postfix.bash"

spid=
srcpid=
cleanup() {
	[ -n "$srcpid" ] && kill -- -"$srcpid" 2>/dev/null
	[ -n "$spid" ] && stop_pid "$spid"

	pf_cleanup
	[ "${KEEP:-0}" = 1 ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

sport=$(free_port) || exit 1
# The pause keeps a few messages in sluiced at a time, so that the kills
# find some in the middle of their way.
filter tag.sh <<'EOF'
sleep 0.2
echo 'add-header X-Sluice-Crash: seen' >"$SLUICE_RESULT"
EOF

if ! pf_init "$T/pf" ||
    ! pf_content_filter smtp "[127.0.0.1]:$sport"; then
	echo "Bail out! cannot set up Postfix"
	exit 1
fi
# The front smtpd logs under a name of its own: its queue ids are the
# messages Postfix accepted from the client (the re-injection smtpd
# logs under "postfix" like everything else).
postconf -c "$PF_CONF" -P "127.0.0.1:$PF_PORT/inet/syslog_name=front" ||
    { echo "Bail out! cannot name the front smtpd"; exit 1; }

cat >"$T/sluice.conf" <<EOF
user = "nobody";
run_dir = "$T/run";
spool_dir = "$T/run/spool";
include_dir = "$T/inc";
filter_dir = "$T/bin";
milter_listen = [];
smtp_listen = ( { listen = "inet:127.0.0.1:$sport";
    next_hop = "inet:127.0.0.1:$PF_REINJECT_PORT"; } );
filters = ( { name = "tag"; command = "tag.sh"; } );
rules = ( { name = "all"; filter = "tag"; } );
EOF

"$SLUICED" -f -c "$T/sluice.conf" >"$T/sluiced.log" 2>&1 &
spid=$!
if ! SINK_DUMP=1 sink_start || ! pf_start || ! pf_wait_port "$sport" 10
then
	echo "Bail out! cannot start Postfix, smtp-sink or sluiced"
	exit 1
fi

# kid - the running child of the master with this process name
kid() {	# name
	pgrep -P "$spid" -x "$1" | head -1
}

# wait_kid - wait up to 60 s (the master's back-off grows to 30 s while
# a child keeps dying young) for a NAME child other than OLD; print it
wait_kid() {	# name old
	local end=$((SECONDS + 60)) k
	while [ "$SECONDS" -le "$end" ]; do
		k=$(kid "$1")
		if [ -n "$k" ] && [ "$k" != "$2" ]; then
			echo "$k"
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# relayed - how many messages sluiced has handed to the next hop so far
relayed() {
	grep -c 'relay=inet:.* reply="250 ' "$T/sluiced.log"
}

# wait_busy - wait up to 60 s until the agent relays one more message
# than N
wait_busy() {	# n
	local end=$((SECONDS + 60))
	while [ "$SECONDS" -le "$end" ]; do
		[ "$(relayed)" -gt "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

# wait_work - wait up to 5 s until the spool holds a work directory
# (an entry other than .runs, the filters' run directories): a message
# is in the middle of its way through sluiced
wait_work() {
	local _
	for _ in $(seq 100); do
		[ -n "$(ls -A "$T/run/spool" 2>/dev/null | grep -vx '\.runs')" ] &&
		    return 0
		sleep 0.05
	done
	return 1
}

# pause - sleep a random 0.3 to 1.5 s
pause() {
	local ms=$((300 + RANDOM % 1201))
	sleep "$((ms / 1000)).$(printf %03d $((ms % 1000)))"
}

# load - WORKERS clients, each sending BATCHES sessions of BATCH
# messages with a pause between them, so that the load lasts while the
# kills go on; once $T/kills-done exists the rest goes without pauses.
# smtp-source's -M names the Message-ID's domain: one per session, and
# the ids within one session differ.
load() {
	local w b
	for w in $(seq "$WORKERS"); do
		for b in $(seq "$BATCHES"); do
			smtp-source -s 1 -m "$BATCH" -l 4096 \
			    -M "w$w-b$b.load.test" -f sender@example.org \
			    -t rcpt@example.net "127.0.0.1:$PF_PORT" \
			    >>"$T/source.out" 2>&1
			[ -e "$T/kills-done" ] || sleep $((3 + RANDOM % 5))
		done &
	done
	wait
}

begin "the master restarts the agent and the launcher after each SIGKILL"
set -m		# the load gets a process group of its own
load &
srcpid=$!
set +m
kills=0
lkills=0
round=0
end_kills=$((SECONDS + 180))
while [ "$kills" -lt "$KILLS" ] && [ "$SECONDS" -lt "$end_kills" ] &&
    { alive "$srcpid" || [ "$(pf_queue_count)" -gt 0 ]; }; do
	round=$((round + 1))
	a=$(kid sluice-agent)
	[ -n "$a" ] || a=$(wait_kid sluice-agent "") || break
	# kill only an agent that is handling mail
	wait_busy "$(relayed)" || continue
	pause
	wait_work
	if [ $((round % 3)) -eq 2 ]; then
		l=$(kid sluice-launcher)
		[ -n "$l" ] || continue
		kill -KILL "$l" 2>/dev/null && lkills=$((lkills + 1))
		wait_kid sluice-launcher "$l" >/dev/null ||
		    err "no new launcher after kill $lkills"
		continue
	fi
	kill -KILL "$a" 2>/dev/null && kills=$((kills + 1))
	# wait for the replacement, so the next kill hits it under load
	wait_kid sluice-agent "$a" >/dev/null ||
	    err "no new agent after kill $kills"
done
: >"$T/kills-done"
wait "$srcpid"
srcpid=
[ "$kills" -ge "$KILLS" ] ||
    err "only $kills of $KILLS kills happened before the load ended"
[ "$lkills" -ge 1 ] || err "the launcher was never killed"
restarts=$(grep -c 'agent killed by signal 9 (Killed); restarting' \
    "$T/sluiced.log")
[ "$restarts" -eq "$kills" ] ||
    err "$kills agent kills but $restarts restart lines in the log"
restarts=$(grep -c 'launcher killed by signal 9 (Killed); restarting' \
    "$T/sluiced.log")
[ "$restarts" -eq "$lkills" ] ||
    err "$lkills launcher kills but $restarts restart lines in the log"
[ -n "$(kid sluice-agent)" ] || [ -n "$(wait_kid sluice-agent "")" ] ||
    err "no agent runs after the load"
end

begin "every message Postfix accepted reaches smtp-sink"
# Flush again and again: a message the agent died with waits in the
# deferred queue for its next try.
end_flush=$((SECONDS + 180))
while [ "$(pf_queue_count)" -gt 0 ] && [ "$SECONDS" -lt "$end_flush" ]; do
	postqueue -c "$PF_CONF" -f >/dev/null 2>&1
	sleep 2
done
pf_wait_idle 10 || err "the Postfix queue did not drain"
# Accepted: a front smtpd queue id that qmgr took in, by its Message-ID.
awk '
	/ front\/smtpd\[[0-9]+\]: [0-9A-F]+: client=/ {
		q = $0; sub(/.*smtpd\[[0-9]+\]: /, "", q); sub(/:.*/, "", q)
		front[q] = 1
	}
	/ postfix\/cleanup\[[0-9]+\]: [0-9A-F]+: message-id=/ {
		q = $0; sub(/.*cleanup\[[0-9]+\]: /, "", q); sub(/:.*/, "", q)
		m = $0; sub(/.*message-id=/, "", m)
		mid[q] = m
	}
	/ postfix\/qmgr\[[0-9]+\]: [0-9A-F]+: from=</ {
		q = $0; sub(/.*qmgr\[[0-9]+\]: /, "", q); sub(/:.*/, "", q)
		queued[q] = 1
	}
	END {
		for (q in front)
			if (q in queued)
				print (q in mid) ? mid[q] : "<none:" q ">"
	}' "$T/pf/maillog" | sort >"$T/accepted"
sort -u "$T/accepted" >"$T/accepted.ids"
sink_files >"$T/sink.files"
# One Message-ID per delivered copy (the first header of each file).
xargs -r awk 'FNR == 1 { done = 0 }
	!done && tolower($1) == "message-id:" { print $2; done = 1 }' \
	<"$T/sink.files" | sort >"$T/sunk"
sort -u "$T/sunk" >"$T/sunk.ids"
accepted=$(wc -l <"$T/accepted")
delivered=$(wc -l <"$T/sunk.ids")
copies=$(wc -l <"$T/sunk")
dups=$(uniq -d "$T/sunk" | wc -l)
lost=$(comm -23 "$T/accepted.ids" "$T/sunk.ids" | wc -l)
unknown=$(comm -13 "$T/accepted.ids" "$T/sunk.ids" | wc -l)
# What the agent held when it died: the master removes it and logs so.
hit=$(grep -c 'master: removed [0-9]* work director' "$T/sluiced.log")
held=$(sed -n 's/.*master: removed \([0-9]*\) work director.*/\1/p' \
    "$T/sluiced.log" | awk '{ n += $1 } END { print n + 0 }')
tempfails=$(grep -c 'answering tempfail' "$T/sluiced.log")
echo "# $MESSAGES messages, $kills agent kills, $lkills launcher kills:" \
    "accepted=$accepted delivered=$delivered duplicates=$dups lost=$lost"
echo "# copies at the sink=$copies; $hit agent kills found $held messages" \
    "in sluiced; $tempfails answered with a tempfail"
[ "$accepted" -gt 0 ] || err "Postfix accepted nothing"
[ "$(wc -l <"$T/accepted.ids")" -eq "$accepted" ] ||
    err "accepted messages share Message-IDs: the load is broken"
[ "$lost" -eq 0 ] ||
    err "$lost accepted messages never reached smtp-sink:" \
    "$(comm -23 "$T/accepted.ids" "$T/sunk.ids" | head -5)"
[ "$delivered" -ge "$accepted" ] ||
    err "accepted $accepted, delivered $delivered"
[ "$unknown" -eq 0 ] || err "$unknown messages at the sink were never accepted"
[ "$(pf_queue_count)" -eq 0 ] || err "messages left in the Postfix queue"
end

begin "every delivered copy passed the filter once"
# The filter's header: each copy went through sluiced exactly once.
bad=$(xargs -r awk 'FNR == 1 { if (f != "" && n != 1) print f; n = 0 }
	{ f = FILENAME } /^$/ { nextfile } /^X-Sluice-Crash: seen/ { n++ }
	END { if (f != "" && n != 1) print f }' <"$T/sink.files" | wc -l)
[ "$bad" -eq 0 ] || err "$bad copies without exactly one X-Sluice-Crash"
end

begin "no work or run directory is left after the restarts"
stop_pid "$spid" || err "sluiced did not stop"
spid=
# the spool holds its .runs and nothing else, and .runs nothing
left=$(find "$T/run/spool" -mindepth 1 -maxdepth 1 ! -name .runs \
    2>/dev/null | wc -l)
[ "$left" -eq 0 ] || err "$left work directories left:" \
    "$(ls "$T/run/spool" | grep -vx '\.runs' | head -5)"
if [ -d "$T/run/spool/.runs" ]; then
	runs=$(find "$T/run/spool/.runs" -mindepth 1 -maxdepth 1 | wc -l)
	[ "$runs" -eq 0 ] || err "$runs run directories left in .runs:" \
	    "$(ls -A "$T/run/spool/.runs" | head -5)"
else
	err "the spool has no .runs"
fi
end

tap_done
