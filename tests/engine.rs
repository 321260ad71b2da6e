//! The engine through the real binary: simulate, explain and test on the
//! shipped examples, with every trace format and output option.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::Write;
use std::process::{Command, Stdio};

use common::{guardctl, stdout};

mod common;

const TRACE: &str = "examples/traces/payments.jsonl";

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!(name, text);
    });
}

#[test]
fn simulate_summary() {
    let o = guardctl(&[
        "simulate",
        "examples/policies",
        "examples/agents",
        "examples/tests",
        "--traces",
        TRACE,
    ]);
    assert_eq!(o.status.code(), Some(0));
    snapshot("simulate__human", &stdout(&o));
    let o = guardctl(&[
        "--format",
        "json",
        "simulate",
        "examples/policies",
        "examples/agents",
        "examples/tests",
        "--traces",
        TRACE,
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["events"], 1500);
    assert_eq!(v["malformed"]["count"], 1);
    snapshot("simulate__json", &serde_json::to_string_pretty(&v).unwrap());
}

#[test]
fn output_is_identical_on_one_and_two_threads() {
    let dir = tempfile::tempdir().unwrap();
    let (e1, e2) = (dir.path().join("1.jsonl"), dir.path().join("2.jsonl"));
    let a = guardctl(&[
        "simulate",
        "examples/policies",
        "examples/agents",
        "examples/tests",
        "--traces",
        TRACE,
        "--threads",
        "1",
        "--events",
        e1.to_str().unwrap(),
    ]);
    let b = guardctl(&[
        "simulate",
        "examples/policies",
        "examples/agents",
        "examples/tests",
        "--traces",
        TRACE,
        "--threads",
        "2",
        "--events",
        e2.to_str().unwrap(),
    ]);
    assert_eq!(a.stdout, b.stdout);
    let (t1, t2) = (std::fs::read(&e1).unwrap(), std::fs::read(&e2).unwrap());
    assert_eq!(t1, t2);
    let lines: Vec<serde_json::Value> = String::from_utf8(t1)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1500);
    for l in &lines {
        for k in ["id", "line", "decision", "fired", "unevaluated"] {
            assert!(l.get(k).is_some(), "missing {k}: {l}");
        }
    }
    // Redaction appears only where it happened, with labels in place of PII.
    let masked: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l.get("redacted_input").is_some())
        .collect();
    assert!(!masked.is_empty());
    assert!(
        masked
            .iter()
            .all(|l| l["redacted_input"].as_str().unwrap().contains('<'))
    );
    // Match offsets are characters into the event's text.
    let card = lines
        .iter()
        .find(|l| {
            l["fired"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["rule"] == "payments-safety/card_numbers.input")
        })
        .unwrap();
    let m = &card["fired"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "payments-safety/card_numbers.input")
        .unwrap()["matches"][0];
    assert_eq!(m["entity"], "CREDIT_CARD");
    assert_eq!(m["start"], 11);
    assert_eq!(m["end"], 30);
}

#[test]
fn gzip_and_stdin_read_the_same_events() {
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("t.jsonl.gz");
    let raw = std::fs::read(TRACE).unwrap();
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::fast(),
    );
    enc.write_all(&raw).unwrap();
    enc.finish().unwrap();
    let plain = guardctl(&[
        "--format",
        "json",
        "simulate",
        "examples/policies",
        "examples/agents",
        "examples/tests",
        "--traces",
        TRACE,
    ]);
    let zipped = guardctl(&[
        "--format",
        "json",
        "simulate",
        "examples/policies",
        "examples/agents",
        "examples/tests",
        "--traces",
        gz.to_str().unwrap(),
    ]);
    let a: serde_json::Value = serde_json::from_slice(&plain.stdout).unwrap();
    let mut b: serde_json::Value = serde_json::from_slice(&zipped.stdout).unwrap();
    b["malformed"]["lines"][0]["file"] = a["malformed"]["lines"][0]["file"].clone();
    assert_eq!(a, b);
    let mut child = Command::new(env!("CARGO_BIN_EXE_guardctl"))
        .args([
            "--format",
            "json",
            "simulate",
            "examples/policies",
            "examples/agents",
            "examples/tests",
            "--traces",
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&raw).unwrap();
    let out = child.wait_with_output().unwrap();
    let c: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(a["decisions"], c["decisions"]);
}

