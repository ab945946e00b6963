#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host test: choosing the kernel on machines with several kernels, leftovers
# of removed ones and half-installed ones.  Fake /boot and /lib/modules trees
# under a temp dir stand in for such machines (CMT_KROOT); nothing boots.
#   - scripts/kernel.sh picks the newest complete kernel by default, a series
#     (KVER=6.1, 6.12) or an exact version on request, prefers a complete
#     kernel for building too, leaves cloud/rt flavours alone unless named,
#     and says what is missing (and which package has it) when nothing fits;
#   - make, make check, make bench and scripts/vm-test stop with that message
#     (never silently, never with a module and a VM of different kernels);
#   - a leftover /lib/modules/<version> of a removed kernel (depmod's files
#     only) neither breaks the choice nor ends the harness without a word.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TMP=$(mktemp -d /tmp/cmt-kernels.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
K=$REPO/scripts/kernel.sh

fail() {
	echo "FAIL: $*" >&2
	exit 1
}
ok() { echo "ok: $*"; }
lit() { sed 's/[][\.*^$+?(){}|/]/\\&/g' <<<"$1"; }	# a string as a literal regex

# fake ROOT VERSION [headers] [image] [modules] [leftover]
fake() {
	local r=$1 v=$2 p
	shift 2
	mkdir -p "$r/lib/modules/$v" "$r/boot"
	for p in "$@"; do
		case $p in
		headers)
			mkdir -p "$r/usr/src/linux-headers-$v"
			echo "# fake kbuild tree" >"$r/usr/src/linux-headers-$v/Makefile"
			# Debian's link is absolute, to the host's /usr/src
			ln -sfn "/usr/src/linux-headers-$v" "$r/lib/modules/$v/build" ;;
		image) echo "not a kernel" >"$r/boot/vmlinuz-$v" ;;
		modules)
			mkdir -p "$r/lib/modules/$v/kernel/drivers/md"
			: >"$r/lib/modules/$v/modules.dep" ;;
		leftover)
			# what `apt-get remove` leaves: depmod's output only
			for f in modules.alias modules.alias.bin modules.dep.bin modules.symbols; do
				: >"$r/lib/modules/$v/$f"
			done ;;
		esac
	done
}
# expect NAME WANT CMD...: CMD prints WANT on stdout
expect() {
	local name=$1 want=$2 got
	shift 2
	got=$("$@" 2>"$TMP/err") || { cat "$TMP/err" >&2; fail "$name: '$*' failed"; }
	[[ $got == "$want" ]] || fail "$name: '$*' printed '$got', expected '$want'"
	ok "$name: $got"
}
# refuse NAME PATTERN CMD...: CMD fails, its stderr matches PATTERN (grep -E)
refuse() {
	local name=$1 pat=$2 rc=0
	shift 2
	"$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
	((rc != 0)) || fail "$name: '$*' succeeded: $(cat "$TMP/out")"
	[[ -s $TMP/err ]] || fail "$name: '$*' failed (exit $rc) without a word on stderr"
	grep -Eq "$pat" "$TMP/err" ||
		{ cat "$TMP/err" >&2; fail "$name: the message does not say /$pat/"; }
	ok "$name: refused, saying: $(head -n 2 "$TMP/err" | tr '\n' ' ' | cut -c1-160)"
}

A=6.1.0-57-amd64 B=6.12.117+deb12-amd64 OLD=6.12.113+deb12-amd64

# ---- two complete kernels and a leftover of a removed one
R=$TMP/two
fake "$R" "$A" headers image modules
fake "$R" "$B" headers image modules
fake "$R" "$OLD" leftover
fake "$R" 6.12.117+deb12-cloud-amd64 headers image modules
fake "$R" 6.13.1+deb12-rt-amd64 headers image modules
export CMT_KROOT=$R
expect "default" "$B" "$K"
expect "default for building" "$B" "$K" --for build
expect "series 6.1" "$A" "$K" 6.1
expect "series 6.12" "$B" "$K" 6.12
expect "exact version" "$A" "$K" "$A"
expect "a flavour named exactly" 6.13.1+deb12-rt-amd64 "$K" 6.13.1+deb12-rt-amd64
expect "build tree under the root" "$B $R/usr/src/linux-headers-$B" "$K" --print make
"$K" --print env 6.1 >"$TMP/env"
(
	. "$TMP/env"
	[[ $KVER == "$A" && $KERNEL == "$R/boot/vmlinuz-$A" && $MODDIR == "$R" &&
		$KDIR == "$R/usr/src/linux-headers-$A" ]]
) || { cat "$TMP/env"; fail "--print env: $(tr '\n' ' ' <"$TMP/env")"; }
ok "--print env names the image, modules and kbuild tree of one kernel"
refuse "leftover, asked for" "only files left by a removed kernel" "$K" "$OLD"
refuse "series not installed" "no kernel '6.6' installed.*|deps.sh --kernel 6.6" "$K" 6.6
"$K" --list >"$TMP/list"
grep -q "^$OLD .*leftover" "$TMP/list" || { cat "$TMP/list"; fail "--list does not flag the leftover"; }
ok "--list flags the leftover"

