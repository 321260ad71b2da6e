//! Kore.ai (spec §8): per policy the body of `POST
//! /api/projects/:projectId/guardrail-policies` (the tenant route for
//! `scopeType: tenant`), and per agent its `GUARDRAILS:` section as ABL
//! that Kore's parser reads. Bodies follow Kore's policy model and its
//! resolver: `action` as `{type, message}` (any other form is enforced as
//! `block`), `kind`, `priority` and `action` always written (Kore's own
//! define-rule defaults are `output`, 50, `block`), the halves of `kind:
//! both` under the rule's one name as Kore's API expands them, a rule
//! whose only check is `entities` as Kore's `builtin-pii` provider
//! restricted to them (lower-case recognizer ids), provider overrides with
//! the keys Kore's runtime reads. Checks are written as Kore's runtime
//! reads them: violation predicates (true = the guardrail fires) calling
//! only Kore's registered `abl.*` functions, with `patterns`, `tools`,
//! `deny_tools`, `max_tokens` and `when` lowered into them (and an agent
//! rule's `entities`, through `abl.detect_pii`).
//!
//! Output: `{"policies": [{"projectId", "body"}], "agents": [{"agent",
//! "file", "guardrails"}]}`; `jq '.policies[].body'` gives each request
//! body.

use serde_json::{Map, Value, json};

use super::lower::{Style, violation};
use super::{Input, Refusal, Target};
use crate::effective::{ERule, policy_timeout};
use crate::ir::enums::{Kind, PolicyStatus, RuleStatus, Runtime, Scope, StreamInterval, Tier};
use crate::ir::{Owner, Policy};

pub struct Kore;

const STYLE: Style = Style {
    abl_prefix: true,
    text_var: "content",
    pii_entities: false,
    score: false,
    runtime: "Kore",
};

impl Target for Kore {
    fn runtime(&self) -> Runtime {
        Runtime::Kore
    }

    fn schema(&self) -> &'static str {
        include_str!("kore.schema.json")
    }

    fn refusals(&self, input: &Input<'_>) -> Vec<Refusal> {
        let mut out = Vec::new();
        for p in input.policies.iter().copied() {
            policy_refusals(input, p, &mut out);
        }
        for r in &input.rules {
            rule_refusals(input, r, &mut out);
        }
        out
    }

    fn import(&self, doc: &Value, out: &mut super::import::Imported) {
        super::import::kore::import(doc, out);
    }

    fn compile(&self, input: &Input<'_>) -> Value {
        let mut policies: Vec<Value> = input
            .policies
            .iter()
            .copied()
            .map(|p| policy_body(input, p))
            .collect();
        policies.sort_by(|a, b| {
            let key = |v: &Value| {
                let at = |p: &str| v.pointer(p).map(Value::to_string).unwrap_or_default();
                (at("/projectId"), at("/body/name"))
            };
            key(a).cmp(&key(b))
        });
        let mut agents: Vec<Value> = input
            .agents
            .iter()
            .map(|a| {
                json!({
                    "agent": a.name.value,
                    "file": a.file.name,
                    "guardrails": agent_abl(input, &a.name.value),
                })
            })
            .collect();
        agents.sort_by(|a, b| a["agent"].as_str().cmp(&b["agent"].as_str()));
        json!({"policies": policies, "agents": agents})
    }
}

const KAIRRO_ONLY: &str =
    "a Kairro policy setting that Kore's guardrail-policy API has no field for";

const NOT_HERE: &[(&str, &str)] = &[
    (
        "combine",
        "Kore applies the most restrictive action of the triggered guardrails",
    ),
    ("priority", KAIRRO_ONLY),
    ("type", KAIRRO_ONLY),
    ("default", KAIRRO_ONLY),
    ("approved_sites", KAIRRO_ONLY),
    ("unapproved_tools", KAIRRO_ONLY),
];

const RULE_NOT_HERE: &[(&str, &str)] = &[
    (
        "timeout",
        "Kore's timeouts are per tier, in the policy's `timeouts`",
    ),
    ("min_severity", "Kore has no minimum finding severity"),
    ("display_name", "a Kore guardrail is named by its key only"),
];

const AGENT_ONLY: &str = "Kore's guardrail-policy rules have no such field (an agent's ABL guardrail does): move the rule to the agent";

