#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host test: `scripts/bench.sh --smoke` runs end to end and its output is
# complete and well formed.  It asserts on structure only, never on timing:
# every configuration and workload of the run is in the JSON with positive
# numbers, the limit line is printed, the memory table covers both targets,
# and the plot is a PNG.  About 2 minutes (one VM, 28 short fio runs).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=$(mktemp -d /tmp/bench-smoke.XXXXXX)
trap 'rm -rf "$OUT"' EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

rc=0
"$REPO/scripts/bench.sh" --smoke --out "$OUT" >"$OUT/stdout" 2>"$OUT/stderr" || rc=$?
if ((rc)); then
	tail -n 40 "$OUT/stderr" "$OUT/stdout" >&2
	fail "scripts/bench.sh --smoke exited $rc"
fi

grep -Eq '^limit: one vCPU.s aes-xts-512 = [0-9.]+ MiB/s encrypt, [0-9.]+ MiB/s decrypt .* x [0-9]+ vCPUs = [0-9.]+ MiB/s' \
	"$OUT/stdout" || { cat "$OUT/stdout" >&2; fail "no limit line on stdout"; }
grep -q 'MiB/s, aes-xts-plain64' "$OUT/stdout" || fail "no aes table on stdout"
grep -q 'MiB/s, cipher_null-ecb' "$OUT/stdout" || fail "no cipher_null table on stdout"
grep -q '^memory per mapping' "$OUT/stdout" || fail "no memory table on stdout"
grep -q 'FAILED RUNS\|PROBLEMS' "$OUT/stdout" && fail "the report lists failures: $(cat "$OUT/stdout")"

shopt -s nullglob
jsons=("$OUT"/bench-*.json)
pngs=("$OUT"/bench-*.png)
((${#jsons[@]} == 1)) || fail "expected one bench-*.json in $OUT, found ${#jsons[@]}"
((${#pngs[@]} == 1)) || fail "expected one bench-*.png in $OUT, found ${#pngs[@]}"
for f in latest.json latest.txt latest.png; do
	[[ -s $OUT/$f ]] || fail "$f missing or empty"
done
cmp -s "$OUT/latest.txt" "$OUT/stdout" || fail "latest.txt differs from what was printed"
for p in "${pngs[0]}" "$OUT/latest.png"; do
	[[ $(head -c 8 "$p" | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]] || fail "$p is not a PNG"
	(($(stat -c %s "$p") > 10000)) || fail "$p is suspiciously small"
done

python3 - "${jsons[0]}" <<'EOF' || fail "JSON checks failed"
import json, sys

rep = json.load(open(sys.argv[1]))
errors = []
def check(cond, msg):
    if not cond:
        errors.append(msg)

configs = ["raw", "crypt", "crypt-nowq", "crypt-samecpu", "mt", "mt-nowq"]
smoke_workloads = ["seq-write-Nj", "rand-read-4k", "lat-read-4k"]
def pos(s, what):
    ok = isinstance(s, dict) and all(isinstance(s.get(k), (int, float)) and s[k] > 0
                                     for k in ("median", "min", "max"))
    check(ok and s["min"] <= s["median"] <= s["max"], "%s: not a positive spread: %r" % (what, s))

check([c["name"] for c in rep["configs"]] == configs, "configs list: %r" % rep["configs"])
check(rep["configs_present"] == configs, "configs present: %r" % rep["configs_present"])
check(rep["runs_planned"] == rep["runs_done"] == 28,
      "runs: planned %r, done %r" % (rep["runs_planned"], rep["runs_done"]))
check(not rep["failures"] and not rep["problems"], "failures %r problems %r"
      % (rep["failures"], rep["problems"]))
check(int(rep["vm"]["ncpu"]) == 2, "vm ncpu %r" % rep["vm"].get("ncpu"))
for k in ("kernel", "cpu_model", "fio"):
    check(rep["vm"].get(k), "vm info %s missing" % k)

lim = rep["limit"]
check(lim is not None, "no limit")
if lim:
    pos(lim["per_vcpu_enc_mibs"], "limit enc")
    pos(lim["per_vcpu_dec_mibs"], "limit dec")
    check(lim["vcpus"] == 2 and lim["limit_enc_mibs"] > 0, "limit: %r" % lim)

for cipher, cfgs in (("aes", configs), ("null", configs[1:])):
    wls = smoke_workloads if cipher == "aes" else [w for w in smoke_workloads if w.endswith("-4k")]
    got = rep["results"].get(cipher, {})
    check(sorted(got) == sorted(wls), "%s workloads: %r" % (cipher, sorted(got)))
    for w in wls:
        cells = got.get(w, {})
        check(sorted(cells) == sorted(cfgs), "%s/%s configs: %r" % (cipher, w, sorted(cells)))
        for c in cfgs:
            cell = cells.get(c, {})
            where = "%s/%s/%s" % (cipher, w, c)
            for key in ("mibs", "iops", "cpu_s_per_gib"):
                pos(cell.get(key), where + " " + key)
            check(len(cell.get("rounds", [])) == 1, where + ": rounds")
            if w == "lat-read-4k":
                pos(cell.get("p50_us"), where + " p50")
                pos(cell.get("p99_us"), where + " p99")
                if cell.get("p50_us") and cell.get("p99_us"):
                    check(cell["p50_us"]["median"] <= cell["p99_us"]["median"], where + " p50 > p99")
            if cipher == "aes" and c != "raw":
                check(cell.get("fraction_of_limit", 0) > 0, where + " fraction_of_limit")
check("raw" not in rep["results"].get("null", {}).get("rand-read-4k", {}), "raw in null rows")

mem = rep["memory"].get("2", {})
for t in ("crypt", "crypt-mt"):
    for k in ("1", "16"):
        d = mem.get(t, {}).get(k)
        check(d is not None, "memory %s x%s missing" % (t, k))
        if d:
            for key in ("SlabPercpu", "MemFreeDrop", "KernelStack", "Percpu"):
                check(isinstance(d.get(key, {}).get("median"), (int, float)),
                      "memory %s x%s %s" % (t, k, key))
    d = mem.get(t, {}).get("16", {})
    check(d.get("SlabPercpu", {}).get("median", 0) > 0, "memory %s x16: no slab+percpu cost" % t)

for e in errors:
    print("  " + e, file=sys.stderr)
sys.exit(1 if errors else 0)
EOF
echo "bench-smoke: ok"
