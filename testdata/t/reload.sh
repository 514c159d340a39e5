#!/bin/bash
# reload.sh - hot reload through a real Postfix: state kept, nothing lost
#
# sluiced is the milter of a private Postfix that relays to smtp-sink.
# The rule fragment inc/hdr.conf runs "hdr.sh A" or "hdr.sh B", which
# adds X-Config: A or B.  While smtp-source sends a few hundred
# messages, the fragment is switched and the daemon reloaded 20 times
# (sluicectl reload and SIGHUP in turn): every delivered message carries
# exactly one X-Config, none is lost or deferred, the agent is the same
# process throughout.  A filter that its error switched off stays off
# across a reload with the same deadline, and sluicectl reset brings it
# back.  A broken config (bad regex, missing program, unknown key) is
# refused with its file:line in sluicectl's errors and in status, and
# the old config goes on; with watch_config the same happens when a
# file is written, and a good edit is taken by itself.  A change that
# takes a restart is refused as such.
# Prints TAP.  Needs root, Postfix, smtp-source and swaks.  Run by
# testdata/run-tests.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
SLUICED=${SLUICED:-$top/build/sluiced}
SLUICECTL=${SLUICECTL:-$top/build/sluicectl}

T=$(mktemp -d /tmp/sluice-reload.XXXXXX) || exit 1
mkdir -p "$T/bin" "$T/inc" "$T/run"
chmod 755 "$T" "$T/bin" "$T/inc"
TAP_RESET=1
. "$(dirname "$0")/tap.bash"
. "$(dirname "$0")/postfix.bash"
. "$(dirname "$0")/control.bash"	# ctl, jq_

[ "$(id -u)" -eq 0 ] || skip_all "needs root"
command -v smtp-source >/dev/null || skip_all "smtp-source is not installed"

