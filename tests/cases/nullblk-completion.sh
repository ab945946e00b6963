#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Completion contexts.  crypt-mt decrypts a read where it completes when
# that context allows it, and must never sleep there.  null_blk (memory
# backed) completes in three ways:
#   irqmode=0  inside submit (->queue_rq, under RCU): the read completion
#              runs in the submitting task, where nothing may sleep;
#   irqmode=1  in softirq: large reads go to a worker, small ones are
#              decrypted in softirq;
#   irqmode=2  in a timer (hard IRQ): every read goes to a worker.
# With spreading forced, large reads go down in pieces, and a piece that is
# not the last back sends helpers from that context (the `pieces` counter
# must move).
# For each, two crypt-mt layers (so the upper layer's completion also runs
# inside the lower layer's job) take fio write+verify, first with the
# default controls, then with spreading forced; then stock dm-crypt on the
# same device reads everything back.  On the debug kernel
# (DEBUG_ATOMIC_SLEEP, lockdep, RCU checks) any sleep in those contexts is
# a splat, which fails the test.
#
# timeout: 420
. "$TESTS/lib.sh"
. "$TESTS/stress-lib.sh"

trap 'dmsetup remove_all 2>/dev/null; rmmod null_blk 2>/dev/null' EXIT
load_targets
MB=$((FIO_JOBS * FIO_MB))

for irq in 0 1 2; do
	rmmod null_blk 2>/dev/null
	modprobe null_blk nr_devices=1 queue_mode=2 irqmode=$irq memory_backed=1 \
		gb=1 bs=512 || fail "modprobe null_blk irqmode=$irq"
	N=/dev/nullb0
	[ -b $N ] || fail "no $N"
	mkmap n1 crypt-mt aes-xts-plain64 "$K64" $N "$MB"
	mkmap n2 crypt-mt twofish-cbc-essiv:sha256 "$K32" /dev/mapper/n1 "$MB"
	fio_verify /dev/mapper/n2 1 || fail "irqmode=$irq: fio verify, default controls"
	fio_verify_spread /dev/mapper/n2 2 "irqmode=$irq"
	rmmap n2 n1
	mkmap s1 crypt aes-xts-plain64 "$K64" $N "$MB"
	mkmap s2 crypt twofish-cbc-essiv:sha256 "$K32" /dev/mapper/s1 "$MB"
	fio_verify_only /dev/mapper/s2 2 --bsrange=4k-1m ||
		fail "irqmode=$irq: stock dm-crypt does not read back what crypt-mt wrote"
	rmmap s2 s1
	echo "ok: irqmode=$irq"
done
rmmod null_blk || fail "rmmod null_blk"
unload_cmt
