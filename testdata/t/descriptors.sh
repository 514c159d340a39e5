#!/bin/bash
# descriptors.sh - the agent out of file descriptors: no spin, a clear
# answer, and service again once descriptors are back
#
# One sluiced with a milter socket and an SMTP content-filter socket
# (next hop smtp-sink, a filter that adds a header).  The agent's soft
# RLIMIT_NOFILE is lowered from outside with prlimit (as the agent's own
# user: root here lacks CAP_SYS_RESOURCE, and the hard limit is left as
# it is so that the soft one can be raised again).  Then:
#  - a few free descriptor numbers left: SMTP clients are taken until
#    one is not; that one gets a 421 at once, a message on a session
#    taken before is tempfailed (never taken), a milter client is closed
#    at once (the MTA then applies milter_default_action), and the
#    agent's CPU time stays low while it is out;
#  - no descriptor number left at all (the limit below the lowest one a
#    spare could free): a new SMTP client and a new milter client wait in
#    the backlog, the CPU time stays low, and the SMTP client gets its
#    220 once the limit is raised again;
#  - afterwards a message passes through each front end; with no thread
#    to be had (RLIMIT_NPROC), clients get 421 4.3.2 and the agent keeps
#    no descriptor of theirs; the same agent serves throughout, the log
#    reports each front end's trouble once rather than once per failed
#    accept, and the daemon stops cleanly.
# The CPU bound is generous on purpose: an accept loop that spins on
# EMFILE takes a whole core (~100% of the window), an agent that waits
# takes next to nothing.
# Prints TAP.  Needs root, prlimit and setpriv (util-linux), smtp-sink
# (postfix), swaks, miltertest and /usr/bin/python3.  Run by
# testdata/run-tests, or by hand.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
SLUICED=${SLUICED:-$top/build/sluiced}
case $SLUICED in /*) ;; *) SLUICED=$PWD/$SLUICED ;; esac
PY=/usr/bin/python3
CPU_MAX=25		# percent of the window's wall time
WINDOW=3		# seconds of CPU time measured

. "$(dirname "$0")/tap.bash"
if [ "$(id -u)" -ne 0 ]; then
	skip_all "needs root (sluiced switches to user nobody)"
fi
for c in prlimit setpriv smtp-sink swaks miltertest "$PY"; do
	command -v "$c" >/dev/null || skip_all "$c is not installed"
done

T=$(mktemp -d /tmp/sluice-fd.XXXXXX) || exit 1
mkdir -p "$T/bin" "$T/inc" "$T/run" "$T/sink"
chmod 755 "$T" "$T/bin" "$T/inc"
chown postfix "$T/sink"
TAP_RESET=1
. "$(dirname "$0")/postfix.bash"	# free_port, pf_wait_port
. "$(dirname "$0")/milter.bash"	# mt_probe

master=
sinkpid=
holdpid=
waitpid=
cleanup() {
	local p
	for p in $holdpid $waitpid; do
		kill "$p" 2>/dev/null
	done
	[ -n "$master" ] && stop_pid "$master"
	[ -n "$sinkpid" ] && kill "$sinkpid" 2>/dev/null
	wait 2>/dev/null
	[ "${KEEP:-0}" = 1 ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

mport=$(free_port) || exit 1
sport=$(free_port) || exit 1
sinkport=$(free_port) || exit 1

filter tag.sh <<'EOF'
echo "add-header X-Descriptors: served" >"$SLUICE_RESULT"
EOF
cat >"$T/sluice.conf" <<EOF
user = "nobody";
run_dir = "$T/run";
spool_dir = "$T/run/spool";
include_dir = "$T/inc";
filter_dir = "$T/bin";
milter_listen = [ "inet:127.0.0.1:$mport" ];
smtp_listen = ( { listen = "inet:127.0.0.1:$sport";
    next_hop = "inet:127.0.0.1:$sinkport"; } );
smtp_hostname = "filter.test";
filters = ( { name = "tag"; command = "tag.sh"; } );
rules = ( { name = "all"; filter = "tag"; } );
EOF

# hold.py smtp PORT OUT [GO RESULT]: open SMTP connections one after
# the other and keep each one that is greeted with 220; at the first one
# that is not, write "served N" and what that one got (its first line,
# "#closed" or "#timeout" after 5 s) to OUT, and hold everything open
# until killed.  With GO and RESULT: once the file GO exists, send a
# message on the first connection and write its replies to RESULT.
# hold.py greet PORT - N: N connections one after the other, each
# closed after its first line, which is printed.
# hold.py wait PORT OUT: one connection; "smtp" in the name's place waits
# up to 60 s for a greeting, "milter" up to 5 s for the agent to close
# it (libmilter never speaks first); what came is written to OUT.
cat >"$T/hold.py" <<'EOF'
import os, re, socket, sys, time

def first(s, timeout):
    s.settimeout(timeout)
    t0 = time.monotonic()
    try:
        data = s.recv(512)
    except socket.timeout:
        return "#timeout", time.monotonic() - t0
    if not data:
        return "#closed", time.monotonic() - t0
    return data.decode("ascii", "replace").splitlines()[0], \
        time.monotonic() - t0

def out(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text + "\n")
    os.rename(path + ".tmp", path)

mode, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
held = []
if mode == "smtp":
    while len(held) < 200:
        s = socket.create_connection(("127.0.0.1", port))
        held.append(s)
        line, _ = first(s, 5)
        if not line.startswith("220 "):
            break
    out(path, "served %d\n%s" % (len(held) - 1, line))
    if len(sys.argv) > 5:
        # a transaction on the first connection, once told to
        while not os.path.exists(sys.argv[4]):
            time.sleep(0.1)
        s = held[0]
        s.settimeout(60)
        s.sendall(b"EHLO client.test\r\nMAIL FROM:<a@example.org>\r\n"
                  b"RCPT TO:<b@example.net>\r\nDATA\r\n")
        got = b""
        while got.count(b"\r\n") < 20 and not re.search(
                rb"(^|\n)(354|[45]\d\d) [^\n]*\n$", got):
            data = s.recv(4096)
            if not data:
                break
            got += data
        if b"\n354 " in got or got.startswith(b"354 "):
            s.sendall(b"Subject: in flight\r\n\r\nbody\r\n.\r\n")
            last = b""
            while not re.search(rb"\d\d\d [^\n]*\n$", last):
                data = s.recv(4096)
                if not data:
                    break
                last += data
            got += last
        out(sys.argv[5], got.decode("ascii", "replace"))
elif mode == "greet":
    for i in range(int(sys.argv[4])):
        s = socket.create_connection(("127.0.0.1", port))
        line, _ = first(s, 5)
        s.close()
        print(line)
    sys.exit(0)
else:
    s = socket.create_connection(("127.0.0.1", port))
    held.append(s)
    line, took = first(s, 60 if mode == "wait-smtp" else 5)
    out(path, "%s\n%.1f" % (line, took))
time.sleep(3600)
EOF

# agent - the pid of the master's sluice-agent
agent() {
	pgrep -P "$master" -x sluice-agent | head -1
}

# nofile - set the agent's soft descriptor limit, as the agent's user
nofile() {	# limit
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    prlimit --pid "$a" --nofile="$1": 2>>"$T/stderr" ||
	    err "prlimit --nofile=$1: failed"
}

# tight - the soft limit that leaves exactly n descriptor numbers free
# below it in the agent
tight() {	# n
	local used=" " f i=0 free=0
	for f in /proc/"$a"/fd/*; do
		used="$used${f##*/} "
	done
	while [ "$free" -lt "$1" ]; do
		case "$used" in *" $i "*) ;; *) free=$((free + 1)) ;; esac
		i=$((i + 1))
	done
	echo "$i"
}

