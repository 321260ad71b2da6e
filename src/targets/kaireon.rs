//! KaireonAI (spec §8): a JSON array of `POST /api/v1/guardrails` bodies.
//! KaireonAI's guardrails are decision constraints on the candidates of a
//! decision: a rule is a condition tree (`expressionAst`) over the
//! candidate's `offer.*`, `customer.*` and `channel.*` that removes the
//! candidate (`hard`) or flags it (`soft`) when it holds. So only `match`
//! trees, with a `when` tree folded in as `all: [when, match]`, can be
//! written; content detectors are refused for this runtime.
//!
//! KaireonAI's public material does not name the keys inside `scope`:
//! guardctl writes `{"level": "tenant"}`, `{"level": "project", "project":
//! NAME}` or `{"level": "agent", "agent": NAME}`, from the rule's policy.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{Input, Refusal, Target};
use crate::effective::ERule;
use crate::ir::Home;
use crate::ir::cond::Cond;
use crate::ir::enums::{Action, PolicyStatus, Runtime, Severity};

pub struct Kaireon;

/// The decision objects a KaireonAI condition reads.
const ROOTS: &[&str] = &["offer", "customer", "channel"];

impl Target for Kaireon {
    fn runtime(&self) -> Runtime {
        Runtime::Kaireon
    }

    fn schema(&self) -> &'static str {
        include_str!("kaireon.schema.json")
    }

    fn refusals(&self, input: &Input<'_>) -> Vec<Refusal> {
        let mut out = Vec::new();
        for p in input.policies.iter().copied() {
            input.refuse_settings(p, NOT_HERE, &mut out);
        }
        let mut keys: BTreeMap<&str, usize> = BTreeMap::new();
        for r in input.one_per_rule() {
            rule_refusals(input, r, &mut out);
            // Keys are unique across the tenant: two policies (or two
            // agents) with a rule of the same name would overwrite.
            let n = keys.entry(r.rule.as_str()).or_default();
            *n += 1;
            if *n == 2 {
                out.push(input.refuse_rule(
                    r,
                    "key",
                    format!(
                        "KaireonAI rule keys are unique across the tenant, and `{}` names rules in two places: rename one",
                        r.rule
                    ),
                ));
            }
        }
        out
    }

    fn import(&self, doc: &Value, out: &mut super::import::Imported) {
        super::import::kaireon::import(doc, out);
    }

    fn compile(&self, input: &Input<'_>) -> Value {
        let mut bodies: Vec<Value> = input.one_per_rule().map(|r| body(input, r)).collect();
        bodies.sort_by(|a, b| a["key"].as_str().cmp(&b["key"].as_str()));
        Value::Array(bodies)
    }
}

const NOT_HERE: &[(&str, &str)] = &[
    (
        "fail_mode: closed",
        "KaireonAI fails open: a rule that cannot be evaluated never removes a candidate",
    ),
    (
        "combine",
        "every KaireonAI rule filters the candidates on its own",
    ),
    (
        "approved_sites",
        "KaireonAI's guardrail rules have no such setting",
    ),
    (
        "unapproved_tools",
        "KaireonAI's guardrail rules have no such setting",
    ),
    (
        "constitution",
        "KaireonAI's guardrail rules have no such setting",
    ),
    (
        "streaming",
        "KaireonAI's guardrail rules have no such setting",
    ),
    (
        "priority",
        "KaireonAI has no policy object: give each rule its `priority`",
    ),
    ("type", "KaireonAI has no policy object to hold a type"),
    ("default", "KaireonAI has no policy object to mark default"),
    (
        "timeouts",
        "KaireonAI rules read no provider and have no timeout",
    ),
    (
        "caching",
        "KaireonAI's guardrail rules have no such setting",
    ),
    ("budget", "KaireonAI's guardrail rules have no such setting"),
];

const RULE_NOT_HERE: &[(&str, &str)] = &[
    (
        "fix_strategy",
        "KaireonAI rules remove or flag a candidate; they do not repair content",
    ),
    (
        "fix_expression",
        "KaireonAI rules remove or flag a candidate; they do not repair content",
    ),
    (
        "max_reasks",
        "KaireonAI rules remove or flag a candidate; they do not repair content",
    ),
    (
        "filter_min_length",
        "KaireonAI rules remove or flag a candidate; they do not repair content",
    ),
    (
        "message",
        "KaireonAI's reason is always `Guardrail \"<name>\" triggered`",
    ),
    ("sample_rate", "KaireonAI evaluates every candidate"),
    ("timeout", "KaireonAI rules have no timeout"),
    ("severity_actions", "KaireonAI rules read no provider score"),
    ("streaming", "KaireonAI rules read no stream"),
    ("min_severity", "KaireonAI rules have no findings"),
];

