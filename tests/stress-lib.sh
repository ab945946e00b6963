# SPDX-License-Identifier: GPL-2.0
#
# Helpers shared by the stress and error-path tests (malformed, fio-verify,
# stack, lifecycle, hotplug, memory).  Source it after lib.sh:
#
#	. "$TESTS/lib.sh"
#	. "$TESTS/stress-lib.sh"
#
# Everything here is busybox sh.  Failures inside helpers call fail() from
# lib.sh; helpers meant to run in the background report through files
# instead, since fail() there would only end a subshell.

: "${TESTS:=/tests}"
: "${TMPDIR:=/tmp}"

# Fixed keys, so that crypt-mt and stock mappings of the same device agree.
K16=00112233445566778899aabbccddeeff
K32=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
K64=${K32}f0e0d0c0b0a090807060504030201000ffeeddccbbaa99887766554433221100
# A second 512-bit key per layer of a cascade.
K64B=a5${K64#??}
K64C=5a${K64#??}

# MiB -> 512-byte sectors
mib() { echo $(($1 * 2048)); }

# table TARGET CIPHER KEY DEV MIB [OPTION...]
# One-target table line: "0 <len> TARGET CIPHER KEY 0 DEV 0 [n OPTION...]".
table() {
	_t=$1 _c=$2 _k=$3 _d=$4 _m=$5
	shift 5
	_o=
	[ $# -gt 0 ] && _o=" $# $*"
	echo "0 $(mib "$_m") $_t $_c $_k 0 $_d 0$_o"
}

# mkmap NAME TARGET CIPHER KEY DEV MIB [OPTION...] -- create a mapping or fail.
mkmap() {
	_n=$1
	shift
	_tbl=$(table "$@")
	dmsetup create "$_n" --table "$_tbl" || fail "cannot create $_n: $_tbl"
	[ -b "/dev/mapper/$_n" ] || fail "no /dev/mapper/$_n after create"
}

rmmap() {
	for _n in "$@"; do
		dmsetup remove "$_n" || fail "cannot remove $_n"
	done
}

# Load crypt-mt (the project module, installed under extra/) and stock dm-crypt.
load_targets() {
	modprobe crypt-mt 2>/dev/null || modprobe crypt_mt || fail "cannot load crypt-mt"
	modprobe dm-crypt || fail "cannot load dm-crypt"
}

# unload_cmt -- every mapping gone, then the module must unload: a reference
# leaked by any path (a failed constructor, a message, ...) shows up here.
unload_cmt() {
	if [ "$SPREAD_FORCED" = 1 ]; then spread_check; fi
	dmsetup remove_all || fail "dmsetup remove_all failed"
	_left=$(dmsetup ls | awk '$1 != "No" {print $1}')
	[ -z "$_left" ] || fail "mappings left: $_left"
	if lsmod | grep -q '^crypt_mt '; then
		rmmod crypt_mt || {
			lsmod | grep '^crypt_mt '
			fail "crypt_mt does not unload: leaked reference?"
		}
	fi
	! lsmod | grep -q '^crypt_mt ' || fail "crypt_mt still loaded"
}

# devsum DEV [MIB] -- MD5 of the device (of its first MIB MiB), read through
# its page cache: drop that first (blockdev --flushbufs) if another mapping
# of the same disk may have written since.
devsum() {
	if [ -n "$2" ]; then
		dd if="$1" bs=1M count="$2" 2>/dev/null | md5sum | cut -d' ' -f1
	else
		md5sum <"$1" | cut -d' ' -f1
	fi
}

# same_dev DEV_A DEV_B -- same_data on two devices, read fresh from below
# (their page caches dropped first: other mappings of the same disk may have
# written since).
same_dev() {
	blockdev --flushbufs "$1" && blockdev --flushbufs "$2" || fail "flushbufs $1 $2"
	same_data "$1" "$2"
}

# ---- fio ----
#
# fio_verify DEV SEED [fio option...]
#	FIO_JOBS jobs (default 4) each write their own FIO_MB MiB region
#	(default 8; regions side by side from offset 0) with random writes of
#	4k..256k, libaio, direct, iodepth 8, then read them back and check
#	crc32c headers.  The whole region is FIO_JOBS * FIO_MB MiB.
# fio_verify_only DEV SEED [fio option...]
#	Only the read-and-check half, e.g. through another mapping of the same
#	disk; SEED and the FIO_* settings must match the writing run.
# Both return non-zero on any fio error and print fio's log then.
FIO_JOBS=4
FIO_MB=8

_fio() {
	_dev=$1 _seed=$2
	_log=$(mktemp "$TMPDIR/fio.XXXXXX") || return 1
	shift 2
	if fio --name=verify --filename="$_dev" --ioengine=libaio --direct=1 \
		--iodepth=8 --numjobs="$FIO_JOBS" --size="${FIO_MB}M" \
		--offset_increment="${FIO_MB}M" --rw=randwrite --bsrange=4k-256k \
		--verify=crc32c --verify_fatal=1 --randseed="$_seed" \
		--group_reporting --exitall_on_error "$@" >"$_log" 2>&1; then
		grep -E '^ *(READ|WRITE):' "$_log" | sed 's/^ */  fio /'
		rm -f "$_log"
		return 0
	fi
	echo "---- fio $* on $_dev failed:"
	cat "$_log"
	rm -f "$_log"
	return 1
}

fio_verify() { _fio "$@"; }

fio_verify_only() {
	_d=$1 _s=$2
	shift 2
	_fio "$_d" "$_s" --verify_only "$@"
}

# fio_loop_bg TAG DEV [fio option...]
# In the background: fio_verify passes on DEV with seeds 1, 2, ... until
# fio_loop_wait TAG.  Several loops (different TAGs) may run at once.
fio_loop_bg() {
	_tag=$1 _dev=$2
	shift 2
	rm -f "$TMPDIR/$_tag.stop" "$TMPDIR/$_tag.status"
	(
		seed=0
		while [ ! -e "$TMPDIR/$_tag.stop" ]; do
			seed=$((seed + 1))
			if ! _fio "$_dev" "$seed" "$@"; then
				echo "fail $seed" >"$TMPDIR/$_tag.status"
				exit 1
			fi
		done
		echo "ok $seed" >"$TMPDIR/$_tag.status"
	) &
	echo $! >"$TMPDIR/$_tag.pid"
}

# fio_loop_running TAG -- true while the loop has not ended (nor failed).
fio_loop_running() {
	[ ! -e "$TMPDIR/$1.status" ]
}

# fio_loop_wait TAG -- stop the loop after its current pass; fail() if any
# pass failed, else set LOOP_SEED to the seed of the last pass (for
# fio_verify_only), which is also the number of passes.
fio_loop_wait() {
	touch "$TMPDIR/$1.stop"
	wait "$(cat "$TMPDIR/$1.pid")"
	read -r _r _seed <"$TMPDIR/$1.status" 2>/dev/null || fail "fio loop $1 left no status"
	[ "$_r" = ok ] || fail "fio loop $1: verify failed in pass $_seed (log above)"
	[ "$_seed" -gt 0 ] || fail "fio loop $1 never ran"
	LOOP_SEED=$_seed
}

# Seconds since the epoch, for timings in the log.
now() { date +%s; }

# stock_reads_back FILE MIB -- stock dm-crypt (aes-xts-plain64, $K64) on RAM
# disk 0 reads its first MIB MiB as FILE, which crypt-mt wrote there with
# the same table: the oracle.  fail() otherwise; leaves no mapping.
stock_reads_back() {
	mkmap s crypt aes-xts-plain64 "$K64" "$(ramdisk 0)" "$2"
	dd if=/dev/mapper/s of="$TMPDIR/stock.r" bs=1M count="$2" iflag=direct status=none ||
		fail "stock read"
	same_data "$1" "$TMPDIR/stock.r" || fail "stock dm-crypt reads other data"
	rmmap s
}

# ---- spreading ----
#
# force_spread -- load crypt-mt and make it spread every bio it can: no
# size threshold, chunks of three 512-byte sectors (chunk boundaries fall
# inside pages, at odd places), and every read that completes outside a
# task goes through the worker path (inline_max=0).  The parameters are
# reset when the harness unloads the module after the test.  unload_cmt
# then checks (spread_check) that helpers really converted chunks.
force_spread() {
	modprobe crypt-mt 2>/dev/null || modprobe crypt_mt || fail "cannot load crypt-mt"
	_spread_params 0 1536 0 0 || fail "cannot set crypt-mt's spreading parameters"
	SPREAD_FORCED=1
	echo "spreading forced: spread_min=0 chunk_size=1536 inline_max=0 spread_max=0"
}

# _spread_params SPREAD_MIN CHUNK_SIZE INLINE_MAX SPREAD_MAX -- set the
# module parameters; _spread_params $(_spread_now) gives back what was.
_spread_params() {
	_p=/sys/module/crypt_mt/parameters
	echo "$1" >$_p/spread_min && echo "$2" >$_p/chunk_size &&
		echo "$3" >$_p/inline_max && echo "$4" >$_p/spread_max
}
_spread_now() {
	_p=/sys/module/crypt_mt/parameters
	echo "$(cat $_p/spread_min) $(cat $_p/chunk_size) $(cat $_p/inline_max) $(cat $_p/spread_max)"
}

# stat_sum COLUMN -- the sum over CPUs of a column of crypt-mt's counters
# (/sys/kernel/debug/crypt-mt/stats, columns named by its header line).
stat_sum() {
	awk -v c="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = i; next }
		k { s += $k } END { if (!k) exit 1; print s + 0 }' /sys/kernel/debug/crypt-mt/stats
}

# stat_cpu CPU COLUMN -- one CPU's value of a column.
stat_cpu() {
	awk -v cpu="$1" -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = i; next }
		k && $1 == cpu { v = $k } END { if (!k) exit 1; print v + 0 }' /sys/kernel/debug/crypt-mt/stats
}

# fio_verify_spread DEV SEED WHAT -- fio write+verify of DEV (bios of 4 KiB
# to 1 MiB) with spreading forced through the module parameters (as
# force_spread), which are set back to what they were after; helpers must
# have converted chunks and reads must have gone down in pieces (fail() with
# WHAT otherwise).
fio_verify_spread() {
	_h0=$(stat_sum helped) || fail "$3: cannot read crypt-mt's counters"
	_p0=$(stat_sum pieces) || fail "$3: no pieces counter"
	_was=$(_spread_now) || fail "$3: cannot read the spreading parameters"
	_spread_params 0 1536 0 0 || fail "$3: cannot force spreading"
	fio_verify "$1" "$2" --bsrange=4k-1m || fail "$3: fio verify, spreading forced"
	[ "$(stat_sum helped)" -gt "$_h0" ] || fail "$3: spreading forced but no helper converted a chunk"
	[ "$(stat_sum pieces)" -gt "$_p0" ] || fail "$3: spreading forced but no read went down in pieces"
	# shellcheck disable=SC2086 # four numbers
	_spread_params $_was || fail "$3: cannot restore the spreading parameters"
}

# spread_check -- helpers on other CPUs converted chunks, none was wasted on
# every bio (fail() otherwise).
spread_check() {
	_h=$(stat_sum helped) || fail "cannot read crypt-mt's counters"
	_s=$(stat_sum sent)
	echo "spreading: $_s helper jobs sent, $_h chunks converted by helpers, $(stat_sum wasted) found nothing left, $(stat_sum pieces) extra read pieces"
	[ "$_h" -gt 0 ] || fail "spreading was forced but no helper converted a chunk"
}

# ---- memory pressure ----
#
# hog_start -- fill a tmpfs (no swap: unreclaimable) until MemFree sits in a
# band a little above the zones' high watermarks, and keep it there (giving
# memory back when it drops lower) until hog_stop.  Waits up to 120 s for
# the band (longer on a loaded host; the hog goes on filling meanwhile).
# The in-flight bounce pages then push free memory toward the watermarks,
# so allocations that may not wait fail and crypt-mt's reserves are used.
# hog_stop prints the lowest MemFree seen.
hog_start() {
	HOG=$TMPDIR/hog
	_high=$(awk '$1 == "high" { s += $2 } END { print s * 4 }' /proc/zoneinfo)
	# I/O starts inside the band: leave it room for its buffers.
	HOG_LOW=$((_high + 48 * 1024))
	HOG_HIGH=$((HOG_LOW + 32 * 1024))
	echo "memory: high watermarks ${_high} kB, MemFree band ${HOG_LOW}..${HOG_HIGH} kB"
	mkdir -p "$HOG"
	mount -t tmpfs -o size=95% hog "$HOG" || fail "mount tmpfs hog"
	rm -f "$TMPDIR/hog.stop" "$TMPDIR/hog.ready"
	_hog_loop &
	HOG_PID=$!
	_t0=$(now) _i=0
	while [ ! -e "$TMPDIR/hog.ready" ] && [ $_i -lt 1200 ]; do
		_i=$((_i + 1))
		sleep 0.1
	done
	if [ -e "$TMPDIR/hog.ready" ]; then
		echo "hog: MemFree in the band after $(($(now) - _t0))s"
	else
		echo "warning: MemFree not yet in the band after 120s (slow host?), going on"
	fi
}

_hog_loop() {
	n=0 minfree=
	while [ ! -e "$TMPDIR/hog.stop" ]; do
		free=$(awk '/^MemFree:/ { print $2 }' /proc/meminfo)
		[ -z "$minfree" ] || [ "$free" -lt "$minfree" ] && minfree=$free
		if [ "$free" -gt "$HOG_HIGH" ]; then
			# Half the way down at a time, at most 512 MiB, at least 1 MiB.
			mb=$(((free - HOG_HIGH) / 2048))
			[ $mb -gt 512 ] && mb=512
			[ $mb -lt 1 ] && mb=1
			n=$((n + 1))
			fallocate -l $((mb * 1048576)) "$HOG/$n" 2>/dev/null ||
				dd if=/dev/zero of="$HOG/$n" bs=1M count=$mb 2>/dev/null
		elif [ "$free" -lt "$HOG_LOW" ] && [ $n -gt 0 ]; then
			rm -f "$HOG/$n"
			n=$((n - 1))
		else
			[ -e "$TMPDIR/hog.ready" ] || touch "$TMPDIR/hog.ready"
			sleep 0.1
		fi
	done
	echo "hog: held $(du -sm "$HOG" | cut -f1) MiB at the end, lowest MemFree seen ${minfree} kB"
}

# hog_stop -- end the hog and give its memory back (safe to call twice).
hog_stop() {
	[ -n "$HOG" ] || return 0
	touch "$TMPDIR/hog.stop"
	[ -n "$HOG_PID" ] && wait "$HOG_PID" 2>/dev/null
	HOG_PID=
	rm -f "$HOG"/* 2>/dev/null
	umount "$HOG" 2>/dev/null
	HOG=
}

# eio WHAT CMD...: CMD must fail, saying "Input/output error" (a backing
# device that fails its bios: the error reaches the caller).
eio() {
	_w=$1
	shift
	if "$@" >"$TMPDIR/eio.out" 2>&1; then
		fail "$_w succeeded on a failing device"
	fi
	grep -q 'Input/output error' "$TMPDIR/eio.out" || {
		cat "$TMPDIR/eio.out"
		fail "$_w failed, but not with EIO"
	}
	echo "ok: $_w: EIO"
}

# own_keyring_session "$@": run this test script again, once, in a session
# keyring of its own, shared by the shell and the dmsetup it runs (the
# kernel looks keys up in the keyrings of the process loading the table).
own_keyring_session() {
	[ -n "$CMT_OWN_SESSION" ] && return 0
	export CMT_OWN_SESSION=1
	exec keyctl session - sh "$0" "$@"
}
