#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Keys from the kernel keyring against stock dm-crypt.  Tables with key
# :<size>:logon:<desc> (binary logon key added with `keyctl padd`),
# :<size>:user:<desc> (a user key in the user keyring @u) and
# :<size>:encrypted:<desc> (an encrypted key, as LUKS2 uses): data round trips
# with stock using the same keyring reference; `dmsetup table` (which does not
# hide keyring references) and `dmsetup table --showkeys` print the reference
# like stock; the keyring key's bytes are the cipher key (a crypt-mt mapping
# with the keyring key reads what a stock mapping with the same bytes in hex
# wrote).  Refused like stock, with crypt-mt's ti->error text in the log: a
# missing key, a key of the wrong size, a logon key named as a user key.
# A mapping keeps working after its key left the keyring (revoked).
#
# timeout: 180
. "$TESTS/lib.sh"
. "$TESTS/stress-lib.sh"
. "$TESTS/compat-lib.sh"

own_keyring_session "$@"

load_targets
DEV=$(ramdisk 0)
MB=${COMPAT_MB:-2}
L=$(mib "$MB")

# ---- the keys
head -c 64 /dev/urandom >"$TMPDIR/k64"
head -c 32 /dev/urandom >"$TMPDIR/k32"
[ "$(wc -c <"$TMPDIR/k64")" -eq 64 ] || fail "cannot make a binary key"
K64HEX=$(hex_of "$TMPDIR/k64")
K32HEX=$(hex_of "$TMPDIR/k32")
keyctl padd logon cmt:k1 @s <"$TMPDIR/k64" >/dev/null || fail "keyctl padd logon cmt:k1 @s"
# A user key in the user keyring; the session keyring links to @u so that the
# lookup (which searches the session keyring) finds it.
keyctl padd user cmtuser @u <"$TMPDIR/k32" >/dev/null || fail "keyctl padd user cmtuser @u"
keyctl link @u @s || fail "keyctl link @u @s"
# An encrypted key (random 64 bytes, sealed by a user master key).
HAVE_ENC=0
if keyctl add user cmtkmk "$(hexkey 32)" @s >/dev/null &&
	keyctl add encrypted cmtenc "new default user:cmtkmk 64" @s >/dev/null; then
	HAVE_ENC=1
else
	echo "note: no encrypted keys in this kernel, skipping them"
fi
keyctl show @s

# ---- round trips and table lines with keyring references
SAME_KTABLE=1
NBAD=0
# keyring_cross REF CIPHER: cross() with key REF, plus REF in both `dmsetup table`s.
keyring_cross() {
	cross "$2 key $1" "$(rest "$2" "$1" 0 "$DEV" 0)" "$MB" || return 1
	for _t in crypt-mt crypt; do
		grep -qF " $2 $1 0 " "$TMPDIR/ktable.$_t" || {
			echo "FAIL: $_t: dmsetup table does not show '$1': $(cat "$TMPDIR/ktable.$_t")"
			return 1
		}
	done
}
keyring_cross :64:logon:cmt:k1 aes-xts-plain64 || NBAD=$((NBAD + 1))
keyring_cross :32:user:cmtuser aes-cbc-essiv:sha256 || NBAD=$((NBAD + 1))
if [ $HAVE_ENC = 1 ]; then
	keyring_cross :64:encrypted:cmtenc aes-xts-plain64 || NBAD=$((NBAD + 1))
fi
SAME_KTABLE=0
[ $NBAD = 0 ] || fail "$NBAD keyring tables differ from stock (see above)"