const POLICY_RULE_NOT_HERE: &[(&str, &str)] = &[
    ("fix_strategy", AGENT_ONLY),
    ("fix_expression", AGENT_ONLY),
    ("max_reasks", AGENT_ONLY),
    ("filter_min_length", AGENT_ONLY),
    ("streaming", AGENT_ONLY),
    ("streaming_interval", AGENT_ONLY),
];

fn policy_refusals(input: &Input<'_>, p: &Policy, out: &mut Vec<Refusal>) {
    let mut refuse = |span, feature: &str, why: &str| {
        out.push(input.refuse_policy(p, span, feature, why));
    };
    match p.scope.value {
        Scope::Tenant | Scope::Project | Scope::Agent => {}
        s => refuse(
            p.scope.span,
            &format!("`scope: {s}`"),
            "Kore's guardrail policies are for the tenant, a project or an agent (`scopeType` tenant, project or agent)",
        ),
    }
    // Kore keeps one active policy per scope: activating one deactivates
    // the others of its tenant, project or agent (GC-several-active holds
    // projects and agents everywhere; the tenant's is Kore's own).
    if p.effective_status() == PolicyStatus::Active && p.scope.value == Scope::Tenant {
        let same_scope = |q: &&Policy| {
            q.scope.value == p.scope.value
                && q.project.as_ref().map(|x| &x.value) == p.project.as_ref().map(|x| &x.value)
                && q.agent.as_ref().map(|x| &x.value) == p.agent.as_ref().map(|x| &x.value)
                && q.effective_status() == PolicyStatus::Active
        };
        if let Some(first) = input.policies.iter().copied().find(same_scope) {
            if first.name.value != p.name.value {
                refuse(
                    p.name.span,
                    "a second active tenant policy",
                    &format!(
                        "Kore keeps one active tenant policy: activating `{}` deactivates `{}`; merge them, or give one `status: draft`",
                        p.name.value, first.name.value
                    ),
                );
            }
        }
    }
    if let Some(s) = p
        .status
        .as_ref()
        .filter(|s| s.value == PolicyStatus::Disabled)
    {
        refuse(
            s.span,
            "status: disabled",
            "Kore's policy status is draft, active or archived",
        );
    }
    // Kore's API takes caching, budget and webhooks on project policies
    // only (anything else is a 400).
    if p.scope.value != Scope::Project {
        const WHY: &str = "Kore takes caching and budget on project-scoped policies only";
        input.refuse_settings(p, &[("caching", WHY), ("budget", WHY)], out);
    }
    for x in input
        .program
        .providers
        .iter()
        .filter(|x| x.policy.as_deref() == Some(p.name.value.as_str()))
    {
        provider_refusals(input, p, x, out);
    }
    input.refuse_settings(p, NOT_HERE, out);
}

/// A policy's `providerOverrides[]` tune a provider configured in Kore:
/// its adapter, hosting, model, credentials and categories are Kore's
/// provider configuration, which the policy API drops (credentials are
/// a 400).
fn provider_refusals(
    input: &Input<'_>,
    p: &Policy,
    x: &crate::ir::Provider,
    out: &mut Vec<Refusal>,
) {
    // A provider of Kore's registry named with its own adapter says
    // nothing Kore does not already have.
    let registry = crate::ir::registry_providers::find(&x.name.value);
    // `adapter: other` says the provider is configured elsewhere: in Kore.
    let adapter = x.adapter.as_ref().filter(|a| {
        a.value != crate::ir::enums::Adapter::Other
            && registry.and_then(|r| r.adapter.as_ref()).map(|r| r.value) != Some(a.value)
    });
    let given = [
        ("adapter", adapter.map(|v| v.span)),
        ("hosting", x.hosting.as_ref().map(|v| v.span)),
        ("model", x.model.as_ref().map(|v| v.span)),
        ("auth_profile", x.auth_profile.as_ref().map(|v| v.span)),
        (
            "supported_categories",
            x.supported_categories
                .as_ref()
                .and_then(|v| v.first().map(|c| c.span)),
        ),
        (
            "retry.backoff",
            x.retry
                .as_ref()
                .and_then(|r| r.backoff.as_ref().map(|b| b.span)),
        ),
    ];
    for (feature, span) in given {
        if let Some(span) = span {
            let mut r = input.refuse_policy(
                p,
                span,
                feature,
                "a Kore policy overrides a provider configured in Kore (endpoint, default category and threshold, cost, circuit breaker, retries); set this in Kore's provider configuration and leave it out here",
            );
            r.file = x.file.clone();
            r.subject = format!("provider `{}`", x.name.value);
            out.push(r);
        }
    }
}

