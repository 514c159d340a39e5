# sendmail.bash - a private, real Sendmail for the end-to-end suites
#
# Sourced (bash only), after postfix.bash (for free_port, pf_wait_port
# and pf_alive).  Sendmail's packages conflict with postfix, so they are
# not installed: "make sendmail-root" (run by "make check") unpacks
# Debian's sendmail-bin and sendmail-cf under $(BUILD)/sendmail/root,
# and Sendmail runs from there in private mount, UTS and pid namespaces.
# In them an overlay over /etc, /var/spool, /run and /dev gives it the
# test's own /etc/mail (sendmail.cf built here from
# testdata/t/sendmail.mc), /etc/hosts, /etc/resolv.conf, queue, pid file
# and /dev/log (a busybox syslogd that writes $SM_DIR/maillog), without
# creating anything outside SM_DIR: the host has no /etc/mail to bind a
# directory onto.  When Sendmail, the namespace's first process, ends,
# the kernel ends everything else in it.
#
# Sendmail listens on 127.0.0.1:$SM_PORT, its milter is sluice on
# 127.0.0.1:$SM_MILTER_PORT (the suite starts sluiced), and it relays
# every message to an smtp-sink on 127.0.0.2:$SM_SINK_PORT (Sendmail
# takes [127.0.0.1] for itself), which writes one file a message under
# $SM_DIR/sink.  Typical use:
#
#	. testdata/t/postfix.bash; . testdata/t/sendmail.bash
#	sm_find_root || skip_all "$SM_WHY"
#	SM_MILTER_PORT=$(free_port)
#	sm_init "$T/sm" && sm_start || exit 1
#	sm_send --to rcpt@example.net --body "hello"
#	sm_wait_idle 30 && sm_sink_files
#	sm_stop
#
# Variables it sets: SM_ROOT, SM_BIN, SM_WHY (sm_find_root, sm_can_run),
# SM_DIR, SM_PORT, SM_SINK_PORT, SM_VERSION (sm_start: what Sendmail
# logs).  It reads SM_MILTER_PORT
# (at sm_init) and SLUICE_SENDMAIL_ROOT, SLUICE_BUILD (at sm_find_root).
# Needs root, m4, busybox, smtp-sink (postfix), swaks, unshare and ss.
# Functions return non-zero and say why (on stderr, or in SM_WHY); none
# of them exits.

SM_ROOT=
SM_BIN=
SM_WHY=
SM_DIR=
SM_PORT=
SM_SINK_PORT=
SM_SINK_PID=
SM_NS_PID=
SM_VERSION=
SM_MC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/sendmail.mc

# sm_find_root - find the unpacked Sendmail: SLUICE_SENDMAIL_ROOT, else
# sendmail/root beside the build being tested or the build it belongs
# to (the ASan build is $(BUILD)/asan), else build/sendmail/root
sm_find_root() {
	local top c b=${SLUICE_BUILD:-}
	top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
	for c in ${SLUICE_SENDMAIL_ROOT:+"$SLUICE_SENDMAIL_ROOT"} \
	    ${b:+"$b/sendmail/root" "${b%/asan}/sendmail/root"} \
	    "$top/build/sendmail/root"; do
		if [ -x "$c/usr/libexec/sendmail/sendmail" ] &&
		    [ -f "$c/usr/share/sendmail/cf/m4/cf.m4" ]; then
			SM_ROOT=$c
			SM_BIN=$c/usr/libexec/sendmail/sendmail
			return 0
		fi
	done
	SM_WHY="no unpacked Sendmail in ${SLUICE_SENDMAIL_ROOT:+$SLUICE_SENDMAIL_ROOT, }"
	SM_WHY="$SM_WHY${b:+$b/sendmail/root, }$top/build/sendmail/root"
	SM_WHY="$SM_WHY (\"make sendmail-root\" unpacks it there)"
	return 1
}

