//! Kore's ABL as Kore means it (spec §2 Polarity, §4 aliases, §10):
//! `check_polarity` from `guardctl.toml` or the policy, applied by
//! simulate and shown by explain; Kore's spellings; its pseudo-functions.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::{guardctl, stderr, stdout, write_dir};

/// Kore's own e2e agent: `check` true means the guardrail fires.
const E2E: &str = "AGENT: E2E_Agent\n\nGOAL: \"Answer questions\"\n\nGUARDRAILS:\n  keyword_block:\n    kind: input\n    check: abl.matches_pattern(input, \"BLOCKED_KEYWORD\")\n    action: block\n    msg: \"Blocked keyword\"\n";
const TRACE: &str = "{\"id\":\"harmless\",\"agent\":\"E2E_Agent\",\"input\":\"hello there\"}\n{\"id\":\"keyword\",\"agent\":\"E2E_Agent\",\"input\":\"has BLOCKED_KEYWORD inside\"}\n";

/// `guardctl --format plain lint PATH`: the exit code and the report.
fn lint(path: &std::path::Path) -> (Option<i32>, String) {
    let o = guardctl(&["--format", "plain", "lint", path.to_str().unwrap()]);
    (o.status.code(), stdout(&o))
}

fn decisions(dir: &std::path::Path) -> Vec<(String, String)> {
    let agent = dir.join("e2e.agent.abl");
    let trace = dir.join("t.jsonl");
    let o = guardctl(&[
        "simulate",
        agent.to_str().unwrap(),
        "--traces",
        trace.to_str().unwrap(),
        "--events",
        "/dev/stdout",
    ]);
    stdout(&o)
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["id"].as_str().unwrap().to_string(),
                v["decision"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn check_polarity_from_guardctl_toml_is_applied_and_shown() {
    let d = write_dir(&[("e2e.agent.abl", E2E), ("t.jsonl", TRACE)]);
    // The default (pass): the check is what content must satisfy, and
    // the lint says this one reads the other way.
    let (_, text) = lint(&d.path().join("e2e.agent.abl"));
    assert!(text.contains("GC405"), "{text}");
    assert_eq!(
        decisions(d.path()),
        [
            ("harmless".into(), "block".into()),
            ("keyword".into(), "allow".into())
        ]
    );
    // As Kore reads it.
    std::fs::write(
        d.path().join("guardctl.toml"),
        "check_polarity = \"violation\"\n",
    )
    .unwrap();
    let (code, text) = lint(&d.path().join("e2e.agent.abl"));
    assert_eq!(code, Some(0), "{text}");
    assert!(!text.contains("GC405"));
    assert_eq!(
        decisions(d.path()),
        [
            ("harmless".into(), "allow".into()),
            ("keyword".into(), "block".into())
        ]
    );
    let o = guardctl(&[
        "explain",
        d.path().join("e2e.agent.abl").to_str().unwrap(),
        "--event",
        r#"{"id":"x","agent":"E2E_Agent","input":"BLOCKED_KEYWORD"}"#,
    ]);
    let text = stdout(&o);
    assert!(
        text.contains("check_polarity: violation (guardctl.toml"),
        "{text}"
    );
    assert!(
        text.contains("check is true (check_polarity: violation)"),
        "{text}"
    );
    // The bundle says what each check means.
    let o = guardctl(&["compile", d.path().join("e2e.agent.abl").to_str().unwrap()]);
    assert!(
        stdout(&o).contains("\"check_polarity\": \"violation\""),
        "{}",
        stdout(&o)
    );
}

#[test]
fn guardctl_toml_settings_not_read_are_refused() {
    let d = write_dir(&[
        ("e2e.agent.abl", E2E),
        (
            "guardctl.toml",
            "check_polarity = \"fires\"\nnow = \"2026-11-01\"\nruntime = \"kore\"\n",
        ),
    ]);
    let (code, text) = lint(&d.path().join("e2e.agent.abl"));
    assert_eq!(code, Some(1));
    assert!(text.contains("guardctl.toml:1:18: error[GC103]"), "{text}");
    assert!(
        text.contains("guardctl.toml:2:1: error[GC101]: `now` in guardctl.toml is not read"),
        "{text}"
    );
    // `runtime` is read: nothing is said about it.
    assert!(!text.contains("guardctl.toml:3:"), "{text}");
}

#[test]
fn match_is_the_unambiguous_form() {
    let agent = E2E.replace("    check:", "    match:");
    let d = write_dir(&[("e2e.agent.abl", &agent), ("t.jsonl", TRACE)]);
    assert_eq!(
        decisions(d.path()),
        [
            ("harmless".into(), "allow".into()),
            ("keyword".into(), "block".into())
        ]
    );
}

#[test]
fn kore_spellings_and_pseudo_functions() {
    let agent = "AGENT: Spell_Agent\n\nGUARDRAILS:\n  short_answers:\n    kind: output\n    check: LENGTH(response) < 2000 && abl.lower(content) != 'x' && turn_count < 50\n    action: warn\n  words:\n    kind: input\n    check: abl.not_contains_blocked_words(input)\n    action: block\n";
    let d = write_dir(&[("s.agent.abl", agent)]);
    let (_, text) = lint(&d.path().join("s.agent.abl"));
    assert!(
        !text.contains("short_answers"),
        "aliases are accepted: {text}"
    );
    assert!(
        text.contains("unknown function `abl.not_contains_blocked_words`"),
        "{text}"
    );
    assert!(text.contains("contains_any"), "{text}");
}

/// `profanity_filter: {kind: input, action: block}` as Kore's docs write
/// it: the template's check, not GC110.
#[test]
fn templates_give_their_check() {
    let agent = "AGENT: T_Agent\n\nGUARDRAILS:\n  profanity_filter: {kind: input, action: block}\n  ssn_protection:\n    kind: input\n    action: redact\n  not_a_template: {kind: input, action: block}\n";
    let trace = "{\"id\":\"a\",\"agent\":\"T_Agent\",\"input\":\"this is bullshit\"}\n{\"id\":\"b\",\"agent\":\"T_Agent\",\"input\":\"my ssn is 123-45-6789\"}\n{\"id\":\"c\",\"agent\":\"T_Agent\",\"input\":\"hi\"}\n";
    let d = write_dir(&[("t.agent.abl", agent), ("t.jsonl", trace)]);
    let (_, text) = lint(&d.path().join("t.agent.abl"));
    assert_eq!(text.matches("GC110").count(), 1, "{text}");
    assert!(text.contains("not_a_template"), "{text}");
    let ok = agent.replace("  not_a_template: {kind: input, action: block}\n", "");
    std::fs::write(d.path().join("t.agent.abl"), ok).unwrap();
    let o = guardctl(&[
        "simulate",
        d.path().join("t.agent.abl").to_str().unwrap(),
        "--traces",
        d.path().join("t.jsonl").to_str().unwrap(),
        "--events",
        "/dev/stdout",
    ]);
    let got: Vec<String> = stdout(&o)
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["decision"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(got, ["block", "redact", "allow"]);
    let o = guardctl(&["rule", "--templates"]);
    assert!(stdout(&o).contains("profanity_filter  (Kore: kind input, action block)"));
}

/// `provider: openai_moderation` with no `PROVIDERS:` entry: Kore's
/// tenant registry, with its defaults.
#[test]
fn registry_providers_need_no_declaration() {
    let agent = "AGENT: P_Agent\n\nGUARDRAILS:\n  moderation:\n    kind: output\n    provider: openai_moderation\n    action: block\n  typo:\n    kind: output\n    provider: openai_moderaton\n    action: block\n";
    let d = write_dir(&[("p.agent.abl", agent)]);
    let (_, text) = lint(&d.path().join("p.agent.abl"));
    assert!(!text.contains("provider `openai_moderation`"), "{text}");
    assert!(
        text.contains("did you mean `openai_moderation` (a provider of Kore's tenant registry)?"),
        "{text}"
    );
}

/// Files laid out as Kore lays them out (`SUPERVISOR:` documents, YAML
/// agent files with lower-case keys, a blank line after `AGENT:`, Kore's
/// spellings, templates and registry providers) lint clean and are in
/// canonical form already.
#[test]
fn kore_layout_files_lint_clean_and_are_formatted() {
    let dir = "tests/fixtures/kore/accepted";
    let (code, text) = lint(std::path::Path::new(dir));
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("5 files checked: 0 errors, 0 warnings"),
        "{text}"
    );
    let o = guardctl(&["fmt", "--check", dir]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let o = guardctl(&["--format", "json", "compile", dir]);
    let bundle: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let ids: Vec<&str> = bundle["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    for id in [
        "Support_Router/harmful_content_detection.input",
        "Card_Services/turn_limit",
        "Banking_Assistant/moderation",
    ] {
        assert!(ids.contains(&id), "{id} not in {ids:?}");
    }
}

/// What Kore would skip and let through is an error, each with its line.
#[test]
fn files_kore_fails_open_on_are_errors() {
    let mut all = String::new();
    let mut files: Vec<_> = std::fs::read_dir("tests/fixtures/kore/fail-open")
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in files {
        let (code, text) = lint(&f);
        assert_eq!(code, Some(1), "{}", f.display());
        all.push_str(&text);
    }
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("kore__fail_open", all);
    });
}
