#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Allocation failures (failslab, fail_page_alloc) in table loads, key
# messages and I/O.  Debug kernel only: Debian's kernel has no fault
# injection; on the debug kernel a missing knob fails the test.
#
# Table loads and key messages: tests/tools' dmfault sweeps every
# allocation of the operation in turn (/proc/thread-self/fail-nth: the Nth
# slab or page allocation of that one ioctl fails, sleeping ones included),
# N = 1, 2, ... (for table loads every 3rd N) until the operation gets
# through without reaching its Nth.
# Each failed load must leave no table behind, each failed key message a
# mapping that the next `key set` repairs.  Tables: aes-xts-plain64 with a
# hex key, aes-cbc-essiv:sha256 with a logon key and sector_size:4096,
# aes:4-cbc-lmk (4 keys, an MD5 transform); messages: `key set` (hex and
# keyring) and `key wipe`.  Then every mapping's data must read back.
#
# I/O: fio write+verify on two mappings (default; no_read_workqueue +
# no_write_workqueue) while every allocation that may not sleep made by
# fio's processes (where crypt-mt's map() and inline conversions run) fails
# with probability 1/2: crypt-mt must fall back to its reserves and
# workers, and fio must verify without a single error.
#
# At the end: no splat (the harness), no new kmemleak report, crypt_mt
# unloads.
#
# kernels: debug
# timeout: 240
. "$TESTS/lib.sh"
. "$TESTS/stress-lib.sh"

if [ -z "$FAULTINJ_SESSION" ]; then
	export FAULTINJ_SESSION=1
	exec keyctl session - sh "$0" "$@"
fi

DBG=/sys/kernel/debug
for f in $DBG/failslab/probability $DBG/fail_page_alloc/min-order /proc/self/fail-nth \
	/proc/self/make-it-fail $DBG/kmemleak; do
	[ -e "$f" ] || fail "no $f: this kernel lacks fault injection or kmemleak (scripts/debug-kernel.config)"
done

