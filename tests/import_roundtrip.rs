//! `import(compile(x))` means what `x` means (spec §8): for generated
//! policies each target can express, and for every runtime's example
//! repository, the imported policy text lints clean, compiles to the same
//! runtime JSON, and decides every event of the example traces as `x`
//! does. Imported files are in `fmt`'s canonical layout.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use guardctl::engine::evaluate::{Options, evaluate};
use guardctl::engine::event::Event;
use guardctl::engine::rules::RuleSet;
use guardctl::ir::enums::Runtime;
use guardctl::ir::values::Timestamp;
use guardctl::lint::LintOptions;
use guardctl::source::SourceFile;
use guardctl::syntax::FileKind;
use guardctl::targets::import::{Imported, render};
use guardctl::targets::{Input, target};
use guardctl::workspace::{Workspace, build};
use proptest::prelude::*;

fn options() -> LintOptions {
    LintOptions {
        now: Timestamp::parse("2026-11-21").unwrap(),
    }
}

fn load(files: &[(String, String, FileKind)], runtime: Runtime) -> Workspace {
    let sources = files
        .iter()
        .map(|(name, text, kind)| (SourceFile::new(name.clone(), text.clone()), *kind, true))
        .collect();
    let config = guardctl::config::Config {
        check_polarity: None,
        runtime: Some(runtime),
    };
    guardctl::workspace::build_with(sources, Vec::new(), 0, &options(), &config)
}

/// The runtime's JSON of a workspace that must compile clean.
fn compiled(ws: &Workspace, rt: Runtime) -> serde_json::Value {
    let errors: Vec<String> = ws
        .diagnostics
        .iter()
        .filter(|d| d.severity == guardctl::diagnostic::Severity::Error)
        .map(|d| format!("{}: {}", d.code.id(), d.message))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let t = target(rt).unwrap();
    let input = Input::new(&ws.program);
    let refusals: Vec<String> = t
        .refusals(&input)
        .iter()
        .map(|r| format!("{} {}", r.subject, r.feature))
        .collect();
    assert!(refusals.is_empty(), "{refusals:#?}");
    let mut v = t.compile(&input);
    // Where an agent's file lives is not what the runtime is told.
    if let Some(agents) = v.get_mut("agents").and_then(|a| a.as_array_mut()) {
        for a in agents {
            a["file"] = serde_json::Value::Null;
        }
    }
    v
}

/// The files `import` writes for a runtime's JSON, rendered.
fn imported(rt: Runtime, doc: &serde_json::Value) -> Vec<(String, String, FileKind)> {
    let mut out = Imported::default();
    target(rt).unwrap().import(doc, &mut out);
    assert!(out.problems.is_empty(), "{:?}", out.problems);
    out.files
        .iter()
        .map(|f| (f.path.clone(), render(f).unwrap(), f.kind))
        .collect()
}

fn decisions(ws: &Workspace, events: &[Event]) -> Vec<String> {
    let set = RuleSet::build(&ws.program);
    events
        .iter()
        .map(|e| {
            evaluate(&set, &|_, _| None, e, &Options::default())
                .decision
                .to_string()
        })
        .collect()
}

fn events(trace: &str) -> Vec<Event> {
    trace
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| Event::from_json(serde_json::from_str(l).unwrap(), i + 1).unwrap())
        .collect()
}

/// The round trip on a set of files: same JSON, same decisions, and the
/// imported text is canonical (`fmt` leaves it as it is).
fn round_trip(
    rt: Runtime,
    files: &[(String, String, FileKind)],
    trace: &[Event],
) -> Result<(), TestCaseError> {
    let ws = load(files, rt);
    let first = compiled(&ws, rt);
    let back = imported(rt, &first);
    for (path, text, kind) in &back {
        let again = guardctl::fmt::format_text(&SourceFile::new(path.clone(), text.clone()), *kind)
            .unwrap();
        prop_assert_eq!(&again, text, "{} is not canonical", path);
    }
    let ws2 = load(&back, rt);
    let second = compiled(&ws2, rt);
    prop_assert_eq!(&first, &second, "imported:\n{:#?}", back);
    prop_assert_eq!(decisions(&ws, trace), decisions(&ws2, trace));
    Ok(())
}

