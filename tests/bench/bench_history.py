#!/usr/bin/env python3
"""History benchmark: `guardctl log` and `audit export` over a generated git
repository of COMMITS commits, each changing one of FILES policy files
(release build, whole processes, best of three).

A commit is read from the files it changed: parses of unchanged blobs are
kept from the commit before, and history lints nothing (a diff compares
meanings). The time should grow with the commits and the size of each
commit's diff, not with commits times files.

Run from the repository root:
    python3 tests/bench/bench_history.py [COMMITS] [FILES] [--vs OTHER_BINARY]
"""
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.join(ROOT, "target", "release", "guardctl")


def policy(i, rev):
    return (
        f"POLICY:\n  name: p{i}\n  scope: project\n  project: p{i}\n"
        "GUARDRAILS:\n"
        + "".join(
            f"  r{j}:\n    kind: input\n    patterns: ['\\bword{j}-{rev if j == 0 else 0}\\b']\n    action: {'block' if (rev + j) % 2 else 'warn'}\n"
            for j in range(8)
        )
    )


def best(args, cwd):
    times = []
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run(args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - t)
    return min(times)


def main():
    pos = [a for a in sys.argv[1:] if not a.startswith("--")]
    commits = int(pos[0]) if pos else 1000
    files = int(pos[1]) if len(pos) > 1 else 20
    other = sys.argv[sys.argv.index("--vs") + 1] if "--vs" in sys.argv else None
    with tempfile.TemporaryDirectory() as d:
        git = lambda *a: subprocess.run(["git", *a], cwd=d, check=True, stdout=subprocess.DEVNULL)
        git("init", "-q")
        git("config", "user.email", "a@b.example")
        git("config", "user.name", "A")
        for i in range(files):
            with open(os.path.join(d, f"p{i}.yaml"), "w") as f:
                f.write(policy(i, 0))
        git("add", ".")
        git("commit", "-qm", "start")
        # fast-import would be quicker; plain commits keep the script obvious.
        for c in range(1, commits):
            i = c % files
            with open(os.path.join(d, f"p{i}.yaml"), "w") as f:
                f.write(policy(i, c))
            git("commit", "-qam", f"change {c}")
        print(f"{commits} commits x {files} files")
        for label, b in [("this build", BIN)] + ([("other", other)] if other else []):
            log = best([b, "log"], d)
            audit = best([b, "audit", "export"], d)
            print(f"  {label:<11} log {log:6.2f} s   audit export {audit:6.2f} s")


if __name__ == "__main__":
    main()
