#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Optional table parameters against stock dm-crypt.  For every line of the
# list: data written through crypt-mt reads back through stock and the other
# way round, `dmsetup table --showkeys` and `dmsetup status` are stock's but
# for the target name (stock 6.1 prints the features in a fixed order and
# lowercase, whatever order and case the table had), and the block queue
# limits of the two mappings (logical/physical block size, io_min, segment
# size, discard limits, ...) are the same.  Then:
#   - allow_discards on a loop device (brd has no discard in 6.1): a discard
#     through crypt-mt reaches the device like one through stock, and without
#     allow_discards both refuse it;
#   - high_priority, which stock 6.1 does not know: crypt-mt takes it, prints
#     it back in stock's newer order, and its data is stock's (stock table
#     without the flag); where stock knows it (6.10 on, e.g. 6.12), lines with
#     high_priority are also compared with stock's like the list above.
#
# List format as in compat-ciphers:
#	<cipher> <key bytes> <iv_offset> <device offset> [option...]
#
# timeout: 240
. "$TESTS/lib.sh"
. "$TESTS/stress-lib.sh"
. "$TESTS/compat-lib.sh"

load_targets
DEV=$(ramdisk 0)
MB=${COMPAT_MB:-2}

# The queue limits of mapping NAME, one "attr value" a line.
QATTRS="logical_block_size physical_block_size minimum_io_size optimal_io_size
	max_segment_size max_segments max_hw_sectors_kb max_sectors_kb
	discard_granularity discard_max_bytes discard_max_hw_bytes
	write_zeroes_max_bytes rotational add_random dax zoned"
limits() {
	_q=/sys/block/dm-$(printf %d "0x$(stat -L -c %T "/dev/mapper/$1")")/queue
	if [ "$(cat "${_q%/queue}/dm/name" 2>/dev/null)" != "$1" ]; then
		echo "no sysfs queue found for $1 ($_q)"
		return
	fi
	for _a in $QATTRS; do
		echo "$_a $(cat "$_q/$_a" 2>/dev/null)"
	done
}
# save_lines also keeps the queue limits (same_lines compares "limits").
save_lines() {
	dmsetup table --showkeys "$1" >"$TMPDIR/table.$2" 2>&1
	dmsetup status "$1" >"$TMPDIR/status.$2" 2>&1
	limits "$1" >"$TMPDIR/limits.$2"
}
same_lines() {
	_sl=0
	if grep -h '^no sysfs' "$TMPDIR/limits.crypt-mt" "$TMPDIR/limits.crypt"; then
		echo "FAIL: $1: cannot read the queue limits"
		_sl=1
	fi
	for _k in table status limits; do
		if [ ! -s "$TMPDIR/$_k.crypt-mt" ] || [ ! -s "$TMPDIR/$_k.crypt" ]; then
			echo "FAIL: $1: no $_k saved"
			_sl=1
			continue
		fi
		_a=$(as_stock <"$TMPDIR/$_k.crypt-mt")
		_b=$(cat "$TMPDIR/$_k.crypt")
		if [ "$_a" != "$_b" ]; then
			echo "FAIL: $1: $_k differ from stock's"
			if [ "$_k" = limits ]; then
				paste "$TMPDIR/limits.crypt-mt" "$TMPDIR/limits.crypt" |
					awk '$2 != $4 { print "  " $1 ": crypt-mt " $2 ", crypt " $4 }'
			else
				echo "  crypt-mt: $(cat "$TMPDIR/$_k.crypt-mt")"
				echo "  crypt:    $_b"
			fi
			_sl=1
		fi
	done
	return $_sl
}

run_list "option lines" <<'EOF' || fail "option lines differ from stock (listed above)"
# ---- encryption sector size and IVs
aes-xts-plain64 64 0 0 sector_size:4096
aes-xts-plain64 64 0 0 sector_size:4096 iv_large_sectors
aes-xts-plain64 64 0 0 iv_large_sectors sector_size:4096
aes-xts-plain64 64 0 0 sector_size:512
aes-xts-plain64 64 0 0 iv_large_sectors
aes-xts-plain64 64 0 0 sector_size:1024
aes-xts-plain64 64 0 0 sector_size:2048 iv_large_sectors
aes-xts-plain64 64 4096 8 sector_size:4096 iv_large_sectors
aes-cbc-essiv:sha256 32 64 16 sector_size:4096
aes-cbc-essiv:sha256 32 64 8 sector_size:4096 iv_large_sectors
aes-cbc-eboiv 32 0 0 sector_size:4096
aes-cbc-eboiv 32 8 0 sector_size:4096 iv_large_sectors
aes-cbc-benbi 32 0 0 sector_size:4096
aes-cbc-plain 32 0 0 sector_size:2048 iv_large_sectors
aes-cbc-null 32 0 0 sector_size:4096
# ---- the workqueue and CPU flags, alone and together
aes-xts-plain64 64 0 0 allow_discards
aes-xts-plain64 64 0 0 same_cpu_crypt
aes-xts-plain64 64 0 0 submit_from_crypt_cpus
aes-xts-plain64 64 0 0 no_read_workqueue
aes-xts-plain64 64 0 0 no_write_workqueue
aes-xts-plain64 64 0 0 no_read_workqueue no_write_workqueue
aes-xts-plain64 64 0 0 same_cpu_crypt submit_from_crypt_cpus
aes-xts-plain64 64 0 0 no_write_workqueue no_read_workqueue submit_from_crypt_cpus same_cpu_crypt allow_discards iv_large_sectors sector_size:4096
aes-xts-plain64 64 0 0 ALLOW_DISCARDS Same_Cpu_Crypt No_Read_Workqueue
aes-xts-plain64 64 0 0 allow_discards allow_discards
serpent-xts-plain64 64 0 0 no_read_workqueue no_write_workqueue
aes-cbc-essiv:sha256 32 0 0 no_read_workqueue no_write_workqueue sector_size:4096
aes:64-cbc-lmk 1040 0 0 no_read_workqueue no_write_workqueue
EOF

