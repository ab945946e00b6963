#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Which kernel crypt-mt is built for and the test VM boots.  One answer for
# make, make install, make check, make bench and scripts/vm-test, so that the
# module and the VM always agree on a machine with several kernels.
#
#   scripts/kernel.sh [--for build|vm] [--print version|make|env] [KVER]
#   scripts/kernel.sh --list
#   scripts/kernel.sh --all [--for build|vm]
#
# KVER is a full version (6.12.117+deb12-amd64), a series (6.12, 6.1: the
# newest installed kernel of it) or empty (the newest installed kernel).
# "Installed" means, for --for vm (the default), all three pieces:
#
#   headers  ROOT/lib/modules/V/build/Makefile     package linux-headers-V
#   image    ROOT/boot/vmlinuz-V                   package linux-image-V
#   modules  ROOT/lib/modules/V/kernel, modules.dep   (comes with the image)
#
# and for --for build the headers alone, preferring a kernel that has all
# three (so that `make` and `make check` pick the same one).  Unless named by
# their full version, the cloud and rt flavours are left out (the VM needs
# drivers they lack).  ROOT is $CMT_KROOT, default /: kernels unpacked into a
# directory instead of installed (scripts/kernel-unpack.sh).
#
# Output: --print version (default) the version; --print make "VERSION KDIR";
# --print env shell assignments KVER, KDIR, KERNEL, MODDIR.  --list shows every
# kernel found and what it has; --all prints every usable one, oldest first.
# When nothing fits: exit 1 with a message that names what is missing and the
# package that has it.
set -euo pipefail

ROOT=${CMT_KROOT:-}
ROOT=${ROOT%/}
FOR=vm PRINT=version LIST=0 ALLV=0 ASK=
while (($#)); do
	case $1 in
	--for) FOR=$2; shift ;;
	--print) PRINT=$2; shift ;;
	--list) LIST=1 ;;
	--all) ALLV=1 ;;
	-h | --help) sed -n '3,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	-*) echo "kernel.sh: unknown option $1" >&2; exit 2 ;;
	*) ASK=$1 ;;
	esac
	shift
done
[[ $FOR == build || $FOR == vm ]] || { echo "kernel.sh: --for build or vm" >&2; exit 2; }

# The kbuild tree of V.  Debian's build link is absolute (/usr/src/...): under
# another root it is resolved inside that root.
kdir() {
	local l=$ROOT/lib/modules/$1/build t
	if [[ -n $ROOT && -L $l ]]; then
		t=$(readlink "$l")
		if [[ $t == /* && $t != "$ROOT"/* ]]; then
			echo "$ROOT$t"
			return
		fi
	fi
	echo "$l"
}
has_headers() { [[ -e $(kdir "$1")/Makefile ]]; }
has_image() { [[ -r $ROOT/boot/vmlinuz-$1 ]]; }
has_modules() { [[ -d $ROOT/lib/modules/$1/kernel && -e $ROOT/lib/modules/$1/modules.dep ]]; }
complete() { has_headers "$1" && has_image "$1" && has_modules "$1"; }
usable() { # V: fit for what was asked
	if [[ $FOR == vm ]]; then complete "$1"; else has_headers "$1"; fi
}

# Every version that has anything: a dir under lib/modules or an image.
versions() {
	local d
	{
		for d in "$ROOT"/lib/modules/*/ "$ROOT"/boot/vmlinuz-*; do
			if [[ -e $d ]]; then
				d=${d%/}
				d=${d##*/}
				echo "${d#vmlinuz-}"
			fi
		done
	} | sort -uV
}

# What V lacks, for messages.
missing() {
	local v=$1 m=
	has_headers "$v" || m+=", headers ($(kdir "$v")/Makefile: package linux-headers-$v)"
	has_image "$v" || m+=", image ($ROOT/boot/vmlinuz-$v: package linux-image-$v)"
	has_modules "$v" || m+=", modules ($ROOT/lib/modules/$v/kernel and modules.dep: package linux-image-$v)"
	echo "${m#, }"
}

# A directory left by a removed kernel: apt-get remove keeps depmod's files.
leftover() {
	[[ -d $ROOT/lib/modules/$1 && ! -d $ROOT/lib/modules/$1/kernel && ! -e $(kdir "$1")/Makefile ]] &&
		! has_image "$1"
}

where() { [[ -n $ROOT ]] && echo " under $ROOT" || true; }

ALL=()
while read -r v; do
	if [[ -n $v ]]; then ALL+=("$v"); fi
done < <(versions)

if ((LIST)); then
	printf '%-34s %-8s %-6s %-8s %s\n' kernel headers image modules note
	for v in "${ALL[@]}"; do
		note=
		leftover "$v" && note="leftover of a removed kernel ($ROOT/lib/modules/$v)"
		printf '%-34s %-8s %-6s %-8s %s\n' "$v" \
			"$(has_headers "$v" && echo yes || echo -)" \
			"$(has_image "$v" && echo yes || echo -)" \
			"$(has_modules "$v" && echo yes || echo -)" "$note"
	done
	exit 0
fi

if ((ALLV)); then
	for v in "${ALL[@]}"; do
		if usable "$v"; then echo "$v"; fi
	done
	exit 0
fi

# The candidates: the version asked for, the versions of a series, or all.
CAND=()
auto=1
for v in "${ALL[@]}"; do
	if [[ -z $ASK ]]; then
		case $v in *-cloud-* | *-rt-*) continue ;; esac
		CAND+=("$v")
	elif [[ $v == "$ASK" ]]; then
		CAND=("$v")
		auto=0
		break
	elif [[ $v == "$ASK".* || $v == "$ASK"-* || $v == "$ASK"+* ]]; then
		case $v in *-cloud-* | *-rt-*) continue ;; esac
		CAND+=("$v")
	fi
