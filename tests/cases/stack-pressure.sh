#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Stacks under memory pressure, 1 MiB bios at queue depth 32.  Three stacks
# at once: a 2-level crypt-mt stack (aes, twofish), a 3-level one (aes,
# twofish, serpent), and crypt-mt on a loop device whose file lives on ext4
# on crypt-mt - where one mapping's completions wait for another mapping's
# crypto, which crypt-mt's shared workers must never block.  fio writes and
# verifies the three tops at once while a hog keeps free memory near the
# watermarks (stress-lib.sh: hog_start).  Every pass must verify and nothing
# may hang (the hung-task detector reports after 30 s); afterwards the 2-
# and 3-level stacks read the same as stacks of stock dm-crypt on the same
# disks, and stock dm-crypt on the loop device reads what fio wrote.
#
# timeout: 480
. "$TESTS/lib.sh"
. "$TESTS/stress-lib.sh"

trap 'hog_stop; umount "$TMPDIR/lfs" 2>/dev/null' EXIT
load_targets
MB=32

# qd32 DEV SEED [fio option...]: 1 MiB writes at QD32 over MB MiB, then a
# verifying read at QD32.
qd32() {
	_d=$1 _s=$2
	shift 2
	fio --name=qd32 --filename="$_d" --ioengine=libaio --direct=1 \
		--iodepth=32 --bs=1M --rw=write --size="${MB}M" --verify=crc32c \
		--verify_fatal=1 --randseed="$_s" "$@" >"$TMPDIR/fio.$_s" 2>&1
}

for d in 0 1; do
	dd if=/dev/zero of="$(ramdisk $d)" bs=1M count=$MB oflag=direct 2>/dev/null ||
		fail "prefill $(ramdisk $d)"
done
mkmap a1 crypt-mt aes-xts-plain64 "$K64" "$(ramdisk 0)" "$MB"
mkmap a2 crypt-mt twofish-xts-plain64 "$K64B" /dev/mapper/a1 "$MB"
mkmap b1 crypt-mt aes-xts-plain64 "$K64" "$(ramdisk 1)" "$MB"
mkmap b2 crypt-mt twofish-xts-plain64 "$K64B" /dev/mapper/b1 "$MB"
mkmap b3 crypt-mt serpent-xts-plain64 "$K64C" /dev/mapper/b2 "$MB"

# crypt-mt -> ext4 -> file -> loop -> crypt-mt
mkmap l1 crypt-mt aes-xts-plain64 "$K64" "$(ramdisk 2)" 128
mkfs.ext4 -q /dev/mapper/l1 || fail "mkfs.ext4 on l1"
mkdir -p "$TMPDIR/lfs"
mount -t ext4 /dev/mapper/l1 "$TMPDIR/lfs" || fail "mount l1"
dd if=/dev/zero of="$TMPDIR/lfs/disk" bs=1M count=$MB 2>/dev/null || fail "file on l1"
sync
LOOP=$(/usr/sbin/losetup --show -f "$TMPDIR/lfs/disk") || fail "losetup"
mkmap u1 crypt-mt serpent-xts-plain64 "$K64C" "$LOOP" "$MB"

t0=$(now)
hog_start
pids=
for t in a2:1 b3:2 u1:3; do
	(
		if qd32 "/dev/mapper/${t%:*}" "${t#*:}"; then r=ok; else r=fail; fi
		echo $r >"$TMPDIR/st.${t#*:}"
	) &
	pids="$pids $!"
done
for p in $pids; do wait "$p"; done
hog_stop
echo "fio: 1 MiB at QD32 through the three stacks under memory pressure ($(($(now) - t0))s)"
for t in a2:1 b3:2 u1:3; do
	if [ "$(cat "$TMPDIR/st.${t#*:}" 2>/dev/null)" != ok ]; then
		cat "$TMPDIR/fio.${t#*:}"
		fail "fio write+verify failed through ${t%:*} under memory pressure"
	fi
	grep -E '^ *(READ|WRITE):' "$TMPDIR/fio.${t#*:}" | sed "s/^ */  ${t%:*}: /"
done

# the oracle: the same stacks of stock dm-crypt read the same
rmmap a2 a1 b3 b2 b1
mkmap s1 crypt aes-xts-plain64 "$K64" "$(ramdisk 0)" "$MB"
mkmap s2 crypt twofish-xts-plain64 "$K64B" /dev/mapper/s1 "$MB"
qd32 /dev/mapper/s2 1 --verify_only || fail "stock 2-level stack does not read what crypt-mt wrote"
mkmap t1 crypt aes-xts-plain64 "$K64" "$(ramdisk 1)" "$MB"
mkmap t2 crypt twofish-xts-plain64 "$K64B" /dev/mapper/t1 "$MB"
mkmap t3 crypt serpent-xts-plain64 "$K64C" /dev/mapper/t2 "$MB"
qd32 /dev/mapper/t3 2 --verify_only || fail "stock 3-level stack does not read what crypt-mt wrote"
rmmap u1
mkmap us crypt serpent-xts-plain64 "$K64C" "$LOOP" "$MB"
qd32 /dev/mapper/us 3 --verify_only || fail "stock dm-crypt on the loop file does not read what crypt-mt wrote"
echo "ok: stock dm-crypt reads all three stacks back"
rmmap us
/usr/sbin/losetup -d "$LOOP"
umount "$TMPDIR/lfs" || fail "umount l1"
rmmap s2 s1 t3 t2 t1 l1
unload_cmt
