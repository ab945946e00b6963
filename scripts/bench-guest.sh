#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest half of `make bench` (busybox sh, runs as a test of scripts/vm-test).
# scripts/bench.sh prepends the BENCH_* settings below and reads back the
# lines this prints that start with "@@BENCH ":
#
#   INFO KEY VALUE...            facts about the VM
#   PLAN RUNS                    number of fio runs to come
#   RUN I ROUND CIPHER WORKLOAD CONFIG BUSY TOTAL FIO-JSON-ON-ONE-LINE
#                                BUSY/TOTAL: /proc/stat "cpu" ticks busy and
#                                in all, sampled inside fio's measured window
#   FAIL I ROUND CIPHER WORKLOAD CONFIG MESSAGE
#   STATS I none | STATS I before|after ROW;ROW;...
#                                crypt-mt's per-CPU counters
#                                (/sys/kernel/debug/crypt-mt/stats: a header
#                                row, then one row per CPU) around run I of
#                                an mt* configuration; "none" without the file
#   LIMIT ROUND ENC_MIBS DEC_MIBS SOURCE   one vCPU's aes-xts-512 rate (a sample)
#   MEM TARGET K REP KEY=KIB...  /proc/meminfo deltas for K mappings (KiB)
#   MEMSLAB TARGET K CACHE=KIB...  largest /proc/slabinfo deltas, last rep
#   DONE
#
# All of fio's numbers go back raw; medians and everything else are made on
# the host (scripts/bench-report.py).

: "${BENCH_MODE:=full}"		# full: limit + fio, then memory; mem: memory only
: "${BENCH_ROUNDS:=3}"
: "${BENCH_RUNTIME:=5}"
: "${BENCH_RAMP:=1}"
: "${BENCH_REGION_MB:=128}"	# bytes of each device that fio touches
: "${BENCH_DEV:=brd}"		# brd or null_blk
: "${BENCH_WORKLOADS:=all}"	# "all" or a list of workload names
: "${BENCH_CONFIGS:=all}"	# "all" or a list of configuration names
: "${BENCH_CIPHERS:=aes null}"
: "${BENCH_MEM_KS:=1 16 64}"	# mapping counts for the memory cost
: "${BENCH_MEM_REPS:=3}"
: "${BENCH_MEM:=1}"		# 0: no memory measurement (vCPU scaling runs)

export DM_DISABLE_UDEV=1
W=${TMPDIR:-/tmp}/bench
mkdir -p "$W" /run/cryptsetup
N=$(nproc)

emit() { echo "@@BENCH $*"; }
die() {
	emit "ERROR $*"
	echo "bench-guest: $*" >&2
	exit 1
}

KEY512=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
KEY512=${KEY512}f0e0d0c0b0a090807060504030201000ffeeddccbbaa99887766554433221100
SECTORS=$((BENCH_REGION_MB * 2048))

# ---- configurations ----
# raw: the RAM disk itself; linear: dm-linear on its own RAM disk (what any
# dm target costs); crypt*: stock dm-crypt; mt*: crypt-mt.  Each has its own
# RAM disk, in this order (/dev/ram7 is for the memory cost).
DEV_CONFIGS="raw linear crypt crypt-nowq crypt-samecpu mt mt-nowq"
ALL_CONFIGS=$DEV_CONFIGS
# Kernels whose stock dm-crypt splits bios (6.12: module parameters
# max_read_size / max_write_size, default 128 KiB) also get stock with the
# parameters as users tune them: 1 MiB (a 1 MiB bio stays whole, fewer
# hand-offs) and 32 KiB (finer pieces for more CPUs).  They use the crypt
# mapping, with the parameters set around their runs.
SPLIT_CONFIGS=
modprobe dm-crypt 2>/dev/null
if [ -e /sys/module/dm_crypt/parameters/max_read_size ]; then
	SPLIT_CONFIGS="crypt-1m crypt-32k"
	ALL_CONFIGS="raw linear crypt crypt-1m crypt-32k crypt-nowq crypt-samecpu mt mt-nowq"
