#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Harness self-test: a guest test that hangs past its "# timeout: 5" must be
# killed and reported as TIMEOUT, and the next test must still run and pass in
# the same VM.
set -euo pipefail
cd "$(dirname "$0")/../.."

logs=build/test-logs/host-harness-timeout
out=$(scripts/vm-test --logdir $logs tests/selftest/hang.sh tests/selftest/pass.sh 2>&1) && rc=0 || rc=$?
echo "$out"
bad() { echo "harness-timeout: $*"; exit 1; }

((rc != 0)) || bad "vm-test exited 0 although a test timed out"
grep -q '^FAIL hang: TIMEOUT$' <<<"$out" || bad "no 'FAIL hang: TIMEOUT' line"
grep -q 'harness: test timed out after 5s' $logs/hang.log || bad "the test's '# timeout: 5' was not applied"
grep -q '^PASS pass$' <<<"$out" || bad "the test after the timeout did not pass"
[[ $(tail -n 1 <<<"$out") == "1 passed, 1 failed" ]] || bad "wrong summary line"
# Both tests in one VM: the timeout must not cost the VM.  A boot that died
# before it ran any test (vm-test retries that once; TCG can oops while the
# kernel patches its own code at boot) does not count against it.
same=0 other=0
for r in "$logs"/results-*.log; do
	if grep -q '^RESULT hang ' "$r" && grep -q '^RESULT pass ' "$r"; then
		same=1
	elif grep -q '^START ' "$r"; then
		other=1
	fi
done
((same && !other)) || bad "expected both tests in one VM: $(grep -H '^RESULT' "$logs"/results-*.log | tr '\n' ' ')"
echo "harness-timeout: ok"
