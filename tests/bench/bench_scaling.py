#!/usr/bin/env python3
"""Scaling benchmark: time and peak memory of `simulate` as the number of
policy objects of one kind grows (1, 10, 100, 1,000, 10,000), on one
thread, release build, whole processes.

Kinds: rules (entity rules), patterns (one pattern rule each), exceptions
(rule exceptions in force), caps (spend caps, scoped), scopes (project
policies, one rule each), overrides (agent rules overriding a tenant
rule). Each run replays the same 10,000 generated events; a second table
gives 10,000 patterns on one 2 KB event (compile and scan), the bound
docs/limits.md and the README state.

Cost that is linear in the objects shows as a time per object that does
not grow; the last column is t(N) / t(N/10), which stays near 10 or
below when the cost is linear and near 100 when it is quadratic.

Run from the repository root:  python3 tests/bench/bench_scaling.py [--max 10000]
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.join(ROOT, "target", "release", "guardctl")
PIN = ["taskset", "-c", "0"] if shutil.which("taskset") else []
EVENTS = 10_000


def run(args):
    """Wall time (s) and peak RSS (MiB) of one run."""
    t = time.perf_counter()
    p = subprocess.Popen(PIN + [BIN] + args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    err = p.stderr.read().decode() if p.stderr else ""
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        sys.exit(f"failed: {' '.join(args)}\n{err}")
    return wall, usage.ru_maxrss / 1024


def events(path, n, projects, agents):
    with open(path, "w") as f:
        for i in range(n):
            e = {
                "id": f"e{i}",
                "timestamp": f"2026-11-{1 + i % 28:02d}T{i % 24:02d}:00:00Z",
                "project": f"p{i % projects}",
                "agent": f"a{i % agents}",
                "kind": "input",
                "input": f"order {i} for word{i % 97} please check the refund status of my account number {i * 7919}",
                "cost_usd": 0.001,
            }
            f.write(json.dumps(e) + "\n")


def policy_files(kind, n, d):
    """Writes the policy repository for `n` objects of `kind` into `d`;
    returns (projects, agents) the events should spread over."""
    tenant = ["POLICY:\n  name: t\n  scope: tenant\n"]
    rules = ["GUARDRAILS:\n  base:\n    kind: input\n    entities: [US_SSN]\n    action: block\n"]
    projects, agents = 1, 1
    if kind == "rules":
        rules += [f"  r{i}:\n    kind: input\n    entities: [EMAIL_ADDRESS]\n    action: warn\n" for i in range(n)]
    elif kind == "patterns":
        rules += [f"  r{i}:\n    kind: input\n    patterns: ['\\bword{i}\\b']\n    action: warn\n" for i in range(n)]
    elif kind == "exceptions":
        rules += [f"  r{i}:\n    kind: input\n    patterns: ['order']\n    action: block\n" for i in range(min(n, 100))]
        ex = ["EXCEPTIONS:\n"] + [
            f"  x{i}:\n    target: rule/r{i % min(n, 100)}\n    scope: {{project: p{i}}}\n    starts: 2026-01-01\n    expires: 2027-01-01\n    reason: bench\n    status: approved\n    approved_by: a@b.example\n"
            for i in range(n)
        ]
        rules += ex
        projects = n
    elif kind == "caps":
        caps = ["CAPS:\n"] + [
            f"  c{i}:\n    scope: {{project: p{i}}}\n    window: day\n    limit_usd: 0.5\n    action: alert\n"
            for i in range(n)
        ]
        rules += caps
        projects = n
    elif kind == "scopes":
        for i in range(n):
            with open(os.path.join(d, f"p{i}.yaml"), "w") as f:
                f.write(f"POLICY:\n  name: p{i}\n  scope: project\n  project: p{i}\nGUARDRAILS:\n  r:\n    kind: input\n    entities: [EMAIL_ADDRESS]\n    action: warn\n")
        projects = n
    elif kind == "overrides":
        for i in range(n):
            with open(os.path.join(d, f"a{i}.agent.abl"), "w") as f:
                f.write(f"AGENT: a{i}\nGOAL: help\nGUARDRAILS:\n  base:\n    kind: input\n    entities: [US_SSN, EMAIL_ADDRESS]\n    action: block\n")
        agents = n
    with open(os.path.join(d, "tenant.yaml"), "w") as f:
        f.write("".join(tenant + rules))
    return projects, agents


def main():
    top = 10_000
    if "--max" in sys.argv:
        top = int(sys.argv[sys.argv.index("--max") + 1])
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    counts = [c for c in (1, 10, 100, 1000, 10000) if c <= top]
    print(f"simulate, {EVENTS} events, one thread (pinned), release; time s / peak MiB")
    print(f"{'kind':<11}" + "".join(f"{c:>16}" for c in counts) + "   t(max)/t(max/10)")
    for kind in ["rules", "patterns", "exceptions", "caps", "scopes", "overrides"]:
        row, times = [], []
        for n in counts:
            with tempfile.TemporaryDirectory() as d:
                pol = os.path.join(d, "pol")
                os.makedirs(pol)
                projects, agents = policy_files(kind, n, pol)
                trace = os.path.join(d, "t.jsonl")
                events(trace, EVENTS, projects, agents)
                lint = subprocess.run([BIN, "lint", pol], capture_output=True, text=True)
                if lint.returncode != 0:
                    sys.exit(f"{kind} {n}: the generated policy does not lint clean:\n{lint.stdout[-2000:]}")
                wall, rss = run(["simulate", pol, "--traces", trace, "--threads", "1"])
                times.append(wall)
                row.append(f"{wall:7.2f}/{rss:6.0f}")
        ratio = times[-1] / times[-2] if len(times) > 1 and times[-2] > 0 else float("nan")
        print(f"{kind:<11}" + "".join(f"{r:>16}" for r in row) + f"   {ratio:6.1f}")
    # 10,000 patterns: compile and scan one 2 KB event.
    with tempfile.TemporaryDirectory() as d:
        pol = os.path.join(d, "pol")
        os.makedirs(pol)
        policy_files("patterns", top, pol)
        trace = os.path.join(d, "one.jsonl")
        with open(trace, "w") as f:
            f.write(json.dumps({"id": "one", "input": ("word42 and some padding text " * 80)[:2048]}) + "\n")
        best = min(run(["simulate", pol, "--traces", trace, "--threads", "1"]) for _ in range(3))
        print(f"\n{top} patterns, one 2 KB event (compile + scan): {best[0]:.2f} s, peak {best[1]:.0f} MiB")


if __name__ == "__main__":
    main()