fi
config_target() {
	case $1 in
	raw) echo - ;;
	linear) echo linear ;;
	crypt*) echo crypt ;;
	mt*) echo crypt-mt ;;
	esac
}
config_opts() {
	case $1 in
	*-nowq) echo "2 no_read_workqueue no_write_workqueue" ;;
	*-samecpu) echo "1 same_cpu_crypt" ;;
	*) echo "" ;;
	esac
}
# The mapping (and RAM disk) a configuration runs on.
config_base() {
	case $1 in
	crypt-1m | crypt-32k) echo crypt ;;
	*) echo "$1" ;;
	esac
}
# Stock dm-crypt's max_read_size / max_write_size for a run (0: its default).
config_split() {
	case $1 in
	crypt-1m) echo 1048576 ;;
	crypt-32k) echo 32768 ;;
	*) echo 0 ;;
	esac
}
set_split() {
	for _p in max_read_size max_write_size; do
		echo "$1" >/sys/module/dm_crypt/parameters/$_p || die "cannot set dm_crypt $_p=$1"
	done
}
# Does configuration C run workload W (cipher CI)?  Splitting only changes
# bios larger than the pieces: the split variants run the 1 MiB workloads.
# raw has no cipher: it runs with aes only; linear runs in both passes, as
# the reference of the cipher_null rows.
config_runs() {
	case $1 in
	raw) [ "$3" = aes ] ;;
	crypt-1m | crypt-32k) workload_is_4k "$2" && return 1; return 0 ;;
	*) return 0 ;;
	esac
}

# ---- workloads: NAME RW BS JOBS QD; N (= vCPUs) replaces "N" ----
ALL_WORKLOADS="seq-write-1j seq-read-1j seq-write-Nj seq-read-Nj rand-read-4k rand-write-4k lat-read-4k mix-4k"
workload_args() {
	case $1 in
	seq-write-1j) echo "write 1M 1 1" ;;
	seq-read-1j) echo "read 1M 1 1" ;;
	seq-write-Nj) echo "write 1M $N 4" ;;
	seq-read-Nj) echo "read 1M $N 4" ;;
	rand-read-4k) echo "randread 4k $N 16" ;;
	rand-write-4k) echo "randwrite 4k $N 16" ;;
	lat-read-4k) echo "randread 4k 1 1" ;;
	mix-4k) echo "randrw 4k $N 16" ;;
	esac
}
# Only the 4 KiB rows are repeated with cipher_null (per-I/O overhead).
workload_is_4k() { case $1 in *-4k) return 0 ;; esac; return 1; }

if [ "$BENCH_CONFIGS" = all ]; then
	BENCH_CONFIGS=$ALL_CONFIGS
else
	# Split variants only where stock has the parameters.
	_c=
	for c in $BENCH_CONFIGS; do
		case " $ALL_CONFIGS " in *" $c "*) _c="$_c $c" ;; esac
	done
	BENCH_CONFIGS=${_c# }
fi
[ "$BENCH_WORKLOADS" = all ] && BENCH_WORKLOADS=$ALL_WORKLOADS

info() { emit "INFO $*"; }
info_vm() {
	info ncpu "$N"
	info kernel "$(uname -r)"
	info cpu_model "$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
	grep -qw aes /proc/cpuinfo && info aes_ni yes || info aes_ni no
	info mem_total_kib "$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)"
	info fio "$(fio --version 2>/dev/null)"
	info cryptsetup "$(cryptsetup --version 2>/dev/null)"
	info dev "$BENCH_DEV"
	info region_mib "$BENCH_REGION_MB"
	info rounds "$BENCH_ROUNDS"
	info runtime_s "$BENCH_RUNTIME"
	info ramp_s "$BENCH_RAMP"
	info configs "$BENCH_CONFIGS"
}

# ---- memory cost of mappings ----

MEMKEYS="MemFree MemAvailable Slab SReclaimable SUnreclaim Percpu KernelStack VmallocUsed PageTables"
meminfo() {
	awk -v keys="$MEMKEYS" 'BEGIN { n = split(keys, k, " "); for (i = 1; i <= n; i++) want[k[i] ":"] = 1 }
		want[$1] { sub(":", "", $1); printf "%s=%s ", $1, $2 } END { print "" }' /proc/meminfo
}
# slabinfo FILE: "cache KiB" per cache (num_slabs * pages per slab * 4).
slabinfo() {
	awk 'NR > 2 { print $1, $15 * $6 * 4 }' /proc/slabinfo >"$1"
}
settle() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	sleep 0.5
}
# mem_maps TARGET K: create K mappings of TARGET over the last RAM disk.
mem_maps() {
	_t=$1 _k=$2 _i=0 _c=
	while [ $_i -lt "$_k" ]; do
		_c="${_c}bm-mem$_i,,,rw,0 16384 $_t aes-xts-plain64 $KEY512 0 $MEMDEV 0;"
		_i=$((_i + 1))
	done
	if ! dmsetup create --concise "${_c%;}" >/dev/null 2>&1; then
		# dmsetup without --concise: one at a time.
		_i=0
		while [ $_i -lt "$_k" ]; do
			dmsetup create "bm-mem$_i" --table \
				"0 16384 $_t aes-xts-plain64 $KEY512 0 $MEMDEV 0" ||
				die "cannot create $_t mapping $_i"
			_i=$((_i + 1))
		done
	fi
}
mem_unmap() {
	dmsetup remove_all >/dev/null 2>&1 || dmsetup remove_all --force >/dev/null 2>&1
}
# delta BEFORE AFTER: "KEY=after-before ..." in KiB (freed memory as positive use).
delta() {
	echo "$1|$2" | awk -F'|' '{
		n = split($1, a, " "); for (i = 1; i <= n; i++) { split(a[i], kv, "="); b[kv[1]] = kv[2] }
		n = split($2, a, " "); out = ""
		for (i = 1; i <= n; i++) {
			split(a[i], kv, "=")
			d = kv[2] - b[kv[1]]
			if (kv[1] == "MemFree" || kv[1] == "MemAvailable") { d = -d; kv[1] = kv[1] "Drop" }
			out = out kv[1] "=" d " "
		}
		print out }'
}
bench_mem() {
	MEMDEV=/dev/ram7
	modprobe dm-crypt 2>/dev/null
	modprobe crypt-mt || die "cannot load crypt-mt"
	# Load and instantiate everything once so that it is not counted.
	for t in crypt crypt-mt; do
		mem_maps $t 1
		mem_unmap
	done
	for k in $BENCH_MEM_KS; do
		rep=1
		while [ $rep -le "$BENCH_MEM_REPS" ]; do
			for t in crypt crypt-mt; do
				settle
				slabinfo "$W/slab0"
				m0=$(meminfo)
				mem_maps $t "$k"
				settle
				m1=$(meminfo)
				slabinfo "$W/slab1"
				mem_unmap
				emit "MEM $t $k $rep $(delta "$m0" "$m1")"
				if [ "$rep" = "$BENCH_MEM_REPS" ]; then
					emit "MEMSLAB $t $k $(awk 'NR == FNR { b[$1] = $2; next }
						{ d = $2 - b[$1]; if (d > 0) print d, $1 }' "$W/slab0" "$W/slab1" |
						sort -rn | head -n 8 | awk '{ printf "%s=%s ", $2, $1 }')"
				fi
			done
			rep=$((rep + 1))
		done
	done
}

