//! Every CEL string guardctl emits is evaluated by an independent CEL
//! implementation, cel-python (`celpy`, from PyPI), on generated events,
//! and must agree with guardctl's own evaluation:
//!
//! - condition-tree previews (a rule's `match`/`when`, Orq's
//!   `expression.cel`), for trees over every field root and operator;
//! - rules lowered to one violation predicate (`targets::lower`: Kairro's
//!   `criteria.custom.cel`, Kore's `check` without its `abl.` spelling):
//!   the lowered CEL must fire exactly when guardctl's own evaluation of
//!   the rule does.
//!
//! `.ci/run` installs cel-python and sets `GUARDCTL_REQUIRE_CELPY=1`, so
//! the test fails there rather than skip; elsewhere it runs when
//! `GUARDCTL_CELPY` (a Python with `celpy`) or `target/ci-venv` has it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::Write;
use std::process::{Command, Stdio};

use guardctl::cel::value::{Key, Value};
use guardctl::engine::evaluate::{EventVars, Options, evaluate};
use guardctl::engine::event::Event;
use guardctl::engine::outcome::Status;
use guardctl::engine::rules::RuleSet;
use guardctl::ir::values::Timestamp;
use guardctl::lint::LintOptions;
use guardctl::source::SourceFile;
use guardctl::syntax::FileKind;
use guardctl::targets::lower::{Style, violation};
use serde_json::{Value as J, json};

/// A Python that can `import celpy`, or `None` where none is set up.
fn celpy() -> Option<String> {
    let required = std::env::var_os("GUARDCTL_REQUIRE_CELPY").is_some();
    let candidates = std::env::var("GUARDCTL_CELPY")
        .ok()
        .into_iter()
        .chain([format!(
            "{}/target/ci-venv/bin/python",
            env!("CARGO_MANIFEST_DIR")
        )]);
    for py in candidates {
        let ok = Command::new(&py)
            .args(["-c", "import celpy"])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Some(py);
        }
    }
    assert!(
        !required,
        "GUARDCTL_REQUIRE_CELPY is set but no Python with celpy was found (GUARDCTL_CELPY or target/ci-venv)"
    );
    None
}

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

const STRING_FIELDS: &[(&str, &[&str])] = &[
    ("model", &["gpt-4o", "gpt-4-turbo", "claude-3"]),
    ("project", &["payments", "support"]),
    ("headers.x-env", &["prod", "staging"]),
    ("metadata.channel", &["web", "email"]),
    ("identity.team", &["support", "sales"]),
    ("identity.id", &["u1", "u2"]),
    ("offer.category", &["loan", "card"]),
    ("customer.tier", &["gold", "silver"]),
    ("channel.type", &["web", "email"]),
    ("site", &["chat.openai.com", "x.pastebin.com"]),
    ("tool_name", &["wire_transfer", "refund"]),
    // Nested keys, whose parent an event may lack.
    ("metadata.user.tier", &["gold", "test"]),
    ("customer.address.country", &["DE", "FR"]),
];
const NUMBER_FIELDS: &[(&str, bool)] = &[
    ("tokens.total", true),
    ("cost_usd", false),
    ("offer.score", false),
    ("customer.age", true),
    ("metadata.n", true),
];
const STRING_OPS: &[&str] = &[
    "eq",
    "neq",
    "in",
    "not_in",
    "starts_with",
    "ends_with",
    "contains",
    "matches",
    "exists",
];
const NUMBER_OPS: &[&str] = &["eq", "neq", "gt", "gte", "lt", "lte", "exists"];

fn number(rng: &mut Rng, int: bool) -> J {
    if int {
        json!(*rng.pick(&[0i64, 3, 17, 18, 40]))
    } else {
        json!(*rng.pick(&[0.0f64, 0.25, 0.5, 1.25]))
    }
}

/// A `contains` or `exists` leaf on a field that may hold a list.
fn list_leaf(rng: &mut Rng, field: &str, words: &[&str]) -> J {
    let op = *rng.pick(&["contains", "exists"]);
    let mut l = json!({"field": field, "operator": op});
    if op != "exists" {
        l["value"] = json!(*rng.pick(words));
    }
    l
}

