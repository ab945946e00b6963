#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Unpack a Debian kernel (image, modules, headers, kbuild) into a directory
# instead of installing it, for a machine where another kernel must not
# appear under /boot and /lib/modules (e.g. one shared with builds that pick
# the newest installed kernel).  Then point the harness at it:
#
#   scripts/kernel-unpack.sh 6.12 /var/tmp/kernels     # series or full version
#   CMT_KROOT=/var/tmp/kernels make check KVER=6.12
#
# The packages are fetched with `apt-get download` and unpacked with
# `dpkg -x` (no maintainer scripts run; nothing on the host changes); the
# headers' Makefile is pointed at the unpacked common headers and depmod
# indexes the modules.  The kbuild tools' own dependencies (gcc-12, pahole,
# ...) are checked, not installed: scripts/deps.sh installs them.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
die() {
	echo "kernel-unpack: $*" >&2
	exit 1
}
(($# == 2)) || die "usage: scripts/kernel-unpack.sh SERIES|VERSION DIR"
K=$1
ROOT=$(realpath -m "$2")

# The concrete kernel version: a series goes through its metapackage.
pk=$("$REPO/scripts/deps.sh" --kernel-packages "$K") || die "no Debian packages for kernel $K"
read -r img _ <<<"$pk"
deps_of() { # PKG -> its direct Depends, one a line
	apt-cache depends --no-recommends --no-suggests "$1" 2>/dev/null |
		awk '/^ *\|?Depends:/ { print $2 }' | tr -d '<>'
}
if [[ ! $img =~ ^linux-image-[0-9]+\.[0-9]+\.[0-9] ]]; then
	img=$(deps_of "$img" | grep -m1 -E '^linux-image-[0-9]+\.[0-9]+\.[0-9]') ||
		die "$img: a metapackage without a linux-image-<version> dependency"
fi
V=${img#linux-image-}
V=${V%-unsigned}
echo "kernel-unpack: kernel $V into $ROOT" >&2

# The unsigned image is the same kernel without the signature wrapper.
pkgs=()
if apt-cache show "linux-image-$V-unsigned" >/dev/null 2>&1; then
	pkgs+=("linux-image-$V-unsigned")
else
	pkgs+=("linux-image-$V")
fi
pkgs+=("linux-headers-$V")
common=$(deps_of "linux-headers-$V" | grep -m1 '^linux-headers-.*-common') || die "linux-headers-$V: no common headers package"
kbuild=$(deps_of "linux-headers-$V" | grep -m1 '^linux-kbuild-') || die "linux-headers-$V: no kbuild package"
pkgs+=("$common" "$kbuild")

mkdir -p "$ROOT"
DEBS=$(mktemp -d "$ROOT/.debs.XXXXXX")
trap 'rm -rf "$DEBS"' EXIT
(cd "$DEBS" && apt-get download -q "${pkgs[@]}" >"$DEBS/log" 2>&1) ||
	{ cat "$DEBS/log" >&2; die "apt-get download ${pkgs[*]} failed"; }
for d in "$DEBS"/*.deb; do dpkg -x "$d" "$ROOT"; done

hdr=$ROOT/usr/src/linux-headers-$V
[[ -f $hdr/Makefile ]] || die "no $hdr/Makefile after unpacking"
sed -i "s|^include /usr/src/|include $ROOT/usr/src/|" "$hdr/Makefile"
depmod -b "$ROOT" "$V"

# What the kbuild tools need on this machine.
miss=()
for p in $(deps_of "$kbuild") $(deps_of "linux-headers-$V" | grep -v '^linux-'); do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || miss+=("$p")
done
((${#miss[@]} == 0)) || echo "kernel-unpack: building modules for $V needs: ${miss[*]} (apt-get install them)" >&2
CMT_KROOT=$ROOT "$REPO/scripts/kernel.sh" "$V" >/dev/null
echo "kernel-unpack: done: CMT_KROOT=$ROOT KVER=$V" >&2
