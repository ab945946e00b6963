#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fetch and unpack the Debian source package of the installed cryptsetup
# (the version of cryptsetup-bin), for its test suite (make check-upstream).
# Nothing of it is committed: it lives in a cache and is fetched at test time.
#
#   scripts/upstream-src.sh            print the unpacked source dir (fetch if needed)
#
# apt runs with a private configuration: its own sources list (deb-src lines
# for deb.debian.org bookworm), lists, cache and state under the cache dir, so
# the host's apt sources, lists and lock are never touched.  Cache:
# ${CRYPT_MT_CACHE:-/var/cache/crypt-mt}/upstream/ (build/upstream/ when that
# is not writable).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

die() {
	echo "upstream-src: $*" >&2
	exit 1
}

VER=$(dpkg-query -W -f='${Version}' cryptsetup-bin 2>/dev/null) ||
	die "cryptsetup-bin is not installed (scripts/deps.sh)"
[[ -n $VER ]] || die "cryptsetup-bin is not installed (scripts/deps.sh)"
# dpkg-source's directory name: upstream version, no epoch, no Debian revision.
UPVER=${VER#*:}
UPVER=${UPVER%-*}

CACHE=${CRYPT_MT_CACHE:-/var/cache/crypt-mt}/upstream
if ! mkdir -p "$CACHE" 2>/dev/null || [[ ! -w $CACHE ]]; then
	CACHE=$REPO/build/upstream
	mkdir -p "$CACHE"
fi
# One dir per package version; the "ok" stamp is written last.
SRC=$CACHE/cryptsetup-${VER//:/_}
if [[ -f $SRC/ok && -d $SRC/cryptsetup-$UPVER/tests ]]; then
	echo "$SRC/cryptsetup-$UPVER"
	exit 0
fi

command -v dpkg-source >/dev/null || {
	echo "upstream-src: installing dpkg-dev (dpkg-source)" >&2
	SUDO=
	if ((EUID != 0)); then SUDO="sudo -n"; fi
	$SUDO apt-get update -qq >/dev/null
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		-o Dpkg::Use-Pty=0 dpkg-dev >/dev/null
}

exec 9>"$CACHE/.lock"
flock 9
APT=$CACHE/apt
mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" "$APT/state" "$APT/sources.list.d" \
	"$APT/preferences.d"
cat >"$APT/sources.list" <<EOS
deb-src http://deb.debian.org/debian bookworm main
deb-src http://deb.debian.org/debian bookworm-updates main
deb-src http://deb.debian.org/debian-security bookworm-security main
EOS
OPTS=(
	-o "Dir::Etc::sourcelist=$APT/sources.list"
	-o "Dir::Etc::sourceparts=$APT/sources.list.d"
	-o "Dir::Etc::preferencesparts=$APT/preferences.d"
	-o "Dir::State=$APT/state"
	-o "Dir::State::Lists=$APT/lists"
	-o "Dir::State::status=/var/lib/dpkg/status"
	-o "Dir::Cache=$APT/cache"
	-o "Dir::Cache::pkgcache="
	-o "Dir::Cache::srcpkgcache="
	# the cache dir belongs to root: no download as user _apt
	-o "APT::Sandbox::User=root"
)
echo "upstream-src: fetching cryptsetup $VER source (private apt config in $APT)" >&2
apt-get "${OPTS[@]}" update -qq >"$CACHE/apt.log" 2>&1 || {
	cat "$CACHE/apt.log" >&2
	die "apt-get update (private lists) failed"
}
TMP=$(mktemp -d "$CACHE/tmp.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
(cd "$TMP" && apt-get "${OPTS[@]}" source --download-only -qq "cryptsetup=$VER") >>"$CACHE/apt.log" 2>&1 || {
	cat "$CACHE/apt.log" >&2
	die "apt-get source cryptsetup=$VER failed"
}
dsc=$(ls "$TMP"/cryptsetup_*.dsc)
(cd "$TMP" && dpkg-source -x "$dsc" "cryptsetup-$UPVER") >>"$CACHE/apt.log" 2>&1 || {
	cat "$CACHE/apt.log" >&2
	die "dpkg-source -x $dsc failed"
}
[[ -d $TMP/cryptsetup-$UPVER/tests ]] || die "no tests/ in the unpacked source"
rm -rf "$SRC"
mkdir -p "$SRC"
mv "$TMP/cryptsetup-$UPVER" "$TMP"/cryptsetup_* "$SRC/"
touch "$SRC/ok"
echo "$SRC/cryptsetup-$UPVER"
