#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the Debian packages that building crypt-mt, booting the test VM and
# running the tests need.  Quiet and idempotent: it asks apt only when a
# package is missing, and runs `apt-get update` only then.
set -euo pipefail

PKGS=(
	# building the module
	make gcc linux-headers-amd64
	# the guest kernel and the VM
	linux-image-amd64 qemu-system-x86
	# initramfs contents and its assembly
	busybox-static dmsetup cryptsetup-bin fio e2fsprogs kmod cpio keyutils
	util-linux coreutils
	# debug-kernel lane, benchmark report (python3) and plots
	linux-source-6.1 bc flex bison libelf-dev libssl-dev xz-utils perl
	gnuplot-nox dkms python3
)

missing=()
for p in "${PKGS[@]}"; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[[ $st == "install ok installed" ]] || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0

echo "deps: installing ${missing[*]}" >&2
SUDO=
if ((EUID != 0)); then
	command -v sudo >/dev/null || { echo "deps: need root (or sudo) to install ${missing[*]}" >&2; exit 1; }
	SUDO="sudo -n"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	-o Dpkg::Use-Pty=0 "${missing[@]}" >/dev/null
