#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host test: installing on a real host, without touching this one.
#   1. `make install DESTDIR=<tmp>` puts crypt-mt.ko under
#      lib/modules/<kver>/extra/, runs depmod on the staging root (modinfo
#      resolves crypt-mt by name there and shows alias dm-crypt-mt;
#      modules.alias maps dm-crypt-mt to crypt_mt, which is what dm's
#      request_module("dm-crypt-mt") needs), installs cryptsetup-mt,
#      convert-mapping and the preload library, and the installed
#      cryptsetup-mt finds its library, and the boot-time files (cryptdisks.sh,
#      the systemd drop-in, the initramfs hook) name it; `make uninstall`
#      removes it all again.
#      INSTALL_MOD_PATH works the same way for the module.
#   2. DKMS: dkms.conf names crypt-mt, and `dkms add` + `dkms build` of a copy
#      of the sources (make dkms-src) for every installed kernel with headers
#      (6.1 and 6.12 when both are there) succeed, with every DKMS tree
#      (--sourcetree/--dkmstree/--installtree) and the signing key inside a
#      temp dir, then `dkms remove`.  The host's /var/lib/dkms, /usr/src and
#      /lib/modules/<kver> are left as they were.
#   Both parts run for each kernel, from a copy of the checkout, so that the
#   crypt-mt.ko that make check built (for the kernel its VM boots) stays.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$REPO"
TMP=$(mktemp -d /tmp/cmt-install.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}
ok() { echo "ok: $*"; }

