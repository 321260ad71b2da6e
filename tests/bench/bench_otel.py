#!/usr/bin/env python3
"""OpenTelemetry GenAI reading benchmark (release build, whole processes).

Builds a large OTLP/JSON export from the fixtures in tests/fixtures/otel/
(each fixture's lines repeated with fresh trace and span ids, so no two
copies correlate), then times, best and median of five:

1. `guardctl traces show` of it (read, correlate spans and log records,
   write one guardctl JSONL line per event) to /dev/null;
2. `guardctl simulate examples --traces` of it (the same reading, then
   every rule of the examples on each event);
3. the peer floor: Python's `json.loads` of every line, which only parses
   (no conventions, no correlation, no output).

Run from the repository root:  python3 tests/bench/bench_otel.py
"""
import json
import os
import re
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.join(ROOT, "target", "release", "guardctl")
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "otel")
DIR = os.path.join(ROOT, "target", "bench")
TRACE = os.path.join(DIR, "otel-big.jsonl")
COPIES = int(os.environ.get("COPIES", "400"))

HEX = re.compile(r'"(traceId|spanId|parentSpanId)":"([0-9a-f]+)"')
CALL = re.compile(r'call_([A-Za-z0-9]{8})')


def build():
    os.makedirs(DIR, exist_ok=True)
    names = sorted(f for f in os.listdir(FIXTURES) if f.endswith(".jsonl"))
    lines = []
    for n in names:
        with open(os.path.join(FIXTURES, n)) as f:
            lines.append([l.rstrip("\n") for l in f if l.strip()])
    with open(TRACE, "w") as out:
        for c in range(COPIES):
            for fi, fixture in enumerate(lines):
                # Per copy and fixture: each fixture replays the same
                # recording, whose tool-call ids would otherwise meet.
                tag = f"{c:05x}{fi:03x}"
                for l in fixture:
                    # A fresh id per copy, of the same length.
                    l = HEX.sub(lambda m: f'"{m.group(1)}":"{tag}{m.group(2)[8:]}"', l)
                    # Tool-call ids too: calls and results meet by them.
                    l = CALL.sub(f"call_{tag}", l)
                    out.write(l)
                    out.write("\n")
    return os.path.getsize(TRACE)


def timed(cmd, **kw):
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)
    return time.perf_counter() - t


def python_parse():
    t = time.perf_counter()
    with open(TRACE) as f:
        for l in f:
            json.loads(l)
    return time.perf_counter() - t


def main():
    if not os.path.exists(BIN):
        sys.exit("build first: cargo build --release")
    size = build()
    events = subprocess.run([BIN, "traces", "show", TRACE], capture_output=True, text=True).stdout.count("\n")
    runs = {"traces show": [], "simulate": [], "python json.loads": []}
    for _ in range(5):
        runs["traces show"].append(timed([BIN, "traces", "show", TRACE]))
        runs["simulate"].append(timed([BIN, "simulate", "examples/policies", "examples/agents", "--traces", TRACE], cwd=ROOT))
        runs["python json.loads"].append(python_parse())
    print(f"{size / 1e6:.1f} MB, {events} events ({COPIES} copies of the fixtures)")
    for k, v in runs.items():
        print(f"{k:<20} best {min(v):.3f} s  median {statistics.median(v):.3f} s")
    ratio = statistics.median(runs["python json.loads"]) / statistics.median(runs["traces show"])
    print(f"traces show vs json.loads alone: {ratio:.2f}x")


if __name__ == "__main__":
    main()
