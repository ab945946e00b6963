#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: fio through the raw RAM disk, stock dm-crypt and crypt-mt in
# one QEMU VM, configurations interleaved round by round; then the memory
# cost of mappings, also in VMs with more vCPUs.  See the "Benchmark"
# section of README.md.
#
#   scripts/bench.sh [--quick | --smoke] [options]
#   scripts/bench.sh --scale "1 2 4" [--quick]    one job against vCPU counts
#
# Results are written to a temporary directory and moved into --out only
# when the run is complete and good: a failed or partial run leaves the
# last good results where they are.
#
# Host half; the guest half is scripts/bench-guest.sh, run as a test of
# scripts/vm-test; scripts/bench-report.py makes the table, JSON and plot.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ARGS="$*"

usage() {
	cat <<EOF
usage: scripts/bench.sh [options]
  --cpus N         vCPUs of the benchmark VM (default 2)
  --mem MB         guest memory (default 2048)
  --rounds R       interleaved rounds, medians over them (default 3)
  --runtime S      seconds per fio run (default 4)
  --ramp S         fio ramp_time per run, seconds, may be fractional (default 1)
  --dev brd|null_blk   backing device (default brd; null_blk with memory_backed=1)
  --region MB      MiB of each device that fio touches (default 128)
  --workloads LIST space-separated subset of the workloads (default: all)
  --mem-cpus LIST  vCPU counts for the memory cost (default "2 8 32 64"); counts
                   other than --cpus boot one more VM each (no fio there)
  --mem-reps R     repetitions of each memory measurement (default 3 in the
                   benchmark VM, 1 in the extra VMs)
  --quick          smoke run: 1 round, 2 s runs, 0.5 s ramp, memory at --cpus only
  --smoke          quicker still (tests): 1 round, 1 s runs, 3 workloads
  --mem-only       only the memory cost, one VM per --mem-cpus count (no fio)
  --scale "LIST"   instead of the main run: one VM per vCPU count in LIST,
                   seq-write-1j and seq-read-1j on raw, crypt, crypt-nowq and
                   mt; a table and a plot of MiB/s against vCPUs
  --kver K         kernel to build for and boot: a series (6.1, 6.12) or a
                   version (default: \$KVER, else the newest installed;
                   scripts/kernel.sh); installed first if missing
  --out DIR        where results go (default results/): bench-<date>-<series>.*
                   (scale-<date>-<series>.* for --scale); a full run also
                   updates DIR/latest-<series>.* (scale-latest-<series>.*)
  --no-deps        do not run scripts/deps.sh
  -h, --help
EOF
}
die() {
	echo "bench: $*" >&2
	exit 2
}

CPUS=2 MEM=2048 ROUNDS=3 RUNTIME=4 RAMP=1 DEV=brd REGION=128 WORKLOADS=all
MEM_CPUS="2 8 32 64" MEM_REPS=3 MEM_KS="1 16 64" OUT=$REPO/results DEPS=1 MODE=full
MEM_CPUS_SET=0 MEM_REPS_EXTRA=1 SCALE= ASKED=${KVER:-}
while (($#)); do
	case $1 in
	--cpus) CPUS=$2; shift ;;
	--mem) MEM=$2; shift ;;
	--rounds) ROUNDS=$2; shift ;;
	--runtime) RUNTIME=$2; shift ;;
	--ramp) RAMP=$2; shift ;;
	--dev) DEV=$2; shift ;;
	--region) REGION=$2; shift ;;
	--workloads) WORKLOADS=$2; shift ;;
	--mem-cpus) MEM_CPUS=$2; MEM_CPUS_SET=1; shift ;;
	--mem-reps) MEM_REPS=$2 MEM_REPS_EXTRA=$2; shift ;;
	--quick)
		MODE=quick ROUNDS=1 RUNTIME=2 RAMP=0.5 MEM_REPS=1
		((MEM_CPUS_SET)) || MEM_CPUS= ;;
	--smoke)
		MODE=smoke ROUNDS=1 RUNTIME=1 RAMP=0.5 MEM_REPS=1 MEM_KS="1 16" REGION=64
		WORKLOADS="seq-write-Nj rand-read-4k lat-read-4k"
		((MEM_CPUS_SET)) || MEM_CPUS= ;;
	--mem-only) MODE=mem-only ;;
	--scale) SCALE=$2; shift ;;
	--kver) ASKED=$2; shift ;;
	--out) OUT=$(realpath -m "$2"); shift ;;
	--no-deps) DEPS=0 ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; die "unknown option $1" ;;
	esac
	shift
