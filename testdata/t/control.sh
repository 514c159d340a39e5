#!/bin/bash
# control.sh - sluicectl against a running sluiced: the control socket
#
# The socket file gets control_owner, control_group and control_mode;
# status and filters show what the daemon does (as tables and as JSON
# that a JSON parser takes); disable and enable take effect on the next
# message; a filter switched off by its errors shows when it comes back,
# and reset brings it back at once; a member of control_group may look
# but not change, anybody else is refused by the daemon even when the
# socket's mode lets them connect; malformed, oversized and unfinished
# requests get an error answer and the daemon goes on; clients that
# connect and send nothing hold neither the mail nor, after their
# timeout, the socket; sluicectl metrics is Prometheus text that
# prometheus_client parses, with counters that match the messages sent.
# Prints TAP.  Needs root, miltertest and python3.  Run by
# testdata/run-tests.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
SLUICED=${SLUICED:-$top/build/sluiced}
SLUICECTL=${SLUICECTL:-$top/build/sluicectl}

T=$(mktemp -d /tmp/sluice-control.XXXXXX) || exit 1
mkdir -p "$T/bin" "$T/run"
chmod 755 "$T" "$T/bin"
TAP_RESET=1
. "$(dirname "$0")/tap.bash"
. "$(dirname "$0")/postfix.bash"	# free_port, pf_wait_port
. "$(dirname "$0")/control.bash"	# ctl, jq_
. "$(dirname "$0")/milter.bash"	# mt_probe

[ "$(id -u)" -eq 0 ] || skip_all "needs root"
command -v miltertest >/dev/null || skip_all "miltertest is not installed"
unpriv || skip_all "$UNPRIV_WHY"
group=sluicectl-test
getent group "$group" >/dev/null || groupadd --system "$group" ||
    skip_all "cannot make group $group"
ggid=$(getent group "$group" | cut -d: -f3)
uid=$(id -u "$UNPRIV_USER")
ugid=$(id -g "$UNPRIV_USER")
# the unprivileged user, in the control group and not
MEMBER=(setpriv --reuid="$uid" --regid="$ugid" --groups="$ggid" --)
OTHER=(setpriv --reuid="$uid" --regid="$ugid" --clear-groups --)

