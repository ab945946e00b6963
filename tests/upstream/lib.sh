# SPDX-License-Identifier: GPL-2.0
#
# make check-upstream: what counts as "the same" between the two runs of one
# cryptsetup upstream test, stock dm-crypt (baseline) and crypt-mt.  POSIX sh
# and awk: sourced by tests/upstream/run.sh in the guest (busybox) and by
# tests/host/upstream-compare.sh on the host.
#
# Both runs must exit 0, and every line that says something was not tested
# ("[N/A]", "[n/a]", "[SKIPPED]", "... test skipped", "TEST SKIPPED: ...")
# must be printed by both, as often.  A line only crypt-mt's run prints is
# allowed only when it matches an entry of UPSTREAM_EXCEPTIONS below: what
# crypt-mt does not implement on purpose (README: "Table format").  A line
# only stock's run prints (crypt-mt tested something stock could not) is a
# difference too: the runs must match.

# One entry a line: TEST<TAB>ERE matching the crypt-mt-only line<TAB>reason.
# TEST "*" is any test.
UPSTREAM_EXCEPTIONS='bitlk-compat-test	elephant.*\[N/A\]	crypt-mt does not implement the BitLocker elephant diffuser (IV mode "elephant"): the table is refused, cryptsetup reports the image as N/A
*	(integrity|[Aa][Ee][Aa][Dd]|authenc|gcm|ccm|poly1305).*(N/A|n/a|SKIPPED|skipped)	crypt-mt does not implement integrity/AEAD tables (the "integrity:" option, random IV): refused, so cryptsetup skips the AEAD case'

# upstream_compare TEST STOCK_OUTPUT MT_OUTPUT: prints one line per difference
# ("only on stock: LINE", "only on crypt-mt: LINE", "allowed on crypt-mt
# only (REASON): LINE"); returns 1 when a difference is not allowed.
upstream_compare() {
	{
		echo "@@upstream-compare stock@@"
		cat "$2"
		echo
		echo "@@upstream-compare crypt-mt@@"
		cat "$3"
	} | UC_EXC=$UPSTREAM_EXCEPTIONS awk -v test="$1" '
		function na(l) { l = tolower(l); return index(l, "n/a") || index(l, "skipped") }
		function trim(l) { sub(/[ \t\r]+$/, "", l); return l }
		BEGIN {
			n = split(ENVIRON["UC_EXC"], x, "\n")
			for (i = 1; i <= n; i++)
				if (split(x[i], f, "\t") == 3 && (f[1] == "*" || f[1] == test)) {
					ne++; ere[ne] = f[2]; why[ne] = f[3]
				}
		}
		$0 == "@@upstream-compare stock@@" { part = 1; next }
		$0 == "@@upstream-compare crypt-mt@@" { part = 2; next }
		part == 1 && na($0) { l = trim($0); if (!(l in s)) so[++ns] = l; s[l]++; next }
		part == 2 && na($0) { l = trim($0); if (!(l in m)) mo[++nm] = l; m[l]++; next }
		END {
			bad = 0
			for (i = 1; i <= ns; i++) {
				l = so[i]
				for (k = m[l]; k < s[l]; k++) { print "only on stock: " l; bad = 1 }
			}
			for (i = 1; i <= nm; i++) {
				l = mo[i]
				for (k = s[l]; k < m[l]; k++) {
					ok = 0
					for (e = 1; e <= ne; e++) if (l ~ ere[e]) { ok = e; break }
					if (ok) print "allowed on crypt-mt only (" why[ok] "): " l
					else { print "only on crypt-mt: " l; bad = 1 }
				}
			}
			exit bad
		}'
}
