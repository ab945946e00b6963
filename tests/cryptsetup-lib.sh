# SPDX-License-Identifier: GPL-2.0
#
# Helpers for the cryptsetup-mt / convert-mapping tests (tests/cases/cryptsetup-*.sh).
# Source after lib.sh and stress-lib.sh.  busybox sh.
#
# The tools are looked for where `make install` puts them (the VM image gets
# them by the same install step, under /usr/local), then next to the tests:
#	CSMT     cryptsetup-mt
#	CONVERT  convert-mapping

_cs_find() {
	for _p in "/usr/local/sbin/$1" "/usr/sbin/$1" "$TESTS/../scripts/$1"; do
		[ -x "$_p" ] && { echo "$_p"; return 0; }
	done
	command -v "$1" 2>/dev/null
}
CSMT=${CSMT:-$(_cs_find cryptsetup-mt)}
CONVERT=${CONVERT:-$(_cs_find convert-mapping)}
[ -n "$CSMT" ] || fail "cryptsetup-mt is not installed in the VM"
[ -n "$CONVERT" ] || fail "convert-mapping is not installed in the VM"

# Cheap PBKDF: pbkdf2 with 1000 iterations.
PBKDF="--pbkdf pbkdf2 --pbkdf-force-iterations 1000"
PASS=$TMPDIR/passphrase
printf 'correct horse battery staple' >"$PASS"

# disk N MB: a loop device over a MB MiB file in $TMPDIR (small, so whole-
# device checksums and fsck stay quick under emulation); prints its path.
disk() {
	_img=$TMPDIR/disk$1.img
	dd if=/dev/zero of="$_img" bs=1M count=0 seek="$2" 2>/dev/null || fail "disk image $_img"
	# busybox's losetup has no --show
	_ld=$(losetup -f) || fail "no free loop device"
	losetup "$_ld" "$_img" || fail "losetup $_ld $_img"
	echo "$_ld"
}

# targets NAME: the distinct target types of NAME's live table.
targets() {
	dmsetup table "$1" | awk '{print $3}' | sort -u | tr '\n' ' ' | sed 's/ $//'
}

# expect_target NAME TYPE WHAT
expect_target() {
	_t=$(targets "$1")
	[ "$_t" = "$2" ] || fail "$3: $1 has target '$_t', expected '$2' ($(dmsetup table "$1"))"
}

# keyfield NAME: the key field of NAME's table (the key itself: keep it in variables).
keyfield() {
	dmsetup table --showkeys "$1" | awk 'NR == 1 {print $5}'
}

# table_as NAME TYPE: NAME's table with keys, target type replaced by TYPE
# (to compare a crypt-mt table with stock's).
table_as() {
	dmsetup table --showkeys "$1" | awk -v t="$2" '{ $3 = t; print }'
}

# no_mappings WHAT: no device-mapper device exists.
no_mappings() {
	_left=$(dmsetup ls | awk '$1 != "No" {print $1}')
	[ -z "$_left" ] || fail "$1: mappings left: $_left"
}

# state NAME: ACTIVE or SUSPENDED
state() {
	dmsetup info "$1" | awk '/^State:/ {print $2}'
}

# fill_fs DEV: make an ext4 file system on DEV with a random file and a copy of
# it, and remember checksums: FILE_SUM (the file) and DEV_SUM (the whole
# decrypted device, after unmounting).
fill_fs() {
	mkfs.ext4 -q -F "$1" >/dev/null 2>&1 || fail "mkfs.ext4 $1"
	mkdir -p "$TMPDIR/mnt"
	mount -t ext4 "$1" "$TMPDIR/mnt" || fail "mount $1"
	rand_file "$TMPDIR/mnt/data" 8
	cp "$TMPDIR/mnt/data" "$TMPDIR/mnt/copy" || fail "cp in fs"
	FILE_SUM=$(md5sum <"$TMPDIR/mnt/data" | cut -d' ' -f1)
	umount "$TMPDIR/mnt" || fail "umount $1"
	DEV_SUM=$(devsum "$1")
	echo "ok: ext4 with 8 MiB file written on $1 (file $FILE_SUM, device $DEV_SUM)"
}