spid=
cleanup() {
	[ -n "$spid" ] && stop_pid "$spid"
	pf_cleanup
	[ "${KEEP:-0}" = 1 ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

mport=$(free_port) || exit 1
sock=$T/run/control.sock
filter hdr.sh <<'EOF'
echo "add-header X-Config: $1" >"$SLUICE_RESULT"
EOF
filter flaky.sh <<'EOF'
[ -e @T@/fail ] && exit 9
echo "add-header X-Flaky: ran" >"$SLUICE_RESULT"
EOF

# main - the main file; $1 is watch_config
main() {	# true|false [milter port]
	cat >"$T/sluice.conf.new" <<-EOF
	run_dir = "$T/run";
	spool_dir = "$T/run/spool";
	include_dir = "$T/inc";
	filter_dir = "$T/bin";
	watch_config = $1;
	milter_listen = [ "inet:127.0.0.1:${2:-$mport}" ];
	filters = ( { name = "flaky"; command = "flaky.sh"; error_threshold = 1;
	    error_cooldown = 600; on_error = "skip"; when_off = "skip"; } );
	rules = ( { name = "flaky"; filter = "flaky"; subject = "/^flaky/"; } );
	EOF
	mv "$T/sluice.conf.new" "$T/sluice.conf"
}

# frag - the fragment that adds X-Config: $1 (written, then renamed)
frag() {	# A|B
	cat >"$T/inc/.hdr.tmp" <<-EOF
	filters = ( { name = "hdr"; command = "hdr.sh $1"; } );
	rules = ( { name = "hdr"; filter = "hdr"; } );
	EOF
	mv "$T/inc/.hdr.tmp" "$T/inc/hdr.conf"
}

# deliver - one message through Postfix with this subject; the sink
# file it arrived in goes to stdout
deliver() {	# subject
	local f
	pf_send --header "Subject: $1" --body "body of $1" >>"$T/trace" 2>&1 ||
	    return 1
	pf_wait_idle 60 >/dev/null 2>&1
	for f in $(sink_files); do
		grep -q "^Subject: $1\$" "$f" && { echo "$f"; return 0; }
	done
	return 1
}

# reloads - the "master: reloaded" lines so far
reloads() {
	grep -c 'master: reloaded' "$T/sluiced.log"
}

# wait_reloads - until there are more than $1 (10 s)
wait_reloads() {	# count
	local i
	for i in $(seq 100); do
		[ "$(reloads)" -gt "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

main false
frag A
PF_MILTER=inet:127.0.0.1:$mport
if ! pf_init "$T/pf" || ! SINK_DUMP=1 sink_start || ! pf_start; then
	echo "Bail out! cannot start Postfix or smtp-sink"
	exit 1
fi
"$SLUICED" -f -c "$T/sluice.conf" >"$T/sluiced.log" 2>&1 &
spid=$!
if ! pf_wait_port "$mport" 10; then
	echo "Bail out! sluiced did not start"
	cat "$T/sluiced.log"
	exit 1
fi
agent=$(pgrep -P "$spid" -x sluice-agent | head -1)

begin "20 reloads under load: each message has one X-Config, none lost or deferred"
: >"$T/source.out"
loaders=()
for w in 1 2 3 4; do
	for b in 1 2 3 4 5; do
		smtp-source -s 1 -m 12 -l 2048 -M "w$w-b$b.load.test" \
		    -f sender@example.org -t rcpt@example.net \
		    "127.0.0.1:$PF_PORT" >>"$T/source.out" 2>&1
	done &
	loaders+=($!)
done
n0=$(reloads)
for i in $(seq 20); do
	if [ $((i % 2)) -eq 1 ]; then frag B; else frag A; fi
	n=$(reloads)
	if [ $((i % 4)) -lt 2 ]; then
		ctl reload
		[ "$rc" -eq 0 ] || err "reload $i: $(cat "$T/err")"
	else
		kill -HUP "$spid"
		wait_reloads "$n" || err "reload $i by SIGHUP not done"
	fi
	sleep 0.2
done
wait "${loaders[@]}"
pf_wait_idle 120 || err "the Postfix queue did not drain"
[ $(($(reloads) - n0)) -eq 20 ] || err "$(($(reloads) - n0)) reloads, not 20"
sent=240
got=$(sink_count)
[ "$got" -eq "$sent" ] || err "$got of $sent messages delivered"
bad=0 a=0 b=0
for f in $(sink_files); do
	c=$(grep -c '^X-Config: ' "$f")
	if [ "$c" -ne 1 ]; then
		bad=$((bad + 1))
	elif grep -q '^X-Config: A$' "$f"; then
		a=$((a + 1))
	elif grep -q '^X-Config: B$' "$f"; then
		b=$((b + 1))
	else
		bad=$((bad + 1))
	fi
done
[ "$bad" -eq 0 ] || err "$bad messages without exactly one X-Config"
[ "$a" -gt 0 ] && [ "$b" -gt 0 ] || err "A $a, B $b: not both configs served"
grep -q 'status=deferred' "$T/pf/maillog" && err "messages were deferred"
grep -q 'milter-reject' "$T/pf/maillog" && err "messages were refused"
grep -qi 'error\|smtp-source: .*4[0-9][0-9]' "$T/source.out" &&
    err "smtp-source: $(head -3 "$T/source.out")"
[ "$(pgrep -P "$spid" -x sluice-agent | head -1)" = "$agent" ] ||
    err "the agent was restarted"
end

begin "a filter switched off stays off across a reload, same deadline; reset brings it back"
touch "$T/fail"
deliver flaky >/dev/null || err "the failing filter's message was not delivered"
ctl filters flaky --json
[ "$(jq_ 'j["filters"][0]["state"]')" = off ] || err "not off: $(cat "$T/out")"
until1=$(jq_ 'j["filters"][0]["off_until"]')
rm -f "$T/fail"
frag B
ctl reload
want_rc 0
grep -q 'kept their state' "$T/out" || err "reload: $(cat "$T/out")"
ctl filters flaky --json
[ "$(jq_ 'j["filters"][0]["state"]')" = off ] || err "on after the reload"
[ "$(jq_ 'j["filters"][0]["off_until"]')" = "$until1" ] ||
    err "deadline $until1 became $(jq_ 'j["filters"][0]["off_until"]')"
[ "$(jq_ 'j["filters"][0]["errors"]["exit"]')" = 1 ] || err "counts lost"
f=$(deliver flaky2) || err "not delivered"
grep -q '^X-Flaky:' "$f" 2>/dev/null && err "the switched-off filter ran"
ctl reset flaky
want_rc 0
f=$(deliver flaky3) || err "not delivered"
grep -q '^X-Flaky: ran' "$f" 2>/dev/null || err "the filter did not run after reset"
end

# broken - a fragment bad.conf with $1; the reload must be refused with
# pattern $2, in sluicectl's errors and in status, and B still served
broken() {	# text pattern
	printf '%s\n' "$1" >"$T/inc/bad.conf"
	ctl reload
	want_rc 1
	grep -q "$T/inc/bad.conf:[0-9]*: .*$2" "$T/err" ||
	    err "sluicectl reload: $(cat "$T/err")"
	ctl status
	grep -q "^last reload .*refused" "$T/out" || err "status: no refusal"
	grep -q "$T/inc/bad.conf:[0-9]*: .*$2" "$T/out" ||
	    err "status: $(cat "$T/out")"
	f=$(deliver "still-$3") || err "not delivered"
	grep -q '^X-Config: B$' "$f" 2>/dev/null || err "the old config is not serving"
	rm -f "$T/inc/bad.conf"
}

begin "a bad regex on reload: refused with file:line, the old config serves"
broken 'rules = ( { name = "re"; filter = "hdr"; subject = "/[unclosed/"; } );' \
    'subject' re
end

begin "a missing program on reload: refused with file:line"
broken 'filters = ( { name = "gone"; command = "no-such-program.sh"; } );' \
    'no-such-program.sh' prog
end

begin "an unknown key on reload: refused with file:line"
broken 'frobnicate = 1;' 'frobnicate' key
end

begin "a change that takes a restart is refused as such"
main false "$(free_port)"
ctl reload
want_rc 1
grep -q 'milter_listen changes only with a restart' "$T/err" ||
    err "$(cat "$T/err")"
main false
end

begin "watch_config: an edit is taken by itself; a broken one is refused and shown"
main true
ctl reload
want_rc 0
n=$(reloads)
frag A
wait_reloads "$n" || err "no reload after the edit"
f=$(deliver watched) || err "not delivered"
grep -q '^X-Config: A$' "$f" 2>/dev/null || err "the edit did not take"
ctl status --json
[ "$(jq_ 'j["last_reload"]["trigger"]')" = file ] || err "trigger"
echo 'rules = ( { name = "x"; filter = "nonesuch"; } );' >"$T/inc/bad.conf"
for _ in $(seq 50); do
	ctl status --json
	[ "$(jq_ 'j["last_reload"]["ok"]')" = False ] && break
	sleep 0.1
done
[ "$(jq_ 'j["last_reload"]["ok"]')" = False ] || err "no refusal in status"
jq_ 'j["last_reload"]["errors"][0]' | grep -q "$T/inc/bad.conf:1: .*nonesuch" ||
    err "errors: $(jq_ 'j["last_reload"]["errors"]')"
f=$(deliver watched2) || err "not delivered"
grep -q '^X-Config: A$' "$f" 2>/dev/null || err "the old config is not serving"
rm -f "$T/inc/bad.conf"
end

tap_done
