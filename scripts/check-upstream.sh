#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check-upstream: cryptsetup's own test suite (the tests/ of the Debian
# source package of the installed cryptsetup, scripts/upstream-src.sh) run
# against crypt-mt in the test VM.  Each test runs twice in one VM
# (tests/upstream/run.sh): on stock dm-crypt with plain cryptsetup (the
# baseline), then on crypt-mt through userspace/cryptsetup-mt with dm-crypt.ko
# gone.  One line per test, "PASS name" or "FAIL name: reason"; the last line
# is "N passed, N failed".  See README.md, "Upstream cryptsetup tests".
#
#   scripts/check-upstream.sh            the first group (GROUP1)
#   scripts/check-upstream.sh --all      GROUP1 and GROUP2
#   scripts/check-upstream.sh NAME...    these tests (any test of the suite)
#   KVER=6.1 scripts/check-upstream.sh   on that kernel (default: the newest)
#   UPSTREAM_SECS=900 ...                time per run for tests not listed below
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD

# NAME:SECS, SECS the most one run (stock or crypt-mt) of it may take under
# TCG on a 2-core machine.
GROUP1=(
	keyring-test:120 keyring-compat-test:300 discards-test:120 device-test:600
	mode-test:900 password-hash-test:300 luks1-compat-test:600 loopaes-test:300
	tcrypt-compat-test:1500 fvault2-compat-test:300
)
GROUP2=(
	compat-test:1200 compat-test2:1800 bitlk-compat-test:1200 align-test:600
	align-test2:600 reencryption-compat-test:1800
)

secs_of() { # NAME
	local e
	for e in "${GROUP1[@]}" "${GROUP2[@]}"; do
		if [[ ${e%%:*} == "$1" ]]; then echo "${e#*:}"; return; fi
	done
	echo "${UPSTREAM_SECS:-900}"
}