fn example(rt: &str) -> (Vec<(String, String, FileKind)>, Vec<Event>) {
    let dir = format!("{}/examples/runtimes/{rt}", env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for e in walkdir::WalkDir::new(&dir).sort_by_file_name() {
        let e = e.unwrap();
        let p = e.path();
        let name = p.to_string_lossy().to_string();
        let kind = if name.ends_with(".abl") {
            FileKind::Agent
        } else if name.ends_with(".yaml") {
            FileKind::Policy
        } else {
            continue;
        };
        files.push((name, std::fs::read_to_string(p).unwrap(), kind));
    }
    let trace = events(&std::fs::read_to_string(format!("{dir}/trace.jsonl")).unwrap());
    (files, trace)
}

#[test]
fn every_example_round_trips_through_import() {
    for (name, rt) in [
        ("kore", Runtime::Kore),
        ("kaireon", Runtime::Kaireon),
        ("orq", Runtime::Orq),
        ("kairro", Runtime::Kairro),
    ] {
        let (files, trace) = example(name);
        let kore_polarity = name == "kore";
        // The Kore example reads its checks as violations (its guardctl.toml).
        let files: Vec<_> = if kore_polarity {
            files
                .into_iter()
                .map(|(n, t, k)| {
                    let t = if k == FileKind::Policy {
                        t.replace(
                            "  fail_mode: closed\n",
                            "  fail_mode: closed\n  check_polarity: violation\n",
                        )
                    } else {
                        t
                    };
                    (n, t, k)
                })
                .collect()
        } else {
            files
        };
        round_trip(rt, &files, &trace).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

// ---- generated policies, one runtime at a time --------------------------

const WORDS: &[&str] = &["loan", "card", "gold", "silver", "web", "email"];

fn kaireon_rule() -> impl Strategy<Value = String> {
    let leaf = (
        prop::sample::select(vec!["offer.category", "customer.tier", "channel.type"]),
        prop::sample::select(vec!["eq", "neq", "starts_with"]),
        prop::sample::select(WORDS.to_vec()),
    )
        .prop_map(|(f, o, v)| format!("{{field: {f}, operator: {o}, value: {v}}}"));
    (
        prop::collection::vec(leaf, 1..4),
        any::<bool>(),
        prop::option::of(prop::sample::select(vec!["soft", "hard"])),
        prop::option::of(prop::sample::select(vec!["draft", "paused"])),
        prop::option::of(0i64..50),
        prop::option::of(prop::sample::select(vec!["Loan rule", "VIP"])),
    )
        .prop_map(|(leaves, any, severity, status, priority, display)| {
            let mut r = format!(
                "    kind: input\n    match: {{{}: [{}]}}\n",
                if any { "any" } else { "all" },
                leaves.join(", ")
            );
            if let Some(s) = severity {
                r.push_str(&format!("    severity: {s}\n"));
            }
            if let Some(s) = status {
                r.push_str(&format!("    status: {s}\n"));
            }
            if let Some(p) = priority {
                r.push_str(&format!("    priority: {p}\n"));
            }
            if let Some(d) = display {
                r.push_str(&format!("    display_name: {d}\n"));
            }
            r
        })
}

fn kairro_rule() -> impl Strategy<Value = String> {
    let check = prop::sample::select(vec![
        "    entities: [CREDIT_CARD, US_SSN]\n",
        "    entities: [EMAIL_ADDRESS]\n    min_severity: medium\n",
        "    patterns: [\"(?i)secret\", \"internal\"]\n",
        "    max_tokens: 2000\n",
        "    match: \"size(text) > 40\"\n",
    ]);
    (
        check,
        prop::sample::select(vec!["input", "output", "both"]),
        prop::option::of(prop::sample::select(vec![
            "block", "warn", "mask", "alert", "allow",
        ])),
        prop::sample::select(vec!["low", "medium", "high", "critical"]),
    )
        .prop_map(|(check, kind, action, severity)| {
            let mut r = format!("    kind: {kind}\n{check}    severity: {severity}\n");
            if let Some(a) = action {
                r.push_str(&format!("    action: {a}\n"));
            }
            r
        })
}

fn orq_rule() -> impl Strategy<Value = String> {
    (
        prop::sample::subsequence(vec!["pii", "injection", "toxicity"], 1..3),
        prop::sample::select(vec!["input", "output", "both"]),
        prop::option::of(prop::sample::select(vec![0.25, 0.5])),
        prop::option::of(prop::sample::select(vec!["2s", "1500ms"])),
        prop::option::of(prop::sample::select(vec![
            "{field: headers.x-env, operator: eq, value: prod}",
            "{field: model, operator: starts_with, value: gpt-4}",
        ])),
        any::<bool>(),
    )
        .prop_map(|(providers, kind, rate, timeout, when, paused)| {
            let list = if providers.len() == 1 {
                providers[0].to_string()
            } else {
                format!("[{}]", providers.join(", "))
            };
            let mut r = format!("    kind: {kind}\n    provider: {list}\n    action: block\n");
            if let Some(x) = rate {
                r.push_str(&format!("    sample_rate: {x}\n"));
            }
            if let Some(t) = timeout {
                r.push_str(&format!("    timeout: {t}\n"));
            }
            if let Some(w) = when {
                r.push_str(&format!("    when: {w}\n"));
            }
            if paused {
                r.push_str("    status: paused\n");
            }
            r
        })
}

fn kore_rule() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec![
            "    entities: [CREDIT_CARD]\n",
            "    patterns: [\"BLOCKED_\\\\w+\"]\n",
            "    check: \"size(input) > 30\"\n",
            "    provider: openai-moderation\n    threshold: 0.7\n",
            "    deny_tools: [\"wire_*\"]\n",
        ]),
        prop::sample::select(vec!["input", "output", "both"]),
        prop::sample::select(vec!["block", "warn", "redact", "reask"]),
        prop::option::of(0i64..50),
    )
        .prop_map(|(check, kind, action, priority)| {
            let kind = if check.contains("deny_tools") {
                "tool_input"
            } else {
                kind
            };
            let mut r = format!("    kind: {kind}\n{check}    action: {action}\n");
            if let Some(p) = priority {
                r.push_str(&format!("    priority: {p}\n"));
            }
            r
        })
}