# ---- one vCPU's cipher rate ----

bench_limit() {
	_r=$1
	modprobe algif_skcipher 2>/dev/null
	out=$(taskset 1 cryptsetup benchmark -c aes-xts-plain64 -s 512 2>&1)
	line=$(echo "$out" | awk '$1 == "aes-xts" && $2 == "512b" { print $3, $5 }')
	if [ -n "$line" ]; then
		emit "LIMIT $_r $line cryptsetup-benchmark"
		return
	fi
	echo "cryptsetup benchmark gave no rate: $out" >&2
	# Fallback: one writer pinned to CPU 0, encrypting in the submitter.
	_j=$W/limit.json
	if taskset 1 fio --name=limit --filename=/dev/mapper/bm-mt-nowq-aes --direct=1 \
		--ioengine=libaio --rw=write --bs=1M --iodepth=1 --numjobs=1 \
		--size=${BENCH_REGION_MB}M --time_based --runtime="$BENCH_RUNTIME" \
		--ramp_time="$BENCH_RAMP" --output-format=json --output="$_j" >/dev/null 2>&1; then
		mibs=$(tr -d '\n ' <"$_j" | sed 's/.*"write":{[^}]*"bw_bytes":\([0-9]*\).*/\1/')
		mibs=$(awk -v b="$mibs" 'BEGIN { printf "%.1f", b / 1048576 }')
		emit "LIMIT $_r $mibs $mibs fio-pinned-write"
	fi
}

# ---- devices and mappings ----

