#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the "@@BENCH" lines of scripts/bench-guest.sh into the benchmark report.

    bench-report.py --out DIR --work DIR --name NAME --date DATE [--meta K=V ...]
                    [--main MAIN.log] [MEM.log ...]
    bench-report.py --out DIR --work DIR --name NAME --date DATE [--meta K=V ...]
                    --scale SCALE.log...

MAIN.log is the guest output of the full run, each MEM.log that of a
memory-only run at another vCPU count.  Writes DIR/NAME.{json,txt,png}
(the gnuplot script and data go to --work), prints the text table on stdout.
Without --main only the memory table is made (no plot).  --scale: each log is
one VM's run at one vCPU count (scripts/bench.sh --scale); the table and plot
show MiB/s against vCPUs.  Exits non-zero when anything failed or is missing.
Standard library only.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

CONFIGS = [
    ("raw", "-", "", "the RAM disk itself, no mapping"),
    ("linear", "linear", "", "dm-linear on the RAM disk: what any dm target costs"),
    ("crypt", "crypt", "", "stock dm-crypt, default table (6.12 splits bios at 128 KiB)"),
    ("crypt-1m", "crypt", "", "stock dm-crypt, module parameters max_read_size = "
     "max_write_size = 1 MiB: a 1 MiB bio is not split (kernels that have them)"),
    ("crypt-32k", "crypt", "", "stock dm-crypt, max_read_size = max_write_size = 32 KiB: "
     "finer pieces (kernels that have them)"),
    ("crypt-nowq", "crypt", "no_read_workqueue no_write_workqueue",
     "stock dm-crypt, crypto inline in the submitter / read completion"),
    ("crypt-samecpu", "crypt", "same_cpu_crypt",
     "stock dm-crypt, crypto on the submitting CPU (bound queue)"),
    ("mt", "crypt-mt", "", "crypt-mt, default table"),
    ("mt-nowq", "crypt-mt", "no_read_workqueue no_write_workqueue",
     "crypt-mt, every bio converted inline"),
]
CONFIG_NAMES = [c[0] for c in CONFIGS]
# Configurations without a cipher: no fraction of the cipher limit.
NO_CIPHER = ("raw", "linear")

# name, fio rw, bs, jobs ("N" = vCPUs), queue depth, meaning
WORKLOADS = [
    ("seq-write-1j", "write", "1M", "1", 1, "sequential write, 1 MiB, 1 job, QD1"),
    ("seq-read-1j", "read", "1M", "1", 1, "sequential read, 1 MiB, 1 job, QD1"),
    ("seq-write-Nj", "write", "1M", "N", 4, "sequential write, 1 MiB, N jobs, QD4 each"),
    ("seq-read-Nj", "read", "1M", "N", 4, "sequential read, 1 MiB, N jobs, QD4 each"),
    ("rand-read-4k", "randread", "4k", "N", 16, "random read, 4 KiB, N jobs, QD16 each"),
    ("rand-write-4k", "randwrite", "4k", "N", 16, "random write, 4 KiB, N jobs, QD16 each"),
    ("lat-read-4k", "randread", "4k", "1", 1, "random read, 4 KiB, 1 job, QD1 (latency)"),
    ("mix-4k", "randrw", "4k", "N", 16, "70/30 random read/write, 4 KiB, N jobs, QD16 each"),
]
WORKLOAD_NAMES = [w[0] for w in WORKLOADS]
CIPHERS = [("aes", "aes-xts-plain64, 512-bit key"),
           ("null", "cipher_null-ecb, key '-' (per-I/O overhead only)")]

MIB = 1 << 20
GIB = 1 << 30


def spread(values):
    """median, min, max, n of a list of numbers (None when empty)."""
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values),
            "max": max(values), "n": len(values)}


