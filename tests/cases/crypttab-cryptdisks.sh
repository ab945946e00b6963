#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# crypttab volumes through Debian's cryptdisks_start/cryptdisks_stop (package
# cryptsetup 2:2.6.1: /lib/cryptsetup/cryptdisks-functions and functions,
# which source /etc/default/cryptdisks), with the two lines a user adds there
# to use crypt-mt (README "Boot-time volumes"):
#	CRYPT_MT_VOLUMES=...
#	. /usr/local/lib/crypt-mt/cryptdisks.sh
# A test /etc/crypttab has a LUKS2 volume, a plain one and a second LUKS2 one.
#   1. without the lines: cryptdisks_start makes stock crypt (the control).
#   2. CRYPT_MT_VOLUMES="mtluks mtplain": those two start as crypt-mt, the
#      third as stock crypt; data written; cryptdisks_stop removes all three
#      (crypt-mt and crypt); stock cryptsetup opens the crypt-mt volumes with
#      the same tables (target crypt) and reads the data back.
#   3. CRYPT_MT_VOLUMES=all: the third one is crypt-mt too; cryptdisks_stop.
#
# timeout: 300
. "$TESTS/lib.sh"
. "$TESTS/cryptsetup-lib.sh"

START=/usr/sbin/cryptdisks_start STOP=/usr/sbin/cryptdisks_stop
SNIPPET=/usr/local/lib/crypt-mt/cryptdisks.sh
[ -x "$START" ] && [ -x "$STOP" ] && [ -f /lib/cryptsetup/cryptdisks-functions ] ||
	fail "no cryptdisks_start/cryptdisks_stop or /lib/cryptsetup in the VM"
[ -f "$SNIPPET" ] || fail "make install-tools did not install $SNIPPET"
cleanup() { rm -f /etc/crypttab /etc/default/cryptdisks; }
trap cleanup EXIT
mkdir -p /etc/default

KEY=$TMPDIR/volume.key
head -c 64 /dev/urandom >"$KEY"
chmod 600 "$KEY"
LUKS=$(disk 0 64)
PLAIN=$(disk 1 64)
LUKS2=$(disk 2 32)
for d in "$LUKS" "$LUKS2"; do
	cryptsetup luksFormat --type luks2 $PBKDF --batch-mode --key-file "$KEY" "$d" ||
		fail "luksFormat $d"
done
cat >/etc/crypttab <<EOF
# <target name>	<source device>	<key file>	<options>
mtluks	$LUKS	$KEY	luks
mtplain	$PLAIN	$KEY	plain,cipher=aes-xts-plain64,size=512
other	$LUKS2	$KEY	luks
EOF

start() {
	"$START" "$@" || fail "cryptdisks_start $*"
	for _n in "$@"; do
		[ -b "/dev/mapper/$_n" ] || fail "cryptdisks_start $_n: no /dev/mapper/$_n"
	done
}
stop() {
	"$STOP" "$@" || fail "cryptdisks_stop $*"
	for _n in "$@"; do
		dmsetup info "$_n" >/dev/null 2>&1 && fail "cryptdisks_stop $_n: the mapping is still there"
	done
	echo "ok: cryptdisks_stop $* removed them"
}
default_cryptdisks() { # VOLUMES: the lines of README, or none without VOLUMES
	echo "CRYPTDISKS_ENABLE=Yes" >/etc/default/cryptdisks
	[ -n "$1" ] && printf 'CRYPT_MT_VOLUMES="%s"\n. %s\n' "$1" "$SNIPPET" >>/etc/default/cryptdisks
	echo "/etc/default/cryptdisks:"
	sed 's/^/    /' /etc/default/cryptdisks
}

# ---- 1. without the lines
default_cryptdisks ""
start mtluks
expect_target mtluks crypt "cryptdisks_start without the crypt-mt lines"
stop mtluks
echo "ok: without the lines cryptdisks_start makes stock crypt"

# ---- 2. two volumes chosen
default_cryptdisks "mtluks mtplain"
start mtluks mtplain other
expect_target mtluks crypt-mt "cryptdisks_start, chosen"
expect_target mtplain crypt-mt "cryptdisks_start, chosen (plain)"
expect_target other crypt "cryptdisks_start, not chosen"
echo "ok: cryptdisks_start: mtluks and mtplain are crypt-mt, other is crypt"
for n in mtluks mtplain; do
	rand_file "$TMPDIR/data-$n" 8
	dd if="$TMPDIR/data-$n" of="/dev/mapper/$n" bs=1M 2>/dev/null || fail "$n: write"
	eval "TABLE_$n=\$(table_as $n crypt)"
done
sync
stop mtluks mtplain other
no_mappings "cryptdisks_stop"

# the same volumes through stock cryptsetup (plain: cryptsetup ignores hash
# with a key file, as cryptdisks_start's cryptsetup did)
cryptsetup open --key-file "$KEY" "$LUKS" mtluks || fail "stock open mtluks"
cryptsetup open --type plain --cipher aes-xts-plain64 --key-size 512 --key-file "$KEY" "$PLAIN" mtplain ||
	fail "stock open mtplain"
for n in mtluks mtplain; do
	expect_target "$n" crypt "stock cryptsetup open"
	eval "_t=\$TABLE_$n"
	[ "$(table_as "$n" crypt)" = "$_t" ] ||
		fail "$n: stock cryptsetup's table differs from crypt-mt's beyond the target name"
	same_data "$TMPDIR/data-$n" "/dev/mapper/$n" $((8 << 20)) || fail "$n: data read back through stock differs"
	cryptsetup close "$n" || fail "stock close $n"
done
_t= TABLE_mtluks= TABLE_mtplain=
echo "ok: stock cryptsetup opens both with the same tables and reads the data back"

# ---- 3. all volumes
default_cryptdisks all
start mtluks other
expect_target mtluks crypt-mt "CRYPT_MT_VOLUMES=all"
expect_target other crypt-mt "CRYPT_MT_VOLUMES=all"
stop mtluks other
no_mappings "CRYPT_MT_VOLUMES=all"
echo "ok: CRYPT_MT_VOLUMES=all: every volume is crypt-mt"
echo "PASS: cryptdisks_start/cryptdisks_stop with crypt-mt"