setup_devices() {
	case $BENCH_DEV in
	brd)
		# tests/guest/init loaded brd: /dev/ram0..7, 256 MiB each.
		[ "$BENCH_REGION_MB" -le 256 ] || die "region ${BENCH_REGION_MB} MiB is larger than a RAM disk"
		DEVP=/dev/ram
		;;
	null_blk)
		modprobe null_blk nr_devices=7 memory_backed=1 gb=1 queue_mode=2 ||
			die "cannot load null_blk"
		DEVP=/dev/nullb
		;;
	*) die "unknown device $BENCH_DEV" ;;
	esac
	modprobe dm-crypt || die "cannot load dm-crypt"
	modprobe crypt-mt || die "cannot load crypt-mt"
	modprobe crypto_null 2>/dev/null
	# Register the AES-NI implementations before any mapping asks for
	# xts(aes): otherwise the first mapping made instantiates the generic
	# xts template (xts(ecb-aes-aesni), priority 400) and whichever target
	# comes first runs a slower cipher than the others (xts-aes-aesni, 401).
	modprobe aesni_intel 2>/dev/null
	i=0
	for c in $DEV_CONFIGS; do
		eval "DEV_$(echo $c | tr - _)=$DEVP$i"
		i=$((i + 1))
	done
	# The mappings the configurations run on (split variants share crypt's).
	bases=
	for c in $BENCH_CONFIGS; do
		b=$(config_base "$c")
		case " $bases " in *" $b "*) ;; *) bases="$bases $b" ;; esac
	done
	for c in $bases; do
		d=$(devof "$c")
		[ -b "$d" ] || die "no device $d"
		# Allocate the region's pages up front: no run pays for that.
		fio --name=fill --filename="$d" --rw=write --bs=1M --size=${BENCH_REGION_MB}M \
			--direct=1 --ioengine=libaio --iodepth=4 >/dev/null 2>&1 ||
			die "cannot fill $d"
		t=$(config_target "$c")
		case $t in
		-) continue ;;
		linear)
			dmsetup create bm-linear --table "0 $SECTORS linear $d 0" ||
				die "cannot create bm-linear"
			continue ;;
		esac
		o=$(config_opts "$c")
		for ci in $BENCH_CIPHERS; do
			case $ci in
			aes) spec="aes-xts-plain64 $KEY512" ;;
			null) spec="cipher_null-ecb -" ;;
			esac
			tbl="0 $SECTORS $t $spec 0 $d 0${o:+ $o}"
			dmsetup create "bm-$c-$ci" --table "$tbl" || die "cannot create bm-$c-$ci: $tbl"
		done
	done
	for c in $bases; do
		case $c in
		raw) ;;
		linear) info table_linear "$(dmsetup table bm-linear)" ;;
		*)
			for ci in $BENCH_CIPHERS; do
				info table_$c-$ci "$(dmsetup table "bm-$c-$ci")"
			done ;;
		esac
	done
	if [ -n "$SPLIT_CONFIGS" ]; then
		info dm_crypt_split "max_read_size=$(cat /sys/module/dm_crypt/parameters/max_read_size) max_write_size=$(cat /sys/module/dm_crypt/parameters/max_write_size) (0: 128 KiB)"
	fi
	info drivers "$(dmesg | grep -E 'crypt-mt|crypt:' | grep -o '"[^"]*"' | sort -u | tr '\n' ' ')"
	# Every xts(aes) implementation in use, with its users, for both targets.
	info xts_in_use "$(awk '/^name/ {n=$3} /^driver/ {d=$3} /^refcnt/ {if (n == "xts(aes)" && $3 > 1) printf "%s:%s ", d, $3}' /proc/crypto)"
}
devof() { eval "echo \$DEV_$(echo "$1" | tr - _)"; }
target_path() {
	# target_path CONFIG CIPHER
	case $1 in
	raw) devof raw ;;
	linear) echo /dev/mapper/bm-linear ;;
	*) echo "/dev/mapper/bm-$(config_base "$1")-$2" ;;
	esac
}

# crypt-mt's per-CPU counters, one line: rows joined by ";" ("" without them).
STATS_FILE=/sys/kernel/debug/crypt-mt/stats
stats_line() {
	[ -r $STATS_FILE ] && tr '\n' ';' <$STATS_FILE
}

# ---- fio ----

# stat_cpu: "busy total" ticks of the "cpu" line of /proc/stat.
stat_cpu() {
	awk '/^cpu / { b = $2 + $3 + $4 + $7 + $8 + $9; print b, b + $5 + $6; exit }' /proc/stat
}

