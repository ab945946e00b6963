#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host test: the initramfs-tools hook (userspace/initramfs-hook) with the real
# mkinitramfs and Debian's cryptroot (cryptsetup-initramfs), without touching
# this host.  In a private mount namespace, /usr/local, /lib/modules/<kver>
# and /etc/initramfs-tools are overlays whose changes go to a temp dir; there
# `make install KVER=<kver>` installs module, tools and hook as on a real
# host, and mkinitramfs builds two images into the temp dir:
#   1. enabled (/etc/initramfs-tools/conf.d/crypt-mt: CRYPT_MT_VOLUMES=root_crypt):
#      lsinitramfs lists crypt-mt.ko, libcmt-preload.so and cryptdisks.sh; in
#      the unpacked image depmod's index resolves dm-crypt-mt to crypt-mt.ko,
#      /lib/cryptsetup/functions (cryptroot's copy) ends with the two lines
#      that source cryptdisks.sh, and in a chroot into the image, a shell that
#      sources it (as cryptroot does) exports LD_PRELOAD, the image's
#      cryptsetup runs with the library loaded, and unlock_mapping opens
#      root_crypt as crypt-mt and any other volume as stock crypt;
#   2. not enabled: the image has none of it (the hook is inert).
#   `make uninstall` then removes the hook.  The host's /lib/modules/<kver>,
#   /usr/local, /etc/initramfs-tools and /boot are compared before and after.
# The kernel: the one make picks (KVER= as for make), built from a copy of the
# sources, so the checkout's crypt-mt.ko stays.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TMP=$(mktemp -d /var/tmp/cmt-initramfs.XXXXXX)
trap '[ -n "${CMT_KEEP:-}" ] || rm -rf "$TMP"' EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}
ok() { echo "ok: $*"; }

((EUID == 0)) || fail "needs root (mount namespace, mkinitramfs)"
for c in mkinitramfs lsinitramfs unmkinitramfs unshare chroot; do
	command -v "$c" >/dev/null || fail "no $c (scripts/deps.sh installs initramfs-tools)"
done
[ -x /usr/share/initramfs-tools/hooks/cryptroot ] ||
	fail "no cryptroot hook (scripts/deps.sh installs cryptsetup-initramfs)"

read -r KVER _ < <("$REPO/scripts/kernel.sh" --for build --print make ${KVER:-}) ||
	fail "no kernel to build for (scripts/kernel.sh)"
MODS=$(realpath "/lib/modules/$KVER")
echo "kernel: $KVER"

SRC=$TMP/src
mkdir -p "$SRC"
tar -C "$REPO" -cf - --exclude=./.git --exclude=./build --exclude=./results \
	--exclude='*.o' --exclude='*.ko' --exclude='*.mod' --exclude='*.mod.c' \
	--exclude='.*.cmd' --exclude='*.order' --exclude=Module.symvers . | tar -C "$SRC" -xf -
make -s -C "$SRC" KVER="$KVER" >"$TMP/build.log" 2>&1 || { cat "$TMP/build.log"; fail "make KVER=$KVER"; }

host_state() {
	{
		ls -la "$MODS" "$MODS/extra" "$MODS/updates" 2>&1 || true
		md5sum "$MODS"/modules.* 2>&1 || true
		ls -la /usr/local/sbin /usr/local/lib 2>&1 || true
		ls -laR /etc/initramfs-tools 2>&1 || true
		ls -la /boot 2>&1 || true
		md5sum /usr/lib/cryptsetup/functions
	} | sed 's/^total .*//'
}
BEFORE=$(host_state)

# ---- in a private mount namespace: install, build both images, uninstall
cat >"$TMP/ns.sh" <<'EOF'
set -euo pipefail
TMP=$1 KVER=$2 MODS=$3 SRC=$4
n=0
overlay() { # DIR: changes under DIR go to $TMP/ov/N
	n=$((n + 1))
	mkdir -p "$TMP/ov/$n/up" "$TMP/ov/$n/work"
	mount -t overlay "overlay-cmt$n" -o "lowerdir=$1,upperdir=$TMP/ov/$n/up,workdir=$TMP/ov/$n/work" "$1"
}
overlay /usr/local
overlay "$MODS"
overlay /etc/initramfs-tools
cd "$SRC"
make -s install KVER="$KVER" >"$TMP/install.log" 2>&1 || { cat "$TMP/install.log"; exit 1; }
[ -x /etc/initramfs-tools/hooks/crypt-mt ] || { echo "make install did not install the hook"; exit 1; }
echo 'CRYPT_MT_VOLUMES=root_crypt' >/etc/initramfs-tools/conf.d/crypt-mt
mkinitramfs -l 1 -o "$TMP/on.img" "$KVER" >"$TMP/mkinitramfs-on.log" 2>&1 ||
	{ cat "$TMP/mkinitramfs-on.log"; echo "mkinitramfs (enabled) failed"; exit 1; }
rm /etc/initramfs-tools/conf.d/crypt-mt
mkinitramfs -l 1 -o "$TMP/off.img" "$KVER" >"$TMP/mkinitramfs-off.log" 2>&1 ||
	{ cat "$TMP/mkinitramfs-off.log"; echo "mkinitramfs (not enabled) failed"; exit 1; }
