#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runtime controls and counters of spreading.  On 4 vCPUs, with the
# submitting task pinned to CPUs 0 and 1:
#   - `dmsetup message <dev> 0 show` prints the effective values, and
#     `set <name> <value>|default` changes them for one mapping; bad names,
#     values and argument counts are refused;
#   - the `cpus` control (per mapping, then the module parameter) confines
#     the crypto: the counters in /sys/kernel/debug/crypt-mt/stats show every
#     converted byte on the allowed CPUs and none elsewhere, and the bytes
#     converted add up exactly to the bytes moved;
#   - spread_max=1, no_write_workqueue and same_cpu_crypt send no helpers;
#     the default, and a spread_max larger than any CPU count, send helpers
#     for 1 MiB bios;
#   - everything written under these settings reads back through stock
#     dm-crypt.
#
# timeout: 300
# cpus: 4
. "$TESTS/lib.sh"
. "$TESTS/stress-lib.sh"

load_targets
P=/sys/module/crypt_mt/parameters
MB=16
mkmap a crypt-mt aes-xts-plain64 "$K64" "$(ramdisk 0)" "$MB"

show() { dmsetup message a 0 show; }
expect_show() { # SUBSTRING
	show | grep -qF -- "$1" || fail "show: expected '$1' in: $(show)"
}
refuse() { # MESSAGE...
	if dmsetup message a 0 "$@" >/dev/null 2>&1; then
		fail "message '$*' was accepted"
	fi
}

# ---- show and set
expect_show "cpus=all inline_max=16384 spread_max=0 spread_min=131072 chunk_size=65536"
expect_show "overrides=none"
dmsetup message a 0 set chunk_size 131072 || fail "set chunk_size"
dmsetup message a 0 set spread_min 4096 || fail "set spread_min"
expect_show "spread_min=4096 chunk_size=131072"
expect_show "overrides=spread_min,chunk_size"
echo 8192 >$P/inline_max
expect_show "inline_max=8192"
dmsetup message a 0 set inline_max 0 || fail "set inline_max"
expect_show "inline_max=0 "
for k in chunk_size spread_min inline_max; do
	dmsetup message a 0 set $k default || fail "set $k default"
done
expect_show "inline_max=8192 spread_max=0 spread_min=131072 chunk_size=65536"
expect_show "overrides=none"
refuse set nosuch 1
# a refused value is not logged (it could be a key pasted in the wrong place)
_m=$(new_mark)
kmsg "$_m"
refuse set chunk_size 5ecre7value
dmesg_since "$_m" | grep -q "invalid name or value" || fail "refused set: no log line"
! dmesg_since "$_m" | grep -q 5ecre7value || fail "a refused set logged its value"
refuse set chunk_size abc
refuse set chunk_size -1
# decimal digits only, as the table's numbers (no base prefix, no sign)
refuse set chunk_size 0x10000
refuse set chunk_size +65536
refuse set spread_max 4294967296
refuse set cpus 99999
refuse set cpus 0-
refuse set cpus
refuse show extra
refuse set
if echo 99999 >$P/cpus 2>/dev/null; then fail "module parameter cpus took 99999"; fi
[ "$(cat $P/cpus)" = all ] || fail "cpus parameter: $(cat $P/cpus)"
expect_show "overrides=none"

# ---- confinement: bytes converted per CPU
# snap NAME: keep the per-CPU bytes in $TMPDIR/NAME
snap() {
	for c in 0 1 2 3; do echo "$c $(stat_cpu $c bytes)"; done >"$TMPDIR/$1"
}
# moved LABEL ALLOWED BYTES: between snapshots s0 and s1, CPUs in ALLOWED
# (a list of numbers) converted BYTES in all, the others nothing.
moved() {
	awk -v allowed=" $2 " -v want="$3" -v l="$1" '
		NR == FNR { b[$1] = $2; next }
		{ d = $2 - b[$1]; tot += d
		  if (index(allowed, " " $1 " ") == 0 && d != 0) { print l ": CPU " $1 " converted " d " bytes, it is not allowed"; bad = 1 }
		  printf "%s: CPU %s converted %d bytes\n", l, $1, d }
		END { if (tot != want) { print l ": " tot " bytes converted, " want " moved"; bad = 1 } exit bad }' \
		"$TMPDIR/s0" "$TMPDIR/s1"
}
# io LABEL SEED: 8 MiB written from CPU 0 and 8 MiB read from CPU 1, in
# 1 MiB bios, O_DIRECT; and what was written is kept in $TMPDIR/w.SEED
io() {
	rand_file "$TMPDIR/w.$2" 8
	snap s0
	taskset -c 0 dd if="$TMPDIR/w.$2" of=/dev/mapper/a bs=1M count=8 oflag=direct status=none ||
		fail "$1: write"
	taskset -c 1 dd if=/dev/mapper/a of="$TMPDIR/r" bs=1M count=8 iflag=direct status=none ||
		fail "$1: read"
	snap s1
	same_data "$TMPDIR/w.$2" "$TMPDIR/r" || fail "$1: crypt-mt reads other data than it wrote"
}