# cpu_pct - the agent's CPU time (all threads, user + system) over
# WINDOW seconds, in percent of the wall time
cpu_pct() {
	local t0 t1 w0 w1 hz
	hz=$(getconf CLK_TCK)
	t0=$(sed 's/^.*) //' "/proc/$a/stat" | awk '{ print $12 + $13 }')
	w0=$(date +%s%N)
	sleep "$WINDOW"
	t1=$(sed 's/^.*) //' "/proc/$a/stat" | awk '{ print $12 + $13 }')
	w1=$(date +%s%N)
	echo $(( (t1 - t0) * 100 * 1000000000 / (hz * (w1 - w0)) ))
}

# want_cpu_low - the agent does not spin
want_cpu_low() {
	local p
	p=$(cpu_pct)
	echo "agent CPU: $p% of $WINDOW s" >>"$T/trace"
	[ "$p" -lt "$CPU_MAX" ] ||
	    err "the agent used $p% of a CPU over $WINDOW s" \
	    "(at most $CPU_MAX% expected: it spins)"
}

# wait_file - wait up to n seconds for a file to appear
wait_file() {	# file n
	local _
	for _ in $(seq $(($2 * 10))); do
		[ -s "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# probe - one message through the milter with miltertest; true when the
# filter's header comes back
probe() {
	mt_probe "inet:$mport@127.0.0.1" X-Descriptors served
}

# send - one message through the content filter with swaks; true when
# it was taken (250) and reached the sink with the filter's header
send() {
	local f
	rm -f "$T"/sink/*
	swaks --server "127.0.0.1:$sport" --helo client.test \
	    --from a@example.org --to b@example.net \
	    --header "Subject: descriptors" --body "body" \
	    >>"$T/trace" 2>&1 || return 1
	for _ in $(seq 50); do
		for f in "$T"/sink/*; do
			[ -f "$f" ] && grep -q '^X-Descriptors: served' "$f" &&
			    return 0
		done
		sleep 0.1
	done
	return 1
}

smtp-sink -u postfix -d "$T/sink/%M." "127.0.0.1:$sinkport" 100 \
    >"$T/sink.log" 2>&1 &
sinkpid=$!
"$SLUICED" -f -c "$T/sluice.conf" >"$T/log" 2>&1 </dev/null &
master=$!
for p in "$mport" "$sport" "$sinkport"; do
	if ! pf_wait_port "$p" 15; then
		echo "Bail out! nothing listens on port $p"
		tail -n 5 "$T/log" | sed 's/^/# /'
		exit 1
	fi
done
a=$(agent)
[ -n "$a" ] || { echo "Bail out! no sluice-agent"; exit 1; }
soft=$(awk '/^Max open files/ { print $4 }' "/proc/$a/limits")
nproc=$(awk '/^Max processes/ { print $3 }' "/proc/$a/limits")

begin "both front ends serve before the limit is lowered"
send || err "no 250 for a message through the content filter"
probe || err "no milter session"
end

begin "SMTP: out of descriptors, the next client gets a 421 at once"
nofile "$(tight 3)"
"$PY" "$T/hold.py" smtp "$sport" "$T/held" "$T/go" "$T/flight" \
    >>"$T/stderr" 2>&1 &
holdpid=$!
wait_file "$T/held" 30 || err "the holder did not finish"
echo "limit $(tight 3), $(cat "$T/held" 2>/dev/null)" >>"$T/trace"
grep -q '^served [1-9]' "$T/held" || err "no client was served at all"
grep -q '^421 4\.3\.2 ' "$T/held" ||
    err "the client beyond the limit got: $(tail -n 1 "$T/held")" \
    "(expected a 421 4.3.2)"
end

begin "SMTP: the agent does not spin while it is out of descriptors"
want_cpu_low
end

begin "a message in flight while out of descriptors is not taken"
rm -f "$T"/sink/*
: >"$T/go"
wait_file "$T/flight" 70 || err "the transaction did not finish"
cat "$T/flight" >>"$T/trace" 2>/dev/null
last=$(grep -aoE '^[0-9]{3} ' "$T/flight" | tail -n 1)
case $last in
4*) ;;
*) err "the last reply was \"$last\" (expected a 4xx)" ;;
esac
[ -n "$(ls "$T/sink")" ] && err "a message reached the next hop"
end

begin "milter: out of descriptors, a new connection is closed at once"
"$PY" "$T/hold.py" wait-milter "$mport" "$T/mclosed" >>"$T/stderr" 2>&1 &
mpid=$!
wait_file "$T/mclosed" 15 || err "the milter client did not finish"
head -n 1 "$T/mclosed" | grep -qx '#closed' ||
    err "the milter client got: $(head -n 1 "$T/mclosed")" \
    "(expected the connection closed)"
kill "$mpid" 2>/dev/null
end

begin "milter: the agent does not spin while it is out of descriptors"
want_cpu_low
end

begin "no descriptor left at all: waiting clients, and still no spin"
nofile 3	# 0, 1 and 2 are open: nothing at all can be had
"$PY" "$T/hold.py" wait-smtp "$sport" "$T/waited" >>"$T/stderr" 2>&1 &
waitpid=$!
"$PY" "$T/hold.py" wait-milter "$mport" "$T/mwaited" >>"$T/stderr" 2>&1 &
mpid=$!
sleep 1
want_cpu_low
[ -s "$T/waited" ] && err "the waiting SMTP client got: $(head -n 1 \
    "$T/waited") (nothing can have been accepted)"
end

begin "descriptors back: the waiting SMTP client gets its 220"
kill "$holdpid" 2>/dev/null
holdpid=
nofile "$soft"
wait_file "$T/waited" 15 || err "no greeting 15 s after the limit rose"
head -n 1 "$T/waited" | grep -q '^220 ' ||
    err "the waiting client got: $(head -n 1 "$T/waited")"
kill "$waitpid" "$mpid" 2>/dev/null
waitpid=
end

begin "descriptors back: a message passes through each front end"
send || err "no 250 for a message through the content filter"
probe || err "no milter session"
[ "$(agent)" = "$a" ] || err "the agent was replaced (was $a, now $(agent))"
end

begin "no thread for a connection: 421 4.3.2, and no descriptor kept"
nfd=$(ls "/proc/$a/fd" | wc -l)
# the agent's user has more than one task already: no thread can start
setpriv --reuid=nobody --regid=nogroup --clear-groups \
    prlimit --pid "$a" --nproc=1: 2>>"$T/stderr" || err "prlimit --nproc"
"$PY" "$T/hold.py" greet "$sport" - 3 >"$T/greet" 2>>"$T/stderr"
cat "$T/greet" >>"$T/trace"
[ "$(grep -c '^421 4\.3\.2 .*out of threads' "$T/greet")" -eq 3 ] ||
    err "not three 421 4.3.2 replies:" "$(cat "$T/greet")"
n=$(ls "/proc/$a/fd" | wc -l)
[ "$n" -le "$nfd" ] || err "the agent holds $n descriptors, $nfd before"
setpriv --reuid=nobody --regid=nogroup --clear-groups \
    prlimit --pid "$a" --nproc="$nproc": 2>>"$T/stderr" ||
    err "prlimit --nproc back"
send || err "no 250 for a message through the content filter afterwards"
end

begin "the log reports it once per front end, not once per failure"
for fe in smtp milter; do
	n=$(grep -c "sluiced: $fe: .*Too many open files" "$T/log")
	[ "$n" -ge 1 ] || err "$fe: the log does not say it ran out"
	[ "$n" -le 2 ] || err "$fe: $n log lines about it"
	grep -q "sluiced: $fe: accepting again" "$T/log" ||
	    err "$fe: the log does not say it recovered"
done
[ ${#terrs[@]} -eq 0 ] || err "log:" "$(grep -v 'master:' "$T/log" |
    tail -n 8)"
end

begin "SIGTERM stops it cleanly, with no sanitizer report"
kill "$master"
wait_gone "$master" || wait_gone "$master" || err "the master did not stop"
wait "$master"
rc=$?
want_rc 0
master=
if grep -qE 'Sanitizer|runtime error|agent (killed|exited with status [1-9])' \
    "$T/log"; then
	err "$(grep -E -A12 'Sanitizer|runtime error|agent (killed|exited)' \
	    "$T/log")"
fi
end

tap_done
