#!/usr/bin/env python3
"""Lint benchmark (release build, whole processes, wall clock).

1. `guardctl lint` of one policy file as a whole process (target: well under 10 ms).
2. `guardctl lint` of 1,000 generated policy files against `yamllint` on the
   same files (target: at least 20x faster). yamllint is installed with pip
   into target/bench-venv.

Run from the repository root:  python3 tests/bench/bench_lint.py
Prints one line per measurement and the ratio; numbers are the best of
several runs (median also shown) to cut noise from a shared machine.
"""
import os
import random
import statistics
import subprocess
import sys
import time
import venv

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TARGET = os.path.join(ROOT, "target")
BIN = os.path.join(TARGET, "release", "guardctl")
CORPUS = os.path.join(TARGET, "bench", "policies")
VENV = os.path.join(TARGET, "bench-venv")

ENTITIES = ["EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "US_SSN", "IBAN_CODE", "IP_ADDRESS", "API_KEY", "JWT"]
ACTIONS = ["log", "alert", "warn", "redact", "mask", "block", "escalate"]
KINDS = ["input", "output", "both", "tool_input", "tool_output"]


def policy(i: int, rng: random.Random) -> str:
    """A realistic project policy: settings, a provider, 8-14 rules, governance."""
    lines = [
        f"# Generated policy {i}",
        "POLICY:",
        f"  name: project-{i}",
        f"  description: Guardrails for project {i}",
        "  type: dlp",
        "  scope: project",
        f"  project: proj-{i}",
        "  status: active",
        "  fail_mode: closed",
        "  timeouts: {local: 100ms, model: 3s, llm: 10s}",
        "",
        "PROVIDERS:",
        f"  moderation-{i}:",
        "    adapter: openai_moderation",
        "    endpoint: https://api.openai.example/v1/moderations",
        f"    auth_profile: openai-{i}",
        "    default_category: hate",
        "    default_threshold: 0.8",
        "    supported_categories: [hate, violence, self_harm, sexual, harassment]",
        "",
        "GUARDRAILS:",
    ]
    for r in range(rng.randint(8, 14)):
        lines.append(f"  rule_{r}:")
        lines.append(f"    kind: {rng.choice(KINDS)}")
        shape = rng.randrange(4)
        if shape == 0:
            lines.append(f"    entities: [{', '.join(rng.sample(ENTITIES, 3))}]")
        elif shape == 1:
            lines.append("    patterns:")
            lines.append(f"      - '\\b[a-z0-9-]+\\.corp{r}\\.example\\b'")
            lines.append(f"      - '(?i)secret[-_ ]?{r}'")
        elif shape == 2:
            lines.append(f"    check: \"size(text) < {1000 + r} && !contains_pii(text, ['US_SSN'])\"")
        else:
            lines.append(f"    provider: moderation-{i}")
            lines.append(f"    category: {rng.choice(['hate', 'violence', 'harassment'])}")
            lines.append(f"    threshold: {rng.randint(1, 9) / 10}")
        lines.append(f"    action: {rng.choice(ACTIONS)}")
        lines.append(f"    severity: {rng.choice(['low', 'medium', 'high', 'critical'])}")
        lines.append(f"    priority: {r * 10}")
        if rng.random() < 0.4:
            lines.append("    when:")
            lines.append("      any:")
            lines.append(f"        - {{field: model, operator: starts_with, value: gpt-{rng.randint(3, 5)}}}")
            lines.append("        - {field: identity.team, operator: in, value: [support, sales]}")
        lines.append(f"    message: \"Rule {r} of project {i} triggered\"")
    lines += [
        "",
        "CAPS:",
        f"  daily-{i}:",
        f"    scope: {{project: proj-{i}}}",
        "    window: day",
        f"    limit_usd: {rng.randint(10, 500)}",
        "    action: alert",
        "",
    ]
    return "\n".join(lines)


def generate(n: int) -> None:
    os.makedirs(CORPUS, exist_ok=True)
    rng = random.Random(7)
    for i in range(n):
        with open(os.path.join(CORPUS, f"policy_{i:04}.yaml"), "w") as f:
            f.write(policy(i, rng))


def timed(cmd, runs):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - t)
    return min(times), statistics.median(times)


def main() -> int:
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    generate(1000)
    # The generated corpus must lint clean, or we would time error rendering.
    rc = subprocess.run([BIN, "lint", CORPUS, "--format", "plain"], capture_output=True, text=True)
    if rc.returncode != 0:
        print(rc.stdout[-2000:])
        print("generated corpus does not lint clean", file=sys.stderr)
        return 1
    if not os.path.exists(os.path.join(VENV, "bin", "yamllint")):
        venv.create(VENV, with_pip=True)
        subprocess.run([os.path.join(VENV, "bin", "pip"), "install", "--quiet", "yamllint"], check=True)
    yamllint = os.path.join(VENV, "bin", "yamllint")
    version = subprocess.run([yamllint, "--version"], capture_output=True, text=True).stdout.strip()

    one = os.path.join(ROOT, "examples", "policies", "payments.yaml")
    best, med = timed([BIN, "lint", one], 50)
    print(f"guardctl lint, one file (examples/policies/payments.yaml), whole process: best {best*1000:.2f} ms, median {med*1000:.2f} ms (50 runs)")

    g_best, g_med = timed([BIN, "lint", CORPUS], 5)
    y_best, y_med = timed([yamllint, "-f", "parsable", CORPUS], 3)
    size = sum(os.path.getsize(os.path.join(CORPUS, f)) for f in os.listdir(CORPUS))
    print(f"guardctl lint, 1000 files ({size/1e6:.1f} MB): best {g_best*1000:.1f} ms, median {g_med*1000:.1f} ms")
    print(f"{version}, same 1000 files: best {y_best*1000:.1f} ms, median {y_med*1000:.1f} ms")
    print(f"ratio (yamllint / guardctl, best of runs): {y_best / g_best:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
