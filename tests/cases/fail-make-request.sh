#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# fail_make_request under crypt-mt: the RAM disk below fails bios at
# submission (/sys/block/ram0/make-it-fail).  Debug kernel only (Debian's
# kernel has no fault injection); on the debug kernel a missing knob fails.
#
# Every bio failing: reads, writes (4 KiB: converted inline; 1 MiB: in the
# workers) and fsync return EIO, nothing hangs.  One bio in ten failing
# while fio write+verify runs on two mappings (default;
# no_read_workqueue + no_write_workqueue): fio must stop with EIO, never
# with a verify mismatch (a failed read must not be decrypted and handed
# up as data) and never hang.  Afterwards data written before the faults
# reads back, through crypt-mt and stock dm-crypt, and crypt_mt unloads.
#
# kernels: debug
# timeout: 180
. "$TESTS/lib.sh"
. "$TESTS/stress-lib.sh"

FMR=/sys/kernel/debug/fail_make_request
[ -e $FMR/probability ] && [ -e /sys/block/ram0/make-it-fail ] ||
	fail "no fail_make_request knobs: this kernel lacks CONFIG_FAIL_MAKE_REQUEST"

fmr() { # PROBABILITY: 0 turns it off
	echo "$1" >$FMR/probability && echo 1 >$FMR/interval && echo -1 >$FMR/times &&
		echo 0 >$FMR/space && echo 0 >$FMR/verbose || fail "cannot set fail_make_request"
}
trap 'echo 0 >$FMR/probability; echo 0 >/sys/block/ram0/make-it-fail; echo 0 >/sys/block/ram1/make-it-fail' EXIT
fmr 0

load_targets
MB=16
mkmap a crypt-mt aes-xts-plain64 "$K64" "$(ramdisk 0)" $MB
mkmap b crypt-mt aes-xts-plain64 "$K64" "$(ramdisk 1)" $MB no_read_workqueue no_write_workqueue
rand_file "$TMPDIR/d" 4
SUM=$(md5sum <"$TMPDIR/d")
for m in a b; do
	dd if="$TMPDIR/d" of=/dev/mapper/$m bs=1M oflag=direct 2>/dev/null || fail "write $m"
done
echo 1 >/sys/block/ram0/make-it-fail || fail "make-it-fail ram0"
echo 1 >/sys/block/ram1/make-it-fail || fail "make-it-fail ram1"

fmr 100
for m in a b; do
	eio "$m: 4k read" dd if=/dev/mapper/$m of=/dev/null bs=4k count=1 iflag=direct
	eio "$m: 1M read" dd if=/dev/mapper/$m of=/dev/null bs=1M count=1 iflag=direct
	eio "$m: 4k write" dd if="$TMPDIR/d" of=/dev/mapper/$m bs=4k count=1 seek=2048 oflag=direct
	eio "$m: 1M write" dd if="$TMPDIR/d" of=/dev/mapper/$m bs=1M count=1 seek=8 oflag=direct
	eio "$m: buffered write + fsync" /usr/bin/dd if="$TMPDIR/d" of=/dev/mapper/$m bs=64k count=2 seek=192 conv=fsync
done
echo "ok: every bio failing: EIO for reads, writes and fsync on both mappings"

# One bio in ten failing, under fio.
fmr 10
FIO_JOBS=2 FIO_MB=2
for m in a b; do
	( _fio /dev/mapper/$m 5 --offset=8M --loops=50 >"$TMPDIR/fio.$m" 2>&1; echo $? >"$TMPDIR/rc.$m" ) &
done
i=0
while { [ ! -e "$TMPDIR/rc.a" ] || [ ! -e "$TMPDIR/rc.b" ]; } && [ $i -lt 120 ]; do
	sleep 1
	i=$((i + 1))
done
fmr 0
[ -e "$TMPDIR/rc.a" ] && [ -e "$TMPDIR/rc.b" ] || fail "fio still running after 120s of failing bios: hung?"
wait
for m in a b; do
	if [ "$(cat "$TMPDIR/rc.$m")" = 0 ]; then
		cat "$TMPDIR/fio.$m"
		fail "$m: fio passed although one bio in ten failed"
	fi
	if grep -q 'verify: bad\|bad magic\|crc32c: verify failed' "$TMPDIR/fio.$m" ||
		! grep -q 'Input/output error' "$TMPDIR/fio.$m"; then
		cat "$TMPDIR/fio.$m"
		fail "$m: fio failed, but not with EIO"
	fi
done
echo "ok: fio with one bio in ten failing ended with EIO on both mappings (${i}s)"

echo 0 >/sys/block/ram0/make-it-fail
echo 0 >/sys/block/ram1/make-it-fail
for m in a b; do
	[ "$(dd if=/dev/mapper/$m bs=1M count=4 iflag=direct 2>/dev/null | md5sum)" = "$SUM" ] ||
		fail "$m: data written before the faults does not read back"
done
rmmap a b
mkmap s crypt aes-xts-plain64 "$K64" "$(ramdisk 0)" $MB
[ "$(dd if=/dev/mapper/s bs=1M count=4 iflag=direct 2>/dev/null | md5sum)" = "$SUM" ] ||
	fail "stock dm-crypt reads other data"
rmmap s
echo "ok: data written before the faults reads back (crypt-mt and stock)"
unload_cmt
