//! Hardening: what the engine cannot build or bound is never a silent pass,
//! and every output keeps what masking promises.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use guardctl::engine::evaluate::{Options, Status, evaluate};
use guardctl::engine::event::Event;
use guardctl::engine::rules::RuleSet;
use guardctl::ir::values::Timestamp;
use guardctl::lint::LintOptions;
use guardctl::source::SourceFile;
use guardctl::syntax::FileKind;
use proptest::prelude::*;

mod common;

fn program(text: &str) -> guardctl::workspace::Workspace {
    guardctl::workspace::build(
        vec![(
            SourceFile::new("p.yaml", text.to_string()),
            FileKind::Policy,
            true,
        )],
        Vec::new(),
        0,
        &LintOptions {
            now: Timestamp::parse("2026-11-21").unwrap(),
        },
    )
}

fn policy(patterns: &[String]) -> String {
    let mut s = String::from("GUARDRAILS:\n");
    for (i, p) in patterns.iter().enumerate() {
        s.push_str(&format!(
            "  r{i:03}:\n    kind: input\n    patterns: ['{}']\n    action: block\n",
            p.replace('\'', "''")
        ));
    }
    s
}

/// The rules (by name) that trigger on `text`.
fn triggered(text_policy: &str, input: &str) -> Vec<String> {
    let ws = program(text_policy);
    assert_eq!(ws.errors(), 0, "{text_policy}\n{:?}", ws.diagnostics);
    let set = RuleSet::build(&ws.program);
    let line = serde_json::json!({"id": "e", "input": input}).to_string();
    let e = Event::from_slice_fast(line.as_bytes(), 1).unwrap();
    let r = evaluate(&set, &|_, _| None, &e, &Options::default());
    let mut out: Vec<String> = r
        .outcomes
        .iter()
        .filter(|o| o.status == Status::Triggered)
        .map(|o| set.rules[o.rule].name.clone())
        .collect();
    out.sort();
    out
}

/// The case that was found: a literal pattern stopped firing once three
/// rules of wide repetitions shared its automaton.
#[test]
fn large_patterns_do_not_silence_a_literal_one() {
    let mut pats = vec![r"\bcorp\.acme\.example\b".to_string()];
    let input = "reach me at corp.acme.example today";
    assert_eq!(triggered(&policy(&pats), input), ["r000"]);
    pats.extend([r"\w{64}", r"\w{40}", r"\w{128}"].map(String::from));
    assert_eq!(triggered(&policy(&pats), input), ["r000"]);
}

fn gen_literal() -> impl Strategy<Value = String> {
    "[a-z]{4,8}"
}