fn rule_refusals(input: &Input<'_>, r: &ERule, out: &mut Vec<Refusal>) {
    let mut refuse = |feature: &str, why: String| out.push(input.refuse_rule(r, feature, why));
    if r.providers.len() > 1 {
        refuse(
            "provider (several)",
            "a Kore guardrail names one provider: split the rule".into(),
        );
    }
    if r.sample_rate < 1.0 {
        refuse(
            "sample_rate",
            "Kore evaluates every matching request (sampling is Orq's)".into(),
        );
    }
    if matches!(r.owner, Owner::Agent(_)) && r.status != RuleStatus::Active {
        refuse(
            &format!("status: {}", r.status),
            "an ABL guardrail has no status (a policy rule's is `enabled`): remove the rule from the agent".into(),
        );
    }
    if let Err(bad) = violation(r, &STYLE, true) {
        for (feature, why) in bad {
            refuse(feature, why);
        }
    }
    let local = r.check.is_some()
        || r.matcher.is_some()
        || !r.patterns.is_empty()
        || !r.entities.is_empty()
        || r.tools.is_some()
        || r.deny_tools.is_some()
        || r.max_tokens.is_some();
    if r.tier != Tier::Local && local {
        refuse(
            "local check beside a provider or llm_check",
            "a Kore guardrail runs in one tier: split the local check into its own rule".into(),
        );
    }
    input.refuse_given(r, RULE_NOT_HERE, out);
    if matches!(r.owner, Owner::Policy(_)) {
        input.refuse_given(r, POLICY_RULE_NOT_HERE, out);
    }
}

/// Kore's PII provider, which `entities` restrict.
pub(crate) const BUILTIN_PII: &str = "builtin-pii";

/// Entity names as Kore's recognizers name them: lower case
/// (`US_SSN` → `us_ssn`).
fn kore_entities(entities: &[crate::ir::enums::Entity]) -> Vec<String> {
    entities
        .iter()
        .map(|e| e.to_string().to_ascii_lowercase())
        .collect()
}

/// Milliseconds as JSON.
fn ms(d: crate::ir::values::Duration) -> Value {
    json!(d.0)
}

fn policy_rule(r: &ERule, input: &Input<'_>) -> Value {
    let only_entities = r.check.is_none()
        && r.matcher.is_none()
        && r.patterns.is_empty()
        && r.tools.is_none()
        && r.deny_tools.is_none()
        && r.max_tokens.is_none()
        && r.when.is_none();
    let check = violation(r, &STYLE, !only_entities).ok().flatten();
    let wider = r.overrides.and_then(|j| input.program.rules.get(j));
    let src = input.program.rules.get(r.source);
    // An override of a wider rule that changes one field says which.
    let override_kind = match (wider, src) {
        (Some(_), Some(s)) if s.effective_status() != RuleStatus::Active => "disable",
        (Some(_), Some(s)) => {
            let written: Vec<&str> = s.given.iter().copied().filter(|k| *k != "kind").collect();
            match written.as_slice() {
                ["threshold"] => "threshold",
                ["action"] => "action",
                ["severity_actions"] => "severity_actions",
                _ => "define",
            }
        }
        _ => "define",
    };
    let severity_actions: Option<Map<String, Value>> =
        (!r.severity_actions.is_empty()).then(|| {
            r.severity_actions
                .iter()
                .map(|(s, a)| (s.to_string(), json!(a)))
                .collect()
        });
    let mut m = Map::new();
    let mut put = |k: &str, v: Value| {
        if !v.is_null() {
            m.insert(k.into(), v);
        }
    };
    // The halves of `kind: both` carry the rule's own name, as Kore's
    // API writes them when it expands `both`.
    put("guardrailName", json!(r.rule));
    put("override", json!(override_kind));
    put("kind", json!(r.kind));
    put("description", json!(r.description));
    if only_entities && !r.entities.is_empty() {
        // Kore runs entities as its `builtin-pii` provider restricted to
        // them (its Sensitive Data Block form); a rule with entities and
        // nothing else to run is dropped by Kore's API.
        put("tier", json!(Tier::Model));
        put("provider", json!(BUILTIN_PII));
        put("category", json!("pii"));
        put("entities", json!(kore_entities(&r.entities)));
    } else {
        put("tier", json!(r.tier));
        put("provider", json!(r.provider));
        put("category", json!(r.category));
        put("threshold", json!(r.threshold));
    }
    put("check", json!(check));
    put("llmCheck", json!(r.llm_check));
    // Kore's resolver reads `action` only as `{type, message}`: anything
    // else is enforced as `block`.
    put("action", json!({"type": r.action, "message": r.message}));
    put("severityActions", json!(severity_actions));
    put("priority", json!(r.priority));
    put("message", json!(r.message));
    put("enabled", json!(r.status == RuleStatus::Active));
    Value::Object(m)
}