run_fio() {
	# run_fio I ROUND CIPHER WORKLOAD CONFIG
	_i=$1 _r=$2 _ci=$3 _w=$4 _c=$5
	set -- $(workload_args "$_w")
	_rw=$1 _bs=$2 _jobs=$3 _qd=$4
	_f=$(target_path "$_c" "$_ci")
	_extra=
	case $_rw in
	read | write)
		# Each job streams through its own slice of the region.
		_slice=$((BENCH_REGION_MB / _jobs))
		_extra="--size=${_slice}M --offset_increment=${_slice}M"
		;;
	randrw) _extra="--size=${BENCH_REGION_MB}M --rwmixread=70 --norandommap --randrepeat=0" ;;
	*) _extra="--size=${BENCH_REGION_MB}M --norandommap --randrepeat=0" ;;
	esac
	# CPU use is sampled inside the measured window: after the ramp and
	# fio's start-up, ending before the run does.
	_s0=$(awk -v r="$BENCH_RAMP" 'BEGIN { printf "%.1f", r + 0.3 }')
	_sw=$(awk -v t="$BENCH_RUNTIME" 'BEGIN { w = t - 0.5; if (w < 0.4) w = 0.4; printf "%.1f", w }')
	rm -f "$W/st0" "$W/st1" "$W/out.json"
	_split=$(config_split "$_c")
	[ "$_split" = 0 ] || set_split "$_split"
	_stats=
	case $_c in mt*) _stats=$(stats_line) ;; esac
	(sleep "$_s0"; stat_cpu >"$W/st0"; sleep "$_sw"; stat_cpu >"$W/st1") &
	_sp=$!
	fio --name="$_w" --filename="$_f" --direct=1 --ioengine=libaio \
		--rw="$_rw" --bs="$_bs" --numjobs="$_jobs" --iodepth="$_qd" $_extra \
		--time_based --runtime="$BENCH_RUNTIME" --ramp_time="$BENCH_RAMP" \
		--group_reporting --lat_percentiles=1 \
		--output-format=json --output="$W/out.json" >"$W/fio.err" 2>&1
	_rc=$?
	wait $_sp
	[ "$_split" = 0 ] || set_split 0
	case $_c in
	mt*)
		if [ -n "$_stats" ]; then
			emit "STATS $_i before $_stats"
			emit "STATS $_i after $(stats_line)"
		else
			emit "STATS $_i none"
		fi ;;
	esac
	if [ $_rc -ne 0 ] || [ ! -s "$W/out.json" ] || [ ! -s "$W/st1" ]; then
		emit "FAIL $_i $_r $_ci $_w $_c fio exit $_rc: $(tr '\n' ' ' <"$W/fio.err" | cut -c1-300)"
		return
	fi
	read -r b0 t0 <"$W/st0"
	read -r b1 t1 <"$W/st1"
	# fio may print notes before the JSON object: start at the first "{".
	emit "RUN $_i $_r $_ci $_w $_c $((b1 - b0)) $((t1 - t0)) $(sed -n '/^{/,$p' "$W/out.json" | tr -d '\n\r')"
}

bench_fio() {
	# Count runs first, for the host's progress line.
	total=0
	for ci in $BENCH_CIPHERS; do
		for w in $BENCH_WORKLOADS; do
			[ "$ci" = aes ] || workload_is_4k "$w" || continue
			for c in $BENCH_CONFIGS; do
				config_runs "$c" "$w" "$ci" || continue
				total=$((total + 1))
			done
		done
	done
	emit "PLAN $((total * BENCH_ROUNDS))"
	i=0
	r=1
	while [ $r -le "$BENCH_ROUNDS" ]; do
		# Two samples of the cipher rate per round; the host takes the best.
		bench_limit $r
		bench_limit $r
		# Rotate the order of configurations each round, so that none is
		# always the first after a change of workload.
		set -- $BENCH_CONFIGS
		k=1
		while [ $k -lt "$r" ]; do
			first=$1
			shift
			set -- "$@" "$first"
			k=$((k + 1))
		done
		order="$*"
		for ci in $BENCH_CIPHERS; do
			for w in $BENCH_WORKLOADS; do
				[ "$ci" = aes ] || workload_is_4k "$w" || continue
				for c in $order; do
					config_runs "$c" "$w" "$ci" || continue
					i=$((i + 1))
					run_fio $i $r "$ci" "$w" "$c"
				done
			done
		done
		r=$((r + 1))
	done
}

info_vm
case $BENCH_MODE in
full)
	# fio first, in a VM that has done nothing else: the memory cost
	# creates and removes up to 64 mappings of each target, and fio
	# rates measured after it came out ~10 % lower for every mapped
	# configuration (one 1 MiB writer on 6.12: crypt-mt 104-111 and
	# stock 91-94 MiB/s after it, 120 and 100 with it elsewhere).
	setup_devices
	info inline_max "$(cat /sys/module/crypt_mt/parameters/inline_max 2>/dev/null || echo ?)"
	bench_fio
	if [ "$BENCH_MEM" != 0 ]; then
		mem_unmap
		bench_mem
	fi
	;;
mem)
	bench_mem
	;;
*) die "unknown BENCH_MODE $BENCH_MODE" ;;
esac
emit DONE
