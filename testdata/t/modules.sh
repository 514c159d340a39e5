#!/bin/bash
# modules.sh - filter modules (sluice-modules(3)) from outside
#
# The two shipped samples (sample_header.so, sample_size.so) through
# "sluicectl try" and through a real, private Postfix's milter path; the
# refusals at config check ("sluiced -n" and sluicectl): an ABI
# mismatch, a missing symbol, a failing init, a world-writable .so, a
# missing file, unknown settings; a module's error under on_error; and
# modules loaded in the agent that crash, loop past their timeout or
# call exit(): the master starts a new agent, the message in flight is
# tempfailed by Postfix (milter_default_action), every message Postfix
# accepted is delivered, and the next message passes.  Last, the ABI
# header compiles as C and as C++ with warnings on.
# Prints TAP.  Needs root (Postfix).  Run by testdata/run-tests, or by
# hand.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
SLUICED=${SLUICED:-$top/build/sluiced}
SLUICECTL=${SLUICECTL:-$top/build/sluicectl}
B=${SLUICE_BUILD:-$top/build}
MODS=$B/filters
TMODS=$B/testdata/modules

T=$(mktemp -d /tmp/sluice-modules.XXXXXX) || exit 1
mkdir -p "$T/inc" "$T/run" "$T/spool" "$T/mods"
chmod 755 "$T" "$T/inc" "$T/mods"
export TMPDIR="$T/spool"
TAP_RESET=1
. "$(dirname "$0")/tap.bash"
. "$(dirname "$0")/postfix.bash"

for m in "$MODS/sample_header.so" "$MODS/sample_size.so" \
    "$TMODS/misbehave.so" "$TMODS/abi.so"; do
	[ -f "$m" ] || { echo "Bail out! $m is not built (make tests)"; exit 1; }
done

spid=
stop_sluiced() {
	[ -n "$spid" ] || return 0
	stop_pid "$spid"
	wait "$spid" 2>/dev/null
	spid=
}
cleanup() {
	stop_sluiced
	pf_cleanup 2>/dev/null
	[ "${KEEP:-0}" = 1 ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM
mport=$(free_port) || exit 1

# conf - a configuration in $T/$1 with the filters and rules given
conf() {	# file filters rules [more]
	cat >"$T/$1" <<-EOF
	user = "nobody";
	run_dir = "$T/run";
	spool_dir = "$T/run/spool";
	include_dir = "$T/inc";
	filter_dir = "$MODS";
	milter_listen = [ "inet:127.0.0.1:$mport" ];
	${4:-}
	filters = ( $2 );
	rules = ( $3 );
	EOF
}

# try - sluicectl try on a message; output in $T/out, status in rc
try() {	# conf message [options]
	local c=$1 msg=$2
	shift 2
	"$SLUICECTL" try -c "$T/$c" -f alice@example.org \
	    -r bob@example.net "$@" "$msg" >"$T/out" 2>"$T/stderr"
	rc=$?
	cat "$T/out" >>"$T/trace"
}

# want_out / want_err - a fixed string is in try's output / stderr
want_out() {	# string
	grep -qF -- "$1" "$T/out" || err "not in the output: $1"
}
want_err() {	# file string
	grep -qF -- "$2" "$1" || err "not in $(basename "$1"): $2"
}

printf 'Subject: small\nFrom: <alice@example.org>\n\nsmall body\n' \
    >"$T/small.eml"
{ printf 'Subject: big\nFrom: <alice@example.org>\n\n'
  head -c 6000 /dev/zero | tr '\0' 'x' | fold -w 70; echo; } >"$T/big.eml"

samples='{ name = "hdr"; module = "sample_header.so";
	    settings = { header = "X-Sample: added by the module"; }; },
	  { name = "size"; module = "sample_size.so";
	    settings = { max = "4K"; }; }'
conf samples.conf "$samples" \
    '{ filter = "hdr"; }, { filter = "size"; }'

begin "sluicectl try: sample_header adds its field to the message"
try samples.conf "$T/small.eml" -o "$T/small.out"
want_rc 0
want_out 'status: module returned continue'
want_out 'verdict: accept'
grep -qx 'X-Sample: added by the module' "$T/small.out" 2>/dev/null ||
    err "the field is not in the message written by -o"
grep -qx 'small body' "$T/small.out" 2>/dev/null || err "the body is lost"
end

begin "sluicectl try: sample_size rejects above its max, with its reason"
try samples.conf "$T/big.eml"
want_out 'status: module returned reject'
want_out 'reply: 550 5.7.1 Message rejected: message of '
want_out 'bytes is over the limit of 4096 bytes'
end

# refusals: each config has one bad module filter beside a good one
refuse() {	# name filter expected-text
	conf "$1.conf" "$2" '{ filter = "bad"; }'
	begin "refused at config check: $1"
	"$SLUICED" -n -c "$T/$1.conf" >"$T/n.out" 2>"$T/n.err"
	rc=$?
	cat "$T/n.out" "$T/n.err" >>"$T/trace"
	want_rc 1
	want_err "$T/n.err" "$3"
	grep -q "$T/$1.conf:[0-9]*: filter \"bad\"" "$T/n.err" ||
	    err "the error does not name the file, line and filter"
	try "$1.conf" "$T/small.eml"
	[ "$rc" -ne 0 ] || err "sluicectl try took the configuration"
	want_err "$T/stderr" "$3"
	end
}
refuse abi '{ name = "bad"; module = "'"$TMODS"'/abi.so"; }' \
    'is built for module ABI version 99, this sluiced has version 1'
refuse nosym '{ name = "bad"; module = "'"$TMODS"'/nosym.so"; }' \
    'it has no symbol sluice_module'
refuse initfail '{ name = "bad"; module = "'"$TMODS"'/initfail.so";
    settings = { a = 1; b = "two"; }; }' \
    'its init refused the settings: initfail: 2 setting(s), and the test says no'