done
for v in CPUS MEM ROUNDS RUNTIME REGION MEM_REPS; do
	[[ ${!v} =~ ^[0-9]+$ && ${!v} -ge 1 ]] || die "--${v,,} wants a positive integer"
done
[[ $RAMP =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--ramp wants a number of seconds"
[[ $DEV == brd || $DEV == null_blk ]] || die "--dev is brd or null_blk"
((REGION <= 256)) || die "--region is at most 256 (the RAM disks' size)"
for c in $MEM_CPUS; do [[ $c =~ ^[0-9]+$ && $c -ge 1 ]] || die "bad --mem-cpus '$MEM_CPUS'"; done
for c in $SCALE; do [[ $c =~ ^[0-9]+$ && $c -ge 1 ]] || die "bad --scale '$SCALE'"; done
if [[ -n $SCALE ]]; then
	[[ $MODE == mem-only ]] && die "--scale and --mem-only do not go together"
	# One job at a time: the N-job workloads would change with N.
	WORKLOADS="seq-write-1j seq-read-1j"
fi
if [[ $WORKLOADS != all ]]; then
	for w in $WORKLOADS; do
		case $w in
		seq-write-1j | seq-read-1j | seq-write-Nj | seq-read-Nj | rand-read-4k | rand-write-4k | lat-read-4k | mix-4k) ;;
		*) die "unknown workload '$w'" ;;
		esac
	done
fi

T0=$SECONDS
TTY=0
[[ -t 2 ]] && TTY=1
say() { ((TTY)) && printf '\r\033[K' >&2; echo "bench: $*" >&2; }

# ---------------------------------------------------------------- build
# The module is built for one kernel and the VM boots that same kernel.
if ((DEPS)); then "$REPO/scripts/deps.sh" --kernel "$ASKED" || die "scripts/deps.sh failed"; fi
KV=$("$REPO/scripts/kernel.sh" --for vm "$ASKED") || die "no usable kernel${ASKED:+ '$ASKED'} (see above)"
SERIES=$(sed -E 's/^([0-9]+\.[0-9]+).*/\1/' <<<"$KV")
say "building crypt-mt.ko for $KV"
make -C "$REPO" -s modules KVER="$KV" >/dev/null || die "module build failed"

STAMP=$(date +%Y%m%d-%H%M%S)
DATE=$(date '+%Y-%m-%d %H:%M:%S %Z')
WORK=$REPO/build/bench/$STAMP.$$
# Keep the logs of recent runs only.
mkdir -p "$REPO/build/bench"
find "$REPO/build/bench" -mindepth 1 -maxdepth 1 -mmin +120 -exec rm -rf {} +
mkdir -p "$WORK"

# ---------------------------------------------------------------- guest runs
# The guest script as a vm-test test: a timeout header, the settings, the body.
make_case() { # FILE TIMEOUT SETTINGS...
	local f=$1 t=$2
	shift 2
	{
		echo "#!/bin/sh"
		echo "# timeout: $t"
		echo "# Generated by scripts/bench.sh from scripts/bench-guest.sh."
		printf '%s\n' "$@"
		cat "$REPO/scripts/bench-guest.sh"
	} >"$f"
}

