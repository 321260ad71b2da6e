//! GC306: an agent rule that shares a tenant/project rule's name overrides
//! its fields, but may only tighten them (spec §3, Layering). Loosening is
//! judged on meaning, every field at once, with the classification `diff`
//! uses (its implication prover included): the wider rule as it is in
//! effect against the override as it is in effect. Every change that
//! `diff` calls looser, or cannot decide (`changed`), is an error: an
//! override must be provably no weaker.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::diagnostic::Diagnostic;
use crate::diff::locate::rule_fields;
use crate::diff::{Class, ObjectType, Side};
use crate::effective::ERule;
use crate::ir::enums::Scope;
use crate::ir::{Owner, Program};
use crate::lint::registry::Code;
use crate::source::Span;

/// The bundle fields that name a rule rather than say what it does.
const IDENTITY: &[&str] = &[
    "id",
    "name",
    "rule",
    "policy",
    "agent",
    "layer",
    "overrides",
    "source",
];

fn body(rule: &Value) -> Value {
    match rule {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !IDENTITY.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A side holding one rule under `key`.
fn side(key: &(ObjectType, String), rule: Value) -> Side {
    let mut s = Side::default();
    s.objects.insert(key.clone(), rule);
    s
}

pub fn check(p: &Program, out: &mut Vec<Diagnostic>) {
    let eff = crate::effective::rules(p);
    let has_override = eff
        .iter()
        .any(|r| matches!(r.owner, Owner::Agent(_)) && r.overrides.is_some());
    if !has_override {
        return;
    }
    let bundle = crate::compile::bundle(p);
    let json: BTreeMap<&str, &Value> = bundle
        .get("rules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| Some((r.get("id")?.as_str()?, r)))
        .collect();
    // The wider rule's half of the same kind (`kind: both` has two),
    // found by index: one agent rule per agent may override a tenant rule,
    // and thousands of agents must not scan every rule each.
    let mut halves: std::collections::HashMap<usize, Vec<&ERule>> =
        std::collections::HashMap::new();
    for b in &eff {
        halves.entry(b.source).or_default().push(b);
    }
    let base_of = |r: &ERule, j: usize| -> Option<&ERule> {
        let h = halves.get(&j)?;
        h.iter()
            .find(|b| b.kind == r.kind)
            .or_else(|| h.first())
            .copied()
    };
    for r in eff.iter().filter(|r| matches!(r.owner, Owner::Agent(_))) {
        let Some(j) = r.overrides else { continue };
        let (Some(base), Some(base_ir), Some(agent_ir)) =
            (base_of(r, j), p.rules.get(j), p.rules.get(r.source))
        else {
            continue;
        };
        if !matches!(
            base.layer,
            Scope::Tenant | Scope::Org | Scope::Project | Scope::Team
        ) {
            continue;
        }
        let (Some(old), Some(new)) = (json.get(base.id.as_str()), json.get(r.id.as_str())) else {
            continue;
        };
        let key = (ObjectType::Rule, r.id.clone());
        let changes = crate::diff::diff(&side(&key, body(old)), &side(&key, body(new)));
        let spans = rule_fields(agent_ir);
        let span_of = |field: &str| -> Span {
            let root = field.split(['.', '[']).next().unwrap_or(field);
            spans
                .iter()
                .find(|(k, _)| *k == root)
                .and_then(|(_, s)| *s)
                .unwrap_or(agent_ir.name.span)
        };
        for c in changes
            .iter()
            .filter(|c| matches!(c.class, Class::Looser | Class::Changed))
        {
            let field = c.field.as_deref().unwrap_or("");
            let how = if c.class == Class::Looser {
                "loosens"
            } else {
                "may loosen"
            };
            let shown = |v: &Value| match v {
                Value::Null => "nothing".to_string(),
                Value::String(s) => format!("`{s}`"),
                other => format!("`{other}`"),
            };
            out.push(
                Diagnostic::new(
                    Code::AgentLoosensRule,
                    &agent_ir.file,
                    span_of(field),
                    format!(
                        "agent `{}` {how} {} rule `{}`: `{field}` {} → {} ({})",
                        agent_ir.owner.name(),
                        base_ir.layer,
                        base_ir.name.value,
                        shown(&c.old),
                        shown(&c.new),
                        c.reason
                    ),
                )
                .with_related(
                    &base_ir.file,
                    base_ir.name.span,
                    format!(
                        "{} rule defined here (policy `{}`)",
                        base_ir.layer,
                        base_ir.owner.name()
                    ),
                )
                .with_help(if c.class == Class::Looser {
                    "agents may tighten tenant and project rules, never loosen them; change the policy instead, or add an exception with an expiry"
                } else {
                    "guardctl cannot prove this override is no weaker than the rule it overrides, so it is refused; write it so it only adds to the rule (a narrower check, a wider `when`, a stronger action), or change the policy instead"
                }),
            );
        }
    }
}
