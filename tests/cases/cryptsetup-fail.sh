#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Failed opens through userspace/cryptsetup-mt leave nothing behind:
#   - a wrong passphrase is refused for LUKS1 and LUKS2 (exit status 2, as
#     stock), no mapping exists afterwards, and the right one still opens;
#   - a table that crypt-mt itself refuses (plain mode with the BitLocker
#     "elephant" IV, which crypt-mt does not implement) fails the open with
#     crypt-mt's error in the kernel log, and cryptsetup removes the
#     half-created device: no mapping left.
#
# timeout: 300
. "$TESTS/lib.sh"
. "$TESTS/stress-lib.sh"
. "$TESTS/cryptsetup-lib.sh"

printf 'not the passphrase' >"$TMPDIR/wrong"

for t in luks1 luks2; do
	DEV=$(ramdisk 0)
	[ $t = luks2 ] && DEV=$(ramdisk 1)
	cryptsetup luksFormat --type $t $PBKDF --batch-mode --key-file "$PASS" "$DEV" ||
		fail "luksFormat $t"
	"$CSMT" open --key-file "$TMPDIR/wrong" "$DEV" bad
	rc=$?
	[ $rc = 2 ] || fail "$t: wrong passphrase: exit status $rc, expected 2 (no permission/bad passphrase)"
	no_mappings "$t: wrong passphrase"
	[ ! -e /dev/mapper/bad ] || fail "$t: /dev/mapper/bad exists"
	# wrong passphrase on stdin, too
	"$CSMT" open "$DEV" bad <"$TMPDIR/wrong" && fail "$t: wrong passphrase on stdin accepted"
	no_mappings "$t: wrong passphrase on stdin"
	echo "ok: $t: wrong passphrase refused, no mapping"
	"$CSMT" open --key-file "$PASS" "$DEV" good || fail "$t: right passphrase after wrong ones"
	expect_target good crypt-mt "$t: open"
	"$CSMT" close good || fail "$t: close"
	no_mappings "$t: close"
done

m=$(new_mark)
kmsg "$m"
dd if=/dev/urandom of="$TMPDIR/raw.key" bs=64 count=1 2>/dev/null
if "$CSMT" open --type plain --cipher aes-cbc-elephant:sha256 --key-size 512 \
	--key-file "$TMPDIR/raw.key" "$(ramdisk 2)" eleph; then
	"$CSMT" close eleph
	fail "crypt-mt accepted the elephant IV"
fi
no_mappings "refused table"
dmesg_since "$m" | grep -q "crypt-mt: IV mode elephant is not supported" || {
	dmesg_since "$m"
	fail "crypt-mt's error is not in the kernel log"
}
echo "ok: a table crypt-mt refuses fails the open and leaves no mapping"

echo "PASS: failed opens leave no mapping"
