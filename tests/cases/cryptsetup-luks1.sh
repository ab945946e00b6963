#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# LUKS1 through userspace/cryptsetup-mt: open makes a crypt-mt mapping (hex key
# in the table, as stock), status/luksSuspend/luksResume/resize/refresh/close
# work on it, and what was written (data + ext4) reads back identically
# through stock cryptsetup and dm-crypt (cs_cycle in tests/cryptsetup-lib.sh).
# LUKS1 puts the volume key itself (hex) into the table: while cryptsetup-mt
# opens, suspends, resumes, resizes, refreshes and closes, no process's
# argument list ever holds it.
#
# timeout: 420
. "$TESTS/lib.sh"
. "$TESTS/stress-lib.sh"
. "$TESTS/cryptsetup-lib.sh"

DEV=$(disk 0 64)
cryptsetup luksFormat --type luks1 $PBKDF --batch-mode --key-file "$PASS" "$DEV" ||
	fail "luksFormat luks1"
cs_cycle luks1 "$DEV" vol1 --key-file "$PASS"

"$CSMT" open --key-file "$PASS" "$DEV" vol1 || fail "open"
VK=$(keyfield vol1)
"$CSMT" close vol1 || fail "close"
[ ${#VK} -ge 64 ] || fail "unexpected LUKS1 key field length ${#VK}"
no_key_in_argv_bg "$VK" "$TMPDIR/argv.hit" "$TMPDIR/argv.stop"
for i in 1 2 3; do
	"$CSMT" open --key-file "$PASS" "$DEV" vol1 || fail "open $i"
	"$CSMT" luksSuspend vol1 || fail "luksSuspend $i"
	"$CSMT" luksResume --key-file "$PASS" vol1 || fail "luksResume $i"
	"$CSMT" resize --size 8192 vol1 || fail "resize $i"
	"$CSMT" refresh --key-file "$PASS" vol1 || fail "refresh $i"
	"$CSMT" close vol1 || fail "close $i"
done
no_key_in_argv_wait "$TMPDIR/argv.hit" "$TMPDIR/argv.stop"
VK=
no_mappings "end"
echo "PASS: LUKS1 with cryptsetup-mt"