/// Every leaf's field.
fn fields<'c>(c: &'c Cond, out: &mut Vec<&'c str>) {
    match c {
        Cond::All(items) | Cond::Any(items) => items.iter().for_each(|i| fields(i, out)),
        Cond::Not(inner) => fields(inner, out),
        Cond::Leaf { field, .. } => out.push(&field.value),
    }
}

fn rule_refusals(input: &Input<'_>, r: &ERule, out: &mut Vec<Refusal>) {
    let mut refuse = |feature: &str, why: String| out.push(input.refuse_rule(r, feature, why));
    let detector = "KaireonAI rules constrain decisions (offers, customers, channels) and read no content: write the condition as a `match` tree, or deploy this rule to another runtime";
    let content = [
        ("check", r.check.is_some()),
        ("patterns", !r.patterns.is_empty()),
        ("entities", !r.entities.is_empty()),
        ("provider", r.provider.is_some()),
        ("llm_check", r.llm_check.is_some()),
        ("tools", r.tools.is_some()),
        ("deny_tools", r.deny_tools.is_some()),
        ("domains", r.has_domains),
        ("max_tokens", r.max_tokens.is_some()),
    ];
    for (feature, given) in content {
        if given {
            refuse(feature, detector.into());
        }
    }
    match (&r.matcher, &r.match_tree) {
        (None, _) => {}
        (Some(_), None) => refuse(
            "match (CEL)",
            "KaireonAI takes the condition as a tree (`expressionAst`): write `match` with all/any/not and leaves".into(),
        ),
        (Some(_), Some(_)) => {}
    }
    if r.when.is_some() && r.when_tree.is_none() {
        refuse(
            "when (CEL)",
            "KaireonAI folds `when` into the condition tree: write `when` as a tree".into(),
        );
    }
    let mut leaves = Vec::new();
    for t in [&r.match_tree, &r.when_tree].into_iter().flatten() {
        fields(t, &mut leaves);
    }
    for f in leaves {
        let root = f.split('.').next().unwrap_or(f);
        if !ROOTS.contains(&root) {
            refuse(
                &format!("condition field `{f}`"),
                "KaireonAI conditions read the candidate's `offer.*`, `customer.*` and `channel.*`"
                    .into(),
            );
        }
    }
    if !matches!(r.action, Action::Block | Action::Warn) {
        refuse(
            &format!("action: {}", r.action),
            "a KaireonAI rule is `hard` (the candidate is removed: block) or `soft` (it is flagged: warn)".into(),
        );
    }
    if input.given(r, "severity") && !matches!(r.severity, Severity::Hard | Severity::Soft) {
        refuse(
            &format!("severity: {}", r.severity),
            "a KaireonAI rule's severity is `hard` (removes the candidate) or `soft` (flags it)"
                .into(),
        );
    }
    input.refuse_given(r, RULE_NOT_HERE, out);
}

/// A rule's scope and status: an inactive policy's rules keep its scope
/// and carry its status (KaireonAI has no policy object to hold it).
fn scope_and_status(input: &Input<'_>, r: &ERule) -> (Value, Value) {
    let policy = r.policy.and_then(|i| input.program.policies.get(i));
    match (&r.applies, policy) {
        (Home::Off(_), Some(p)) => {
            let status = match p.effective_status() {
                PolicyStatus::Draft => "draft",
                PolicyStatus::Archived => "archived",
                PolicyStatus::Active | PolicyStatus::Disabled => "paused",
            };
            (scope(&Home::written(p)), json!(status))
        }
        (home, _) => (scope(home), json!(r.status)),
    }
}

fn scope(home: &Home) -> Value {
    match home {
        Home::Project(p) => json!({"level": "project", "project": p}),
        Home::Agent(a) => json!({"level": "agent", "agent": a}),
        Home::Team(t) => json!({"level": "team", "team": t}),
        Home::Identity(i) => json!({"level": "identity", "identity": i}),
        Home::Tenant | Home::Off(_) => json!({"level": "tenant"}),
    }
}

/// The condition: `match` with `when` folded in front.
fn expression(r: &ERule) -> Value {
    match (&r.when_tree, &r.match_tree) {
        (Some(w), Some(m)) => json!(Cond::All(vec![w.clone(), m.clone()])),
        (None, Some(m)) => json!(m),
        (Some(w), None) => json!(w),
        (None, None) => json!({"all": []}),
    }
}

fn body(input: &Input<'_>, r: &ERule) -> Value {
    let severity = if r.action == Action::Block {
        "hard"
    } else {
        "soft"
    };
    let mut b = serde_json::Map::new();
    b.insert("key".into(), json!(r.rule));
    b.insert("name".into(), json!(r.shown_name()));
    if let Some(d) = &r.description {
        b.insert("description".into(), json!(d));
    }
    b.insert("severity".into(), json!(severity));
    b.insert("expressionAst".into(), expression(r));
    let (scope, status) = scope_and_status(input, r);
    b.insert("status".into(), status);
    b.insert("priority".into(), json!(r.priority));
    b.insert("scope".into(), scope);
    Value::Object(b)
}