def parse_log(path):
    """The guest's @@BENCH records of one VM run."""
    rec = {"info": {}, "plan": None, "runs": [], "fails": [], "limits": [],
           "mem": [], "memslab": [], "errors": [], "done": False, "stats": {}}
    with open(path, "r", errors="replace") as f:
        for line in f:
            pos = line.find("@@BENCH ")
            if pos < 0:
                continue
            line = line[pos + 8:].rstrip("\r\n")
            kind, _, rest = line.partition(" ")
            if kind == "INFO":
                key, _, val = rest.partition(" ")
                rec["info"][key] = val.strip()
            elif kind == "PLAN":
                rec["plan"] = int(rest)
            elif kind == "RUN":
                f7 = rest.split(" ", 7)
                if len(f7) < 8:
                    rec["errors"].append("short RUN line: " + rest[:200])
                    continue
                try:
                    fio = json.loads(f7[7])
                except ValueError as e:
                    rec["errors"].append("bad fio JSON in run %s: %s" % (f7[0], e))
                    continue
                rec["runs"].append({"i": int(f7[0]), "round": int(f7[1]), "cipher": f7[2],
                                    "workload": f7[3], "config": f7[4],
                                    "busy": int(f7[5]), "total": int(f7[6]), "fio": fio})
            elif kind == "FAIL":
                rec["fails"].append(rest)
            elif kind == "LIMIT":
                p = rest.split()
                if len(p) >= 4:
                    rec["limits"].append({"round": int(p[0]), "enc": float(p[1]),
                                          "dec": float(p[2]), "source": p[3]})
            elif kind == "MEM":
                p = rest.split()
                vals = dict(kv.split("=", 1) for kv in p[3:] if "=" in kv)
                rec["mem"].append({"target": p[0], "k": int(p[1]), "rep": int(p[2]),
                                   "kib": {k: int(v) for k, v in vals.items()}})
            elif kind == "MEMSLAB":
                p = rest.split()
                vals = dict(kv.split("=", 1) for kv in p[2:] if "=" in kv)
                rec["memslab"].append({"target": p[0], "k": int(p[1]),
                                       "kib": {k: int(v) for k, v in vals.items()}})
            elif kind == "STATS":
                p = rest.split(" ", 2)
                st = rec["stats"].setdefault(int(p[0]), {})
                if p[1] == "none":
                    st["none"] = True
                elif len(p) == 3:
                    st[p[1]] = parse_counters(p[2])
            elif kind == "ERROR":
                rec["errors"].append(rest)
            elif kind == "DONE":
                rec["done"] = True
    return rec


def parse_counters(text):
    """crypt-mt's stats file as one line (rows joined by ";"): {cpu: {column: int}}.

    Keyed on the header's names, so that added columns are simply carried
    along.  Rows that do not parse are skipped."""
    rows = [r.split() for r in text.split(";") if r.strip()]
    if not rows:
        return {}
    head, out = rows[0], {}
    for i, r in enumerate(rows[1:]):
        if len(r) != len(head):
            continue
        try:
            vals = dict(zip(head, (int(x) for x in r)))
        except ValueError:
            continue
        out[str(vals.pop("cpu", i))] = vals
    return out


def counter_delta(before, after):
    """Per CPU and column: after - before (a CPU missing before counts from 0)."""
    out = {}
    for cpu, cols in after.items():
        b = before.get(cpu, {})
        out[cpu] = {k: v - b.get(k, 0) for k, v in cols.items()}
    return out


def run_numbers(run, ncpu):
    """The numbers one fio run gives: MiB/s, IOPS, latency, CPU time per GiB."""
    job = run["fio"]["jobs"][0]
    rd, wr = job.get("read", {}), job.get("write", {})
    bps = rd.get("bw_bytes", 0) + wr.get("bw_bytes", 0)
    out = {"mibs": bps / MIB, "iops": rd.get("iops", 0) + wr.get("iops", 0),
           "read_mibs": rd.get("bw_bytes", 0) / MIB, "write_mibs": wr.get("bw_bytes", 0) / MIB}
    side = rd if rd.get("io_bytes", 0) else wr
    # Total latency (submission + completion): brd completes a bio inside
    # submit_bio, so inline crypto shows up in fio's slat, not its clat.
    # clat is kept as well, as fio reports it.
    for src, pre in (("lat_ns", ""), ("clat_ns", "clat_")):
        pct = side.get(src, {}).get("percentile", {})
        if "50.000000" in pct:
            out[pre + "p50_us"] = pct["50.000000"] / 1000.0
        if "99.000000" in pct:
            out[pre + "p99_us"] = pct["99.000000"] / 1000.0
        out[pre + "mean_us"] = side.get(src, {}).get("mean", 0) / 1000.0
    if run["total"] > 0 and bps > 0:
        util = run["busy"] / run["total"]           # fraction of all vCPUs
        out["cpu_util"] = util
        out["cpu_s_per_gib"] = util * ncpu / (bps / GIB)
    return out


def aggregate(main):
    ncpu = int(main["info"].get("ncpu", "1"))
    res = {}
    for run in main["runs"]:
        cell = res.setdefault(run["cipher"], {}).setdefault(run["workload"], {}) \
                  .setdefault(run["config"], {"rounds": []})
        nums = run_numbers(run, ncpu)
        nums["round"] = run["round"]
        cell["rounds"].append(nums)
        st = main["stats"].get(run["i"])
        if st is not None:
            if "before" in st and "after" in st:
                d = counter_delta(st["before"], st["after"])
                tot = cell.setdefault("counters", {})
                for cpu, cols in d.items():
                    for k, v in cols.items():
                        tot.setdefault(cpu, {}).setdefault(k, 0)
                        tot[cpu][k] += v
            else:
                cell["counters_missing"] = True
    for wl in res.values():
        for cells in wl.values():
            for cell in cells.values():
                rs = cell["rounds"]
                for key in ("mibs", "iops", "read_mibs", "write_mibs", "p50_us", "p99_us",
                            "mean_us", "clat_p50_us", "clat_p99_us", "clat_mean_us",
                            "cpu_s_per_gib", "cpu_util"):
                    s = spread([r.get(key) for r in rs])
                    if s:
                        cell[key] = s
    return res


