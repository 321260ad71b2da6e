//! The fuzz suite: mutated and generated input of every kind guardctl
//! reads (policy YAML, ABL agent files, CEL, condition trees, traces,
//! OpenTelemetry lines, guardtests, audit files, diff pairs), run through
//! the real binary. Every case must end with an exit code of its own (0, 1
//! or 2: never 3, the internal-error code, and never a signal) within a
//! time and memory bound; `fmt` must reach a text that formats to itself;
//! a card number planted in a trace must not appear in any output.
//!
//! The budget is cases per kind: `GUARDCTL_FUZZ_CASES` (default 60, about
//! a minute in all on two cores), and the campaign is reproducible from
//! `GUARDCTL_FUZZ_SEED` (default fixed). A longer campaign:
//!
//! ```text
//! GUARDCTL_FUZZ_CASES=5000 GUARDCTL_FUZZ_SEED=$RANDOM cargo test --release --test fuzz -- --nocapture
//! ```
//!
//! A failing case is written to `target/fuzz-failures/` with the command
//! that failed.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Wall time one case may take (a debug build on a loaded 2-core machine).
const TIME_BOUND: Duration = Duration::from_secs(20);
/// Address space one run may take (KiB), set with `ulimit -v`.
const MEMORY_BOUND_KIB: u64 = 4 << 20;

const CARD: &str = "4111 1111 1111 1111";

/// xorshift64*: a small deterministic generator (no dependency, and the
/// same cases on every machine for one seed).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

fn cases() -> usize {
    std::env::var("GUARDCTL_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60)
}

fn seed() -> u64 {
    std::env::var("GUARDCTL_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed_1234_abcd_0001)
        | 1
}

/// Pieces that YAML, ABL, CEL and JSON give meaning to.
const TOKENS: &[&str] = &[
    ":",
    ": ",
    "- ",
    "-",
    "[",
    "]",
    "{",
    "}",
    ",",
    "\"",
    "'",
    "|",
    "|+",
    "|-",
    ">",
    ">2",
    "#",
    " #",
    "\t",
    "\n",
    "\r\n",
    "\r",
    "  ",
    "    ",
    "\\",
    "\\n",
    "\\\n",
    "&a",
    "*a",
    "!!str",
    "---",
    "...",
    "?",
    "%",
    "@",
    "`",
    "\u{a0}",
    "\u{2028}",
    "\u{feff}",
    "\u{200b}",
    "é",
    "🙂",
    "\0",
    "\u{7f}",
    "0",
    "-1",
    "1e999",
    "99999999999999999999",
    "null",
    "true",
    "~",
    "GUARDRAILS:",
    "POLICY:",
    "AGENT:",
    "kind: input",
    "check: ",
    "when: ",
    "patterns: ['a{1000}']",
    "(",
    ")",
    "&&",
    "||",
    "!",
    ".exists(x, ",
    "matches(",
    "size(",
    "has(",
    "\"input\":",
    "\"output\":",
    "{\"id\":",
    "\"timestamp\":\"",
    "\"resourceSpans\":[",
    "\"gen_ai.",
    "9223372036854775808",
    "\u{10ffff}",
];

/// One mutation of `text`: flips, inserts, deletes, duplicates, splices
/// from `other`, truncation; several stacked.
fn mutate(rng: &mut Rng, text: &[u8], other: &[u8]) -> Vec<u8> {
    let mut t = text.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(t.len() + 1);
        match rng.below(7) {
            0 if !t.is_empty() => {
                let i = rng.below(t.len());
                t[i] ^= 1 << rng.below(8);
            }
            1 => {
                let tok = rng.pick(TOKENS).as_bytes().to_vec();
                t.splice(at..at, tok);
            }
            2 if !t.is_empty() => {
                let end = (at + 1 + rng.below(16)).min(t.len());
                t.drain(at.min(end)..end);
            }
            3 if !t.is_empty() => {
                let end = (at + 1 + rng.below(64)).min(t.len());
                let piece = t[at.min(end)..end].to_vec();
                let to = rng.below(t.len() + 1);
                t.splice(to..to, piece);
            }
            4 if !other.is_empty() => {
                let from = rng.below(other.len());
                let end = (from + 1 + rng.below(80)).min(other.len());
                t.splice(at..at, other[from..end].iter().copied());
            }
            5 => t.truncate(at),
            _ => {
                let line: Vec<u8> = (0..rng.below(3))
                    .flat_map(|_| rng.pick(TOKENS).bytes())
                    .collect();
                t.splice(at..at, line);
            }
        }
    }
    t
}

struct Run {
    code: Option<i32>,
    out: String,
    elapsed: Duration,
}

/// Runs the binary with the bounds; a run past the time bound is killed.
fn run(args: &[&str], dir: &Path) -> Run {
    let bin = env!("CARGO_BIN_EXE_guardctl");
    let mut script = format!("ulimit -v {MEMORY_BOUND_KIB} 2>/dev/null; exec '{bin}'");
    for a in args {
        script.push_str(&format!(" '{}'", a.replace('\'', "'\\''")));
    }
    let start = Instant::now();
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(&script)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (mut out, mut err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let readers = (
        std::thread::spawn(move || {
            let mut s = Vec::new();
            let _ = std::io::Read::read_to_end(&mut out, &mut s);
            s
        }),
        std::thread::spawn(move || {
            let mut s = Vec::new();
            let _ = std::io::Read::read_to_end(&mut err, &mut s);
            s
        }),
    );
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if start.elapsed() > TIME_BOUND {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let elapsed = start.elapsed();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&readers.0.join().unwrap()),
        String::from_utf8_lossy(&readers.1.join().unwrap())
    );
    Run {
        code: status.and_then(|s| s.code()),
        out: text,
        elapsed,
    }
}

/// A recorded failure, kept for the report and written out to replay.
struct Failures {
    list: Vec<String>,
    dir: PathBuf,
}

impl Failures {
    fn new() -> Failures {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-failures");
        Failures {
            list: Vec::new(),
            dir,
        }
    }
    fn check(&mut self, kind: &str, case: usize, input: &Path, args: &[&str], r: &Run) {
        let bad = match r.code {
            Some(0..=2) if r.elapsed <= TIME_BOUND => None,
            Some(3) => Some("exit 3 (internal error)".to_string()),
            Some(c) => Some(format!("exit {c}")),
            None => Some(format!("killed: a signal or over {TIME_BOUND:?}")),
        };
        if let Some(why) = bad {
            self.record(kind, case, input, args, &why, &r.out);
        }
    }
    fn record(
        &mut self,
        kind: &str,
        case: usize,
        input: &Path,
        args: &[&str],
        why: &str,
        out: &str,
    ) {
        let _ = std::fs::create_dir_all(&self.dir);
        let keep = self.dir.join(format!(
            "{kind}-{case}{}",
            input
                .extension()
                .map(|e| format!(".{}", e.to_string_lossy()))
                .unwrap_or_default()
        ));
        let _ = std::fs::copy(input, &keep);
        let tail: String = out
            .chars()
            .rev()
            .take(600)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        self.list.push(format!(
            "{kind} #{case}: {why}: guardctl {} ({})\n{tail}",
            args.join(" "),
            keep.display()
        ));
    }
}

fn read(p: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(p)).unwrap()
}

