#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Malformed tables and misused messages (100 or more).  Every bad table line below must be
# refused with its exact ti->error text in the kernel log
# ("device-mapper: table: 254:N: crypt-mt: <text> (-E...)"), leave no mapping
# behind, and leave a live mapping it is reloaded into untouched.  Misused
# `dmsetup message`s must be refused without changing the data.  At the end,
# with every mapping gone, crypt_mt must unload (no leaked references from
# the error paths).
#
# timeout: 240
. "$TESTS/lib.sh"
. "$TESTS/stress-lib.sh"

# Our own session keyring, shared by this shell and the dmsetup it runs (the
# kernel looks keyring keys up in the loading process's keyrings).
if [ -z "$MALFORMED_SESSION" ]; then
	export MALFORMED_SESSION=1
	exec keyctl session - sh "$0" "$@"
fi

DEV=$(ramdisk 0)
L=$(mib 16)
C=crypt-mt
load_targets

# A live mapping on another disk, that every bad table is also reloaded into.
LIVE_TABLE=$(table crypt-mt aes-xts-plain64 "$K64" "$(ramdisk 1)" 16)
dmsetup create live --table "$LIVE_TABLE" || fail "cannot create the live mapping"
LIVE_TABLE=$(dmsetup table live)	# as the target prints it (major:minor)
rand_file "$TMPDIR/data" 4
dd if="$TMPDIR/data" of=/dev/mapper/live bs=1M conv=fsync 2>/dev/null || fail "write live"
LIVE_SUM=$(devsum /dev/mapper/live 4)

live_unharmed() {
	[ "$(dmsetup table live)" = "$LIVE_TABLE" ] ||
		fail "$1: live table changed: $(dmsetup table live)"
	dmsetup info live | grep -q 'State: *ACTIVE' || fail "$1: live mapping not active"
	# Read fresh from the disk, not from the mapping's page cache.
	blockdev --flushbufs /dev/mapper/live
	[ "$(devsum /dev/mapper/live 4)" = "$LIVE_SUM" ] || fail "$1: live data changed"
}

# refused ERRTEXT TABLE -- the table is refused with ERRTEXT, as a new
# mapping and (unless NO_RELOAD=1) as a reload of the live one.  On failure
# prints why, notes what stock dm-crypt does with the same line, and returns
# 1 (the loop below goes on, so that one run lists every case that fails).
refused() {
	_e=$1 _t=$2
	# 1. as a new mapping
	_m=$(new_mark)
	kmsg "$_m"
	if dmsetup create bad --table "$_t" >"$TMPDIR/out" 2>&1; then
		dmsetup remove bad
		echo "FAIL: accepted: '$_t' (expected: $_e)"
		stock_says "$_t"
		return 1
	fi
	if dmsetup info bad >/dev/null 2>&1 || [ -e /dev/mapper/bad ]; then
		dmsetup ls
		fail "mapping 'bad' left behind by '$_t'"
	fi
	if ! dmesg_since "$_m" | grep -qF -- ": crypt-mt: $_e ("; then
		echo "FAIL: '$_t': no 'crypt-mt: $_e' in the kernel log"
		echo "  dmsetup said: $(cat "$TMPDIR/out")"
		echo "  kernel log since the load:"
		dmesg_since "$_m" | sed 's/^/  | /'
		return 1
	fi
	[ "$NO_RELOAD" = 1 ] && return 0
	# 2. reloaded into the live mapping: refused, live table untouched
	_m=$(new_mark)
	kmsg "$_m"
	if dmsetup reload live --table "$_t" >/dev/null 2>&1; then
		dmsetup clear live
		echo "FAIL: reload accepted: '$_t' (expected: $_e)"
		return 1
	fi
	if ! dmesg_since "$_m" | grep -qF -- ": crypt-mt: $_e ("; then
		echo "FAIL: reload of '$_t': no 'crypt-mt: $_e' in the kernel log"
		return 1
	fi
	dmsetup info live | grep -q 'Tables present: *LIVE$' ||
		fail "reload of '$_t' left an inactive table: $(dmsetup info live)"
	return 0
}

# For the record when a case fails: what stock dm-crypt says to the same line.
stock_says() {
	_st=$(echo "$1" | sed 's/ crypt-mt / crypt /')
	_m=$(new_mark)
	kmsg "$_m"
	if dmsetup create stockbad --table "$_st" >/dev/null 2>&1; then
		echo "  (stock dm-crypt accepts it too: $(dmsetup table stockbad | cut -d' ' -f1-4,6-))"
		dmsetup remove stockbad
	else
		echo "  (stock dm-crypt refuses it: $(dmesg_since "$_m" | grep -o 'crypt: .*' | head -n 1))"
	fi
}

