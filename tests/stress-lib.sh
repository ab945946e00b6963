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
