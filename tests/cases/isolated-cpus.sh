#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# CPUs the kernel isolated are not used by cpus=all.  Booted on 3 vCPUs
# with isolcpus=1 (CPU 1 out of the scheduler domains) and nohz_full=2
# (CPU 2 without ticks or unbound work), default spreading (1 MiB bios get
# helpers when another allowed CPU is idle), I/O submitted from each CPU
# (taskset may still pin a task to an isolated one):
#   - the module says at load which CPUs "all" means (CPU 0 only);
#   - with the default (module parameter all) and with a per-mapping
#     `set cpus all`, every byte is converted on CPU 0, and CPUs 1 and 2
#     run none of our jobs (their counters of bios started, inline or
#     queued, bytes, chunks helped and helper jobs wasted stay still): work
#     started there is queued to CPU 0, and no helper goes to them;
#   - a cpulist that names them (`set cpus 0-2`) does use CPUs 1 and 2,
#     and helpers convert chunks then;
#   - stock dm-crypt reads back what crypt-mt wrote.
#
# timeout: 300
# cpus: 3
# append: isolcpus=1 nohz_full=2
. "$TESTS/lib.sh"
. "$TESTS/stress-lib.sh"

iso=$(cat /sys/devices/system/cpu/isolated)
[ "$iso" = 1 ] || fail "the kernel did not isolate CPU 1 (isolated: '$iso')"
nohz=$(cat /sys/devices/system/cpu/nohz_full)
[ "$nohz" = 2 ] || fail "CPU 2 is not nohz_full (nohz_full: '$nohz')"

_m=$(new_mark)
kmsg "$_m"
load_targets
dmesg_since "$_m" | grep -q "cpus=all is 0: the other CPUs are isolated" ||
	fail "no load message saying that cpus=all is CPU 0"
MB=16
mkmap a crypt-mt aes-xts-plain64 "$K64" "$(ramdisk 0)" "$MB"

# the counters of CPUs 0-2 (cpu bios inline queued bytes sent helped ...)
snap() {
	awk '$1 ~ /^[012]$/' /sys/kernel/debug/crypt-mt/stats >"$TMPDIR/$1"
}
# io LABEL: 4 MiB written and read back from each CPU, 1 MiB bios, O_DIRECT
# (what was written last is kept in $TMPDIR/w); b0 b1 b2: the bytes each
# CPU converted meanwhile, h: chunks converted by helpers, and r1 r2: the
# jobs of ours CPUs 1 and 2 ran (bios started, chunks helped, helpers
# wasted).
io() {
	snap s0
	for c in 0 1 2; do
		rand_file "$TMPDIR/w" 4
		taskset -c $c dd if="$TMPDIR/w" of=/dev/mapper/a bs=1M count=4 oflag=direct status=none ||
			fail "$1: write from CPU $c"
		taskset -c $c dd if=/dev/mapper/a of="$TMPDIR/r" bs=1M count=4 iflag=direct status=none ||
			fail "$1: read from CPU $c"
		same_data "$TMPDIR/w" "$TMPDIR/r" || fail "$1: crypt-mt reads other data than it wrote"
	done
	snap s1
	eval "$(awk 'NR == FNR { for (i = 2; i <= NF; i++) o[$1, i] = $i; next }
		{ printf "b%s=%d r%s=%d\n", $1, $5 - o[$1, 5], $1,
			$2 - o[$1, 2] + $7 - o[$1, 7] + $8 - o[$1, 8]; h += $7 - o[$1, 7] }
		END { printf "h=%d\n", h }' "$TMPDIR/s0" "$TMPDIR/s1")"
	echo "$1: bytes converted: CPU 0 $b0, CPU 1 $b1, CPU 2 $b2; chunks by helpers $h; jobs on CPU 1 $r1, CPU 2 $r2"
	[ $((b0 + b1 + b2)) -eq $((24 * 1048576)) ] ||
		fail "$1: $((b0 + b1 + b2)) bytes converted, 24 MiB moved"
}

head -1 /sys/kernel/debug/crypt-mt/stats | grep -q "^cpu bios inline queued bytes sent helped wasted" ||
	fail "the counters' columns changed: $(head -1 /sys/kernel/debug/crypt-mt/stats)"
io "default (all)"
[ "$b1" -eq 0 ] && [ "$b2" -eq 0 ] || fail "cpus=all: isolated CPUs converted data"
[ "$r1" -eq 0 ] && [ "$r2" -eq 0 ] || fail "cpus=all: isolated CPUs ran jobs of ours"

dmsetup message a 0 set cpus 0-2 || fail "set cpus 0-2"
dmsetup message a 0 show | grep -qF "cpus=0-2 " || fail "show: $(dmsetup message a 0 show)"
io "cpus=0-2"
[ "$b1" -gt 0 ] && [ "$b2" -gt 0 ] || fail "cpus=0-2 names CPUs 1 and 2, but one converted nothing"
[ "$h" -gt 0 ] || fail "cpus=0-2: no helper converted a chunk of the 1 MiB bios"

dmsetup message a 0 set cpus all || fail "set cpus all"
io "per-mapping cpus=all"
[ "$b1" -eq 0 ] && [ "$b2" -eq 0 ] || fail "per-mapping cpus=all: isolated CPUs converted data"
[ "$r1" -eq 0 ] && [ "$r2" -eq 0 ] || fail "per-mapping cpus=all: isolated CPUs ran jobs of ours"

rmmap a
stock_reads_back "$TMPDIR/w" 4
unload_cmt
