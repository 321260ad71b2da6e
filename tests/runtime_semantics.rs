//! Each runtime's own decision rules (spec §3, §8), replayed by
//! `simulate` on the fixture repositories under `tests/fixtures/runtimes/`:
//! one line per event with its decision and every rule that fired, with
//! its action, severity and reason.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::{guardctl, stderr, stdout};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/runtimes");

/// A snapshot in the repository's `snapshots/`.
macro_rules! snapshot {
    ($name:expr, $value:expr) => {
        insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!($name, $value);
        })
    };
}

/// `simulate DIR --traces DIR/trace.jsonl`, one line per event.
fn decisions(runtime: &str) -> String {
    let dir = format!("{ROOT}/{runtime}");
    let lint = guardctl(&["--format", "plain", "lint", &dir]);
    assert_eq!(lint.status.code(), Some(0), "{}", stdout(&lint));
    let trace = format!("{dir}/trace.jsonl");
    let o = guardctl(&[
        "simulate",
        &dir,
        "--traces",
        &trace,
        "--events",
        "/dev/stdout",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut out = String::new();
    for line in stdout(&o).lines().filter(|l| l.starts_with('{')) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        out.push_str(&format!(
            "{} -> {}\n",
            v["id"].as_str().unwrap(),
            v["decision"].as_str().unwrap()
        ));
        for f in v["fired"].as_array().unwrap() {
            out.push_str(&format!(
                "    {} {} ({}): {}\n",
                f["rule"].as_str().unwrap(),
                f["action"].as_str().unwrap(),
                f["severity"].as_str().unwrap(),
                f["reason"].as_str().unwrap()
            ));
        }
    }
    out
}

/// Kairro: strongest severity wins (`strongest`: a critical rule that
/// logs beats a medium one that warns), the severity fallback (no action:
/// critical blocks, medium warns), fail-closed by default (`no-score`),
/// `min_severity` (`ip-only`: an IP address is low), unapproved tools
/// short-circuit (`paste-site`, `free-ai` by fallback), approved sites
/// without policies bypass (`bypass`), a team policy applies to its team
/// only, a disabled policy never applies.
#[test]
fn kairro_decides_as_kairro() {
    snapshot!("runtime__kairro", decisions("kairro"));
}

/// KaireonAI: decision constraints on candidate events (no content): a
/// `match` tree fires when it holds, `hard` (the default severity) blocks
/// the candidate and `soft` flags it, `when` trees narrow the rule to a
/// channel, a leaf on a missing offer field is false (`exists`).
#[test]
fn kaireon_filters_candidates() {
    snapshot!("runtime__kaireon", decisions("kaireon"));
}

/// Orq: one rule with two evaluators triggers when either does, each at
/// its provider's threshold; the rule applies where its `when` (headers
/// are lower-case) holds; a project rule only to its project; a missing
/// evaluator score leaves the rule unevaluated (open); `sample_rate`
/// samples deterministically.
#[test]
fn orq_runs_evaluators() {
    snapshot!("runtime__orq", decisions("orq"));
}

/// Kore: checks read in the violation polarity (`guardctl.toml`), a policy
/// that fails closed blocks what it cannot score, agent and project rules
/// layer.
#[test]
fn kore_decides_as_kore() {
    snapshot!("runtime__kore", decisions("kore"));
}

/// `explain` in each runtime's own shape: Kairro's verdict with its DLP
/// summary (masked snippets), KaireonAI's `debugTrace.guardrailReasons[]`
/// and the offers of the decision left `afterGuardrails`.
#[test]
fn explain_speaks_each_runtime() {
    let dir = format!("{ROOT}/kairro");
    let o = guardctl(&[
        "--format",
        "json",
        "explain",
        &dir,
        "--event",
        r#"{"id":"x","input":"card 4111 1111 1111 1111, key sk-abcdefghijklmnopqrstuvwxyz0123456789ABCD, mail a@example.com","tokens":{"input":3}}"#,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["runtime"], "kairro");
    let mut out = serde_json::to_string_pretty(&v["kairro"]).unwrap();
    let dir = format!("{ROOT}/kaireon");
    let trace = format!("{dir}/trace.jsonl");
    for id in ["r1-o1", "r2-o1"] {
        let o = guardctl(&[
            "--format", "json", "explain", &dir, "--trace", &trace, "--id", id,
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        out.push_str(&format!(
            "\n{id}: {}",
            serde_json::to_string_pretty(&v["kaireon"]).unwrap()
        ));
    }
    snapshot!("runtime__explain", out);
    // The human format prints the same views.
    let o = guardctl(&["explain", &dir, "--trace", &trace, "--id", "r1-o1"]);
    assert!(
        stdout(&o).contains("kaireon: request r1 · after guardrails: o2\n  ✔ vip-only (hard)\n  ✔ low-score-email (soft)\n  ✖ no-loans-to-minors (hard): Guardrail \"No loan offers to minors\" triggered\n"),
        "{}",
        stdout(&o)
    );
}

/// Kore's `constitution` is compiled (see `tests/targets.rs`), not
/// simulated: simulate says so, with where it is written.
#[test]
fn constitution_is_listed_as_not_simulated() {
    let dir = format!("{ROOT}/kore");
    let trace = format!("{dir}/trace.jsonl");
    let o = guardctl(&["simulate", &dir, "--traces", &trace]);
    let text = stdout(&o);
    assert!(
        text.contains("policy support-safety: constitution  (principles guide Kore's LLM judge"),
        "{text}"
    );
    // Model-tier timeouts and circuit breakers are replayed, so not listed.
    assert!(!text.contains("circuit_breaker"), "{text}");
    assert!(!text.contains("timeouts.model"), "{text}");
}
