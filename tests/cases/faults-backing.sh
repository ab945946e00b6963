#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Backing-device faults under crypt-mt: an error from below reaches the
# caller as EIO, nothing hangs, and data written before the fault reads
# back afterwards (also through stock dm-crypt).
#
# dm-flakey under crypt-mt, switched by table reloads while crypt-mt stays
# live: up (data written), error_writes (writes and flushes fail with EIO,
# reads work), down (everything fails), up again.  fio write+verify is
# running when the device goes down: it must stop with an I/O error, not
# hang.  dm-delay under crypt-mt: fio verify through a 100 ms delay; a
# suspend while delayed writes are in flight waits for them and loses
# nothing.  Both stacked (crypt-mt on delay on flakey): writes sitting in
# the delay queue when flakey goes down come back as EIO.
#
# timeout: 240
. "$TESTS/lib.sh"
. "$TESTS/stress-lib.sh"

load_targets
modprobe dm-flakey || fail "cannot load dm-flakey"
modprobe dm-delay || fail "cannot load dm-delay"
MB=16
L=$(mib $MB)

# flakey NAME MODE: reload flakey mapping NAME (on $FLDEV) as up, down or
# error_writes; crypt-mt above it stays live (dm suspends NAME for the swap).
flakey() {
	case $2 in
	up) _ft="0 $L flakey $FLDEV 0 3600 0" ;;
	down) _ft="0 $L flakey $FLDEV 0 0 3600" ;;
	error_writes) _ft="0 $L flakey $FLDEV 0 0 3600 1 error_writes" ;;
	esac
	if dmsetup info "$1" >/dev/null 2>&1; then
		dmsetup reload "$1" --table "$_ft" && dmsetup resume "$1" || fail "flakey $1 -> $2"
	else
		dmsetup create "$1" --table "$_ft" || fail "create flakey $1"
	fi
}

# ---- dm-flakey ----
FLDEV=$(ramdisk 0)
flakey fl up
mkmap cf crypt-mt aes-xts-plain64 "$K64" /dev/mapper/fl $MB
rand_file "$TMPDIR/d1" 4
dd if="$TMPDIR/d1" of=/dev/mapper/cf bs=1M oflag=direct conv=fsync 2>/dev/null || fail "write d1"
SUM1=$(md5sum <"$TMPDIR/d1")

flakey fl error_writes
eio "direct write (error_writes)" dd if="$TMPDIR/d1" of=/dev/mapper/cf bs=64k count=4 seek=128 oflag=direct
eio "4k direct write (error_writes)" dd if="$TMPDIR/d1" of=/dev/mapper/cf bs=4k count=1 seek=2048 oflag=direct
eio "buffered write + fsync (error_writes)" /usr/bin/dd if="$TMPDIR/d1" of=/dev/mapper/cf bs=64k count=4 seek=96 conv=fsync
[ "$(dd if=/dev/mapper/cf bs=1M count=4 iflag=direct 2>/dev/null | md5sum)" = "$SUM1" ] ||
	fail "reads while writes fail: other data"
echo "ok: reads work while writes fail"

flakey fl down
eio "direct read (down)" dd if=/dev/mapper/cf of=/dev/null bs=1M count=4 iflag=direct
eio "4k direct read (down)" dd if=/dev/mapper/cf of=/dev/null bs=4k count=1 iflag=direct
eio "direct write (down)" dd if="$TMPDIR/d1" of=/dev/mapper/cf bs=1M count=1 seek=8 oflag=direct

# fio verify running when the device goes down: it must end with EIO.
flakey fl up
FIO_JOBS=2 FIO_MB=4
( _fio /dev/mapper/cf 1 --offset=8M --loops=1000 >"$TMPDIR/fio.out" 2>&1; echo $? >"$TMPDIR/fio.rc" ) &
FIOPID=$!
sleep 3
[ -e "$TMPDIR/fio.rc" ] && { cat "$TMPDIR/fio.out"; fail "fio ended before the fault"; }
flakey fl down
i=0
while [ ! -e "$TMPDIR/fio.rc" ] && [ $i -lt 60 ]; do
	sleep 1
	i=$((i + 1))
