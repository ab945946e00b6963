#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The test suite on a debug kernel: KASAN, lockdep, kmemleak, fault injection
# (scripts/debug-kernel.config).  `make check-debug [T=name...]` runs this.
#
#   scripts/check-debug.sh                 the CI subset (see CI_TESTS below)
#   scripts/check-debug.sh name...         just these tests
#   CHECK_DEBUG_ALL=1 scripts/check-debug.sh   every test in tests/cases/
#
# Steps: install deps; build the debug kernel once into the cache
# (scripts/debug-kernel.sh, ~13 min the first time, instant afterwards); build
# crypt-mt.ko against that kernel in build/debug-module/ (a copy of the sources,
# so no debug-kernel objects are left where `make check` builds); run the guest
# suite through scripts/vm-test with the debug kernel, its modules and a final
# kmemleak scan.  The last line printed is the harness's "N passed, N failed";
# the exit status is non-zero on any failure.
#
# Environment:
#   CHECK_DEBUG_ALL=1       run every test instead of the CI subset
#   CHECK_DEBUG_MEM=MB      guest memory (default 3072: KASAN's shadow takes 1/8)
#   CHECK_DEBUG_CPUS=N      guest vCPUs (default 2)
#   CHECK_DEBUG_SLOWDOWN=N  factor applied to per-test timeouts (default 4)
#   CHECK_DEBUG_LOGDIR=DIR  where the harness writes logs (default build/test-logs/debug)
#   CRYPT_MT_CACHE          cache root for the debug kernel (default /var/cache/crypt-mt)

set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# The CI subset: load/unload, one compat round against stock dm-crypt, the
# stacked case, malformed tables, and what only this kernel can test: fault
# injection (faultinj, fail-make-request) and, with KASAN's quarantine
# keeping freed objects, where key bytes are left (key-lifecycle); and the
# two contexts the spreading code must get right: completions inside the
# lower driver's submission under rcu_read_lock (nullblk-completion, with
# DEBUG_ATOMIC_SLEEP), helpers on the other CPU in a 3-deep stack
# (spread-stack), and a transform that always finishes later, from
# another thread (async-cipher: the hand-off to the request's callback).
# About 17 minutes with a warm cache on an idle machine.  Names are
# tests/cases/<name>.sh without .sh.
CI_TESTS=(module-load fio-verify@2cpu stack malformed faultinj fail-make-request key-lifecycle
	nullblk-completion spread-stack async-cipher)

log() { echo "check-debug: $*" >&2; }
die() { echo "check-debug: ERROR: $*" >&2; exit 1; }

t_start=$(date +%s)

# One check-debug at a time per checkout: build/debug-module and the scaled
# cases are shared.  (The kernel build has its own lock in the cache.)
mkdir -p build
exec 8>build/.check-debug.lock
if ! flock -n 8; then
	log "another check-debug is running in this checkout; waiting"
	flock 8
fi