master=
cleanup() {
	[ -n "$master" ] && stop_pid "$master"
	[ "${KEEP:-0}" = 1 ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

port=$(free_port) || exit 1
sock=$T/run/control.sock
filter tag.sh <<'EOF'
echo "add-header X-Tag: yes" >"$SLUICE_RESULT"
EOF
# fails while @T@/fail exists
filter flaky.sh <<'EOF'
[ -e @T@/fail ] && exit 9
echo "add-header X-Flaky: ran" >"$SLUICE_RESULT"
EOF
touch "$T/fail"
cat >"$T/sluice.conf" <<EOF
run_dir = "$T/run";
spool_dir = "$T/run/spool";
include_dir = "$T";
filter_dir = "$T/bin";
milter_listen = [ "inet:127.0.0.1:$port" ];
control_owner = "$UNPRIV_USER";
control_group = "$group";
control_mode = "0666";
filters = (
	{ name = "tag"; command = "tag.sh"; instances = 3; when_off = "skip"; },
	{ name = "flaky"; command = "flaky.sh"; error_threshold = 2;
	  error_cooldown = 600; on_error = "skip"; when_off = "skip"; }
);
rules = ( { filter = "tag"; }, { filter = "flaky"; } );
EOF

# raw - send the bytes of printf FORMAT and print the answer
raw() {	# printf-format [close-after-send: 1]
	/usr/bin/python3 - "$sock" "$1" "${2:-0}" <<-'EOF'
	import socket, sys
	s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	s.settimeout(20)
	s.connect(sys.argv[1])
	data = sys.argv[2].encode().decode('unicode_escape').encode('latin-1')
	s.sendall(data)
	if sys.argv[3] == "1":
	    s.shutdown(socket.SHUT_WR)
	out = b""
	while True:
	    b = s.recv(65536)
	    if not b:
	        break
	    out += b
	sys.stdout.write(out.decode('utf-8', 'replace'))
	EOF
}

probe() {	# header value
	mt_probe "inet:$port@127.0.0.1" "$1" "$2"
}

"$SLUICED" -f -c "$T/sluice.conf" >"$T/log" 2>&1 &
master=$!
pf_wait_port "$port" 10 || fail "sluiced did not start" "$(cat "$T/log")"

begin "the control socket gets control_owner, control_group and control_mode"
[ -S "$sock" ] || err "no socket $sock"
got=$(stat -c '%U %G %a' "$sock")
[ "$got" = "$UNPRIV_USER $group 666" ] || err "socket is $got"
end

begin "status: version, config, front end, totals; --json is JSON"
ctl status
want_rc 0
grep -q '^sluiced [0-9]' "$T/out" || err "no version line"
grep -q "^config *$T/sluice.conf" "$T/out" || err "no config line"
grep -q "milter .*inet:127.0.0.1:$port" "$T/out" || err "no milter line"
ctl status --json
want_rc 0
[ "$(jq_ 'j["ok"]')" = True ] || err "not ok"
[ "$(jq_ 'j["master_pid"]')" = "$master" ] || err "master_pid"
[ "$(jq_ 'j["config"]')" = "$T/sluice.conf" ] || err "config"
[ "$(jq_ 'j["front_ends"][0]["name"]')" = milter ] || err "front end"
end

begin "filters: runs and verdicts of each filter after a message"
probe X-Tag yes || err "no X-Tag header"
ctl filters --json
want_rc 0
[ "$(jq_ '[f["name"] for f in j["filters"]]')" = "['tag', 'flaky']" ] ||
    err "filters: $(cat "$T/out")"
[ "$(jq_ 'j["filters"][0]["runs"]')" = 1 ] || err "tag runs"
[ "$(jq_ 'j["filters"][0]["verdicts"]["continue"]')" = 1 ] ||
    err "tag verdicts"
[ "$(jq_ 'j["filters"][0]["instances"]["max"]')" = 3 ] || err "max"
[ "$(jq_ 'j["filters"][1]["errors"]["exit"]')" = 1 ] ||
    err "flaky's error is not counted as an unmapped exit"
[ "$(jq_ 'j["filters"][1]["state"]')" = on ] || err "flaky state"
[ "$(jq_ 'j["filters"][0]["run_ms"]["p99"] > 0')" = True ] || err "p99"
ctl filters tag
want_rc 0
grep -q '^FILTER *STATE *RUNS *BUSY/MAX *WAIT *P50 *P95 *P99' "$T/out" ||
    err "no table head"
grep -q '^tag *on *1 *0/3 *0 ' "$T/out" || err "no line for tag"
grep -q 'verdicts *continue 1' "$T/out" || err "no verdicts line"
end

begin "a filter switched off by its errors shows until when; reset brings it back"
probe X-Tag yes || err "second message"
ctl filters --json
now=$(date +%s)
[ "$(jq_ 'j["filters"][1]["state"]')" = off ] || err "flaky not off"
until=$(jq_ 'j["filters"][1]["off_until"]')
[ "$until" -ge $((now + 590)) ] && [ "$until" -le $((now + 601)) ] ||
    err "off_until $until, now $now"
ctl filters flaky
grep -q '^flaky *off until [0-9:]* ' "$T/out" || err "table: $(cat "$T/out")"
grep -q 'errors *exit 2' "$T/out" || err "errors line"
# while off it does not run
rm -f "$T/fail"
probe X-Flaky ran && err "a switched-off filter ran"
ctl reset flaky
want_rc 0
grep -q '^flaky *on ' "$T/out" || err "reset answer: $(cat "$T/out")"
probe X-Flaky ran || err "the filter did not run after reset"
grep -q 'control: filter=flaky breaker reset by the operator' "$T/log" ||
    err "no log line"
end

begin "disable and enable take effect on the next message"
ctl disable tag
want_rc 0
grep -q '^tag *disabled ' "$T/out" || err "answer: $(cat "$T/out")"
probe X-Tag yes && err "a disabled filter ran"
probe X-Flaky ran || err "the other filter stopped too"
ctl filters --json
[ "$(jq_ 'j["filters"][0]["state"]')" = disabled ] || err "state"
[ "$(jq_ 'j["filters"][0]["skipped"]')" = 2 ] || err "skipped"
ctl enable tag
want_rc 0
probe X-Tag yes || err "not running again after enable"
ctl disable nosuch
want_rc 1
grep -q 'no filter "nosuch" in the running configuration' "$T/err" ||
    err "unknown filter: $(cat "$T/err")"
end

begin "a control_group member may look, not change; others are refused"
"${MEMBER[@]}" "$SLUICECTL" filters -s "$sock" >"$T/out" 2>"$T/err"
rc=$?
want_rc 0
grep -q '^tag ' "$T/out" || err "member cannot list"
"${MEMBER[@]}" "$SLUICECTL" disable tag -s "$sock" >"$T/out" 2>"$T/err"
rc=$?
want_rc 1
grep -q 'permission denied: .* may only look' "$T/err" ||
    err "member: $(cat "$T/err")"
"${OTHER[@]}" "$SLUICECTL" status -s "$sock" >"$T/out" 2>"$T/err"
rc=$?
want_rc 1
grep -q "permission denied: uid $uid .* is not root" "$T/err" ||
    err "other: $(cat "$T/err")"
"$SLUICECTL" filters -s "$sock" --json >"$T/out"
[ "$(jq_ 'j["filters"][0]["state"]')" = on ] || err "the member changed it"
grep -q "control: uid $uid pid [0-9]* refused: disable needs root" \
    "$T/log" || err "no log line for the refusal"
end

begin "malformed, oversized and unfinished requests get an error answer"
check_raw() {	# what format close pattern
	got=$(raw "$2" "$3")
	printf '%s: %s\n' "$1" "$got" >>"$T/trace"
	case $got in
	*'"ok":false'*"$4"*) ;;
	*) err "$1: $got" ;;
	esac
}
check_raw "CR" 'status\r\n' 0 'byte 0x0d at byte 6'
check_raw "NUL" 'sta\x00tus\n' 0 'byte 0x00 at byte 3'
check_raw "8-bit" 'disable \xe9t\xe9\n' 0 'byte 0xe9 at byte 8'
check_raw "two spaces" 'disable  tag\n' 0 'an empty word at byte 8'
check_raw "bad escape" 'disable %zz\n' 0 'a bad escape'
check_raw "%00" 'disable a%00\n' 0 '%00'
check_raw "unknown" 'frobnicate\n' 0 'unknown command'
check_raw "extra word" 'status now\n' 0 'usage: status'
check_raw "no newline" 'status' 1 'no newline at its end'
check_raw "empty" '' 1 'no request'
check_raw "oversized" "$(head -c 5000 /dev/zero | tr '\0' a)\\n" 0 \
    'no newline within 4096 bytes'