# Progress while a VM runs: phase, runs done of planned, the last run.
progress() { # OUTPUT_GLOB_DIR LABEL PID
	local dir=$1 label=$2 pid=$3 lastt=-100 tplan= plan done line msg el eta
	while kill -0 "$pid" 2>/dev/null; do
		sleep 2
		local out
		out=$(ls "$dir"/output-*.log 2>/dev/null | tail -n 1 || true)
		[[ -n $out ]] || continue
		plan=$(grep -a -o '@@BENCH PLAN [0-9]*' "$out" | awk '{ print $3 }' | tail -n 1)
		done=$(grep -a -c '@@BENCH \(RUN\|FAIL\) ' "$out" || true)
		if grep -aq '@@BENCH MEM ' "$out"; then
			# the memory cost comes after the fio runs
			msg="$label: memory per mapping ($(grep -a -c '@@BENCH MEM ' "$out") measurements)"
		elif [[ -z $plan ]]; then
			if grep -aq '@@BENCH INFO' "$out"; then
				msg="$label: setting up"
			else
				msg="$label: booting the VM"
			fi
		else
			[[ -n $tplan ]] || tplan=$SECONDS
			line=$(grep -a '@@BENCH \(RUN\|FAIL\) ' "$out" | tail -n 1 | cut -c1-4000)
			msg="$label: run $done/$plan"
			if [[ -n $line ]]; then
				# "... RUN I ROUND CIPHER WORKLOAD CONFIG ..." and its bandwidth.
				msg+=$(awk '{ for (i = 1; i <= NF; i++) if ($i == "@@BENCH") break
					printf "  round %s %s %s %s", $(i + 3), $(i + 4), $(i + 5), $(i + 6) }' <<<"$line")
				local bw
				bw=$(grep -o '"bw_bytes" *: *[0-9]*' <<<"$line" | head -n 2 |
					awk -F: '{ s += $2 } END { if (NR) printf "%.0f", s / 1048576 }')
				[[ -n $bw ]] && msg+=": $bw MiB/s"
			fi
			el=$((SECONDS - T0))
			if ((done > 0)); then
				eta=$(((SECONDS - tplan) * (plan - done) / done))
				msg+="  (elapsed ${el}s, ~${eta}s left)"
			fi
		fi
		if ((TTY)); then
			printf '\r\033[K%s' "${msg:0:150}" >&2
		elif ((SECONDS - lastt >= 30)); then
			# Not a terminal (a log): a line every 30 s at most.
			echo "bench: $msg" >&2
			lastt=$SECONDS
		fi
	done
	((TTY)) && printf '\r\033[K' >&2
	return 0
}

# vm_run NAME CPUS TIMEOUT SETTINGS...: run the guest script in one VM; the
# guest's output ends up in $WORK/NAME.out.
vm_run() {
	local name=$1 cpus=$2 tmo=$3 rc=0
	shift 3
	local dir=$WORK/$name
	mkdir -p "$dir"
	make_case "$dir/bench.sh" "$tmo" "$@"
	"$REPO/scripts/vm-test" --kver "$KV" --cpus "$cpus" --mem "$MEM" --logdir "$dir/logs" \
		--timeout "$tmo" "$dir/bench.sh" >"$dir/vm-test.out" 2>&1 &
	local pid=$!
	progress "$dir/logs" "$name" "$pid" &
	local ppid=$!
	wait "$pid" || rc=$?
	wait "$ppid" 2>/dev/null || true
	cp "$(ls "$dir"/logs/output-*.log | tail -n 1)" "$WORK/$name.out" 2>/dev/null || : >"$WORK/$name.out"
	if ((rc)); then
		say "VM run '$name' failed:"
		sed 's/^/  /' "$dir/vm-test.out" >&2
		return 1
	fi
}

settings() { # MODE(full|mem|scale) MEM_REPS
	if [[ $1 == scale ]]; then
		echo "BENCH_MODE=full BENCH_MEM=0 BENCH_CIPHERS=aes"
		echo "BENCH_CONFIGS='raw crypt crypt-nowq mt'"
	else
		echo "BENCH_MODE=$1"
	fi
	echo "BENCH_ROUNDS=$ROUNDS BENCH_RUNTIME=$RUNTIME BENCH_RAMP=$RAMP"
	echo "BENCH_REGION_MB=$REGION BENCH_DEV=$DEV"
	echo "BENCH_WORKLOADS='$WORKLOADS'"
	echo "BENCH_MEM_KS='$MEM_KS' BENCH_MEM_REPS=$2"
}

# Guest time: each fio run is runtime + ramp + ~3 s of set-up in this VM;
# memory, fills and the cipher-rate runs a few minutes more.  Generous.
nwl=$([[ $WORKLOADS == all ]] && echo 8 || wc -w <<<"$WORKLOADS")
runs=$((ROUNDS * nwl * 15))
TMO=$(awk -v n="$runs" -v t="$RUNTIME" -v r="$RAMP" 'BEGIN { printf "%d", 2 * n * (t + r + 3) + 900 }')

STATUS=0
MAIN=() MEMLOGS=() SCALELOGS=()
if [[ -n $SCALE ]]; then
	for c in $SCALE; do
		say "VM with $c vCPUs, $MEM MiB: $ROUNDS round(s) of ${RUNTIME}s runs; logs in ${WORK#"$REPO"/}"
		if vm_run "scale-${c}cpu" "$c" "$TMO" "$(settings scale 1)"; then
			SCALELOGS+=("$WORK/scale-${c}cpu.out")
		else
			STATUS=1
		fi
	done
	MEM_CPUS=
