#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# A really asynchronous transform: capi:cryptd(xts(ecb(aes-generic)))-plain64
# (cryptd finishes every request later, from its own worker), so every
# sector takes the asynchronous paths: a write's starter waits for its
# requests in map, a read decrypted in its completion or a helper hands
# the rest to a worker from the request's callback (cmt_conv_async_done,
# cmt_conv_resume), which may end the bio before the call that queued the
# request has returned.  fio write+verify with the default controls and
# with spreading forced (helpers and read pieces on async requests too);
# then stock dm-crypt with the plain aes-xts-plain64 spec (the same bytes
# on disk) reads back what crypt-mt wrote, and crypt-mt reads back what
# stock wrote.  On the debug kernel (KASAN, lockdep, atomic-sleep checks)
# a use of a participant after its hand-off is a splat.
#
# timeout: 420
. "$TESTS/lib.sh"
. "$TESTS/stress-lib.sh"

load_targets
SPEC='capi:cryptd(xts(ecb(aes-generic)))-plain64'
MB=$((FIO_JOBS * FIO_MB))
DEV=$(ramdisk 0)

_m=$(new_mark)
kmsg "$_m"
mkmap a crypt-mt "$SPEC" "$K64" "$DEV" "$MB"
dmesg_since "$_m" | grep -q 'cryptd(xts(ecb(aes-generic))) uses .*(asynchronous)' || {
	dmesg_since "$_m" >&2
	fail "the transform is not reported asynchronous: the test would not take the async paths"
}

fio_verify /dev/mapper/a 1 || fail "fio verify, default controls"
fio_verify_spread /dev/mapper/a 2 "cryptd"
echo "ok: fio verify through the asynchronous transform, default and spread"

# stock with the synchronous spec reads what crypt-mt wrote, and back
rmmap a
mkmap s crypt aes-xts-plain64 "$K64" "$DEV" "$MB"
fio_verify_only /dev/mapper/s 2 --bsrange=4k-1m ||
	fail "stock dm-crypt does not read back what crypt-mt wrote through cryptd"
fio_verify /dev/mapper/s 3 --bsrange=4k-1m || fail "stock fio verify"
rmmap s
mkmap a crypt-mt "$SPEC" "$K64" "$DEV" "$MB"
fio_verify_only /dev/mapper/a 3 --bsrange=4k-1m ||
	fail "crypt-mt through cryptd does not read back what stock wrote"
echo "ok: the same bytes as stock dm-crypt, both ways"
unload_cmt
