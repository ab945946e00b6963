#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Mapping life cycle under I/O.  While fio write+verify passes run on a
# crypt-mt mapping: suspend/resume in a loop (also --noflush), then reloads of
# the same table (and of the same table with each performance option, which
# changes nothing on disk) followed by resume.  Every fio pass must verify,
# and afterwards the last pass's data must read back through crypt-mt and
# through stock dm-crypt: nothing lost across suspends and table swaps.
# Then 50 mappings are created, used and removed one after another: no
# module reference may be left behind (crypto algorithm modules' reference
# counts, which every leaked transform would raise, come back to where they
# were) and crypt_mt must unload at the end.
#
# timeout: 300
. "$TESTS/lib.sh"
. "$TESTS/stress-lib.sh"

load_targets
DISK=$(ramdisk 0)
MB=$((FIO_JOBS * FIO_MB))
TBL=$(table crypt-mt aes-xts-plain64 "$K64" "$DISK" "$MB")
dmsetup create lc --table "$TBL" || fail "create lc"

# ---- suspend/resume and reload under fio ----
t0=$(now)
fio_loop_bg io /dev/mapper/lc
sleep 1
i=0
while [ $i -lt 30 ] && fio_loop_running io; do
	if [ $((i % 3)) -eq 2 ]; then
		dmsetup suspend --noflush lc || fail "suspend --noflush #$i"
	else
		dmsetup suspend lc || fail "suspend #$i"
	fi
	dmsetup info lc | grep -q 'State: *SUSPENDED' || fail "not suspended after suspend #$i"
	sleep 0.2
	dmsetup resume lc || fail "resume #$i"
	sleep 0.3
	i=$((i + 1))
done
echo "ok: $i suspend/resume cycles under fio"

n=0
for o in "" " 2 no_read_workqueue no_write_workqueue" " 1 same_cpu_crypt" \
	" 1 high_priority" " 1 submit_from_crypt_cpus" " 1 allow_discards" ""; do
	fio_loop_running io || break
	dmsetup reload lc --table "$TBL$o" || fail "reload '$TBL$o'"
	dmsetup resume lc || fail "resume after reload '$o'"
	sleep 1
	# And once with the new table loaded while suspended.
	dmsetup suspend lc || fail "suspend before reload '$o'"
	dmsetup reload lc --table "$TBL$o" || fail "reload while suspended '$o'"
	dmsetup resume lc || fail "resume after suspended reload '$o'"
	sleep 0.5
	n=$((n + 1))
done
echo "ok: $n reload rounds under fio"

fio_loop_wait io
echo "ok: $LOOP_SEED fio passes verified under suspend/resume/reload ($(($(now) - t0))s)"
[ "$LOOP_SEED" -ge 2 ] || fail "fio finished only $LOOP_SEED pass: the I/O did not overlap the table operations"
fio_verify_only /dev/mapper/lc "$LOOP_SEED" || fail "last fio pass lost data (crypt-mt)"
mkmap st crypt aes-xts-plain64 "$K64" "$DISK" "$MB"
fio_verify_only /dev/mapper/st "$LOOP_SEED" || fail "last fio pass lost data (stock dm-crypt)"
rmmap st lc

# ---- 50 mappings, one after another ----
# refcounts: "module refcnt" of every loaded module.
refcounts() {
	for m in /sys/module/*/refcnt; do
		m=${m%/refcnt}
		echo "${m##*/} $(cat "$m/refcnt")"
	done | sort
}

t0=$(now)
rand_file "$TMPDIR/blk" 1
mkmap warm crypt-mt aes-xts-plain64 "$K64" "$(ramdisk 1)" 4
rmmap warm
refcounts >"$TMPDIR/ref.before"
percpu0=$(awk '/^Percpu:/ { print $2 }' /proc/meminfo)
i=1
while [ $i -le 50 ]; do
	# Each one at its own offset and iv_offset, so a mix-up shows.
	dmsetup create "m$i" --table "0 2048 crypt-mt aes-xts-plain64 $K64 $i $(ramdisk 1) $((i * 2048))" ||
		fail "create m$i"
	dd if="$TMPDIR/blk" of="/dev/mapper/m$i" bs=1M oflag=direct 2>/dev/null || fail "write m$i"
	dd if="/dev/mapper/m$i" of="$TMPDIR/rd" bs=1M iflag=direct 2>/dev/null || fail "read m$i"
	same_data "$TMPDIR/blk" "$TMPDIR/rd" || fail "m$i reads back other data"
	dmsetup remove "m$i" || fail "remove m$i"
	i=$((i + 1))
done
refcounts >"$TMPDIR/ref.after"
percpu1=$(awk '/^Percpu:/ { print $2 }' /proc/meminfo)
echo "ok: 50 mappings created, used and removed ($(($(now) - t0))s; Percpu ${percpu0} kB -> ${percpu1} kB)"
if ! cmp -s "$TMPDIR/ref.before" "$TMPDIR/ref.after"; then
	diff "$TMPDIR/ref.before" "$TMPDIR/ref.after"
	fail "module reference counts changed across 50 create/remove: leaked transforms?"
fi

unload_cmt
echo "ok: crypt_mt unloaded"