def limit_of(main):
    lims = main["limits"]
    if not lims:
        return None
    ncpu = int(main["info"].get("ncpu", "1"))
    enc = spread([l["enc"] for l in lims])
    dec = spread([l["dec"] for l in lims])
    # Noise in this VM only ever slows a sample down, so the best sample is
    # the closest to what one vCPU can do: the limit uses the maximum.
    return {"per_vcpu_enc_mibs": enc, "per_vcpu_dec_mibs": dec, "vcpus": ncpu,
            "limit_enc_mibs": enc["max"] * ncpu, "limit_dec_mibs": dec["max"] * ncpu,
            "estimator": "max", "source": lims[0]["source"]}


def add_fractions(res, limit):
    """Each aes cell's median as a fraction of N vCPUs' cipher rate."""
    if not limit:
        return
    for wname, cells in res.get("aes", {}).items():
        for cname, cell in cells.items():
            if "read_mibs" not in cell or cname in NO_CIPHER:
                continue
            # Reads are bounded by decryption, writes by encryption.
            lim = (cell["read_mibs"]["median"] / limit["limit_dec_mibs"]
                   + cell["write_mibs"]["median"] / limit["limit_enc_mibs"])
            cell["fraction_of_limit"] = lim


def add_linear_fractions(res):
    """Each cipher_null cell's median as a fraction of dm-linear's."""
    for cells in res.get("null", {}).values():
        lin = cells.get("linear", {}).get("mibs")
        if not lin or lin["median"] <= 0:
            continue
        for cname, cell in cells.items():
            if cname != "linear" and "mibs" in cell:
                cell["fraction_of_linear"] = cell["mibs"]["median"] / lin["median"]


def memory_of(recs):
    """{vcpus: {target: {k: {key: spread of KiB per mapping}}}}"""
    out = {}
    for rec in recs:
        ncpu = rec["info"].get("ncpu", "?")
        byk = out.setdefault(ncpu, {})
        for m in rec["mem"]:
            kib = dict(m["kib"])
            kib["SlabPercpu"] = kib.get("Slab", 0) + kib.get("Percpu", 0)
            d = byk.setdefault(m["target"], {}).setdefault(str(m["k"]), {})
            for key, v in kib.items():
                d.setdefault(key, []).append(v / m["k"])
        for target in byk.values():
            for k, d in target.items():
                target[k] = {key: spread(v) for key, v in d.items()}
        for s in rec["memslab"]:
            cell = byk.get(s["target"], {}).get(str(s["k"]))
            if cell is not None:
                cell["top_slab_caches_kib_total"] = s["kib"]
    return out


# ---- text ----

def fmt(v, digits=0):
    if v is None:
        return "-"
    if digits == 0:
        return "%.0f" % v if abs(v) >= 9.5 else "%.1f" % v
    return "%.*f" % (digits, v)


def cell_text(s, digits=0):
    if not s:
        return "-"
    return "%s (%s-%s)" % (fmt(s["median"], digits), fmt(s["min"], digits), fmt(s["max"], digits))


def table(title, rows, configs, width=None):
    """rows: [(label, [cell strings])]"""
    lw = max([len(r[0]) for r in rows] + [8])
    cw = [max([len(c)] + [len(r[1][i]) for r in rows]) for i, c in enumerate(configs)]
    out = [title, "  ".join([" " * lw] + [c.rjust(cw[i]) for i, c in enumerate(configs)])]
    for label, cells in rows:
        out.append("  ".join([label.ljust(lw)] + [x.rjust(cw[i]) for i, x in enumerate(cells)]))
    return "\n".join(out) + "\n"


