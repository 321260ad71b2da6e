//! OpenTelemetry GenAI traces made by real instrumentations
//! (`tests/fixtures/otel`, see its VERSIONS.md): each read by the real
//! binary as `guardctl traces show` prints it (one snapshot per fixture),
//! and checked for what the recorded exchanges were: the prompts,
//! answers, tool calls with their arguments and results, models, tokens
//! and ids.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::path::{Path, PathBuf};

use common::{guardctl, stderr, stdout};
use serde_json::Value as J;

const FIXTURES: &str = "tests/fixtures/otel";

fn fixtures() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(FIXTURES)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    v.sort();
    v
}

fn name(p: &Path) -> String {
    p.file_stem().unwrap().to_string_lossy().to_string()
}

fn events(p: &Path) -> Vec<J> {
    let o = guardctl(&["traces", "show", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn every_fixture_as_guardctl_reads_it() {
    for p in fixtures() {
        let o = guardctl(&["traces", "show", p.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let text = format!("{}--- stderr\n{}", stdout(&o), stderr(&o));
        insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(format!("otel__{}", name(&p)), text);
        });
    }
}

/// The five recorded OpenAI exchanges, as every client instrumentation
/// that records content must read them.
#[test]
fn recorded_exchanges_mean_what_they_were() {
    for p in fixtures() {
        let n = name(&p);
        if n.starts_with("pydantic") {
            continue;
        }
        let evs = events(&p);
        let content =
            !(n.contains("no-content") || n.contains("legacy-default") || n.contains("hide-io"));
        let model_events: Vec<&J> = evs.iter().filter(|e| e.get("tool").is_none()).collect();
        assert_eq!(model_events.len(), 6, "{n}: one event per model call");
        let first = model_events[0];
        // OpenInference records the response id only in the (hidden) output.
        if !n.contains("hide-io") {
            assert_eq!(
                first["request_id"], "chatcmpl-ASYMQRl3A3DXL9FWCK9tnGRcKIO7q",
                "{n}"
            );
        }
        assert_eq!(first["tokens"]["input"], 12, "{n}");
        assert_eq!(first["tokens"]["output"], 5, "{n}");
        assert!(
            first["model"].as_str().unwrap().starts_with("gpt-4o-mini"),
            "{n}"
        );
        assert_eq!(first["metadata"]["provider"], "openai", "{n}");
        assert!(first["trace_id"].is_string(), "{n}");
        if content {
            assert_eq!(first["input"], "Say this is a test", "{n}");
            assert_eq!(first["output"], "This is a test.", "{n}");
            // The second turn sends only tool results: no new prompt.
            assert!(model_events[2].get("input").is_none(), "{n}");
            assert!(
                model_events[2]["output"]
                    .as_str()
                    .unwrap()
                    .contains("50 degrees"),
                "{n}"
            );
        } else {
            assert!(
                evs.iter()
                    .all(|e| e.get("input").is_none() && e.get("output").is_none()),
                "{n}"
            );
        }
        // The failed call is an event too, with its error.
        assert!(
            model_events[5]["metadata"]["error"]
                .as_str()
                .unwrap()
                .contains("404"),
            "{n}"
        );
        let tools: Vec<&J> = evs.iter().filter(|e| e.get("tool").is_some()).collect();
        if content {
            assert_eq!(tools.len(), 4, "{n}: four tool calls");
            assert_eq!(tools[0]["tool"]["name"], "get_current_weather", "{n}");
            assert_eq!(
                tools[0]["tool"]["parameters"]["location"], "Seattle, WA",
                "{n}"
            );
            assert_eq!(tools[0]["tool"]["result"], "50 degrees and raining", "{n}");
            assert_eq!(tools[1]["tool"]["result"], "70 degrees and sunny", "{n}");
            // The streamed calls got no answer in the recording.
            assert!(tools[2]["tool"]["result"].is_null(), "{n}");
        } else if n.contains("legacy-default") {
            // Names and ids are recorded without content.
            assert_eq!(tools.len(), 4, "{n}");
            assert!(
                tools.iter().all(|t| t["tool"]["parameters"].is_null()),
                "{n}"
            );
        } else {
            assert!(tools.is_empty(), "{n}");
        }
    }
}

#[test]
fn an_agent_framework_reads_through_its_spans() {
    for n in [
        "pydantic-ai-agent",
        "pydantic-ai-agent-v6",
        "pydantic-ai-agent-no-content",
    ] {
        let evs = events(&Path::new(FIXTURES).join(format!("{n}.jsonl")));
        let kinds: Vec<&str> = evs.iter().map(|e| e["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds.len(), 4, "{n}: two model calls, two tool executions");
        assert!(
            evs.iter()
                .all(|e| e["metadata"]["conversation_id"].is_string()),
            "{n}"
        );
        let cost: f64 = evs.iter().filter_map(|e| e["cost_usd"].as_f64()).sum();
        assert!((cost - 0.0000717).abs() < 1e-12, "{n}: {cost}");
        let tools: Vec<&J> = evs.iter().filter(|e| e.get("tool").is_some()).collect();
        assert_eq!(tools.len(), 2, "{n}");
        if !n.contains("no-content") {
            assert_eq!(
                tools[1]["tool"]["parameters"]["location"],
                "San Francisco, CA"
            );
            assert_eq!(tools[1]["tool"]["result"], "70 degrees and sunny");
            assert_eq!(
                evs[0]["input"],
                "What's the weather in Seattle and San Francisco today?"
            );
        }
    }
}

/// Nothing is made up: a metrics line is skipped and counted, and
/// `--strict` fails on it, in `traces show` and in `simulate`.
#[test]
fn lines_without_genai_content_are_skipped_and_strict_fails() {
    let p = format!("{FIXTURES}/openai-v2-span-only.jsonl");
    let o = guardctl(&["traces", "show", &p]);
    assert!(
        stderr(&o).contains("skipped (no GenAI content): 1 metrics"),
        "{}",
        stderr(&o)
    );
    let o = guardctl(&["traces", "show", "--strict", &p]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains(":6: metrics"), "{}", stderr(&o));
    let o = guardctl(&[
        "simulate",
        "examples/policies",
        "examples/agents",
        "examples/tests",
        "--traces",
        &p,
        "--strict",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("no GenAI content"), "{}", stderr(&o));
    let o = guardctl(&[
        "--format",
        "json",
        "simulate",
        "examples/policies",
        "examples/agents",
        "examples/tests",
        "--traces",
        &p,
    ]);
    let report: J = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(report["events"], 10);
    assert_eq!(report["skipped"]["metrics"], 1);
}

/// What `traces convert` writes reads back as the same events.
#[test]
fn converted_traces_read_back_as_the_same_events() {
    let dir = common::write_dir(&[]);
    for p in fixtures() {
        let out = dir.path().join(format!("{}.jsonl", name(&p)));
        let o = guardctl(&[
            "traces",
            "convert",
            p.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let strip = |mut e: J| {
            e.as_object_mut().unwrap().remove("source");
            e
        };
        let a: Vec<J> = events(&p).into_iter().map(strip).collect();
        let b: Vec<J> = events(&out).into_iter().map(strip).collect();
        assert_eq!(a, b, "{}", name(&p));
    }
}
