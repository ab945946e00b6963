#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Cipher specifications against stock dm-crypt.  For every line of the list
# below, the same table under `crypt-mt` and under stock `crypt` on the same
# RAM disk: random data written through crypt-mt reads back through stock and
# the other way round (O_DIRECT, one writer at a time), the disk does not hold
# the plaintext (except for cipher_null), and `dmsetup table --showkeys` and
# `dmsetup status` print the same lines but for the target name.  Every line
# is checked; the failing ones are listed at the end.  Then a per-CPU check
# with cipher modules loaded by crypt-mt's own table (see below).
#
# List format:  <cipher> <key bytes> <iv_offset> <device offset> [option...]
#   key bytes: a number (random key of that size, lowercase hex), U<n> (the
#   same in uppercase hex), or - (no key).
#
# timeout: 240
. "$TESTS/lib.sh"
. "$TESTS/stress-lib.sh"
. "$TESTS/compat-lib.sh"

load_targets
DEV=$(ramdisk 0)
MB=${COMPAT_MB:-4}

LISTBAD=0
run_list "cipher lines" <<'EOF' || LISTBAD=1
# ---- AES, the common ones
aes-xts-plain64 64 0 0
aes-xts-plain64 32 0 0
aes-xts-plain64 U64 0 0
capi:xts(aes)-plain64 64 0 0
aes-cbc-essiv:sha256 32 0 0
aes-cbc-essiv:sha256 16 0 0
capi:cbc(aes)-essiv:sha256 32 0 0
# ---- simple IV modes; the offset puts 2^32 inside the range (plain wraps, plain64 does not)
aes-cbc-plain 32 0 0
aes-cbc-plain 32 4294963200 0
aes-cbc-plain64 32 4294963200 0
aes-cbc-plain64be 32 0 0
aes-cbc-plain64be 32 4294963200 0
aes-cbc-null 32 0 0
# ---- the old short forms and ECB (no IV)
aes 32 0 0
aes-plain 32 0 0
aes-ecb 32 0 0
aes-ecb-plain 16 0 0
cipher_null-ecb - 0 0
# ---- other ciphers
serpent-xts-plain64 64 0 0
twofish-cbc-essiv:sha256 32 0 0
serpent-cbc-benbi 32 0 0
aes-cbc-benbi 16 0 0
# ---- loop-AES (lmk): one key, 64 keys (v2), 64 keys + seed (v3)
aes-cbc-lmk 32 0 0
aes:64-cbc-lmk 1024 0 0
aes:64-cbc-lmk 1040 0 0
capi:cbc(aes)-lmk 1040 0 0
# v3 with a key that is not 65 equal parts: the seed is where stock reads it
aes:64-cbc-lmk 2079 0 0
# ... and shorter than a digest (8-byte cipher keys): stock reads past the key
des:64-cbc-lmk 520 0 0
# ---- TrueCrypt (tcw): 32-byte AES key + 16-byte IV seed + 16-byte whitening
aes-cbc-tcw 64 0 0
# ---- BitLocker's EBOIV
aes-cbc-eboiv 32 0 0
aes-cbc-eboiv 16 0 0
# ---- several keys, sector i uses key i mod n
aes:2-xts-plain64 128 0 0
aes:4-cbc-essiv:sha256 128 0 0
# ---- iv_offset and device offset not zero
capi:xts(aes)-plain64 64 12345 2048
aes-cbc-essiv:sha256 32 1000 777
aes:64-cbc-lmk 1040 77 5
EOF

# ---- every CPU's transforms are stock's, also when the cipher's modules are
# loaded by this very table.  x86 has several drivers of twofish, serpent and
# camellia (generic C, assembler, AVX wrapped in cryptd); a mapping made while
# they load must still give every CPU the same cipher.  Their modules are
# unloaded first (unused after the lines above), the crypt-mt mapping is the
# first user, and each CPU writes its own MiB (taskset), read back by stock.
NCPU=$(nproc)
BADCPU=''
for spec in twofish-cbc-plain64 serpent-cbc-plain64 camellia-cbc-plain64; do
	alg=${spec%%-*}
	# the debug kernel's config (scripts/debug-kernel.config) leaves camellia
	# out: a cipher this kernel has neither built in nor as a module cannot be
	# checked (stock could not use it either); Debian's kernels have all three
	if ! grep -q "^name *: $alg\$" /proc/crypto &&
		! find "/lib/modules/$(uname -r)" -name "$alg*.ko*" | grep -q .; then
		echo "note: $spec: this kernel has no $alg, not checked"
		continue
	fi
	for m in $(lsmod | awk -v a="$alg" 'index($1, a) { print $1 }'); do
		rmmod "$m" 2>/dev/null
	done
	for m in $(lsmod | awk -v a="$alg" 'index($1, a) { print $1 }'); do
		rmmod "$m" 2>/dev/null
	done
	left=$(lsmod | awk -v a="$alg" 'index($1, a) { printf "%s ", $1 }')
	[ -z "$left" ] || echo "note: $alg modules still loaded: $left"
	K=$(hexkey 32)
	rand_file "$TMPDIR/pc.w" "$NCPU"
	mkdm pc "0 $(mib "$NCPU") crypt-mt $(rest "$spec" "$K" 0 "$DEV" 0)" || fail "$spec: crypt-mt mapping"
	awk -v a="$alg" '/^name/ { n = $3 } /^driver/ { d = $3 } /^refcnt/ { r = $3 }
		/^$/ { if (n == "cbc(" a ")") print "  " n " " d " refcnt " r }' /proc/crypto
	c=0
	while [ $c -lt "$NCPU" ]; do
		taskset -c $c dd if="$TMPDIR/pc.w" of=/dev/mapper/pc bs=1M count=1 skip=$c seek=$c \
			oflag=direct status=none || fail "$spec: write on CPU $c"
		c=$((c + 1))
	done
	rmdm pc || fail "remove pc"
	mkdm pc "0 $(mib "$NCPU") crypt $(rest "$spec" "$K" 0 "$DEV" 0)" --readonly || fail "$spec: stock"
	dd if=/dev/mapper/pc of="$TMPDIR/pc.r" bs=1M count="$NCPU" iflag=direct status=none
	rmdm pc || fail "remove pc"
	c=0
	while [ $c -lt "$NCPU" ]; do
		a=$(dd if="$TMPDIR/pc.w" bs=1M count=1 skip=$c status=none | md5sum)
		b=$(dd if="$TMPDIR/pc.r" bs=1M count=1 skip=$c status=none | md5sum)
		if [ "$a" = "$b" ]; then
			echo "ok: $spec, fresh modules, written on CPU $c"
		else
			echo "FAIL: $spec, fresh modules: the MiB written on CPU $c is not stock's"
			BADCPU="$BADCPU $spec@cpu$c"
		fi
		c=$((c + 1))
	done
done
[ -z "$BADCPU" ] || {
	dmesg | grep 'crypt-mt:.* uses'
	fail "crypt-mt wrote other ciphertext than stock on some CPUs:$BADCPU"
}
[ $LISTBAD = 0 ] || fail "cipher lines differ from stock (listed above)"

unload_cmt
