#!/usr/bin/env python3
"""Regenerate the OTLP/JSON GenAI fixtures under tests/fixtures/otel/.

What it does
------------
Runs REAL OpenTelemetry GenAI instrumentations (installed from PyPI at exact
versions) over RECORDED OpenAI HTTP responses and writes what they emit
(spans, log records, metrics) as OTLP/JSON lines, in the format of the
OpenTelemetry Collector ``file`` exporter:

    {"resourceSpans":[...]}      one line per exported batch of spans
    {"resourceLogs":[...]}       one line per exported batch of log records
    {"resourceMetrics":[...]}    one line per metrics collection

1. One venv per instrumentation (their dependency pins conflict):
   ``target/otel-venv-<name>`` (``target/`` is gitignored), installed from
   ``tests/otel/requirements-<name>.txt`` (full ``pip freeze`` pins).
2. The recorded responses are the vcrpy cassettes shipped in the sdist of
   ``opentelemetry-instrumentation-openai-v2==2.4b0`` (Apache-2.0), fetched
   with ``pip download --no-binary :all: --no-deps`` into
   ``target/otel-cassettes/``.  They are replayed by an httpx transport
   (``otel_common.CassetteTransport``: vcrpy "record_mode=none" semantics,
   match on method+path, each interaction once, in order) plugged into the
   real ``openai`` client, so the client parses real responses and the
   instrumentation wraps real calls.  For the plain-openai runners every
   recorded request body is re-sent verbatim and checked against the
   cassette (strict).
3. Each fixture runs in its own subprocess with a clean environment plus the
   fixture's capture-mode environment variables (so each mode is configured
   the way a user would: through env vars read at instrument time).
4. Ids and timestamps are normalised deterministically (see otel_common.py
   and tests/fixtures/otel/VERSIONS.md); attribute content is untouched.

How to run
----------
From the repository root, with Python 3.11 and access to PyPI:

    python3 tests/otel/make_fixtures.py              # all fixtures
    python3 tests/otel/make_fixtures.py --list       # list fixture names
    python3 tests/otel/make_fixtures.py --only openai-v2-span-only pydantic-ai
    python3 tests/otel/make_fixtures.py --skip-install   # reuse existing venvs

Nothing here needs cargo or network access other than PyPI.  After a run,
review ``git diff tests/fixtures/otel`` and update VERSIONS.md if versions
changed.  Only the duration-histogram values in the metrics lines differ
between runs (they measure real elapsed time).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
TARGET = os.path.join(REPO, "target")
OUT_DIR = os.path.join(REPO, "tests", "fixtures", "otel")

CASSETTE_SDIST = ("opentelemetry-instrumentation-openai-v2", "2.4b0")
CASSETTE_SUBDIR = "opentelemetry_instrumentation_openai_v2-2.4b0/tests/cassettes"

VENVS = ["openai-v2", "openllmetry-old", "openllmetry-new", "openinference", "pydantic-ai"]

LATEST = {"OTEL_SEMCONV_STABILITY_OPT_IN": "gen_ai_latest_experimental"}
CAPTURE = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
OPENAI_RUNNER = "run_openai_client.py"
PAI_RUNNER = "run_pydantic_ai.py"

# name -> (venv, runner, extra args, env)
FIXTURES = {
    # opentelemetry-instrumentation-openai-v2: legacy semconv (v1.30) path
    "openai-v2-legacy-default": ("openai-v2", OPENAI_RUNNER, ["--instrumentation", "openai-v2"], {}),
    "openai-v2-legacy-content": ("openai-v2", OPENAI_RUNNER, ["--instrumentation", "openai-v2"], {CAPTURE: "true"}),
    # ... and the latest-experimental path (via opentelemetry-util-genai)
    "openai-v2-no-content": ("openai-v2", OPENAI_RUNNER, ["--instrumentation", "openai-v2"], {**LATEST, CAPTURE: "NO_CONTENT"}),
    "openai-v2-span-only": ("openai-v2", OPENAI_RUNNER, ["--instrumentation", "openai-v2"], {**LATEST, CAPTURE: "SPAN_ONLY"}),
    "openai-v2-event-only": ("openai-v2", OPENAI_RUNNER, ["--instrumentation", "openai-v2"], {**LATEST, CAPTURE: "EVENT_ONLY"}),
    "openai-v2-span-and-event": ("openai-v2", OPENAI_RUNNER, ["--instrumentation", "openai-v2"], {**LATEST, CAPTURE: "SPAN_AND_EVENT"}),
    # OpenLLMetry (traceloop) opentelemetry-instrumentation-openai
    "openllmetry-old-attributes": ("openllmetry-old", OPENAI_RUNNER, ["--instrumentation", "openllmetry"], {}),
    "openllmetry-old-events": ("openllmetry-old", OPENAI_RUNNER, ["--instrumentation", "openllmetry", "--events"], {}),
    "openllmetry-new-attributes": ("openllmetry-new", OPENAI_RUNNER, ["--instrumentation", "openllmetry"], {}),
    "openllmetry-new-events": ("openllmetry-new", OPENAI_RUNNER, ["--instrumentation", "openllmetry", "--events"], {}),
    "openllmetry-new-no-content": ("openllmetry-new", OPENAI_RUNNER, ["--instrumentation", "openllmetry"], {"TRACELOOP_TRACE_CONTENT": "false"}),
    # Arize OpenInference
    "openinference-openai": ("openinference", OPENAI_RUNNER, ["--instrumentation", "openinference"], {}),
    "openinference-openai-hide-io": ("openinference", OPENAI_RUNNER, ["--instrumentation", "openinference"],
                                     {"OPENINFERENCE_HIDE_INPUTS": "true", "OPENINFERENCE_HIDE_OUTPUTS": "true"}),
    # pydantic-ai agent with a tool, built-in instrumentation
    "pydantic-ai-agent": ("pydantic-ai", PAI_RUNNER, [], {}),
    "pydantic-ai-agent-v6": ("pydantic-ai", PAI_RUNNER, ["--version", "6"], {}),
    "pydantic-ai-agent-no-content": ("pydantic-ai", PAI_RUNNER, ["--no-content"], {}),
}

# Variables that would change what the instrumentations emit; never inherited.
SCRUB_PREFIXES = ("OTEL_", "TRACELOOP_", "OPENINFERENCE_", "OPENAI_", "LOGFIRE_", "PYDANTIC_AI_")


def run(cmd, **kw):
    print("+ " + " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, **kw)


def venv_python(name: str) -> str:
    return os.path.join(TARGET, f"otel-venv-{name}", "bin", "python")


def ensure_venv(name: str, skip_install: bool) -> None:
    req = os.path.join(HERE, f"requirements-{name}.txt")
    vdir = os.path.join(TARGET, f"otel-venv-{name}")
    stamp = os.path.join(vdir, ".requirements.sha256")
    digest = hashlib.sha256(open(req, "rb").read()).hexdigest()
    if not os.path.exists(venv_python(name)):
        run([sys.executable, "-m", "venv", vdir])
    elif skip_install or (os.path.exists(stamp) and open(stamp).read().strip() == digest):
        return
    run([venv_python(name), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r", req])
    with open(stamp, "w") as fh:
        fh.write(digest + "\n")


def ensure_cassettes() -> str:
    base = os.path.join(TARGET, "otel-cassettes")
    cdir = os.path.join(base, CASSETTE_SUBDIR)
    if os.path.isdir(cdir):
        return cdir
    os.makedirs(base, exist_ok=True)
    pkg, ver = CASSETTE_SDIST
    run([sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check",
         "--no-binary", ":all:", "--no-deps", f"{pkg}=={ver}", "-d", base])
    sdist = os.path.join(base, f"{pkg.replace('-', '_')}-{ver}.tar.gz")
    with tarfile.open(sdist) as tf:
        members = [m for m in tf.getmembers() if "/tests/cassettes/" in m.name and m.isfile()]
        tf.extractall(base, members=members)
    return cdir


def clean_env(extra: dict) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(SCRUB_PREFIXES)}
    env["PYTHONHASHSEED"] = "0"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra)
    return env


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", nargs="*", help="fixture names (default: all)")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--skip-install", action="store_true", help="reuse existing venvs as they are")
    ap.add_argument("--out-dir", default=OUT_DIR)
    a = ap.parse_args()

    if a.list:
        for name, (venv, runner, args, env) in FIXTURES.items():
            print(f"{name:32} venv={venv:16} {runner} {' '.join(args)} {env}")
        return
    names = a.only or list(FIXTURES)
    unknown = [n for n in names if n not in FIXTURES]
    if unknown:
        raise SystemExit(f"unknown fixture(s): {unknown}")

    os.makedirs(a.out_dir, exist_ok=True)
    cassettes = ensure_cassettes()
    for venv in sorted({FIXTURES[n][0] for n in names}, key=VENVS.index):
        ensure_venv(venv, a.skip_install)

    summaries = []
    for name in names:
        venv, runner, args, env = FIXTURES[name]
        out = os.path.join(a.out_dir, f"{name}.jsonl")
        cmd = [venv_python(venv), os.path.join(HERE, runner), *args,
               "--cassettes", cassettes, "--fixture-name", name, "--out", out]
        print(f"== {name}  env={env}", flush=True)
        res = subprocess.run(cmd, env=clean_env(env), cwd=HERE, capture_output=True, text=True)
        sys.stderr.write(res.stderr)
        if res.returncode != 0:
            raise SystemExit(f"{name}: runner failed ({res.returncode})")
        summary = json.loads(res.stdout.strip().splitlines()[-1])
        summary["bytes"] = os.path.getsize(out)
        summaries.append(summary)
        print("   " + json.dumps(summary), flush=True)
    print("\nwrote %d fixtures to %s" % (len(summaries), os.path.relpath(a.out_dir, REPO)))


if __name__ == "__main__":
    main()
