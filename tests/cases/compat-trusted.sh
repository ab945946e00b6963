#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Keys of type trusted (sealed by a TPM), which stock 6.1 dm-crypt takes as
# :<size>:trusted:<description> when the kernel has CONFIG_TRUSTED_KEYS.
# What can be tested depends on the kernel the VM boots:
#
#  - no trusted keys in the kernel (Debian's 6.1 kernel: TRUSTED_KEYS is
#    not set): crypt-mt refuses the type ("Unsupported keyring key type"),
#    and so does stock;
#  - trusted keys but no TPM (the key type is not registered then): a
#    trusted key reference is looked up, and a missing key is refused with
#    "Keyring key not found", as stock refuses it;
#  - a TPM (e.g. swtpm): a trusted key is made ("new 32", or for a TPM 2.0
#    with a storage key at 0x81000001), and data round trips between
#    crypt-mt and stock using the same reference; the table shows it; a
#    size that does not match is refused; a revoked key leaves the mapping
#    working.
# The test prints which case it ran.
#
# timeout: 120
. "$TESTS/lib.sh"
. "$TESTS/stress-lib.sh"
. "$TESTS/compat-lib.sh"

own_keyring_session "$@"

load_targets
DEV=$(ramdisk 0)
MB=2
L=$(mib $MB)

# refused ERRTEXT CIPHER KEYREF: crypt-mt refuses with ERRTEXT, stock refuses too.
refused() {
	dm_expect_fail bad "0 $L crypt-mt $(rest "$2" "$3" 0 "$DEV" 0)" "$1"
	! dmsetup create badstock --table "0 $L crypt $(rest "$2" "$3" 0 "$DEV" 0)" 2>/dev/null || {
		dmsetup remove badstock
		fail "stock accepts key $3 with $2 (crypt-mt refuses it)"
	}
	echo "ok: $3 refused ($1), as by stock"
}

modprobe trusted 2>/dev/null
if ! grep -q ' key_type_trusted$' /proc/kallsyms; then
	echo "case: this kernel has no trusted keys (CONFIG_TRUSTED_KEYS is not set)"
	refused "Unsupported keyring key type" aes-cbc-essiv:sha256 :32:trusted:cmt:t
	refused "Unsupported keyring key type" aes-xts-plain64 :64:trusted:cmt:t
	unload_cmt
	exit 0
fi

if keyctl add trusted cmt:t "new 32" @s >/dev/null 2>"$TMPDIR/err" ||
	keyctl add trusted cmt:t "new 32 keyhandle=0x81000001" @s >/dev/null 2>>"$TMPDIR/err"; then
	echo "case: trusted keys with a TPM"
else
	echo "case: trusted keys, but no trusted key can be made (no TPM?): $(tr '\n' ' ' <"$TMPDIR/err")"
	refused "Keyring key not found" aes-cbc-essiv:sha256 :32:trusted:cmt:none
	refused "Keyring key not found" aes-xts-plain64 :64:trusted:cmt:t
	unload_cmt
	exit 0
fi
keyctl show @s

SAME_KTABLE=1
cross "aes-cbc-essiv:sha256 trusted key" "$(rest aes-cbc-essiv:sha256 :32:trusted:cmt:t 0 "$DEV" 0)" "$MB" ||
	fail "crypt-mt and stock differ with a trusted key"
for t in crypt-mt crypt; do
	grep -qF " :32:trusted:cmt:t 0 " "$TMPDIR/ktable.$t" ||
		fail "$t: dmsetup table does not show the reference: $(cat "$TMPDIR/ktable.$t")"
done
SAME_KTABLE=0
refused "Keyring key size does not match the table" aes-xts-plain64 :64:trusted:cmt:t
refused "Keyring key not found" aes-cbc-essiv:sha256 :32:trusted:cmt:none

rand_file "$TMPDIR/v.w" "$MB"
mkdm kv "0 $L crypt-mt $(rest aes-cbc-essiv:sha256 :32:trusted:cmt:t 0 "$DEV" 0)" || fail "crypt-mt kv"
dio_put "$TMPDIR/v.w" /dev/mapper/kv "$MB" || fail "write kv"
keyctl revoke "$(keyctl search @s trusted cmt:t)" || fail "keyctl revoke"
dio_same /dev/mapper/kv "$TMPDIR/v.w" "$MB" "crypt-mt after its trusted key was revoked"
rmdm kv || fail "remove kv"
echo "ok: a revoked trusted key leaves the mapping working"
keyctl clear @s >/dev/null 2>&1
unload_cmt
