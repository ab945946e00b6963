#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The bounce-page cap.  Write bounce pages in flight, over all mappings,
# stay under 2 % of memory (as stock dm-crypt: shared equally by the
# mappings, but each may always have one largest bio in flight).  16
# crypt-mt mappings on dm-delay devices (writes held 1.5 s) take 1 MiB
# writes at queue depth 16 from 16 fio jobs spread over the vCPUs, which
# without a cap would hold ~256 MiB of bounce pages.  The delay is what
# makes the load press on the cap whatever the speed of the CPUs: pages in
# flight are about encryption rate x delay, and at 100 ms a slow CI machine
# (~40 MiB/s) stayed at half the 39 MiB cap.  At 1.5 s any rate above
# 26 MiB/s reaches it.  Sampled every 0.1 s
# while they run: the pages in flight (/sys/kernel/debug/crypt-mt/pages)
# never exceed the cap and come close to it (the load does press on it),
# and MemFree stays above the zones' min watermarks.  Then everything
# written reads back (fio verify) through crypt-mt and, for one mapping,
# through stock dm-crypt.
#
# timeout: 300
. "$TESTS/lib.sh"
. "$TESTS/stress-lib.sh"

load_targets
modprobe dm-delay || fail "modprobe dm-delay"
N=16
MB=16
i=0
while [ $i -lt $N ]; do
	disk=$(ramdisk $((i / 4)))
	off=$(( (i % 4) * MB * 2048 ))
	dmsetup create dly$i --table "0 $(mib $MB) delay $disk $off 0 $disk $off 1500" ||
		fail "dm-delay $i"
	mkmap cap$i crypt-mt aes-xts-plain64 "$K64" /dev/mapper/dly$i "$MB"
	i=$((i + 1))
done
PAGES=/sys/kernel/debug/crypt-mt/pages
CAP=$(awk '$1 == "cap_total" { print $2 }' $PAGES)
MINWM=$(awk '$1 == "min" { s += $2 } END { print s * 4 }' /proc/zoneinfo)
echo "cap: $CAP pages ($((CAP * 4 / 1024)) MiB); min watermarks: $MINWM kB"
[ -n "$CAP" ] && [ "$CAP" -gt 0 ] || fail "no cap in $PAGES"

rm -f "$TMPDIR/stop"
(
	max=0 minfree=
	while [ ! -e "$TMPDIR/stop" ]; do
		p=$(awk '$1 == "in_flight" { print $2 }' $PAGES)
		f=$(awk '/^MemFree:/ { print $2 }' /proc/meminfo)
		[ "$p" -gt "$max" ] && max=$p
		[ -z "$minfree" ] || [ "$f" -lt "$minfree" ] && minfree=$f
		sleep 0.1
	done
	echo "$max $minfree" >"$TMPDIR/samples"
) &
SAMPLER=$!

args=
i=0
while [ $i -lt $N ]; do
	args="$args --name=w$i --filename=/dev/mapper/cap$i"
	i=$((i + 1))
done
t0=$(now)
# shellcheck disable=SC2086
fio --ioengine=libaio --direct=1 --bs=1M --iodepth=16 --rw=write \
	--size=${MB}M --verify=crc32c --verify_fatal=1 --randseed=7 \
	--do_verify=0 $args >"$TMPDIR/fio.w" 2>&1 || { cat "$TMPDIR/fio.w"; fail "fio writes"; }
touch "$TMPDIR/stop"
wait $SAMPLER
read -r max minfree <"$TMPDIR/samples"
echo "writes: $N x $MB MiB in $(($(now) - t0))s; most pages in flight $max (cap $CAP), lowest MemFree $minfree kB"
[ "$max" -le "$CAP" ] || fail "bounce pages in flight ($max) went over the cap ($CAP)"
[ "$max" -ge $((CAP / 2)) ] || fail "the load never pressed on the cap ($max of $CAP pages): the test proves nothing"
[ "$minfree" -gt "$MINWM" ] || fail "MemFree ($minfree kB) fell to the min watermarks ($MINWM kB)"
[ "$(awk '$1 == "in_flight" { print $2 }' $PAGES)" = 0 ] || fail "pages still accounted in flight after the writes"

# shellcheck disable=SC2086
fio --ioengine=libaio --direct=1 --bs=1M --iodepth=16 --rw=write \
	--size=${MB}M --verify=crc32c --verify_fatal=1 --randseed=7 \
	--verify_only $args >"$TMPDIR/fio.r" 2>&1 || { cat "$TMPDIR/fio.r"; fail "fio verify"; }
rmmap cap0
mkmap st crypt aes-xts-plain64 "$K64" /dev/mapper/dly0 "$MB"
fio --name=w0 --filename=/dev/mapper/st --ioengine=libaio --direct=1 --bs=1M \
	--iodepth=16 --rw=write --size=${MB}M --verify=crc32c --verify_fatal=1 \
	--randseed=7 --verify_only >"$TMPDIR/fio.s" 2>&1 ||
	{ cat "$TMPDIR/fio.s"; fail "stock dm-crypt does not read back what crypt-mt wrote"; }
echo "ok: all written data verifies"
unload_cmt
