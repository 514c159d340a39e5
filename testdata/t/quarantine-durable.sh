#!/bin/bash
# quarantine-durable.sh - a quarantined message is on disk before its 250
#
# In content-filter mode a quarantine verdict answers 250: from then on
# the upstream MTA has forgotten the message and sluice alone holds it in
# <spool_dir>/quarantine.  So before the reply goes out, the message and
# envelope files must be synced, then their work directory, then the
# work directory renamed into the quarantine and the quarantine
# directory and its parent (the spool, which lost the entry) synced.
# sluiced runs under strace (one file a thread), a raw client sends one
# message that a filter quarantines, and the session thread's calls are
# checked for that order, each one done and successful before the write
# of the 250.  Prints TAP.  Needs root (sluiced drops to "nobody"),
# strace and /usr/bin/python3.  Run by testdata/run-tests, or by hand.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
SLUICED=${SLUICED:-$top/build/sluiced}
PY=/usr/bin/python3
CLIENT=$top/testdata/t/smtp_client.py

T=$(mktemp -d /tmp/sluice-qdurable.XXXXXX) || exit 1
chmod 755 "$T"
mkdir -p "$T/bin" "$T/inc" "$T/st"
TAP_RESET=1
. "$(dirname "$0")/tap.bash"
. "$(dirname "$0")/postfix.bash"	# free_port, pf_wait_port

[ "$(id -u)" -eq 0 ] || skip_all "needs root: sluiced drops to nobody"
command -v strace >/dev/null 2>&1 || skip_all "strace is not installed"
[ -x "$PY" ] || skip_all "no $PY"

