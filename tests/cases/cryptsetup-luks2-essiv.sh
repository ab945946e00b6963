#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# LUKS2 with aes-cbc-essiv:sha256 and 4096-byte encryption sectors through
# userspace/cryptsetup-mt (table option sector_size:4096, keyring key), the
# whole cs_cycle, read back through stock cryptsetup.
#
# timeout: 420
. "$TESTS/lib.sh"
. "$TESTS/stress-lib.sh"
. "$TESTS/cryptsetup-lib.sh"

DEV=$(disk 0 64)
cryptsetup luksFormat --type luks2 $PBKDF --batch-mode --key-file "$PASS" \
	--cipher aes-cbc-essiv:sha256 --key-size 256 --sector-size 4096 "$DEV" ||
	fail "luksFormat luks2 aes-cbc-essiv:sha256 4k"
"$CSMT" open --key-file "$PASS" "$DEV" probe || fail "open"
t=$(dmsetup table probe)
"$CSMT" close probe || fail "close"
case $t in
*" crypt-mt aes-cbc-essiv:sha256 "*"sector_size:4096"*) echo "ok: table $(echo "$t" | awk '{print $3, $4, $NF}')" ;;
*) fail "unexpected table: $t" ;;
esac
cs_cycle luks2 "$DEV" vol3 --key-file "$PASS"
echo "PASS: LUKS2 aes-cbc-essiv:sha256 sector 4096 with cryptsetup-mt"
