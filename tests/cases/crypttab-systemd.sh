#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# crypttab volumes through systemd's systemd-cryptsetup (systemd 252, the
# binary systemd-cryptsetup@NAME.service runs), made crypt-mt by the drop-in
# `make install` provides (<prefix>/lib/crypt-mt/systemd-cryptsetup-crypt-mt.conf), used
# as a user does: copied to /etc/systemd/system/systemd-cryptsetup@.service.d/
# (every volume) or systemd-cryptsetup@NAME.service.d/ (one volume).  There is
# no systemd in the VM, so systemd-cryptsetup runs with the Environment= the
# unit would get: read from the drop-ins systemd would apply to
# systemd-cryptsetup@NAME.service (the instance's dir, then the template's).
#   1. drop-in for every volume: `attach NAME DEV KEYFILE OPTIONS` of a LUKS2
#      volume (options "luks") and a plain one
#      ("plain,cipher=aes-xts-plain64,size=512,hash=sha256") makes a crypt-mt
#      mapping; data written; `detach` removes it; stock cryptsetup opens the
#      same volume with the same table (target crypt) and reads the data back.
#   2. without drop-in: the same attach makes stock crypt (the control: the
#      drop-in is what makes crypt-mt).
#   3. drop-in for the LUKS2 volume only: it is crypt-mt, the plain one crypt.
#
# timeout: 300
. "$TESTS/lib.sh"
. "$TESTS/cryptsetup-lib.sh"

SDC=/lib/systemd/systemd-cryptsetup
CONF=/usr/local/lib/crypt-mt/systemd-cryptsetup-crypt-mt.conf
UNITS=/etc/systemd/system
[ -x "$SDC" ] || fail "no $SDC in the VM"
[ -f "$CONF" ] || fail "make install-tools did not install $CONF"
cleanup() { rm -rf "$UNITS"; }
trap cleanup EXIT

KEY=$TMPDIR/volume.key
head -c 64 /dev/urandom >"$KEY"
chmod 600 "$KEY"
LUKS=$(disk 0 64)
PLAIN=$(disk 1 64)
cryptsetup luksFormat --type luks2 $PBKDF --batch-mode --key-file "$KEY" "$LUKS" ||
	fail "luksFormat"
PLAIN_OPTS=plain,cipher=aes-xts-plain64,size=512,hash=sha256

