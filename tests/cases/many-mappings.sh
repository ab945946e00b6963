#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# 64 crypt-mt mappings at once, each with its own key, iv_offset and slice
# of the RAM disks (8 disks x 8 slices), and every other one with
# no_read_workqueue/no_write_workqueue.  One fio run writes and verifies
# all 64 at the same time.  While they exist the module must refuse to
# unload (rmmod and modprobe -r).  Stock dm-crypt then reads what fio wrote
# on a sample of them as crypt-mt did, and after all 64 are removed the module unloads.
#
# timeout: 240
. "$TESTS/lib.sh"
. "$TESTS/stress-lib.sh"

load_targets
N=64
SLICE=4		# MiB per mapping
MB=1		# MiB fio writes into each

# key I: a 512-bit key of its own for mapping I
key() {
	printf '%02x%s' "$1" "${K64#??}"
}
# line I [TARGET]: mapping I's table
line() {
	_o=
	[ $(($1 % 2)) = 1 ] && _o=" 2 no_read_workqueue no_write_workqueue"
	echo "0 $(mib $SLICE) ${2:-crypt-mt} aes-xts-plain64 $(key "$1") $1 $(ramdisk $(($1 / 8))) $(mib $(($1 % 8 * SLICE)))$_o"
}

t0=$(now)
slab0=$(awk '/^Slab:/ { print $2 }' /proc/meminfo)
i=0
while [ $i -lt $N ]; do
	dmsetup create "m$i" --table "$(line $i)" || fail "create m$i"
	i=$((i + 1))
done
[ "$(dmsetup ls --target crypt-mt | grep -c '^m')" = $N ] || fail "not $N crypt-mt mappings"
slab1=$(awk '/^Slab:/ { print $2 }' /proc/meminfo)
echo "ok: $N mappings created ($(($(now) - t0))s, slab +$(((slab1 - slab0) / N)) kB each)"

# ---- module unload refused while mapped ----
! rmmod crypt_mt 2>/dev/null || fail "rmmod crypt_mt succeeded with $N mappings"
! modprobe -r crypt-mt 2>/dev/null || fail "modprobe -r crypt-mt succeeded with $N mappings"
lsmod | grep -q '^crypt_mt ' || fail "crypt_mt gone while mapped"
[ "$(dmsetup ls --target crypt-mt | grep -c '^m')" = $N ] || fail "mappings lost after the unload attempts"
echo "ok: unload refused while mapped"

# ---- verified I/O on all 64 at once ----
set --
i=0
while [ $i -lt $N ]; do
	set -- "$@" --name="m$i" --filename="/dev/mapper/m$i" --randseed=$((i + 1))
	i=$((i + 1))
done
t0=$(now)
fio --thread --ioengine=libaio --direct=1 --iodepth=4 --size=${MB}M --rw=randwrite \
	--bsrange=4k-128k --verify=crc32c --verify_fatal=1 --group_reporting \
	"$@" >"$TMPDIR/fio.log" 2>&1 || { cat "$TMPDIR/fio.log"; fail "fio verify on $N mappings"; }
grep -E '^ *(READ|WRITE):' "$TMPDIR/fio.log"
echo "ok: fio wrote and verified $N mappings at once ($(($(now) - t0))s)"

# ---- stock dm-crypt reads the same data (a sample: each table differs) ----
for i in 0 7 8 33 63; do
	sum=$(devsum "/dev/mapper/m$i" $MB)
	dmsetup remove "m$i" || fail "remove m$i"
	dmsetup create "s$i" --readonly --table "$(line $i crypt)" || fail "create stock s$i"
	[ "$(devsum "/dev/mapper/s$i" $MB)" = "$sum" ] ||
		fail "stock dm-crypt reads other data than crypt-mt on mapping $i"
	dmsetup remove "s$i" || fail "remove s$i"
done
echo "ok: stock dm-crypt reads the same data on mappings 0 7 8 33 63"

t0=$(now)
i=0
while [ $i -lt $N ]; do
	if [ -e "/dev/mapper/m$i" ]; then dmsetup remove "m$i" || fail "remove m$i"; fi
	i=$((i + 1))
done
echo "ok: removed ($(($(now) - t0))s)"
unload_cmt
echo "ok: crypt_mt unloaded"