# sm_can_run - can this machine give Sendmail its namespaces and
# overlays at all; SM_WHY says what is missing when not.  Whether the
# unpacked Sendmail itself runs is sm_start's to find out: it needs the
# namespace's /etc/hosts (on the host's it may wait a minute for its own
# name) and a sendmail.cf.
sm_can_run() {
	local c d out
	if [ "$(id -u)" -ne 0 ]; then
		SM_WHY="needs root (private namespaces, overlay mounts)"
		return 1
	fi
	for c in unshare m4 busybox smtp-sink swaks; do
		if ! command -v "$c" >/dev/null 2>&1; then
			SM_WHY="$c is not installed (\"make deps\")"
			return 1
		fi
	done
	d=$(mktemp -d /tmp/sluice-smprobe.XXXXXX) || return 1
	mkdir -p "$d/up" "$d/work"
	if ! out=$(unshare --mount --uts --pid --fork --kill-child sh -c '
	    mount -t overlay overlay \
	    -o "lowerdir=/etc,upperdir=$1/up,workdir=$1/work" /etc &&
	    hostname sm.test' sh "$d" 2>&1); then
		SM_WHY="no private namespace with an overlay over /etc here:"
		SM_WHY="$SM_WHY $(printf '%s' "$out" | head -2 | tr '\n' ' ')"
		rm -rf "$d"
		return 1
	fi
	rm -rf "$d"
}

# sm_init - lay out a private Sendmail under DIR (see the header)
sm_init() {	# dir
	local d=${1:?sm_init: no directory} n
	[ -n "$SM_BIN" ] || { echo "sm_init: no sm_find_root" >&2; return 1; }
	[ -n "${SM_MILTER_PORT:-}" ] || { echo "sm_init: no SM_MILTER_PORT" \
	    >&2; return 1; }
	mkdir -p "$d" || return 1
	SM_DIR=$(cd "$d" && pwd)
	SM_PORT=$(free_port) || return 1
	SM_SINK_PORT=$(free_port) || return 1
	n=$SM_DIR/ns
	mkdir -p "$n/etc/mail" "$n/var/spool/mqueue" "$n/run/sendmail/mta" \
	    "$n/dev" "$SM_DIR/ov/etc" "$SM_DIR/ov/var/spool" "$SM_DIR/ov/run" \
	    "$SM_DIR/ov/dev" "$SM_DIR/sink" || return 1
	# Sendmail refuses a queue that others may write or read.
	chmod 0700 "$n/var/spool/mqueue"
	chown postfix "$SM_DIR/sink" || return 1
	sed -e "s/@PORT@/$SM_PORT/g" -e "s/@SINK_PORT@/$SM_SINK_PORT/g" \
	    -e "s/@MILTER_PORT@/$SM_MILTER_PORT/g" "$SM_MC" >"$SM_DIR/sendmail.mc"
	if ! m4 -D_CF_DIR_="$SM_ROOT/usr/share/sendmail/cf/" \
	    "$SM_ROOT/usr/share/sendmail/cf/m4/cf.m4" "$SM_DIR/sendmail.mc" \
	    >"$n/etc/mail/sendmail.cf" 2>"$SM_DIR/m4.err"; then
		echo "sm_init: m4: $(cat "$SM_DIR/m4.err")" >&2
		return 1
	fi
	cp "$SM_ROOT/etc/mail/helpfile" "$n/etc/mail/helpfile" || return 1
	echo "hosts files" >"$n/etc/mail/service.switch"
	printf '127.0.0.1\tlocalhost sm.test sm\n' >"$n/etc/hosts"
	# Nothing answers there: a lookup that gets past the files fails
	# at once instead of waiting for a resolver that cannot be reached.
	printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' \
	    >"$n/etc/resolv.conf"
	cat >"$SM_DIR/ns.sh" <<-EOF
	# ns.sh - the first process of Sendmail's namespaces (sendmail.bash)
	set -eu
	for d in etc var/spool run dev; do
		mount -t overlay overlay \\
		    -o "lowerdir=/\$d,upperdir=$n/\$d,workdir=$SM_DIR/ov/\$d" "/\$d"
	done
	hostname sm.test
	busybox syslogd -n -O "$SM_DIR/maillog" &
	i=0
	while [ ! -S /dev/log ]; do
		i=\$((i + 1))
		[ "\$i" -le 200 ] || { echo "ns.sh: no /dev/log" >&2; exit 1; }
		sleep 0.05
	done
	exec "$SM_BIN" -bD
	EOF
	: >"$SM_DIR/maillog"
}

# sm_start - start smtp-sink and Sendmail; wait until Sendmail listens
sm_start() {
	local _
	[ -n "$SM_DIR" ] || { echo "sm_start: no sm_init" >&2; return 1; }
	sm_stop
	smtp-sink -u postfix -c -h sink.test \
	    -d "$SM_DIR/sink/%Y%m%d%H%M%S." "127.0.0.2:$SM_SINK_PORT" 64 \
	    >"$SM_DIR/sink.count" 2>"$SM_DIR/sink.err" &
	SM_SINK_PID=$!
	if ! pf_wait_port "$SM_SINK_PORT" 10 || ! pf_alive "$SM_SINK_PID"; then
		echo "sm_start: smtp-sink did not start:" \
		    "$(cat "$SM_DIR/sink.err")" >&2
		return 1
	fi
	unshare --mount --uts --pid --fork --kill-child sh "$SM_DIR/ns.sh" \
	    >"$SM_DIR/sendmail.out" 2>&1 &
	SM_NS_PID=$!
	if ! pf_wait_port "$SM_PORT" 20 || ! pf_alive "$SM_NS_PID"; then
		echo "sm_start: Sendmail does not listen on port $SM_PORT:" >&2
		cat "$SM_DIR/sendmail.out" >&2
		tail -8 "$SM_DIR/maillog" >&2
		return 1
	fi
	# syslogd writes behind
	for _ in $(seq 20); do
		SM_VERSION=$(sed -n 's/.*starting daemon (\([^)]*\)).*/\1/p' \
		    "$SM_DIR/maillog" | tail -1)
		[ -z "$SM_VERSION" ] || break
		sleep 0.1
	done
}

# sm_stop - stop Sendmail (and with it its namespace) and smtp-sink
sm_stop() {
	local p
	if [ -n "$SM_NS_PID" ]; then
		# unshare waits for its child, Sendmail, which is pid 1 in
		# there: ending it ends the namespace
		for p in $(pgrep -P "$SM_NS_PID"); do
			kill "$p" 2>/dev/null
		done
		wait_gone "$SM_NS_PID" || wait_gone "$SM_NS_PID" ||
		    kill -KILL "$SM_NS_PID" 2>/dev/null
		wait "$SM_NS_PID" 2>/dev/null
		SM_NS_PID=
	fi
	if [ -n "$SM_SINK_PID" ]; then
		kill "$SM_SINK_PID" 2>/dev/null
		wait "$SM_SINK_PID" 2>/dev/null
		SM_SINK_PID=
	fi
	return 0
}

# sm_queue_count - messages in Sendmail's queue (qf files)
sm_queue_count() {
	find "$SM_DIR/ns/var/spool/mqueue" -name 'qf*' 2>/dev/null | wc -l
}

# sm_wait_idle - wait up to TIMEOUT s (60) for an empty queue
sm_wait_idle() {	# [timeout]
	local end=$((SECONDS + ${1:-60}))
	# Sendmail writes the queue file before its 250 and removes it once
	# the sink has taken the message.
	while [ "$(sm_queue_count)" -ne 0 ]; do
		if [ "$SECONDS" -gt "$end" ]; then
			echo "sm_wait_idle: $(sm_queue_count) messages" \
			    "still queued" >&2
			return 1
		fi
		sleep 0.1
	done
}

# sm_sink_files - the complete dump files, oldest name first
sm_sink_files() {
	local f l open=" "
	# smtp-sink keeps a file open until its transaction ends.
	if [ -n "$SM_SINK_PID" ]; then
		for f in /proc/"$SM_SINK_PID"/fd/*; do
			l=$(readlink "$f" 2>/dev/null) && open="$open$l "
		done
	fi
	for f in "$SM_DIR"/sink/*; do
		[ -f "$f" ] || continue
		case "$open" in *" $f "*) continue ;; esac
		echo "$f"
	done | sort
}

# sm_sink_open - does smtp-sink hold a dump file open (a message in
# transfer)
sm_sink_open() {
	local f
	[ -n "$SM_SINK_PID" ] || return 1
	for f in /proc/"$SM_SINK_PID"/fd/*; do
		case $(readlink "$f" 2>/dev/null) in
		"$SM_DIR"/sink/*) return 0 ;;
		esac
	done
	return 1
}

# sm_send - one message with swaks to Sendmail; ARGS override defaults
sm_send() {	# swaks args...
	swaks --server "127.0.0.1:$SM_PORT" --helo client.test \
	    --from sender@example.org --to rcpt@example.net \
	    --timeout 60 --silent 2 "$@"
}

# sm_cleanup - stop everything
sm_cleanup() {
	sm_stop
}