def text_report(rep):
    vm, p = rep["vm"], rep["params"]
    configs = rep["configs_present"]
    lines = []
    lines.append("crypt-mt benchmark, %s" % rep["date"])
    lines.append("VM: QEMU %s TCG (software emulation), -cpu max (%s, AES-NI %s), %s vCPUs, %s MiB, "
                 "kernel %s; host: %s" % (rep["host"].get("qemu", "?"), vm.get("cpu_model", "?"),
                                          vm.get("aes_ni", "?"), vm.get("ncpu"), p.get("mem_mib"),
                                          vm.get("kernel"), rep["host"].get("cpu", "?")))
    if rep["results"]:
        lines.append("fio %s on %s (%s MiB of each device), libaio, direct=1; %s round(s) x %s s "
                     "(ramp %s s), configurations interleaved; median (min-max) over rounds"
                     % (vm.get("fio", "?"), p.get("dev"), p.get("region_mib"), p.get("rounds"),
                        p.get("runtime_s"), p.get("ramp_s")))
    lim = rep.get("limit")
    if not rep["results"]:
        lines.append("memory only: no fio runs")
    elif lim:
        lines.append("limit: one vCPU's aes-xts-512 = %s MiB/s encrypt, %s MiB/s decrypt (%s, "
                     "best of %d; medians %s / %s) x %d vCPUs = %s MiB/s encrypt, %s MiB/s decrypt"
                     % (fmt(lim["per_vcpu_enc_mibs"]["max"]), fmt(lim["per_vcpu_dec_mibs"]["max"]),
                        lim["source"], lim["per_vcpu_enc_mibs"]["n"],
                        fmt(lim["per_vcpu_enc_mibs"]["median"]), fmt(lim["per_vcpu_dec_mibs"]["median"]),
                        lim["vcpus"], fmt(lim["limit_enc_mibs"]), fmt(lim["limit_dec_mibs"])))
    else:
        lines.append("limit: not measured (cryptsetup benchmark failed)")
    if vm.get("xts_in_use"):
        lines.append("xts(aes) implementations in use (driver:users): %s" % vm["xts_in_use"])
    if vm.get("dm_crypt_split"):
        lines.append("stock dm-crypt splits bios: %s; crypt-1m and crypt-32k set both to 1 MiB "
                     "and 32 KiB around their runs (1 MiB workloads only)" % vm["dm_crypt_split"])
    lines.append("")
    res = rep["results"]
    wl_desc = {w[0]: w[5] for w in WORKLOADS}
    for cipher, cdesc in CIPHERS:
        if cipher not in res:
            continue
        cfgs = [c for c in configs if any(c in res[cipher][w] for w in res[cipher])]
        wls = [w for w in WORKLOAD_NAMES if w in res[cipher]]
        rows = [(w, [cell_text(res[cipher][w].get(c, {}).get("mibs")) for c in cfgs]) for w in wls]
        lines.append(table("MiB/s, %s:" % cdesc, rows, cfgs))
        if "lat-read-4k" in res[cipher]:
            cells = res[cipher]["lat-read-4k"]
            rows = [("p50", [cell_text(cells.get(c, {}).get("p50_us")) for c in cfgs]),
                    ("p99", [cell_text(cells.get(c, {}).get("p99_us")) for c in cfgs])]
            lines.append(table("lat-read-4k latency (fio lat = submission + completion), us, %s:"
                               % cipher, rows, cfgs))
        if cipher == "null" and "linear" in cfgs:
            fcfgs = [c for c in cfgs if c != "linear"]
            rows = [(w, ["%.0f%%" % (100 * res[cipher][w][c]["fraction_of_linear"])
                         if "fraction_of_linear" in res[cipher][w].get(c, {}) else "-"
                         for c in fcfgs]) for w in wls]
            lines.append(table("cipher_null as a fraction of linear (median MiB/s / dm-linear's): "
                               "what is left of a bare dm target", rows, fcfgs))
        if cipher == "aes" and lim:
            fcfgs = [c for c in cfgs if c not in NO_CIPHER]
            rows = [(w, ["%.0f%%" % (100 * res[cipher][w][c]["fraction_of_limit"])
                         if "fraction_of_limit" in res[cipher][w].get(c, {}) else "-"
                         for c in fcfgs]) for w in wls]
            lines.append(table("fraction of the limit (median MiB/s / N vCPUs' cipher rate), aes:",
                               rows, fcfgs))
        rows = [(w, [fmt(res[cipher][w].get(c, {}).get("cpu_s_per_gib", {}).get("median"), 2)
                     for c in cfgs]) for w in wls]
        lines.append(table("CPU seconds per GiB moved (all vCPUs, /proc/stat), %s:" % cipher,
                           rows, cfgs))
    lines.append(spread_text(res))
    mem = rep.get("memory")
    if mem:
        rows = []
        for ncpu in sorted(mem, key=lambda x: int(x) if x.isdigit() else 0):
            for k in sorted({k for t in mem[ncpu].values() for k in t}, key=int):
                cells, n = [], 0
                for t in ("crypt", "crypt-mt"):
                    d = mem[ncpu].get(t, {}).get(k)
                    for key in ("Slab", "Percpu", "KernelStack", "MemFreeDrop"):
                        v = (d or {}).get(key)
                        cells.append(fmt(v["median"]) if v else "-")
                        n = max(n, v["n"] if v else 0)
                rows.append(("%s vCPUs, %s mapping%s (n=%d)" % (ncpu, k, "s" if k != "1" else "", n),
                             cells))
        lines.append(table("memory per mapping, KiB, median of n (creating K mappings, /proc/meminfo "
                           "deltas / K; MemFree drop includes page pools and is noisy for K=1):",
                           rows, ["crypt slab", "percpu", "stacks", "MemFree",
                                  "mt slab", "percpu", "stacks", "MemFree"]))
    if rep["failures"]:
        lines.append("FAILED RUNS:")
        lines += ["  " + f for f in rep["failures"]]
    return "\n".join(lines).rstrip() + "\n"


