#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host test: `scripts/profile.sh` runs end to end, and its report is complete
# and says whose code ran.  Structure and ownership only, never timing:
# linear and crypt-mt are profiled in 2 rounds of 2 s; both have I/Os per second
# and busy time per I/O above zero; crypt-mt's own module (crypt_mt) took
# time in the crypt-mt column and none in linear's, and its map function
# is among the symbols listed; --out holds what was printed.  Then an
# unknown configuration is refused before any VM starts.
# Runs on the kernel in $KVER (make check sets it).  About a minute.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
T=$(mktemp -d /tmp/profile-smoke.XXXXXX)
trap 'rm -rf "$T"' EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

rc=0
"$REPO/scripts/profile.sh" --configs "linear mt" --seconds 2 --rounds 2 --top 60 --out "$T/report" \
	>"$T/stdout" 2>"$T/stderr" || rc=$?
if ((rc)); then
	tail -n 40 "$T/stderr" "$T/stdout" >&2
	fail "scripts/profile.sh exited $rc"
fi
cat "$T/stdout"
cmp -s "$T/stdout" "$T/report" || fail "--out differs from what was printed"

# row NAME -> the row's numbers (linear's, then crypt-mt's)
row() { awk -v n="$1" 'substr($0, 1, 34) ~ "^" n " *$" { print substr($0, 35); exit }' "$T/stdout"; }
grep -q '^ *linear *mt$' "$T/stdout" || fail "no 'linear mt' header"
for r in "I/Os per second" "busy us per I/O"; do
	read -r a b <<<"$(row "$r")"
	[[ -n $a && -n $b ]] || fail "no row '$r'"
	awk -v a="$a" -v b="$b" 'BEGIN { exit !(a > 0 && b > 0) }' || fail "$r: $a $b, not both > 0"
done
read -r a b <<<"$(row "  busy in crypt_mt")"
[[ -n $a && -n $b ]] || fail "no row 'busy in crypt_mt': the module's symbols were not attributed"
awk -v a="$a" -v b="$b" 'BEGIN { exit !(a == 0 && b > 0) }' ||
	fail "busy in crypt_mt: linear $a (must be 0), crypt-mt $b (must be > 0)"
grep -Eq '^cmt_(io_)?map .* crypt_mt$' "$T/stdout" || fail "crypt-mt's map is not among the symbols"

rc=0
"$REPO/scripts/profile.sh" --no-deps --configs "linear nonsense" >"$T/bad" 2>&1 || rc=$?
((rc == 2)) || fail "an unknown configuration: exit $rc, expected 2"
grep -q 'unknown configuration nonsense' "$T/bad" || fail "no message for an unknown configuration"
echo "ok"
