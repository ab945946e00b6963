#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Stacked mappings.  The AES-Twofish-Serpent cascade of three crypt-mt
# mappings (aes-xts-plain64 on the disk, twofish-xts-plain64 on that,
# serpent-xts-plain64 on top) takes fio write+verify from 4 jobs; the same
# cascade built from stock dm-crypt on the same disk must read the same data,
# and crypt-mt must read back what the stock cascade wrote.  Then a mixed
# stack, crypt-mt on stock dm-crypt on crypt-mt, against the stock cascade.
#
# timeout: 300
. "$TESTS/lib.sh"
. "$TESTS/stress-lib.sh"

load_targets
DISK=$(ramdisk 0)
FIO_MB=4
MB=$((FIO_JOBS * FIO_MB))

# cascade PREFIX TARGET1 TARGET2 TARGET3 -- PREFIX1 (aes) on the disk,
# PREFIX2 (twofish) on it, PREFIX3 (serpent) on top.
cascade() {
	mkmap "${1}1" "$2" aes-xts-plain64 "$K64" "$DISK" "$MB"
	mkmap "${1}2" "$3" twofish-xts-plain64 "$K64B" "/dev/mapper/${1}1" "$MB"
	mkmap "${1}3" "$4" serpent-xts-plain64 "$K64C" "/dev/mapper/${1}2" "$MB"
}

# check LABEL TOP SEED -- fio on TOP, cross-checked with the stock cascade s3.
check() {
	_l=$1 _top=$2 _s=$3
	t0=$(now)
	fio_verify "$_top" "$_s" || fail "$_l: fio verify"
	fio_verify_only /dev/mapper/s3 "$_s" ||
		fail "$_l: the stock cascade does not read back what $_l wrote"
	same_dev "$_top" /dev/mapper/s3 || fail "$_l: stock cascade reads other data"
	fio_verify /dev/mapper/s3 $((_s + 100)) --do_verify=0 ||
		fail "$_l: fio write through the stock cascade"
	fio_verify_only "$_top" $((_s + 100)) ||
		fail "$_l: does not read back what the stock cascade wrote"
	echo "ok: $_l ($(($(now) - t0))s)"
}

cascade c crypt-mt crypt-mt crypt-mt
cascade s crypt crypt crypt
check "crypt-mt cascade" /dev/mapper/c3 1

# Mixed: crypt-mt (serpent) on stock (twofish) on crypt-mt (aes).
rmmap c3 c2
mkmap m2 crypt twofish-xts-plain64 "$K64B" /dev/mapper/c1 "$MB"
mkmap m3 crypt-mt serpent-xts-plain64 "$K64C" /dev/mapper/m2 "$MB"
check "mixed stack" /dev/mapper/m3 2
# Each layer of the mixed stack holds what the stock layer below s3 holds.
same_dev /dev/mapper/m2 /dev/mapper/s2 || fail "mixed stack: middle layer differs"
same_dev /dev/mapper/c1 /dev/mapper/s1 || fail "mixed stack: bottom layer differs"

rmmap m3 m2 c1 s3 s2 s1
unload_cmt
