#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest half of make check-upstream (scripts/check-upstream.sh): run one test
# of cryptsetup's own suite twice in this VM and compare.
#
#	sh /tests/upstream/run.sh TEST SECS
#
# 1. stock: the test as Debian runs it (tests/Makefile.localtest,
#    CRYPTSETUP_PATH=/usr/sbin, TESTSUITE_NOSKIP=y) on stock dm-crypt.ko;
# 2. crypt-mt: dm-crypt.ko moved out of the module tree and unloaded, so
#    nothing can fall back to it (a "crypt" table fails to load); cryptsetup
#    is userspace/cryptsetup-mt (CRYPTSETUP_PATH and PATH), dmsetup runs under
#    the same preload (tables read back as "crypt"), and `modprobe`/`rmmod
#    dm-crypt` load/unload crypt-mt instead.
# Each run gets a fresh copy of the tests dir and at most SECS seconds.  Pass:
# both exit 0 (77, a skip, fails), dm_crypt is not loaded after the crypt-mt
# run, and the "not tested" lines are the same (tests/upstream/lib.sh).  The
# last line is "UPSTREAM-RESULT: PASS" or "UPSTREAM-RESULT: FAIL reason".
. /tests/upstream/lib.sh

NAME=$1
SECS=${2:-600}
UP=/upstream/tests
BIN=/opt/upstream/bin
MT=/opt/upstream/mt
HIDDEN=/run/upstream-hidden
PRELOAD=/usr/local/lib/crypt-mt/libcmt-preload.so
KDIR=/lib/modules/$(uname -r)

result() {
	echo "UPSTREAM-RESULT: $*"
	case $1 in PASS) exit 0 ;; *) exit 1 ;; esac
}
[ -f "$UP/$NAME" ] || result "FAIL no test $UP/$NAME"

# The crypt-mt run's commands.  cryptsetup-mt finds the real cryptsetup
# through $CRYPTSETUP (PATH would find this wrapper).
mkdir -p "$MT" "$HIDDEN"
cat >"$MT/cryptsetup" <<EOS
#!/bin/sh
CRYPTSETUP=/usr/sbin/cryptsetup exec /usr/local/sbin/cryptsetup-mt "\$@"
EOS
cat >"$MT/dmsetup" <<EOS
#!/bin/sh
LD_PRELOAD=$PRELOAD\${LD_PRELOAD:+:\$LD_PRELOAD} exec /usr/sbin/dmsetup "\$@"
EOS
for t in modprobe rmmod; do
	cat >"$MT/$t" <<EOS
#!/bin/sh
# dm-crypt is crypt-mt in this run (kmod takes crypt_mt for crypt-mt).
n=0
for a in "\$@"; do
	[ \$n = 0 ] && set --
	n=1
	case \$a in dm-crypt | dm_crypt) a=crypt_mt ;; esac
	set -- "\$@" "\$a"
