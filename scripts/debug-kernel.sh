#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (once) a 6.1 debug kernel from Debian's linux-source-6.1 for the crypt-mt
# debug lane: KASAN, lockdep, kmemleak, fault injection; see scripts/debug-kernel.config.
#
# The result lives in a cache outside the checkout:
#   ${CRYPT_MT_CACHE:-/var/cache/crypt-mt}/debug-kernel/<key>/
#       bzImage        the kernel image
#       mod/           INSTALL_MOD_PATH: mod/lib/modules/<kver>/...
#       src/           the built source tree (modules_prepare state, Module.symvers):
#                      build out-of-tree modules with  make -C <key>/src M=...
#       env            KERNEL= MODDIR= KVER= KDIR= (what --print-env prints)
#       build.log      the build's log
# Entries for other fragments are pruned after a build (the newest one is kept).
# <key> is a hash of the config fragment, the source package version and this
# script's recipe version, so editing the fragment triggers a rebuild and nothing else
# does.  The build runs in <key>.tmp.<pid> and is renamed into place only on success,
# under a flock, so a killed build never leaves a half cache.
#
# Usage: scripts/debug-kernel.sh [--print-env] [--force] [--cached-only] [--key]
#   (no option)    build if needed, then print the paths in human form
#   --print-env    build if needed, then print KERNEL=... MODDIR=... KVER=... KDIR=...
#                  on stdout (shell-evaluable); progress goes to stderr
#   --force        rebuild even if a cache entry exists (the old one is replaced)
#   --cached-only  never build: print the env if cached, else exit 2
#   --key          print the cache directory that would be used and exit
# Environment: CRYPT_MT_CACHE (cache root), CRYPT_MT_KSRC (source tarball, default
#   /usr/src/linux-source-6.1.tar.xz), DEBUG_KERNEL_JOBS (default 2),
#   DEBUG_KERNEL_FRAGMENT (another fragment instead of scripts/debug-kernel.config).

set -euo pipefail

RECIPE=1	# bump when the build steps below change in a way that changes the output

here=$(cd "$(dirname "$0")" && pwd)
frag=${DEBUG_KERNEL_FRAGMENT:-$here/debug-kernel.config}
tarball=${CRYPT_MT_KSRC:-/usr/src/linux-source-6.1.tar.xz}
cache_root=${CRYPT_MT_CACHE:-/var/cache/crypt-mt}/debug-kernel
jobs=${DEBUG_KERNEL_JOBS:-2}

mode=human force=0 cached_only=0
for a in "$@"; do
	case $a in
	--print-env) mode="env" ;;
	--force) force=1 ;;
	--cached-only) cached_only=1 ;;
	--key) mode=key ;;
	-h|--help) sed -n '4,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "debug-kernel.sh: unknown argument '$a'" >&2; exit 1 ;;
	esac
done

log() { echo "debug-kernel: $*" >&2; }
die() { echo "debug-kernel: ERROR: $*" >&2; exit 1; }

[ -r "$frag" ] || die "missing config fragment $frag"
[ -r "$tarball" ] || die "missing kernel source $tarball (apt-get install linux-source-6.1)"

srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null || true)
[ -n "$srcver" ] || srcver=$(stat -c '%s-%Y' "$tarball")
key=$( { echo "recipe=$RECIPE"; echo "src=$(basename "$tarball") $srcver";
	 cat "$frag"; } | sha256sum | cut -c1-16)
dir=$cache_root/$key

if [ "$mode" = key ]; then echo "$dir"; exit 0; fi

# KERNEL, MODDIR, KVER, KDIR come from the entry's env file.
# shellcheck disable=SC1091,SC2153
print_result() {
	. "$dir/env"
	if [ "$mode" = env ]; then
		cat "$dir/env"
	else
		echo "kernel image : $KERNEL"
		echo "module dir   : $MODDIR   (lib/modules/$KVER inside)"
		echo "kernel ver   : $KVER"
		echo "kbuild dir   : $KDIR   (make -C $KDIR M=\$PWD modules)"
	fi
}

cached() { [ -f "$dir/env" ] && [ -f "$dir/bzImage" ]; }

if cached && [ $force = 0 ]; then print_result; exit 0; fi
if [ $cached_only = 1 ]; then log "no cached debug kernel at $dir"; exit 2; fi

for t in gcc make bc flex bison depmod xz tar flock perl; do
	command -v "$t" >/dev/null || die "missing tool '$t' (scripts/deps.sh installs the build deps)"
done
[ -e /usr/include/libelf.h ] || die "missing libelf-dev"
[ -e /usr/include/openssl/ssl.h ] || die "missing libssl-dev"

mkdir -p "$cache_root"
exec 9>"$cache_root/.lock"
if ! flock -n 9; then
	log "another debug-kernel build holds $cache_root/.lock; waiting"
	flock 9
fi
# Someone else may have finished the same build while we waited.
if cached && [ $force = 0 ]; then print_result; exit 0; fi