# 1. Dependencies: the project's list, plus what a kernel build needs.
if [ -x scripts/deps.sh ]; then scripts/deps.sh; fi
kdeps=(linux-source-6.1 gcc make bc flex bison libelf-dev libssl-dev kmod cpio xz-utils perl)
missing=()
for p in "${kdeps[@]}"; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[[ $st == "install ok installed" ]] || missing+=("$p")
done
if ((${#missing[@]})); then
	log "installing kernel build deps: ${missing[*]}"
	SUDO=; ((EUID == 0)) || SUDO="sudo -n"
	$SUDO apt-get update -qq >/dev/null
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends -o Dpkg::Use-Pty=0 "${missing[@]}" >/dev/null
fi

# 2. The debug kernel (cached; built only when scripts/debug-kernel.config changes).
envtxt=$(scripts/debug-kernel.sh --print-env) || die "debug kernel build failed"
eval "$envtxt"
: "${KERNEL:?}" "${MODDIR:?}" "${KVER:?}" "${KDIR:?}"
log "debug kernel $KVER ($KERNEL)"

# 3. crypt-mt.ko against the debug kernel, in a copy of the sources.
out=$root/build/debug-module
rm -rf "$out"
mkdir -p "$out"
tar -C "$root" -cf - \
	--exclude=./.git --exclude=./build --exclude=./results --exclude=./tests \
	--exclude=./scripts --exclude='*.o' --exclude='*.ko' --exclude='*.mod' \
	--exclude='*.mod.c' --exclude='.*.cmd' --exclude='*.order' \
	--exclude=Module.symvers . | tar -C "$out" -xf -
log "building crypt-mt.ko against $KDIR in $out"
if ! nice -n 19 make -C "$KDIR" M="$out" modules >"$out/build.log" 2>&1; then
	cat "$out/build.log" >&2
	die "crypt-mt.ko did not build against the debug kernel"
fi
ko=$out/crypt-mt.ko
[ -f "$ko" ] || die "no $ko after the build"

# 4. Which tests.  KASAN, lockdep and kmemleak make the guest several times
# slower, so the tests run from a copy of tests/cases/ whose "# timeout: N"
# headers are multiplied by CHECK_DEBUG_SLOWDOWN (vm-test reads them from there
# through --cases-dir; everything else under tests/ is used as is).
slow=${CHECK_DEBUG_SLOWDOWN:-4}
[[ $slow =~ ^[0-9]+$ && $slow -ge 1 ]] || die "CHECK_DEBUG_SLOWDOWN wants a whole number"
cases=$root/build/debug-check/cases
rm -rf "$cases"
mkdir -p "$cases"
scale() { # SRC DST: copy a test, scaling its timeout header
	awk -v k="$slow" 'NR <= 40 && /^#[ \t]*timeout:[ \t]*[0-9]+[ \t]*$/ {
		n = $0; sub(/^[^:]*:[ \t]*/, "", n); sub(/[0-9]+[ \t]*$/, n * k) } { print }' "$1" >"$2"
	chmod --reference="$1" "$2"
}
for f in tests/cases/*.sh; do [ -e "$f" ] && scale "$f" "$cases/$(basename "$f")"; done

tests=()
if (($#)); then
	for t in "$@"; do
		if [ -f "$t" ]; then	# a test file given by path
			scale "$t" "$cases/$(basename "$t")"
			t=$(basename "$t" .sh)
		fi
		tests+=("$t")
	done
elif [ "${CHECK_DEBUG_ALL:-0}" != 1 ]; then
	for t in "${CI_TESTS[@]}"; do
		if [ -e "tests/cases/${t%@*}.sh" ]; then
			tests+=("$t")
		else
			log "CI subset: no tests/cases/${t%@*}.sh, skipped"
		fi
	done
	((${#tests[@]})) || die "none of the CI subset tests (${CI_TESTS[*]}) exist in tests/cases/"
fi	# else: no names, vm-test runs every test in the cases dir

# 5. The guest suite on the debug kernel.
[ -x scripts/vm-test ] || die "scripts/vm-test (the VM harness) is missing"
logdir=${CHECK_DEBUG_LOGDIR:-$root/build/test-logs/debug}
summary=$(mktemp)
trap 'rm -f "$summary"' EXIT
args=(
	--kernel "$KERNEL" --moddir "$MODDIR" --kver "$KVER" --ko "$ko"
	--cases-dir "$cases" --timeout $((180 * slow))
	--cpus "${CHECK_DEBUG_CPUS:-2}" --mem "${CHECK_DEBUG_MEM:-3072}"
	--logdir "$logdir" --kmemleak
)
log "running ${tests[*]:-all tests} on $KVER, timeouts x$slow (logs: $logdir)"
set +e
# The harness's own summary line is printed once, last, below.
scripts/vm-test "${args[@]}" "${tests[@]}" 2>&1 | tee "$summary" |
	grep --line-buffered -vE '^[0-9]+ passed, [0-9]+ failed$'
rc=${PIPESTATUS[0]}
set -e
[ -d "$logdir" ] && cp "$summary" "$logdir/summary.txt"
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$summary" | tail -n 1 || true)
t_end=$(date +%s)
log "done in $(( (t_end - t_start) / 60 )) min $(( (t_end - t_start) % 60 )) s"
if [ -n "$line" ]; then
	echo "$line"
else
	echo "0 passed, 1 failed"	# the harness failed before its summary
	((rc)) || rc=1
fi
exit "$rc"