cp "$MODS/sample_size.so" "$T/mods/ww.so"
chmod 666 "$T/mods/ww.so"
refuse world-writable '{ name = "bad"; module = "'"$T"'/mods/ww.so";
    settings = { max = "1K"; }; }' \
    'is writable by everyone (mode 0666); only root may write it'
refuse missing '{ name = "bad"; module = "no-such-module.so"; }' \
    "module $MODS/no-such-module.so: No such file or directory"
refuse unknown-setting '{ name = "bad"; module = "sample_size.so";
    settings = { max = "1K"; maximum = "2K"; }; }' \
    'unknown setting "maximum"'
refuse command-and-module '{ name = "bad"; module = "sample_size.so";
    command = "/bin/true"; }' 'has both a command and a module'

begin "sluiced -n names each module filter and how it runs"
"$SLUICED" -n -c "$T/samples.conf" >"$T/n.out" 2>"$T/n.err"
rc=$?
cat "$T/n.out" "$T/n.err" >>"$T/trace"
want_rc 0
want_err "$T/n.out" "filter hdr: module $MODS/sample_header.so, loaded in the agent"
want_err "$T/n.out" "filter size: module $MODS/sample_size.so"
end

conf error.conf '{ name = "err"; module = "'"$TMODS"'/misbehave.so";
	settings = { how = "error"; }; },
      { name = "errskip"; module = "'"$TMODS"'/misbehave.so";
	settings = { how = "error"; }; on_error = "skip"; }' \
    '{ filter = "err"; recipient = "bob@example.net"; },
     { filter = "errskip"; recipient = "carol@example.net"; }'
printf 'Subject: please misbehave\n\nbody\n' >"$T/trigger.eml"

begin "a module's error: on_error tempfail, with its reason in the trace"
try error.conf "$T/trigger.eml"
want_out 'status: module returned an error'
want_out 'the module failed: misbehave: the test asked for an error'
want_out 'reply: 451'
end