#[test]
fn malformed_lines_are_counted_or_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("t.jsonl");
    std::fs::write(&t, b"{\"id\":\"a\",\"input\":\"hi\"}\nnot json\n{\"id\":\"b\",\"input\":5}\n\n[1,2]\n{\"id\":\"x\",\"input\":\"\xff\xfe\"}\n{\"id\":\"c\",\"output\":\"ok\"}\n").unwrap();
    let o = guardctl(&[
        "--format",
        "json",
        "simulate",
        "examples/policies",
        "examples/agents",
        "examples/tests",
        "--traces",
        t.to_str().unwrap(),
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["events"], 2);
    // Bad JSON, a wrong type, an array, invalid UTF-8: each counted, the rest read.
    assert_eq!(v["malformed"]["count"], 4);
    let lines: Vec<u64> = v["malformed"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, vec![2, 3, 5, 6]);
    let o = guardctl(&[
        "simulate",
        "examples/policies",
        "examples/agents",
        "examples/tests",
        "--traces",
        t.to_str().unwrap(),
        "--strict",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains(":2: malformed trace line"));
}

#[test]
fn opentelemetry_spans_in_both_styles() {
    let o = guardctl(&[
        "--format",
        "json",
        "simulate",
        "examples/policies",
        "examples/agents",
        "examples/tests",
        "--traces",
        "examples/traces/otel-genai.jsonl",
        "--events",
        "/dev/stdout",
    ]);
    let text = stdout(&o);
    let events: Vec<serde_json::Value> = text
        .lines()
        .filter(|l| l.starts_with("{\"decision\"") || l.contains("\"fired\""))
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert_eq!(events.len(), 2, "{text}");
    // Span-event style: the user message carries a card number.
    assert!(
        events[0]["fired"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "payments-safety/card_numbers.input")
    );
    // Attribute style: the input message is a prompt injection.
    assert!(
        events[1]["fired"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "acme-baseline/prompt_injection")
    );
}

#[test]
fn baseline_flips_sweep_and_max_rate() {
    let o = guardctl(&[
        "simulate",
        "examples/policies",
        "examples/agents",
        "examples/tests",
        "--traces",
        TRACE,
        "--baseline",
        "examples/policies/tenant.yaml",
    ]);
    let text = stdout(&o);
    assert!(text.contains("flip matrix"), "{text}");
    snapshot("simulate__baseline", &text);
    let o = guardctl(&[
        "--format",
        "json",
        "simulate",
        "examples/policies",
        "examples/agents",
        "examples/tests",
        "--traces",
        TRACE,
        "--sweep",
        "toxicity",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let points = v["sweep"]["points"].as_array().unwrap();
    assert_eq!(points.len(), 19);
    let counts: Vec<u64> = points
        .iter()
        .map(|p| p["triggered"].as_u64().unwrap())
        .collect();
    assert!(
        counts.windows(2).all(|w| w[0] >= w[1]),
        "trigger counts fall as the threshold rises: {counts:?}"
    );
    assert_eq!(
        guardctl(&[
            "simulate",
            "examples/policies",
            "examples/agents",
            "examples/tests",
            "--traces",
            TRACE,
            "--max-rate",
            "block=10%"
        ])
        .status
        .code(),
        Some(1)
    );
    assert_eq!(
        guardctl(&[
            "simulate",
            "examples/policies",
            "examples/agents",
            "examples/tests",
            "--traces",
            TRACE,
            "--max-rate",
            "block=99%"
        ])
        .status
        .code(),
        Some(0)
    );
    assert_eq!(
        guardctl(&[
            "simulate",
            "examples/policies",
            "examples/agents",
            "examples/tests",
            "--traces",
            TRACE,
            "--max-rate",
            "explode=1%"
        ])
        .status
        .code(),
        Some(2)
    );
    assert_eq!(
        guardctl(&[
            "simulate",
            "examples/policies",
            "examples/agents",
            "examples/tests",
            "--traces",
            TRACE,
            "--sweep",
            "card_numbers"
        ])
        .status
        .code(),
        Some(2)
    );
}

#[test]
fn html_report_is_self_contained_and_masks_pii() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.html");
    let o = guardctl(&[
        "simulate",
        "examples/policies",
        "examples/agents",
        "examples/tests",
        "--traces",
        TRACE,
        "--baseline",
        "examples/policies/tenant.yaml",
        "--report",
        report.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.matches("<svg").count() >= 2);
    // Each action heads one column of the flip matrix.
    let header = html
        .split("<h2>Flip matrix</h2>")
        .nth(1)
        .unwrap()
        .split("</tr>")
        .next()
        .unwrap();
    assert_eq!(header.matches("<th>redact</th>").count(), 1, "{header}");
    assert!(
        !html.contains("<script") && !html.contains("src=\"http") && !html.contains("href=\"http")
    );
    assert!(
        !html.contains("4111 1111 1111 1111") && !html.contains("123-45-6789"),
        "report leaks PII"
    );
    let o = guardctl(&[
        "simulate",
        "examples/policies",
        "examples/agents",
        "examples/tests",
        "--traces",
        TRACE,
        "--baseline",
        "examples/policies/tenant.yaml",
        "--show-matches",
    ]);
    assert!(stdout(&o).contains("4111 1111 1111 1111"));
}

#[test]
fn explain_one_event() {
    let o = guardctl(&[
        "explain",
        "examples/policies",
        "examples/agents",
        "examples/tests",
        "--text",
        "My card is 4111 1111 1111 1111",
        "--kind",
        "input",
    ]);
    snapshot("explain__human", &stdout(&o));
    let ev = r#"{"id":"e1","output":"I will help. Your SSN 123-45-6789 is on file.","chunks":["I will help. ","Your SSN ","123-45-6789 is on file."],"agent":"Support_Bot","scores":{"moderation":{"hate":0.1}}}"#;
    let o = guardctl(&[
        "--format",
        "json",
        "explain",
        "examples/policies",
        "examples/agents",
        "examples/tests",
        "--event",
        ev,
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["eventId"], "e1");
    let stream = v["trace"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["ruleKey"] == "Support_Bot/stream_guard")
        .unwrap();
    assert_eq!(stream["passed"], false);
    assert_eq!(stream["chunk"], 2, "the SSN arrives in the third chunk");
    for k in [
        "ruleKey", "ruleName", "severity", "passed", "reason", "eventId",
    ] {
        assert!(stream.get(k).is_some());
    }
    assert_eq!(
        guardctl(&[
            "explain",
            "examples/policies",
            "examples/agents",
            "examples/tests",
            "--text",
            "x",
            "--kind",
            "bogus"
        ])
        .status
        .code(),
        Some(2)
    );
}

/// A tool call without text is shown as the call, its PII masked unless
/// asked for.
#[test]
fn tool_call_excerpt_masks_its_parameters() {
    let ev = r#"{"id":"t1","kind":"tool_input","agent":"Refund_Agent","tool":{"name":"refund","parameters":{"amount":900,"contact":"jane.doe@example.com"}}}"#;
    let masked = stdout(&guardctl(&[
        "explain",
        "examples/policies",
        "examples/agents",
        "examples/tests",
        "--event",
        ev,
    ]));
    assert!(
        masked.starts_with(r#"event t1: refund({"amount":900,"contact":"<EMAIL_ADDRESS>"})"#),
        "{masked}"
    );
    let shown = stdout(&guardctl(&[
        "explain",
        "examples/policies",
        "examples/agents",
        "examples/tests",
        "--event",
        ev,
        "--show-matches",
    ]));
    assert!(shown.contains("jane.doe@example.com"), "{shown}");
    let result = r#"{"id":"t2","kind":"tool_output","tool":{"name":"lookup","result":{"card":"4111 1111 1111 1111"}}}"#;
    let masked = stdout(&guardctl(&[
        "explain",
        "examples/policies",
        "examples/agents",
        "examples/tests",
        "--event",
        result,
    ]));
    assert!(
        masked.starts_with(r#"event t2: lookup -> {"card":"<CREDIT_CARD>"}"#),
        "{masked}"
    );
}

/// A match that the excerpt's 160 characters would cut is masked whole:
/// none of its characters show.
#[test]
fn excerpt_masks_a_match_its_end_would_cut() {
    // The card starts at `lead + 1`, inside the first 160 characters.
    for lead in 140..159 {
        let text = format!("{} 4111 1111 1111 1111 and more", "x".repeat(lead));
        let o = guardctl(&[
            "explain",
            "examples/policies",
            "examples/agents",
            "examples/tests",
            "--text",
            &text,
            "--kind",
            "input",
        ]);
        let first = stdout(&o).lines().next().unwrap_or_default().to_string();
        assert!(first.ends_with(" <CREDIT_CARD>"), "{lead}: {first}");
        assert!(!first.contains("4111"), "{lead}: {first}");
    }
}

#[test]
fn policy_tests() {
    let o = guardctl(&[
        "test",
        "examples/policies",
        "examples/agents",
        "examples/tests",
    ]);
    let text = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(text.contains("12 passed, 0 failed"));
    assert!(text.contains("rule coverage:"));
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("t.guardtest.yaml");
    std::fs::copy("tests/fixtures/tests/failing.guardtest.yaml", &copy).unwrap();
    let o = guardctl(&[
        "--format",
        "plain",
        "test",
        "examples/policies",
        copy.to_str().unwrap(),
    ]);
    let text = stdout(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text.contains("error[GC502]: test `wrong_decision`: expected decision `block`, got `mask`"),
        "{text}"
    );
    assert!(
        text.contains("error[GC501]: test `wrong_decision`: no rule `no_such_rule`"),
        "{text}"
    );
    assert!(text.contains("0 passed, 1 failed"));
    // Cases that cannot run, or that expect nothing, fail with a
    // diagnostic at the key at fault.
    let copy = dir.path().join("m.guardtest.yaml");
    std::fs::copy("tests/fixtures/tests/malformed.guardtest.yaml", &copy).unwrap();
    let o = guardctl(&[
        "--format",
        "plain",
        "test",
        "examples/policies",
        copy.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let text = stdout(&o).replace(copy.to_str().unwrap(), "m.guardtest.yaml");
    let diagnostics: String = text
        .lines()
        .filter(|l| l.contains("error["))
        .map(|l| format!("{l}\n"))
        .collect();
    snapshot("test__malformed_cases", &diagnostics);
    // One FAIL line and one count for every case, run or not.
    assert_eq!(
        text.lines().filter(|l| l.starts_with("FAIL ")).count(),
        9,
        "{text}"
    );
    assert!(text.contains("0 passed, 9 failed"), "{text}");
}