# check_fs DEV WHAT: DEV holds what fill_fs wrote: same device checksum,
# fsck -fn clean, both files intact.
check_fs() {
	blockdev --flushbufs "$1" 2>/dev/null
	_s=$(devsum "$1")
	[ "$_s" = "$DEV_SUM" ] || fail "$2: device checksum $_s, expected $DEV_SUM"
	e2fsck -fn "$1" >"$TMPDIR/fsck.log" 2>&1 || {
		cat "$TMPDIR/fsck.log"
		fail "$2: e2fsck -fn $1 found problems"
	}
	mkdir -p "$TMPDIR/mnt"
	mount -t ext4 -o ro "$1" "$TMPDIR/mnt" || fail "$2: mount ro $1"
	_a=$(md5sum <"$TMPDIR/mnt/data" | cut -d' ' -f1)
	_b=$(md5sum <"$TMPDIR/mnt/copy" | cut -d' ' -f1)
	umount "$TMPDIR/mnt"
	[ "$_a" = "$FILE_SUM" ] && [ "$_b" = "$FILE_SUM" ] ||
		fail "$2: file checksums $_a $_b, expected $FILE_SUM"
	echo "ok: $2: device checksum, fsck -fn and files match"
}

# cs_cycle KIND DEV NAME OPEN_ARGS...
#
# The common life of a volume, KIND luks1|luks2|plain (the volume is already
# formatted for LUKS; OPEN_ARGS are the `open` options that unlock it):
#   open with cryptsetup-mt -> target crypt-mt (LUKS2: keyring key reference,
#   LUKS1/plain: hex key), status, data + ext4, luksSuspend/luksResume (LUKS),
#   resize down and back, refresh with and without allow_discards, close ->
#   no mapping; open the same volume with stock cryptsetup -> stock crypt
#   table identical but for the target name, same data, fsck clean; close.
# CS_STDIN=FILE: open (and plain refresh) read the passphrase from FILE on stdin.
# CS_NO_REFRESH=WHY: skip the refresh step.
cs_cycle() {
	_kind=$1 _dev=$2 _name=$3 _in=${CS_STDIN:-/dev/null}
	shift 3
	# options that unlock again (resize/refresh/luksResume need the key for LUKS2)
	_kf=
	[ "$_kind" = plain ] || _kf="--key-file $PASS"

	"$CSMT" open "$@" "$_dev" "$_name" <"$_in" || fail "$_kind: cryptsetup-mt open"
	[ -b "/dev/mapper/$_name" ] || fail "$_kind: no /dev/mapper/$_name"
	expect_target "$_name" crypt-mt "$_kind: open"
	_key=$(keyfield "$_name")
	case $_kind:$_key in
	luks2:":"[0-9]*":logon:cryptsetup:"*) echo "ok: luks2 key is a keyring reference (${_key%%:cryptsetup:*}:...)" ;;
	luks2:*) fail "luks2: key field is not a logon keyring reference" ;;
	*:":"*) fail "$_kind: unexpected keyring key" ;;
	*) [ ${#_key} -ge 32 ] || fail "$_kind: key field too short" ;;
	esac
	_key=
	MT_TABLE=$(table_as "$_name" crypt)
	_len=$(dmsetup table "$_name" | awk '{print $2}')

	_st=$("$CSMT" status "$_name") || fail "$_kind: cryptsetup-mt status rc $?"
	echo "$_st" | grep -q "is active" || fail "$_kind: status: $_st"
	case $_kind in
	luks1) echo "$_st" | grep -q "type: *LUKS1" || fail "$_kind: status type: $_st" ;;
	luks2) echo "$_st" | grep -q "type: *LUKS2" || fail "$_kind: status type: $_st"
		echo "$_st" | grep -q "key location: *keyring" || fail "$_kind: status key location: $_st" ;;
	plain) echo "$_st" | grep -q "type: *PLAIN" || fail "$_kind: status type: $_st" ;;
	esac
	echo "ok: $_kind: status through cryptsetup-mt"

	fill_fs "/dev/mapper/$_name"

	if [ "$_kind" != plain ]; then
		"$CSMT" luksSuspend "$_name" || fail "$_kind: luksSuspend"
		[ "$(state "$_name")" = SUSPENDED ] || fail "$_kind: not suspended after luksSuspend"
		# cryptsetup wipes the key: status reports it
		"$CSMT" status "$_name" | grep -qi suspended || fail "$_kind: status does not say suspended"
		"$CSMT" luksResume --key-file "$PASS" "$_name" || fail "$_kind: luksResume"
		[ "$(state "$_name")" = ACTIVE ] || fail "$_kind: not active after luksResume"
		expect_target "$_name" crypt-mt "$_kind: luksResume"
		check_fs "/dev/mapper/$_name" "$_kind: after luksSuspend/luksResume"
	fi

	_half=$((_len / 2 / 8 * 8))
	"$CSMT" resize $_kf --size "$_half" "$_name" || fail "$_kind: resize --size $_half"
	[ "$(blockdev --getsz "/dev/mapper/$_name")" = "$_half" ] || fail "$_kind: size after resize"
	expect_target "$_name" crypt-mt "$_kind: resize"
	"$CSMT" resize $_kf "$_name" || fail "$_kind: resize to full"
	[ "$(blockdev --getsz "/dev/mapper/$_name")" = "$_len" ] || fail "$_kind: size after resize back"
	echo "ok: $_kind: resize $_len -> $_half -> $_len"

	if [ "$_kind" = plain ]; then
		_ro="$*"
	else
		_ro=$_kf
	fi
	if [ -n "${CS_NO_REFRESH:-}" ]; then
		echo "skip: $_kind: refresh ($CS_NO_REFRESH)"
	else
		"$CSMT" refresh $_ro --allow-discards "$_name" <"$_in" || fail "$_kind: refresh --allow-discards"
		expect_target "$_name" crypt-mt "$_kind: refresh"
		dmsetup table "$_name" | grep -q allow_discards || fail "$_kind: refresh did not add allow_discards"
		"$CSMT" refresh $_ro "$_name" <"$_in" || fail "$_kind: refresh"
		! dmsetup table "$_name" | grep -q allow_discards || fail "$_kind: refresh did not drop allow_discards"
		expect_target "$_name" crypt-mt "$_kind: refresh"
		echo "ok: $_kind: refresh with and without allow_discards"
	fi
	[ "$(table_as "$_name" crypt)" = "$MT_TABLE" ] || fail "$_kind: table changed after resize/refresh"
	check_fs "/dev/mapper/$_name" "$_kind: after resize/refresh"

	"$CSMT" close "$_name" || fail "$_kind: cryptsetup-mt close"
	no_mappings "$_kind: close"

	# The same volume through stock cryptsetup and stock dm-crypt.
	cryptsetup open "$@" "$_dev" "$_name" <"$_in" || fail "$_kind: stock cryptsetup open"
	expect_target "$_name" crypt "$_kind: stock open"
	[ "$(table_as "$_name" crypt)" = "$MT_TABLE" ] ||
		fail "$_kind: stock table differs from crypt-mt's (beyond the target name)"
	echo "ok: $_kind: stock cryptsetup makes the same table with target crypt"
	check_fs "/dev/mapper/$_name" "$_kind: read back by stock dm-crypt"
	cryptsetup close "$_name" || fail "$_kind: stock close"
	no_mappings "$_kind: stock close"
	MT_TABLE=
}

# no_key_in_argv_bg HEXKEY HITFILE STOPFILE: in the background, scan every
# process's argument list for HEXKEY until STOPFILE exists; a hit is written to
# HITFILE.  The key is compared by the shell (case), never passed as an argument.
no_key_in_argv_bg() {
	_k=$1 _hit=$2 _stop=$3
	rm -f "$_hit" "$_stop"
	(
		while [ ! -e "$_stop" ]; do
			for _c in /proc/[0-9]*/cmdline; do
				_a=$(tr '\0' ' ' 2>/dev/null <"$_c")
				case $_a in
				*"$_k"*) echo "${_c}: ${_a%%"$_k"*}<key>..." >>"$_hit" ;;
				esac
			done
		done
	) &
	ARGV_PID=$!
}

no_key_in_argv_wait() {
	touch "$2"
	wait "$ARGV_PID"
	if [ -s "$1" ]; then
		cat "$1" >&2
		fail "the key showed up in a process's arguments"
	fi
	echo "ok: the key never showed up in a process's arguments"
}
