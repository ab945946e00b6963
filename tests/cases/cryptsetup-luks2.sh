#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# LUKS2 with cryptsetup's defaults (aes-xts-plain64, volume key passed to the
# kernel through the keyring) through userspace/cryptsetup-mt: the crypt-mt
# table carries a :64:logon:cryptsetup:... reference exactly like stock's;
# status/luksSuspend/luksResume/resize/refresh/close work, and data + ext4
# read back identically through stock cryptsetup (cs_cycle).
#
# timeout: 420
. "$TESTS/lib.sh"
. "$TESTS/stress-lib.sh"
. "$TESTS/cryptsetup-lib.sh"

DEV=$(disk 0 64)
cryptsetup luksFormat --type luks2 $PBKDF --batch-mode --key-file "$PASS" "$DEV" ||
	fail "luksFormat luks2"
cs_cycle luks2 "$DEV" vol2 --key-file "$PASS"
echo "PASS: LUKS2 (default aes-xts-plain64, keyring key) with cryptsetup-mt"