begin "a module's error with on_error skip: the message goes on"
"$SLUICECTL" try -c "$T/error.conf" -f alice@example.org \
    -r carol@example.net "$T/trigger.eml" >"$T/out" 2>"$T/stderr"
want_out 'status: module returned an error'
want_out 'verdict: accept'
end

begin "a module that passes a message: its directive is applied"
try error.conf "$T/small.eml" -o "$T/passed.out"
want_out 'verdict: accept'
grep -qx 'X-Misbehave: passed' "$T/passed.out" 2>/dev/null ||
    err "X-Misbehave: passed is not in the message"
end

# ---------------------------------------------------------------- Postfix
PF_MILTER=inet:127.0.0.1:$mport
if ! pf_init "$T/pf" || ! SINK_DUMP=1 sink_start || ! pf_start; then
	echo "Bail out! cannot start Postfix or smtp-sink"
	exit 1
fi

# start_sluiced - sluiced on config $1, log in $T/sluiced.log
start_sluiced() {	# conf
	stop_sluiced
	"$SLUICED" -f -c "$T/$1" >>"$T/sluiced.log" 2>&1 &
	spid=$!
	pf_wait_port "$mport" 10
}

# send - one message through Postfix; swaks' transcript in $T/trace
send() {	# subject [swaks options]
	local subj=$1
	shift
	pf_send --to bob@example.net --header "Subject: $subj" \
	    --body "body of $subj" "$@" >"$T/swaks" 2>&1
	rc=$?
	cat "$T/swaks" >>"$T/trace"
}

# delivered - the sink file of the message with this subject
delivered() {	# subject
	local f
	pf_wait_idle 60 >/dev/null 2>&1
	for f in $(sink_files); do
		if grep -q "^Subject: $1\$" "$f"; then
			echo "$f"
			return 0
		fi
	done
	return 1
}

agent_pid() {
	pgrep -P "$spid" -x sluice-agent | head -1
}

conf samples.conf "$samples" '{ filter = "hdr"; }, { filter = "size"; }'
start_sluiced samples.conf || { echo "Bail out! sluiced did not start"; exit 1; }

begin "Postfix milter: the module's header field arrives"
send "pf-small"
want_rc 0
f=$(delivered pf-small) || err "not delivered"
[ -n "$f" ] && { grep -qx 'X-Sample: added by the module' "$f" ||
    err "no X-Sample field in the delivered message"; }
end

begin "Postfix milter: the size module rejects with its reason"
send "pf-big" --attach-type text/plain --attach @"$T/big.eml"
grep -q '<\*\* 550 5.7.1 Message rejected: message of [0-9]* bytes is over the limit of 4096 bytes' \
    "$T/swaks" || err "swaks was not told the module's reason"
delivered pf-big >/dev/null && err "the big message was delivered"
end

# misbehaving in the agent: the process ends, the master starts another
crash_case() {	# how
	local a b n0 f
	conf "$1.conf" '{ name = "bad"; module = "'"$TMODS"'/misbehave.so";
	    settings = { how = "'"$1"'"; }; timeout = 1; kill_grace = 0.5; }' \
	    '{ filter = "bad"; }'
	start_sluiced "$1.conf" || { err "sluiced did not start"; return; }
	a=$(agent_pid)
	n0=$(sink_count)
	send "before-$1"
	[ "$rc" -eq 0 ] || err "the message before was not accepted"
	send "misbehave-$1"
	[ "$rc" -ne 0 ] || err "the misbehaving message was accepted"
	grep -q '<\*\* 4[0-9][0-9]' "$T/swaks" ||
	    err "the misbehaving message did not get a 4xx"
	b=$(new_kid "$spid" sluice-agent "$a") ||
	    err "the master did not start a new agent"
	pf_wait_port "$mport" 10
	send "after-$1"
	[ "$rc" -eq 0 ] || err "the message after was not accepted"
	f=$(delivered "after-$1") || err "the message after was not delivered"
	[ -n "$f" ] && { grep -qx 'X-Misbehave: passed' "$f" ||
	    err "the message after was not filtered"; }
	delivered "before-$1" >/dev/null || err "the message before is lost"
	delivered "misbehave-$1" >/dev/null &&
	    err "the misbehaving message was delivered"
	[ "$(sink_count)" -eq $((n0 + 2)) ] ||
	    err "$(($(sink_count) - n0)) delivered, expected 2"
}

