#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# userspace/convert-mapping switches open mappings between stock crypt and
# crypt-mt while they are in use:
#   1. hex-key mapping under fio verify I/O: crypt -> crypt-mt -> crypt, three
#      round trips; fio's crc32c verification passes throughout, a static
#      region written before reads back unchanged, and a fresh stock mapping of
#      the disk reads the same bytes.  Meanwhile every process's argument list
#      is scanned for the key, and afterwards no file under /tmp, /run, /etc,
#      /root holds it.
#   2. keyring-keyed table (:64:logon:<desc>, key in the user keyring) converts
#      both ways unchanged, data intact.
#   3. a LUKS2 mapping opened by stock cryptsetup (volume key was only in
#      cryptsetup's thread keyring): convert-mapping refuses cleanly (exit 1,
#      says to use cryptsetup-mt refresh, mapping unchanged and running);
#      `cryptsetup-mt refresh` converts it, `CRYPT_MT_TARGET=crypt
#      cryptsetup-mt refresh` converts it back.
#   4. a suspended mapping is refused; already-converted is a no-op; a
#      read-only mapping stays read-only.
#
# timeout: 600
. "$TESTS/lib.sh"
. "$TESTS/stress-lib.sh"
. "$TESTS/cryptsetup-lib.sh"

load_targets

# ---- 1. hex key, under I/O ----
DEV=$(ramdisk 0)
# The table goes to dmsetup through stdin: the key is never an argument.
table crypt aes-xts-plain64 "$K64" "$DEV" 64 | dmsetup create hex || fail "create hex"
expect_target hex crypt "create"
T_HEX=$(dmsetup table --showkeys hex)
# static region 40..56 MiB (fio uses 0..32 MiB)
rand_file "$TMPDIR/static" 16
dd if="$TMPDIR/static" of=/dev/mapper/hex bs=1M seek=40 conv=fsync 2>/dev/null || fail "static write"
STATIC=$(md5sum <"$TMPDIR/static" | cut -d' ' -f1)

no_key_in_argv_bg "$K64" "$TMPDIR/argv.hit" "$TMPDIR/argv.stop"
fio_loop_bg conv /dev/mapper/hex
sleep 2
for i in 1 2 3; do
	"$CONVERT" --to crypt-mt hex || fail "round $i: convert to crypt-mt"
	expect_target hex crypt-mt "round $i: to crypt-mt"
	sleep 1
	"$CONVERT" --to crypt hex || fail "round $i: convert to crypt"
	expect_target hex crypt "round $i: to crypt"
	sleep 1
done
"$CONVERT" --to crypt-mt hex || fail "final convert to crypt-mt"
sleep 1
fio_loop_wait conv
passes=$LOOP_SEED
no_key_in_argv_wait "$TMPDIR/argv.hit" "$TMPDIR/argv.stop"
echo "ok: 7 conversions under fio verify I/O ($passes fio passes, all verified)"
expect_target hex crypt-mt "after I/O"
[ "$(table_as hex crypt)" = "$T_HEX" ] ||
	fail "table after conversions differs: $(dmsetup table hex | awk '{$5="<key>"; print}')"
# fio's data once more through crypt-mt, then the static region
fio_verify_only /dev/mapper/hex "$passes" || fail "fio data after conversions"
blockdev --flushbufs /dev/mapper/hex
s=$(dd if=/dev/mapper/hex bs=1M skip=40 count=16 2>/dev/null | md5sum | cut -d' ' -f1)
[ "$s" = "$STATIC" ] || fail "static region changed: $s != $STATIC"
# the disk through a fresh stock mapping
dmsetup remove hex || fail "remove hex"
table crypt aes-xts-plain64 "$K64" "$DEV" 64 | dmsetup create --readonly stock || fail "create stock"
fio_verify_only /dev/mapper/stock "$passes" || fail "fio data through a fresh stock mapping"
s=$(dd if=/dev/mapper/stock bs=1M skip=40 count=16 2>/dev/null | md5sum | cut -d' ' -f1)
[ "$s" = "$STATIC" ] || fail "static region through fresh stock mapping: $s != $STATIC"
dmsetup remove stock
hits=$(grep -rlF -e "$K64" /tmp /run /etc /root 2>/dev/null)
[ -z "$hits" ] || fail "key found in files: $hits"
echo "ok: data intact, read back by fresh stock dm-crypt; key in no file"

