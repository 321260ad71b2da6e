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
        vec![(SourceFile::new("p.yaml", text.to_string()), FileKind::Policy, true)],
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