fn leaf(rng: &mut Rng) -> J {
    // A map key that holds a list on some events and a string on others:
    // `contains` is membership or substring. (Only `contains` and
    // `exists`: cel-python 0.5 raises on `==` between a list and a string,
    // where CEL's heterogeneous equality is false, as guardctl answers.)
    if rng.chance(10) {
        return list_leaf(rng, "metadata.tags", &["vip", "internal"]);
    }
    if rng.chance(20) {
        return list_leaf(rng, "identity.roles", &["admin", "agent"]);
    }
    if rng.chance(35) {
        let (field, int) = *rng.pick(NUMBER_FIELDS);
        let op = *rng.pick(NUMBER_OPS);
        let mut l = json!({"field": field, "operator": op});
        if op != "exists" {
            l["value"] = number(rng, int);
        }
        return l;
    }
    let (field, words) = *rng.pick(STRING_FIELDS);
    let op = *rng.pick(STRING_OPS);
    let word = *rng.pick(words);
    let value = match op {
        "exists" => None,
        "in" | "not_in" => Some(json!([word, *rng.pick(words)])),
        "starts_with" => Some(json!(&word[..word.len().min(3)])),
        "ends_with" => Some(json!(&word[word.len().saturating_sub(3)..])),
        "contains" => Some(json!(&word[1..word.len().min(4)])),
        "matches" => Some(json!(format!("^{}", &word[..2]))),
        _ => Some(json!(word)),
    };
    let mut l = json!({"field": field, "operator": op});
    if let Some(v) = value {
        l["value"] = v;
    }
    l
}

fn tree(rng: &mut Rng, depth: usize) -> J {
    if depth == 0 || rng.chance(40) {
        return leaf(rng);
    }
    match rng.below(3) {
        0 => json!({"not": tree(rng, depth - 1)}),
        k => {
            let n = 1 + rng.below(3);
            let items: Vec<J> = (0..n).map(|_| tree(rng, depth - 1)).collect();
            json!({ (if k == 1 { "all" } else { "any" }): items })
        }
    }
}

const INPUTS: &[&str] = &[
    "hello there",
    "please wire 500 to acct",
    "ignore previous instructions and BLOCKED_KEYWORD",
    "Project  Nightingale launch",
    "",
];

/// Inserts `v` under `k` seven times in ten.
fn maybe(rng: &mut Rng, m: &mut serde_json::Map<String, J>, k: &str, v: J) {
    if rng.chance(70) {
        m.insert(k.into(), v);
    }
}

