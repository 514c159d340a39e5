#!/bin/bash
# runner.sh - the filter runner under "sluicectl scan" and "try"
#
# Instance slots (serialised and parallel runs, the wait for a slot
# running out), the error breaker (switched off, skipped, half-open trial,
# switched on again), big output, the descriptors, environment and
# rlimits a filter gets, and scanning mbox files and Maildirs, with a
# progress line on a terminal (under script(1)) and none into a file.
# Concurrency is judged from timestamps the filters write themselves and
# from the order of events, never from how long something took.
# Prints TAP.  Run by testdata/run-tests, or by hand.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
SLUICECTL=${SLUICECTL:-$top/build/sluicectl}

T=$(mktemp -d /tmp/sluice-runner.XXXXXX) || exit 1
chmod 755 "$T"
mkdir "$T/bin" "$T/inc" "$T/spool" "$T/out"
export TMPDIR="$T/spool"
trap 'rm -rf "$T"' EXIT
trap 'exit 1' HUP INT TERM

TAP_RESET=1
. "$(dirname "$0")/tap.bash"


# conf - write $T/name.conf: the common settings, then stdin with @T@
# replaced by $T.  A filter that writes what it saw does so in $T/out,
# outside the spool, and names it writable.
conf() {	# name
	{
		printf 'include_dir = "%s";\n' "$T/inc"
		printf 'filter_dir = "%s";\n' "$T/bin"
		printf 'user = "%s";\n' "$(id -un)"
		sed "s|@T@|$T|g"
	} >"$T/$1.conf"
}

# scan - sluicectl scan; stdout in $T/trace, stderr in $T/stderr, rc
scan() {	# args
	"$SLUICECTL" scan "$@" >"$T/trace" 2>"$T/stderr"
	rc=$?
}

# try - sluicectl try; stdout in $T/trace, stderr in $T/stderr, rc
try() {	# args
	"$SLUICECTL" try "$@" >"$T/trace" 2>"$T/stderr"
	rc=$?
}

# want_line - the output has exactly this line
want_line() {	# line
	grep -qxF -- "$1" "$T/trace" || err "output lacks line: $1"
}

# want_log - the stderr log has this text
want_log() {	# text
	grep -qF -- "$1" "$T/stderr" || err "log lacks: $1"
}

# maildir - a Maildir of n messages "msg01".."msgNN" in new/
maildir() {	# dir n
	local i s
	mkdir -p "$1/cur" "$1/new" "$1/tmp"
	for i in $(seq "$2"); do
		s=$(printf 'msg%02d' "$i")
		printf 'From: alice@example.org\nTo: bob@example.org\nSubject: %s\n\nbody %s\n' \
		    "$s" "$s" >"$1/new/$s"
	done
}

# summary - the summary line scan prints for these counts
summary() {	# total accept reject tempfail [discard quarantine]
	printf '%s messages: %s accept, %s reject, %s tempfail, %s discard, %s quarantine' \
	    "$1" "$2" "$3" "$4" "${5:-0}" "${6:-0}"
}

# ---------------------------------------------------------------------
# Instance slots

filter interval <<'EOF'
echo "start $(date +%s%N) $$" >> @T@/out/iv.log
sleep "$1"
echo "end $(date +%s%N) $$" >> @T@/out/iv.log
exit 0
EOF

# intervals - print "start end" per run (one per pid), sorted by start
intervals() {
	awk '{ if ($1 == "start") s[$3] = $2; else e[$3] = $2 }
	    END { for (p in s) print s[p], (p in e) ? e[p] : "none" }' \
	    "$T/out/iv.log" | sort -n
}

# most_at_once - the largest number of runs between their start and end
most_at_once() {
	awk '{ print $2, ($1 == "start") ? 1 : -1 }' "$T/out/iv.log" |
	    sort -k1,1n -k2,2n |
	    awk '{ n += $2; if (n > m) m = n } END { print m + 0 }'
}

maildir "$T/md4" 4
maildir "$T/md6" 6

conf inst1 <<'EOF'
filters = ( { name = "iv"; command = "interval 0.3"; instances = 1;
    writable = [ "@T@/out" ]; } );