# Counter columns shown, in this order, when the stats file has them.
SPREAD_COLS = ["bios", "inline", "queued", "sent", "helped", "wasted", "pieces"]


def spread_rows(res, label=""):
    """Table rows of the work spread of every crypt-mt cell with counters."""
    rows, missing = [], 0
    for cipher, _ in CIPHERS:
        for w in WORKLOAD_NAMES:
            for c in CONFIG_NAMES:
                cell = res.get(cipher, {}).get(w, {}).get(c)
                if not cell or not c.startswith("mt"):
                    continue
                if cell.get("counters_missing") or "counters" not in cell:
                    missing += 1
                    continue
                cnt = cell["counters"]
                cpus = sorted(cnt, key=lambda x: int(x) if x.isdigit() else 0)
                total = {}
                for cols in cnt.values():
                    for k, v in cols.items():
                        total[k] = total.get(k, 0) + v
                nbytes = total.get("bytes", 0)
                share = " ".join("cpu%s %.0f%%" % (cpu, 100.0 * cnt[cpu].get("bytes", 0) / nbytes)
                                 for cpu in cpus) if nbytes > 0 else "-"
                # Columns the module added later: their totals, in one cell.
                extra = " ".join("%s=%d" % (k, total[k]) for k in sorted(total)
                                 if k not in SPREAD_COLS + ["bytes"])
                cells = [share] + [str(total[k]) if k in total else "-" for k in SPREAD_COLS]
                rows.append(("%s%s %s %s" % (label, cipher, w, c), cells + [extra]))
    return rows, missing


def spread_text(res, label_rows=None):
    """crypt-mt's per-CPU counters, summed over rounds, or "no counters"."""
    rows, missing = label_rows if label_rows is not None else spread_rows(res)
    if not rows and not missing:
        return ""
    head = ("work spread of crypt-mt (per-CPU counters, /sys/kernel/debug/crypt-mt/stats, "
            "summed over rounds):")
    if not rows:
        return head + "\n  no counters (this crypt-mt has no stats file)\n"
    cols = ["bytes per CPU"] + SPREAD_COLS + ["other"]
    if not any(r[1][-1] for r in rows):
        cols = cols[:-1]
        rows = [(label, cells[:-1]) for label, cells in rows]
    out = table(head + "\n  bytes: share converted on each CPU; bios started inline / queued; "
                "sent: helper jobs dispatched; helped: chunks converted for a bio started on "
                "another CPU; wasted: helper jobs that found no work; pieces: extra read clones "
                "(reads sent down in pieces)", rows, cols)
    if missing:
        out += "  (%d more run(s) had no counters)\n" % missing
    return out


# ---- plot ----

