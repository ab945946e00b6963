#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# A filesystem made through crypt-mt is stock's.  mkfs.ext4 on a crypt-mt
# mapping (aes-xts-plain64, 4096-byte encryption sectors), files of various
# sizes written, unmounted; the same device opened with stock dm-crypt:
# `e2fsck -fn` finds it clean and every file has its checksum.  Then stock
# adds and deletes files, and crypt-mt (e2fsck -fn again, checksums) reads the
# result.  The same with 512-byte sectors and aes-cbc-essiv:sha256.
#
# timeout: 180
. "$TESTS/lib.sh"
. "$TESTS/stress-lib.sh"
. "$TESTS/compat-lib.sh"

load_targets
FS_MB=64
MNT=$TMPDIR/mnt
mkdir -p "$MNT"

# fill DIR TAG: files of 0 bytes .. 3 MiB (about 12 MiB in all) and a tree.
fill() {
	mkdir -p "$1/$2/sub/deeper"
	: >"$1/$2/empty"
	head -c 1 /dev/urandom >"$1/$2/one"
	head -c 4095 /dev/urandom >"$1/$2/sub/page-1"
	head -c 65537 /dev/urandom >"$1/$2/sub/deeper/odd"
	for i in 1 2 3; do
		head -c $((i * 1048576 + i)) /dev/urandom >"$1/$2/big$i"
	done
	for i in $(seq 1 40); do
		head -c $((i * 1000)) /dev/urandom >"$1/$2/sub/small$i"
	done
	ln -s big1 "$1/$2/link"
}
# sums DIR: md5 of every regular file under DIR, and the symlinks, sorted.
sums() {
	(cd "$1" && find . -type f | sort | while read -r f; do
		echo "$(md5sum <"$f" | cut -d' ' -f1) $f"
	done && find . -type l | sort | while read -r f; do
		echo "link $f -> $(readlink "$f")"
	done)
}
fsck_clean() { # DEV WHAT
	e2fsck -fn "$1" >"$TMPDIR/fsck.out" 2>&1 || {
		cat "$TMPDIR/fsck.out"
		fail "$2: e2fsck -fn $1 is not clean"
	}
}

# one CIPHER KEYBYTES [OPTION...]
one() {
	_c=$1 _k=$(hexkey "$2")
	shift 2
	t0=$(now)
	R=$(rest "$_c" "$_k" 0 "$(ramdisk 0)" 0 "$@")
	L=$(mib $FS_MB)
	label="$_c${*:+ $*}"

	mkdm fs "0 $L crypt-mt $R" || fail "$label: crypt-mt mapping"
	mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 /dev/mapper/fs ||
		fail "$label: mkfs.ext4 through crypt-mt"
	mount -t ext4 /dev/mapper/fs "$MNT" || fail "$label: mount through crypt-mt"
	fill "$MNT" a
	sums "$MNT" >"$TMPDIR/sums.1"
	umount "$MNT" || fail "$label: umount"
	rmdm fs || fail "remove fs"

	mkdm fs "0 $L crypt $R" || fail "$label: stock mapping"
	fsck_clean /dev/mapper/fs "$label: made by crypt-mt, checked through stock"
	mount -t ext4 /dev/mapper/fs "$MNT" || fail "$label: mount through stock"
	sums "$MNT" >"$TMPDIR/sums.2"
	cmp "$TMPDIR/sums.1" "$TMPDIR/sums.2" || {
		diff "$TMPDIR/sums.1" "$TMPDIR/sums.2"
		fail "$label: stock reads other files than crypt-mt wrote"
	}
	# stock changes the filesystem
	fill "$MNT" b
	rm -rf "$MNT/a/sub/deeper" "$MNT/a/big2"
	sums "$MNT" >"$TMPDIR/sums.3"
	umount "$MNT" || fail "$label: umount stock"
	rmdm fs || fail "remove fs"

	mkdm fs "0 $L crypt-mt $R" --readonly || fail "$label: crypt-mt mapping again"
	fsck_clean /dev/mapper/fs "$label: changed by stock, checked through crypt-mt"
	mount -t ext4 -o ro,noload /dev/mapper/fs "$MNT" || fail "$label: mount ro through crypt-mt"
	sums "$MNT" >"$TMPDIR/sums.4"
	cmp "$TMPDIR/sums.3" "$TMPDIR/sums.4" || {
		diff "$TMPDIR/sums.3" "$TMPDIR/sums.4"
		fail "$label: crypt-mt reads other files than stock wrote"
	}
	umount "$MNT" || fail "$label: umount"
	rmdm fs || fail "remove fs"
	echo "ok: ext4 $label: crypt-mt -> stock -> crypt-mt, $(wc -l <"$TMPDIR/sums.4") files ($(($(now) - t0))s)"
}

one aes-xts-plain64 64 sector_size:4096
one aes-cbc-essiv:sha256 32
unload_cmt