rules = ( { name = "r"; filter = "iv"; } );
EOF
begin "instances = 1: four runs with -j 4 never overlap"
rm -f "$T/out/iv.log"
scan -c "$T/inst1.conf" -j 4 "$T/md4"
want_rc 0
want_line "$(summary 4 4 0 0)"
intervals >"$T/iv.sorted"
n=$(wc -l <"$T/iv.sorted")
[ "$n" -eq 4 ] || err "$n runs logged, expected 4"
grep -q none "$T/iv.sorted" && err "a run has no end"
awk 'NR > 1 && $1 <= prev { bad = 1; print "overlap: start", $1,
	"before the end", prev, "of the run before" }
	{ prev = $2 } END { exit bad }' "$T/iv.sorted" >"$T/iv.why" ||
    err "$(cat "$T/iv.why")" "$(cat "$T/iv.sorted")"
end

conf inst2 <<'EOF'
filters = ( { name = "iv"; command = "interval 0.5"; instances = 2;
    writable = [ "@T@/out" ]; } );
rules = ( { name = "r"; filter = "iv"; } );
EOF
begin "instances = 2: runs with -j 4 overlap, but never more than 2 at once"
rm -f "$T/out/iv.log"
scan -c "$T/inst2.conf" -j 4 "$T/md4"
want_rc 0
want_line "$(summary 4 4 0 0)"
m=$(most_at_once)
[ "$m" -eq 2 ] || err "at most $m runs at once, expected 2" \
    "$(intervals)"
end

filter slow <<'EOF'
sleep 2
exit 0
EOF
maildir "$T/md2" 2
conf wait <<'EOF'
filters = ( { name = "slow"; command = "slow"; instances = 1; instance_wait = 0.2; } );
rules = ( { name = "r"; filter = "slow"; } );
EOF
begin "instance_wait runs out: one accept, one tempfail"
scan -v -c "$T/wait.conf" -j 2 "$T/md2"
want_rc 0
want_line "$(summary 2 1 0 1)"
want_log "error: no free instance (instances = 1) within 200 ms"
end

# ---------------------------------------------------------------------
# The error breaker

filter fail9 <<'EOF'
echo run >> @T@/out/fail9.count
exit 9
EOF
conf breaker <<'EOF'
filters = ( { name = "f9"; command = "fail9"; error_threshold = 2; error_cooldown = 600;
    on_error = "skip"; when_off = "skip"; writable = [ "@T@/out" ]; } );
rules = ( { name = "r"; filter = "f9"; } );
EOF
begin "error_threshold = 2: two runs, then switched off (when_off skip)"
rm -f "$T/out/fail9.count"
scan -v -c "$T/breaker.conf" -j 1 "$T/md6"
want_rc 0
want_line "$(summary 6 6 0 0)"
n=$(wc -l <"$T/out/fail9.count" 2>/dev/null || echo 0)
[ "$n" -eq 2 ] || err "the filter ran $n times, expected 2"
want_log "filter=f9 switched off for 600 s after too many errors in a row"
want_log "filter is switched off after 2 errors in a row; skipped"
end

sed -i 's/when_off = "skip"/when_off = "tempfail"/' "$T/breaker.conf"
begin "error_threshold = 2 with when_off tempfail: the rest tempfail"
rm -f "$T/out/fail9.count"
scan -v -c "$T/breaker.conf" -j 1 "$T/md6"
want_rc 0
want_line "$(summary 6 2 0 4)"
n=$(wc -l <"$T/out/fail9.count" 2>/dev/null || echo 0)
[ "$n" -eq 2 ] || err "the filter ran $n times, expected 2"
end

# The half-open trial.  flaky fails its first two runs and works after;
# sleeper runs on every message so time passes while flaky is off.  The
# cool-down (1 s) is over by the 7th message at the latest (5 sleeper runs
# of 0.2 s at least after the switch-off), and longer than the time one
# message takes, so at least the 3rd message finds the filter off.
filter flaky <<'EOF'
n=$(( $(cat @T@/out/flaky.count 2>/dev/null || echo 0) + 1 ))
echo "$n" > @T@/out/flaky.count
sed -n 's/^Subject: //p' "$1" | head -1 >> @T@/out/flaky.runs
[ "$n" -le 2 ] && exit 9
exit 0
EOF
filter sleeper <<'EOF'
sleep 0.2
EOF
maildir "$T/md10" 10
conf halfopen <<'EOF'
filters = (
  { name = "flaky"; command = "flaky %f"; error_threshold = 2; error_cooldown = 1;
    on_error = "skip"; when_off = "skip"; writable = [ "@T@/out" ]; },
  { name = "sleeper"; command = "sleeper"; }
);
rules = ( { name = "a"; filter = "flaky"; }, { name = "b"; filter = "sleeper"; } );
EOF
begin "half-open: off after 2 errors, skipped, a good trial switches it on"
rm -f "$T/out/flaky.count" "$T/out/flaky.runs"
scan -v -c "$T/halfopen.conf" -j 1 "$T/md10"
want_rc 0
want_line "$(summary 10 10 0 0)"
want_log "filter=flaky switched off for 1 s after too many errors in a row"
want_log "filter=flaky switched on again after a good trial run"
if [ ! -f "$T/out/flaky.runs" ]; then
	err "flaky never ran"