dmsetup message a 0 set cpus 2-3 || fail "set cpus 2-3"
expect_show "cpus=2-3 "
io "per-mapping cpus=2-3" 1
moved "per-mapping cpus=2-3" "2 3" $((16 * 1048576)) || fail "cpus=2-3 did not confine the crypto"

dmsetup message a 0 set cpus 3 || fail "set cpus 3"
io "per-mapping cpus=3" 2
moved "per-mapping cpus=3" "3" $((16 * 1048576)) || fail "cpus=3 did not confine the crypto"

echo 1 >$P/cpus || fail "set module parameter cpus=1"
dmsetup message a 0 set cpus default || fail "set cpus default"
expect_show "cpus=1 "
io "module parameter cpus=1" 3
moved "module parameter cpus=1" "1" $((16 * 1048576)) || fail "cpus=1 (module parameter) did not confine the crypto"
echo all >$P/cpus || fail "set module parameter cpus=all"

# ---- helpers: sent by default for 1 MiB bios, not with spread_max=1
sent0=$(stat_sum sent) pieces0=$(stat_sum pieces)
io "default" 4
moved "default" "0 1 2 3" $((16 * 1048576)) || fail "default: bytes do not add up"
sent1=$(stat_sum sent) pieces1=$(stat_sum pieces)
[ "$sent1" -gt "$sent0" ] || fail "no helper was sent for 1 MiB bios with 3 idle CPUs"
[ "$pieces1" -gt "$pieces0" ] || fail "1 MiB reads were not sent down in pieces"
dmsetup message a 0 set spread_max 1 || fail "set spread_max 1"
io "spread_max=1" 5
[ "$(stat_sum sent)" = "$sent1" ] || fail "helpers were sent with spread_max=1"
# no helper can come, so a read is not cut in pieces for them either
[ "$(stat_sum pieces)" = "$pieces1" ] || fail "reads went down in pieces with spread_max=1"
# a spread_max beyond any CPU count means "no limit but the chunks", as 0:
# helpers are sent (a signed comparison once turned it into "none")
dmsetup message a 0 set spread_max 4294967294 || fail "set spread_max 4294967294"
expect_show "spread_max=4294967294 "
sent2=$(stat_sum sent)
io "spread_max=4294967294" 7
[ "$(stat_sum sent)" -gt "$sent2" ] || fail "no helper was sent with spread_max=4294967294"
dmsetup message a 0 set spread_max default || fail "set spread_max default"

# no_write_workqueue, same_cpu_crypt: no helpers for writes
for opt in no_write_workqueue same_cpu_crypt; do
	rmmap a
	mkmap a crypt-mt aes-xts-plain64 "$K64" "$(ramdisk 0)" "$MB" $opt
	s=$(stat_sum sent)
	rand_file "$TMPDIR/w.6" 8
	taskset -c 0 dd if="$TMPDIR/w.6" of=/dev/mapper/a bs=1M count=8 oflag=direct status=none ||
		fail "$opt: write"
	[ "$(stat_sum sent)" = "$s" ] || fail "$opt: helpers were sent for writes"
	echo "ok: $opt sends no helpers for writes"
done
cp "$TMPDIR/w.6" "$TMPDIR/w.last"

# ---- the oracle: stock reads what crypt-mt wrote last
rmmap a
stock_reads_back "$TMPDIR/w.last" 8
unload_cmt
