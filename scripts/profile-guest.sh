# SPDX-License-Identifier: GPL-2.0
#
# Guest half of scripts/profile.sh, run as a test of scripts/vm-test --perf
# (the host prepends the PROF_* settings).  For each configuration: one
# RAM disk, one mapping and a short warm-up run of fio; then rounds, each
# with one fio run per configuration under `perf record -a` (cpu-clock,
# every vCPU, idle included, no call graphs).  Everything goes back as
# lines on stdout:
#
#   @@PROF INFO KEY VALUE...
#   @@PROF RUN ROUND CONFIG IOS WALL_CS   I/Os done, centiseconds recorded
#   @@PROF SYM ROUND CONFIG PERCENT OWNER SYMBOL  self time, % of all samples;
#                                     OWNER: kernel, user or a module name
#   @@PROF ERROR MESSAGE
#   @@PROF DONE
#
# Microseconds per I/O are made on the host (scripts/profile-report.py).

: "${PROF_CIPHER:=null}"		# null (cipher_null-ecb) or aes (aes-xts-plain64, 512 bits)
: "${PROF_FIO:=randwrite 4k N 16}"	# RW BS JOBS QD; N: one job per vCPU
: "${PROF_CONFIGS:=linear crypt-nowq mt}"
: "${PROF_SECONDS:=8}"
: "${PROF_ROUNDS:=3}"		# medians over rounds
: "${PROF_REGION_MB:=128}"

export DM_DISABLE_UDEV=1
W=${TMPDIR:-/tmp}/prof
mkdir -p "$W"
N=$(nproc)

emit() { echo "@@PROF $*"; }
die() {
	emit "ERROR $*"
	exit 1
}

modprobe crypt-mt 2>/dev/null || modprobe crypt_mt || die "cannot load crypt-mt"
modprobe dm-crypt || die "cannot load dm-crypt"
NDEV=$(echo $PROF_CONFIGS | wc -w)
rmmod brd 2>/dev/null
modprobe brd rd_nr="$NDEV" rd_size=$((PROF_REGION_MB * 1024)) || die "cannot load brd"
echo 0 >/proc/sys/kernel/kptr_restrict
echo -1 >/proc/sys/kernel/perf_event_paranoid

case $PROF_CIPHER in
null) CIPHER=cipher_null-ecb KEY=- ;;
aes)
	CIPHER=aes-xts-plain64
	KEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
	KEY=${KEY}f0e0d0c0b0a090807060504030201000ffeeddccbbaa99887766554433221100
	;;
*) die "unknown cipher $PROF_CIPHER" ;;
esac

set -- $PROF_FIO
RW=$1 BS=$2 JOBS=$3 QD=$4
[ "$JOBS" = N ] && JOBS=$N
case $BS in
*[kK]) BS_KIB=${BS%?} ;;
*[mM]) BS_KIB=$((${BS%?} * 1024)) ;;
*) die "block size $BS: give it in k or M" ;;
esac
case $RW in
read | write)
	# each job streams through its own slice of the region (as make bench)
	SLICE=$((PROF_REGION_MB / JOBS))
	EXTRA="--size=${SLICE}M --offset_increment=${SLICE}M"
	;;
*) EXTRA="--size=${PROF_REGION_MB}M --norandommap --randrepeat=0" ;;
esac
emit "INFO vcpus $N"
emit "INFO kernel $(uname -r)"
emit "INFO cipher $CIPHER"
emit "INFO fio $RW $BS jobs=$JOBS qd=$QD"

# Which module each symbol of a module belongs to.
awk 'NF == 4 { m = $4; gsub(/[][]/, "", m); print $3, m }' /proc/kallsyms >"$W/modsyms"

# table CONFIG DEVICE -> the table line of the configuration's mapping
table() {
	_s=$((PROF_REGION_MB * 2048))
	case $1 in
	linear) echo "0 $_s linear $2 0" ;;
	crypt) echo "0 $_s crypt $CIPHER $KEY 0 $2 0" ;;
	crypt-nowq) echo "0 $_s crypt $CIPHER $KEY 0 $2 0 2 no_read_workqueue no_write_workqueue" ;;
	mt) echo "0 $_s crypt-mt $CIPHER $KEY 0 $2 0" ;;
	mt-nowq) echo "0 $_s crypt-mt $CIPHER $KEY 0 $2 0 2 no_read_workqueue no_write_workqueue" ;;
	esac
}

# fio's options but the device and the run time (no value has a space)
FIO="--name=prof --direct=1 --ioengine=libaio --rw=$RW --bs=$BS --numjobs=$JOBS"
FIO="$FIO --iodepth=$QD $EXTRA --time_based --group_reporting"

uptime_cs() { awk '{ split($1, a, "."); print a[1] * 100 + a[2] }' /proc/uptime; }

# One RAM disk and mapping per configuration, made before the first round.
i=0
for c in $PROF_CONFIGS; do
	dev=/dev/ram$i
	i=$((i + 1))
	dd if=/dev/zero of="$dev" bs=1M count="$PROF_REGION_MB" 2>/dev/null ||
		die "cannot fill $dev"
	path=$dev
	if [ "$c" != raw ]; then
		t=$(table "$c" "$dev")
		[ -n "$t" ] || die "unknown configuration $c"
		dmsetup create "prof-$c" --table "$t" || die "cannot create $c: $t"
		path=/dev/mapper/prof-$c
	fi
	echo "$path" >"$W/path-$c"
	fio $FIO --filename="$path" --runtime=2 >/dev/null 2>&1 || die "$c: fio warm-up failed"
done

# Rounds, configurations interleaved: the emulated VM's speed drifts.
r=1
while [ $r -le "$PROF_ROUNDS" ]; do
	for c in $PROF_CONFIGS; do
		path=$(cat "$W/path-$c")
		t0=$(uptime_cs)
		perf record -q -a -F 999 -e cpu-clock -o "$W/perf.data" -- \
			fio $FIO --filename="$path" --runtime="$PROF_SECONDS" \
			--output-format=terse --terse-version=3 >"$W/fio.out" 2>"$W/perf.err" || true
		t1=$(uptime_cs)
		# terse v3: field 6 KiB read, 47 KiB written
		ios=$(awk -F';' -v b="$BS_KIB" 'NF > 50 { print int(($6 + $47) / b); exit }' "$W/fio.out")
		[ -n "$ios" ] && [ "$ios" -gt 0 ] ||
			die "$c: no I/O recorded: $(tr '\n' ' ' <"$W/perf.err" | cut -c1-300)"
		emit "RUN $r $c $ios $((t1 - t0))"
		perf report -i "$W/perf.data" --stdio --no-children --sort sym -g none \
			--percent-limit 0.01 2>/dev/null |
			awk -v c="$c" -v r="$r" 'NR == FNR { mod[$1] = $2; next }
				$1 ~ /%$/ && ($2 == "[k]" || $2 == "[.]") {
					p = $1; sub(/%$/, "", p)
					s = $3; for (j = 4; j <= NF; j++) s = s "_" $j
					o = $2 == "[.]" ? "user" : (s in mod ? mod[s] : "kernel")
					print "@@PROF SYM", r, c, p, o, s
				}' "$W/modsyms" -
		rm -f "$W/perf.data"
	done
	r=$((r + 1))
done
dmsetup remove_all || die "cannot remove the mappings"
emit DONE