# fi_set ATTR KNOB VALUE... (set probability last: it arms the attribute)
fi_set() {
	_a=$1
	shift
	while [ $# -gt 1 ]; do
		echo "$2" >"$DBG/$_a/$1" || fail "cannot set $_a/$1 = $2"
		shift 2
	done
}
# Quiet (one line per failure, ratelimited, never a stack dump: that would
# read as a splat), and nothing fails unless asked.
fi_reset() {
	for _a in failslab fail_page_alloc; do
		echo 0 >"$DBG/$_a/probability"
		fi_set $_a interval 1 times -1 space 0 verbose 1 task-filter N ignore-gfp-wait N
	done
	fi_set fail_page_alloc ignore-gfp-highmem N min-order 0
}
trap 'fi_reset 2>/dev/null' EXIT
fi_reset
echo clear >$DBG/kmemleak

load_targets
modprobe dm-crypt || fail "dm-crypt"
head -c 32 /dev/urandom >"$TMPDIR/k32"
keyctl padd logon cmt:fi @s <"$TMPDIR/k32" >/dev/null || fail "keyctl padd"
K32HEX=$(od -An -v -tx1 <"$TMPDIR/k32" | tr -d ' \n')
LMKKEY=$(head -c $((4 * 32)) /dev/urandom | od -An -v -tx1 | tr -d ' \n')

# Each table is loaded once first (crypto modules load on demand) and that
# mapping is kept during the sweep: it keeps dm's bio slab of that size in
# use, so a failure inside kmem_cache_create() (dm core, whose warning
# comes with a stack dump) is not among the points swept.
L=$(mib 8)
set -- \
	"0 $L crypt-mt aes-xts-plain64 $K64 0 $(ramdisk 0) 0" \
	"0 $L crypt-mt aes-cbc-essiv:sha256 :32:logon:cmt:fi 0 $(ramdisk 1) 0 1 sector_size:4096" \
	"0 $L crypt-mt aes:4-cbc-lmk $LMKKEY 0 $(ramdisk 2) 0"
i=0
for t in "$@"; do
	dmsetup create "keep$i" --table "$t" || fail "table '$t' does not load without faults"
	i=$((i + 1))
done

# Every 3rd point (from a random one of the first 3): the page pool alone
# has 256 points of one kind, and a full sweep of the three tables takes
# over 5 minutes on the debug kernel.  Repeated runs cover every point.
t0=$(now)
i=0
for t in "$@"; do
	dmfault --step 3 sweep-load "fl$i" "$t" >"$TMPDIR/sweep" 2>&1 || {
		cat "$TMPDIR/sweep"
		fail "sweep of table $i went wrong"
	}
	echo "table $i ($(echo "$t" | cut -d' ' -f4)): $(cat "$TMPDIR/sweep")"
	grep -q ': [1-9][0-9]* points: [1-9]' "$TMPDIR/sweep" || fail "table $i: no allocation failed in its load?"
	i=$((i + 1))
done
dmsetup remove_all || fail "remove the kept mappings"
echo "ok: table loads swept ($(($(now) - t0))s)"

# ---- key messages ----
t0=$(now)
rand_file "$TMPDIR/data" 4
SUM=$(md5sum <"$TMPDIR/data")
set -- \
	"km0|0 $L crypt-mt aes-xts-plain64 $K64 0 $(ramdisk 0) 0|key set $K64" \
	"km1|0 $L crypt-mt aes-cbc-essiv:sha256 :32:logon:cmt:fi 0 $(ramdisk 1) 0|key set :32:logon:cmt:fi" \
	"km2|0 $L crypt-mt aes-cbc-essiv:sha256 $K32HEX 0 $(ramdisk 2) 0|key set $K32HEX"
for m in "$@"; do
	name=${m%%|*} rest=${m#*|}
	tbl=${rest%%|*} msg=${rest#*|}
	dmsetup create "$name" --table "$tbl" || fail "create $name"
	dd if="$TMPDIR/data" of="/dev/mapper/$name" bs=1M oflag=direct 2>/dev/null || fail "write $name"
	dmsetup suspend "$name" || fail "suspend $name"
	dmfault sweep-message "$name" "$msg" >"$TMPDIR/sweep" 2>&1 ||
		{ cat "$TMPDIR/sweep"; fail "$name: sweep of '${msg%% *} ${msg#* }' went wrong"; }
	echo "$name key set: $(cat "$TMPDIR/sweep")"
	dmfault sweep-message "$name" "key wipe" "$msg" >"$TMPDIR/sweep" 2>&1 ||
		{ cat "$TMPDIR/sweep"; fail "$name: sweep of key wipe went wrong"; }
	echo "$name key wipe: $(cat "$TMPDIR/sweep")"
	dmsetup resume "$name" || fail "$name does not resume after the sweeps"
	[ "$(dd if="/dev/mapper/$name" bs=1M count=4 iflag=direct 2>/dev/null | md5sum)" = "$SUM" ] ||
		fail "$name: data does not read back after the key message sweeps"
	dmsetup remove "$name" || fail "remove $name"
done
echo "ok: key messages swept, data intact ($(($(now) - t0))s)"

# ---- I/O with failing non-sleeping allocations in fio's processes ----
for a in failslab fail_page_alloc; do
	fi_set $a times 100000000 task-filter Y ignore-gfp-wait Y verbose 0 probability 50
done
FIO_JOBS=2 FIO_MB=6
mkmap io0 crypt-mt aes-xts-plain64 "$K64" "$(ramdisk 4)" 12
mkmap io1 crypt-mt aes-xts-plain64 "$K64" "$(ramdisk 5)" 12 no_read_workqueue no_write_workqueue
t0=$(now)
for i in 0 1; do
	(
		echo 1 >/proc/self/make-it-fail
		fio_verify "/dev/mapper/io$i" $((i + 1)) --loops=2 --iodepth=16 >"$TMPDIR/fio$i.log" 2>&1
		echo $? >"$TMPDIR/fio$i.rc"
	) &
done
wait
made=0
for a in failslab fail_page_alloc; do
	n=$((100000000 - $(cat $DBG/$a/times)))
	echo "I/O: $a failed $n allocations"
	made=$((made + n))
done
fi_reset
for i in 0 1; do
	[ "$(cat "$TMPDIR/fio$i.rc")" = 0 ] || {
		cat "$TMPDIR/fio$i.log"
		fail "fio verify on io$i failed while allocations failed"
	}
	cat "$TMPDIR/fio$i.log"
done
[ $made -gt 0 ] || fail "no allocation failed during the I/O: the test tested nothing"
for i in 0 1; do
	mkmap "st$i" crypt aes-xts-plain64 "$K64" "$(ramdisk $((4 + i)))" 12
	same_dev "/dev/mapper/io$i" "/dev/mapper/st$i" || fail "io$i: stock dm-crypt reads other data"
done
echo "ok: fio verified under $made failed allocations ($(($(now) - t0))s)"

unload_cmt
echo scan >$DBG/kmemleak
sleep 5
echo scan >$DBG/kmemleak
# (debugfs files have size 0: read the report before testing it)
cat $DBG/kmemleak >"$TMPDIR/leaks"
if [ -s "$TMPDIR/leaks" ]; then
	head -n 60 "$TMPDIR/leaks"
	fail "kmemleak reports leaks after the fault injection"
fi
echo "ok: no leak, crypt_mt unloaded"
