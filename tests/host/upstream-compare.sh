#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check-upstream's pass/fail comparison (tests/upstream/lib.sh) on made-up
# outputs: the same "not tested" lines pass, a differing [N/A] line fails
# (either side), a repeated one counts, an exception listed for the test is
# allowed and named with its reason, one listed for another test is not.
# Under bash and under busybox sh (the guest runs it there).  Seconds, no VM.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

shells=(bash)
if command -v busybox >/dev/null; then shells+=("busybox sh"); fi

cmp() { # SHELL TEST STOCK MT -> the comparison's output; status in $T/rc
	local rc=0
	printf '%b' "$3" >"$T/s"
	printf '%b' "$4" >"$T/m"
	$1 -c '. "$1"; upstream_compare "$2" "$3" "$4"' sh "$REPO/tests/upstream/lib.sh" "$2" "$T/s" "$T/m" \
		>"$T/out" || rc=$?
	echo "$rc" >"$T/rc"
}

expect() { # WHAT RC [GREP]
	local rc
	rc=$(cat "$T/rc")
	if [[ $rc != "$2" ]]; then
		echo "FAIL ($sh): $1: status $rc, want $2; output:"
		cat "$T/out"
		exit 1
	fi
	if [[ -n ${3-} ]] && ! grep -qF -- "$3" "$T/out"; then
		echo "FAIL ($sh): $1: no '$3' in the output:"
		cat "$T/out"
		exit 1
	fi
	echo "ok ($sh): $1"
}

for sh in "${shells[@]}"; do
	base='[1] one\nHASH: whirlpool [N/A] (1, SKIPPED)\nimg1 [OK]\nx test skipped.\n'
	cmp "$sh" t "$base" "$base"
	expect "same lines pass" 0
	cmp "$sh" t "$base" '[1] one\nimg1 [OK]\nx test skipped.   \nHASH: whirlpool [N/A] (1, SKIPPED)\n'
	expect "order and trailing blanks do not matter" 0
	cmp "$sh" t "$base" '[1] one\nimg1 [N/A]\nHASH: whirlpool [N/A] (1, SKIPPED)\nx test skipped.\n'
	expect "an [N/A] only crypt-mt prints fails" 1 "only on crypt-mt: img1 [N/A]"
	cmp "$sh" t "$base" '[1] one\nimg1 [OK]\nx test skipped.\n'
	expect "an [N/A] only stock prints fails" 1 "only on stock: HASH: whirlpool [N/A] (1, SKIPPED)"
	cmp "$sh" t "$base" "$base"'x test skipped.\n'
	expect "a line printed once more fails" 1 "only on crypt-mt: x test skipped."
	cmp "$sh" t 'a [n/a]\n' 'a [N/A]\n'
	expect "a changed case fails" 1 "only on stock: a [n/a]"
	cmp "$sh" bitlk-compat-test 'aes-cbc-elephant.img [OK]\n' 'aes-cbc-elephant.img [N/A]\n'
	expect "a listed exception is allowed, with its reason" 0 "allowed on crypt-mt only (crypt-mt does not implement the BitLocker elephant"
	cmp "$sh" tcrypt-compat-test 'aes-cbc-elephant.img [OK]\n' 'aes-cbc-elephant.img [N/A]\n'
	expect "an exception of another test is not" 1 "only on crypt-mt: aes-cbc-elephant.img [N/A]"
	cmp "$sh" t '' ''
	expect "empty outputs pass" 0
done