# ---- the keyring key's bytes are the key: crypt-mt (keyring) <-> stock (hex)
xkey() { # KEYREF HEX CIPHER
	rand_file "$TMPDIR/x.w" "$MB"
	mkdm xs "0 $L crypt $(rest "$3" "$2" 0 "$DEV" 0)" || fail "stock with the hex key"
	dio_put "$TMPDIR/x.w" /dev/mapper/xs "$MB" || fail "write through stock"
	rmdm xs || fail "remove xs"
	mkdm xk "0 $L crypt-mt $(rest "$3" "$1" 0 "$DEV" 0)" || fail "crypt-mt with key $1"
	dio_same /dev/mapper/xk "$TMPDIR/x.w" "$MB" "crypt-mt with $1 reading stock's with the hex key"
	rand_file "$TMPDIR/x.w" "$MB"
	dio_put "$TMPDIR/x.w" /dev/mapper/xk "$MB" || fail "write through crypt-mt"
	rmdm xk || fail "remove xk"
	mkdm xs "0 $L crypt $(rest "$3" "$2" 0 "$DEV" 0)" --readonly || fail "stock with the hex key"
	dio_same /dev/mapper/xs "$TMPDIR/x.w" "$MB" "stock with the hex key reading crypt-mt with $1"
	rmdm xs || fail "remove xs"
	echo "ok: $1 holds the key of $3 (crypt-mt with it <-> stock with its hex)"
}
xkey :64:logon:cmt:k1 "$K64HEX" aes-xts-plain64
xkey :32:user:cmtuser "$K32HEX" aes-cbc-essiv:sha256

# ---- refused like stock
# refused ERRTEXT CIPHER KEYREF: crypt-mt refuses with ERRTEXT, stock refuses too.
refused() {
	dm_expect_fail bad "0 $L crypt-mt $(rest "$2" "$3" 0 "$DEV" 0)" "$1"
	! dmsetup create badstock --table "0 $L crypt $(rest "$2" "$3" 0 "$DEV" 0)" 2>/dev/null || {
		dmsetup remove badstock
		fail "stock accepts key $3 with $2 (crypt-mt refuses it)"
	}
	echo "ok: $3 refused ($1), as by stock"
}
refused "Keyring key not found" aes-xts-plain64 :64:logon:cmt:missing
refused "Keyring key not found" aes-xts-plain64 :64:user:cmt:k1
refused "Keyring key not found" aes-cbc-essiv:sha256 :32:logon:cmtuser
refused "Keyring key size does not match the table" aes-cbc-essiv:sha256 :32:logon:cmt:k1
refused "Keyring key size does not match the table" aes-xts-plain64 :64:user:cmtuser

# ---- the key leaves the keyring: the mappings keep their transforms
rand_file "$TMPDIR/v.w" "$MB"
mkdm kv "0 $L crypt-mt $(rest aes-xts-plain64 :64:logon:cmt:k1 0 "$DEV" 0)" || fail "crypt-mt kv"
dio_put "$TMPDIR/v.w" /dev/mapper/kv "$MB" || fail "write kv"
keyctl revoke "$(keyctl search @s logon cmt:k1)" || fail "keyctl revoke cmt:k1"
dio_same /dev/mapper/kv "$TMPDIR/v.w" "$MB" "crypt-mt after its key was revoked"
[ "$(dmsetup table kv | cut -d' ' -f5)" = :64:logon:cmt:k1 ] ||
	fail "table after the key was revoked: $(dmsetup table kv)"
rmdm kv || fail "remove kv"
mkdm kv "0 $L crypt $(rest aes-xts-plain64 "$K64HEX" 0 "$DEV" 0)" --readonly || fail "stock kv"
dio_same /dev/mapper/kv "$TMPDIR/v.w" "$MB" "stock reading crypt-mt's after the key was revoked"
rmdm kv || fail "remove kv"
dm_expect_fail bad "0 $L crypt-mt $(rest aes-xts-plain64 :64:logon:cmt:k1 0 "$DEV" 0)" "Keyring key"
echo "ok: a revoked key keeps the mapping working and is refused in new tables"

keyctl clear @s >/dev/null 2>&1
keyctl unlink "$(keyctl search @u user cmtuser 2>/dev/null)" @u >/dev/null 2>&1
unload_cmt