def plot(rep, base, png):
    res = rep["results"]
    configs = rep["configs_present"]
    dat = base + ".dat"
    blocks = []
    with open(dat, "w") as f:
        for cipher, _ in CIPHERS:
            if cipher not in res:
                continue
            f.write("# %s: workload then median min max per configuration (%s)\n"
                    % (cipher, " ".join(configs)))
            for w in WORKLOAD_NAMES:
                if w not in res[cipher]:
                    continue
                row = [w + ("" if cipher == "aes" else "/null")]
                for c in configs:
                    s = res[cipher][w].get(c, {}).get("mibs")
                    row += ["%.3f %.3f %.3f" % (s["median"], s["min"], s["max"]) if s else "NaN NaN NaN"]
                f.write(" ".join(row) + "\n")
            f.write("\n\n")
            blocks.append(cipher)
    gp = base + ".gp"
    title = ("crypt-mt bench %s: %s vCPUs (QEMU TCG), kernel %s, %s, median of %s rounds, "
             "bars min-max" % (rep["date"][:10], rep["vm"].get("ncpu"), rep["vm"].get("kernel"),
                               rep["params"].get("dev"), rep["params"].get("rounds")))
    palette = {"raw": "#777777", "linear": "#bbbbbb", "crypt": "#1f77b4", "crypt-1m": "#08306b",
               "crypt-32k": "#4292c6", "crypt-nowq": "#6baed6", "crypt-samecpu": "#9ecae1",
               "mt": "#d62728", "mt-nowq": "#ff9896"}
    lim = rep.get("limit")
    with open(gp, "w") as f:
        f.write('set terminal pngcairo size 1400,%d font "sans,10"\n' % (450 * len(blocks) + 60))
        f.write('set output "%s"\n' % png)
        f.write("set termoption noenhanced\n")
        f.write("set multiplot layout %d,1 title \"%s\"\n" % (len(blocks), title))
        f.write("set style data histogram\nset style histogram errorbars gap 2 lw 1\n")
        f.write("set style fill solid 0.85 border -1\nset boxwidth 0.9\n")
        f.write("set logscale y\nset ylabel \"MiB/s (log)\"\nset grid ytics\n")
        f.write("set key outside right top vertical\nset xtics nomirror rotate by -20\n")
        # the same plot width in every panel, whatever its key holds
        f.write("set lmargin at screen 0.06\nset rmargin at screen 0.84\n")
        for bi, cipher in enumerate(blocks):
            f.write('set title "%s"\n' % dict(CIPHERS)[cipher])
            f.write("unset arrow\nset yrange [*:*]\n")
            keys = []
            if cipher == "aes" and lim:
                # The cipher limit: N vCPUs, and one vCPU (what a bio that
                # stays on one CPU can get).  Drawn as arrows across the
                # plot, named in the key.
                n = lim["vcpus"]
                full = (lim["limit_enc_mibs"] + lim["limit_dec_mibs"]) / 2.0
                for k, (y, dt, text) in enumerate((
                        (full, 2, "limit, %d vCPUs: %.0f" % (n, full)),
                        (full / n, 3, "limit, one vCPU: %.0f" % (full / n)))):
                    f.write("set arrow %d from graph 0, first %f to graph 1, first %f nohead "
                            "dt %d lw 1.5 lc rgb \"#000000\" front\n" % (k + 1, y, y, dt))
                    keys.append("NaN with lines dt %d lw 1.5 lc rgb \"#000000\" title \"%s\""
                                % (dt, text))
                top = max([full] + [cell["mibs"]["max"] for cells in res[cipher].values()
                                    for cell in cells.values() if "mibs" in cell])
                f.write("set yrange [*:%f]\n" % (top * 1.5))
            parts = []
            for ci, c in enumerate(configs):
                if cipher != "aes" and c == "raw":
                    continue
                if not any(c in res[cipher].get(w, {}) for w in WORKLOAD_NAMES):
                    continue
                col = 2 + 3 * ci
                xt = ":xtic(1)" if not parts else ""
                parts.append("'%s' index %d using %d:%d:%d%s title \"%s\" lc rgb \"%s\""
                             % (dat, bi, col, col + 1, col + 2, xt, c, palette.get(c, "#2ca02c")))
            f.write("plot " + ", \\\n     ".join(parts + keys) + "\n")
        f.write("unset multiplot\n")
    r = subprocess.run(["gnuplot", gp], capture_output=True, text=True)
    if r.returncode != 0:
        sys.stderr.write(r.stderr)
        raise SystemExit("bench-report: gnuplot failed")


# ---- vCPU scaling (--scale) ----

SCALE_WORKLOADS = ["seq-write-1j", "seq-read-1j"]


