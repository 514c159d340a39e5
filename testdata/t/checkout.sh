#!/bin/bash
# checkout.sh - the shipped configuration, as a newcomer meets it
#
# From the top of a checkout, the commands the README and sluice.conf(5)
# show find the sample rules of conf.d/: "sluiced -n -c
# conf.d/sluice.conf" counts them and "sluicectl try -c
# conf.d/sluice.conf" runs them.  "make install" writes a sluice.conf
# that finds the installed fragments and wrappers.  A configuration
# whose default include directory is missing says so.
# Prints TAP.  Run by testdata/run-tests.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
. "$(dirname "$0")/tap.bash"

T=$(mktemp -d /tmp/sluice-checkout.XXXXXX) || exit 1
trap '[ "${KEEP:-0}" = 1 ] || rm -rf "$T"' EXIT
cd "$top" || exit 1

# the filters and rules the sample fragments define
nfilters=$(sed -n '/^filters = (/,/^);/p' conf.d/10-samples.conf |
    grep -c '^[[:space:]]*name = ')
nrules=$(sed -n '/^rules = (/,/^);/p' conf.d/10-samples.conf |
    grep -c '^[[:space:]]*name = ')

begin "sluiced -n -c conf.d/sluice.conf counts the sample rules"
out=$("$BUILD/sluiced" -n -c conf.d/sluice.conf 2>"$T/err")
rc=$?
want_rc 0
[ "$nfilters" -gt 0 ] && [ "$nrules" -gt 0 ] || err "no samples found in 10-samples.conf"
case $out in
*"($nfilters filters, $nrules rules, "*) ;;
*)	err "got: $out $(cat "$T/err")" ;;
esac
[ -s "$T/err" ] && err "unexpected messages: $(cat "$T/err")"
end

begin "sluicectl try -c conf.d/sluice.conf runs the sample rules"
"$BUILD/sluicectl" try -c conf.d/sluice.conf -f sender@example.org \
    -r rcpt@example.net testdata/messages/plain.eml >"$T/try" 2>&1
rc=$?
want_rc 0
grep -q 'address rule "mark-checked": matched' "$T/try" ||
    err "the sample address rule did not run: $(head -5 "$T/try")"
grep -q 'applied: add-header X-Sluice: checked' "$T/try" ||
    err "no X-Sluice header"
end

begin "a missing default include directory is a warning that -n prints"
mkdir -p "$T/alone"
printf 'user = "nobody";\n' >"$T/alone/sluice.conf"
"$BUILD/sluiced" -n -c "$T/alone/sluice.conf" >"$T/out" 2>"$T/err"
rc=$?
want_rc 0
grep -q "warning: include_dir \"$T/alone/conf.d\".*No such file or directory" "$T/err" ||
    err "no warning: $(cat "$T/err")"
grep -q '(0 filters, 0 rules' "$T/out" || err "got: $(cat "$T/out")"
"$BUILD/sluicectl" try -c "$T/alone/sluice.conf" -f a@example.org \
    -r b@example.net testdata/messages/plain.eml >/dev/null 2>"$T/err"
grep -q "warning: include_dir" "$T/err" ||
    err "sluicectl try does not warn: $(cat "$T/err")"
end

begin "a chosen include directory that is missing is an error"
printf 'user = "nobody";\ninclude_dir = "nonesuch";\n' >"$T/alone/sluice.conf"
"$BUILD/sluiced" -n -c "$T/alone/sluice.conf" >"$T/out" 2>"$T/err"
rc=$?
want_rc 1
grep -q "sluice.conf:2: include_dir \"$T/alone/nonesuch\": No such file or directory" "$T/err" ||
    err "got: $(cat "$T/err")"
end

begin "make install writes a sluice.conf that finds the installed fragments and wrappers"
make --no-print-directory -s BUILD="$BUILD" DESTDIR="$T/root" install \
    >"$T/install" 2>&1 || err "make install failed: $(tail -5 "$T/install")"
inst=$T/root/etc/sluice/sluice.conf
[ -f "$T/root/etc/sluice/conf.d/10-samples.conf" ] || err "no fragment installed"
grep -q '^include_dir = "conf.d";' "$inst" || err "include_dir: $(grep include_dir "$inst")"
grep -q '^filter_dir = "/usr/local/libexec/sluice";' "$inst" ||
    err "filter_dir: $(grep filter_dir "$inst")"
# the wrappers are where DESTDIR put them, not yet in /usr/local
out=$("$BUILD/sluiced" -n -c "$inst" \
    -O filter_dir="$T/root/usr/local/libexec/sluice" 2>&1)
case $out in
*"($nfilters filters, $nrules rules, "*) ;;
*)	err "installed config: $out" ;;
esac
end

tap_done
