#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the "@@PROF" lines of scripts/profile-guest.sh into a report.

perf sampled every vCPU at a fixed rate, idle included, so a symbol's share
of the samples times (vCPUs x seconds recorded) is the CPU time it took, and
that divided by the I/Os fio did in the same time is its cost per I/O.
Idle is the time the CPUs had nothing to do; "busy" is everything else.
Every number is the median over the rounds of that number in each round.

    scripts/profile-report.py [--top N] [--out FILE] GUEST_OUTPUT
"""
import argparse
import statistics
import sys
from collections import defaultdict

# Where an idle CPU's samples land (the idle loop's halt or poll).
IDLE = {
    "pv_native_safe_halt", "native_safe_halt", "default_idle", "arch_cpu_idle",
    "cpu_idle_poll", "poll_idle", "mwait_idle_with_hints", "acpi_idle_do_entry",
    "intel_idle", "acpi_safe_halt", "default_idle_call",
}


def parse(path):
    info, runs, syms, errors = {}, {}, defaultdict(dict), []
    owner = {}
    done = False
    with open(path, errors="replace") as f:
        for line in f:
            pos = line.find("@@PROF ")
            if pos < 0:
                continue
            w = line[pos:].split()
            if len(w) < 2:
                continue
            kind = w[1]
            if kind == "INFO" and len(w) >= 4:
                info[w[2]] = " ".join(w[3:])
            elif kind == "RUN" and len(w) == 6:
                runs[(int(w[2]), w[3])] = (int(w[4]), int(w[5]))
            elif kind == "SYM" and len(w) == 7:
                key, pct, own, sym = (int(w[2]), w[3]), float(w[4]), w[5], w[6]
                syms[key][sym] = syms[key].get(sym, 0.0) + pct
                owner[sym] = own
            elif kind == "ERROR":
                errors.append(" ".join(w[2:]))
            elif kind == "DONE":
                done = True
    return info, runs, syms, owner, errors, done


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--out")
    ap.add_argument("output")
    a = ap.parse_args()
    info, runs, syms, owner, errors, done = parse(a.output)
    if errors or not done or not runs:
        for e in errors:
            print("profile: guest error:", e, file=sys.stderr)
        print("profile: incomplete guest output", file=sys.stderr)
        return 1
    cfgs = list(dict.fromkeys(c for _, c in runs))
    rounds = sorted({r for r, _ in runs})
    ncpu = int(info.get("vcpus", "1"))

    def us(key, pct):
        ios, cs = runs[key]
        return pct / 100.0 * ncpu * cs / 100.0 / ios * 1e6

    def med(c, f):
        """Median over the rounds of f(round's key) for configuration c."""
        return statistics.median(f((r, c)) for r in rounds if (r, c) in runs)

    def total(c, pred):
        return med(c, lambda k: sum(us(k, p) for s, p in syms[k].items() if pred(s)))

    def sym_us(c, s):
        return med(c, lambda k: us(k, syms[k].get(s, 0.0)))

    lines = []
    out = lines.append
    out("crypt-mt profile: CPU time per I/O, by kernel symbol (perf cpu-clock, all vCPUs)")
    out("VM: %s vCPUs, kernel %s; fio %s on brd; cipher %s; median of %d round(s)"
        % (ncpu, info.get("kernel", "?"), info.get("fio", "?"), info.get("cipher", "?"),
           len(rounds)))
    out("us = share of all samples x vCPUs x seconds recorded / I/Os done; "
        "emulated CPU: read the shape, measure changes with make bench")
    out("")
    w = max(12, max(len(c) for c in cfgs) + 2)
    out("%-34s" % "" + "".join("%*s" % (w, c) for c in cfgs))
    out("%-34s" % "I/Os per second" + "".join(
        "%*.0f" % (w, med(c, lambda k: runs[k][0] / (runs[k][1] / 100.0))) for c in cfgs))
    out("%-34s" % "busy us per I/O" +
        "".join("%*.2f" % (w, total(c, lambda s: s not in IDLE)) for c in cfgs))
    out("%-34s" % "idle us per I/O" +
        "".join("%*.2f" % (w, total(c, lambda s: s in IDLE)) for c in cfgs))
    allsyms = {s for k in syms for s in syms[k] if s not in IDLE}
    for o in sorted({owner[s] for s in allsyms}):
        out("%-34s" % ("  busy in " + o) + "".join(
            "%*.2f" % (w, total(c, lambda s, o=o: s not in IDLE and owner[s] == o))
            for c in cfgs))
    out("")
    out("symbols whose cost per I/O differs most from %s's (us; self time):" % cfgs[0])
    out("%-34s" % "" + "".join("%*s" % (w, c) for c in cfgs) + "  owner")
    table = {s: [sym_us(c, s) for c in cfgs] for s in allsyms}

    def spread(s):
        v = table[s]
        return max(abs(x - v[0]) for x in v)

    for s in sorted(allsyms, key=spread, reverse=True)[:a.top]:
        name = s if len(s) <= 33 else s[:30] + "..."
        out("%-34s" % name + "".join("%*.2f" % (w, x) for x in table[s]) + "  " + owner[s])
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