fn file(head: &str, rules: &[String]) -> Vec<(String, String, FileKind)> {
    let mut text = head.to_string();
    text.push_str("GUARDRAILS:\n");
    for (i, r) in rules.iter().enumerate() {
        text.push_str(&format!("  r{i}:\n{r}"));
    }
    vec![("gen.yaml".to_string(), text, FileKind::Policy)]
}

/// Orq's JSON names evaluators, not providers: providers named for their
/// evaluator (as import names them) round-trip exactly.
const ORQ_PROVIDERS: &str = "PROVIDERS:\n  pii:\n    adapter: other\n    evaluator_id: pii\n    default_category: verdict\n  injection:\n    adapter: other\n    evaluator_id: injection\n    default_category: verdict\n  toxicity:\n    adapter: other\n    evaluator_id: toxicity\n    default_category: verdict\n";

const TRACE: &str = concat!(
    r#"{"id":"a","input":"card 4111 1111 1111 1111 BLOCKED_WORD is secret","output":"mail a@example.com internal","model":"gpt-4o","headers":{"x-env":"prod"},"offer":{"category":"loan"},"customer":{"tier":"gold"},"channel":{"type":"web"},"scores":{"pii":{"verdict":0.9},"moderation":{"hate":0.8},"openai-moderation":{"hate":0.8}},"tokens":{"input":3000}}"#,
    "\n",
    r#"{"id":"b","input":"hello","output":"fine","model":"claude","headers":{"x-env":"dev"},"offer":{"category":"card"},"customer":{"tier":"silver"},"channel":{"type":"email"},"scores":{"injection":{"verdict":0.95},"toxicity":{"verdict":0.1},"moderation":{"hate":0.1},"openai-moderation":{"hate":0.1}},"tool":{"name":"wire_transfer","parameters":{}}}"#,
    "\n",
);

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn kaireon_round_trips(rules in prop::collection::vec(kaireon_rule(), 1..5)) {
        let files = file("POLICY:\n  name: gen\n  runtime: kaireon\n", &rules);
        round_trip(Runtime::Kaireon, &files, &events(TRACE))?;
    }

    #[test]
    fn kairro_round_trips(rules in prop::collection::vec(kairro_rule(), 1..5), team in any::<bool>()) {
        let head = if team {
            "POLICY:\n  name: gen\n  scope: team\n  team: support\n  runtime: kairro\n  priority: 5\n"
        } else {
            "POLICY:\n  name: gen\n  scope: org\n  runtime: kairro\n  unapproved_tools:\n    - {pattern: \"*.pastebin.com\", action: block, severity: high}\n  approved_sites:\n    - {pattern: \"*.internal.example\", apply_policies: false}\n"
        };
        round_trip(Runtime::Kairro, &file(head, &rules), &events(TRACE))?;
    }

    #[test]
    fn orq_round_trips(rules in prop::collection::vec(orq_rule(), 1..4), project in any::<bool>()) {
        let head = if project {
            "POLICY:\n  name: gen\n  scope: project\n  project: checkout\n  runtime: orq\n"
        } else {
            "POLICY:\n  name: gen\n  runtime: orq\n"
        };
        let mut files = file(head, &rules);
        files[0].1 = files[0].1.replacen("GUARDRAILS:\n", &format!("{ORQ_PROVIDERS}GUARDRAILS:\n"), 1);
        round_trip(Runtime::Orq, &files, &events(TRACE))?;
    }

    #[test]
    fn kore_round_trips(rules in prop::collection::vec(kore_rule(), 1..5)) {
        let head = "POLICY:\n  name: gen\n  scope: project\n  project: support\n  runtime: kore\n  check_polarity: violation\nPROVIDERS:\n  openai-moderation:\n    default_category: hate\n";
        round_trip(Runtime::Kore, &file(head, &rules), &events(TRACE))?;
    }
}

