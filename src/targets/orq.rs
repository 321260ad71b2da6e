//! Orq.ai AI Router (spec §8): a JSON array of `/v2/guardrail-rules`
//! bodies. An Orq rule says where it applies (`expression.cel`, the
//! rule's `when` as the rule builder writes it; empty = every request)
//! and which evaluators run there, by id: each `provider` of the rule is
//! an evaluator, and the provider's `evaluator_id` is its Orq id. Orq
//! runs evaluators, not local detectors, and blocks what they flag, so a
//! local check (or a rule that only warns) cannot be written for it.
//!
//! A policy with a project is a project rule (`project_id`); any other is
//! workspace-wide (no `project_id`). `enabled` is the rule's status
//! (`active`); `timeout` is the rule's (or its policy's model-tier
//! timeout) in milliseconds, at least Orq's 1000.

use serde_json::{Value, json};

use super::{Input, Refusal, Target};
use crate::effective::ERule;
use crate::ir::enums::{Action, Kind, RuleStatus, Runtime};
use crate::ir::{Home, Policy};

pub struct Orq;

/// Orq's smallest rule timeout, in milliseconds.
pub const MIN_TIMEOUT_MS: u64 = 1000;

/// The request fields Orq's rule builder conditions on.
const VARIABLES: &[&str] = &["headers", "model", "identity", "metadata", "project"];

impl Target for Orq {
    fn runtime(&self) -> Runtime {
        Runtime::Orq
    }

    fn schema(&self) -> &'static str {
        include_str!("orq.schema.json")
    }

    fn refusals(&self, input: &Input<'_>) -> Vec<Refusal> {
        let mut out = Vec::new();
        for p in input.policies.iter().copied() {
            policy_refusals(input, p, &mut out);
        }
        for r in input.one_per_rule() {
            rule_refusals(input, r, &mut out);
        }
        out
    }

    fn import(&self, doc: &Value, out: &mut super::import::Imported) {
        super::import::orq::import(doc, out);
    }

    fn compile(&self, input: &Input<'_>) -> Value {
        let mut bodies: Vec<(String, Value)> = input
            .one_per_rule()
            .map(|r| (r.id.clone(), body(input, r)))
            .collect();
        bodies.sort_by(|a, b| a.0.cmp(&b.0));
        Value::Array(bodies.into_iter().map(|(_, b)| b).collect())
    }
}

const NOT_HERE: &[(&str, &str)] = &[
    (
        "fail_mode: closed",
        "an Orq guardrail rule has no fail mode",
    ),
    ("combine", "every Orq rule's evaluators decide on their own"),
    (
        "approved_sites",
        "Orq's guardrail rules have no such setting",
    ),
    (
        "unapproved_tools",
        "Orq's guardrail rules have no such setting",
    ),
    ("constitution", "Orq's guardrail rules have no such setting"),
    ("streaming", "Orq's guardrail rules have no such setting"),
    ("caching", "Orq's guardrail rules have no such setting"),
    ("budget", "Orq's guardrail rules have no such setting"),
    (
        "priority",
        "Orq has no policy object: its rules run together",
    ),
    ("type", "Orq has no policy object to hold a type"),
    ("default", "Orq has no policy object to mark default"),
];

const RULE_NOT_HERE: &[(&str, &str)] = &[
    (
        "fix_strategy",
        "an Orq rule blocks; it does not repair, re-ask or filter",
    ),
    (
        "fix_expression",
        "an Orq rule blocks; it does not repair, re-ask or filter",
    ),
    (
        "max_reasks",
        "an Orq rule blocks; it does not repair, re-ask or filter",
    ),
    (
        "filter_min_length",
        "an Orq rule blocks; it does not repair, re-ask or filter",
    ),
    (
        "category",
        "an Orq evaluator is configured in Orq, not per rule (a provider's `default_category` is kept for simulate)",
    ),
    (
        "threshold",
        "an Orq evaluator decides with its own configuration (a provider's `default_threshold` is kept for simulate)",
    ),
    ("severity_actions", "an Orq rule has one outcome: block"),
    ("message", "an Orq rule has no message"),
    ("priority", "Orq runs a request's rules together"),
    (
        "min_severity",
        "Orq's evaluators have no finding severities",
    ),
    (
        "streaming",
        "Orq's evaluators run on the whole input or output",
    ),
];

