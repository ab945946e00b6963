#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# A key through a mapping's life, and where its bytes are left behind.
#
# `key wipe` and `key set` are refused while the mapping is active.  With
# fio write+verify running: suspend, `key wipe`, resume refused (no key),
# `key set` of the key, resume: every fio pass verifies and data written
# before reads back (also through stock dm-crypt).  Key messages with the
# wrong number of arguments are refused, active and suspended.
#
# Where the bytes go (tests/tools' memscan reads all RAM through
# /proc/kcore): keys are made by memscan and handed to dm with a backslash
# between every two hex digits, which dm's argument splitter drops, so the
# plain hex string exists only in the kernel's copy of the ioctl buffer,
# and the scan finds exactly what the kernel left there.  While the mapping
# is active the binary key is in its transforms (the scan must see it: the
# positive control); the hex key of the table is not (wiped at load).
# After the refused messages and a `key wipe`, neither the hex strings they
# carried nor the binary key are anywhere; nor is the key of a mapping that
# was used and removed.
# Tables go through tests/tools' dmfault: dmsetup would double the
# backslashes of a table (not of a message).
#
# timeout: 360
. "$TESTS/lib.sh"
. "$TESTS/stress-lib.sh"

load_targets
DEV=$(ramdisk 0)
L=$(mib 64)

# K: the key; K2: a key that only ever travels in refused messages; K3: the
# key of a mapping that is removed.
set -- $(memscan key 64)
K=$1 SPEC=$2
set -- $(memscan key 64)
K2=$1
SPEC2=$(echo "$2" | sed 's/hex:/hex2:/; s/bin@/bin2@/g')
set -- $(memscan key 64)
K3=$1
SPEC3=$(echo "$2" | sed 's/hex:/hex3:/; s/bin@/bin3@/g')
[ -n "$K" ] && [ -n "$SPEC" ] && [ -n "$K2" ] && [ -n "$SPEC2" ] && [ -n "$K3" ] &&
	[ -n "$SPEC3" ] || fail "memscan key"

# mk NAME TABLE: create a mapping through dmfault (table taken as given).
mk() {
	dmfault create "$1" >/dev/null && dmfault load "$1" "$2" >/dev/null &&
		dmfault resume "$1" >/dev/null &&
		dmsetup mknodes "$1" || fail "create $1"
}

# scan WHAT PATTERN=WANT...: one scan of all RAM; WANT is 0 or + (at least once).
scan() {
	_w=$1
	shift
	memscan scan "$SPEC,$SPEC2,$SPEC3" >"$TMPDIR/scan" || fail "memscan scan"
	_bad=0
	for _p in "$@"; do
		_n=$(awk -v p="${_p%=*}" '$1 == p { print $2 }' "$TMPDIR/scan")
		case ${_p#*=} in
		0) [ "$_n" = 0 ] || _bad=1 ;;
		+) [ -n "$_n" ] && [ "$_n" -gt 0 ] || _bad=1 ;;
		esac
	done
	echo "scan $_w: $(tr '\n' ' ' <"$TMPDIR/scan")"
	[ $_bad = 0 ] || fail "scan $_w: expected $*"
}

# refused WHAT LOGTEXT MESSAGE: `dmsetup message` fails, the kernel logs LOGTEXT.
refused() {
	_m=$(new_mark)
	kmsg "$_m"
	! dmsetup message lk 0 $3 2>/dev/null || fail "message accepted: $1"
	dmesg_since "$_m" | grep -qF -- "crypt-mt: $2" || {
		dmesg_since "$_m"
		fail "message $1: no 'crypt-mt: $2' in the kernel log"
	}
}

mk lk "0 $L crypt-mt aes-xts-plain64 $K 0 $DEV 0"
# On a failure while lk is suspended and keyless, give it its key back, so
# that the harness can resume and remove it.
trap 'dmsetup message lk 0 key set "$K" 2>/dev/null; dmsetup resume lk 2>/dev/null' EXIT
rand_file "$TMPDIR/data" 8
dd if="$TMPDIR/data" of=/dev/mapper/lk bs=1M seek=48 oflag=direct 2>/dev/null || fail "write data"
SUM=$(md5sum <"$TMPDIR/data")
# A mapping with K3, used and removed: its key must go with it.
mk gone "0 $(mib 8) crypt-mt aes-xts-plain64 $K3 0 $(ramdisk 1) 0"
dd if="$TMPDIR/data" of=/dev/mapper/gone bs=1M oflag=direct 2>/dev/null || fail "write gone"
dmsetup remove gone || fail "remove gone"
scan "active" hex=0 bin@0=+ bin@32=+ hex3=0 bin3@0=0 bin3@32=0

# ---- refused while active ----
refused "key wipe, active" "not suspended during key manipulation." "key wipe"
refused "key set, active" "not suspended during key manipulation." "key set $K2"
refused "key set + extra, active" "not suspended during key manipulation." "key set $K2 extra"
dmsetup info lk | grep -q 'State: *ACTIVE' || fail "not active after refused messages"
[ "$(dd if=/dev/mapper/lk bs=1M skip=48 count=8 iflag=direct 2>/dev/null | md5sum)" = "$SUM" ] ||
	fail "data changed by refused messages"
echo "ok: key messages refused while active"

# ---- suspend, wipe, resume refused, key set, resume -- under fio ----
FIO_JOBS=2 FIO_MB=8
fio_loop_bg io /dev/mapper/lk
sleep 2
dmsetup suspend lk || fail "suspend under fio"
refused "key set + extra" "unrecognised message received." "key set $K2 extra"
refused "key set + 2 extra" "unrecognised message received." "key set $K2 extra more"
refused "key + key" "unrecognised message received." "key $K2"
refused "key frob + key" "unrecognised message received." "key frob $K2"
refused "key wipe + key" "unrecognised message received." "key wipe $K2"
refused "misspelt verb" "unrecognised message received." "kye set $K2"
dmsetup message lk 0 key wipe || fail "key wipe while suspended"
scan "suspended, wiped" hex=0 bin@0=0 bin@32=0 hex2=0 bin2@0=0 bin2@32=0 hex3=0 bin3@0=0 bin3@32=0
_m=$(new_mark)
kmsg "$_m"
! dmsetup resume lk 2>/dev/null || fail "resumed after key wipe"
dmesg_since "$_m" | grep -qF "crypt key is not set" || fail "resume refused without the log line"
dmsetup info lk | grep -q 'State: *SUSPENDED' || fail "not suspended after the refused resume"
dmsetup message lk 0 key set "$K" || fail "key set after key wipe"
dmsetup resume lk || fail "resume after key set"
sleep 2
fio_loop_wait io
echo "ok: $LOOP_SEED fio passes verified across suspend, wipe, refused resume, key set, resume"
[ "$(dd if=/dev/mapper/lk bs=1M skip=48 count=8 iflag=direct 2>/dev/null | md5sum)" = "$SUM" ] ||
	fail "data written before the key wipe does not read back"

# The same data through stock dm-crypt with the same key.
dmsetup remove lk || fail "remove lk"
mk st "0 $L crypt aes-xts-plain64 $K 0 $DEV 0"
[ "$(dd if=/dev/mapper/st bs=1M skip=48 count=8 iflag=direct 2>/dev/null | md5sum)" = "$SUM" ] ||
	fail "stock dm-crypt reads other data"
fio_verify_only /dev/mapper/st "$LOOP_SEED" || fail "stock dm-crypt does not verify fio's last pass"
dmsetup remove st || fail "remove st"
echo "ok: stock dm-crypt reads the same data"

unload_cmt
