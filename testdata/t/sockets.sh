#!/bin/bash
# sockets.sh - the unix sockets' mode and group come from the config
#
# sluiced with a milter socket and a content-filter socket, both unix
# sockets, checked with stat and by connecting as other users: by
# default they get mode 0660 and the group of "user" (nobody's
# nogroup), so the user postfix cannot connect; with socket_mode =
# "0620" and socket_group = "postfix" they get exactly that, postfix
# connects and a user outside the group (sluicetest) cannot.  Started
# by a user other than root, sluiced changes no group by default, and
# refuses to start when socket_group names a group that user is not in.
# Prints TAP.  Needs root (to be the other users).  Run by
# testdata/run-tests, or by hand.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
SLUICED=${SLUICED:-$top/build/sluiced}
PY=/usr/bin/python3

. "$(dirname "$0")/tap.bash"
[ "$(id -u)" -eq 0 ] || skip_all "needs root (connects as other users)"
[ -x "$PY" ] || skip_all "no $PY"
getent passwd postfix >/dev/null || skip_all "no user postfix"
getent group postfix >/dev/null || skip_all "no group postfix"
unpriv || skip_all "$UNPRIV_WHY"

T=$(mktemp -d /tmp/sluice-sockets.XXXXXX) || exit 1
chmod 755 "$T"
mkdir -p "$T/inc" "$T/d" "$T/g" "$T/n" "$T/ng"
chmod 755 "$T/inc"
chown "$UNPRIV_USER:" "$T/n" "$T/ng"

pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do
		stop_pid "$p"
	done
	wait 2>/dev/null
	[ "${KEEP:-0}" = 1 ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# conf - the config of daemon $1 as user $2, with the extra keys $3
conf() {	# name user keys
	cat >"$T/$1.conf" <<-EOF
	user = "$2";
	run_dir = "$T/$1/run";
	spool_dir = "$T/$1/run/spool";
	include_dir = "$T/inc";
	milter_listen = [ "unix:milter.sock" ];
	smtp_listen = ( { listen = "unix:smtp.sock";
	    next_hop = "inet:127.0.0.1:9"; } );
	$3
	EOF
}

# start - sluiced on config $1, run by the command prefix in the rest;
# waits until both sockets exist.  0 when it started.
start() {	# name [prefix...]
	local name=$1 _
	shift
	"$@" "$SLUICED" -f -c "$T/$name.conf" >"$T/$name.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 100); do
		[ -S "$T/$name/run/milter.sock" ] &&
		    [ -S "$T/$name/run/smtp.sock" ] && return 0
		alive "$!" || return 1
		sleep 0.1
	done
	return 1
}

# probe - connect to a unix socket as a user; prints "connected", or the
# errno name when connecting failed
probe() {	# user socket
	setpriv --reuid="$1" --regid="$(id -g "$1")" --init-groups -- \
	    "$PY" -c 'import errno, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
try:
    s.connect(sys.argv[1])
    print("connected")
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)))' "$2" 2>&1
}

# want_stat - mode, owner and group of both sockets of daemon $1
want_stat() {	# name "mode owner group"
	local s got
	for s in milter smtp; do
		got=$(stat -c '%a %U %G' "$T/$1/run/$s.sock" 2>&1)
		[ "$got" = "$2" ] || err "$s.sock: $got, expected $2"
	done
}

# want_probe - what connecting to both sockets as user gives
want_probe() {	# name user result
	local s got
	for s in milter smtp; do
		got=$(probe "$2" "$T/$1/run/$s.sock")
		[ "$got" = "$3" ] ||
		    err "$s.sock as $2: $got, expected $3"
	done
}

nobody_group=$(id -gn nobody)
unpriv_group=$(id -gn "$UNPRIV_USER")

begin "by default the sockets get mode 0660 and the group of user"
conf d nobody ''
if start d; then
	want_stat d "660 root $nobody_group"
	want_probe d postfix EACCES
	want_probe d root connected
else
	err "sluiced did not start:" "$(tail -5 "$T/d.log")"
fi
end

begin "socket_mode and socket_group: the MTA's group may connect, others not"
conf g nobody 'socket_mode = "0620"; socket_group = "postfix";'
if start g; then
	want_stat g "620 root postfix"
	want_probe g postfix connected
	want_probe g "$UNPRIV_USER" EACCES
	grep -q '^220 ' <(setpriv --reuid=postfix --regid=postfix \
	    --init-groups -- "$PY" -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(sys.argv[1])
print(s.recv(512).decode("latin-1"))' "$T/g/run/smtp.sock" 2>&1) ||
	    err "postfix got no greeting on smtp.sock"
else
	err "sluiced did not start:" "$(tail -5 "$T/g.log")"
fi
end

begin "not started as root: no group change by default"
conf n "$UNPRIV_USER" ''
if start n "${UNPRIV[@]}"; then
	want_stat n "660 $UNPRIV_USER $unpriv_group"
	want_probe n "$UNPRIV_USER" connected
	want_probe n postfix EACCES
else
	err "sluiced did not start:" "$(tail -5 "$T/n.log")"
fi
end

begin "not started as root: a socket_group the user is not in is an error"
conf ng "$UNPRIV_USER" 'socket_group = "postfix";'
"${UNPRIV[@]}" timeout 20 "$SLUICED" -f -c "$T/ng.conf" >"$T/ng.log" 2>&1
rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] ||
    err "sluiced exited $rc, expected an error at start"
grep -q 'socket_group postfix' "$T/ng.log" &&
    ! grep -q 'unknown key' "$T/ng.log" ||
    err "the error does not say socket_group postfix is the problem:" \
    "$(tail -3 "$T/ng.log")"
[ -S "$T/ng/run/milter.sock" ] && err "a socket was left behind"
end

tap_done
