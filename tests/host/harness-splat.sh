#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Harness self-test: a kernel WARNING during a guest test must fail that test
# with reason SPLAT and show the warning, and a fresh VM must run the tests
# after it (the WARNING panics the guest: panic_on_warn).
set -euo pipefail
cd "$(dirname "$0")/../.."

# the splat module for the kernel crypt-mt.ko was built for (the VM boots that one)
make -s -C tests/splat KVER="${KVER:-$(modinfo -F vermagic crypt-mt.ko | awk '{ print $1 }')}" >/dev/null
out=$(scripts/vm-test --logdir build/test-logs/host-harness-splat \
	--ko crypt-mt.ko --ko tests/splat/crypt_mt_splat.ko \
	tests/selftest/splat.sh tests/selftest/pass.sh 2>&1) && rc=0 || rc=$?
echo "$out"
bad() { echo "harness-splat: $*"; exit 1; }

((rc != 0)) || bad "vm-test exited 0 although a test made a splat"
grep -q '^FAIL splat: SPLAT' <<<"$out" || bad "no 'FAIL splat: SPLAT' line"
grep -q 'WARNING: CPU: .*crypt_mt_splat' <<<"$out" || bad "the WARNING text was not shown"
grep -q '^PASS pass$' <<<"$out" || bad "the test after the crash did not run and pass in a fresh VM"
[[ $(tail -n 1 <<<"$out") == "1 passed, 1 failed" ]] || bad "wrong summary line"
grep -q 'WARNING:' build/test-logs/host-harness-splat/splat.log || bad "per-test log lacks the splat"
echo "harness-splat: ok"