def scale_report(a, params, host):
    """One VM per vCPU count: MiB/s of one job against the vCPUs."""
    runs, problems = {}, []
    for path in a.scale_logs:
        rec = parse_log(path)
        n = rec["info"].get("ncpu")
        if not n:
            problems.append("%s: no VM facts (the run did not start)" % path)
            continue
        res = aggregate(rec)
        lim = limit_of(rec)
        add_fractions(res, lim)
        problems += ["%s vCPUs: %s" % (n, e) for e in rec["errors"]]
        problems += ["%s vCPUs: FAIL %s" % (n, f) for f in rec["fails"]]
        if not rec["done"]:
            problems.append("the run at %s vCPUs did not finish" % n)
        if rec["plan"] is not None and len(rec["runs"]) != rec["plan"]:
            problems.append("%s vCPUs: %d of %d runs" % (n, len(rec["runs"]), rec["plan"]))
        runs[n] = {"vm": {k: v for k, v in rec["info"].items() if not k.startswith("table_")},
                   "limit": lim, "results": res,
                   "runs_planned": rec["plan"], "runs_done": len(rec["runs"])}
    ncpus = sorted(runs, key=int)
    configs = [c for c in CONFIG_NAMES
               if any(c in runs[n]["results"].get("aes", {}).get(w, {})
                      for n in ncpus for w in SCALE_WORKLOADS)]
    first = runs[ncpus[0]]["vm"] if ncpus else {}
    rep = {"date": a.date, "kind": "scale", "host": host, "params": params, "vm": first,
           "vcpus": [int(n) for n in ncpus], "configs_present": configs,
           "workloads": SCALE_WORKLOADS, "by_vcpus": runs, "problems": problems}

    lines = ["crypt-mt benchmark, vCPU scaling, %s" % a.date,
             "VM: QEMU %s TCG, -cpu max (%s), %s MiB, kernel %s; host: %s"
             % (host.get("qemu", "?"), first.get("cpu_model", "?"), params.get("mem_mib"),
                first.get("kernel"), host.get("cpu", "?")),
             "one VM per vCPU count; fio %s, 1 MiB blocks, 1 job, QD1, on %s; %s round(s) x %s s; "
             "median (min-max) over rounds"
             % (first.get("fio", "?"), first.get("dev"), first.get("rounds"),
                first.get("runtime_s")), ""]
    head = ["%s vCPU%s" % (n, "s" if n != "1" else "") for n in ncpus]
    rows = []
    for w in SCALE_WORKLOADS:
        for c in configs:
            rows.append(("%s %s" % (w, c),
                         [cell_text(runs[n]["results"].get("aes", {}).get(w, {}).get(c, {})
                                    .get("mibs")) for n in ncpus]))
    rows.append(("limit: N x one vCPU (enc/dec)",
                 ["%s/%s" % (fmt(runs[n]["limit"]["limit_enc_mibs"]),
                             fmt(runs[n]["limit"]["limit_dec_mibs"]))
                  if runs[n]["limit"] else "-" for n in ncpus]))
    lines.append(table("MiB/s of one job against vCPUs, aes-xts-plain64, 512-bit key:", rows, head))
    srows, smiss = [], 0
    for n in ncpus:
        r, m = spread_rows(runs[n]["results"], "%s vCPUs: " % n)
        srows += r
        smiss += m
    lines.append(spread_text(None, (srows, smiss)))
    txt = "\n".join(l for l in lines if l is not None).rstrip() + "\n"
    if problems:
        txt += "PROBLEMS:\n" + "".join("  %s\n" % p for p in problems)

    base = os.path.join(a.out, a.name)
    with open(base + ".json", "w") as f:
        json.dump(rep, f, indent=1)
        f.write("\n")
    with open(base + ".txt", "w") as f:
        f.write(txt)
    if ncpus and configs:
        scale_plot(rep, os.path.join(a.work, "scale-plot"), base + ".png")
    sys.stdout.write(txt)
    return 1 if (problems or not ncpus or not configs) else 0