fn gen_heavy() -> impl Strategy<Value = String> {
    prop_oneof![
        (20u32..160).prop_map(|n| format!(r"\w{{{n}}}")),
        (10u32..80).prop_map(|n| format!(r"[\p{{L}}\d]{{{n}}}x")),
        (5u32..40).prop_map(|n| format!(r"(\w+\s){{{n}}}")),
        gen_literal(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    /// Adding rules never makes another rule stop firing: whatever rules
    /// share an automaton, each rule that triggers alone still triggers.
    #[test]
    fn adding_rules_never_silences_another(
        base in prop::collection::vec(gen_literal(), 1..6),
        extra in prop::collection::vec(gen_heavy(), 1..12),
    ) {
        let input = format!("before {} after", base.join(" and "));
        let alone = triggered(&policy(&base), &input);
        prop_assert_eq!(alone.len(), base.len());
        let mut all = base.clone();
        all.extend(extra);
        let with = triggered(&policy(&all), &input);
        for r in &alone {
            prop_assert!(with.contains(r), "{} stopped firing with {:?}", r, all);
        }
    }
}

// ---- writes -------------------------------------------------------------

use common::{guardctl, stderr};

use common::write_dir as dir_with;

const POLICY: &str =
    "GUARDRAILS:\n  ssn:\n    kind: input\n    entities: [US_SSN]\n    action: block\n";
const TRACE: &str = "{\"id\":\"a\",\"input\":\"hi\"}\n";

/// An output that is an input of the same run is refused (exit 2) and the
/// input is left as it was: `--events` or `--report` onto the trace or
/// the policy, `compile X -o X`, also through another spelling or a
/// directory that holds it.
#[test]
fn outputs_never_replace_an_input() {
    let dir = dir_with(&[("p.yaml", POLICY), ("t.jsonl", TRACE)]);
    let d = dir.path();
    let (p, t) = (d.join("p.yaml"), d.join("t.jsonl"));
    let (ps, ts) = (p.to_str().unwrap(), t.to_str().unwrap());
    let dotted = format!("{}/./t.jsonl", d.display());
    let dirs = d.to_str().unwrap();
    for args in [
        vec!["simulate", ps, "--traces", ts, "--events", ts],
        vec!["simulate", ps, "--traces", ts, "--events", &dotted],
        vec!["simulate", ps, "--traces", ts, "--report", ps],
        vec!["compile", ps, "-o", ps],
        vec!["compile", dirs, "-o", ps],
    ] {
        let o = guardctl(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("is an input of this run"),
            "{}",
            stderr(&o)
        );
    }
    assert_eq!(std::fs::read_to_string(&p).unwrap(), POLICY);
    assert_eq!(std::fs::read_to_string(&t).unwrap(), TRACE);
}

/// A write that fails (a full disk: `/dev/full`) is exit 2, never a
/// truncated file reported as success.
#[test]
fn failed_writes_exit_2() {
    if !std::path::Path::new("/dev/full").exists() {
        return;
    }
    let dir = dir_with(&[("p.yaml", POLICY), ("t.jsonl", TRACE)]);
    let (p, t) = (dir.path().join("p.yaml"), dir.path().join("t.jsonl"));
    let (ps, ts) = (p.to_str().unwrap(), t.to_str().unwrap());
    for args in [
        vec!["compile", ps, "-o", "/dev/full"],
        vec!["simulate", ps, "--traces", ts, "--events", "/dev/full"],
        vec!["simulate", ps, "--traces", ts, "--report", "/dev/full"],
    ] {
        let o = guardctl(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
    }
}

/// With standard error or standard output closed, guardctl still ends
/// with its own exit code, never an abort.
#[test]
fn closed_streams_do_not_abort() {
    let bin = env!("CARGO_BIN_EXE_guardctl");
    for (script, want) in [
        (format!("'{bin}' lint no/such.yaml 2>&-"), 2),
        (
            format!("'{bin}' lint tests/fixtures/lint/GC101-unknown-key.yaml 2>&- >&-"),
            1,
        ),
        (format!("'{bin}' rule GC101 >&-"), 0),
        (format!("'{bin}' compile no/such.yaml 2>&- >&-"), 2),
    ] {
        let o = std::process::Command::new("sh")
            .arg("-c")
            .arg(&script)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(want), "{script}: {}", stderr(&o));
    }
}

/// `fmt` replaces a hard-linked file's content in place, so its links
/// still share it; any other file is replaced by rename, keeping its mode.
#[test]
fn fmt_keeps_hard_links() {
    let dir = dir_with(&[(
        "a.yaml",
        "GUARDRAILS:\n  ssn:\n      kind: input\n      entities: [US_SSN]\n",
    )]);
    let (a, b) = (dir.path().join("a.yaml"), dir.path().join("b.yaml"));
    std::fs::hard_link(&a, &b).unwrap();
    let o = guardctl(&["fmt", a.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = std::fs::read_to_string(&b).unwrap();
    assert_eq!(
        text,
        "GUARDRAILS:\n  ssn:\n    kind: input\n    entities: [US_SSN]\n"
    );
    use std::os::unix::fs::MetadataExt;
    assert_eq!(
        std::fs::metadata(&a).unwrap().ino(),
        std::fs::metadata(&b).unwrap().ino()
    );
}

// ---- masking ------------------------------------------------------------

const CARD: &str = "4111 1111 1111 1111";
const SSN: &str = "123-45-6789";
const KEY: &str = "sk-proj-abcdefghijklmnopqrstuvwx";

/// Without `--show-matches`, no output of any format shows a planted
/// secret: card numbers a blocking rule found (in the rewritten content
/// too), SSNs a warning rule found, values quoted by a malformed line's
/// message, and a credential in lint's snippet.
#[test]
fn no_output_shows_a_planted_secret() {
    let policy = "GUARDRAILS:\n  cards:\n    kind: input\n    entities: [CREDIT_CARD]\n    action: block\n  ssn:\n    kind: input\n    entities: [US_SSN]\n    action: warn\n  mail:\n    kind: input\n    entities: [EMAIL_ADDRESS]\n    action: redact\n  secret_word:\n    kind: input\n    patterns: ['hunter[0-9]{4}']\n    action: block\n";
    let first = serde_json::json!({"id": "a", "input": format!("card {CARD}, ssn {SSN}, mail a@b.example, pw hunter2024")});
    let trace = format!(
        "{first}\n{{\"id\":\"b\",\"timestamp\":\"{CARD}\",\"input\":\"x\"}}\n{{\"id\":\"c\",\"input\":\"{SSN}\",\"tokens\":{{\"input\":-4111111111111111}}}}\n"
    );
    let creds = format!("PROVIDERS:\n  m:\n    adapter: openai_moderation\n    api_key: {KEY}\n");
    let dir = dir_with(&[
        ("p.yaml", policy),
        ("t.jsonl", &trace),
        ("creds.yaml", &creds),
    ]);
    let d = dir.path();
    let at = |n: &str| d.join(n).to_str().unwrap().to_string();
    let (p, t, c) = (at("p.yaml"), at("t.jsonl"), at("creds.yaml"));
    let (ev, rep) = (at("events.jsonl"), at("report.html"));
    let mut outputs: Vec<(String, String)> = Vec::new();
    let mut run = |args: &[&str]| {
        let o = guardctl(args);
        let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), stderr(&o));
        outputs.push((args.join(" "), text));
    };
    for f in ["human", "plain", "json"] {
        run(&["--format", f, "simulate", &p, "--traces", &t]);
        run(&["--format", f, "explain", &p, "--trace", &t, "--id", "a"]);
        run(&["--format", f, "lint", &c]);
    }
    run(&[
        "simulate", &p, "--traces", &t, "--events", &ev, "--report", &rep,
    ]);
    outputs.push(("--events".into(), std::fs::read_to_string(&ev).unwrap()));
    outputs.push(("--report".into(), std::fs::read_to_string(&rep).unwrap()));
    let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    for (what, text) in &outputs {
        for secret in [CARD, SSN, KEY, "hunter2024", "a@b.example"] {
            assert!(!text.contains(secret), "{what} shows {secret}:\n{text}");
        }
        assert!(
            !digits(text).contains("4111111111111111"),
            "{what} shows the card:\n{text}"
        );
    }
    // Asked for, they are shown.
    let o = guardctl(&["explain", &p, "--trace", &t, "--id", "a", "--show-matches"]);
    assert!(common::stdout(&o).contains(CARD), "{}", common::stdout(&o));
}

/// A `--max-rate` gate over a trace with no events fails: no evidence is
/// not a pass.
#[test]
fn an_empty_trace_fails_a_rate_gate() {
    let dir = dir_with(&[
        ("p.yaml", POLICY),
        ("empty.jsonl", ""),
        ("bad.jsonl", "{not json\n"),
    ]);
    let p = dir.path().join("p.yaml");
    for t in ["empty.jsonl", "bad.jsonl"] {
        let t = dir.path().join(t);
        let args = [
            "simulate",
            p.to_str().unwrap(),
            "--traces",
            t.to_str().unwrap(),
            "--max-rate",
            "block=5%",
        ];
        let o = guardctl(&args);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        assert!(stderr(&o).contains("no events"), "{}", stderr(&o));
    }
}

// ---- fmt on YAML's corners ----------------------------------------------

/// Lint-clean files in YAML's corners are formatted (never exit 3), to a
/// text that formats to itself: Unicode spaces at a value's edge, a
/// comment inside a multi-line flow sequence, indentation indicators,
/// `|+` with a header comment or without content, a tab as a block
/// scalar's content, an escaped line break before an empty line.
#[test]
fn fmt_handles_yaml_corners() {
    const HEAD: &str = "GUARDRAILS:\n  r:\n    kind: input\n    entities: [US_SSN]\n";
    let cases: Vec<(&str, String)> = vec![
        ("nbsp", "GUARDRAILS:\n  r:\n    kind: input\n    message: \u{a0}hello\u{2003}\n    entities: [US_SSN]\n".into()),
        ("flow-comment", "GUARDRAILS:\n  r:\n    kind: input\n    entities: [US_SSN,\n      # a comment\n      EMAIL_ADDRESS]\n".into()),
        ("indicator", format!("{HEAD}    message: |2\n        indented\n      two\n")),
        ("keep-comment", format!("{HEAD}    message: |+ # keep\n      text\n\n")),
        ("keep-empty", format!("{HEAD}    message: |+\n  x:\n    kind: output\n    entities: [US_SSN]\n")),
        ("keep-empty-comment", format!("{HEAD}    message: |+ # keep\n  x:\n    kind: output\n    entities: [US_SSN]\n")),
        ("tab-line", format!("{HEAD}    message: |\n      one\n      \t\n      two\n")),
        ("escaped-break", format!("{HEAD}    message: \"a\\\n\n      b\"\n")),
    ];
    let mut shown = String::new();
    for (name, text) in &cases {
        let dir = dir_with(&[("p.yaml", text)]);
        let p = dir.path().join("p.yaml");
        let ps = p.to_str().unwrap();
        let lint = guardctl(&["lint", ps]);
        assert_eq!(
            lint.status.code(),
            Some(0),
            "{name}: {}",
            common::stdout(&lint)
        );
        let o = guardctl(&["fmt", ps]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{name}: {}{}",
            common::stdout(&o),
            stderr(&o)
        );
        let once = std::fs::read_to_string(&p).unwrap();
        let again = guardctl(&["fmt", "--check", ps]);
        assert_eq!(
            again.status.code(),
            Some(0),
            "{name} is not idempotent: {}",
            common::stdout(&again)
        );
        shown.push_str(&format!("== {name}\n{once}"));
    }
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("fmt__yaml_corners", shown);
    });
}

