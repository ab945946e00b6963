#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# CPU hotplug under I/O.  fio write+verify passes run on two crypt-mt
# mappings (default options, and no_read_workqueue + no_write_workqueue)
# while CPUs 1..3 go offline one by one and come back, several times, plus
# quick off/on flips.  Work queued on a CPU that goes away must still run:
# every pass must verify, nothing may hang, and the last pass's data must
# read back through stock dm-crypt.
#
# timeout: 300
# cpus: 4
. "$TESTS/lib.sh"
. "$TESTS/stress-lib.sh"

SYSCPU=/sys/devices/system/cpu
for c in 1 2 3; do
	[ -w "$SYSCPU/cpu$c/online" ] || fail "needs CPUs 1..3 that can go offline"
done
# Whatever happens, leave every CPU online for the tests after this one.
all_online() {
	for c in 1 2 3; do echo 1 >"$SYSCPU/cpu$c/online"; done 2>/dev/null
}
trap all_online EXIT

cpu() { # N 0|1
	echo "$2" >"$SYSCPU/cpu$1/online" || fail "cannot set cpu$1 online=$2"
}

load_targets
MB=$((FIO_JOBS * FIO_MB))
mkmap hp0 crypt-mt aes-xts-plain64 "$K64" "$(ramdisk 0)" "$MB"
mkmap hp1 crypt-mt aes-xts-plain64 "$K64" "$(ramdisk 1)" "$MB" no_read_workqueue no_write_workqueue

t0=$(now)
fio_loop_bg a /dev/mapper/hp0
fio_loop_bg b /dev/mapper/hp1
sleep 1
round=0 flips=0
while [ $round -lt 4 ] && fio_loop_running a && fio_loop_running b; do
	for c in 1 2 3; do
		cpu $c 0
		sleep 0.5
	done
	# Only CPU 0 left: all queued work and all completions end up there.
	sleep 1
	for c in 3 2 1; do
		cpu $c 1
		sleep 0.5
	done
	for c in 2 1 3 2; do
		cpu $c 0
		cpu $c 1
		flips=$((flips + 1))
	done
	round=$((round + 1))
done
echo "ok: $round hotplug rounds (+$flips quick flips) under fio ($(($(now) - t0))s)"
[ "$(cat $SYSCPU/online)" = 0-3 ] || fail "CPUs online at the end: $(cat $SYSCPU/online)"

fio_loop_wait a
sa=$LOOP_SEED
fio_loop_wait b
sb=$LOOP_SEED
echo "ok: $sa + $sb fio passes verified"
[ "$round" -ge 2 ] || fail "fio ended before two hotplug rounds were done"

mkmap st0 crypt aes-xts-plain64 "$K64" "$(ramdisk 0)" "$MB"
mkmap st1 crypt aes-xts-plain64 "$K64" "$(ramdisk 1)" "$MB"
fio_verify_only /dev/mapper/st0 "$sa" || fail "stock dm-crypt: hp0's last pass lost"
fio_verify_only /dev/mapper/st1 "$sb" || fail "stock dm-crypt: hp1's last pass lost"
unload_cmt
