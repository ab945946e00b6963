# SPDX-License-Identifier: GPL-2.0
#
# Helpers for the stock-compatibility tests (tests/cases/compat-*.sh): the same
# table line under target `crypt-mt` and under stock `crypt` must give the same
# device.  Source after lib.sh and stress-lib.sh.  busybox sh.
#
# The checks here return non-zero and print "FAIL: ..." lines instead of
# calling fail(), so that a data-driven test can go through its whole list and
# report every case that differs.  Mappings they create are named cmt_a and
# cmt_b and are removed again, also on failure.
#
# A "rest" is the table line after the target name:
#	<cipher> <key> <iv_offset> <device> <offset> [<#opt> <opt>...]
# and a table is "0 <sectors> <target> <rest>".
#
# Data moves with O_DIRECT only (no page cache can hide what is on the disk),
# and never through two writable mappings of one disk at a time: the writer is
# removed before the reader (a read-only mapping) is made.

# hexkey BYTES: BYTES random bytes as lowercase hex ("-" for 0 bytes).
hexkey() {
	if [ "$1" -eq 0 ]; then
		echo -
	else
		head -c "$1" /dev/urandom | od -An -v -tx1 | tr -d ' \n'
		echo
	fi
}

# hex_of FILE: the bytes of FILE as lowercase hex.
hex_of() {
	od -An -v -tx1 <"$1" | tr -d ' \n'
	echo
}

