#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Key messages racing each other and the table line.  dm serialises none of
# `dmsetup message`, `dmsetup table` and resume for a device, so the target
# must: two shells send `key wipe` and `key set` (a keyring key, so there is
# a key string to replace and free) to one suspended mapping as fast as they
# can, while a third reads `dmsetup table --showkeys` in a loop.  Every key
# field read must be one of the two things a finished message leaves: the
# key string, or the zeroed key of a wiped mapping.  Anything else is a
# message seen half way (a wipe prints its random transient key while it
# rekeys, a freed key string prints garbage or oopses under KASAN).  Then
# the key is set once more, the mapping resumes and the data written
# before the storm reads back, through crypt-mt and through stock dm-crypt.
#
# timeout: 240
. "$TESTS/lib.sh"
. "$TESTS/stress-lib.sh"
own_keyring_session "$@"

load_targets
DEV=$(ramdisk 0)
# loop-AES v3: 64 keys and a seed, 2080 bytes; a wipe rekeys 64 transforms
# per CPU, which is the window in which a reader could see it half done.
CIPHER=aes:64-cbc-lmk
head -c 2080 /dev/urandom >"$TMPDIR/key"
keyctl padd logon cmt:race @s <"$TMPDIR/key" >/dev/null || fail "keyctl padd"
KEY=:2080:logon:cmt:race
WIPED=$(printf '%04160d' 0)
ROUNDS=${KEY_RACE_ROUNDS:-150}

mkmap kr crypt-mt $CIPHER "$KEY" "$DEV" 8
rand_file "$TMPDIR/data" 8
dd if="$TMPDIR/data" of=/dev/mapper/kr bs=1M oflag=direct status=none || fail "write"
dmsetup suspend kr || fail "suspend"
trap 'dmsetup message kr 0 key set "$KEY" 2>/dev/null; dmsetup resume kr 2>/dev/null' EXIT

# messages ROUNDS: wipe twice (the second wipe rekeys with no key string
# left, which is when a reader that does not wait prints its random key),
# then set the key string.  None may fail: all are valid while suspended.
messages() {
	_i=0
	while [ $_i -lt "$1" ]; do
		dmsetup message kr 0 key wipe || echo "wipe failed" >>"$TMPDIR/errors"
		dmsetup message kr 0 key wipe || echo "wipe failed" >>"$TMPDIR/errors"
		dmsetup message kr 0 key set "$KEY" || echo "set failed" >>"$TMPDIR/errors"
		_i=$((_i + 1))
	done
}

: >"$TMPDIR/errors"
messages "$ROUNDS" &
M1=$!
messages "$ROUNDS" &
M2=$!
reads=0 bad=0
while kill -0 $M1 2>/dev/null || kill -0 $M2 2>/dev/null; do
	k=$(dmsetup table --showkeys kr | cut -d' ' -f5)
	reads=$((reads + 1))
	case $k in
	"$KEY" | "$WIPED") ;;
	*)
		bad=$((bad + 1))
		[ $bad -le 3 ] && echo "half-done key field: '$(echo "$k" | cut -c1-80)...'"
		;;
	esac
done
wait $M1
wait $M2
echo "$((ROUNDS * 6)) key messages from 2 shells, $reads table reads, $bad inconsistent"
[ ! -s "$TMPDIR/errors" ] || fail "messages failed: $(sort "$TMPDIR/errors" | uniq -c | tr '\n' ' ')"
[ "$reads" -ge 20 ] || fail "only $reads table reads during the messages: the test proves little"
[ $bad = 0 ] || fail "$bad of $reads table lines showed a key message half done"

dmsetup message kr 0 key set "$KEY" || fail "final key set"
[ "$(dmsetup table --showkeys kr | cut -d' ' -f5)" = "$KEY" ] || fail "key string not shown"
dmsetup resume kr || fail "resume"
dd if=/dev/mapper/kr of="$TMPDIR/back" bs=1M count=8 iflag=direct status=none || fail "read"
same_data "$TMPDIR/data" "$TMPDIR/back" || fail "data changed by the key messages"
trap - EXIT
rmmap kr
mkmap st crypt $CIPHER "$KEY" "$DEV" 8
dd if=/dev/mapper/st of="$TMPDIR/stock" bs=1M count=8 iflag=direct status=none || fail "stock read"
same_data "$TMPDIR/data" "$TMPDIR/stock" || fail "stock dm-crypt reads other data"
rmmap st
echo "ok: every table line showed a finished key message; data intact"
unload_cmt