# A logon key of the right size (positive control) and one of the wrong size.
printf '%s' "$K32" | xxd -r -p 2>/dev/null >"$TMPDIR/k32" ||
	printf "$(echo "$K32" | sed 's/../\\x&/g')" >"$TMPDIR/k32"
head -c 16 "$TMPDIR/k32" >"$TMPDIR/k16"
[ "$(wc -c <"$TMPDIR/k32")" -eq 32 ] || fail "cannot make a binary key"
keyctl padd logon cmt:good @s <"$TMPDIR/k32" >/dev/null || fail "keyctl padd good"
keyctl padd logon cmt:short @s <"$TMPDIR/k16" >/dev/null || fail "keyctl padd short"
dmsetup create keyok --table "0 $L $C aes-cbc-essiv:sha256 :32:logon:cmt:good 0 $DEV 0" ||
	fail "a valid keyring key is refused: the keyring cases below would prove nothing"
dmsetup remove keyok || fail "remove keyok"

NCASES=0 NBAD=0
LONG=$(printf '%0130d' 0 | tr 0 a)	# longer than a crypto algorithm name
# "expected ti->error|table"; $DEV, $L, $C and the keys are expanded.
while IFS='|' read -r err tbl; do
	case $err in '' | '#'*) continue ;; esac
	NCASES=$((NCASES + 1))
	refused "$err" "$tbl" || NBAD=$((NBAD + 1))