TESTS=()
if (($# == 0)); then
	for e in "${GROUP1[@]}"; do TESTS+=("${e%%:*}"); done
elif [[ $1 == --all ]]; then
	for e in "${GROUP1[@]}" "${GROUP2[@]}"; do TESTS+=("${e%%:*}"); done
else
	TESTS=("$@")
fi

ASKED=${KVER:-}
scripts/deps.sh --kernel "$ASKED" --also dpkg-dev --also xxd --also jq --also expect --also sharutils ||
	{ echo "FAIL deps: scripts/deps.sh failed (see above)"; echo "0 passed, 1 failed"; exit 1; }
KVER=$(scripts/kernel.sh --for vm "$ASKED") ||
	{ echo "FAIL kernel: no usable kernel${ASKED:+ '$ASKED'}"; echo "0 passed, 1 failed"; exit 1; }
echo "kernel: $KVER"
LOGS=$REPO/build/test-logs
mkdir -p "$LOGS"
make KVER="$KVER" >"$LOGS/build-upstream.log" 2>&1 ||
	{ cat "$LOGS/build-upstream.log"; echo "FAIL build: make KVER=$KVER"; echo "0 passed, 1 failed"; exit 1; }

SRC=$(scripts/upstream-src.sh) ||
	{ echo "FAIL upstream-src: cannot get cryptsetup's source"; echo "0 passed, 1 failed"; exit 1; }
echo "upstream: cryptsetup $(dpkg-query -W -f='${Version}' cryptsetup-bin), tests from $SRC/tests"
for t in "${TESTS[@]}"; do
	[[ -f $SRC/tests/$t ]] || { echo "check-upstream: no test $t in $SRC/tests" >&2; exit 2; }
done
# compat-test compares devices with tests/differ (Makefile.localtest builds
# it); built in the cache, next to the tests.
if [[ ! -x $SRC/tests/differ ]]; then
	cc -O2 -o "$SRC/tests/differ.tmp.$$" "$SRC/tests/differ.c" && mv "$SRC/tests/differ.tmp.$$" "$SRC/tests/differ"
fi

# One guest test per upstream test: tests/upstream/run.sh runs both halves.
WORK=$(mktemp -d "$REPO/build/upstream-cases.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
# The stock half's output is kept (BASEDIR) per kernel, cryptsetup version
# and harness (the guest script and vm-test: what the stock run sees), and
# a later run of the test runs only the crypt-mt half against it.  Only a
# stock run that exited 0 is kept.  UPSTREAM_BASELINE=fresh runs both halves.
CSVER=$(dpkg-query -W -f='${Version}' cryptsetup-bin)
HKEY=$(cat tests/upstream/run.sh tests/upstream/lib.sh scripts/vm-test | md5sum | cut -c1-10)
BASEDIR=${CRYPT_MT_CACHE:-/var/cache/crypt-mt}/upstream/baseline/$KVER/${CSVER//[^A-Za-z0-9.+~-]/_}-$HKEY
mkdir -p "$BASEDIR"
cases=()
for t in "${TESTS[@]}"; do
	s=$(secs_of "$t")
	if [[ ${UPSTREAM_BASELINE:-} != fresh && -s $BASEDIR/$t.out ]]; then
		echo "upstream: $t: stock baseline kept from an earlier run ($BASEDIR)"
		{
			printf '#!/bin/sh\n# timeout: %s\n' "$((s + 120))"
			printf 'b=${TMPDIR:-/tmp}/%s.stock\n' "$t"
			printf "base64 -d >\"\$b\" <<'CMT_BASELINE_END'\n"
			base64 "$BASEDIR/$t.out"
			printf 'CMT_BASELINE_END\n'
			printf 'UPSTREAM_STOCK=$b exec sh /tests/upstream/run.sh %s %s\n' "$t" "$s"
		} >"$WORK/$t.sh"
	else
		printf '#!/bin/sh\n# timeout: %s\nexec sh /tests/upstream/run.sh %s %s\n' \
			"$((2 * s + 120))" "$t" "$s" >"$WORK/$t.sh"
	fi
	cases+=("$WORK/$t.sh")
done

LOGDIR=$LOGS/upstream-$(date +%Y%m%d-%H%M%S)
T0=$SECONDS
# shellcheck disable=SC2086
scripts/vm-test --kver "$KVER" --upstream "$SRC/tests" --logdir "$LOGDIR" ${VMTEST_ARGS-} \
	"${cases[@]}" </dev/null >"$WORK/vm-test.out" 2>&1 || true
cp "$WORK/vm-test.out" "$LOGDIR/vm-test.out"
ln -sfn "$(basename "$LOGDIR")" "$LOGS/upstream-latest"

NPASS=0 NFAIL=0
for t in "${TESTS[@]}"; do
	log=$LOGDIR/$t.log
	vm=$(grep -E "^(PASS|FAIL) $t(:|\$)" "$WORK/vm-test.out" | head -n 1 || true)
	res=
	if [[ -f $log ]]; then res=$(grep -a '^UPSTREAM-RESULT: ' "$log" | tail -n 1 || true); fi
	res=${res#UPSTREAM-RESULT: }
	times=$(grep -aoE '^=== (stock|crypt-mt): exit [0-9]+ after [0-9]+s' "$log" 2>/dev/null |
		awk '{ printf "%s%s %s", (n++ ? ", " : ""), $2, $6 }' | tr -d ':' || true)
	if [[ $vm == "PASS $t" && $res == PASS ]]; then
		echo "PASS $t"
		NPASS=$((NPASS + 1))
	else
		why=${res#FAIL }
		if [[ $vm == FAIL* && ( -z $res || $res == PASS ) ]]; then why=${vm#FAIL "$t": }; fi
		[[ -n $why ]] || why="no result (see $LOGDIR/vm-test.out)"
		echo "FAIL $t: $why"
		[[ -f $log ]] || tail -n 5 "$WORK/vm-test.out" | sed 's/^/    | /'
		NFAIL=$((NFAIL + 1))
		if [[ -f $log ]]; then
			sed -n '/^=== not-tested lines/,/^UPSTREAM-RESULT/p' "$log" | sed '1d;$d' | sed 's/^/    | /'
		fi
		echo "    --- log: $log"
	fi
	echo "$t: ${times:-?}" >>"$LOGDIR/times.txt"
	# keep a stock run that exited 0 (its output between its two markers)
	if [[ -f $log ]] && grep -aq '^=== stock: exit 0 after ' "$log"; then
		awk -v h="=== stock: $t (cryptsetup " '
			index($0, h) == 1 { on = 1; next }
			/^=== stock: exit / { on = 0 }
			on' "$log" >"$BASEDIR/$t.out.tmp" && mv "$BASEDIR/$t.out.tmp" "$BASEDIR/$t.out"
	fi
done
echo "upstream: $((SECONDS - T0))s in the VM; run times in $LOGDIR/times.txt"
echo "$NPASS passed, $NFAIL failed"
((NFAIL == 0))
