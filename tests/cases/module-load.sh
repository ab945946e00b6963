#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The module loads by name and by alias, registers target crypt-mt with the
# version its source declares, unloads cleanly, and dm autoloads it.
# timeout: 60
. /tests/lib.sh

mod=crypt_mt
loaded() { lsmod | grep -q "^$mod "; }

want=$(cat "$TESTS/data/crypt-mt.target-version" 2>/dev/null) ||
	fail "harness gave no declared target version (/tests/data/crypt-mt.target-version)"
echo "declared target version: $want"

loaded && fail "crypt-mt loaded before the test"

modprobe dm-crypt-mt || fail "modprobe dm-crypt-mt (the alias)"
loaded || fail "modprobe dm-crypt-mt did not load $mod"
dmsetup targets
got=$(dmsetup targets | awk '$1 == "crypt-mt" { print $2 }')
[ -n "$got" ] || fail "dmsetup targets does not list crypt-mt"
[ "$got" = "$want" ] || fail "dmsetup targets says crypt-mt $got, the source declares $want"
rmmod $mod || fail "rmmod after modprobe by alias"
loaded && fail "still loaded after rmmod"
dmsetup targets | grep -q '^crypt-mt ' && fail "target still registered after rmmod"

modprobe crypt-mt || fail "modprobe crypt-mt (the module name)"
loaded || fail "modprobe crypt-mt did not load $mod"
rmmod $mod || fail "rmmod after modprobe by name"

# Autoload: naming the target in a table makes dm request module dm-crypt-mt.
# The table itself may be refused; only the load matters here.
key=0000000000000000000000000000000000000000000000000000000000000000
dmsetup create autoload --table "0 8 crypt-mt aes-xts-plain64 $key 0 $(ramdisk 0) 0" ||
	echo "(table refused, fine for this test)"
dmsetup remove autoload 2>/dev/null
loaded || fail "dmsetup create with target crypt-mt did not autoload $mod"
rmmod $mod || fail "rmmod after autoload"
echo "module-load: ok"
