#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Plain dm-crypt volumes through userspace/cryptsetup-mt, read back through
# stock cryptsetup (cs_cycle):
#   1. passphrase on stdin, hashed: --cipher aes-cbc-essiv:sha256 --key-size 256 --hash sha256
#   2. raw key file:      --cipher aes-xts-plain64 --key-size 512 --key-file (64 bytes)
#      (no refresh step: stock cryptsetup refuses it for such mappings)
#
# timeout: 480
. "$TESTS/lib.sh"
. "$TESTS/stress-lib.sh"
. "$TESTS/cryptsetup-lib.sh"

CS_STDIN=$PASS cs_cycle plain "$(disk 0 64)" plain1 --type plain \
	--cipher aes-cbc-essiv:sha256 --key-size 256 --hash sha256

dd if=/dev/urandom of="$TMPDIR/raw.key" bs=64 count=1 2>/dev/null
# stock cryptsetup 2.6.1 refuses `refresh` of a plain mapping keyed by a raw
# key file ("wrong or missing parameters"), with or without cryptsetup-mt
CS_NO_REFRESH="stock cryptsetup refuses it for raw key files" \
	cs_cycle plain "$(disk 1 64)" plain2 --type plain --cipher aes-xts-plain64 \
	--key-size 512 --key-file "$TMPDIR/raw.key"
echo "PASS: plain volumes with cryptsetup-mt"