begin "in the agent, a module that segfaults: a new agent, nothing accepted is lost"
crash_case crash
# (under ASan the fault is reported and the agent exits with status 1)
grep -Eq 'agent (killed by signal 11|exited with status 1)' \
    "$T/sluiced.log" || err "the log does not say the agent died of it"
end

begin "in the agent, a module that hangs: ended after timeout and kill_grace"
crash_case loop
grep -q 'filter=bad: the module has not returned by its timeout and kill_grace' \
    "$T/sluiced.log" || err "the log does not name the hung module"
end

begin "in the agent, a module that calls exit(): a new agent"
crash_case exit
grep -q 'agent exited with status 3' "$T/sluiced.log" ||
    err "the log does not say the agent exited"
end

# isolated: the host process ends, the agent stays, on_error answers.
# The host is sluiced itself; built with ASan it reserves terabytes of
# shadow address space, which no rlimit_memory allows.
# Its sanitizers catch a SIGSEGV and end it with status 1.
ISO_LIMITS= ISO_SEGV='(signal=11'
if ldd "$SLUICED" | grep -q libasan; then
	ISO_LIMITS="rlimit_memory = 0;" ISO_SEGV='(exit=1)'
fi
host_pids() {
	pgrep -u sluice-filter -f -- "-M $TMODS/misbehave.so"
}
iso_case() {	# how
	local a f n0 hosts
	conf "iso-$1.conf" '{ name = "bad"; module = "'"$TMODS"'/misbehave.so";
	    settings = { how = "'"$1"'"; }; isolate = true; timeout = 1;
	    kill_grace = 0.5; '"$ISO_LIMITS"' }' '{ filter = "bad"; }'
	start_sluiced "iso-$1.conf" || { err "sluiced did not start"; return; }
	a=$(agent_pid)
	n0=$(sink_count)
	send "iso-before-$1"
	[ "$rc" -eq 0 ] || err "the message before was not accepted"
	hosts=$(host_pids)
	[ -n "$hosts" ] || err "no module host runs as sluice-filter"
	send "misbehave-iso-$1"
	grep -q '<\*\* 451 4.7.1 Message deferred' "$T/swaks" ||
	    err "the misbehaving message did not get on_error's tempfail"
	send "iso-after-$1"
	[ "$rc" -eq 0 ] || err "the message after was not accepted"
	f=$(delivered "iso-after-$1") || err "the message after was not delivered"
	[ -n "$f" ] && { grep -qx 'X-Misbehave: passed' "$f" ||
	    err "the message after was not filtered"; }
	delivered "iso-before-$1" >/dev/null || err "the message before is lost"
	[ "$(sink_count)" -eq $((n0 + 2)) ] ||
	    err "$(($(sink_count) - n0)) delivered, expected 2"
	[ "$(agent_pid)" = "$a" ] || err "the agent was restarted"
	grep -q 'agent.*restarting' "$T/sluiced.log" &&
	    err "the master restarted a child"
	for p in $hosts; do
		alive "$p" && err "the host of the bad message ($p) still runs"
	done
}

: >"$T/sluiced.log"
begin "isolated, a module that segfaults: on_error for that message, the agent untouched"
iso_case crash
grep -qF "filter=bad: its module host ended without an answer $ISO_SEGV" \
    "$T/sluiced.log" || err "the log does not say the host got SIGSEGV"
end

: >"$T/sluiced.log"
begin "isolated, a module that hangs: ended at its timeout, the agent untouched"
iso_case loop
grep -q 'filter=bad: timed out after 1000 ms; its module host was ended' \
    "$T/sluiced.log" || err "the log does not say the host was ended"