def scale_plot(rep, base, png):
    runs, ncpus = rep["by_vcpus"], [str(n) for n in rep["vcpus"]]
    palette = {"raw": "#777777", "crypt": "#1f77b4", "crypt-nowq": "#6baed6", "mt": "#d62728"}
    dat = base + ".dat"
    with open(dat, "w") as f:
        for w in SCALE_WORKLOADS:
            f.write("# %s: vCPUs, then median min max per configuration (%s), then the limit\n"
                    % (w, " ".join(rep["configs_present"])))
            for n in ncpus:
                row = [n]
                for c in rep["configs_present"]:
                    s = runs[n]["results"].get("aes", {}).get(w, {}).get(c, {}).get("mibs")
                    row.append("%.3f %.3f %.3f" % (s["median"], s["min"], s["max"]) if s
                               else "NaN NaN NaN")
                lim = runs[n]["limit"]
                key = "limit_enc_mibs" if "write" in w else "limit_dec_mibs"
                row.append("%.3f" % lim[key] if lim else "NaN")
                f.write(" ".join(row) + "\n")
            f.write("\n\n")
    gp = base + ".gp"
    nc = len(rep["configs_present"])
    with open(gp, "w") as f:
        f.write('set terminal pngcairo size 1200,900 font "sans,10"\n')
        f.write('set output "%s"\nset termoption noenhanced\n' % png)
        f.write('set multiplot layout 2,1 title "crypt-mt bench %s: one job (1 MiB, QD1) against '
                'vCPUs, kernel %s, QEMU TCG; bars min-max"\n'
                % (rep["date"][:10], rep["vm"].get("kernel")))
        f.write("set logscale y\nset ylabel \"MiB/s (log)\"\nset xlabel \"vCPUs\"\n")
        f.write("set grid\nset key outside right top vertical\n")
        f.write("set xtics (%s)\n" % ", ".join('"%s" %s' % (n, n) for n in ncpus))
        f.write("set xrange [%f:%f]\n" % (int(ncpus[0]) * 0.8, int(ncpus[-1]) * 1.25))
        for wi, w in enumerate(SCALE_WORKLOADS):
            f.write('set title "%s (%s)"\n' % (w, "encrypt" if "write" in w else "decrypt"))
            parts = []
            for ci, c in enumerate(rep["configs_present"]):
                col = 2 + 3 * ci
                parts.append("'%s' index %d using 1:%d:%d:%d with yerrorlines title \"%s\" "
                             "lw 2 pt 7 lc rgb \"%s\"" % (dat, wi, col, col + 1, col + 2, c,
                                                          palette.get(c, "#2ca02c")))
            parts.append("'%s' index %d using 1:%d with linespoints dt 2 lw 1.5 pt 1 "
                         "lc rgb \"#000000\" title \"cipher limit (N x one vCPU)\""
                         % (dat, wi, 2 + 3 * nc))
            f.write("plot " + ", \\\n     ".join(parts) + "\n")
        f.write("unset multiplot\n")
    r = subprocess.run(["gnuplot", gp], capture_output=True, text=True)
    if r.returncode != 0:
        sys.stderr.write(r.stderr)
        raise SystemExit("bench-report: gnuplot failed")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--work", required=True, help="for the gnuplot script and data")
    ap.add_argument("--name", required=True, help="file name without extension")
    ap.add_argument("--date", required=True)
    ap.add_argument("--meta", action="append", default=[], help="KEY=VALUE for params/host")
    ap.add_argument("--main", dest="main_log")
    ap.add_argument("--scale", dest="scale_logs", nargs="+")
    ap.add_argument("mem_logs", nargs="*")
    a = ap.parse_args()

    params, host = {}, {}
    for kv in a.meta:
        k, _, v = kv.partition("=")
        (host if k.startswith("host_") else params)[k.replace("host_", "", 1)] = v
    os.makedirs(a.out, exist_ok=True)
    if a.scale_logs:
        return scale_report(a, params, host)

    mem_recs = [parse_log(p) for p in a.mem_logs]
    if a.main_log:
        main_rec = parse_log(a.main_log)
        mem_recs.insert(0, main_rec)
    else:
        main_rec = mem_recs[0]
    for k in ("rounds", "runtime_s", "ramp_s", "dev", "region_mib"):
        params.setdefault(k, main_rec["info"].get(k))

    res = aggregate(main_rec)
    limit = limit_of(main_rec)
    add_fractions(res, limit)
    add_linear_fractions(res)
    present = [c for c in CONFIG_NAMES if any(c in cells for wl in res.values()
                                               for cells in wl.values())]
    problems = list(main_rec["errors"])
    for r in mem_recs:
        if r is main_rec:
            continue
        problems += r["errors"]
        if not r["done"]:
            problems.append("memory run at %s vCPUs did not finish" % r["info"].get("ncpu", "?"))
    if a.main_log and not main_rec["done"]:
        problems.append("the main run did not finish")
    if a.main_log and main_rec["plan"] is not None and len(main_rec["runs"]) != main_rec["plan"]:
        problems.append("%d of %d fio runs gave results" % (len(main_rec["runs"]), main_rec["plan"]))
    ncpu = main_rec["info"].get("ncpu", "?")
    rep = {
        "date": a.date,
        "host": host,
        "vm": {k: v for k, v in main_rec["info"].items() if not k.startswith("table_")},
        "tables": {k[6:]: v for k, v in main_rec["info"].items() if k.startswith("table_")},
        "params": params,
        "configs": [{"name": c[0], "target": c[1], "options": c[2], "meaning": c[3]}
                    for c in CONFIGS],
        "workloads": [{"name": w[0], "rw": w[1], "bs": w[2], "jobs": ncpu if w[3] == "N" else 1,
                       "iodepth": w[4], "meaning": w[5]} for w in WORKLOADS],
        "ciphers": {c: d for c, d in CIPHERS},
        "configs_present": present,
        "limit": limit,
        "results": res,
        "memory": memory_of(mem_recs),
        "failures": main_rec["fails"],
        "problems": problems,
        "runs_planned": main_rec["plan"],
        "runs_done": len(main_rec["runs"]),
    }
    base = os.path.join(a.out, a.name)
    txt = text_report(rep)
    if problems:
        txt += "PROBLEMS:\n" + "".join("  %s\n" % p for p in problems)
    with open(base + ".json", "w") as f:
        json.dump(rep, f, indent=1, sort_keys=False)
        f.write("\n")
    with open(base + ".txt", "w") as f:
        f.write(txt)
    if a.main_log:
        plot(rep, os.path.join(a.work, "plot"), base + ".png")
    sys.stdout.write(txt)
    if a.main_log and not res:
        return 1
    return 1 if (problems or rep["failures"] or not rep["memory"]) else 0


if __name__ == "__main__":
    sys.exit(main())
