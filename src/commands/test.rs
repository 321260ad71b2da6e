//! `guardctl test [PATHS...]`: runs policy test files (`*.guardtest.yaml`)
//! against the policies found in the same paths.
//!
//! ```yaml
//! TESTS:
//!   card_numbers_are_masked:
//!     event: {input: "my card is 4111 1111 1111 1111", project: payments}
//!     expect:
//!       decision: mask
//!       fired: [card_numbers]
//!       not_fired: [prompt_injection]
//!       redacted_input: "my card is <CREDIT_CARD>"
//! ```
//!
//! A case gives `event` (any trace event fields) or `text` with `kind`
//! (plus event fields beside them). Rules are named by rule name or by
//! runtime id. Failures are diagnostics at the expectation that failed;
//! a case that cannot run (no event, an unknown key, a `kind` that does
//! not place the text) or that expects nothing fails too, since it would
//! otherwise pass whatever the policy did. A rule no case triggered is
//! listed under coverage.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

use super::{EXIT_FINDINGS, EXIT_OK, color, exit_for, load_policies, print};
use crate::cli::{Global, PathsArgs};
use crate::diagnostic::{Diagnostic, sort_diagnostics};
use crate::engine::evaluate::{Options, evaluate};
use crate::engine::event::{self, Event};
use crate::engine::governance::Governance;
use crate::engine::rules::RuleSet;
use crate::ir::enums::Action;
use crate::lint::LintOptions;
use crate::lint::registry::Code;
use crate::render::{self, Summary};
use crate::simulate::{final_decision, rule_exemption};
use crate::source::SourceFile;
use crate::syntax::layout::parse_yaml;
use crate::syntax::{Node, Value};

const EXPECT_HELP: &str =
    "expect takes decision, fired, not_fired, redacted_input, redacted_output";

const UNKNOWN_RULE_HELP: &str =
    "name a rule by its name or runtime id (`policy/rule`, `policy/rule.input`)";

fn is_test_file(p: &std::path::Path) -> bool {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    name.ends_with(".guardtest.yaml") || name.ends_with(".guardtest.yml")
}

fn test_files(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        for e in crate::workspace::walk(p).flatten() {
            if crate::workspace::is_file(&e) && is_test_file(e.path()) {
                out.push(e.path().to_path_buf());
            }
        }
    }
    out
}

type Problem = (Code, crate::source::Span, String, String);

/// Records a failed expectation.
fn fail(problems: &mut Vec<Problem>, span: crate::source::Span, msg: String, help: String) {
    problems.push((Code::TestFailed, span, msg, help));
}

fn get<'a>(map: &'a [(Node, Node)], key: &str) -> Option<&'a Node> {
    map.iter()
        .find(|(k, _)| k.as_str() == Some(key))
        .map(|(_, v)| v)
}

/// Where `text:` goes for each `kind:`.
const TEXT_KINDS: &[&str] = &["input", "output", "tool_input", "tool_output", "handoff"];