end

: >"$T/sluiced.log"
begin "isolated, a module that calls exit(): on_error, the agent untouched"
iso_case exit
grep -q 'filter=bad: its module host ended without an answer (exit=3)' \
    "$T/sluiced.log" || err "the log does not say the host exited"
end

begin "isolated: the host runs as the filter's user, sandboxed, no privileges"
conf iso-ok.conf '{ name = "ok"; module = "'"$TMODS"'/misbehave.so";
    settings = { how = "error"; }; isolate = true; '"$ISO_LIMITS"' }' \
    '{ filter = "ok"; }'
start_sluiced iso-ok.conf || err "sluiced did not start"
send "iso-status"
h=$(host_pids | head -1)
if [ -z "$h" ]; then
	err "no module host runs"
else
	st=$(cat "/proc/$h/status")
	grep -q "^Uid:.*$(id -u sluice-filter)" <<<"$st" || err "not the filter's uid"
	grep -q '^NoNewPrivs:[[:space:]]*1' <<<"$st" || err "NoNewPrivs is not 1"
	grep -q '^Seccomp:[[:space:]]*2' <<<"$st" || err "no seccomp filter"
	grep -q '^CapEff:[[:space:]]*0*$' <<<"$st" || err "it has capabilities"
fi
end
stop_sluiced

# ---------------------------------------------------------------- header
begin "sluice/module.h compiles as C and as C++ with warnings on"
cat >"$T/m.c" <<'EOF'
#include <sluice/module.h>
static enum sluice_verdict f(void *s, const struct sluice_message *m,
    struct sluice_result *r)
{
	(void)s;
	return r->directive(r, "reason %zu headers", m->nheaders) == 0 ?
	    SLUICE_CONTINUE : SLUICE_ERROR;
}
const struct sluice_module sluice_module = {
	SLUICE_MODULE_ABI_VERSION, "m", 0, 0, f, 0
};
EOF
cp "$T/m.c" "$T/m.cc"
for std in c99 c11; do
	gcc -std=$std -Wall -Wextra -Wpedantic -Werror -I "$top/filters" \
	    -fPIC -shared -o "$T/m.so" "$T/m.c" 2>>"$T/stderr" ||
	    err "does not compile as $std"
done
if command -v g++ >/dev/null; then
	g++ -std=c++11 -Wall -Wextra -Wpedantic -Werror -I "$top/filters" \
	    -fPIC -shared -o "$T/mpp.so" "$T/m.cc" 2>>"$T/stderr" ||
	    err "does not compile as C++11"
	nm -D "$T/mpp.so" 2>/dev/null | grep -q ' sluice_module$' ||
	    err "the C++ module does not export sluice_module unmangled"
else
	err "g++ is not installed"
fi
end

begin "the example of sluice-modules(3) builds, loads and tags"
# the first literal block after EXAMPLES, as a reader would copy it
sed -n '/^\.Sh EXAMPLES/,/^\.Sh SEE ALSO/p' "$top/man/sluice-modules.3" |
    awk '/^\.Bd -literal/ { n++; on = n == 1; next }
	 /^\.Ed/ { on = 0 } on' >"$T/mods/tag.c"
if gcc -O2 -Wall -Werror -I "$top/filters" -fPIC -shared \
    -o "$T/mods/tag.so" "$T/mods/tag.c" 2>>"$T/stderr"; then
	conf tag.conf '{ name = "tag"; module = "'"$T"'/mods/tag.so";
	    settings = { domain = "example.org"; }; }' '{ filter = "tag"; }'
	try tag.conf "$T/small.eml" -o "$T/tag.out"
	want_out 'verdict: accept'
	grep -qx 'Subject: \[example.org\] small' "$T/tag.out" 2>/dev/null ||
	    err "the subject is not tagged"
else
	err "the example does not compile"
fi
end

tap_done