tmp=$cache_root/$key.tmp.$$
rm -rf "$tmp"
# Leftovers of killed builds (their pids are gone; we hold the lock).
for d in "$cache_root"/*.tmp.*; do [ -e "$d" ] && rm -rf "$d"; done
mkdir -p "$tmp"
on_exit() { # a failed or killed build leaves no temp dir and no dangling log link
	rm -rf "$tmp"
	[ "$(readlink "$cache_root/$key.log")" != "$key.tmp.$$/build.log" ] ||
		rm -f "$cache_root/$key.log"
}
trap on_exit EXIT
buildlog=$tmp/build.log
t0=$(date +%s)

log "building debug kernel into $dir (log: $cache_root/$key.log)"
ln -sfn "$key.tmp.$$/build.log" "$cache_root/$key.log"

keep_log() { # the temp dir goes away on exit: keep its log (and .config) beside it
	cp "$buildlog" "$cache_root/$key.failed.log" 2>/dev/null || true
	[ -f "$tmp/src/.config" ] && cp "$tmp/src/.config" "$cache_root/$key.failed.config"
	ln -sfn "$key.failed.log" "$cache_root/$key.log"
	echo "debug-kernel: log kept at $cache_root/$key.failed.log" >&2
}
run() { # run a step, output to the log; on failure show the tail
	echo "+ $*" >>"$buildlog"
	if ! "$@" >>"$buildlog" 2>&1; then
		echo "debug-kernel: step failed: $*" >&2
		tail -n 40 "$buildlog" >&2
		keep_log
		exit 1
	fi
}
kmake() { run nice -n 19 make -C "$tmp/src" "$@"; }

log "extracting $tarball"
run tar -C "$tmp" -xf "$tarball"
top=$(find "$tmp" -mindepth 1 -maxdepth 1 -type d -name 'linux-source-*' | head -n 1)
[ -n "$top" ] || die "tarball did not contain a linux-source-* directory"
mv "$top" "$tmp/src"

log "configuring (x86_64_defconfig kvm_guest.config + fragment)"
kmake x86_64_defconfig kvm_guest.config
run bash -c "cd '$tmp/src' && ./scripts/kconfig/merge_config.sh -m .config '$frag'"
kmake olddefconfig
cp "$frag" "$tmp/config-fragment"

# Every option in the fragment must have survived olddefconfig (Kconfig silently
# drops options whose dependencies are not met).
bad=()
while IFS= read -r line; do
	if [[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]]; then
		grep -qxF -- "$line" "$tmp/src/.config" ||
			bad+=("$line  (got: $(grep -E "^(# )?${BASH_REMATCH[1]}[= ]" "$tmp/src/.config" || echo 'absent'))")
	elif [[ $line =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
		if grep -qE "^${BASH_REMATCH[1]}=" "$tmp/src/.config"; then
			bad+=("$line  (got: $(grep -E "^${BASH_REMATCH[1]}=" "$tmp/src/.config"))")
		fi
	fi
done <"$frag"
if [ ${#bad[@]} -gt 0 ]; then
	echo "debug-kernel: ERROR: these fragment options did not end up as requested" \
	     "after olddefconfig (unmet dependencies or selected by something else):" >&2
	printf '  %s\n' "${bad[@]}" >&2
	printf '  %s\n' "${bad[@]}" >>"$buildlog"
	keep_log
	echo "debug-kernel: resulting .config kept at $cache_root/$key.failed.config" >&2
	exit 1
fi
log "config verified: every fragment option is set as requested"

log "compiling (make -j$jobs bzImage modules, nice 19; ~13 min on 2 cores)"
kmake -j"$jobs" bzImage modules
kver=$(make -s -C "$tmp/src" kernelrelease)
log "installing modules ($kver)"
kmake modules_install INSTALL_MOD_PATH="$tmp/mod"
# modules_install leaves build/source symlinks pointing into the temp dir; a copy of
# MODDIR into a guest must not drag the source tree along.  KDIR is printed instead.
rm -f "$tmp/mod/lib/modules/$kver/build" "$tmp/mod/lib/modules/$kver/source"
# modules_prepare is implied by the full build, but be explicit: out-of-tree modules
# need scripts/mod/modpost, the generated headers and Module.symvers.
kmake modules_prepare
[ -s "$tmp/src/Module.symvers" ] || { keep_log; die "no Module.symvers after the build"; }
cp "$tmp/src/arch/x86/boot/bzImage" "$tmp/bzImage"
cp "$tmp/src/.config" "$tmp/config"
# Objects of the kernel itself are not needed again; keep only what kbuild needs
# for M= builds (headers, scripts, Module.symvers, .config, generated files).
find "$tmp/src" -name '*.o' ! -path '*/scripts/*' ! -path '*/tools/*' -delete 2>/dev/null || true
find "$tmp/src" -name '*.ko' -delete 2>/dev/null || true

cat >"$tmp/env" <<EOF
KERNEL=$dir/bzImage
MODDIR=$dir/mod
KVER=$kver
KDIR=$dir/src
EOF
t1=$(date +%s)
echo "built in $((t1 - t0)) s" >>"$buildlog"
echo "$((t1 - t0))" >"$tmp/build-seconds"

if [ -e "$dir" ]; then rm -rf "$dir.old.$$"; mv "$dir" "$dir.old.$$"; fi
mv "$tmp" "$dir"
trap - EXIT
rm -rf "$dir.old.$$"
ln -sfn "$key/build.log" "$cache_root/$key.log"
rm -f "$cache_root/$key.failed.log" "$cache_root/$key.failed.config"
# Each entry is ~2 GB: keep this one and the most recent other (another branch's
# fragment), drop the rest.  Entry names are 16 hex digits, so ls | grep is safe.
# shellcheck disable=SC2010
ls -1dt "$cache_root"/[0-9a-f]*[0-9a-f] 2>/dev/null | grep -E '/[0-9a-f]{16}$' |
	grep -vxF "$dir" | tail -n +2 | while read -r old; do
		log "pruning old cache entry $old"
		rm -rf "$old" "$old.log" "$old.failed.log" "$old.failed.config"
	done || true
log "done in $(( (t1 - t0) / 60 )) min $(( (t1 - t0) % 60 )) s"
print_result