fn policy_body(input: &Input<'_>, p: &Policy) -> Value {
    let st = p.streaming.clone().unwrap_or_default();
    let mut rules: Vec<Value> = input
        .rules_of(&p.name.value)
        .map(|r| policy_rule(r, input))
        .collect();
    rules.sort_by(|a, b| {
        a["guardrailName"]
            .as_str()
            .cmp(&b["guardrailName"].as_str())
    });
    let mut providers: Vec<Value> = input
        .program
        .providers
        .iter()
        .filter(|x| x.policy.as_deref() == Some(p.name.value.as_str()))
        .map(|x| {
            let mut m = Map::new();
            let mut put = |k: &str, v: Value| {
                if !v.is_null() {
                    m.insert(k.into(), v);
                }
            };
            let s = |v: &Option<crate::source::Spanned<String>>| json!(v.as_ref().map(|x| &x.value));
            put("providerName", json!(x.name.value));
            put("endpoint", s(&x.endpoint));
            put("defaultCategory", s(&x.default_category));
            put("defaultThreshold", json!(x.default_threshold.as_ref().map(|t| t.value)));
            // Kore's runtime reads `failureThreshold` / `resetTimeoutMs`
            // and `maxRetries` / `backoffBaseMs`.
            if let Some(cb) = &x.circuit_breaker {
                put("circuitBreaker", without_nulls(json!({"failureThreshold": cb.max_failures.as_ref().map(|v| v.value), "resetTimeoutMs": cb.reset_timeout_ms.as_ref().map(|v| v.value.0)})));
            }
            if let Some(rt) = &x.retry {
                put("retry", without_nulls(json!({"maxRetries": rt.max_retries.as_ref().map(|v| v.value), "backoffBaseMs": rt.base_ms.as_ref().map(|v| v.value.0)})));
            }
            put("costPerEvalUsd", json!(x.cost_per_eval_usd.as_ref().map(|c| c.value)));
            Value::Object(m)
        })
        .collect();
    providers.sort_by(|a, b| a["providerName"].as_str().cmp(&b["providerName"].as_str()));
    let scope_type = match p.scope.value {
        Scope::Agent => "agent",
        Scope::Project => "project",
        _ => "tenant",
    };
    let mut body = Map::new();
    body.insert("name".into(), json!(p.name.value));
    if let Some(d) = &p.description {
        body.insert("description".into(), json!(d.value));
    }
    body.insert("scopeType".into(), json!(scope_type));
    if let Some(a) = &p.agent {
        body.insert("agentDefId".into(), json!(a.value));
    }
    body.insert("rules".into(), json!(rules));
    body.insert("providerOverrides".into(), json!(providers));
    body.insert(
        "settings".into(),
        json!({
            "failMode": crate::effective::runtime::policy_fail_mode(input.program, p),
            "timeouts": {
                "local": ms(policy_timeout(Some(p), Tier::Local)),
                "model": ms(policy_timeout(Some(p), Tier::Model)),
                "llm": ms(policy_timeout(Some(p), Tier::Llm)),
            },
            "streaming": {
                "enabled": st.enabled.as_ref().is_some_and(|e| e.value),
                "defaultInterval": st.interval.as_ref().map_or(StreamInterval::Sentence, |i| i.value),
                "chunkSize": st.chunk_size.as_ref().map_or(crate::effective::DEFAULT_CHUNK_SIZE as i64, |c| c.value.max(1)),
                // Kore takes a positive number only; 500 ms is its default.
                "maxLatencyMs": st.max_latency.as_ref().map_or(KORE_MAX_LATENCY_MS, |d| d.value.0.max(1)),
                "earlyTermination": st.early_termination.as_ref().is_some_and(|e| e.value),
            },
        }),
    );
    if let Some(c) = &p.caching {
        body.insert(
            "caching".into(),
            json!({"enabled": c.enabled.as_ref().is_some_and(|e| e.value), "defaultTtlSeconds": c.ttl.as_ref().map(|t| t.value.0 / 1000)}),
        );
    }
    if let Some(b) = &p.budget {
        body.insert(
            "budget".into(),
            json!({"monthlyLimitUsd": b.monthly_limit_usd.as_ref().map(|m| m.value), "overspendAction": crate::effective::overspend_action(p)}),
        );
    }
    let principles: Vec<Value> = p
        .constitution
        .iter()
        .flatten()
        .map(|c| json!({"principle": c.principle.value, "weight": c.weight.as_ref().map_or(1.0, |w| w.value)}))
        .collect();
    body.insert("constitution".into(), json!(principles));
    body.insert("status".into(), json!(p.effective_status()));
    json!({"projectId": p.project.as_ref().map(|x| &x.value), "body": body})
}

