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

trap hog_stop EXIT

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

t0=$(now)
hog_start
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
hog_stop
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