# unit_env NAME: the Environment= assignments of the drop-ins that apply to
# systemd-cryptsetup@NAME.service, one per line (no quoting in our files).
unit_env() {
	for _d in "$UNITS/systemd-cryptsetup@.service.d" "$UNITS/systemd-cryptsetup@$1.service.d"; do
		for _f in "$_d"/*.conf; do
			[ -f "$_f" ] || continue
			awk '/^\[/ { s = $0 } s == "[Service]" && sub(/^Environment=/, "") {
				n = split($0, a, /[ \t]+/); for (i = 1; i <= n; i++) print a[i] }' "$_f"
		done
	done
}

# attach NAME DEV OPTIONS: systemd-cryptsetup attach, as the unit runs it.
attach() {
	_env=$(unit_env "$1")
	echo "attach $1 with environment: ${_env:-(none)}"
	# shellcheck disable=SC2086
	env $_env "$SDC" attach "$1" "$2" "$KEY" "$3" || fail "systemd-cryptsetup attach $1 $3"
	[ -b "/dev/mapper/$1" ] || fail "attach $1: no /dev/mapper/$1"
}

detach() {
	_env=$(unit_env "$1")
	# shellcheck disable=SC2086
	env $_env "$SDC" detach "$1" || fail "systemd-cryptsetup detach $1"
	dmsetup info "$1" >/dev/null 2>&1 && fail "detach $1: the mapping is still there"
	echo "ok: systemd-cryptsetup detach $1 removed it"
}

# round NAME DEV OPTIONS STOCK_OPEN...: attach as crypt-mt, write, detach;
# stock cryptsetup opens it with the same table and reads the data back.
round() {
	_n=$1 _dev=$2 _opts=$3
	shift 3
	attach "$_n" "$_dev" "$_opts"
	expect_target "$_n" crypt-mt "$_n: systemd-cryptsetup attach with the drop-in"
	_mt=$(table_as "$_n" crypt)
	rand_file "$TMPDIR/data" 8
	dd if="$TMPDIR/data" of="/dev/mapper/$_n" bs=1M 2>/dev/null || fail "$_n: write"
	sync
	detach "$_n"
	"$@" "$_dev" "$_n" || fail "$_n: stock $*"
	expect_target "$_n" crypt "$_n: stock cryptsetup"
	[ "$(table_as "$_n" crypt)" = "$_mt" ] ||
		fail "$_n: stock cryptsetup's table differs from crypt-mt's beyond the target name"
	same_data "$TMPDIR/data" "/dev/mapper/$_n" $((8 << 20)) || fail "$_n: data read back through stock differs"
	cryptsetup close "$_n" || fail "$_n: stock close"
	echo "ok: $_n: crypt-mt by systemd-cryptsetup, same table and data through stock cryptsetup"
}

# ---- 1. drop-in for every volume
mkdir -p "$UNITS/systemd-cryptsetup@.service.d"
cp "$CONF" "$UNITS/systemd-cryptsetup@.service.d/crypt-mt.conf"
[ -n "$(unit_env any)" ] || fail "no Environment= in the installed drop-in: $(cat "$CONF")"
round mtluks "$LUKS" luks cryptsetup open --key-file "$KEY"
# hash= given: systemd hashes the key file (stock cryptsetup hashes only what
# it reads from stdin: --key-file - reads the same bytes there)
round mtplain "$PLAIN" "$PLAIN_OPTS" sh -c 'exec cryptsetup open --type plain --cipher aes-xts-plain64 \
	--key-size 512 --hash sha256 --key-file - "$1" "$2" <"$0"' "$KEY"
no_mappings "after the drop-in rounds"

# ---- 2. no drop-in: stock
rm -rf "$UNITS"
attach mtluks "$LUKS" luks
expect_target mtluks crypt "without the drop-in"
detach mtluks
echo "ok: without the drop-in systemd-cryptsetup makes stock crypt"
# What README says: stock systemd-cryptsetup does not know a crypt-mt mapping
# ("Volume ... already inactive", exit 0) and leaves it: stop volumes before
# removing the drop-in.  Seen here so that a change shows.
mkdir -p "$UNITS/systemd-cryptsetup@.service.d"
cp "$CONF" "$UNITS/systemd-cryptsetup@.service.d/crypt-mt.conf"
attach mtluks "$LUKS" luks
rm -rf "$UNITS"
"$SDC" detach mtluks || echo "info: stock detach of a crypt-mt mapping: exit code $?"
if dmsetup info mtluks >/dev/null 2>&1; then
	echo "ok: stock detach leaves a crypt-mt mapping (README: stop it while the drop-in is there)"
	dmsetup remove mtluks || fail "dmsetup remove mtluks"
else
	fail "stock detach closed a crypt-mt mapping: README's note on removing the drop-in is out of date"
fi
no_mappings "stock detach"

# ---- 3. drop-in for one volume
mkdir -p "$UNITS/systemd-cryptsetup@mtluks.service.d"
cp "$CONF" "$UNITS/systemd-cryptsetup@mtluks.service.d/crypt-mt.conf"
attach mtluks "$LUKS" luks
attach mtplain "$PLAIN" "$PLAIN_OPTS"
expect_target mtluks crypt-mt "drop-in for mtluks only"
expect_target mtplain crypt "drop-in for mtluks only, mtplain"
detach mtluks
detach mtplain
no_mappings "per-volume drop-in"
echo "ok: a per-volume drop-in makes only that volume crypt-mt"
echo "PASS: systemd-cryptsetup with the crypt-mt drop-in"
