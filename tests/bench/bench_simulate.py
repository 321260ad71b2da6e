#!/usr/bin/env python3
"""Simulate benchmark (release build, whole processes, wall clock).

1. 100,000 generated ~2 KB events (tests/bench/gen_trace.py --pad 2000)
   through the examples' policy on one thread and on two threads, and a
   parse-only pass (read + parse, no evaluation) over the same file by the
   same binary: nine rounds of the four commands in turn, best and median
   of each.
2. Twenty alternating pairs of the one- and two-thread commands: the
   median of each and their ratio, a second reading of the two-thread
   speed-up over more runs than the rounds above.
3. Peak RSS on a ~1 GB trace (the 100k file repeated four times).

Run from the repository root:  python3 tests/bench/bench_simulate.py
"""
import os
import shutil
import subprocess
import sys
import statistics
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.join(ROOT, "target", "release", "guardctl")
DIR = os.path.join(ROOT, "target", "bench")
TRACE = os.path.join(DIR, "events-100k.jsonl")
BIG = os.path.join(DIR, "events-1g.jsonl")


# One-thread runs are pinned to one core (taskset), so the reading and
# folding cannot borrow a second core.
PIN = ["taskset", "-c", "0"] if shutil.which("taskset") else []


def once(args, pin=False):
    t = time.perf_counter()
    subprocess.run((PIN if pin else []) + [BIN] + args, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t


def rounds(commands, runs=9):
    """Best and median time of each (args, pinned) command over `runs`
    rounds, each round running every command once in turn. The machine's
    speed drifts over seconds to minutes; taking turns lets every command
    sample the same drift, so their ratios compare like with like, and
    the best of each is its time on the quietest machine seen."""
    times = [[] for _ in commands]
    for _ in range(runs):
        for t, (args, pin) in zip(times, commands):
            t.append(once(args, pin=pin))
    return [(min(t), statistics.median(t)) for t in times]


def main():
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    os.makedirs(DIR, exist_ok=True)
    if not os.path.exists(TRACE):
        subprocess.run([sys.executable, os.path.join(ROOT, "tests/bench/gen_trace.py"), "100000", TRACE, "--pad", "2000", "--no-malformed"], check=True)
    size = os.path.getsize(TRACE)
    n = 100_000
    base = ["simulate", os.path.join(ROOT, "examples", "policies"), os.path.join(ROOT, "examples", "agents"), "--traces", TRACE]
    one, two = base + ["--threads", "1"], base + ["--threads", "2"]
    (t1, m1), (t2, m2), (p1, q1), (p2, q2) = rounds([
        (one, True),
        (two, False),
        (one + ["--parse-only"], True),
        (two + ["--parse-only"], False),
    ])
    print(f"trace: {n} events, {size / 1e6:.0f} MB ({size / n:.0f} bytes/event)")
    print("best of 9 rounds (median in brackets):")
    print(f"simulate, 1 thread (one core): {t1:.2f} s  {n / t1:,.0f} events/s  [{m1:.2f} s  {n / m1:,.0f} events/s]")
    print(f"simulate, 2 threads: {t2:.2f} s  {n / t2:,.0f} events/s  ({t1 / t2:.2f}x one thread)  [{m2:.2f} s  {m1 / m2:.2f}x]")
    print(f"parse only, 1 thread : {p1:.2f} s  -> simulate runs at {p1 / t1:.2f} of parse-only speed  [{q1:.2f} s  {q1 / m1:.2f}]")
    print(f"parse only, 2 threads: {p2:.2f} s  -> simulate runs at {p2 / t2:.2f} of parse-only speed  [{q2:.2f} s  {q2 / m2:.2f}]")
    (_, a1), (_, a2) = rounds([(one, True), (two, False)], runs=20)
    print(f"20 alternating pairs: medians {a1:.3f} s and {a2:.3f} s, two threads {a1 / a2:.2f}x one thread")
    if not os.path.exists(BIG):
        # Copied in 1 MB pieces: on exec, Linux keeps the peak RSS of the
        # process image it replaces in the child's ru_maxrss, so a parent
        # that held the 250 MB file would report its own peak as the
        # child's.
        with open(BIG, "wb") as out:
            for _ in range(4):
                with open(TRACE, "rb") as src:
                    shutil.copyfileobj(src, out, 1 << 20)
    # wait4 gives this one process's peak RSS (RUSAGE_CHILDREN would include
    # the cargo build above).
    t = time.perf_counter()
    proc = subprocess.Popen([BIN, "simulate", os.path.join(ROOT, "examples", "policies"), os.path.join(ROOT, "examples", "agents"), "--traces", BIG], stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    dt = time.perf_counter() - t
    if status != 0:
        sys.exit("simulate failed on the 1 GB trace")
    print(f"1 GB trace ({os.path.getsize(BIG) / 1e9:.2f} GB): {dt:.1f} s, peak RSS {usage.ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
