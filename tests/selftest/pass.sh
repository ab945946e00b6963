#!/bin/sh
# Harness self-test: passes.  Run after a failing self-test, it shows that the
# harness goes on (in the same VM, or in a fresh one after a crash).
# timeout: 30
. /tests/lib.sh
[ -e "$(ramdisk 7)" ] || fail "no $(ramdisk 7)"
dmsetup create selftest-pass --table "0 8 zero" || fail "dmsetup create"
dmsetup remove selftest-pass || fail "dmsetup remove"
echo "selftest pass: ok"