ctl status
want_rc 0
end

begin "clients that send nothing hold neither the mail nor the socket for long"
/usr/bin/python3 - "$sock" >"$T/idle.out" 2>&1 <<-'EOF' &
import socket, sys, time
held = []
for i in range(12):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    held.append(s)
time.sleep(12)
EOF
idle=$!
sleep 1
probe X-Tag yes || err "the mail waited for the control clients"
ctl status
[ "$rc" -eq 0 ] || grep -q 'busy' "$T/err" || err "status: $(cat "$T/err")"
# their 5 s are over: the socket answers again, idle clients or not
sleep 6
ctl status
want_rc 0
kill "$idle" 2>/dev/null
wait "$idle" 2>/dev/null
end

begin "metrics: Prometheus text that prometheus_client parses, matching the messages"
ctl metrics
want_rc 0
/usr/bin/python3 - "$T/out" >"$T/m.out" 2>&1 <<-'EOF'
import sys
from prometheus_client.parser import text_string_to_metric_families
fams = {f.name: f for f in text_string_to_metric_families(open(sys.argv[1]).read())}
def val(name, **labels):
    for f in fams.values():
        for s in f.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    raise SystemExit("no sample %s %s" % (name, labels))
print(int(val("sluice_messages_total", verdict="accept")))
print(int(val("sluice_filter_runs_total", filter="tag")))
print(int(val("sluice_filter_run_seconds_count", filter="tag")))
print(int(val("sluice_filter_run_seconds_bucket", filter="tag", le="+Inf")))
print(int(val("sluice_filter_errors_total", filter="flaky", kind="exit")))
print(int(val("sluice_filter_not_run_total", filter="tag", reason="off")))
print(fams["sluice_filter_run_seconds"].type)
EOF
[ $? -eq 0 ] || err "parse: $(cat "$T/m.out")"
ctl filters --json
runs=$(jq_ 'j["filters"][0]["runs"]')
ctl status --json
acc=$(jq_ 'j["messages"]["accept"]')
printf '%s\n' "$acc" "$runs" "$runs" "$runs" 2 2 histogram >"$T/m.want"
diff "$T/m.want" "$T/m.out" >/dev/null ||
    err "metrics: $(paste "$T/m.want" "$T/m.out")"
[ "$acc" -ge 7 ] || err "only $acc messages accepted"
end

begin "with no socket to talk to, sluicectl says so and exits 69"
"$SLUICECTL" status -s "$T/nothing.sock" >"$T/out" 2>"$T/err"
rc=$?
want_rc 69
grep -q 'is sluiced running' "$T/err" || err "$(cat "$T/err")"
end

stop_pid "$master"
master=
begin "the socket file is removed at stop"
[ -e "$sock" ] && err "still there"
end

tap_done