# rest CIPHER KEY IV_OFFSET DEV OFFSET [OPTION...]: a rest with the option count.
rest() {
	_rc=$1 _rk=$2 _ri=$3 _rd=$4 _ro=$5
	shift 5
	if [ $# -gt 0 ]; then
		echo "$_rc $_rk $_ri $_rd $_ro $# $*"
	else
		echo "$_rc $_rk $_ri $_rd $_ro"
	fi
}

# dio_put FILE DEV MIB: FILE's first MIB MiB onto DEV, O_DIRECT, in writes of
# three sizes: 1 MiB up to the last MiB, then 64 KiB, and the last 64 KiB in
# 4 KiB writes.  crypt-mt converts small bios in place (up to inline_max,
# 16 KiB) and bigger ones in its workers: both paths get data.  (Not more
# small I/O: stock dm-crypt takes ~10 ms per 4 KiB write in the emulated VM.)
dio_put() {
	_dd_parts "$1" "$2" "$3" oflag=direct conv=notrunc
}

# dio_get DEV FILE MIB: DEV's first MIB MiB into FILE, O_DIRECT, sizes as dio_put.
dio_get() {
	rm -f "$2"
	_dd_parts "$1" "$2" "$3" iflag=direct conv=notrunc
}

_dd_parts() {
	_di=$1 _do=$2 _dm=$3
	shift 3
	if [ "$_dm" -gt 1 ]; then
		dd if="$_di" of="$_do" bs=1M count=$((_dm - 1)) status=none "$@" || return 1
	fi
	_db=$(((_dm - 1) * 16))	# in 64 KiB blocks
	dd if="$_di" of="$_do" bs=64k count=15 skip=$_db seek=$_db status=none "$@" || return 1
	_db=$(((_db + 15) * 16))	# in 4 KiB blocks
	dd if="$_di" of="$_do" bs=4k count=16 skip=$_db seek=$_db status=none "$@"
}

# same_file A B: the files are equal (md5sum; busybox cmp is slow in the VM,
# it only runs to show where they differ).
same_file() {
	[ "$(md5sum <"$1")" = "$(md5sum <"$2")" ] && return 0
	cmp "$1" "$2" 2>&1 | head -n 1
	return 1
}

# raw_get DEV SECTOR FILE MIB: MIB MiB of DEV from 512-byte sector SECTOR on.
raw_get() {
	dd if="$1" of="$3" bs=1M count="$4" iflag=direct,skip_bytes skip=$(($2 * 512)) \
		status=none
}

# cmt_cleanup: remove the helpers' mappings, if any are left.
cmt_cleanup() {
	for _cn in cmt_a cmt_b; do
		if [ -e "/dev/mapper/$_cn" ]; then
			dmsetup resume "$_cn" >/dev/null 2>&1
			dmsetup remove "$_cn" >/dev/null 2>&1 ||
				dmsetup remove --force "$_cn" >/dev/null 2>&1
		fi
	done
}

# as_stock: stdin's table/status lines with target crypt-mt renamed crypt.
as_stock() {
	sed 's/^\([0-9][0-9]* [0-9][0-9]*\) crypt-mt /\1 crypt /; s/^\([0-9][0-9]* [0-9][0-9]*\) crypt-mt$/\1 crypt/'
}

# save_lines NAME TARGET: keep NAME's `dmsetup table --showkeys`, `dmsetup
# table` and `dmsetup status` in $TMPDIR/{table,ktable,status}.TARGET.
save_lines() {
	dmsetup table --showkeys "$1" >"$TMPDIR/table.$2" 2>&1
	if [ "$SAME_KTABLE" = 1 ]; then
		dmsetup table "$1" >"$TMPDIR/ktable.$2" 2>&1
	fi
	dmsetup status "$1" >"$TMPDIR/status.$2" 2>&1
}

# mkdm NAME TABLE [dmsetup option...]: create a mapping; on failure print why
# (and the kernel's words) and return 1.
mkdm() {
	_mn=$1 _mt=$2
	shift 2
	_mm=$(new_mark)
	kmsg "$_mm"
	if ! dmsetup create "$_mn" "$@" --table "$_mt" </dev/null >"$TMPDIR/mkdm.out" 2>&1; then
		echo "FAIL: cannot create $_mn: '$_mt': $(cat "$TMPDIR/mkdm.out")"
		dmesg_since "$_mm" | grep -i 'device-mapper' | sed 's/^/  | /'
		return 1
	fi
	[ -b "/dev/mapper/$_mn" ] || { echo "FAIL: no /dev/mapper/$_mn after create"; return 1; }
}

rmdm() {
	dmsetup remove "$1" </dev/null || { echo "FAIL: cannot remove $1"; return 1; }
}

# PLAIN_ON_DISK=1: the cipher is the identity (cipher_null), so the disk must
# hold the plaintext; otherwise it must not.
PLAIN_ON_DISK=0

# same_lines LABEL: the lines save_lines kept for crypt-mt and for crypt are
# the same but for the target name: table with keys, status, and with
# SAME_KTABLE=1 also the table as `dmsetup table` shows it without --showkeys.
SAME_KTABLE=0
same_lines() {
	_sl=0
	_kinds="table status"
	[ "$SAME_KTABLE" = 1 ] && _kinds="$_kinds ktable"
	for _k in $_kinds; do
		if [ ! -s "$TMPDIR/$_k.crypt-mt" ] || [ ! -s "$TMPDIR/$_k.crypt" ]; then
			echo "FAIL: $1: no $_k line saved"
			_sl=1
			continue
		fi
		_a=$(as_stock <"$TMPDIR/$_k.crypt-mt")
		_b=$(cat "$TMPDIR/$_k.crypt")
		if [ "$_a" != "$_b" ]; then
			echo "FAIL: $1: dmsetup $_k differs from stock's"
			echo "  crypt-mt: $(cat "$TMPDIR/$_k.crypt-mt")"
			echo "  crypt:    $_b"
			_sl=1
		fi
	done
	return $_sl
}

# cross LABEL REST MIB [TARGET_1 TARGET_2]: the whole check of one table
# (TARGET_1 crypt-mt and TARGET_2 crypt unless given):
#   1. random data X written through a TARGET_1 mapping (which is removed);
#      the disk must not hold X (see PLAIN_ON_DISK);
#   2. a TARGET_2 mapping reads X back, then writes random data Y (removed);
#   3. a read-only TARGET_1 mapping reads Y back;
#   4. table and status lines of both as stock's (same_lines), only when the
#      two targets are crypt-mt and crypt.
# Prints "ok: LABEL (Ns)" or FAIL lines; returns non-zero on any failure.
cross() {
	_xl=$1 _r=$2 _mb=$3 _t1=${4:-crypt-mt} _t2=${5:-crypt}
	_t0=$(now)
	_len=$(mib "$_mb")
	set -- $_r
	_dev=$4 _off=$5
	rm -f "$TMPDIR"/table.* "$TMPDIR"/ktable.* "$TMPDIR"/status.*
	if _cross "$_xl"; then
		echo "ok: $_xl ($(($(now) - _t0))s)"
		rm -f "$TMPDIR/rt.w" "$TMPDIR/rt.r" "$TMPDIR/rt.raw"
		return 0
	fi
	cmt_cleanup
	echo "  (table: 0 $_len $_t1 $_r)"
	return 1
}

_cross() {
	rand_file "$TMPDIR/rt.w" "$_mb"
	mkdm cmt_a "0 $_len $_t1 $_r" || return 1
	save_lines cmt_a "$_t1"
	dio_put "$TMPDIR/rt.w" /dev/mapper/cmt_a "$_mb" ||
		{ echo "FAIL: $1: write through $_t1 failed"; return 1; }
	rmdm cmt_a || return 1
	raw_get "$_dev" "$_off" "$TMPDIR/rt.raw" "$_mb" || { echo "FAIL: $1: cannot read $_dev"; return 1; }
	if [ "$PLAIN_ON_DISK" = 1 ]; then
		same_file "$TMPDIR/rt.w" "$TMPDIR/rt.raw" >/dev/null ||
			{ echo "FAIL: $1: $_t1 did not put the plaintext on the disk (null cipher)"; return 1; }
	else
		! same_file "$TMPDIR/rt.w" "$TMPDIR/rt.raw" >/dev/null ||
			{ echo "FAIL: $1: $_t1 wrote the plaintext to the disk"; return 1; }
	fi

	mkdm cmt_b "0 $_len $_t2 $_r" || return 1
	save_lines cmt_b "$_t2"
	dio_get /dev/mapper/cmt_b "$TMPDIR/rt.r" "$_mb" ||
		{ echo "FAIL: $1: read through $_t2 failed"; return 1; }
	same_file "$TMPDIR/rt.w" "$TMPDIR/rt.r" ||
		{ echo "FAIL: $1: $_t2 does not read back what $_t1 wrote ($_mb MiB)"; return 1; }
	rand_file "$TMPDIR/rt.w" "$_mb"
	dio_put "$TMPDIR/rt.w" /dev/mapper/cmt_b "$_mb" ||
		{ echo "FAIL: $1: write through $_t2 failed"; return 1; }
	rmdm cmt_b || return 1

	mkdm cmt_a "0 $_len $_t1 $_r" --readonly || return 1
	dio_get /dev/mapper/cmt_a "$TMPDIR/rt.r" "$_mb" ||
		{ echo "FAIL: $1: read through $_t1 failed"; return 1; }
	rmdm cmt_a || return 1
	same_file "$TMPDIR/rt.w" "$TMPDIR/rt.r" ||
		{ echo "FAIL: $1: $_t1 does not read back what $_t2 wrote ($_mb MiB)"; return 1; }
	[ "$_t1 $_t2" = "crypt-mt crypt" ] || return 0
	same_lines "$1"
}

# check_line CIPHER KEYBYTES IV_OFFSET OFFSET [OPTION...]: cross() on
# $DEV with a random key of KEYBYTES bytes (U<n>: the same in uppercase hex,
# -: no key), $MB MiB.
check_line() {
	_spec=$1 _kb=$2 _iv=$3 _o=$4
	shift 4
	case $_kb in
	-) _key=- ;;
	U*) _key=$(hexkey "${_kb#U}" | tr a-f A-F) ;;
	*) _key=$(hexkey "$_kb") ;;
	esac
	PLAIN_ON_DISK=0
	case $_spec in cipher_null*) PLAIN_ON_DISK=1 ;; esac
	cross "$_spec key=$_kb iv_offset=$_iv offset=$_o${*:+ $*}" \
		"$(rest "$_spec" "$_key" "$_iv" "$DEV" "$_o" "$@")" "$MB"
}

# run_list WHAT: check_line for every line of stdin (blank and # lines
# skipped); lists the lines that failed and returns 1 if any did.
run_list() {
	_n=0 _bad='' _t=$(now)
	while read -r _line; do
		case $_line in '' | '#'*) continue ;; esac
		_n=$((_n + 1))
		# shellcheck disable=SC2086 # the line's words are the arguments
		check_line $_line </dev/null || _bad="$_bad
  $_line"
	done
	echo "$_n $1 in $(($(now) - _t))s"
	[ -z "$_bad" ] || { echo "FAIL: $1 where crypt-mt differs from stock dm-crypt:$_bad"; return 1; }
}

# dio_same DEV FILE MIB WHAT: DEV (O_DIRECT) holds FILE's first MIB MiB; fail() otherwise.
dio_same() {
	dio_get "$1" "$TMPDIR/ds.r" "$3" || fail "$4: cannot read $1"
	same_file "$2" "$TMPDIR/ds.r" || fail "$4: $1 does not hold the expected data"
	rm -f "$TMPDIR/ds.r"
}