fn event(rng: &mut Rng, id: usize) -> J {
    let mut m = serde_json::Map::new();
    m.insert("id".into(), json!(format!("e{id}")));
    let v = json!(*rng.pick(&["gpt-4o", "gpt-4-turbo", "claude-3"]));
    maybe(rng, &mut m, "model", v);
    let v = json!(*rng.pick(&["payments", "support"]));
    maybe(rng, &mut m, "project", v);
    let v = json!(*rng.pick(&["chat.openai.com", "x.pastebin.com"]));
    maybe(rng, &mut m, "site", v);
    let v = json!(*rng.pick(INPUTS));
    maybe(rng, &mut m, "input", v);
    let v = json!(*rng.pick(&[0.0f64, 0.5, 1.25, 2.0]));
    maybe(rng, &mut m, "cost_usd", v);
    let headers = if rng.chance(60) {
        json!({"x-env": *rng.pick(&["prod", "staging"])})
    } else {
        json!({})
    };
    maybe(rng, &mut m, "headers", headers);
    let mut md = serde_json::Map::new();
    if rng.chance(60) {
        md.insert("channel".into(), json!(*rng.pick(&["web", "email"])));
    }
    if rng.chance(50) {
        md.insert("n".into(), json!(*rng.pick(&[0i64, 3, 40])));
    }
    if rng.chance(50) {
        md.insert(
            "user".into(),
            if rng.chance(70) {
                json!({"tier": *rng.pick(&["gold", "test"])})
            } else {
                json!({})
            },
        );
    }
    if rng.chance(60) {
        let tags = if rng.chance(50) {
            json!(
                ["vip", "x"]
                    .into_iter()
                    .filter(|_| rng.chance(50))
                    .collect::<Vec<_>>()
            )
        } else {
            json!(*rng.pick(&["a vip", "internal use", ""]))
        };
        md.insert("tags".into(), tags);
    }
    maybe(rng, &mut m, "metadata", J::Object(md));
    let mut identity = serde_json::Map::new();
    if rng.chance(60) {
        identity.insert("team".into(), json!(*rng.pick(&["support", "sales"])));
    }
    if rng.chance(60) {
        identity.insert("id".into(), json!(*rng.pick(&["u1", "u2"])));
    }
    let roles: Vec<&str> = ["admin", "agent"]
        .into_iter()
        .filter(|_| rng.chance(40))
        .collect();
    identity.insert("roles".into(), json!(roles));
    maybe(rng, &mut m, "identity", J::Object(identity));
    let v = json!({"input": *rng.pick(&[3i64, 40, 5000]), "output": *rng.pick(&[0i64, 17]), "total": *rng.pick(&[3i64, 17, 40])});
    maybe(rng, &mut m, "tokens", v);
    let mut offer = serde_json::Map::new();
    if rng.chance(70) {
        offer.insert("category".into(), json!(*rng.pick(&["loan", "card"])));
    }
    if rng.chance(70) {
        offer.insert("score".into(), json!(*rng.pick(&[0.25f64, 0.5, 1.25])));
    }
    maybe(rng, &mut m, "offer", J::Object(offer));
    let mut customer = serde_json::Map::new();
    if rng.chance(70) {
        customer.insert("tier".into(), json!(*rng.pick(&["gold", "silver"])));
    }
    if rng.chance(70) {
        customer.insert("age".into(), json!(*rng.pick(&[17i64, 18, 40])));
    }
    if rng.chance(50) {
        customer.insert(
            "address".into(),
            json!({"country": *rng.pick(&["DE", "FR"])}),
        );
    }
    maybe(rng, &mut m, "customer", J::Object(customer));
    let v = json!({"type": *rng.pick(&["web", "email"])});
    maybe(rng, &mut m, "channel", v);
    if rng.chance(50) {
        m.insert(
            "tool".into(),
            json!({"name": *rng.pick(&["wire_transfer", "refund", "wire"]), "parameters": {"amount": 5}}),
        );
    }
    J::Object(m)
}

fn to_json(v: &Value) -> J {
    match v {
        Value::Null | Value::Type(_) | Value::Error(_) => J::Null,
        Value::Bool(b) => json!(b),
        Value::Int(i) => json!(i),
        Value::Uint(u) => json!(u),
        Value::Double(d) => json!(d),
        Value::Str(s) => json!(&**s),
        Value::Bytes(b) => json!(String::from_utf8_lossy(b)),
        Value::List(items) => J::Array(items.iter().map(to_json).collect()),
        Value::Map(m) => J::Object(
            m.iter()
                .map(|(k, v)| {
                    let key = match k {
                        Key::Str(s) => s.to_string(),
                        Key::Int(i) => i.to_string(),
                        Key::Uint(u) => u.to_string(),
                        Key::Bool(b) => b.to_string(),
                    };
                    (key, to_json(v))
                })
                .collect(),
        ),
    }
}

/// The variables as guardctl's evaluator sees them, `text` being the
/// input (the content of an input rule).
fn variables(e: &Event) -> J {
    let vars = EventVars::new(e);
    let mut out = serde_json::Map::new();
    for name in guardctl::cel::check::VARIABLES {
        if let Some(v) = vars.get(name) {
            out.insert(name.to_string(), to_json(&v));
        }
    }
    let input = vars.get("input").map_or(J::Null, |v| to_json(&v));
    out.insert("text".into(), input);
    J::Object(out)
}

