#!/bin/bash
# smtp-slow.sh - a slow client cannot hold a content-filter connection
#
# sluiced with smtp_timeout = 2, the default smtp_min_data_rate (500
# bytes a second) and smtp_session_timeout = 600, relaying to smtp-sink.  A client that
# sends its message one byte a second never falls silent for
# smtp_timeout, but its data comes far below the minimum rate: it must
# get "421 4.4.2" and be closed within seconds (long before the session
# timeout), with nothing delivered, no work directory left (nor a run
# directory in the spool's .runs) and a log
# line that says why.  A command line sent one byte a second is cut the
# same way.  A big message at full speed, and one sent in chunks a
# second apart for longer than smtp_timeout in all (slow, but well above
# the rate), both arrive.  The bounds are generous: "cut at all, and
# long before the session timeout", never a tight timing.
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

T=$(mktemp -d /tmp/sluice-smtpslow.XXXXXX) || exit 1
mkdir -p "$T/sink" "$T/inc" "$T/run"
chmod 755 "$T"
chown postfix "$T/sink"
TAP_RESET=1
. "$(dirname "$0")/postfix.bash"	# free_port, pf_wait_port

sinkpid=
dpid=
cleanup() {
	[ -n "$dpid" ] && stop_pid "$dpid"
	[ -n "$sinkpid" ] && kill "$sinkpid" 2>/dev/null
	wait 2>/dev/null
	[ "${KEEP:-0}" = 1 ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

sinkport=$(free_port) || exit 1
port=$(free_port) || exit 1
SESSION=600			# smtp_session_timeout
CUT=30				# "cut long before the session timeout"

cat >"$T/sluice.conf" <<EOF
user = "nobody";
run_dir = "$T/run";
spool_dir = "$T/run/spool";
include_dir = "$T/inc";
milter_listen = [];
smtp_listen = ( { listen = "inet:127.0.0.1:$port";
    next_hop = "inet:127.0.0.1:$sinkport"; } );
smtp_hostname = "filter.test";
smtp_timeout = 2;
smtp_session_timeout = $SESSION;
EOF

smtp-sink -u postfix -d "$T/sink/%M." "127.0.0.1:$sinkport" 100 \
    >"$T/sink.log" 2>&1 &
sinkpid=$!
"$SLUICED" -f -c "$T/sluice.conf" >"$T/sluiced.log" 2>&1 &
dpid=$!
for p in "$sinkport" "$port"; do
	if ! pf_wait_port "$p" 15; then
		echo "Bail out! nothing listens on port $p"
		tail -n 5 "$T"/*.log | sed 's/^/# /'
		exit 1
	fi
done

# ms - the monotonic clock in milliseconds
ms() {
	awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime
}

# cl - run the client (steps); its output in $T/out, the final reply
# codes in $codes, the seconds it took in $took
cl() {	# step...
	local a t0
	t0=$(ms)
	"$PY" "$CLIENT" "$port" "$@" >"$T/out" 2>>"$T/stderr"
	took=$((($(ms) - t0) / 1000))
	{
		printf '$ client'
		for a in "$@"; do
			printf ' %s' "${a:0:80}"
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

# want_closed_before - the server closed the last session, and the
# client took less than n seconds in all
want_closed_before() {	# n
	[ "$(tail -n 1 "$T/out")" = "#closed" ] ||
	    err "the connection was not closed"
	[ "$took" -lt "$1" ] ||
	    err "the client took $took s (smtp_timeout is 2 s, the" \
	    "session timeout $SESSION s)"
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

# want_sink - exactly n messages reached the sink since the last reset
want_sink() {	# n
	local n
	n=$(sink_files | wc -l)
	[ "$n" -eq "$1" ] || err "$n message(s) reached the sink, expected $1"
}

# want_spool_clean - no work directory is left in the spool, nor a run
# directory in use in its .runs (a session that was cut may take a
# moment to clean up)
want_spool_clean() {
	local left _
	if [ ! -d "$T/run/spool/.runs" ]; then
		err "the spool has no .runs"
		return
	fi
	for _ in $(seq 50); do
		left=$(find "$T/run/spool" -mindepth 1 -maxdepth 1 -type d \
		    ! -name quarantine ! -name .runs 2>/dev/null
		    runs_busy "$T/run/spool/.runs")
		[ -z "$left" ] && return
		sleep 0.1
	done
	err "work or run directory left: $left"
}

# want_log - sluiced logged a line matching the extended regex
want_log() {	# regex
	local _
	for _ in $(seq 30); do
		grep -qE "$1" "$T/sluiced.log" && return
		sleep 0.1
	done
	err "no log line matching: $1"
}

# lines - n lines of 78 times the letter, each with CR LF
lines() {	# letter n
	"$PY" -c 'import sys
sys.stdout.buffer.write((sys.argv[1].encode() * 78 + b"\r\n") *
    int(sys.argv[2]))' "$1" "$2"
}

env='s:EHLO client.test\r\nMAIL FROM:<alice@a.test>\r\nRCPT TO:<bob@b.test>\r\nDATA\r\n'
# 60 bytes: one a second is a minute, twice the bound the tests allow
trickle='slow:0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV'

begin "a message sent one byte a second gets 421 4.4.2 within seconds"
rm -f "$T"/sink/*
cl w:220 "$env" w:354 's:Subject: slow\r\n\r\n' "$trickle" e:5
want_codes "220 250 250 250 354 421"
grep -aq '^421 4\.4\.2 filter\.test Error: timeout exceeded' "$T/out" ||
    err "no \"421 4.4.2 filter.test Error: timeout exceeded\""
want_closed_before "$CUT"
want_sink 0
want_spool_clean
want_log 'slower than smtp_min_data_rate'
end

begin "data that comes fast and then a byte a second is cut as well"
rm -f "$T"/sink/*
lines x 50 >"$T/4k"
cl w:220 "$env" w:354 's:Subject: slow after a start\r\n\r\n' "f:$T/4k" \
    "$trickle" e:5
want_codes "220 250 250 250 354 421"
want_closed_before "$CUT"
want_sink 0
want_spool_clean
end

begin "a command line sent one byte a second gets 421 4.4.2 within seconds"
cl w:220 's:EHLO client.test\r\n' w:250 \
    'slow:MAIL FROM:<alice@a.test> and a few more words to make it long\r\n' \
    e:5
want_codes "220 250 421"
grep -aq '^421 4\.4\.2 ' "$T/out" || err "no 421 4.4.2"
want_closed_before "$CUT"
want_log 'timeout waiting for a command'
end

begin "a first command line sent one byte a second is cut as well"
cl w:220 "$trickle" e:5
want_codes "220 421"
want_closed_before "$CUT"
end

begin "a big message at full speed arrives"
rm -f "$T"/sink/*
# 8 MB of 78-character lines
{
	printf 'Subject: big\r\n\r\n'
	lines y $((8 * 1024 * 1024 / 80))
	printf '.\r\n'
} >"$T/big"
cl w:220 "$env" w:354 "f:$T/big" w:250 's:QUIT\r\n' w:221
want_codes "220 250 250 250 354 250 221"
want_sink 1
f=$(sink_files | head -1)
if [ -n "$f" ]; then
	n=$(grep -ac '^y\{78\}' "$f")
	[ "$n" -eq $((8 * 1024 * 1024 / 80)) ] ||
	    err "the sink got $n body lines of $((8 * 1024 * 1024 / 80))"
fi
want_spool_clean
end

begin "chunks a second apart, longer than smtp_timeout in all, arrive"
rm -f "$T"/sink/*
lines z 200 >"$T/16k"
steps=(w:220 "$env" w:354 's:Subject: chunks\r\n\r\n')
for _ in 1 2 3 4 5 6; do
	steps+=("f:$T/16k" p:1)
done
steps+=('s:.\r\n' w:250 's:QUIT\r\n' w:221)
cl "${steps[@]}"
want_codes "220 250 250 250 354 250 221"
[ "$took" -ge 4 ] || err "the chunks took $took s, not longer than" \
    "smtp_timeout: the test proves nothing"
want_sink 1
want_spool_clean
end

tap_done
