//! The HTML report a reviewer gets, built from the shipped examples with a
//! baseline and a sweep: its sections hold what a review needs, and it
//! renders in headless Chromium (a screenshot of the page).
//!
//! `.ci/run` installs Chromium (Debian's `chromium`) and sets
//! `GUARDCTL_REQUIRE_CHROMIUM=1`, so in CI a missing browser fails the
//! render test; under a plain `cargo test` without one it says that it
//! did not run.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::process::Command;

use common::{guardctl_env, stderr};

mod common;

/// Writes the report of the examples (with a baseline and a sweep) and
/// returns its text and path.
fn report(dir: &std::path::Path) -> (String, std::path::PathBuf) {
    let trace = dir.join("t.jsonl");
    // The shipped trace, plus a broken line and a misspelt field.
    let mut text = std::fs::read_to_string("examples/traces/payments.jsonl").unwrap();
    text.push_str("{\"id\":\"broken\",\n{\"id\":\"x\",\"outptu\":\"hi\"}\n");
    std::fs::write(&trace, text).unwrap();
    let path = dir.join("report.html");
    let o = guardctl_env(
        &[
            "simulate",
            "examples/policies",
            "examples/agents",
            "examples/tests",
            "--traces",
            trace.to_str().unwrap(),
            "--baseline",
            "examples/policies/tenant.yaml",
            "--sweep",
            "jailbreak_guard",
            "--report",
            path.to_str().unwrap(),
        ],
        &[("SOURCE_DATE_EPOCH", "1780000000")],
    );
    assert!(o.status.code().unwrap() <= 1, "{}", stderr(&o));
    (std::fs::read_to_string(&path).unwrap(), path)
}

#[test]
fn the_report_holds_what_a_review_needs() {
    let dir = tempfile::tempdir().unwrap();
    let (html, _) = report(dir.path());
    // Inputs: policy paths, trace files, digest, generation time.
    for needle in [
        "<th class=\"l\">policies</th><td class=\"l\"><code>examples/policies</code>",
        "<th class=\"l\">baseline</th>",
        "t.jsonl</code>",
        "<th class=\"l\">bundle digest</th><td class=\"l\"><code>sha256:",
        "<th class=\"l\">generated</th><td class=\"l\">2026-05-28T20:26:40Z",
    ] {
        assert!(html.contains(needle), "inputs lack {needle}");
    }
    // One colour per action, in a legend, used by the decisions.
    let legend = html
        .split("<div class=\"legend\"")
        .nth(1)
        .unwrap()
        .split("</div>")
        .next()
        .unwrap();
    for (action, colour) in [
        ("block", "#dc2626"),
        ("redact", "#a78bfa"),
        ("mask", "#d946ef"),
        ("allow", "#9ca3af"),
    ] {
        assert!(
            legend.contains(&format!("background:{colour}\"></span>{action}")),
            "legend lacks {action}"
        );
    }
    // Axes with titles and gridlines on both charts.
    assert!(html.contains(">day (UTC)</text>") && html.contains(">events</text>"));
    assert!(html.contains(">events triggered</text>"));
    assert!(html.matches("stroke=\"#e5e7eb\"").count() >= 8, "gridlines");
    // Per rule: evaluated, triggered, unevaluated, skipped.
    assert!(
        html.contains("<th>evaluated</th><th>triggered</th><th>unevaluated</th><th>skipped</th>")
    );
    assert!(html.contains("<code>payments-safety/jailbreak_guard</code>"));
    // Governance by object, not one bullet per event.
    assert!(!html.contains("<li>event "));
    assert!(html.contains("<td class=\"l\">budget <code>global</code></td>"));
    assert!(html.contains("<td class=\"l\">approval chain <code>finance-review</code></td>"));
    // The sweep, the settings not simulated, unknown fields, malformed lines.
    assert!(
        html.contains("<h2>Threshold sweep: <code>payments-safety/jailbreak_guard</code></h2>")
    );
    assert!(html.contains("<h2>Not simulated</h2>"));
    assert!(html.contains("<td class=\"l\"><code>outptu</code></td><td>1</td>"));
    assert!(html.contains("t.jsonl:1502"), "the broken line is listed");
    // Self-contained, and reproducible with SOURCE_DATE_EPOCH.
    assert!(!html.contains("<script") && !html.contains("src=\"http"));
    let again = tempfile::tempdir().unwrap();
    assert_eq!(
        report(again.path())
            .0
            .replace(again.path().to_str().unwrap(), ""),
        html.replace(dir.path().to_str().unwrap(), "")
    );
}

fn chromium() -> Option<String> {
    common::external_tool(
        "GUARDCTL_CHROMIUM",
        "chromium",
        "GUARDCTL_REQUIRE_CHROMIUM",
        "Chromium",
    )
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&bytes[16..20]), be(&bytes[20..24]))
}

#[test]
fn the_report_renders_in_headless_chromium() {
    let Some(exe) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (_, path) = report(dir.path());
    let shot = dir.path().join("report.png");
    let o = Command::new(&exe)
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1100,2600",
            &format!("--screenshot={}", shot.display()),
            &format!("file://{}", path.display()),
        ])
        .env("HOME", dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let png = std::fs::read(&shot).unwrap();
    assert_eq!(png_size(&png), (1100, 2600));
    // A blank page compresses to a few kilobytes; charts and tables do not.
    assert!(
        png.len() > 60_000,
        "the screenshot looks blank ({} bytes)",
        png.len()
    );
    if let Ok(keep) = std::env::var("GUARDCTL_KEEP_SCREENSHOT") {
        std::fs::copy(&shot, keep).unwrap();
    }
}