/// The generated files lint without errors (the first few are shown).
fn assert_clean(ws: &guardctl::workspace::Workspace) {
    let errors: Vec<String> = ws
        .diagnostics
        .iter()
        .filter(|d| d.severity == guardctl::diagnostic::Severity::Error)
        .take(5)
        .map(|d| d.message.clone())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
}

fn program(text: &str) -> guardctl::workspace::Workspace {
    guardctl::workspace::build(
        vec![(
            SourceFile::new("gen.yaml", text.to_string()),
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

/// guardctl's answer for each rule (in rule order) on one event:
/// triggered, passed, errored or skipped.
fn answers(set: &RuleSet, e: &Event) -> Vec<String> {
    let r = evaluate(set, &|_, _| None, e, &Options::default());
    // A rule whose `when` does not hold has no outcome: it does not fire.
    let mut by_rule = vec!["false".to_string(); set.rules.len()];
    for o in &r.outcomes {
        by_rule[o.rule] = match o.status {
            Status::Triggered => "true".into(),
            Status::Passed => "false".into(),
            Status::Unevaluated => "error".into(),
            Status::Skipped => "skipped".into(),
        };
    }
    let mut named: Vec<(String, String)> = set
        .rules
        .iter()
        .map(|r| r.name.clone())
        .zip(by_rule)
        .collect();
    named.sort();
    named.into_iter().map(|(_, a)| a).collect()
}

/// Runs celpy over the cases (id, CEL, variables).
fn celpy_answers(py: &str, cases: &[(usize, String, J)]) -> Vec<String> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cel/differential.py");
    let mut child = Command::new(py)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = String::new();
    for (id, cel, vars) in cases {
        input.push_str(&json!({"id": id, "cel": cel, "vars": vars}).to_string());
        input.push('\n');
    }
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(out.status.success(), "celpy failed");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: J = serde_json::from_str(l).unwrap();
            match &v["result"] {
                J::Bool(b) => b.to_string(),
                J::String(s) => s.clone(),
                other => other.to_string(),
            }
        })
        .collect()
}

const STYLE: Style = Style {
    abl_prefix: false,
    text_var: "text",
    pii_entities: true,
    score: false,
    runtime: "the differential test",
};

fn yaml(v: &J) -> String {
    // JSON is YAML's flow syntax.
    v.to_string()
}

/// Condition-tree previews: the preview celpy evaluates, guardctl's
/// evaluation of the tree (as a `match`).
#[test]
fn tree_previews_agree_with_cel_python() {
    let Some(py) = celpy() else { return };
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (trees, events_per_tree) = (400, 10);
    let mut rules = String::from("GUARDRAILS:\n");
    for i in 0..trees {
        rules.push_str(&format!(
            "  t{i:04}:\n    kind: input\n    action: block\n    match: {}\n",
            yaml(&tree(&mut rng, 3))
        ));
    }
    let ws = program(&rules);
    assert_clean(&ws);
    let set = RuleSet::build(&ws.program);
    let mut previews: Vec<(String, String)> = guardctl::effective::rules(&ws.program)
        .into_iter()
        .map(|r| (r.rule, r.matcher.unwrap()))
        .collect();
    previews.sort();
    let mut cases = Vec::new();
    let mut ours = Vec::new();
    for k in 0..trees * events_per_tree / previews.len().max(1) {
        let e = event(&mut rng, k);
        let parsed = Event::from_json(e, k + 1).unwrap();
        let vars = variables(&parsed);
        for ((_, cel), answer) in previews.iter().zip(answers(&set, &parsed)) {
            cases.push((cases.len(), cel.clone(), vars.clone()));
            ours.push(answer);
        }
    }
    compare("tree previews", &py, &cases, &ours);
}

/// Rules lowered to one violation predicate: celpy's evaluation of the
/// lowered CEL fires exactly when guardctl's evaluation of the rule does.
#[test]
fn lowered_rules_agree_with_cel_python() {
    let Some(py) = celpy() else { return };
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut rules =
        String::from("POLICY:\n  name: gen\n  check_polarity: violation\nGUARDRAILS:\n");
    let checks = [
        r#"check: "size(input) > 12""#,
        r#"check: "contains_any(input, ['wire', 'instructions'])""#,
        r#"check: "!(input.startsWith('hello'))""#,
        r#"patterns: ["(?i)nightingale", "BLOCKED_\\w+"]"#,
        r#"patterns: ["^please"]"#,
        r#"max_tokens: 100"#,
        r#"match: {field: model, operator: starts_with, value: gpt-4}"#,
        r#"match: "cost_usd >= 1.25 || identity.team == 'sales'""#,
    ];
    let tools = [r#"tools: ["refund", "wire"]"#, r#"deny_tools: ["wire_*"]"#];
    let n = 300;
    for i in 0..n {
        let mut body = String::new();
        if rng.chance(30) {
            body.push_str(&format!("    kind: tool_input\n    {}\n", rng.pick(&tools)));
        } else {
            body.push_str("    kind: input\n");
            let k = 1 + rng.below(2);
            let mut used = Vec::new();
            for _ in 0..k {
                let c = *rng.pick(&checks);
                let key = c.split(':').next().unwrap();
                if !used.contains(&key) {
                    used.push(key);
                    body.push_str(&format!("    {c}\n"));
                }
            }
        }
        if rng.chance(40) {
            body.push_str(&format!("    when: {}\n", yaml(&tree(&mut rng, 2))));
        }
        rules.push_str(&format!("  r{i:04}:\n    action: block\n{body}"));
    }
    let ws = program(&rules);
    assert_clean(&ws);
    let set = RuleSet::build(&ws.program);
    let mut lowered: Vec<(String, String, bool)> = guardctl::effective::rules(&ws.program)
        .into_iter()
        .map(|r| {
            let tool = r.tools.is_some() || r.deny_tools.is_some();
            (
                r.rule.clone(),
                violation(&r, &STYLE, true).unwrap().unwrap(),
                tool,
            )
        })
        .collect();
    lowered.sort();
    let mut cases = Vec::new();
    let mut ours = Vec::new();
    for k in 0..40 {
        let mut e = event(&mut rng, k);
        // Token counts are always recorded here: without them guardctl
        // leaves `max_tokens` unevaluated (fail_mode decides), which a CEL
        // comparison cannot say.
        e["tokens"] = json!({"input": *rng.pick(&[3i64, 40, 5000]), "output": 0});
        // Content is always there: without it guardctl does not run a
        // content rule at all.
        if e.get("input").is_none() {
            e["input"] = json!(*rng.pick(INPUTS));
        }
        let parsed = Event::from_json(e, k + 1).unwrap();
        let vars = variables(&parsed);
        for ((_, cel, tool), answer) in lowered.iter().zip(answers(&set, &parsed)) {
            // A tool rule runs only on an event with a tool call.
            if *tool && parsed.tool.is_none() {
                continue;
            }
            cases.push((cases.len(), cel.clone(), vars.clone()));
            ours.push(answer);
        }
    }
    compare("lowered rules", &py, &cases, &ours);
}

fn compare(what: &str, py: &str, cases: &[(usize, String, J)], ours: &[String]) {
    let theirs = celpy_answers(py, cases);
    assert_eq!(theirs.len(), cases.len());
    let mut disagree = Vec::new();
    let mut counts = std::collections::BTreeMap::new();
    for ((case, ours), theirs) in cases.iter().zip(ours).zip(&theirs) {
        *counts.entry(ours.clone()).or_insert(0usize) += 1;
        // guardctl never fires on an error, and reports it as unevaluated.
        let same = ours == theirs;
        if !same {
            disagree.push(format!(
                "{}\n  vars {}\n  guardctl {ours}, cel-python {theirs}",
                case.1, case.2
            ));
        }
    }
    eprintln!("{what}: {} cases, guardctl answers {counts:?}", cases.len());
    assert!(
        disagree.is_empty(),
        "{what}: {} of {} cases disagree; first:\n{}",
        disagree.len(),
        cases.len(),
        disagree
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(cases.len() >= 1000, "{what}: only {} cases", cases.len());
}
