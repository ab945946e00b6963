# SPDX-License-Identifier: GPL-2.0
#
# crypt-mt for Debian's crypttab scripts: cryptdisks_start/cryptdisks_stop and
# the cryptdisks init scripts (through /etc/default/cryptdisks), and the
# initramfs's cryptroot (the crypt-mt initramfs hook sources it there).
# Installed as @LIBDIR@/cryptdisks.sh.  POSIX sh, sourced after
# /lib/cryptsetup/functions; the user adds to /etc/default/cryptdisks:
#
#	CRYPT_MT_VOLUMES=all               # or crypttab names: "data swap"
#	. @LIBDIR@/cryptdisks.sh
#
# Every process those scripts start then runs with the preload library
# (LD_PRELOAD, the one cryptsetup-mt uses), so cryptsetup and dmsetup know
# crypt-mt mappings as dm-crypt ones (status, close, remove).  Which target a
# new mapping gets is decided per crypttab entry: unlock_mapping (Debian's
# function that runs `cryptsetup open` for one entry) is wrapped so that a
# volume named in CRYPT_MT_VOLUMES (or every volume, with "all") becomes
# crypt-mt and any other stock crypt (CRYPT_MT_TARGET=crypt).  cryptdisks_start
# opens a volume as NAME_unformatted and renames it: that name counts as NAME.
#
# Unset or empty CRYPT_MT_VOLUMES: nothing changes.  CRYPT_MT_PRELOAD names
# another library; CRYPT_MT_DEBUG=1 makes the library report its rewrites.

_cmt_lib=${CRYPT_MT_PRELOAD:-@LIBDIR@/libcmt-preload.so}

# _cmt_chosen NAME: NAME (or NAME without _unformatted) is in CRYPT_MT_VOLUMES.
_cmt_chosen() {
	[ "$CRYPT_MT_VOLUMES" = all ] && return 0
	for _cmt_v in $CRYPT_MT_VOLUMES; do
		[ "$1" = "$_cmt_v" ] || [ "$1" = "${_cmt_v}_unformatted" ] && return 0
	done
	return 1
}

if [ -n "${CRYPT_MT_VOLUMES:-}" ]; then
	if [ ! -f "$_cmt_lib" ]; then
		echo "crypt-mt: $_cmt_lib is missing: volumes open as stock dm-crypt" >&2
	else
		case " ${LD_PRELOAD:-} " in
		*" $_cmt_lib "*) ;;
		*) LD_PRELOAD="$_cmt_lib${LD_PRELOAD:+ $LD_PRELOAD}" ;;
		esac
		export LD_PRELOAD
		if [ "$CRYPT_MT_VOLUMES" != all ]; then
			# Debian's unlock_mapping, renamed, wrapped by ours.
			_cmt_fn=$(sed -n '/^unlock_mapping() *{* *$/,/^}/p' \
				"${CRYPT_MT_FUNCTIONS:-/lib/cryptsetup/functions}" 2>/dev/null)
			if [ -n "$_cmt_fn" ]; then
				eval "_cmt_$_cmt_fn"
				unlock_mapping() {
					if _cmt_chosen "$CRYPTTAB_NAME"; then
						_cmt_unlock_mapping "$@"
					else
						(
							CRYPT_MT_TARGET=crypt
							export CRYPT_MT_TARGET
							_cmt_unlock_mapping "$@"
						)
					fi
				}
			else
				echo "crypt-mt: no unlock_mapping in /lib/cryptsetup/functions:" \
					"cannot choose per volume, volumes open as stock dm-crypt" >&2
				CRYPT_MT_TARGET=crypt
				export CRYPT_MT_TARGET
			fi
			unset _cmt_fn
		fi
	fi
fi
