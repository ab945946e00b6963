#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The whole test suite: build, harness self-tests on the host (tests/host/*.sh),
# then the guest tests in VMs (scripts/vm-test).  Ends with one line
# "N passed, N failed" and exits non-zero on any failure.
#
#   scripts/check.sh                 everything
#   scripts/check.sh NAME...         only these tests (host or guest, e.g. module-load,
#                                    module-load@4cpu, harness-timeout)
#   VMTEST_ARGS="--cpus 4" scripts/check.sh    extra options for scripts/vm-test
#   KVER=6.12 scripts/check.sh       on that kernel (a series or a full version;
#                                    `make check KVER=6.12`): the module is built
#                                    for it, the VM boots it; it is installed
#                                    first if missing (scripts/deps.sh --kernel)
set -uo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
LOGS=$REPO/build/test-logs

NPASS=0 NFAIL=0
summary() {
	echo "$NPASS passed, $NFAIL failed"
	((NFAIL == 0))
	exit
}

# The kernel: asked for (KVER), else the newest installed (scripts/kernel.sh).
ASKED=${KVER:-}
scripts/deps.sh --kernel "$ASKED" ||
	{ echo "FAIL deps: scripts/deps.sh${ASKED:+ --kernel $ASKED} failed (see above)"; NFAIL=1; summary; }
if ! KVER=$(scripts/kernel.sh --for vm "$ASKED"); then
	echo "FAIL kernel: no usable kernel${ASKED:+ '$ASKED'} (see above)"
	NFAIL=1
	summary
fi
# Host tests (the splat module, bench-smoke) and vm-test use it too.
export KVER
echo "kernel: $KVER${CMT_KROOT:+ (under $CMT_KROOT)}"

mkdir -p "$LOGS"
if ! make KVER="$KVER" >"$LOGS/build.log" 2>&1; then
	cat "$LOGS/build.log"
	echo "FAIL build: make KVER=$KVER failed"
	NFAIL=1
	summary
fi
if ! make -C tests/splat KVER="$KVER" >"$LOGS/build-splat.log" 2>&1; then
	cat "$LOGS/build-splat.log"
	echo "FAIL build-splat: make -C tests/splat failed"
	NFAIL=1
	summary
fi

host=() guest=()
if (($#)); then
	for t in "$@"; do
		if [[ -f tests/host/$t.sh ]]; then host+=("tests/host/$t.sh"); else guest+=("$t"); fi
	done
else
	host=(tests/host/*.sh)
	guest=(ALL)
fi

for h in "${host[@]}"; do
	[[ -e $h ]] || continue
	name=$(basename "$h" .sh)
	log=$LOGS/host-$name.log
	if bash "$h" >"$log" 2>&1 </dev/null; then
		echo "PASS $name"
		NPASS=$((NPASS + 1))
	else
		echo "FAIL $name: exit code $?"
		tail -n 30 "$log" | sed 's/^/    | /'
		echo "    --- log: $log"
		NFAIL=$((NFAIL + 1))
	fi
done

if ((${#guest[@]})); then
	[[ ${guest[0]} == ALL ]] && guest=()
	# vm-test's own summary line is folded into ours.
	sumfile=$(mktemp)
	# shellcheck disable=SC2086
	scripts/vm-test --kver "$KVER" ${VMTEST_ARGS-} "${guest[@]}" </dev/null | while IFS= read -r line; do
		if [[ $line =~ ^[0-9]+\ passed,\ [0-9]+\ failed$ ]]; then
			echo "$line" >"$sumfile"
		else
			echo "$line"
		fi
	done
	if read -r p _ f _ <"$sumfile" && [[ -n $p ]]; then
		NPASS=$((NPASS + p)) NFAIL=$((NFAIL + f))
	else
		echo "FAIL vm-test: no summary (see above)"
		NFAIL=$((NFAIL + 1))
	fi
	rm -f "$sumfile"
fi
summary