elif [[ $MODE != mem-only ]]; then
	say "VM with $CPUS vCPUs, $MEM MiB: $ROUNDS round(s) of ${RUNTIME}s runs; logs in ${WORK#"$REPO"/}"
	vm_run main "$CPUS" "$TMO" "$(settings full "$MEM_REPS")" || STATUS=1
	MAIN=(--main "$WORK/main.out")
fi

for c in $MEM_CPUS; do
	[[ $MODE != mem-only ]] && ((c == CPUS)) && continue
	say "VM with $c vCPUs: memory per mapping only"
	reps=$MEM_REPS_EXTRA
	[[ $MODE == mem-only ]] && reps=$MEM_REPS
	if vm_run "mem-${c}cpu" "$c" 1200 "$(settings mem "$reps")"; then
		MEMLOGS+=("$WORK/mem-${c}cpu.out")
	else
		STATUS=1
	fi
done

# ---------------------------------------------------------------- report
HOSTCPU=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
QEMUV=$(qemu-system-x86_64 --version | awk 'NR == 1 { print $4 }')
COMMIT=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
# The module's own sources only (untracked helper .c files elsewhere do not count).
git -C "$REPO" diff --quiet HEAD -- $(cd "$REPO" && ls *.c *.h Kbuild 2>/dev/null) 2>/dev/null || COMMIT+="+dirty"
# Into the run's own directory first; into $OUT only when all went well.
REP=$WORK/report
mkdir -p "$REP"
say "writing the report"
KIND=bench
[[ -n $SCALE ]] && KIND=scale
NAME=$KIND-$STAMP-$SERIES
RARGS=("${MAIN[@]}" "${MEMLOGS[@]}")
[[ -n $SCALE ]] && RARGS=(--scale "${SCALELOGS[@]}")
if ((${#SCALELOGS[@]} + ${#MAIN[@]} + ${#MEMLOGS[@]} == 0)); then
	say "no VM run gave any output"
	STATUS=1
elif ! python3 "$REPO/scripts/bench-report.py" --out "$REP" --name "$NAME" --work "$WORK" \
	--date "$DATE" \
	--meta mode=$MODE --meta mem_mib="$MEM" --meta mem_reps="$MEM_REPS" --meta commit="$COMMIT" \
	--meta "command=scripts/bench.sh $ARGS" --meta host_cpu="$HOSTCPU" \
	--meta host_ncpu="$(nproc)" --meta host_qemu="$QEMUV" --meta kernel="$KV" \
	--meta elapsed_s=$((SECONDS - T0)) "${RARGS[@]}"; then
	STATUS=1
fi
if ((STATUS)); then
	say "the run failed or is incomplete: ${OUT#"$REPO"/} left as it was; this run's report and logs are in ${WORK#"$REPO"/}"
	exit 1
fi
mkdir -p "$OUT"
exts=(json txt png)
[[ $MODE == mem-only ]] && exts=(json txt)
latest=latest-$SERIES
[[ $KIND == scale ]] && latest=scale-latest-$SERIES
for e in "${exts[@]}"; do
	[[ -f $REP/$NAME.$e ]] || die "report file $NAME.$e missing; ${OUT#"$REPO"/} left as it was"
done
for e in "${exts[@]}"; do
	cp "$REP/$NAME.$e" "$OUT/.$NAME.$e.tmp" && mv -f "$OUT/.$NAME.$e.tmp" "$OUT/$NAME.$e"
done
# latest-<series>.* (scale-latest-<series>.*) follow full runs only: a
# --quick or --smoke run does not replace the last full one.
if [[ $MODE == full ]]; then
	for e in "${exts[@]}"; do
		cp "$REP/$NAME.$e" "$OUT/.$latest.$e.tmp" && mv -f "$OUT/.$latest.$e.tmp" "$OUT/$latest.$e"
	done
	say "done in $((SECONDS - T0))s: $OUT/$NAME.{$(IFS=,; echo "${exts[*]}")} (and $latest.*)"
else
	say "done in $((SECONDS - T0))s: $OUT/$NAME.{$(IFS=,; echo "${exts[*]}")}"
fi
exit 0