done
[ -e "$TMPDIR/fio.rc" ] || fail "fio still running 60s after its device went down: hung?"
wait $FIOPID
[ "$(cat "$TMPDIR/fio.rc")" != 0 ] || fail "fio succeeded although its device went down"
grep -q 'Input/output error' "$TMPDIR/fio.out" || {
	cat "$TMPDIR/fio.out"
	fail "fio failed, but not with EIO"
}
echo "ok: fio running at the fault ended with EIO after ${i}s"

flakey fl up
[ "$(dd if=/dev/mapper/cf bs=1M count=4 iflag=direct 2>/dev/null | md5sum)" = "$SUM1" ] ||
	fail "data written before the faults does not read back"
rmmap cf
mkmap sf crypt aes-xts-plain64 "$K64" /dev/mapper/fl $MB
[ "$(dd if=/dev/mapper/sf bs=1M count=4 iflag=direct 2>/dev/null | md5sum)" = "$SUM1" ] ||
	fail "stock dm-crypt reads other data after the faults"
rmmap sf fl
echo "ok: data written before the faults reads back (crypt-mt and stock)"

# ---- dm-delay ----
dmsetup create dl --table "0 $L delay $(ramdisk 1) 0 100" || fail "create delay"
mkmap cd crypt-mt aes-xts-plain64 "$K64" /dev/mapper/dl $MB
FIO_JOBS=2 FIO_MB=2
fio_verify /dev/mapper/cd 3 --iodepth=16 || fail "fio verify through a 100 ms delay"
# A suspend with delayed writes in flight waits for them.
rand_file "$TMPDIR/d2" 4
dd if="$TMPDIR/d2" of=/dev/mapper/cd bs=64k seek=128 oflag=direct 2>"$TMPDIR/dd.err" &
DDPID=$!
sleep 1
dmsetup suspend cd || fail "suspend with delayed writes in flight"
dmsetup resume cd || fail "resume"
wait $DDPID || { cat "$TMPDIR/dd.err"; fail "write across the suspend failed"; }
[ "$(dd if=/dev/mapper/cd bs=64k skip=128 count=64 iflag=direct 2>/dev/null | md5sum)" = "$(md5sum <"$TMPDIR/d2")" ] ||
	fail "data written across a suspend with delayed I/O differs"
rmmap cd dl
echo "ok: dm-delay: fio verify, suspend waits for delayed I/O"

# ---- crypt-mt on delay on flakey: EIO for writes still in the delay queue ----
FLDEV=$(ramdisk 2)
flakey fl2 up
dmsetup create dl2 --table "0 $L delay /dev/mapper/fl2 0 500" || fail "create delay on flakey"
mkmap cdf crypt-mt aes-xts-plain64 "$K64" /dev/mapper/dl2 $MB
dd if="$TMPDIR/d1" of=/dev/mapper/cdf bs=1M oflag=direct 2>/dev/null || fail "write d1 (stacked)"
dd if="$TMPDIR/d2" of=/dev/mapper/cdf bs=64k seek=64 oflag=direct >"$TMPDIR/dd2.out" 2>&1 &
DDPID=$!
sleep 1
flakey fl2 down
wait $DDPID && fail "writes queued in dm-delay when flakey went down succeeded"
grep -q 'Input/output error' "$TMPDIR/dd2.out" || { cat "$TMPDIR/dd2.out"; fail "queued writes failed, but not with EIO"; }
flakey fl2 up
[ "$(dd if=/dev/mapper/cdf bs=1M count=4 iflag=direct 2>/dev/null | md5sum)" = "$SUM1" ] ||
	fail "stacked: data written before the fault does not read back"
echo "ok: writes in the delay queue when the device failed: EIO; earlier data intact"
unload_cmt