# ---- half-installed: headers without an image, an image without headers
R=$TMP/half
fake "$R" "$A" headers image modules
fake "$R" "$B" headers
fake "$R" 6.13.1+deb12-amd64 image modules
export CMT_KROOT=$R
expect "default skips incomplete kernels" "$A" "$K"
expect "building prefers a complete kernel" "$A" "$K" --for build
expect "building for headers alone when asked" "$B" "$K" --for build 6.12
refuse "no image for the headers" "$(lit "image ($R/boot/vmlinuz-$B: package linux-image-$B)")" "$K" 6.12
refuse "no headers for the image" "headers .*package linux-headers-6.13.1" "$K" 6.13

# ---- nothing usable at all
R=$TMP/none
fake "$R" "$OLD" leftover
export CMT_KROOT=$R
refuse "only a leftover" "$(lit "no kernel with headers, image and modules installed under $R")" "$K"
refuse "only a leftover, building" "$(lit "no kernel headers installed under $R")" "$K" --for build
# (as a user runs make: not with make check's KVER and MAKEFLAGS around)
mk() { env -u KVER -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make "$@"; }
refuse "make" "no kernel headers installed" mk -s -C "$REPO" modules
refuse "make KVER=6.12" "kernel '6.12' is not usable.*|only files left" mk -s -C "$REPO" modules KVER=6.12

# ---- the harness stops with the reason, before any VM
# A module built for a kernel this machine cannot boot: vm-test must name it.
ko=$(find "$REPO" -maxdepth 1 -name crypt-mt.ko)
[[ -n $ko ]] || fail "no crypt-mt.ko (make check builds it first)"
kov=$(modinfo -F vermagic "$ko" | awk '{ print $1 }')
R=$TMP/vm
fake "$R" "$kov" leftover
fake "$R" 6.99.1-amd64 headers image modules
refuse "vm-test, the module's kernel is a leftover" \
	"$(lit "crypt-mt.ko was built for $kov, but the VM cannot boot that kernel")" \
	env CMT_KROOT="$R" CMT_VM_LOCK=0 "$REPO/scripts/vm-test" --logdir "$TMP/logs" module-load
grep -q "only files left by a removed kernel" "$TMP/err" || { cat "$TMP/err"; fail "vm-test does not say why"; }
refuse "vm-test, --kver a kernel without image" "kernel '6.12' is not usable|no kernel '6.12'" \
	env CMT_KROOT="$TMP/half" CMT_VM_LOCK=0 "$REPO/scripts/vm-test" --logdir "$TMP/logs" --kver 6.12 module-load
refuse "vm-test, module and VM of different kernels" "$(lit "was built for '$kov', the VM runs 6.99.1-amd64")" \
	env CMT_KROOT="$R" CMT_VM_LOCK=0 "$REPO/scripts/vm-test" --logdir "$TMP/logs" --kver 6.99.1-amd64 module-load

# make check and make bench with a kernel that is not there: a FAIL line and
# the summary; an error and no results.
unset CMT_KROOT
rc=0
KVER=0.1 CMT_KROOT=$TMP/none "$REPO/scripts/check.sh" module-load >"$TMP/check" 2>&1 || rc=$?
((rc != 0)) || { cat "$TMP/check"; fail "check.sh with KVER=0.1 exited 0"; }
grep -q '^FAIL ' "$TMP/check" && [[ $(tail -n 1 "$TMP/check") == "0 passed, 1 failed" ]] ||
	{ cat "$TMP/check"; fail "check.sh with KVER=0.1: no FAIL line or summary"; }
ok "make check KVER=0.1: $(grep -m1 '^FAIL ' "$TMP/check")"
refuse "bench.sh --kver 0.1" "no usable kernel '0.1'" \
	env CMT_KROOT="$TMP/none" "$REPO/scripts/bench.sh" --no-deps --kver 0.1 --out "$TMP/results"
[[ ! -e $TMP/results ]] || fail "bench.sh made $TMP/results although it ran nothing"
echo "PASS: kernels"
