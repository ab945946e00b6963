#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Transforms are made for online CPUs only.  On 4 vCPUs with CPUs 2 and 3
# offline, an aes:64-cbc-lmk mapping (64 transforms per CPU) must hold
# 64 x 2 cbc(aes) transforms (the reference counts in /proc/crypto), not
# 64 x 4.  CPU 3 coming online gets its own keyed set (64 more), which it
# keeps when it goes offline again; data written on CPU 3 right after it
# came online reads back through stock dm-crypt; removing the mapping gives
# every transform back.
#
# timeout: 240
# cpus: 4
. "$TESTS/lib.sh"
. "$TESTS/stress-lib.sh"
. "$TESTS/compat-lib.sh"

SYSCPU=/sys/devices/system/cpu
all_online() {
	for c in 2 3; do echo 1 >"$SYSCPU/cpu$c/online"; done 2>/dev/null
}
trap all_online EXIT

# refs: the sum of the reference counts of every cbc(aes) implementation
refs() {
	awk '/^name/ { n = $3 } /^refcnt/ { if (n == "cbc(aes)") s += $3 } END { print s + 0 }' /proc/crypto
}

load_targets
modprobe aesni_intel 2>/dev/null
KEY=$(hexkey 1040)
# load the algorithms once, so that the counts below are ours only
mkdm warm "0 $(mib 4) crypt-mt $(rest aes:64-cbc-lmk "$KEY" 0 "$(ramdisk 1)" 0)" || fail "warm-up mapping"
rmdm warm || fail "remove warm-up"

for c in 2 3; do echo 0 >"$SYSCPU/cpu$c/online" || fail "offline cpu$c"; done
[ "$(cat $SYSCPU/online)" = 0-1 ] || fail "online CPUs: $(cat $SYSCPU/online)"
r0=$(refs)
mkdm lmk "0 $(mib 4) crypt-mt $(rest aes:64-cbc-lmk "$KEY" 0 "$(ramdisk 0)" 0)" || fail "lmk mapping"
r1=$(refs)
echo "cbc(aes) references: $r0 before, $r1 with the mapping (2 CPUs online of 4)"
[ $((r1 - r0)) -eq 128 ] || fail "expected 64 x 2 transforms for 2 online CPUs, got $((r1 - r0))"

echo 1 >"$SYSCPU/cpu3/online" || fail "online cpu3"
r2=$(refs)
echo "cbc(aes) references: $r2 after CPU 3 came online"
[ $((r2 - r1)) -eq 64 ] || fail "CPU 3 came online: expected 64 more transforms, got $((r2 - r1))"
rand_file "$TMPDIR/w" 4
taskset -c 3 dd if="$TMPDIR/w" of=/dev/mapper/lmk bs=64k count=64 oflag=direct status=none ||
	fail "write on CPU 3"
echo 0 >"$SYSCPU/cpu3/online" || fail "offline cpu3 again"
[ "$(refs)" -eq "$r2" ] || fail "CPU 3 went offline: its transforms must stay ($(refs) != $r2)"
echo 1 >"$SYSCPU/cpu3/online" || fail "online cpu3 again"
[ "$(refs)" -eq "$r2" ] || fail "CPU 3 came back: no new transforms expected ($(refs) != $r2)"
rmdm lmk || fail "remove lmk"
[ "$(refs)" -eq "$r0" ] || fail "transforms left after the mapping went: $(refs) != $r0"

mkdm st "0 $(mib 4) crypt $(rest aes:64-cbc-lmk "$KEY" 0 "$(ramdisk 0)" 0)" --readonly || fail "stock mapping"
dd if=/dev/mapper/st of="$TMPDIR/r" bs=1M count=4 iflag=direct status=none || fail "stock read"
rmdm st
same_file "$TMPDIR/w" "$TMPDIR/r" || fail "stock reads other data than crypt-mt wrote on CPU 3"
echo "ok: transforms for online CPUs only, CPU 3's set keyed when it came online"
all_online
unload_cmt
