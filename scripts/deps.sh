#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the Debian packages that building crypt-mt, booting the test VM and
# running the tests need.  Quiet and idempotent: it asks apt only when a
# package is missing, and runs `apt-get update` only then.
#
#   scripts/deps.sh                       tools + Debian's default kernel (linux-image-amd64)
#   scripts/deps.sh --kernel 6.12         ... + the newest 6.12 kernel: image, headers
#   scripts/deps.sh --kernel 6.12.117+deb12-amd64    ... + that exact kernel
#   scripts/deps.sh --kernel-packages 6.12    print the packages --kernel would install
#   scripts/deps.sh --also PKG            ... + PKG (repeatable; make check-upstream's tools)
#
# A kernel is only installed when scripts/kernel.sh does not find it usable
# already (headers, image and modules).  With CMT_KROOT set, kernels are not
# installed but unpacked into that directory (scripts/kernel-unpack.sh).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

PKGS=(
	# building the module (pahole: module BTF, which 6.12's kbuild makes)
	make gcc pahole linux-headers-amd64
	# the guest kernel and the VM
	linux-image-amd64 qemu-system-x86
	# initramfs contents and its assembly (xz-utils: 6.12's modules are .ko.xz)
	busybox-static dmsetup cryptsetup-bin fio e2fsprogs kmod cpio keyutils
	util-linux coreutils xz-utils
	# boot-time volumes: systemd-cryptsetup, Debian's cryptdisks_start/stop and
	# /lib/cryptsetup scripts, the initramfs hook test (mkinitramfs, cryptroot)
	systemd cryptsetup cryptsetup-initramfs initramfs-tools sysvinit-utils
	# debug-kernel lane, benchmark report (python3) and plots
	linux-source-6.1 bc flex bison libelf-dev libssl-dev perl
	gnuplot-nox dkms python3
)

SUDO=
if ((EUID != 0)); then SUDO="sudo -n"; fi
UPDATED=0
apt_update() {
	((UPDATED)) && return 0
	$SUDO apt-get update -qq >/dev/null
	UPDATED=1
}
known() { apt-cache show "$1" >/dev/null 2>&1; }

# kernel_packages K: the image and headers packages for kernel K: a full
# version, or a series (its metapackages, e.g. linux-image-6.12-amd64; or
# linux-image-amd64 when that is the distribution's kernel of the series).
kernel_packages() {
	local k=$1 v
	if [[ ! $k =~ ^[0-9]+\.[0-9]+$ ]]; then
		echo "linux-image-$k linux-headers-$k"
		return
	fi
	known "linux-image-$k-amd64" || known linux-image-amd64 || apt_update
	if known "linux-image-$k-amd64"; then
		echo "linux-image-$k-amd64 linux-headers-$k-amd64"
		return
	fi
	v=$(apt-cache policy linux-image-amd64 2>/dev/null | awk '/Candidate:/ { print $2 }')
	if [[ $v == "$k".* ]]; then
		echo "linux-image-amd64 linux-headers-amd64"
		return
	fi
	echo "deps: no Debian package for kernel series $k (linux-image-$k-amd64 unknown, linux-image-amd64 is $v)" >&2
	return 1
}

KERNELS=()
while (($#)); do
	case $1 in
	--kernel) KERNELS+=("$2"); shift ;;
	--kernel-packages) kernel_packages "$2"; exit ;;
	--also) PKGS+=("$2"); shift ;;
	-h | --help) sed -n '3,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "deps: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done

install_pkgs() {
	echo "deps: installing $*" >&2
	if [[ -n $SUDO ]] && ! command -v sudo >/dev/null; then
		echo "deps: need root (or sudo) to install $*" >&2
		exit 1
	fi
	apt_update
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		-o Dpkg::Use-Pty=0 "$@" >/dev/null
}

missing=()
for p in "${PKGS[@]}"; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[[ $st == "install ok installed" ]] || missing+=("$p")
done
((${#missing[@]} == 0)) || install_pkgs "${missing[@]}"

for k in "${KERNELS[@]}"; do
	[[ -n $k ]] || continue
	"$REPO/scripts/kernel.sh" "$k" >/dev/null 2>&1 && continue
	if [[ -n ${CMT_KROOT:-} ]]; then
		"$REPO/scripts/kernel-unpack.sh" "$k" "$CMT_KROOT"
	else
		read -r -a kp <<<"$(kernel_packages "$k")"
		((${#kp[@]})) || exit 1
		install_pkgs "${kp[@]}"
	fi
	"$REPO/scripts/kernel.sh" "$k" >/dev/null || exit 1
done
exit 0