else
	runs=$(tr '\n' ' ' <"$T/out/flaky.runs")
	first=$(sed -n 3p "$T/out/flaky.runs")
	case $runs in
	"msg01 msg02 "*) ;;
	*) err "the first two runs were not msg01 and msg02: $runs" ;;
	esac
	[ "$first" != msg03 ] || err "msg03 was not skipped: $runs"
	# from the trial on every message runs it: msgK .. msg10
	k=${first#msg}
	want=$(printf 'msg%02d ' 01 02 $(seq "$((10#${k:-99}))" 10))
	[ -n "$first" ] && [ "$runs" = "$want" ] ||
	    err "runs: $runs" "expected a trial, then every message: $want"
fi
end

# ---------------------------------------------------------------------
# Output, descriptors, environment, limits

printf 'From: alice@example.org\nSubject: one\n\nbody\n' >"$T/msg.eml"

filter loud <<'EOF'
yes 'a line on stdout' | head -c 1048576 &
yes 'a line on stderr' | head -c 1048576 >&2
wait
exit 0
EOF
conf loud <<'EOF'
filters = ( { name = "loud"; command = "loud"; } );
rules = ( { name = "r"; filter = "loud"; } );
EOF
begin "a filter writing 1 MB to stdout and stderr completes; trace shows the first lines"
try -c "$T/loud.conf" -f alice@example.org -r bob@example.org "$T/msg.eml"
want_rc 0
want_line "verdict: accept"
want_line "    stdout: a line on stdout"
want_line "    stderr: a line on stderr"
n=$(grep -c '^    stdout: ' "$T/trace")
[ "$n" -eq 3 ] || err "$n stdout lines in the trace, expected 3"
end

filter fds <<'EOF'
ls /proc/self/fd > @T@/out/fds
readlink /proc/self/fd/0 > @T@/out/stdin
EOF
conf fds <<'EOF'
filters = ( { name = "fds"; command = "fds"; writable = [ "@T@/out" ]; } );
rules = ( { name = "r"; filter = "fds"; } );
EOF
begin "a filter has only descriptors 0, 1, 2; stdin is /dev/null"
rm -f "$T/out/fds" "$T/out/stdin"
# descriptors of our own that must not be passed on
exec 7<"$T/msg.eml" 8>"$T/fd8"
try -c "$T/fds.conf" -f alice@example.org -r bob@example.org "$T/msg.eml"
exec 7<&- 8>&-
want_rc 0
# ls /proc/self/fd lists the directory it reads as well: one more
if [ ! -f "$T/out/fds" ]; then
	err "the filter did not run"
else
	got=$(sort -n "$T/out/fds" | tr '\n' ' ')
	case $got in
	"0 1 2 "[0-9]" ") ;;
	"0 1 2 "[0-9][0-9]" ") ;;
	*) err "descriptors: $got, expected 0 1 2 and the one of ls" ;;
	esac
fi
[ "$(cat "$T/out/stdin" 2>/dev/null)" = /dev/null ] ||
    err "stdin is $(cat "$T/out/stdin" 2>/dev/null)"
end

filter envdump <<'EOF'
cat /proc/$$/environ > @T@/out/env.raw
pwd > @T@/out/cwd
cat "$SLUICE_RECIPIENTS_FILE" > @T@/out/rcpts
EOF
conf env <<'EOF'
filters = ( { name = "envdump"; command = "envdump"; writable = [ "@T@/out" ]; } );
rules = ( { name = "r"; filter = "envdump"; } );
EOF
begin "a filter's environment holds only the documented variables"
rm -f "$T/out/env.raw" "$T/out/cwd" "$T/out/rcpts"
LEAK_CHECK=leaked LD_LIBRARY_PATH=/nonexistent try -c "$T/env.conf" \
    -f alice@example.org -r bob@example.org -r carol@example.org \
    "$T/msg.eml"
