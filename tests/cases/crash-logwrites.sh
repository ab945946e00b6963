#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Crash consistency: every state the disk can be in after a flush or FUA
# that crypt-mt acknowledged is a clean filesystem.
#
# ext4 on crypt-mt on dm-log-writes (data: RAM disk 0, log: RAM disk 1), so
# the log holds the ciphertext writes crypt-mt sent down, in the order they
# became stable.  mkfs, a mark, then a small fsync workload: fio random
# writes with fsync every 4 writes, and files created, renamed, appended and
# removed with fsync/sync in between; umount, a last mark.  tests/tools'
# lwreplay then replays the log onto an empty disk (RAM disk 2), and at the
# mkfs mark and at every flush/FUA entry after it copies that disk (RAM disk
# 3), opens crypt-mt on the copy, lets e2fsck replay the ext4 journal as a
# mount would, and runs `e2fsck -fn`: it must find nothing.  At the end the
# replayed disk must equal the data disk (nothing crypt-mt acknowledged is
# missing from the log) and the fio files read back with the checksums they
# had before umount.
#
# timeout: 300
. "$TESTS/lib.sh"
. "$TESTS/stress-lib.sh"

load_targets
modprobe dm-log-writes || fail "cannot load dm-log-writes"
DATA=$(ramdisk 0) LOG=$(ramdisk 1) REPLAY=$(ramdisk 2) COPY=$(ramdisk 3)
MB=16
L=$(mib $MB)
TBL="0 $L crypt-mt aes-xts-plain64 $K64 0"
MNT=$TMPDIR/mnt
mkdir -p "$MNT"

dmsetup create lw --table "0 $L log-writes $DATA $LOG" || fail "create log-writes"
dmsetup create cw --table "$TBL /dev/mapper/lw 0" || fail "create crypt-mt on log-writes"
mkfs.ext4 -q -b 4096 -E lazy_itable_init=0,lazy_journal_init=0 /dev/mapper/cw ||
	fail "mkfs.ext4"
dmsetup message lw 0 mark mkfs || fail "mark mkfs"

t0=$(now)
mount -t ext4 -o noinit_itable /dev/mapper/cw "$MNT" || fail "mount"
fio --name=fsync --directory="$MNT" --nrfiles=2 --size=128k --bs=4k --rw=randwrite \
	--fsync=4 --ioengine=psync --randseed=7 >"$TMPDIR/fio.log" 2>&1 || {
	cat "$TMPDIR/fio.log"
	fail "fio fsync workload"
}
mkdir "$MNT/d" || fail "mkdir"
i=0
while [ $i -lt 4 ]; do
	dd if=/dev/urandom of="$MNT/d/f$i" bs=4k count=$((i + 1)) conv=fsync 2>/dev/null ||
		fail "write f$i"
	[ $i -gt 0 ] && { mv "$MNT/d/f$((i - 1))" "$MNT/d/g$i" || fail "mv"; }
	[ $i -gt 1 ] && { rm "$MNT/d/g$((i - 1))" || fail "rm"; }
	dd if=/dev/urandom bs=1k count=3 2>/dev/null >>"$MNT/d/f$i" || fail "append f$i"
	sync
	i=$((i + 1))
done
(cd "$MNT" && md5sum fsync.* d/*) >"$TMPDIR/sums" || fail "md5sum"
umount "$MNT" || fail "umount"
dmsetup message lw 0 mark end || fail "mark end"
dmsetup remove cw || fail "remove cw"
dmsetup remove lw || fail "remove lw"
echo "workload: $(wc -l <"$TMPDIR/sums") files, $(($(now) - t0))s"
lwreplay --list "$LOG" >"$TMPDIR/entries" || fail "lwreplay --list"
echo "log: $(grep -c ' FLUSH' "$TMPDIR/entries") flush and $(grep -c 'FUA' "$TMPDIR/entries") FUA entries of $(wc -l <"$TMPDIR/entries")"

# The check at each point: copy, journal replay on the copy, fsck.
cat >"$TMPDIR/check" <<EOF
dd if=$REPLAY of=$COPY bs=1M count=$MB 2>/dev/null || exit 10
dmsetup create chk --table "$TBL $COPY 0" || exit 11
e2fsck -E journal_only -y /dev/mapper/chk >$TMPDIR/journal.out 2>&1
e2fsck -fn /dev/mapper/chk >$TMPDIR/fsck.out 2>&1
r=\$?
dmsetup remove chk || exit 12
if [ \$r != 0 ]; then
	echo "e2fsck -fn found problems after entry \$LWREPLAY_ENTRY (\$LWREPLAY_FLAGS):"
	cat $TMPDIR/journal.out $TMPDIR/fsck.out
fi
exit \$r
EOF
t0=$(now)
lwreplay --start-mark mkfs --check both --check-cmd "sh $TMPDIR/check" "$LOG" "$REPLAY" \
	>"$TMPDIR/replay.log" 2>&1
r=$?
grep -v ': mark ' "$TMPDIR/replay.log" | tail -n 30
[ $r = 0 ] || fail "a replayed flush/FUA point is not a clean filesystem (see above)"
n=$(sed -n 's/.* \([0-9]*\) check points checked.*/\1/p' "$TMPDIR/replay.log")
[ "${n:-0}" -ge 10 ] || fail "only ${n:-0} check points: the workload did not flush as expected"
echo "ok: $n flush/FUA points replayed, each a clean filesystem ($(($(now) - t0))s)"

# Everything crypt-mt acknowledged reached the log: replay == data disk.
cmp -n $((MB * 1048576)) "$REPLAY" "$DATA" || fail "the replayed disk differs from the data disk"
dmsetup create fin --table "$TBL $REPLAY 0" || fail "create fin"
mount -t ext4 -o ro /dev/mapper/fin "$MNT" || fail "mount the replayed disk"
(cd "$MNT" && md5sum -c "$TMPDIR/sums" >/dev/null) || fail "files differ on the replayed disk"
umount "$MNT"
dmsetup remove fin
echo "ok: the replayed disk equals the data disk and holds every file as written"
unload_cmt