spid=
cleanup() {
	local m
	if [ -n "$spid" ]; then
		# sluiced's master, then strace, which ends with its tracees
		m=$(pgrep -P "$spid" | head -1)
		[ -n "$m" ] && stop_pid "$m"
		stop_pid "$spid"
	fi
	wait 2>/dev/null
	[ "${KEEP:-0}" = 1 ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

port=$(free_port) || exit 1
dead=$(free_port) || exit 1	# the next hop; a quarantine never relays

filter hold <<'EOF'
echo "held for review"
exit 3
EOF
cat >"$T/sluice.conf" <<EOF
user = "nobody";
run_dir = "$T/run";
spool_dir = "$T/run/spool";
include_dir = "$T/inc";
filter_dir = "$T/bin";
milter_listen = [];
smtp_listen = ( { listen = "inet:127.0.0.1:$port";
    next_hop = "inet:127.0.0.1:$dead"; } );
smtp_hostname = "filter.test";
filters = ( { name = "hold"; command = "hold"; exit = { quarantine = 3; }; } );
rules = ( { name = "hold"; filter = "hold"; } );
EOF

# -ff: one file a thread, so no call is split by another thread's;
# -yy: descriptors with their paths, sockets with their addresses
strace -ff -tt -yy -s 256 -o "$T/st/trace" \
    -e trace=fsync,fdatasync,rename,renameat,renameat2,write,sendto,sendmsg,openat \
    "$SLUICED" -f -c "$T/sluice.conf" >"$T/sluiced.log" 2>&1 &
spid=$!
if ! pf_wait_port "$port" 30; then
	echo "Bail out! sluiced does not listen on $port"
	tail -n 5 "$T/sluiced.log" | sed 's/^/# /'
	exit 1
fi

begin "a quarantined message is answered 250 and kept"
"$PY" "$CLIENT" "$port" w:220 's:EHLO client.test\r\n' w:250 \
    's:MAIL FROM:<alice@a.test>\r\n' w:250 's:RCPT TO:<bob@b.test>\r\n' \
    w:250 's:DATA\r\n' w:354 \
    's:Subject: hold me\r\nMessage-Id: <hold-1@client.test>\r\n\r\nbody\r\n.\r\n' \
    w:250 's:QUIT\r\n' w:221 >"$T/trace" 2>>"$T/stderr"
grep -aq '^250 2\.0\.0 Ok: quarantined' "$T/trace" ||
    err "no \"250 2.0.0 Ok: quarantined\" reply"
q=$(find "$T/run/spool/quarantine" -mindepth 1 -maxdepth 1 -type d \
    2>/dev/null)
if [ "$(echo "$q" | grep -c .)" -ne 1 ]; then
	err "not one quarantine directory: '$q'"
else
	grep -q '^Message-Id: <hold-1@client.test>' "$q/message" ||
	    err "the quarantined message file lacks the message"
	grep -qx 'recipient bob@b.test' "$q/envelope" ||
	    err "the envelope file: $(cat "$q/envelope")"
fi
end

# order_check - the calls of the thread that wrote the 250, in order
order_check() {	# spool quarantine-dir port
	"$PY" - "$1" "$2" "$3" "$T"/st/trace.* <<'EOF'
import re, sys

spool, qdir, port = sys.argv[1], sys.argv[2], sys.argv[3]
call = re.compile(r'^\S+ (\w+)\((.*)\) += (-?\d+)')
reply = None
for path in sys.argv[4:]:
    lines = open(path, errors="replace").read().splitlines()
    for i, l in enumerate(lines):
        m = call.match(l)
        if m and m.group(1) in ("write", "sendto", "sendmsg") and \
                ("<TCP:[127.0.0.1:%s->" % port) in m.group(2) and \
                '"250 2.0.0 Ok: quarantined' in m.group(2):
            reply = (path, lines, i)
if reply is None:
    print("no write of the 250 on the client's socket in the trace")
    sys.exit(1)
path, lines, end = reply
done = {}	# what -> index of the first successful call
for i, l in enumerate(lines[:end]):
    m = call.match(l)
    if not m:
        continue
    name, args, rc = m.group(1), m.group(2), int(m.group(3))
    if name in ("fsync", "fdatasync") and rc == 0:
        fd = re.match(r'\d+<(.*)>$', args)
        p = fd.group(1) if fd else ""
        if re.fullmatch(re.escape(spool) + r'/[0-9A-F]{20}/message', p):
            done.setdefault("message", i)
        elif re.fullmatch(re.escape(spool) + r'/[0-9A-F]{20}/envelope', p):
            done.setdefault("envelope", i)
        elif re.fullmatch(re.escape(spool) + r'/[0-9A-F]{20}', p):
            done.setdefault("workdir", i)
        elif p == qdir:
            done["qdir"] = i
        elif p == spool:
            done["spool"] = i
    elif name.startswith("rename") and rc == 0 and \
            re.search(re.escape(qdir) + r'/[0-9A-F]{20}"', args):
        done.setdefault("rename", i)
names = ["message", "envelope", "workdir", "rename", "qdir", "spool"]
missing = [n for n in names if n not in done]
bad = []
if missing:
    bad.append("not done before the 250: " + ", ".join(missing))
order = [("message", "workdir"), ("envelope", "workdir"),
         ("workdir", "rename"), ("rename", "qdir"), ("rename", "spool")]
for a, b in order:
    if a in done and b in done and done[a] > done[b]:
        bad.append("%s synced after %s" % (a, b))
for b in bad:
    print(b)
if bad:
    print("calls of that thread before the 250:")
    for l in lines[:end + 1]:
        if re.search(r' (fsync|fdatasync|rename\w*)\(', l) or \
                "quarantined" in l:
            print("  " + l[:200])
sys.exit(1 if bad else 0)
EOF
}

begin "message, envelope, work directory, rename, quarantine and spool are synced before the 250"
if ! out=$(order_check "$T/run/spool" "$T/run/spool/quarantine" \
    "$port" 2>&1); then
	err "$out"
fi
end

begin "the log names the quarantine"
grep -q 'quarantined in .*/quarantine/' "$T/sluiced.log" ||
    err "no \"quarantined in\" log line" "$(tail -n 5 "$T/sluiced.log")"
end

tap_done
