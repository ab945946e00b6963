#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# I/O while memory is short.  fio write+verify runs on three crypt-mt
# mappings at once (default options; no_read_workqueue + no_write_workqueue;
# sector_size:4096) while a hog fills a tmpfs (no swap: unreclaimable) until
# MemFree sits a little above the zones' high watermarks (then fio starts),
# and gives memory back whenever it drops lower.  The in-flight bounce pages
# then push free memory toward the watermarks, so that allocations that may
# not wait can fail and crypt-mt falls back to its reserves and workers.
# The lowest MemFree seen is printed, to tell how hard it got.  Every fio loop must verify,
# without an OOM kill or splat, and afterwards each mapping must read the
# same data as stock dm-crypt on the same disk.
#
# timeout: 300
. "$TESTS/lib.sh"
. "$TESTS/stress-lib.sh"

HOG=$TMPDIR/hog
hog_cleanup() {
	touch "$TMPDIR/hog.stop"
	[ -n "$HOG_PID" ] && wait "$HOG_PID" 2>/dev/null
	rm -f "$HOG"/* 2>/dev/null
	umount "$HOG" 2>/dev/null
}
trap hog_cleanup EXIT

load_targets
FIO_MB=6
MB=$((FIO_JOBS * FIO_MB))
LOOPS=2
set -- "" "no_read_workqueue no_write_workqueue" "sector_size:4096"
i=1
for o in "$@"; do
	# Allocate the RAM disk's pages now, not while memory is short.
	dd if=/dev/zero of="$(ramdisk $i)" bs=1M count="$MB" oflag=direct 2>/dev/null ||
		fail "prefill $(ramdisk $i)"
	# shellcheck disable=SC2086 # $o is a list of options
	mkmap "mem$i" crypt-mt aes-xts-plain64 "$K64" "$(ramdisk $i)" "$MB" $o
	i=$((i + 1))
done

# Band for MemFree, in kB: just above the sum of the zones' high watermarks.
high=$(awk '$1 == "high" { s += $2 } END { print s * 4 }' /proc/zoneinfo)
# fio starts inside the band: leave it room for its buffers.
LOW=$((high + 48 * 1024))
HIGH=$((LOW + 32 * 1024))
echo "memory: high watermarks ${high} kB, MemFree band ${LOW}..${HIGH} kB"

mkdir -p "$HOG"
mount -t tmpfs -o size=95% hog "$HOG" || fail "mount tmpfs hog"
hog_loop() {
	n=0 minfree=
	while [ ! -e "$TMPDIR/hog.stop" ]; do
		free=$(awk '/^MemFree:/ { print $2 }' /proc/meminfo)
		[ -z "$minfree" ] || [ "$free" -lt "$minfree" ] && minfree=$free
		if [ "$free" -gt "$HIGH" ]; then
			# Half the way down at a time, at most 512 MiB, at least 1 MiB.
			mb=$(((free - HIGH) / 2048))
			[ $mb -gt 512 ] && mb=512
			[ $mb -lt 1 ] && mb=1
			n=$((n + 1))
			fallocate -l $((mb * 1048576)) "$HOG/$n" 2>/dev/null ||
				dd if=/dev/zero of="$HOG/$n" bs=1M count=$mb 2>/dev/null
		elif [ "$free" -lt "$LOW" ] && [ $n -gt 0 ]; then
			rm -f "$HOG/$n"
			n=$((n - 1))
		else
			[ -e "$TMPDIR/hog.ready" ] || touch "$TMPDIR/hog.ready"
			sleep 0.1
		fi
	done
	echo "hog: held $(du -sm "$HOG" | cut -f1) MiB at the end, lowest MemFree seen ${minfree} kB"
}

t0=$(now)
rm -f "$TMPDIR/hog.stop" "$TMPDIR/hog.ready"
hog_loop &
HOG_PID=$!
# Filling ~1.8 GiB takes seconds, but much longer on a loaded host: give up
# waiting after 120s (the hog goes on filling while fio runs).
i=0
while [ ! -e "$TMPDIR/hog.ready" ] && [ $i -lt 1200 ]; do
	i=$((i + 1))
	sleep 0.1
done
if [ -e "$TMPDIR/hog.ready" ]; then
	echo "hog: MemFree in the band after $(($(now) - t0))s, fio starts"
else
	echo "warning: MemFree not yet in the band after 120s (slow host?), fio starts anyway"
fi
i=1
for o in "$@"; do
	(
		if fio_verify "/dev/mapper/mem$i" "$i" --loops=$LOOPS; then
			echo ok >"$TMPDIR/fio$i.status"
		else
			echo fail >"$TMPDIR/fio$i.status"
		fi
	) &
	eval "FIO_PID$i=\$!"
	i=$((i + 1))
done
i=1
for o in "$@"; do
	eval "wait \$FIO_PID$i"
	i=$((i + 1))
done
hog_cleanup
HOG_PID=
echo "fio: $LOOPS loops on each of 3 mappings under memory pressure ($(($(now) - t0))s)"

i=1
for o in "$@"; do
	[ "$(cat "$TMPDIR/fio$i.status" 2>/dev/null)" = ok ] ||
		fail "fio verify failed on mem$i (options: '$o') under memory pressure"
	# shellcheck disable=SC2086
	mkmap "st$i" crypt aes-xts-plain64 "$K64" "$(ramdisk $i)" "$MB" $o
	same_dev "/dev/mapper/mem$i" "/dev/mapper/st$i" ||
		fail "mem$i (options: '$o'): stock dm-crypt reads other data"
	i=$((i + 1))
done
echo "ok: all three mappings verified and agree with stock dm-crypt"
unload_cmt