# ---- 2. keyring key ----
DESC=cmt:convert-test.$$
dd if=/dev/urandom of="$TMPDIR/kb" bs=64 count=1 2>/dev/null
KID=$(keyctl padd logon "$DESC" @u <"$TMPDIR/kb") || fail "keyctl padd logon"
rm -f "$TMPDIR/kb"
table crypt aes-xts-plain64 ":64:logon:$DESC" "$(ramdisk 1)" 32 | dmsetup create kr || fail "create kr"
rand_file "$TMPDIR/krdata" 8
dd if="$TMPDIR/krdata" of=/dev/mapper/kr bs=1M conv=fsync 2>/dev/null || fail "kr write"
KRSUM=$(md5sum <"$TMPDIR/krdata" | cut -d' ' -f1)
for to in crypt-mt crypt crypt-mt; do
	"$CONVERT" --to $to kr || fail "keyring: convert to $to"
	expect_target kr $to "keyring: to $to"
	[ "$(keyfield kr)" = ":64:logon:$DESC" ] || fail "keyring: key field changed: $(keyfield kr)"
	blockdev --flushbufs /dev/mapper/kr
	s=$(devsum /dev/mapper/kr 8)
	[ "$s" = "$KRSUM" ] || fail "keyring: data after conversion to $to: $s != $KRSUM"
done
dmsetup remove kr
keyctl unlink "$KID" @u >/dev/null 2>&1
echo "ok: keyring-keyed mapping converted both ways, data intact"

# ---- 3. LUKS2 opened by stock cryptsetup ----
DEV=$(ramdisk 2)
cryptsetup luksFormat --type luks2 $PBKDF --batch-mode --key-file "$PASS" "$DEV" || fail "luksFormat"
cryptsetup open --key-file "$PASS" "$DEV" lk || fail "stock open"
rand_file "$TMPDIR/lkdata" 8
dd if="$TMPDIR/lkdata" of=/dev/mapper/lk bs=1M conv=fsync 2>/dev/null || fail "lk write"
LKSUM=$(md5sum <"$TMPDIR/lkdata" | cut -d' ' -f1)
T0=$(dmsetup table --showkeys lk)
out=$("$CONVERT" --to crypt-mt lk 2>&1)
rc=$?
echo "$out"
[ $rc = 1 ] || fail "LUKS2 thread-keyring mapping: convert-mapping exit $rc, expected 1"
echo "$out" | grep -q "cryptsetup-mt refresh lk" || fail "no hint to use cryptsetup-mt refresh"
[ "$(dmsetup table --showkeys lk)" = "$T0" ] || fail "table changed by the failed conversion"
[ "$(state lk)" = ACTIVE ] || fail "mapping not active after failed conversion"
dmsetup info lk | grep -q "Tables present: *LIVE$" || fail "inactive table left behind: $(dmsetup info lk)"
"$CSMT" refresh --key-file "$PASS" lk || fail "cryptsetup-mt refresh"
expect_target lk crypt-mt "cryptsetup-mt refresh"
[ "$(table_as lk crypt)" = "$T0" ] || fail "refresh changed more than the target"
s=$(devsum /dev/mapper/lk 8)
[ "$s" = "$LKSUM" ] || fail "LUKS2 data after refresh to crypt-mt"
CRYPT_MT_TARGET=crypt "$CSMT" refresh --key-file "$PASS" lk || fail "refresh back to crypt"
expect_target lk crypt "CRYPT_MT_TARGET=crypt refresh"
[ "$(dmsetup table --showkeys lk)" = "$T0" ] || fail "table after refresh back differs"
blockdev --flushbufs /dev/mapper/lk
s=$(devsum /dev/mapper/lk 8)
[ "$s" = "$LKSUM" ] || fail "LUKS2 data after refresh back"
echo "ok: LUKS2 mapping: convert-mapping refuses cleanly, cryptsetup-mt refresh converts both ways"

# ---- 4. suspended / no-op ----
"$CSMT" luksSuspend lk || fail "luksSuspend"
"$CONVERT" --to crypt-mt lk && fail "converted a suspended mapping"
"$CSMT" luksResume --key-file "$PASS" lk || fail "luksResume"
out=$("$CONVERT" --to crypt lk) || fail "no-op conversion failed"
echo "$out" | grep -q "already crypt" || fail "no-op conversion: $out"
"$CONVERT" --to crypt-mt nosuchdev 2>/dev/null && fail "converted a missing device"
# a read-only mapping stays read-only
table crypt aes-xts-plain64 "$K64" "$(ramdisk 3)" 8 | dmsetup create --readonly ro || fail "create ro"
"$CONVERT" --to crypt-mt ro || fail "convert read-only mapping"
expect_target ro crypt-mt "read-only"
dmsetup info ro | grep -q "READ-ONLY" || fail "read-only mapping became writable"
dmsetup remove ro
echo "ok: suspended and missing devices refused, no-op reported, read-only kept"
cryptsetup close lk || fail "close"
no_mappings "end"
echo "PASS: convert-mapping"