/// Why a case has no event: the code, where, and what to say.
type CaseError = (Code, crate::source::Span, String, &'static str);

/// A case's event from `event:` or `text:`/`kind:` (+ other event fields).
fn case_event(
    case: &[(Node, Node)],
    line: usize,
    at: crate::source::Span,
) -> Result<Event, CaseError> {
    let text = get(case, "text");
    let mut obj = match get(case, "event") {
        Some(e) => {
            if let Some((k, _)) = case
                .iter()
                .find(|(k, _)| !matches!(k.as_str(), Some("event" | "expect")))
            {
                let help = if k.as_str() == Some("text") {
                    "give the event with `event:` or with `text:`, not both"
                } else {
                    "with `event:`, a case holds only `event` and `expect`"
                };
                return Err((
                    Code::UnknownKey,
                    k.span,
                    format!("`{}` beside `event:`", k.key_text()),
                    help,
                ));
            }
            if let Some((k, _)) = e
                .as_map()
                .unwrap_or_default()
                .iter()
                .find(|(k, _)| !event::FIELDS.contains(&k.key_text().as_str()))
            {
                return Err((
                    Code::UnknownKey,
                    k.span,
                    format!("unknown event field `{}`", k.key_text()),
                    "an event takes the trace fields (`kind`, `input`, `output`, `project`, `agent`, `identity`, `scores`, ...; see the language reference)",
                ));
            }
            e.to_json()
        }
        None => {
            let fields = case
                .iter()
                .filter(|(k, _)| !matches!(k.as_str(), Some("expect" | "text")));
            let mut obj = serde_json::Map::new();
            for (k, v) in fields {
                let key = k.key_text();
                if !event::FIELDS.contains(&key.as_str()) {
                    return Err((
                        Code::UnknownKey,
                        k.span,
                        format!("unknown key `{key}` in a test case"),
                        "a case takes `event:` or `text:`, `expect:`, and event fields (`kind`, `project`, `agent`, `scores`, ...)",
                    ));
                }
                obj.insert(key, v.to_json());
            }
            if text.is_none() && obj.is_empty() {
                return Err((
                    Code::MissingField,
                    at,
                    "the case gives no event".into(),
                    "give `event:` (trace event fields) or `text:` with `kind:`",
                ));
            }
            serde_json::Value::Object(obj)
        }
    };
    if let (Some(text), Some(o)) = (text, obj.as_object_mut()) {
        let kind = match o.get("kind") {
            None => "input".to_string(),
            Some(serde_json::Value::String(k)) if TEXT_KINDS.contains(&k.as_str()) => k.clone(),
            Some(other) => {
                let span = get(case, "kind").map_or(at, |n| n.span);
                return Err((
                    Code::UnknownEnumValue,
                    span,
                    format!(
                        "`kind: {}` does not say where `text:` goes",
                        other
                            .as_str()
                            .map_or_else(|| other.to_string(), str::to_string)
                    ),
                    "kind is one of input, output, tool_input, tool_output, handoff",
                ));
            }
        };
        let t = text.to_json();
        match kind.as_str() {
            "output" => o.insert("output".into(), t),
            "tool_input" => o.insert("tool".into(), serde_json::json!({"parameters": t})),
            "tool_output" => o.insert("tool".into(), serde_json::json!({"result": t})),
            "handoff" => o.insert("handoff".into(), t),
            _ => o.insert("input".into(), t),
        };
    }
    Event::from_json(obj, line).map_err(|msg| (Code::WrongType, at, msg, ""))
}

pub fn run(global: &Global, options: &LintOptions, args: &PathsArgs) -> u8 {
    let paths = args.paths();
    // Test files named explicitly are not policies.
    let policy_paths: Vec<PathBuf> = paths.iter().filter(|p| !is_test_file(p)).cloned().collect();
    let policy_paths = if policy_paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        policy_paths
    };
    let ws = match load_policies(global, options, &policy_paths) {
        Ok(ws) => ws,
        Err(code) => return code,
    };
    let set = RuleSet::build(&ws.program);
    let exempt = rule_exemption(&ws.program);
    let mut diags: Vec<Diagnostic> = Vec::new();
    let mut triggered: BTreeSet<String> = BTreeSet::new();
    let (mut passed, mut failed) = (0usize, 0usize);
    let mut lines = String::new();
    // (name, file, line, passed) of every case, for `--format json`.
    let mut results: Vec<serde_json::Value> = Vec::new();
    let files = test_files(&paths);
    for path in &files {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                diags.push(Diagnostic::unlocated(
                    Code::Io,
                    format!("cannot read `{}`: {e}", path.display()),
                ));
                continue;
            }
        };
        let file: Arc<SourceFile> = SourceFile::new(path.display().to_string(), text);
        let doc = parse_yaml(&file, 0, file.text.len(), &mut diags);
        let cases = doc
            .root
            .as_ref()
            .and_then(|r| r.as_map())
            .and_then(|m| get(m, "TESTS"))
            .and_then(Node::as_map);
        let Some(cases) = cases else {
            diags.push(Diagnostic::new(
                Code::MissingField,
                &file,
                crate::source::Span::point(0),
                "a guardtest file holds a `TESTS:` mapping of named cases",
            ));
            continue;
        };
        for (name_node, case) in cases {
            let name = name_node.key_text();
            let line = file.line_col(name_node.span.start).0;
            // Every case gets one line and one count, whether it ran or
            // could not be built.
            let mut record = |ok: bool| {
                results.push(serde_json::json!({"name": name, "file": file.name, "line": line, "passed": ok}));
                lines.push_str(&format!(
                    "{} {} ({}:{line})\n",
                    if ok { "PASS" } else { "FAIL" },
                    name,
                    file.name
                ));
                if ok {
                    passed += 1;
                } else {
                    failed += 1;
                }
            };
            let Some(case_map) = case.as_map() else {
                diags.push(Diagnostic::new(
                    Code::WrongType,
                    &file,
                    case.span,
                    format!("test `{name}` must be a mapping"),
                ));
                record(false);
                continue;
            };
            let event = match case_event(case_map, line, case.span) {
                Ok(e) => e,
                Err((code, span, msg, help)) => {
                    let d = Diagnostic::new(code, &file, span, format!("test `{name}`: {msg}"));
                    diags.push(if help.is_empty() {
                        d
                    } else {
                        d.with_help(help)
                    });
                    record(false);
                    continue;
                }
            };
            let r = evaluate(&set, &exempt, &event, &Options::default());
            let gov = Governance::default().step(&ws.program, &event);
            let decision = final_decision(&r, &gov);
            let fired: Vec<&str> = r
                .fired()
                .filter_map(|o| set.rules.get(o.rule))
                .map(|x| x.id.as_str())
                .collect();
            triggered.extend(fired.iter().map(|s| s.to_string()));
            // (code, span, message, help) of each failed expectation.
            let mut problems: Vec<Problem> = Vec::new();
            let actual = format!("fired: [{}]; decision: {decision}", fired.join(", "));
            // A case that expects nothing would pass whatever the policy did.
            let expect = match get(case_map, "expect") {
                Some(n) => match n.as_map() {
                    Some(m) if !m.is_empty() => m,
                    Some(_) => {
                        problems.push((
                            Code::MissingField,
                            n.span,
                            "`expect:` is empty".into(),
                            EXPECT_HELP.into(),
                        ));
                        &[]
                    }
                    None => {
                        problems.push((
                            Code::WrongType,
                            n.span,
                            "`expect:` must be a mapping".into(),
                            EXPECT_HELP.into(),
                        ));
                        &[]
                    }
                },
                None => {
                    problems.push((
                        Code::MissingField,
                        name_node.span,
                        "the case expects nothing".into(),
                        EXPECT_HELP.into(),
                    ));
                    &[]
                }
            };
            for (k, v) in expect {
                match k.as_str().unwrap_or("") {
                    "decision" => match v.as_str().and_then(Action::from_name) {
                        Some(want) if want == decision => {}
                        Some(want) => fail(&mut problems, v.span, format!("expected decision `{want}`, got `{decision}`"), actual.clone()),
                        None => fail(&mut problems, v.span, format!("`{}` is not an action", v.to_json()), "actions: allow, log, alert, warn, redact, mask, filter, fix, reask, escalate, require_approval, block".into()),
                    },
                    key @ ("fired" | "not_fired") => {
                        let refs: Vec<&Node> = match &v.value {
                            Value::Seq(items) => items.iter().collect(),
                            _ => vec![v],
                        };
                        for rf in refs {
                            let rname = rf.as_str().unwrap_or("");
                            let known: Vec<&str> = set.rules.iter().filter(|x| x.id == rname || x.name == rname).map(|x| x.id.as_str()).collect();
                            if known.is_empty() {
                                problems.push((Code::UnknownTestRule, rf.span, format!("no rule `{rname}`"), UNKNOWN_RULE_HELP.into()));
                                continue;
                            }
                            let did = known.iter().any(|k| fired.contains(k));
                            if key == "fired" && !did {
                                fail(&mut problems, rf.span, format!("expected `{rname}` to fire"), actual.clone());
                            } else if key == "not_fired" && did {
                                fail(&mut problems, rf.span, format!("expected `{rname}` not to fire"), actual.clone());
                            }
                        }
                    }
                    key @ ("redacted_input" | "redacted_output") => {
                        let got = if key == "redacted_input" { &r.redacted_input } else { &r.redacted_output };
                        let want = v.as_str().map(str::to_string);
                        if got.as_ref() != want.as_ref() {
                            fail(&mut problems, v.span, format!("expected {key} {:?}, got {:?}", want.unwrap_or_default(), got.clone().unwrap_or_else(|| "(no redaction)".into())), actual.clone());
                        }
                    }
                    other => problems.push((Code::UnknownKey, k.span, format!("unknown expectation `{other}`"), EXPECT_HELP.into())),
                }
            }
            let ok = problems.is_empty();
            for (code, span, msg, help) in problems {
                diags.push(
                    Diagnostic::new(code, &file, span, format!("test `{name}`: {msg}"))
                        .with_help(help),
                );
            }
            record(ok);
        }
    }
    sort_diagnostics(&mut diags);
    let untested: Vec<&str> = set
        .rules
        .iter()
        .map(|r| r.id.as_str())
        .filter(|id| !triggered.contains(*id))
        .collect();
    if global.format == crate::render::Format::Json {
        let diagnostics: serde_json::Value = serde_json::from_str(&render::diagnostics(
            global.format,
            &diags,
            Summary::of(files.len(), &diags),
            false,
        ))
        .unwrap_or(serde_json::Value::Null);
        print(&format!(
            "{}\n",
            serde_json::json!({
                "cases": results,
                "passed": passed,
                "failed": failed,
                "coverage": {"rules": set.rules.len(), "triggered": set.rules.len() - untested.len(), "not_exercised": untested},
                "diagnostics": diagnostics.get("diagnostics").cloned().unwrap_or_default(),
            })
        ));
        return exit_code(files.is_empty(), &diags, failed);
    }
    let mut out = lines;
    if !diags.is_empty() {
        out.push('\n');
        out.push_str(&render::diagnostics(
            global.format,
            &diags,
            Summary::of(files.len(), &diags),
            color(global, false),
        ));
    }
    let total = set.rules.len();
    out.push_str(&format!(
        "\nrule coverage: {} of {total} rules triggered by some case\n",
        total - untested.len()
    ));
    for id in &untested {
        out.push_str(&format!("  not exercised: {id}\n"));
    }
    out.push_str(&format!("\n{passed} passed, {failed} failed\n"));
    print(&out);
    exit_code(files.is_empty(), &diags, failed)
}

/// 1 when no test file was found or a case failed, else lint's code.
fn exit_code(no_files: bool, diags: &[Diagnostic], failed: usize) -> u8 {
    if no_files {
        crate::errln!("error: no *.guardtest.yaml files under the given paths");
        return EXIT_FINDINGS;
    }
    match exit_for(diags, false) {
        EXIT_OK if failed > 0 => EXIT_FINDINGS,
        code => code,
    }
}
