#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host test: `scripts/bench.sh --smoke` runs end to end and its output is
# complete and well formed.  It asserts on structure only, never on timing:
# every configuration and workload of the run is in the JSON with positive
# numbers (dm-linear, and on kernels whose dm-crypt splits bios the split
# variants too), the limit line is printed, the cipher_null rows are related
# to linear's, the work spread of crypt-mt is reported (or "no counters"),
# the memory table covers both targets, and the plot is a PNG.  Then:
#   - `--smoke --scale "1 2"`: one VM per vCPU count, a table and a plot of
#     the 1-job workloads against vCPUs;
#   - a run that fails (its VM cannot boot in 48 MiB) exits non-zero and
#     leaves the results of the good runs as they were, adding no files.
# (--smoke runs write bench-<date>-<series>.*, never latest-*.)
# Runs on the kernel in $KVER (make check sets it), else the default one.
# About 5 minutes (three short VM runs and two failed boots).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=$(mktemp -d /tmp/bench-smoke.XXXXXX)
LOG=$(mktemp -d /tmp/bench-smoke-log.XXXXXX)
trap 'rm -rf "$OUT" "$LOG"' EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}
is_png() { [[ $(head -c 8 "$1" | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]]; }

rc=0
"$REPO/scripts/bench.sh" --smoke --out "$OUT" >"$LOG/stdout" 2>"$LOG/stderr" || rc=$?
if ((rc)); then
	tail -n 40 "$LOG/stderr" "$LOG/stdout" >&2
	fail "scripts/bench.sh --smoke exited $rc"
fi

grep -Eq '^limit: one vCPU.s aes-xts-512 = [0-9.]+ MiB/s encrypt, [0-9.]+ MiB/s decrypt .* x [0-9]+ vCPUs = [0-9.]+ MiB/s' \
	"$LOG/stdout" || { cat "$LOG/stdout" >&2; fail "no limit line on stdout"; }
grep -q 'MiB/s, aes-xts-plain64' "$LOG/stdout" || fail "no aes table on stdout"
grep -q 'MiB/s, cipher_null-ecb' "$LOG/stdout" || fail "no cipher_null table on stdout"
grep -q '^cipher_null as a fraction of linear' "$LOG/stdout" || fail "no cipher_null/linear table on stdout"
grep -q '^work spread of crypt-mt' "$LOG/stdout" || fail "no work spread (or 'no counters') on stdout"
grep -q '^memory per mapping' "$LOG/stdout" || fail "no memory table on stdout"
grep -q 'FAILED RUNS\|PROBLEMS' "$LOG/stdout" && fail "the report lists failures: $(cat "$LOG/stdout")"

shopt -s nullglob
jsons=("$OUT"/bench-*.json)
pngs=("$OUT"/bench-*.png)
((${#jsons[@]} == 1)) || fail "expected one bench-*.json in $OUT, found ${#jsons[@]}"
((${#pngs[@]} == 1)) || fail "expected one bench-*.png in $OUT, found ${#pngs[@]}"
L=${jsons[0]%.json}
[[ $L =~ /bench-[0-9]{8}-[0-9]{6}-[0-9]+\.[0-9]+$ ]] || fail "$L: not bench-<date>-<series>"
for f in "$L.json" "$L.txt" "$L.png"; do
	[[ -s $f ]] || fail "$f missing or empty"
done
lt=("$OUT"/latest-*)
((${#lt[@]} == 0)) || fail "a --smoke run wrote ${lt[*]} (latest-* are for full runs)"
cmp -s "$L.txt" "$LOG/stdout" || fail "$L.txt differs from what was printed"
for p in "${pngs[0]}"; do
	is_png "$p" || fail "$p is not a PNG"
	(($(stat -c %s "$p") > 10000)) || fail "$p is suspiciously small"
done

python3 - "${jsons[0]}" <<'PYEOF' || fail "JSON checks failed"
import json, sys

rep = json.load(open(sys.argv[1]))
errors = []
def check(cond, msg):
    if not cond:
        errors.append(msg)

configs = ["raw", "linear", "crypt", "crypt-nowq", "crypt-samecpu", "mt", "mt-nowq"]
if "dm_crypt_split" in rep["vm"]:
    configs[3:3] = ["crypt-1m", "crypt-32k"]
smoke_workloads = ["seq-write-Nj", "rand-read-4k", "lat-read-4k"]
def pos(s, what):
    ok = isinstance(s, dict) and all(isinstance(s.get(k), (int, float)) and s[k] > 0
                                     for k in ("median", "min", "max"))
    check(ok and s["min"] <= s["median"] <= s["max"], "%s: not a positive spread: %r" % (what, s))
def runs_here(c, w, cipher):
    if c == "raw":
        return cipher == "aes"
    if c in ("crypt-1m", "crypt-32k"):
        return not w.endswith("-4k")
    return True

check(rep["configs_present"] == configs, "configs present: %r, expected %r"
      % (rep["configs_present"], configs))
planned = sum(1 for cipher in ("aes", "null") for w in smoke_workloads for c in configs
              if (cipher == "aes" or w.endswith("-4k")) and runs_here(c, w, cipher))
check(rep["runs_planned"] == rep["runs_done"] == planned,
      "runs: planned %r, done %r, expected %d" % (rep["runs_planned"], rep["runs_done"], planned))
check(not rep["failures"] and not rep["problems"], "failures %r problems %r"
      % (rep["failures"], rep["problems"]))
check(int(rep["vm"]["ncpu"]) == 2, "vm ncpu %r" % rep["vm"].get("ncpu"))
for k in ("kernel", "cpu_model", "fio"):
    check(rep["vm"].get(k), "vm info %s missing" % k)
check(rep["params"].get("kernel") == rep["vm"].get("kernel"),
      "module built for %r, VM ran %r" % (rep["params"].get("kernel"), rep["vm"].get("kernel")))

lim = rep["limit"]
check(lim is not None, "no limit")
if lim:
    pos(lim["per_vcpu_enc_mibs"], "limit enc")
    pos(lim["per_vcpu_dec_mibs"], "limit dec")
    check(lim["vcpus"] == 2 and lim["limit_enc_mibs"] > 0, "limit: %r" % lim)

for cipher in ("aes", "null"):
    wls = smoke_workloads if cipher == "aes" else [w for w in smoke_workloads if w.endswith("-4k")]
    got = rep["results"].get(cipher, {})
    check(sorted(got) == sorted(wls), "%s workloads: %r" % (cipher, sorted(got)))
    for w in wls:
        cfgs = [c for c in configs if runs_here(c, w, cipher)]
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
            if cipher == "aes" and c not in ("raw", "linear"):
                check(cell.get("fraction_of_limit", 0) > 0, where + " fraction_of_limit")
            if cipher == "null" and c != "linear":
                check(cell.get("fraction_of_linear", 0) > 0, where + " fraction_of_linear")
            if c.startswith("mt"):
                check("counters" in cell or cell.get("counters_missing"),
                      where + ": neither counters nor 'no counters'")

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
PYEOF
echo "bench-smoke: main run ok"

# ---- vCPU scaling: one VM per count
rc=0
"$REPO/scripts/bench.sh" --smoke --scale "1 2" --no-deps --out "$OUT" \
	>"$LOG/scale.stdout" 2>"$LOG/scale.stderr" || rc=$?
if ((rc)); then
	tail -n 40 "$LOG/scale.stderr" "$LOG/scale.stdout" >&2
	fail "scripts/bench.sh --smoke --scale '1 2' exited $rc"
fi
sl=("$OUT"/scale-*.json)
((${#sl[@]} == 1)) || fail "expected one scale-<date>-<series>.json, found ${#sl[@]}"
S=${sl[0]%.json}
is_png "$S.png" || fail "$S.png is not a PNG"
cmp -s "$S.txt" "$LOG/scale.stdout" || fail "$S.txt differs from what was printed"
grep -q '^seq-read-1j mt ' "$S.txt" || fail "no seq-read-1j mt row in the scale table"
python3 - "$S.json" <<'PYEOF' || fail "scale JSON checks failed"
import json, sys

rep = json.load(open(sys.argv[1]))
errors = []
if rep["vcpus"] != [1, 2]:
    errors.append("vcpus %r" % rep["vcpus"])
if rep["configs_present"] != ["raw", "crypt", "crypt-nowq", "mt"]:
    errors.append("configs %r" % rep["configs_present"])
if rep["problems"]:
    errors.append("problems %r" % rep["problems"])
for n in ("1", "2"):
    r = rep["by_vcpus"].get(n, {})
    if int(r.get("vm", {}).get("ncpu", 0)) != int(n):
        errors.append("%s vCPUs: the VM had %r" % (n, r.get("vm", {}).get("ncpu")))
    if not r.get("limit") or r["limit"]["vcpus"] != int(n):
        errors.append("%s vCPUs: limit %r" % (n, r.get("limit")))
    for w in ("seq-write-1j", "seq-read-1j"):
        for c in rep["configs_present"]:
            s = r.get("results", {}).get("aes", {}).get(w, {}).get(c, {}).get("mibs")
            if not s or s["median"] <= 0:
                errors.append("%s vCPUs %s %s: %r" % (n, w, c, s))
for e in errors:
    print("  " + e, file=sys.stderr)
sys.exit(1 if errors else 0)
PYEOF
echo "bench-smoke: scale run ok"

# ---- a failed run leaves the good results alone
state() { (cd "$OUT" && ls -lA --time-style=full-iso . && md5sum ./*.json ./*.txt ./*.png); }
before=$(state)
rc=0
"$REPO/scripts/bench.sh" --smoke --no-deps --mem 48 --out "$OUT" \
	>"$LOG/fail.stdout" 2>"$LOG/fail.stderr" || rc=$?
((rc != 0)) || fail "a run whose VM cannot boot exited 0"
grep -q 'left as it was' "$LOG/fail.stderr" ||
	{ tail -n 20 "$LOG/fail.stderr" >&2; fail "no 'left as it was' message"; }
after=$(state)
[[ $before == "$after" ]] ||
	{ diff <(echo "$before") <(echo "$after") >&2; fail "the failed run changed $OUT"; }
echo "bench-smoke: a failed run left the results as they were"
echo "bench-smoke: ok"
