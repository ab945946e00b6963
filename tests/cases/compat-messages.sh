#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# `dmsetup message` key handling and table reloads against stock dm-crypt.
#
# The same script of steps runs on a crypt-mt mapping and on a stock one (the
# same table, the same data on the same RAM disk, one after the other); each
# step's outcome (exit code, data read back, table line with the target name
# replaced) goes to a transcript, and the two transcripts must be equal.  The
# steps: `key wipe` / `key set` while active (refused), suspend, `key wipe`,
# resume (refused: no key), `key set` of another key (resume works, the data
# reads as the other key decrypts it), `key set` of the right key (data back),
# failed `key set`s (wrong size, not hex, keyring key missing) and whether
# resume works after them, `key set` of a keyring key (table shows the
# reference) and a failed hex one after it (table no longer does), unknown
# messages.  Besides equality, crypt-mt's transcript must
# show the basics: wipe refused while active, resume refused after wipe,
# resume and data back after key set.
#
# Then reloads: crypt-mt -> stock crypt -> crypt-mt (`dmsetup reload` +
# `resume` of a live mapping) keeps the data, each table writing data the
# next one reads.
#
# timeout: 180
. "$TESTS/lib.sh"
. "$TESTS/stress-lib.sh"
. "$TESTS/compat-lib.sh"

if [ -z "$COMPAT_MESSAGES_SESSION" ]; then
	export COMPAT_MESSAGES_SESSION=1
	exec keyctl session - sh "$0" "$@"
fi

load_targets
DEV=$(ramdisk 0)
MB=${COMPAT_MB:-2}
L=$(mib "$MB")
K=$(hexkey 64)
K2=$(hexkey 64)
head -c 64 /dev/urandom >"$TMPDIR/k3"
keyctl padd logon cmt:k3 @s <"$TMPDIR/k3" >/dev/null || fail "keyctl padd"
rand_file "$TMPDIR/data" "$MB"
DATA_SUM=$(md5sum <"$TMPDIR/data" | cut -d' ' -f1)

# step WHAT CMD...: run CMD, log "WHAT: rc=N".
step() {
	_w=$1
	shift
	"$@" </dev/null >/dev/null 2>&1
	echo "$_w: rc=$?" >>"$LOG"
}
# rd WHAT: log the md5 of the mapping's data ("data" when it is the data written).
rd() {
	_s=$(dd if="/dev/mapper/$NAME" bs=1M count="$MB" iflag=direct status=none | md5sum | cut -d' ' -f1)
	[ "$_s" = "$DATA_SUM" ] && _s=data
	echo "$1: read $_s" >>"$LOG"
}
# tbl WHAT: log the table line (with keys), target name as stock's.
tbl() {
	echo "$1: table $(dmsetup table --showkeys "$NAME" | as_stock)" >>"$LOG"
}
# keyref WHAT: log whether the table line names a keyring key.  (Not the
# line itself: after a failed hex key, stock prints what is left in its key
# buffer, crypt-mt zeroes.)
keyref() {
	echo "$1: keyring reference in table: $(dmsetup table --showkeys "$NAME" | grep -c ':logon:')" >>"$LOG"
}
msg() { dmsetup message "$NAME" 0 "$@"; }
# resumed WHAT: resume; if that is refused, set the right key and resume, so
# that both scripts go on from the same state.
resumed() {
	step "$1 resume" dmsetup resume "$NAME"
	if ! dmsetup info "$NAME" | grep -q 'State: *ACTIVE'; then
		step "$1 recover key set" msg key set "$K"
		step "$1 recover resume" dmsetup resume "$NAME"
	fi
	rd "$1"
}

