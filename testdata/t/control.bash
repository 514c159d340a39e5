# control.bash - sluicectl against a running sluiced, for the shell suites
#
# Sourced by suites that talk to the control socket.  Needs $T, $sock
# (the socket) and $SLUICECTL.

# ctl - sluicectl with these arguments against $sock; its output in
# $T/out, its errors in $T/err, its status in rc; both added to $T/trace
ctl() {
	"$SLUICECTL" "$@" -s "$sock" >"$T/out" 2>"$T/err"
	rc=$?
	cat "$T/out" "$T/err" >>"$T/trace"
}

# jq_ - one value of the JSON in $T/out: a Python expression on j.
# Debian's python3, which has the modules the suites use.
jq_() {	# expression
	/usr/bin/python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
	    "$T/out" "$1"
}