#[test]
fn unknown_fields_are_reported_not_dropped() {
    let doc = serde_json::json!([{"key": "k", "name": "K", "severity": "hard", "expressionAst": {"field": "offer.id", "operator": "eq", "value": "x"}, "status": "active", "priority": 100, "scope": {"level": "tenant"}, "createdAt": "2026-01-01", "colour": "red"}]);
    let mut out = Imported::default();
    target(Runtime::Kaireon).unwrap().import(&doc, &mut out);
    // The server's own fields (`createdAt`) are not policy; an unknown
    // one is reported with its path.
    assert_eq!(out.problems.len(), 1, "{:?}", out.problems);
    assert!(out.problems[0].0.ends_with("/colour"));
    let _ = build;
}

/// Any JSON at all, for any runtime: the importer reports what it cannot
/// map and never panics; what it writes either renders to text that reads
/// back as a guardctl file, or is refused by the formatter with
/// diagnostics (never broken structure from a name or value).
fn any_json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        prop::sample::select(vec![
            "key",
            "name",
            "scope",
            "rules",
            "kind",
            "DLP",
            "x:\n  y: z",
            "#c",
            "'q'",
            "a\"b",
            "",
            "expressionAst",
            "guardrailName",
            "- item",
            "{}",
            "[x]",
        ])
        .prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 40, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(serde_json::Value::Array),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "key",
                    "name",
                    "severity",
                    "expressionAst",
                    "status",
                    "priority",
                    "scope",
                    "display_name",
                    "guardrails",
                    "expression",
                    "project_id",
                    "policies",
                    "extensionConfig",
                    "rules",
                    "criteria",
                    "body",
                    "projectId",
                    "agents",
                    "providerOverrides",
                    "providerName",
                    "settings",
                    "x:\n  evil: 1",
                ]),
                inner,
                0..6,
            )
            .prop_map(|m| serde_json::Value::Object(
                m.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
            )),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn importers_never_panic(doc in any_json()) {
        for rt in [Runtime::Kore, Runtime::Kaireon, Runtime::Orq, Runtime::Kairro] {
            let mut out = Imported::default();
            target(rt).unwrap().import(&doc, &mut out);
            for f in &out.files {
                if let Ok(text) = render(f) {
                    let ws = load(&[(f.path.clone(), text.clone(), f.kind)], rt);
                    // Whatever it says, the text parses as a guardctl file.
                    prop_assert!(
                        !ws.diagnostics.iter().any(|d| d.code.is_syntax()),
                        "{}\n{:?}", text, ws.diagnostics.iter().map(|d| d.message.clone()).collect::<Vec<_>>()
                    );
                }
            }
        }
    }
}