done
if [[ -n $ASK && $auto == 1 && ! $ASK =~ ^[0-9]+\.[0-9]+$ ]] && ((${#CAND[@]} == 0)); then
	# A full version that is not there at all.
	CAND=("$ASK")
	auto=0
fi

pick=
for ((i = ${#CAND[@]} - 1; i >= 0; i--)); do
	if complete "${CAND[i]}"; then pick=${CAND[i]}; break; fi
done
if [[ -z $pick && $FOR == build ]]; then
	for ((i = ${#CAND[@]} - 1; i >= 0; i--)); do
		if has_headers "${CAND[i]}"; then pick=${CAND[i]}; break; fi
	done
fi

if [[ -z $pick ]]; then
	{
		if [[ -z $ASK && $FOR == build ]]; then
			echo "kernel.sh: no kernel headers installed$(where)."
		elif [[ -z $ASK ]]; then
			echo "kernel.sh: no kernel with headers, image and modules installed$(where)."
		elif ((${#CAND[@]} == 0)); then
			echo "kernel.sh: no kernel '$ASK' installed$(where)."
		else
			echo "kernel.sh: kernel '$ASK' is not usable$(where):"
		fi
		for v in "${CAND[@]}"; do
			if leftover "$v"; then
				echo "  $v: only files left by a removed kernel in $ROOT/lib/modules/$v (delete that directory, or install linux-image-$v and linux-headers-$v)"
			else
				echo "  $v: missing $(missing "$v")"
			fi
		done
		if ((${#ALL[@]})); then
			echo "  found:$(for v in "${ALL[@]}"; do
				if complete "$v"; then echo -n " $v"; else echo -n " $v (incomplete)"; fi
			done)"
		fi
		s=${ASK:-SERIES}
		if [[ -z $ROOT ]]; then
			echo "  'scripts/deps.sh --kernel $s' installs Debian's packages for it."
		else
			echo "  'scripts/kernel-unpack.sh $s $ROOT' unpacks Debian's packages there."
		fi
		[[ -n $ASK ]] || echo "  (SERIES: e.g. 6.1 or 6.12)"
	} >&2
	exit 1
fi

case $PRINT in
version) echo "$pick" ;;
make) echo "$pick $(kdir "$pick")" ;;
env)
	printf 'KVER=%q\nKDIR=%q\nKERNEL=%q\nMODDIR=%q\n' "$pick" "$(kdir "$pick")" \
		"$ROOT/boot/vmlinuz-$pick" "${ROOT:-/}"
	;;
*) echo "kernel.sh: --print version, make or env" >&2; exit 2 ;;
esac
