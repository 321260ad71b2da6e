//! The real binary: exit codes, streams, files written, determinism.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use common::{guardctl, stderr, stdout};
use std::path::Path;

mod common;

#[test]
fn lint_examples_is_clean() {
    let o = guardctl(&["lint", "examples", "--now", "2026-11-21"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("12 files checked: 0 errors, 0 warnings"));
}

#[test]
fn findings_exit_1_and_warnings_only_with_deny() {
    let o = guardctl(&["lint", "tests/fixtures/lint/GC101-unknown-key.yaml"]);
    assert_eq!(o.status.code(), Some(1));
    let w = "tests/fixtures/lint/GC402-inactive-rule.yaml";
    assert_eq!(guardctl(&["lint", w]).status.code(), Some(0));
    assert_eq!(
        guardctl(&["lint", "--deny-warnings", w]).status.code(),
        Some(1)
    );
}

#[test]
fn usage_and_io_problems_exit_2() {
    assert_eq!(
        guardctl(&["lint", "no/such/file.yaml"]).status.code(),
        Some(2)
    );
    assert_eq!(guardctl(&["lint", "--bogus"]).status.code(), Some(2));
    assert_eq!(
        guardctl(&["lint", "--now", "yesterday", "examples"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(guardctl(&["rule", "GC000"]).status.code(), Some(2));
    let trace = "examples/traces/payments.jsonl";
    for n in ["0", "257", "100000"] {
        let args = [
            "simulate",
            "examples/policies",
            "examples/agents",
            "--traces",
            trace,
            "--threads",
            n,
        ];
        let o = guardctl(&args);
        assert_eq!(o.status.code(), Some(2), "--threads {n}");
        assert!(stderr(&o).contains("1..=256"), "{}", stderr(&o));
    }
    let o = guardctl(&["--format", "json", "lint", "missing.yaml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no such file or directory"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn invalid_utf8_is_a_diagnostic() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bad.yaml");
    std::fs::write(&f, b"GUARDRAILS:\n  x: \xff\xfe\n").unwrap();
    let o = guardctl(&["--format", "plain", "lint", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("GC900"), "{}", stdout(&o));
    assert!(stdout(&o).contains(":2:6:"), "{}", stdout(&o));
}

#[test]
fn json_diagnostics_have_the_documented_shape() {
    let o = guardctl(&[
        "--format",
        "json",
        "lint",
        "tests/fixtures/lint/GC101-unknown-key.yaml",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let d = &v["diagnostics"][0];
    let keys: Vec<&str> = d.as_object().unwrap().keys().map(String::as_str).collect();
    for k in [
        "code",
        "severity",
        "message",
        "file",
        "line",
        "column",
        "end_line",
        "end_column",
        "help",
    ] {
        assert!(keys.contains(&k), "missing {k}");
    }
    assert_eq!(d["code"], "GC101");
    assert_eq!(d["line"], 5);
    assert_eq!(d["column"], 5);
    assert_eq!(d["help"], "did you mean `action`?");
    assert_eq!(v["summary"]["files"], 1);
    assert_eq!(v["summary"]["errors"], 4);
}

#[test]
fn compile_is_deterministic_and_refuses_errors() {
    let a = guardctl(&["compile", "examples"]);
    let b = guardctl(&[
        "compile",
        "examples/runtimes",
        "examples/agents",
        "examples/policies",
    ]);
    assert_eq!(a.status.code(), Some(0), "{}", stderr(&a));
    assert_eq!(a.stdout, b.stdout, "bundle bytes depend on argument order");
    let bundle: serde_json::Value = serde_json::from_slice(&a.stdout).unwrap();
    assert_eq!(bundle["schema"], "guardctl.bundle/v1");
    assert!(bundle["digest"].as_str().unwrap().starts_with("sha256:"));
    let o = guardctl(&["compile", "tests/fixtures/lint/GC201-invalid-regex.yaml"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    assert!(stderr(&o).contains("not compiling"));
}

#[test]
fn compile_writes_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bundle.json");
    let o = guardctl(&["compile", "examples", "-o", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    assert!(o.stdout.is_empty());
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(
        text.as_bytes(),
        guardctl(&["compile", "examples"]).stdout.as_slice()
    );
}

#[test]
fn kind_both_compiles_to_two_rules() {
    let o = guardctl(&["compile", "examples"]);
    let bundle: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let ids: Vec<&str> = bundle["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"acme-baseline/secret_leak.input"));
    assert!(ids.contains(&"acme-baseline/secret_leak.output"));
    let mut sorted = ids.clone();
    sorted.dedup();
    assert_eq!(sorted.len(), ids.len(), "ids are unique");
}

#[test]
fn fmt_check_diffs_and_fmt_rewrites() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("p.yaml");
    std::fs::write(&f, "GUARDRAILS:\n    pii:   # personal data\n        kind:    input\n        entities:   [ US_SSN,EMAIL_ADDRESS ]\n").unwrap();
    let path = f.to_str().unwrap();
    let o = guardctl(&["fmt", "--check", path]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("+  pii:  # personal data"),
        "{}",
        stdout(&o)
    );
    let o = guardctl(&["fmt", path]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(&f).unwrap(),
        "GUARDRAILS:\n  pii:  # personal data\n    kind: input\n    entities: [US_SSN, EMAIL_ADDRESS]\n"
    );
    assert_eq!(guardctl(&["fmt", "--check", path]).status.code(), Some(0));
    // No temporary file is left behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

/// `fmt -` gives the whole formatted text on stdout (formatted or not, a
/// non-policy text as it came); a text it cannot read gives nothing and
/// exit 1, so an editor keeps its buffer.
#[test]
fn fmt_formats_standard_input_to_standard_output() {
    let messy = "GUARDRAILS:\n  a:\n    kind:   input\n    entities: [US_SSN]\n";
    let tidy = "GUARDRAILS:\n  a:\n    kind: input\n    entities: [US_SSN]\n";
    for input in [messy, tidy] {
        let o = common::guardctl_with_stdin(&["fmt", "-"], input.as_bytes());
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert_eq!(stdout(&o), tidy);
    }
    let other = "services: {}\n";
    let o = common::guardctl_with_stdin(&["fmt", "-"], other.as_bytes());
    assert_eq!((o.status.code(), stdout(&o).as_str()), (Some(0), other));
    let o = common::guardctl_with_stdin(&["fmt", "-"], b"GUARDRAILS:\n  a: [\n");
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    let o = common::guardctl_with_stdin(&["fmt", "--check", "-"], messy.as_bytes());
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).starts_with("--- -\n+++ - (formatted)\n"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn fmt_refuses_syntax_errors() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("p.yaml");
    let bad = "GUARDRAILS:\n  pii:\n    kind: \"input\n";
    std::fs::write(&f, bad).unwrap();
    let o = guardctl(&["fmt", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&f).unwrap(), bad);
}

#[test]
fn fmt_keeps_unparsed_abl_sections() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("a.abl");
    let tools = "TOOLS:\n  refund(order_id: string, amount: number) -> Result   # weird: [ {\n";
    std::fs::write(&f, format!("AGENT:   Bot\n{tools}GUARDRAILS:\n    g:\n        kind: input\n        check: \"is_safe(text)\"\n")).unwrap();
    assert_eq!(
        guardctl(&["fmt", f.to_str().unwrap()]).status.code(),
        Some(0)
    );
    let out = std::fs::read_to_string(&f).unwrap();
    assert_eq!(
        out,
        format!(
            "AGENT: Bot\n{tools}GUARDRAILS:\n  g:\n    kind: input\n    check: \"is_safe(text)\"\n"
        )
    );
}

#[test]
fn directories_skip_hidden_target_and_non_policy_yaml() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join(".github/workflows")).unwrap();
    std::fs::create_dir_all(root.join("target")).unwrap();
    std::fs::write(
        root.join(".github/workflows/ci.yaml"),
        "GUARDRAILS: [broken\n",
    )
    .unwrap();
    std::fs::write(root.join("target/x.yaml"), "GUARDRAILS: [broken\n").unwrap();
    std::fs::write(
        root.join("docker-compose.yml"),
        "services:\n  app: &a {image: x}\n",
    )
    .unwrap();
    std::fs::write(
        root.join("p.yaml"),
        "GUARDRAILS:\n  pii:\n    kind: input\n    entities: [US_SSN]\n",
    )
    .unwrap();
    let o = guardctl(&["lint", root.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("1 file checked"), "{}", stdout(&o));
    // Named explicitly (as pre-commit names it), a non-policy file is
    // skipped with a note.
    let o = guardctl(&["lint", root.join("docker-compose.yml").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stderr(&o).contains("note: skipped"), "{}", stderr(&o));
}

/// A directory with no guardrail file (only unrelated YAML): lint and fmt
/// check nothing and pass; compile, simulate, explain and test refuse,
/// since an empty bundle or an all-allow run would pass for an answer.
#[test]
fn commands_that_stand_for_a_policy_refuse_none() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_str().unwrap();
    std::fs::write(dir.path().join("compose.yml"), "services: {}\n").unwrap();
    let o = guardctl(&["lint", root]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("0 files checked"), "{}", stdout(&o));
    assert_eq!(guardctl(&["fmt", "--check", root]).status.code(), Some(0));
    let trace = "examples/traces/payments.jsonl";
    for args in [
        vec!["compile", root],
        vec!["simulate", root, "--traces", trace],
        vec!["explain", root, "--text", "hi", "--kind", "input"],
        vec!["test", root],
    ] {
        let o = guardctl(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(o.stdout.is_empty(), "{args:?}");
        assert!(
            stderr(&o).contains("error: no guardrail files under"),
            "{args:?}: {}",
            stderr(&o)
        );
    }
}

#[test]
fn rule_prints_documentation() {
    let o = guardctl(&["rule", "GC203"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("fail open"));
    let o = guardctl(&["rule"]);
    assert!(stdout(&o).lines().count() >= 40);
}

#[test]
fn cel_error_points_inside_the_string() {
    let o = guardctl(&[
        "--format",
        "plain",
        "lint",
        "tests/fixtures/lint/GC203-unknown-cel-function.yaml",
    ]);
    // `contains_pi` starts at column 13 of line 4: `    check: "!contains_pi(text)...`
    assert!(
        stdout(&o).contains(
            "GC203-unknown-cel-function.yaml:4:14: error[GC203]: unknown function `contains_pi`"
        ),
        "{}",
        stdout(&o)
    );
    assert!(Path::new("tests/fixtures/lint").is_dir());
}

/// A change inside an approval step or a nested object is located at
/// that field on each side (the step as each side numbers it), not at the
/// first step or the object; a side with lint errors is compared with a
/// warning that its rejected values are left out.
#[test]
fn diff_locates_changes_inside_steps_and_nested_objects() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old.yaml");
    let new = dir.path().join("new.yaml");
    std::fs::write(
        &old,
        "POLICY:\n  name: p\n  timeouts: {local: 50ms, model: 2s}\n\
         APPROVAL_CHAINS:\n  c:\n    steps:\n      - approvers: [a@x.example]\n\
         \x20     - approvers: [b@x.example]\n",
    )
    .unwrap();
    std::fs::write(
        &new,
        "POLICY:\n  name: p\n  timeouts: {local: 50ms, model: 3s}\n\
         APPROVAL_CHAINS:\n  c:\n    steps:\n      - approvers: [z@x.example]\n\
         \x20     - approvers: [a@x.example]\n      - approvers: [b@x.example, c@x.example]\n",
    )
    .unwrap();
    let (o, n) = (old.to_str().unwrap(), new.to_str().unwrap());
    let out = guardctl(&["diff", o, n, "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let at = |field: &str| {
        let c = v["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["field"] == field)
            .unwrap_or_else(|| panic!("no change to {field} in {v:#}"));
        let line = |side: &str| c[side]["line"].as_u64().unwrap();
        (line("old_location"), line("new_location"))
    };
    // Old step 1 is new step 2 (counted from 0).
    assert_eq!(at("steps[2].approvers"), (8, 9));
    assert_eq!(at("timeouts_ms.model"), (3, 3));

    std::fs::write(
        &new,
        "POLICY:\n  name: p\n  timeouts: {local: 50ms, model: 2 secs}\n",
    )
    .unwrap();
    let out = guardctl(&["diff", o, n]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("has 1 lint error(s); values lint rejects are left out"),
        "{}",
        stderr(&out)
    );
}