want_rc 0
# wantvar - one variable's value in the filter's environment
wantvar() {	# name value
	[ "${env[$1]-(unset)}" = "$2" ] ||
	    err "$1 is \"${env[$1]-(unset)}\", expected \"$2\""
}
declare -A env=()
if [ ! -f "$T/out/env.raw" ]; then
	err "the filter did not run"
else
	# the environment as the filter got it, NUL-separated
	while IFS= read -r -d '' kv; do
		env[${kv%%=*}]=${kv#*=}
	done <"$T/out/env.raw"
	printf '%s\n' "${!env[@]}" | sort >"$T/env.names"
	printf '%s\n' HOME LANG PATH TMPDIR SLUICE_AUTH_USER \
	    SLUICE_CLIENT_ADDR SLUICE_CLIENT_NAME SLUICE_FILTER SLUICE_HELO \
	    SLUICE_MAIL_ARGS SLUICE_MESSAGE SLUICE_NEW_MESSAGE SLUICE_QUEUE_ID \
	    SLUICE_RECIPIENTS SLUICE_RECIPIENTS_FILE SLUICE_RESULT SLUICE_RULE \
	    SLUICE_SENDER SLUICE_SIZE SLUICE_TMPDIR | sort >"$T/want"
	want_same "$T/env.names" "$T/want"
	wantvar PATH /usr/local/bin:/usr/bin:/bin
	wantvar LANG C
	wantvar SLUICE_SENDER alice@example.org
	wantvar SLUICE_RECIPIENTS $'bob@example.org\ncarol@example.org'
	# the recipients file is in the run directory, beside the message
	m=${env[SLUICE_MESSAGE]-}
	wantvar SLUICE_RECIPIENTS_FILE "${m%/*}/recipients"
	printf 'bob@example.org\ncarol@example.org\n' >"$T/want"
	want_same "$T/out/rcpts" "$T/want"
	wantvar SLUICE_FILTER envdump
	wantvar SLUICE_RULE r
	wantvar SLUICE_SIZE "$(wc -c <"$T/msg.eml" | tr -d ' ')"
	wantvar SLUICE_CLIENT_ADDR ""
	h=${env[HOME]-}
	wantvar TMPDIR "$h"
	wantvar SLUICE_TMPDIR "$h"
	[ -n "$h" ] && [ "$(cat "$T/out/cwd")" = "$h" ] ||
	    err "the filter does not run in \$HOME ($h)"
fi
end

filter limits <<'EOF'
ulimit -n > @T@/out/nofile
ulimit -Hn >> @T@/out/nofile
EOF
conf limits <<'EOF'
filters = ( { name = "limits"; command = "limits"; rlimit_nofile = 32;
    writable = [ "@T@/out" ]; } );
rules = ( { name = "r"; filter = "limits"; } );
EOF
begin "rlimit_nofile = 32: the filter sees 32 (soft and hard)"
rm -f "$T/out/nofile"
try -c "$T/limits.conf" -f alice@example.org -r bob@example.org "$T/msg.eml"
want_rc 0
printf '32\n32\n' >"$T/want"
want_same "$T/out/nofile" "$T/want"
end

# ---------------------------------------------------------------------
# Scanning an mbox and a Maildir

cat >"$T/mbox" <<'EOF'
From alice@example.org Mon Jan  1 00:00:00 2024
From: alice@example.org
To: bob@example.org
Subject: first

body one

From bob@example.org Mon Jan  1 00:00:01 2024
From: bob@example.org
To: carol@example.org
Subject: second

>From the start of a line
>>From stays quoted once
body two

From carol@example.org Mon Jan  1 00:00:02 2024
From: carol@example.org
To: Dave <dave@example.org>
Subject: reject me

body three
EOF
mkdir -p "$T/mdmix/cur" "$T/mdmix/new" "$T/mdmix/tmp"
printf 'From: eve@example.org\nTo: frank@example.org\nSubject: fourth\n\nbody four\n' \
    >"$T/mdmix/cur/1000.a:2,S"
printf 'From: eve@example.org\nTo: grace@example.org\nSubject: fifth\n\nbody five\n' \
    >"$T/mdmix/new/1001.b"
printf 'not a message, in tmp/\n' >"$T/mdmix/tmp/1002.c"

filter exitwith <<'EOF'
exit "$1"
EOF
filter keep <<'EOF'
mkdir -p @T@/out/kept
s=$(sed -n 's/^Subject: //p' "$1" | head -1)
cp "$1" "@T@/out/kept/$s"
printf '%s\n' "$SLUICE_RECIPIENTS" > "@T@/out/kept/$s.rcpts"
EOF
conf scan <<'EOF'
filters = ( { name = "rej"; command = "exitwith 1"; },
    { name = "keep"; command = "keep %f"; writable = [ "@T@/out" ]; } );
rules = ( { name = "no"; filter = "rej"; subject = "reject me"; },
    { name = "keep"; filter = "keep"; } );
EOF
begin "scan an mbox of 3 and a Maildir of 2: one line each and the summary"
rm -rf "$T/out/kept"
scan -c "$T/scan.conf" -j 1 "$T/mbox" "$T/mdmix"
want_rc 0
{
	printf '%s\taccept\t250 2.0.0 Ok\n' "$T/mbox:1" "$T/mbox:2"
	printf '%s\treject\t550 5.7.1 Message rejected\n' "$T/mbox:3"
	printf '%s\taccept\t250 2.0.0 Ok\n' "$T/mdmix/cur/1000.a:2,S" \
	    "$T/mdmix/new/1001.b"
	summary 5 4 1 0
	echo
} >"$T/want"
want_same "$T/trace" "$T/want"
end

begin "scan: mbox messages are split and >From lines unquoted once"
printf 'From: bob@example.org\nTo: carol@example.org\nSubject: second\n\nFrom the start of a line\n>From stays quoted once\nbody two\n' \
    >"$T/want"
want_same "$T/out/kept/second" "$T/want"
printf 'From: alice@example.org\nTo: bob@example.org\nSubject: first\n\nbody one\n' \
    >"$T/want"
want_same "$T/out/kept/first" "$T/want"
end

begin "scan: recipients come from the To fields"
for p in "first bob@example.org" "second carol@example.org" \
    "fourth frank@example.org" "fifth grace@example.org"; do
	set -- $p
	[ "$(cat "$T/out/kept/$1.rcpts" 2>/dev/null)" = "$2" ] ||
	    err "$1: recipients $(cat "$T/out/kept/$1.rcpts" 2>/dev/null), expected $2"
done
end

begin "scan: a path that does not exist is reported and counted"
scan -c "$T/scan.conf" "$T/mdmix" "$T/nonexistent"
want_rc 1
want_line "$(summary 2 2 0 0); 1 could not be read"
end

conf progress <<'EOF'
filters = ( { name = "ok"; command = "exitwith 0"; } );
rules = ( { name = "ok"; filter = "ok"; } );
EOF
begin "scan on a terminal shows count, rate and time left; not into a file"
for i in $(seq 1500); do
	printf 'From a@example.org Mon Jan  1 00:00:00 2024\nFrom: a@example.org\nTo: b@example.org\nSubject: m%d\n\nbody %d\n\n' \
	    "$i" "$i"
done >"$T/big.mbox"
if ! command -v script >/dev/null; then
	err "script(1) is not installed"
else
	script -qec "'$SLUICECTL' scan -c '$T/progress.conf' -j 2 '$T/big.mbox' >'$T/big.out'" \
	    /dev/null >"$T/tty.out" 2>&1 </dev/null
	tr '\r' '\n' <"$T/tty.out" >"$T/tty.lines"
	grep -Eq '^(.\[K)?scanned [0-9]+ messages, [0-9]+/s, [0-9]+m [0-9]{2}s left' \
	    "$T/tty.lines" || err "no progress line: $(tail -c 300 "$T/tty.lines")"
	grep -q '^1500 messages: 1500 accept' "$T/big.out" ||
	    err "summary: $(tail -1 "$T/big.out")"
fi
scan -c "$T/progress.conf" -j 2 "$T/big.mbox"
want_rc 0
grep -q 'scanned' "$T/stderr" && err "a progress line went into a file"
end

begin "no work directory is left in the private spool"
left=$(find "$T/spool" -mindepth 1 | head -5)
[ -z "$left" ] || err "left behind: $left"
end

tap_done