fn seeds_in(dir: &str, ext: &[&str]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for e in
        walkdir::WalkDir::new(Path::new(env!("CARGO_MANIFEST_DIR")).join(dir)).sort_by_file_name()
    {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().to_string();
        if e.file_type().is_file() && ext.iter().any(|x| name.ends_with(x)) {
            out.push(std::fs::read(e.path()).unwrap());
        }
    }
    out
}

/// Runs `cases()` mutations of `seeds` as `name`, each through `commands`
/// (the input's path is `{}` in them); returns how many runs were made.
fn campaign(
    kind: &str,
    file_name: &str,
    seeds: &[Vec<u8>],
    commands: &[&[&str]],
    rng: &mut Rng,
    fails: &mut Failures,
    extra: &dyn Fn(usize, &Path, &Path, &mut Failures),
) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let mut runs = 0;
    for case in 0..cases() {
        let seed = rng.pick(seeds).clone();
        let other = rng.pick(seeds).clone();
        let text = mutate(rng, &seed, &other);
        let input = dir.path().join(file_name);
        std::fs::write(&input, &text).unwrap();
        let shown = input.to_str().unwrap().to_string();
        for cmd in commands {
            let args: Vec<String> = cmd.iter().map(|a| a.replace("{}", &shown)).collect();
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let r = run(&args, dir.path());
            runs += 1;
            fails.check(kind, case, &input, &args, &r);
        }
        extra(case, &input, dir.path(), fails);
    }
    runs
}

/// `fmt` on a file it accepts gives a text that formats to itself.
fn fmt_invariant(kind: &'static str) -> impl Fn(usize, &Path, &Path, &mut Failures) {
    move |case, input, dir, fails| {
        let copy = dir.join(format!(
            "fmt-{}",
            input.file_name().unwrap().to_string_lossy()
        ));
        std::fs::copy(input, &copy).unwrap();
        let c = copy.to_str().unwrap();
        let first = run(&["fmt", c], dir);
        fails.check(kind, case, &copy, &["fmt", c], &first);
        if first.code == Some(0) {
            let again = run(&["fmt", "--check", c], dir);
            if again.code != Some(0) {
                fails.record(
                    kind,
                    case,
                    input,
                    &["fmt", "then", "fmt --check", c],
                    "fmt is not idempotent",
                    &again.out,
                );
            }
        }
    }
}