// ---- CEL cost -----------------------------------------------------------

/// What lint cannot bound, the evaluator does: a check that doubles a
/// string thirty times, or loops over a large list inside a loop over it,
/// ends at the documented limits as an error, so the rule is unevaluated
/// (and `fail_mode` decides) instead of taking gigabytes or minutes.
#[test]
fn cel_evaluation_is_bounded() {
    let doubling = format!("[input]{}.size() > 0", ".map(x, x + x)".repeat(30));
    let nested = "identity.roles.all(a, identity.roles.all(b, a != b || a == b))".to_string();
    for (check, why) in [(doubling, "limit of 4194304 bytes"), (nested, "cost limit")] {
        let policy = format!(
            "GUARDRAILS:\n  r:\n    kind: input\n    check: {}\n    action: block\n",
            serde_json::to_string(&check).unwrap()
        );
        let ws = program(&policy);
        assert_eq!(ws.errors(), 0, "{check}: {:?}", ws.diagnostics);
        let set = RuleSet::build(&ws.program);
        let roles: Vec<String> = (0..2000).map(|i| format!("role{i}")).collect();
        let line = serde_json::json!({"id": "e", "input": "hello", "identity": {"roles": roles}})
            .to_string();
        let e = Event::from_slice_fast(line.as_bytes(), 1).unwrap();
        let r = evaluate(&set, &|_, _| None, &e, &Options::default());
        let o = &r.outcomes[0];
        assert_eq!(o.status, Status::Unevaluated, "{check}");
        assert!(o.reason(&set).contains(why), "{}", o.reason(&set));
    }
}

/// A diagnostic past column 65,535 of a long line (a 142 KB one-line
/// policy with a typo at its end) is reported with its location, in every
/// format, instead of crashing the snippet drawing.
#[test]
fn diagnostics_on_very_long_lines() {
    let text = format!(
        "GUARDRAILS: {{r: {{message: \"{}\", kind: inptu, entities: [US_SSN]}}}}\n",
        "x".repeat(142_000)
    );
    let dir = dir_with(&[("long.yaml", &text)]);
    let p = dir.path().join("long.yaml");
    for f in ["human", "plain", "json"] {
        let o = guardctl(&["--format", f, "lint", p.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1), "{f}: {}", stderr(&o));
        assert!(common::stdout(&o).contains("inptu"), "{f}");
    }
    let o = guardctl(&["--format", "human", "lint", p.to_str().unwrap()]);
    assert!(
        common::stdout(&o).contains("(the line is too long to show)"),
        "{}",
        common::stdout(&o)
    );
}