# dance TARGET: the script of steps on a TARGET mapping; transcript in $LOG.
dance() {
	NAME=m_$1 LOG=$TMPDIR/log.$1
	: >"$LOG"
	dd if=/dev/zero of="$DEV" bs=1M count="$MB" oflag=direct status=none
	mkdm "$NAME" "0 $L $1 $(rest aes-xts-plain64 "$K" 0 "$DEV" 0)" || fail "create $NAME"
	dio_put "$TMPDIR/data" "/dev/mapper/$NAME" "$MB" || fail "write $NAME"
	rd "written"
	tbl "created"
	step "active: key wipe" msg key wipe
	step "active: key set" msg key set "$K"
	step "active: bogus" msg bogus message
	rd "active"

	step "1 suspend" dmsetup suspend "$NAME"
	step "1 key wipe" msg key wipe
	tbl "1 after wipe"
	step "1 resume without key" dmsetup resume "$NAME"
	step "1 key set other key" msg key set "$K2"
	tbl "1 after set other key"
	resumed "1"

	step "2 suspend" dmsetup suspend "$NAME"
	step "2 key set right key" msg key set "$K"
	resumed "2"

	step "3 suspend" dmsetup suspend "$NAME"
	step "3 key set wrong size" msg key set "$(hexkey 32)"
	resumed "3"

	step "4 suspend" dmsetup suspend "$NAME"
	step "4 key set not hex" msg key set "zz${K#??}"
	resumed "4"

	step "5 suspend" dmsetup suspend "$NAME"
	step "5 key set keyring" msg key set :64:logon:cmt:k3
	tbl "5 after keyring key set"
	resumed "5"

	# A hex key that fails after a keyring key: no table line may still
	# name the keyring key (stock drops the reference before decoding).
	step "5b suspend" dmsetup suspend "$NAME"
	step "5b key set not hex" msg key set "zz${K#??}"
	keyref "5b after failed hex key set"
	resumed "5b"

	step "6 suspend" dmsetup suspend "$NAME"
	step "6 key set missing keyring key" msg key set :64:logon:cmt:missing
	resumed "6"

	step "7 suspend" dmsetup suspend "$NAME"
	step "7 key wipe" msg key wipe
	step "7 key set right key" msg key set "$K"
	step "7 bogus" msg key frob
	tbl "7 end"
	resumed "7"
	rmdm "$NAME" || fail "remove $NAME"
}

dance crypt
dance crypt-mt
echo "---- crypt-mt's transcript:"
cat "$TMPDIR/log.crypt-mt"
if ! cmp -s "$TMPDIR/log.crypt" "$TMPDIR/log.crypt-mt"; then
	echo "---- differences (- stock, + crypt-mt):"
	diff "$TMPDIR/log.crypt" "$TMPDIR/log.crypt-mt"
	fail "messages: crypt-mt behaves unlike stock dm-crypt (transcripts above)"
fi
# Equal to stock; and stock did what it should (so the comparison meant something).
expect() {
	grep -qxF -- "$1" "$TMPDIR/log.crypt-mt" || fail "transcript has no line '$1'"
}
expect "active: key wipe: rc=1"
expect "active: key set: rc=1"
expect "active: read data"
expect "1 key wipe: rc=0"
expect "1 resume without key: rc=1"
expect "1 key set other key: rc=0"
expect "1 resume: rc=0"
grep -q "^1: read data" "$TMPDIR/log.crypt-mt" && fail "another key read the data"
expect "2 resume: rc=0"
expect "2: read data"
expect "5 key set keyring: rc=0"
expect "5 after keyring key set: table 0 $L crypt aes-xts-plain64 :64:logon:cmt:k3 0 1:0 0"
expect "5b key set not hex: rc=1"
expect "5b after failed hex key set: keyring reference in table: 0"
expect "7 resume: rc=0"
expect "7: read data"
echo "ok: messages: crypt-mt's transcript is stock's"

# ---- reloads: crypt-mt -> crypt -> crypt-mt, live
t0=$(now)
R=$(rest aes-cbc-essiv:sha256 "$(hexkey 32)" 0 "$DEV" 0)
NAME=live
mkdm live "0 $L crypt-mt $R" || fail "create live"
rand_file "$TMPDIR/d1" "$MB"
dio_put "$TMPDIR/d1" /dev/mapper/live "$MB" || fail "write through crypt-mt"
n=1
for t in crypt crypt-mt crypt crypt-mt; do
	dmsetup reload live --table "0 $L $t $R" || fail "reload to $t"
	dmsetup resume live || fail "resume into $t"
	got=$(dmsetup table live | cut -d' ' -f3)
	[ "$got" = "$t" ] || fail "after reload to $t the live table is '$got'"
	dio_same /dev/mapper/live "$TMPDIR/d$n" "$MB" "reload #$n ($t) reading the previous table's data"
	n=$((n + 1))
	rand_file "$TMPDIR/d$n" "$MB"
	dio_put "$TMPDIR/d$n" /dev/mapper/live "$MB" || fail "write through $t"
done
# And a reload with an explicit suspend around it, to stock and back.
dmsetup suspend live || fail "suspend live"
dmsetup reload live --table "0 $L crypt $R" || fail "reload while suspended"
dmsetup resume live || fail "resume after reload while suspended"
dio_same /dev/mapper/live "$TMPDIR/d$n" "$MB" "stock after a suspended reload"
rmdm live || fail "remove live"
echo "ok: reloads crypt-mt <-> crypt keep the data ($(($(now) - t0))s)"

keyctl clear @s >/dev/null 2>&1
unload_cmt
