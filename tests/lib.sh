# SPDX-License-Identifier: GPL-2.0
#
# Helpers for guest tests (tests/cases/*.sh).  POSIX sh, runs under busybox.
#
#   . /tests/lib.sh
#
# What a test can rely on in the VM (set up by tests/guest/init):
#   - Debian's kernel with the project's modules under /lib/modules/$(uname -r)/extra/;
#     `modprobe crypt-mt` works and `dmsetup create` autoloads it (alias dm-crypt-mt).
#     Every module in extra/ is unloaded after each test, so each test starts without it.
#   - dm-mod and loop loaded; crypto and other modules load on demand (modprobe).
#   - brd: eight RAM disks /dev/ram0 .. /dev/ram7, 256 MiB each (524288 sectors),
#     pages allocated lazily on first write.  brd is reloaded after every test, so a
#     test always starts with eight zero-filled disks and owns their data.
#   - busybox, dmsetup, cryptsetup (+ veritysetup, integritysetup), fio, mkfs.ext4,
#     e2fsck, debugfs, keyctl, wipefs, blkid.  Note: busybox sh runs its own applet
#     whenever one has the name, whatever PATH says, so plain `losetup`, `dd`,
#     `blkdiscard`, `blockdev`, `mke2fs` are busybox's.  The full util-linux/coreutils
#     ones are there by path: /usr/sbin/losetup (--show, -b), /usr/bin/dd
#     (conv=fdatasync, oflag=dsync), /usr/sbin/blkdiscard, /usr/sbin/blockdev.
#     DM_DISABLE_UDEV=1 is exported and /run/cryptsetup exists.  Use cheap PBKDFs
#     with cryptsetup (--pbkdf pbkdf2 --pbkdf-force-iterations 1000), argon2
#     defaults want too much memory and time in this VM.
#   - proc, sys, devtmpfs, debugfs, configfs mounted; /tmp is tmpfs.
#   - $TMPDIR (also the working directory) is a scratch dir removed after the test,
#     $TEST_NAME is the test's name, $TESTS is /tests.
#   - Files from tests/data/ in the checkout are under /tests/data/; the harness adds
#     /tests/data/<module>.target-version (e.g. "v0.1.0", the version the source
#     declares for the dm target of each module in extra/) and /tests/data/kver.
#   - After each test the harness unmounts what the test mounted, removes all
#     device-mapper devices (dmsetup remove_all, which covers cryptsetup's) and
#     loop devices, and kills its leftover processes.
#
# Header lines in a test file, read by the host:
#   # timeout: SECS      kill the test after SECS seconds (default: vm-test --timeout)
#   # cpus: 1 2 4        run it in a VM with each of these vCPU counts
#
# A test passes when it exits 0.  Any kernel splat (WARNING, BUG, Oops, lockdep,
# hung task, ...) while it runs fails it regardless, so tests need not look for them.

# fail MSG...: print "FAIL: MSG" to stderr and exit 1.
fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# kmsg MARK: write MARK into the kernel log (e.g. to delimit a phase in dmesg).
kmsg() {
	echo "$*" >/dev/kmsg
}

_lib_seq=0
# new_mark: print a string unique in this boot, for dmesg_since.
new_mark() {
	_lib_seq=$((_lib_seq + 1))
	echo "crypt-mt-test: mark $$.$_lib_seq.$(cut -d' ' -f1 /proc/uptime)"
}

# dmesg_since MARK: print the kernel log after the last line containing MARK.
dmesg_since() {
	dmesg | awk -v m="$1" 'index($0, m) { buf = ""; seen = 1; next } seen { buf = buf $0 "\n" } END { printf "%s", buf }'
}

# dm_expect_fail NAME TABLE ERRTEXT: `dmsetup create NAME --table TABLE` must fail
# and the kernel must have logged ERRTEXT (a fixed string, e.g. the ti->error
# text) while it did.  Exits the test through fail() otherwise.
dm_expect_fail() {
	_n=$1 _t=$2 _e=$3
	_m=$(new_mark)
	kmsg "$_m"
	if dmsetup create "$_n" --table "$_t" >/dev/null 2>&1; then
		dmsetup remove "$_n" >/dev/null 2>&1
		fail "dmsetup create $_n accepted table '$_t' (expected: $_e)"
	fi
	dmsetup remove "$_n" >/dev/null 2>&1
	if ! dmesg_since "$_m" | grep -qF -- "$_e"; then
		echo "kernel log since the table load:" >&2
		dmesg_since "$_m" >&2
		fail "table '$_t' was refused but the kernel did not log '$_e'"
	fi
}

# same_data DEV1 DEV2 [BYTES]: true if the two files/devices hold the same data
# (their first BYTES bytes, default all).  Prints the first difference otherwise.
same_data() {
	if [ -n "$3" ]; then
		cmp -n "$3" "$1" "$2" >&2
	else
		cmp "$1" "$2" >&2
	fi
}

# rand_file PATH MB: write MB MiB of random data to PATH.
rand_file() {
	dd if=/dev/urandom of="$1" bs=1048576 count="$2" 2>/dev/null || fail "rand_file $1 $2"
}

# ramdisk N: print the path of RAM disk N (0..7).
ramdisk() {
	echo "/dev/ram$1"
}