# ---- allow_discards, for real: a loop device on tmpfs passes discards down
# (punching holes, which read back as zeros).  Both targets get the same
# loop device contents and key, so the same effect gives the same bytes.
K=$(hexkey 64)
head -c 16777216 /dev/urandom >"$TMPDIR/fill"
ZERO2=$(dd if=/dev/zero bs=1M count=2 status=none | md5sum | cut -d' ' -f1)
# discard_case TARGET OPTIONS: prints "<blkdiscard rc> <md5 of the loop
# device> <md5 of the 2 MiB discarded>".
discard_case() {
	cp "$TMPDIR/fill" "$TMPDIR/disk.img"
	_ld=$(losetup -f) && losetup "$_ld" "$TMPDIR/disk.img" || fail "losetup $TMPDIR/disk.img"
	mkdm dc "0 $(mib 8) $1 $(rest aes-xts-plain64 "$K" 0 "$_ld" 2048 $2)" >&2 ||
		fail "cannot create the $1 mapping with '$2'"
	save_lines dc "$1"
	# MiB 1..3 of the mapping = MiB 2..4 of the loop device
	blkdiscard -o 1048576 -l 2097152 /dev/mapper/dc 2>/dev/null
	_rc=$?
	rmdm dc >&2 || fail "remove dc"
	losetup -d "$_ld"
	echo "$_rc $(md5sum <"$TMPDIR/disk.img" | cut -d' ' -f1)" \
		"$(dd if="$TMPDIR/disk.img" bs=1M skip=2 count=2 status=none | md5sum | cut -d' ' -f1)"
}
for opts in "" "allow_discards"; do
	rm -f "$TMPDIR"/table.* "$TMPDIR"/status.* "$TMPDIR"/limits.*
	a=$(discard_case crypt-mt "$opts")
	b=$(discard_case crypt "$opts")
	set -- $a
	[ $# = 3 ] || fail "discard case '$opts' gave no result"
	[ "$a" = "$b" ] || fail "discards with options '$opts': crypt-mt '$a', stock '$b' (blkdiscard rc, md5 of the disk, of the range)"
	same_lines "discards, options '$opts'" || fail "discards, options '$opts': not as stock"
	if [ -n "$opts" ]; then
		[ "$1" = 0 ] || fail "blkdiscard refused with allow_discards (by both)"
		[ "$3" = "$ZERO2" ] || fail "discarded range not zeros with allow_discards (for both)"
	else
		[ "$1" != 0 ] || fail "blkdiscard accepted without allow_discards (by both)"
	fi
	echo "ok: discards with options '$opts' (blkdiscard rc $1, same as stock)"
done

# ---- high_priority: unknown to stock 6.1
t0=$(now)
K=$(hexkey 64)
R=$(rest aes-xts-plain64 "$K" 0 "$DEV" 0 allow_discards high_priority no_read_workqueue)
mkdm hp "0 $(mib "$MB") crypt-mt $R" || fail "crypt-mt refuses high_priority"
got=$(dmsetup table --showkeys hp)
stock_order="0 $(mib "$MB") crypt-mt aes-xts-plain64 $K 0 1:0 0 3 allow_discards high_priority no_read_workqueue"
[ "$got" = "$stock_order" ] || fail "high_priority table: '$got', expected '$stock_order'"
rand_file "$TMPDIR/hp.w" "$MB"
dio_put "$TMPDIR/hp.w" /dev/mapper/hp "$MB" || fail "write through the high_priority mapping"
rmdm hp || fail "remove hp"
mkdm hps "0 $(mib "$MB") crypt $(rest aes-xts-plain64 "$K" 0 "$DEV" 0 allow_discards no_read_workqueue)" ||
	fail "stock mapping without high_priority"
dio_same /dev/mapper/hps "$TMPDIR/hp.w" "$MB" "high_priority: stock reading crypt-mt's data"
rand_file "$TMPDIR/hp.w" "$MB"
dio_put "$TMPDIR/hp.w" /dev/mapper/hps "$MB" || fail "write through stock"
rmdm hps || fail "remove hps"
mkdm hp "0 $(mib "$MB") crypt-mt $(rest aes-xts-plain64 "$K" 0 "$DEV" 0 high_priority)" --readonly ||
	fail "crypt-mt refuses high_priority alone"
[ "$(dmsetup table --showkeys hp)" = "0 $(mib "$MB") crypt-mt aes-xts-plain64 $K 0 1:0 0 1 high_priority" ] ||
	fail "high_priority alone: table '$(dmsetup table --showkeys hp)'"
dio_same /dev/mapper/hp "$TMPDIR/hp.w" "$MB" "high_priority: crypt-mt reading stock's data"
rmdm hp || fail "remove hp"
echo "ok: high_priority ($(($(now) - t0))s)"

# Stock knows high_priority from 6.10 on: then compare with it directly.
if mkdm hpprobe "0 $(mib 1) crypt $(rest aes-xts-plain64 "$K" 0 "$DEV" 0 high_priority)" >/dev/null; then
	rmdm hpprobe || fail "remove hpprobe"
	run_list "high_priority lines" <<'EOF' || fail "high_priority lines differ from stock (listed above)"
aes-xts-plain64 64 0 0 high_priority
aes-xts-plain64 64 0 0 no_read_workqueue high_priority allow_discards
aes-xts-plain64 64 0 0 high_priority same_cpu_crypt sector_size:4096
EOF
else
	echo "stock dm-crypt here has no high_priority: compared without it only"
fi

unload_cmt