/// Kore's streaming latency budget when the policy gives none.
pub(crate) const KORE_MAX_LATENCY_MS: u64 = 500;

/// An object without its `null` members.
fn without_nulls(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(m.into_iter().filter(|(_, v)| !v.is_null()).collect()),
        other => other,
    }
}

/// A YAML double-quoted scalar (JSON's escapes are YAML's).
fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// An agent's rules as Kore's ABL `GUARDRAILS:` section. The two halves
/// of a `kind: both` rule are written back as one `kind: both` rule.
fn agent_abl(input: &Input<'_>, agent: &str) -> String {
    let mut out = String::from("GUARDRAILS:\n");
    let mut seen = std::collections::BTreeSet::new();
    let mut rules: Vec<&ERule> = input
        .rules
        .iter()
        .filter(|r| matches!(&r.owner, Owner::Agent(a) if a == agent))
        .collect();
    rules.sort_by(|a, b| a.rule.cmp(&b.rule));
    for r in rules {
        if !seen.insert(r.source) {
            continue;
        }
        let both = input
            .program
            .rules
            .get(r.source)
            .and_then(|s| s.kind.as_ref())
            .is_some_and(|k| k.value == Kind::Both);
        let kind = if both {
            "both".to_string()
        } else {
            r.kind.to_string()
        };
        out.push_str(&format!("  {}:\n    kind: {kind}\n", r.rule));
        if let Ok(Some(check)) = violation(r, &STYLE, true) {
            out.push_str(&format!("    check: {}\n", quoted(&check)));
        }
        if let Some(p) = &r.provider {
            out.push_str(&format!("    provider: {p}\n"));
        }
        if let Some(c) = &r.category {
            out.push_str(&format!("    category: {}\n", quoted(c)));
        }
        if let (Some(t), Tier::Model | Tier::Llm) = (r.threshold, r.tier) {
            out.push_str(&format!("    threshold: {t}\n"));
        }
        if let Some(l) = &r.llm_check {
            out.push_str(&format!("    llm_check: {}\n", quoted(l)));
        }
        out.push_str(&format!("    action: {}\n", r.action));
        if !r.severity_actions.is_empty() {
            out.push_str("    severity_actions:\n");
            for (s, a) in &r.severity_actions {
                out.push_str(&format!("      {s}: {a}\n"));
            }
        }
        out.push_str(&format!("    message: {}\n", quoted(&r.message)));
        if r.priority != crate::effective::DEFAULT_PRIORITY {
            out.push_str(&format!("    priority: {}\n", r.priority));
        }
        if let Some(f) = r.fix_strategy {
            out.push_str(&format!("    fix_strategy: {f}\n"));
        }
        if let Some(f) = &r.fix_expression {
            out.push_str(&format!("    fix_expression: {}\n", quoted(f)));
        }
        if r.max_reasks != 2 {
            out.push_str(&format!("    max_reasks: {}\n", r.max_reasks));
        }
        if let Some(n) = r.filter_min_length {
            out.push_str(&format!("    filter_min_length: {n}\n"));
        }
        if r.streaming {
            out.push_str(&format!(
                "    streaming: true\n    streaming_interval: {}\n",
                r.streaming_interval
            ));
        }
    }
    out
}