mapfile -t KVERS < <("$REPO/scripts/kernel.sh" --all --for build)
((${#KVERS[@]})) || { "$REPO/scripts/kernel.sh" --for build; fail "no kernel headers installed (scripts/deps.sh)"; }
echo "kernels: ${KVERS[*]}${CMT_KROOT:+ (under $CMT_KROOT)}"
kdir() { "$REPO/scripts/kernel.sh" --for build --print make "$1" | cut -d' ' -f2; }

# A copy of the sources to build in: the checkout's crypt-mt.ko stays as it is.
SRCCOPY=$TMP/src
mkdir -p "$SRCCOPY"
tar -C "$REPO" -cf - --exclude=./.git --exclude=./build --exclude=./results \
	--exclude='*.o' --exclude='*.ko' --exclude='*.mod' --exclude='*.mod.c' \
	--exclude='.*.cmd' --exclude='*.order' --exclude=Module.symvers . | tar -C "$SRCCOPY" -xf -
cd "$SRCCOPY"

# What must not change on this host.
host_state() {
	{
		ls -la /var/lib/dkms 2>&1 || true
		ls -d /usr/src/crypt-mt* 2>&1 || true
		for v in "${KVERS[@]}"; do
			m=${CMT_KROOT:-}/lib/modules/$v
			ls -la "$m" 2>&1
			ls -laR "$m/extra" "$m/updates" 2>&1 || true
			md5sum "$m/modules.alias" "$m/modules.dep" 2>&1 || true
		done
		ls -la /usr/local/sbin /usr/local/lib 2>&1 || true
	} | sed 's/^total .*//'
}
BEFORE=$(host_state)

# ---- 1. make install / uninstall with DESTDIR, for each kernel
for KVER in "${KVERS[@]}"; do
	D=$TMP/root-$KVER
	make -s install DESTDIR="$D" KVER="$KVER" >"$TMP/install.log" 2>&1 ||
		{ cat "$TMP/install.log"; fail "make install DESTDIR=$D failed"; }
	KO=$D/lib/modules/$KVER/extra/crypt-mt.ko
	[ -f "$KO" ] || { find "$D" >&2; fail "no $KO"; }
	ok "$KVER: module installed at ${KO#"$D"}"
	[ "$(modinfo -F alias "$KO")" = dm-crypt-mt ] || fail "modinfo alias of $KO: $(modinfo -F alias "$KO")"
	[ "$(modinfo -F vermagic "$KO" | awk '{print $1}')" = "$KVER" ] || fail "vermagic is not $KVER"
	# through depmod's index of the staging root, by module name and by alias
	modinfo -b "$D" -k "$KVER" crypt-mt >"$TMP/modinfo" 2>&1 || { cat "$TMP/modinfo"; fail "modinfo -b: crypt-mt not in the staging root's index"; }
	grep -q "^filename: *$KO$" "$TMP/modinfo" || fail "modinfo -b resolves crypt-mt to: $(grep filename "$TMP/modinfo")"
	grep -q "^alias: *dm-crypt-mt$" "$TMP/modinfo" || fail "modinfo shows no alias dm-crypt-mt"
	modinfo -b "$D" -k "$KVER" -F filename dm-crypt-mt | grep -qx "$KO" || fail "alias dm-crypt-mt does not resolve to $KO"
	grep -qx "alias dm-crypt-mt crypt_mt" "$D/lib/modules/$KVER/modules.alias" || fail "modules.alias has no 'alias dm-crypt-mt crypt_mt'"
	ok "$KVER: depmod ran on the staging root: modinfo shows alias dm-crypt-mt, modules.alias maps it"
	for f in usr/local/sbin/cryptsetup-mt usr/local/sbin/convert-mapping; do
		[ -x "$D/$f" ] || fail "no executable /$f"
	done
	[ -f "$D/usr/local/lib/crypt-mt/libcmt-preload.so" ] || fail "no preload library"
	# the installed wrapper finds the installed library (CRYPTSETUP=echo: just show what would run)
	out=$(CRYPTSETUP=/usr/bin/env "$D/usr/local/sbin/cryptsetup-mt" | grep '^LD_PRELOAD=') ||
		fail "installed cryptsetup-mt runs nothing with LD_PRELOAD"
	[ "$out" = "LD_PRELOAD=$D/usr/local/sbin/../lib/crypt-mt/libcmt-preload.so" ] ||
		fail "installed cryptsetup-mt uses $out"
	ok "$KVER: tools installed; the installed cryptsetup-mt uses the installed library"
	# boot-time volumes: the files name the installed library, none is left with @LIBDIR@
	for f in usr/local/lib/crypt-mt/cryptdisks.sh usr/local/lib/crypt-mt/systemd-cryptsetup-crypt-mt.conf \
		etc/initramfs-tools/hooks/crypt-mt; do
		[ -f "$D/$f" ] || fail "no /$f"
		grep -q /usr/local/lib/crypt-mt/ "$D/$f" || fail "/$f does not name /usr/local/lib/crypt-mt/"
		! grep -q @LIBDIR@ "$D/$f" || fail "/$f still has @LIBDIR@"
	done
	[ -x "$D/etc/initramfs-tools/hooks/crypt-mt" ] || fail "the initramfs hook is not executable"
	ok "$KVER: boot-time files installed (cryptdisks.sh, systemd drop-in, initramfs hook)"

	make -s uninstall DESTDIR="$D" KVER="$KVER" >"$TMP/uninstall.log" 2>&1 ||
		{ cat "$TMP/uninstall.log"; fail "make uninstall failed"; }
	left=$(find "$D" -name 'crypt-mt*' -o -name 'cryptsetup-mt' -o -name 'convert-mapping' -o -name 'libcmt-preload.so' \
		-o -name cryptdisks.sh -o -name 'systemd-cryptsetup-crypt-mt.conf')
	[ -z "$left" ] || fail "left after uninstall: $left"
	! grep -q crypt_mt "$D/lib/modules/$KVER/modules.alias" || fail "modules.alias still names crypt_mt after uninstall"
	ok "$KVER: make uninstall removed everything and re-ran depmod"

	D2=$TMP/modpath-$KVER
	make -s install-module INSTALL_MOD_PATH="$D2" KVER="$KVER" >"$TMP/install2.log" 2>&1 ||
		{ cat "$TMP/install2.log"; fail "make install-module INSTALL_MOD_PATH failed"; }
	[ -f "$D2/lib/modules/$KVER/extra/crypt-mt.ko" ] || fail "INSTALL_MOD_PATH not honoured"
	modinfo -b "$D2" -k "$KVER" -F alias crypt-mt | grep -qx dm-crypt-mt || fail "INSTALL_MOD_PATH: alias not indexed"
	ok "$KVER: INSTALL_MOD_PATH=$D2 works too"
done

# ---- 2. DKMS
command -v dkms >/dev/null || fail "dkms not installed (scripts/deps.sh)"
# shellcheck disable=SC2034  # dkms.conf's MAKE line expands ${kernelver}
kernelver=$KVER
# shellcheck disable=SC2034  # and ${kernel_source_dir}
kernel_source_dir=$(kdir "$KVER")
# shellcheck source=/dev/null
. ./dkms.conf
[ "${PACKAGE_NAME:-}" = crypt-mt ] || fail "dkms.conf: PACKAGE_NAME=${PACKAGE_NAME:-}"
[ "${BUILT_MODULE_NAME[0]:-}" = crypt-mt ] || fail "dkms.conf: BUILT_MODULE_NAME"
[ "${DEST_MODULE_LOCATION[0]:-}" = /extra ] || fail "dkms.conf: DEST_MODULE_LOCATION"
[ "${AUTOINSTALL:-}" = yes ] || fail "dkms.conf: AUTOINSTALL"
VER=${PACKAGE_VERSION:?dkms.conf has no PACKAGE_VERSION}
make -s dkms-src DESTDIR="$TMP/dk" >/dev/null || fail "make dkms-src"
SRC=$TMP/dk/usr/src
[ -f "$SRC/crypt-mt-$VER/dkms.conf" ] || fail "make dkms-src made no $SRC/crypt-mt-$VER"
DK=(dkms --sourcetree "$SRC" --dkmstree "$TMP/dk/var/lib/dkms" --installtree "$TMP/dk/lib/modules")
# A throwaway signing key, so DKMS does not create one in /var/lib/dkms.
export mok_signing_key=$TMP/dk/mok.key mok_certificate=$TMP/dk/mok.pub
mkdir -p "$TMP/dk/var/lib/dkms"
"${DK[@]}" add -m crypt-mt -v "$VER" >"$TMP/dkms-add.log" 2>&1 ||
	{ cat "$TMP/dkms-add.log"; fail "dkms add"; }
ok "dkms add"
for KVER in "${KVERS[@]}"; do
	# kernel_source_dir in dkms.conf: the kbuild tree (under CMT_KROOT if set)
	if ! "${DK[@]}" build -m crypt-mt -v "$VER" -k "$KVER" --kernelsourcedir "$(kdir "$KVER")" \
		>"$TMP/dkms-build.log" 2>&1; then
		cat "$TMP/dkms-build.log"
		tail -n 30 "$TMP/dk/var/lib/dkms/crypt-mt/$VER/build/make.log" 2>/dev/null || true
		fail "dkms build for $KVER"
	fi
	BUILT=$(find "$TMP/dk/var/lib/dkms/crypt-mt/$VER/$KVER" -name 'crypt-mt.ko*' | head -n 1)
	[ -n "$BUILT" ] || { cat "$TMP/dkms-build.log"; fail "dkms build for $KVER left no crypt-mt.ko"; }
	modinfo -F alias "$BUILT" | grep -qx dm-crypt-mt || fail "DKMS-built module for $KVER has no alias dm-crypt-mt"
	[ "$(modinfo -F vermagic "$BUILT" | awk '{print $1}')" = "$KVER" ] || fail "DKMS-built module's vermagic is not $KVER"
	"${DK[@]}" status -m crypt-mt -v "$VER" | grep -q "crypt-mt/$VER, $KVER, .*: built" ||
		fail "dkms status: $("${DK[@]}" status -m crypt-mt -v "$VER")"
	ok "dkms build for $KVER: ${BUILT#"$TMP"/dk} (alias dm-crypt-mt)"
done
"${DK[@]}" remove -m crypt-mt -v "$VER" --all >"$TMP/dkms-remove.log" 2>&1 ||
	{ cat "$TMP/dkms-remove.log"; fail "dkms remove"; }
[ -z "$("${DK[@]}" status -m crypt-mt 2>/dev/null)" ] || fail "dkms still lists crypt-mt after remove"
ok "dkms remove"

AFTER=$(host_state)
if [ "$BEFORE" != "$AFTER" ]; then
	diff <(echo "$BEFORE") <(echo "$AFTER") >&2 || true
	fail "the host's module/DKMS state changed"
fi
ok "host left as it was (/var/lib/dkms, /usr/src, /lib/modules/{${KVERS[*]}}, /usr/local)"
echo "PASS: install"