make -s uninstall KVER="$KVER" >"$TMP/uninstall.log" 2>&1 || { cat "$TMP/uninstall.log"; exit 1; }
[ ! -e /etc/initramfs-tools/hooks/crypt-mt ] || { echo "make uninstall left the hook"; exit 1; }
[ ! -e /usr/local/lib/crypt-mt ] || { echo "make uninstall left /usr/local/lib/crypt-mt: $(ls /usr/local/lib/crypt-mt)"; exit 1; }
EOF
t0=$SECONDS
unshare --mount --propagation private bash "$TMP/ns.sh" "$TMP" "$KVER" "$MODS" "$SRC" ||
	fail "install / mkinitramfs / uninstall in the mount namespace"
ok "make install, mkinitramfs enabled and not, make uninstall ($((SECONDS - t0))s)"
grep -i 'crypt-mt' "$TMP/mkinitramfs-on.log" && fail "the hook complained (above)"

# ---- 1. enabled
lsinitramfs "$TMP/on.img" >"$TMP/on.list"
for f in "lib/modules/$KVER/extra/crypt-mt.ko" usr/local/lib/crypt-mt/libcmt-preload.so \
	usr/local/lib/crypt-mt/cryptdisks.sh lib/cryptsetup/functions sbin/cryptsetup; do
	grep -Fxq -e "$f" -e "usr/$f" "$TMP/on.list" || fail "enabled image has no $f"
done
ok "enabled: the image has crypt-mt.ko, libcmt-preload.so, cryptdisks.sh (and cryptroot's files)"
unmkinitramfs "$TMP/on.img" "$TMP/on"
R=$TMP/on
[ -d "$R/main" ] && R=$R/main
[ "$(modinfo -b "$R" -k "$KVER" -F filename dm-crypt-mt)" = "$R/lib/modules/$KVER/extra/crypt-mt.ko" ] ||
	[ "$(modinfo -b "$R" -k "$KVER" -F filename dm-crypt-mt)" = "$R/usr/lib/modules/$KVER/extra/crypt-mt.ko" ] ||
	fail "the image's module index does not resolve dm-crypt-mt: $(modinfo -b "$R" -k "$KVER" -F filename dm-crypt-mt 2>&1)"
ok "enabled: the image's modules.alias resolves dm-crypt-mt (dm's autoload) to crypt-mt.ko"
tail -n 2 "$R/lib/cryptsetup/functions" >"$TMP/tail"
printf '%s\n' "CRYPT_MT_VOLUMES='root_crypt'" ". /usr/local/lib/crypt-mt/cryptdisks.sh" | cmp -s - "$TMP/tail" ||
	fail "the image's /lib/cryptsetup/functions does not end with the crypt-mt lines: $(cat "$TMP/tail")"
ok "enabled: the image's /lib/cryptsetup/functions sources cryptdisks.sh"

# As cryptroot does: source the functions, then run cryptsetup and unlock_mapping
# (Debian's, renamed, stubbed to report which target cryptsetup would be told).
cat >"$R/cmt-check.sh" <<'EOF'
. /lib/cryptsetup/functions
echo "LD_PRELOAD=$LD_PRELOAD"
LD_DEBUG=files /sbin/cryptsetup --version 2>&1 | grep -q 'file=/usr/local/lib/crypt-mt/libcmt-preload.so' &&
	echo "preloaded: yes"
/sbin/cryptsetup --version >/dev/null 2>/cmt-err || echo "cryptsetup --version failed"
cat /cmt-err
_cmt_unlock_mapping() { echo "$CRYPTTAB_NAME: target ${CRYPT_MT_TARGET:-crypt-mt}"; }
for CRYPTTAB_NAME in root_crypt swap_crypt; do unlock_mapping /key; done
EOF
mkdir -p "$R/dev"
mknod -m 666 "$R/dev/null" c 1 3
out=$(chroot "$R" /bin/sh /cmt-check.sh 2>&1) || fail "chroot into the image: $out"
echo "$out" | sed 's/^/    | /'
want="LD_PRELOAD=/usr/local/lib/crypt-mt/libcmt-preload.so
preloaded: yes
root_crypt: target crypt-mt
swap_crypt: target crypt"
[ "$out" = "$want" ] || fail "in the image, expected:"$'\n'"$want"
ok "enabled: in the image, cryptroot's shell preloads the library into cryptsetup; root_crypt opens as crypt-mt, other volumes as stock crypt"

# ---- 2. not enabled
lsinitramfs "$TMP/off.img" >"$TMP/off.list"
grep -E 'crypt-mt|libcmt-preload' "$TMP/off.list" && fail "not enabled, the image still has the lines above"
grep -Fxq -e lib/cryptsetup/functions -e usr/lib/cryptsetup/functions "$TMP/off.list" ||
	fail "not enabled: no cryptroot files either"
ok "not enabled: no crypt-mt files in the image (cryptroot's are there)"

AFTER=$(host_state)
if [ "$BEFORE" != "$AFTER" ]; then
	diff <(echo "$BEFORE") <(echo "$AFTER") >&2 || true
	fail "the host changed"
fi
ok "host left as it was (/lib/modules/$KVER, /usr/local, /etc/initramfs-tools, /boot)"
echo "PASS: initramfs"