fn no_extra(_: usize, _: &Path, _: &Path, _: &mut Failures) {}

#[test]
fn fuzz_every_input_kind() {
    let mut rng = Rng(seed());
    let mut fails = Failures::new();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let ex = examples.to_str().unwrap().to_string();
    let mut report = Vec::new();

    // Policy YAML and ABL agent files: lint, compile, fmt.
    let mut yaml = seeds_in("examples/policies", &[".yaml"]);
    yaml.extend(seeds_in("tests/fixtures/lint", &[".yaml"]));
    let n = campaign(
        "policy",
        "p.yaml",
        &yaml,
        &[
            &["lint", "{}"],
            &["compile", "{}"],
            &["--format", "json", "lint", "{}"],
        ],
        &mut rng,
        &mut fails,
        &fmt_invariant("policy"),
    );
    report.push(("policy YAML", n));
    let abl = seeds_in("examples/agents", &[".abl"]);
    let n = campaign(
        "abl",
        "a.agent.abl",
        &abl,
        &[&["lint", "{}"], &["compile", "{}"]],
        &mut rng,
        &mut fails,
        &fmt_invariant("abl"),
    );
    report.push(("ABL", n));

    // CEL and condition trees, generated and mutated inside a rule.
    let cel_seeds: Vec<Vec<u8>> = [
        "!contains_pii(text) && size(text) < 4000",
        "identity.roles.exists(r, r == 'admin') || metadata.env == 'prod'",
        "has(metadata.channel) ? metadata.channel != 'web' : matches(text, '^[a-z]+$')",
        "[1, 2, 3].map(x, x * 2).filter(y, y > 2).size() == 2",
        "tokens.input + tokens.output > 1000 && cost_usd > 0.5",
        "text.startsWith(\"ignore\") && !abl.matches_pattern(input, \"[0-9]{16}\")",
    ]
    .iter()
    .map(|s| {
        format!(
            "GUARDRAILS:\n  r:\n    kind: input\n    check: {}\n    action: block\n",
            serde_json::to_string(s).unwrap()
        )
        .into_bytes()
    })
    .collect();
    let event = format!(
        r#"{{"id":"e","input":"my card {CARD} and ssn 123-45-6789","identity":{{"roles":["a","admin"]}},"metadata":{{"env":"prod"}}}}"#
    );
    let n = campaign(
        "cel",
        "cel.yaml",
        &cel_seeds,
        &[&["lint", "{}"], &["explain", "{}", "--event", &event]],
        &mut rng,
        &mut fails,
        &no_extra,
    );
    report.push(("CEL", n));
    let trees: Vec<Vec<u8>> = [
        "    when:\n      all:\n        - {field: metadata.env, operator: neq, value: test}\n        - any:\n            - {field: model, operator: starts_with, value: internal-}\n            - not: {field: identity.roles, operator: contains, value: admin}\n",
        "    when:\n      any:\n        - {field: tokens.input, operator: gt, value: 100}\n        - {field: project, operator: in, value: [payments, growth]}\n",
    ]
    .iter()
    .map(|w| format!("GUARDRAILS:\n  r:\n    kind: input\n    entities: [US_SSN]\n    action: block\n{w}").into_bytes())
    .collect();
    let n = campaign(
        "tree",
        "tree.yaml",
        &trees,
        &[
            &["lint", "{}"],
            &["compile", "{}"],
            &["explain", "{}", "--event", &event],
        ],
        &mut rng,
        &mut fails,
        &fmt_invariant("tree"),
    );
    report.push(("condition trees", n));

    // Traces and OpenTelemetry lines: simulate, with masking checked.
    let mut traces: Vec<Vec<u8>> = vec![
        read("examples/traces/payments.jsonl")
            .split(|&b| b == b'\n')
            .take(40)
            .collect::<Vec<_>>()
            .join(&b'\n'),
    ];
    traces.push(read("examples/traces/otel-genai.jsonl"));
    traces.push(
        format!("{{\"id\":\"card\",\"input\":\"pay with {CARD} now\",\"kind\":\"input\"}}\n")
            .into_bytes(),
    );
    let masking = |case: usize, input: &Path, dir: &Path, fails: &mut Failures| {
        let text = std::fs::read_to_string(input).unwrap_or_default();
        // Only where the planted number still stands alone.
        let alone = text.match_indices(CARD).any(|(i, _)| {
            let before = text[..i].chars().next_back();
            let after = text[i + CARD.len()..].chars().next();
            let sep = |c: Option<char>| {
                c.is_none_or(|c| !c.is_alphanumeric() && c != '-' && c != '.' && c != ',')
            };
            sep(before) && sep(after)
        });
        // An event's id is shown as written: it is how a user finds the
        // event, not content a rule looks at.
        let in_id = text.lines().any(|l| {
            serde_json::from_str::<serde_json::Value>(l)
                .ok()
                .and_then(|v| {
                    v.get("id")
                        .and_then(|i| i.as_str())
                        .map(|i| i.contains(CARD))
                })
                .unwrap_or(false)
        });
        if !alone || in_id {
            return;
        }
        let events = dir.join("events.jsonl");
        let i = input.to_str().unwrap();
        let e = events.to_str().unwrap();
        for args in [
            vec!["simulate", &ex, "--traces", i, "--events", e],
            vec!["--format", "json", "simulate", &ex, "--traces", i],
        ] {
            let r = run(&args, dir);
            let written = std::fs::read_to_string(&events).unwrap_or_default();
            if r.out.contains(CARD) || written.contains(CARD) {
                fails.record(
                    "masking",
                    case,
                    input,
                    &args,
                    "a planted card number is shown",
                    &r.out,
                );
            }
        }
    };
    let n = campaign(
        "trace",
        "t.jsonl",
        &traces,
        &[
            &["simulate", &ex, "--traces", "{}"],
            &["simulate", &ex, "--traces", "{}", "--strict"],
        ],
        &mut rng,
        &mut fails,
        &masking,
    );
    report.push(("traces and OTel lines", n));

    // Guardtests.
    let tests = seeds_in("examples/tests", &[".guardtest.yaml"]);
    let pol = examples.join("policies");
    let pols = pol.to_str().unwrap().to_string();
    let n = campaign(
        "guardtest",
        "x.guardtest.yaml",
        &tests,
        &[&["test", &pols, "{}"]],
        &mut rng,
        &mut fails,
        &no_extra,
    );
    report.push(("guardtests", n));

    // Diff pairs: a policy against a mutation of it.
    let base = examples.join("policies/payments.yaml");
    let bases = base.to_str().unwrap().to_string();
    let n = campaign(
        "diff",
        "next.yaml",
        &[
            read("examples/policies/payments.yaml"),
            read("tests/fixtures/diff/payments.next.yaml"),
        ],
        &[
            &["diff", &bases, "{}"],
            &["--format", "json", "diff", &bases, "{}"],
        ],
        &mut rng,
        &mut fails,
        &no_extra,
    );
    report.push(("diff pairs", n));

    // Audit files: an exported trail, mutated, verified.
    let repo = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        let ok = Command::new("git")
            .args(args)
            .current_dir(repo.path())
            .env("GIT_AUTHOR_DATE", "2026-11-01T00:00:00Z")
            .env("GIT_COMMITTER_DATE", "2026-11-01T00:00:00Z")
            .output();
        assert!(ok.is_ok_and(|o| o.status.success()), "git {args:?}");
    };
    git(&["init", "-q"]);
    git(&["config", "user.email", "a@b.example"]);
    git(&["config", "user.name", "A"]);
    std::fs::copy(&base, repo.path().join("p.yaml")).unwrap();
    git(&["add", "."]);
    git(&["commit", "-qm", "one"]);
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/diff/payments.next.yaml"),
        repo.path().join("p.yaml"),
    )
    .unwrap();
    git(&["commit", "-qam", "two"]);
    let trail = run(&["audit", "export", "-p", "p.yaml"], repo.path());
    assert_eq!(trail.code, Some(0), "{}", trail.out);
    let n = campaign(
        "audit",
        "audit.jsonl",
        &[trail.out.clone().into_bytes()],
        &[&["audit", "verify", "{}"], &["audit", "seal", "{}"]],
        &mut rng,
        &mut fails,
        &no_extra,
    );
    report.push(("audit files", n));

    let total: usize = report.iter().map(|(_, n)| n).sum();
    eprintln!(
        "fuzz: seed {:#x}, {} cases per kind, {total} runs:",
        seed(),
        cases()
    );
    for (k, n) in &report {
        eprintln!("  {k:<24} {n} runs");
    }
    assert!(
        fails.list.is_empty(),
        "{} failure(s):\n{}",
        fails.list.len(),
        fails.list.join("\n\n")
    );
}