done <<EOF
# ---- argument count
Not enough arguments|0 $L $C
Not enough arguments|0 $L $C aes-xts-plain64
Not enough arguments|0 $L $C aes-xts-plain64 $K64 0 $DEV
# ---- hex keys
Key has an odd number of hex digits|0 $L $C aes-xts-plain64 ${K64}0 0 $DEV 0
Key has an odd number of hex digits|0 $L $C aes-cbc-essiv:sha256 abc 0 $DEV 0
Key is not hexadecimal|0 $L $C aes-xts-plain64 zz${K64#??} 0 $DEV 0
Key is not hexadecimal|0 $L $C aes-cbc-essiv:sha256 ${K16}0g${K16#??} 0 $DEV 0
Error setting key|0 $L $C aes-xts-plain64 $K16 0 $DEV 0
Error setting key|0 $L $C aes-cbc-essiv:sha256 ${K16}0011 0 $DEV 0
Error setting key|0 $L $C aes-xts-plain64 - 0 $DEV 0
Error setting key|0 $L $C serpent-xts-plain64 ${K64}${K16} 0 $DEV 0
# ---- cipher specification
Error allocating crypto tfm|0 $L $C nosuchcipher-xts-plain64 $K64 0 $DEV 0
Error allocating crypto tfm|0 $L $C aes-nosuchmode-plain64 $K64 0 $DEV 0
Error allocating crypto tfm|0 $L $C capi:nosuchmode(aes)-plain64 $K64 0 $DEV 0
Invalid IV mode|0 $L $C aes-xts-nosuchiv $K64 0 $DEV 0
Invalid IV mode|0 $L $C aes-xts-PLAIN64 $K64 0 $DEV 0
IV mechanism required|0 $L $C aes-cbc $K32 0 $DEV 0
IV mechanism required|0 $L $C capi:cbc(aes) $K32 0 $DEV 0
Bad cipher specification|0 $L $C -xts-plain64 $K64 0 $DEV 0
Bad cipher specification|0 $L $C aes(x)-xts-plain64 $K64 0 $DEV 0
Bad cipher specification|0 $L $C capi: $K64 0 $DEV 0
Bad cipher specification|0 $L $C capi:-plain64 $K64 0 $DEV 0
Digest algorithm missing for ESSIV mode|0 $L $C aes-cbc-essiv $K32 0 $DEV 0
Error initializing ESSIV hash|0 $L $C aes-cbc-essiv:nosuchhash $K32 0 $DEV 0
IV mode takes no options|0 $L $C aes-xts-plain64:sha256 $K64 0 $DEV 0
IV mode takes no options|0 $L $C aes-cbc-benbi:x $K32 0 $DEV 0
IV mode takes no options|0 $L $C capi:xts(aes)-plain:sha1 $K64 0 $DEV 0
Bad cipher key count specification|0 $L $C aes:3-xts-plain64 $K64 0 $DEV 0
Bad cipher key count specification|0 $L $C aes:x-xts-plain64 $K64 0 $DEV 0
Bad cipher key count specification|0 $L $C aes:128-xts-plain64 $K64 0 $DEV 0
Bad cipher key count specification|0 $L $C aes:0-xts-plain64 $K64 0 $DEV 0
Bad cipher key count specification|0 $L $C aes:-xts-plain64 $K64 0 $DEV 0
Bad cipher key count specification|0 $L $C aes:4294967296-xts-plain64 $K64 0 $DEV 0
IV mode random needs integrity metadata, not supported|0 $L $C aes-xts-random $K64 0 $DEV 0
IV mode elephant is not supported|0 $L $C aes-cbc-elephant:sha256 ${K64}${K32} 0 $DEV 0
EBOIV is supported with CBC only|0 $L $C aes-xts-eboiv $K64 0 $DEV 0
Unsupported sector size for LMK|0 $L $C aes-cbc-lmk $K32 0 $DEV 0 1 sector_size:4096
Unsupported sector size for TCW|0 $L $C aes-cbc-tcw $K64 0 $DEV 0 1 sector_size:4096
Wrong key size for TCW|0 $L $C aes-cbc-tcw $K32 0 $DEV 0
# ---- keyring keys
Keyring key not found|0 $L $C aes-cbc-essiv:sha256 :32:logon:cmt:nope 0 $DEV 0
Keyring key size does not match the table|0 $L $C aes-cbc-essiv:sha256 :32:logon:cmt:short 0 $DEV 0
Keyring key must be :<size>:<type>:<description>|0 $L $C aes-cbc-essiv:sha256 :32: 0 $DEV 0
Keyring key must be :<size>:<type>:<description>|0 $L $C aes-cbc-essiv:sha256 :32:logon 0 $DEV 0
Keyring key must be :<size>:<type>:<description>|0 $L $C aes-cbc-essiv:sha256 :32:logon: 0 $DEV 0
Cannot parse key size|0 $L $C aes-cbc-essiv:sha256 :abc:logon:cmt:good 0 $DEV 0
Cannot parse key size|0 $L $C aes-cbc-essiv:sha256 ::logon:cmt:good 0 $DEV 0
Cannot parse key size|0 $L $C aes-cbc-essiv:sha256 :32 0 $DEV 0
Cannot parse key size|0 $L $C aes-cbc-essiv:sha256 :99999999999999999999:logon:cmt:good 0 $DEV 0
Invalid key size|0 $L $C aes-cbc-essiv:sha256 :0:logon:cmt:good 0 $DEV 0
Invalid key size|0 $L $C aes-cbc-essiv:sha256 :5000:logon:cmt:good 0 $DEV 0
Unsupported keyring key type|0 $L $C aes-cbc-essiv:sha256 :32:bogus:cmt:good 0 $DEV 0
# ---- iv_offset, device, device offset
Invalid iv_offset sector|0 $L $C aes-xts-plain64 $K64 12x $DEV 0
Invalid iv_offset sector|0 $L $C aes-xts-plain64 $K64 -1 $DEV 0
Invalid iv_offset sector|0 $L $C aes-xts-plain64 $K64 0x10 $DEV 0
Invalid iv_offset sector|0 $L $C aes-xts-plain64 $K64 +5 $DEV 0
Invalid iv_offset sector|0 $L $C aes-xts-plain64 $K64 18446744073709551616 $DEV 0
Invalid iv_offset sector|0 $L $C aes-xts-plain64 $K64 7 $DEV 0 1 sector_size:4096
Device lookup failed|0 $L $C aes-xts-plain64 $K64 0 /dev/nonexistent 0
Device lookup failed|0 $L $C aes-xts-plain64 $K64 0 254:250 0
Invalid device sector|0 $L $C aes-xts-plain64 $K64 0 $DEV 12x
Invalid device sector|0 $L $C aes-xts-plain64 $K64 0 $DEV -1
Invalid device sector|0 $L $C aes-xts-plain64 $K64 0 $DEV +5
Invalid device sector|0 $L $C aes-xts-plain64 $K64 0 $DEV 18446744073709551616
# ---- optional parameters
Invalid number of feature args|0 $L $C aes-xts-plain64 $K64 0 $DEV 0 1000 allow_discards
Invalid number of feature args|0 $L $C aes-xts-plain64 $K64 0 $DEV 0 3 allow_discards same_cpu_crypt
Invalid number of feature args|0 $L $C aes-xts-plain64 $K64 0 $DEV 0 x allow_discards
Invalid number of feature args|0 $L $C aes-xts-plain64 $K64 0 $DEV 0 -1
Too many arguments after the optional parameters|0 $L $C aes-xts-plain64 $K64 0 $DEV 0 1 allow_discards same_cpu_crypt
Too many arguments after the optional parameters|0 $L $C aes-xts-plain64 $K64 0 $DEV 0 0 junk
Invalid feature arguments|0 $L $C aes-xts-plain64 $K64 0 $DEV 0 1 no_such_option
Invalid feature arguments|0 $L $C aes-xts-plain64 $K64 0 $DEV 0 1 sector_size
Invalid feature arguments|0 $L $C aes-xts-plain64 $K64 0 $DEV 0 2 allow_discards allow_discard
Integrity (AEAD) is not supported by crypt-mt|0 $L $C aes-xts-plain64 $K64 0 $DEV 0 1 integrity:28:aead
Invalid feature value for sector_size|0 $L $C aes-xts-plain64 $K64 0 $DEV 0 1 sector_size:0
Invalid feature value for sector_size|0 $L $C aes-xts-plain64 $K64 0 $DEV 0 1 sector_size:256
Invalid feature value for sector_size|0 $L $C aes-xts-plain64 $K64 0 $DEV 0 1 sector_size:1000
Invalid feature value for sector_size|0 $L $C aes-xts-plain64 $K64 0 $DEV 0 1 sector_size:8192
Invalid feature value for sector_size|0 $L $C aes-xts-plain64 $K64 0 $DEV 0 1 sector_size:4097
Invalid feature value for sector_size|0 $L $C aes-xts-plain64 $K64 0 $DEV 0 1 sector_size:4096x
Invalid feature value for sector_size|0 $L $C aes-xts-plain64 $K64 0 $DEV 0 1 sector_size:
Invalid feature value for sector_size|0 $L $C aes-xts-plain64 $K64 0 $DEV 0 1 sector_size:4294971392
Device size is not multiple of sector_size feature|0 $((L - 1)) $C aes-xts-plain64 $K64 0 $DEV 0 1 sector_size:4096
Device size is not multiple of sector_size feature|0 $((L + 4)) $C aes-xts-plain64 $K64 0 $DEV 0 1 sector_size:4096
# ---- numbers that do not fit are refused, never wrapped (stock's %u / %hu wrap these)
Invalid number of feature args|0 $L $C aes-xts-plain64 $K64 0 $DEV 0 4294967297 allow_discards
Invalid number of feature args|0 $L $C aes-xts-plain64 $K64 0 $DEV 0 4294967296
Invalid number of feature args|0 $L $C aes-xts-plain64 $K64 0 $DEV 0 +1 allow_discards
Invalid number of feature args|0 $L $C aes-xts-plain64 $K64 0 $DEV 0 10 $(echo a a a a a a a a a a)
Invalid feature value for sector_size|0 $L $C aes-xts-plain64 $K64 0 $DEV 0 1 sector_size:66048
Invalid feature value for sector_size|0 $L $C aes-xts-plain64 $K64 0 $DEV 0 1 sector_size:+512
Cannot parse key size|0 $L $C aes-cbc-essiv:sha256 :4294967328:logon:cmt:good 0 $DEV 0
Cannot parse key size|0 $L $C aes-cbc-essiv:sha256 :+32:logon:cmt:good 0 $DEV 0
Bad cipher key count specification|0 $L $C aes:+1-xts-plain64 $K64 0 $DEV 0
Bad cipher key count specification|0 $L $C aes:4294967297-xts-plain64 $K64 0 $DEV 0
# ---- more cipher specifications and arguments
Bad cipher specification|0 $L $C $LONG-xts-plain64 $K64 0 $DEV 0
Bad cipher specification|0 $L $C capi:xts($LONG)-plain64 $K64 0 $DEV 0
IV mode takes no options|0 $L $C aes-xts-plain64: $K64 0 $DEV 0
Error initializing ESSIV hash|0 $L $C aes-cbc-essiv: $K32 0 $DEV 0
Invalid IV mode|0 $L $C aes-xts-plain64-extra $K64 0 $DEV 0
ESSIV needs a cipher mode with an IV|0 $L $C aes-ecb-essiv:sha256 $K32 0 $DEV 0
ESSIV needs a cipher mode with an IV|0 $L $C aes-ecb-essiv $K32 0 $DEV 0
Invalid feature arguments|0 $L $C aes-xts-plain64 $K64 0 $DEV 0 1 SECTOR_SIZE:4096
Invalid feature arguments|0 $L $C aes-xts-plain64 $K64 0 $DEV 0 1 Sector_size:512
Not enough arguments|0 $L $C aes-xts-plain64 $K64 0
Device lookup failed|0 $L $C aes-xts-plain64 $K64 0 ${DEV}x 0
EOF
# tcw XORs the IV with the 8-byte sector number twice; stock reads past it
# for a longer IV.  xchacha20 (32-byte IV) where the kernel has it.
if modprobe chacha_generic 2>/dev/null && grep -q '^name *: xchacha20$' /proc/crypto; then
	NCASES=$((NCASES + 1))
	refused "TCW needs an IV of at most 16 bytes" \
		"0 $L $C capi:xchacha20-tcw ${K64}${K16} 0 $DEV 0" || NBAD=$((NBAD + 1))
else
	echo "no xchacha20 in this kernel: the long-IV tcw case is skipped"
fi
HAND=$NCASES

# Generated: every number of the table line with values that must never be
# read as a number (too large for its field, signed, hex, junk).
U32_BAD="4294967296 4294967297 18446744073709551617 +1 0x1 1x 1e3 1.0"
U64_BAD="18446744073709551616 18446744073709551617 99999999999999999999999 +1 0x1 1e3"
gen() {
	for v in $U32_BAD; do
		echo "Invalid number of feature args|0 $L $C aes-xts-plain64 $K64 0 $DEV 0 $v allow_discards"
		echo "Cannot parse key size|0 $L $C aes-cbc-essiv:sha256 :$v:logon:cmt:good 0 $DEV 0"
		echo "Bad cipher key count specification|0 $L $C aes:$v-xts-plain64 $K64 0 $DEV 0"
		echo "Invalid feature value for sector_size|0 $L $C aes-xts-plain64 $K64 0 $DEV 0 1 sector_size:$v"
	done
	for v in $U64_BAD; do
		echo "Invalid iv_offset sector|0 $L $C aes-xts-plain64 $K64 $v $DEV 0"
		echo "Invalid device sector|0 $L $C aes-xts-plain64 $K64 0 $DEV $v"
	done
}
gen >"$TMPDIR/generated"
# (as new mappings only: the reload path is the same constructor, tried above)
NO_RELOAD=1
while IFS='|' read -r err tbl; do
	NCASES=$((NCASES + 1))
	refused "$err" "$tbl" || NBAD=$((NBAD + 1))
done <"$TMPDIR/generated"
NO_RELOAD=0

# Through dmfault (dmsetup would escape the backslash): a key description
# with white space in it, which dm's splitter keeps in one argument when
# escaped: a space, and the other isspace() characters (CR, VT, FF), which
# would split the printed table line as well.
for ws in ' ' "$(printf '\r')" "$(printf '\v')" "$(printf '\f')"; do
	_m=$(new_mark)
	kmsg "$_m"
	dmfault create bad >/dev/null || fail "dmfault create bad"
	dmfault load bad "0 $L $C aes-cbc-essiv:sha256 :32:logon:cmt\\${ws}good 0 $DEV 0" >/dev/null &&
		fail "a key description with $(printf '%s' "$ws" | od -An -c) in it was accepted"
	dmsetup remove bad || fail "remove bad"
	dmesg_since "$_m" | grep -qF "crypt-mt: Whitespace is not allowed in a key description (" ||
		fail "key description with white space: no 'Whitespace is not allowed in a key description'"
	NCASES=$((NCASES + 1))
done
# A device offset past the end of the disk: the dm core refuses that one.
dm_expect_fail bad "0 $L $C aes-xts-plain64 $K64 0 $DEV 524288" "too small for target"
dmsetup info bad >/dev/null 2>&1 && fail "mapping left after an offset past the disk's end"
NCASES=$((NCASES + 1))

[ "$NBAD" -eq 0 ] || fail "$NBAD of $NCASES malformed tables not refused as expected (see above)"
echo "ok: $NCASES malformed tables refused with the exact error ($HAND hand-written, $((NCASES - HAND - 5)) generated, 4 through dmfault)"
live_unharmed "after the malformed tables"

# ---- messages ----
# msg_refused WHAT LOGTEXT ARGS...: `dmsetup message live 0 ARGS` fails and
# the kernel logs LOGTEXT.
NMSG=0
msg_refused() {
	NMSG=$((NMSG + 1))
	_w=$1 _e=$2
	shift 2
	_m=$(new_mark)
	kmsg "$_m"
	! dmsetup message live 0 "$@" 2>/dev/null || fail "message accepted: $_w"
	dmesg_since "$_m" | grep -qF -- "crypt-mt: $_e" || {
		dmesg_since "$_m"
		fail "message $_w: no 'crypt-mt: $_e' in the kernel log"
	}
}

msg_refused "unknown" "unrecognised message received." foo
msg_refused "unknown with args" "unrecognised message received." foo bar baz
msg_refused "bare key" "unrecognised message received." key
msg_refused "key set while active" "not suspended during key manipulation." key set "$K64"
msg_refused "key wipe while active" "not suspended during key manipulation." key wipe
live_unharmed "after messages to the active mapping"

dmsetup suspend live || fail "suspend live"
msg_refused "unknown while suspended" "unrecognised message received." key frob
msg_refused "key set without key" "unrecognised message received." key set
msg_refused "key set, extra arg" "unrecognised message received." key set "$K64" extra
msg_refused "key set, wrong size" "key set: Key size does not match the table" key set "$K32"
msg_refused "key set, no key for a keyed table" "key set: Key size does not match the table" key set -
msg_refused "key set, missing keyring key" "key set: Keyring key not found" key set :64:logon:cmt:nope
msg_refused "key set, keyring key of another size" "key set: Keyring key size does not match the table" key set :64:logon:cmt:good
msg_refused "key set, bad key type" "key set: Unsupported keyring key type" key set :64:bogus:x
msg_refused "key set, no description" "key set: Keyring key must be :<size>:<type>:<description>" key set :64:logon:
msg_refused "key set, huge key size" "key set: Cannot parse key size" key set :4294967360:logon:x
msg_refused "key set, signed key size" "key set: Cannot parse key size" key set :+64:logon:x
msg_refused "key set, space in the description" "key set: Whitespace is not allowed in a key description" key set ':64:logon:a\ b'
msg_refused "key set, CR in the description" "key set: Whitespace is not allowed in a key description" key set ":64:logon:a\\$(printf '\r')b"
msg_refused "key wipe, extra arg" "unrecognised message received." key wipe extra
msg_refused "key set, two extra args" "unrecognised message received." key set "$K64" extra more
# As in stock dm-crypt, a key of the wrong size changes nothing: the old key
# stays valid and the device resumes with it.
dmsetup resume live || fail "resume refused after a wrong-size key set"
live_unharmed "after a wrong-size key set"
dmsetup suspend live || fail "suspend live"
# A key that is not hex leaves the mapping keyless, as in stock: resume must
# be refused ...
msg_refused "key set, not hex" "key set: Key is not hexadecimal" key set "zz${K64#??}"
dmsetup info live | grep -q 'State: *SUSPENDED' || fail "not suspended after a failed key set"
! dmsetup resume live 2>/dev/null || fail "resumed after a failed key set"
# ... until the right key is set again.
dmsetup message live 0 key set "$K64" || fail "key set with the right key refused"
dmsetup resume live || fail "resume after key set"
live_unharmed "after failed key sets and the right one"

dmsetup suspend live || fail "suspend live"
dmsetup message live 0 key wipe || fail "key wipe while suspended refused"
! dmsetup resume live 2>/dev/null || fail "resumed after key wipe"
dmsetup message live 0 key set "$K64" || fail "key set after wipe refused"
dmsetup resume live || fail "resume after wipe and key set"
live_unharmed "after key wipe and key set"

# The same data through stock dm-crypt: the live mapping wrote real ciphertext.
dmsetup create stock --table "$(table crypt aes-xts-plain64 "$K64" "$(ramdisk 1)" 16)" ||
	fail "cannot create the stock mapping"
[ "$(devsum /dev/mapper/stock 4)" = "$LIVE_SUM" ] || fail "stock dm-crypt reads other data"
echo "ok: $NMSG misused messages refused without harm"
[ $((NCASES + NMSG)) -ge 100 ] || fail "only $((NCASES + NMSG)) malformed tables and messages (want 100 or more)"

# ---- no leaked references ----
keyctl clear @s >/dev/null 2>&1
unload_cmt
echo "ok: crypt_mt unloaded after $NCASES refused tables"