fn policy_refusals(input: &Input<'_>, p: &Policy, out: &mut Vec<Refusal>) {
    input.refuse_settings(p, NOT_HERE, out);
    if matches!(
        Home::of(Some(p)),
        Home::Agent(_) | Home::Team(_) | Home::Identity(_)
    ) {
        out.push(input.refuse_policy(
            p,
            p.scope.span,
            &format!("scope: {}", p.scope.value),
            "an Orq rule is workspace-wide or a project's: condition on the team or identity in `when` instead",
        ));
    }
}

/// The event variables a CEL text reads (bounded by the parser's depth).
fn variables(e: &crate::cel::Expr, out: &mut Vec<String>) {
    if let crate::cel::ExprKind::Ident { name, .. } = &e.kind {
        out.push(name.clone());
    }
    for c in e.children() {
        variables(c, out);
    }
}

fn rule_refusals(input: &Input<'_>, r: &ERule, out: &mut Vec<Refusal>) {
    let mut refuse = |feature: &str, why: String| out.push(input.refuse_rule(r, feature, why));
    let local = [
        ("check", r.check.is_some()),
        ("match", r.matcher.is_some()),
        ("patterns", !r.patterns.is_empty()),
        ("entities", !r.entities.is_empty()),
        ("tools", r.tools.is_some()),
        ("deny_tools", r.deny_tools.is_some()),
        ("domains", r.has_domains),
        ("max_tokens", r.max_tokens.is_some()),
        ("llm_check", r.llm_check.is_some() && r.provider.is_none()),
    ];
    for (feature, given) in local {
        if given {
            refuse(
                feature,
                "Orq runs evaluators by id, not local checks: give the rule a `provider` whose `evaluator_id` names the Orq evaluator that does this".into(),
            );
        }
    }
    for p in &r.providers {
        if p.evaluator_id.is_none() {
            refuse(
                "provider without evaluator_id",
                format!(
                    "provider `{}` names no Orq evaluator: add `evaluator_id:` to it",
                    p.name
                ),
            );
        }
    }
    if matches!(r.kind, Kind::ToolInput | Kind::ToolOutput | Kind::Handoff) {
        refuse(
            &format!("kind: {}", r.kind),
            "Orq's evaluators run on a request's input or output".into(),
        );
    }
    if r.action != Action::Block {
        refuse(
            &format!("action: {}", r.action),
            "an Orq guardrail rule blocks what its evaluators flag: write `action: block`".into(),
        );
    }
    // Only an evaluator rule has an Orq timeout (the others are refused
    // above, whatever their local-tier timeout).
    if r.provider.is_some() && r.timeout.0 < MIN_TIMEOUT_MS {
        refuse(
            "timeout",
            format!(
                "Orq's rule timeout is at least {MIN_TIMEOUT_MS}ms, and this rule's is {}ms",
                r.timeout.0
            ),
        );
    }
    if let Some(w) = r.when.as_deref().and_then(|w| crate::cel::parse(w).ok()) {
        let mut vars = Vec::new();
        variables(&w, &mut vars);
        vars.sort();
        vars.dedup();
        for v in vars {
            let known = crate::cel::check::VARIABLES.contains(&v.as_str());
            if known && !VARIABLES.contains(&v.as_str()) {
                refuse(
                    &format!("when on `{v}`"),
                    format!("Orq's rule builder conditions on {}", VARIABLES.join(", ")),
                );
            }
        }
    }
    input.refuse_given(r, RULE_NOT_HERE, out);
}

fn body(input: &Input<'_>, r: &ERule) -> Value {
    let execute_on = if input.is_both(r) {
        "both"
    } else if r.kind == Kind::Output {
        "output"
    } else {
        "input"
    };
    let guardrails: Vec<Value> = r
        .providers
        .iter()
        .map(|p| json!({"id": p.evaluator_id, "execute_on": execute_on, "sample_rate": r.sample_rate}))
        .collect();
    let mut b = serde_json::Map::new();
    b.insert("display_name".into(), json!(r.shown_name()));
    if let Some(d) = &r.description {
        b.insert("description".into(), json!(d));
    }
    // An inactive policy's rules are kept, switched off.
    let live = !matches!(r.applies, Home::Off(_));
    b.insert(
        "enabled".into(),
        json!(live && r.status == RuleStatus::Active),
    );
    let policy = r.policy.and_then(|i| input.program.policies.get(i));
    if let Some(p) = policy.and_then(|p| p.project.as_ref()) {
        b.insert("project_id".into(), json!(p.value));
    }
    b.insert(
        "expression".into(),
        json!({"cel": r.when.clone().unwrap_or_default()}),
    );
    b.insert("guardrails".into(), json!(guardrails));
    b.insert("timeout".into(), json!(r.timeout.0.max(MIN_TIMEOUT_MS)));
    Value::Object(b)
}