done
exec $BIN/$t "\$@"
EOS
done
chmod 755 "$MT"/*

# What udev would make: /dev/stdin (cryptsetup reads "--key-file -" there).
for i in 0:stdin 1:stdout 2:stderr; do
	[ -e "/dev/${i#*:}" ] || ln -s "/proc/self/fd/${i%%:*}" "/dev/${i#*:}"
done
# scsi_debug's disks need sd_mod, which udev would load.
grep -q '^sd_mod ' /proc/modules || $BIN/modprobe sd_mod || result "FAIL cannot load sd_mod"

dmcrypt_ko() { find "$KDIR" -name 'dm-crypt.ko' | head -n 1; }

# Put the VM back between the runs (the harness does it after the test).
reset_vm() {
	dmsetup remove_all >/dev/null 2>&1 || dmsetup remove_all --force >/dev/null 2>&1
	losetup -D 2>/dev/null
	grep -q '^scsi_debug ' /proc/modules && rmmod scsi_debug 2>/dev/null
	for m in crypt_mt dm_crypt; do
		grep -q "^$m " /proc/modules && { rmmod $m || echo "upstream: cannot unload $m"; }
	done
	keyctl clear @u >/dev/null 2>&1
	keyctl clear @s >/dev/null 2>&1
	return 0
}

restore_dmcrypt() {
	[ -f "$HIDDEN/dm-crypt.ko" ] && mv "$HIDDEN/dm-crypt.ko" "$(cat "$HIDDEN/where")"
	return 0
}

run() { # stock|crypt-mt
	mode=$1
	dir=$TMPDIR/$mode
	rm -rf "$dir"
	cp -a "$UP" "$dir"
	if [ "$mode" = stock ]; then
		restore_dmcrypt
		path=$BIN:$PATH
		csp=/usr/sbin
		echo "=== stock: $NAME (cryptsetup $csp/cryptsetup, stock dm-crypt.ko)"
	else
		ko=$(dmcrypt_ko)
		if [ -n "$ko" ]; then
			mv "$ko" "$HIDDEN/dm-crypt.ko" && echo "$ko" >"$HIDDEN/where"
		fi
		[ -z "$(dmcrypt_ko)" ] || result "FAIL cannot hide dm-crypt.ko"
		if grep -q '^dm_crypt ' /proc/modules; then
			result "FAIL dm_crypt still loaded before the crypt-mt run"
		fi
		path=$MT:$BIN:$PATH
		csp=$MT
		echo "=== crypt-mt: $NAME (cryptsetup-mt, dmsetup under the preload, no dm-crypt.ko)"
	fi
	t0=$(date +%s)
	(cd "$dir" && PATH=$path CRYPTSETUP_PATH=$csp TESTSUITE_NOSKIP=y \
		$BIN/timeout -k 10 "$SECS" $BIN/bash "./$NAME" </dev/null) >"$TMPDIR/$mode.out" 2>&1
	rc=$?
	cat "$TMPDIR/$mode.out"
	echo "=== $mode: exit $rc after $(($(date +%s) - t0))s"
	rm -rf "$dir"
	RC=$rc
}

# The stock half does not depend on crypt-mt: check-upstream.sh keeps its
# output per kernel, cryptsetup version and harness, and passes it back in
# UPSTREAM_STOCK (only ever from a run that exited 0).
if [ -n "${UPSTREAM_STOCK:-}" ] && [ -f "$UPSTREAM_STOCK" ]; then
	cp "$UPSTREAM_STOCK" "$TMPDIR/stock.out"
	cat "$TMPDIR/stock.out"
	echo "=== stock: $NAME: kept baseline of an earlier run (exit 0), not run again"
	rc_stock=0
else
	reset_vm
	run stock
	rc_stock=$RC
fi
reset_vm
run crypt-mt
rc_cryptmt=$RC
loaded=no
grep -q '^dm_crypt ' /proc/modules && loaded=yes
echo "=== after the crypt-mt run: dm_crypt loaded: $loaded; lsmod | grep crypt:"
grep crypt /proc/modules | cut -d' ' -f1-3
reset_vm
restore_dmcrypt

echo "=== not-tested lines, stock vs crypt-mt"
upstream_compare "$NAME" "$TMPDIR/stock.out" "$TMPDIR/crypt-mt.out"
same=$?
echo "($(grep -aicE 'n/a|skipped' "$TMPDIR/stock.out") such lines in the stock run," \
	"$(grep -aicE 'n/a|skipped' "$TMPDIR/crypt-mt.out") in the crypt-mt run)"

why=
[ "$rc_stock" = 0 ] || why="stock run exit $rc_stock"
[ "$rc_cryptmt" = 0 ] || why="${why:+$why, }crypt-mt run exit $rc_cryptmt"
[ $loaded = no ] || why="${why:+$why, }dm_crypt loaded after the crypt-mt run"
[ $same = 0 ] || why="${why:+$why, }not-tested lines differ"
[ -z "$why" ] || result "FAIL $why"
result PASS
