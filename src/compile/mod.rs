//! IR → the runtime bundle (`guardctl.bundle/v1`), the JSON runtimes
//! consume. Deterministic: objects are sorted by id, maps by key, and the
//! `digest` is the sha256 of the canonical content (compact JSON, sorted
//! keys, without `digest` and without `source` locations), so reformatting
//! a policy never changes it. Schema: `schema/bundle.schema.json`.

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::effective::{ERule, object_id, object_scope, policy_timeout};
use crate::ir::enums::{StreamInterval, Tier};
use crate::ir::{Home, Homed, Owner, Policy, Program, TargetKind};
use crate::source::{SourceFile, Span};

pub const SCHEMA: &str = "guardctl.bundle/v1";

/// The bundle's JSON Schema (draft 2020-12).
pub const SCHEMA_JSON: &str = include_str!("bundle.schema.json");

fn source(file: &SourceFile, span: Span) -> Value {
    let (line, column) = file.line_col(span.start);
    json!({"file": file.name, "line": line, "column": column})
}

fn opt<T: serde::Serialize>(v: &Option<T>) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

fn rule_json(program: &Program, r: &ERule) -> Value {
    let severity_actions: Option<Map<String, Value>> =
        (!r.severity_actions.is_empty()).then(|| {
            r.severity_actions
                .iter()
                .map(|(s, a)| (s.to_string(), json!(a)))
                .collect()
        });
    let (policy_name, agent_name) = match &r.owner {
        Owner::Policy(p) => (json!(p), Value::Null),
        Owner::Agent(a) => (Value::Null, json!(a)),
    };
    let overrides = r
        .overrides
        .and_then(|j| program.rules.get(j))
        .map(|w| format!("{}/{}", w.owner.name(), w.name.value));
    let domains = r.has_domains.then(|| {
        let mut m = Map::new();
        if !r.allow_domains.is_empty() {
            m.insert("allow".into(), json!(r.allow_domains));
        }
        if !r.deny_domains.is_empty() {
            m.insert("deny".into(), json!(r.deny_domains));
        }
        Value::Object(m)
    });
    json!({
        "id": r.id,
        "name": r.name,
        "rule": r.rule,
        "policy": policy_name,
        "agent": agent_name,
        "layer": r.layer,
        "kind": r.kind,
        "tier": r.tier,
        "action": r.action,
        "severity": r.severity,
        "severity_actions": severity_actions,
        "priority": r.priority,
        "status": r.status,
        "message": r.message,
        "patterns": r.patterns,
        "entities": r.entities.iter().map(|x| x.as_str()).collect::<Vec<_>>(),
        "check": r.check,
        "check_polarity": r.polarity.as_str(),
        "match": r.matcher,
        "match_tree": opt(&r.match_tree),
        "when": r.when,
        "when_tree": opt(&r.when_tree),
        "provider": r.provider,
        "provider_id": r.provider_id,
        "providers": r.providers.iter().map(|p| json!({"name": p.name, "id": p.id, "category": p.category, "threshold": p.threshold, "evaluator_id": p.evaluator_id})).collect::<Vec<_>>(),
        "display_name": r.shown_name(),
        "description": r.description,
        "min_severity": r.min_severity,
        "runtime": r.runtime,
        "category": r.category,
        "threshold": r.threshold,
        "llm_check": r.llm_check,
        "fix_strategy": r.fix_strategy,
        "fix_expression": r.fix_expression,
        "max_reasks": r.max_reasks,
        "filter_min_length": r.filter_min_length,
        "streaming": r.streaming,
        "streaming_interval": r.streaming.then_some(r.streaming_interval),
        "sample_rate": r.sample_rate,
        "timeout_ms": r.timeout,
        "tools": r.tools,
        "deny_tools": r.deny_tools,
        "domains": domains,
        "max_tokens": r.max_tokens,
        "fail_mode": r.fail_mode,
        "overrides": overrides,
        "source": source(&r.file, r.span),
    })
}

fn policy_json(program: &Program, p: &Policy) -> Value {
    let st = p.streaming.clone().unwrap_or_default();
    json!({
        "name": p.name.value,
        "implicit": !p.explicit,
        "description": opt(&p.description),
        "type": opt(&p.policy_type),
        "scope": p.scope.value,
        "project": opt(&p.project),
        "agent": opt(&p.agent),
        "status": p.effective_status(),
        "default": p.default.as_ref().is_some_and(|d| d.value),
        "fail_mode": crate::effective::runtime::policy_fail_mode(program, p),
        "timeouts_ms": {"local": policy_timeout(Some(p), Tier::Local), "model": policy_timeout(Some(p), Tier::Model), "llm": policy_timeout(Some(p), Tier::Llm)},
        "streaming": {
            "enabled": st.enabled.as_ref().is_some_and(|e| e.value),
            "interval": st.interval.as_ref().map_or(StreamInterval::Sentence, |i| i.value),
            "chunk_size": st.chunk_size.as_ref().map_or(crate::effective::DEFAULT_CHUNK_SIZE as i64, |c| c.value.max(1)),
            "max_latency_ms": opt(&st.max_latency),
            "early_termination": st.early_termination.as_ref().is_some_and(|e| e.value),
        },
        "caching": p.caching.as_ref().map(|c| json!({"enabled": c.enabled.as_ref().is_some_and(|e| e.value), "ttl_ms": opt(&c.ttl)})),
        "budget": p.budget.as_ref().map(|b| json!({"monthly_limit_usd": opt(&b.monthly_limit_usd), "overspend_action": crate::effective::overspend_action(p)})),
        "combine": crate::effective::runtime::combine(crate::effective::runtime::of(program, Some(p)), Some(p)),
        "runtime": crate::effective::runtime::of(program, Some(p)),
        "priority": crate::effective::runtime::policy_priority(p),
        "team": opt(&p.team),
        "identity": opt(&p.identity),
        "approved_sites": p.approved_sites.iter().flatten().map(|a| json!({"pattern": a.pattern.value, "apply_policies": a.applies_policies()})).collect::<Vec<_>>(),
        "unapproved_tools": p.unapproved_tools.iter().flatten().map(|u| {
            let (action, severity) = crate::effective::runtime::unapproved_tool(crate::effective::runtime::of(program, Some(p)), u);
            json!({"pattern": u.pattern.value, "action": action, "severity": severity})
        }).collect::<Vec<_>>(),
        "constitution": p.constitution.iter().flatten().map(|c| json!({"principle": c.principle.value, "weight": c.weight.as_ref().map_or(1.0, |w| w.value)})).collect::<Vec<_>>(),
        "source": source(&p.file, p.name.span),
    })
}

fn scope_json(scope: &crate::ir::ScopeMap, home: &Home) -> Value {
    json!(object_scope(scope, home))
}

/// The resolved id of a reference made from `from`, or the name as written
/// where it resolves to nothing (a lint error).
fn resolved<T: Homed>(found: Option<&T>, name: &str) -> String {
    found.map_or_else(|| name.to_string(), object_id)
}

/// Sorts objects by id.
fn by_id(items: &mut [Value]) {
    items.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
}

/// Builds the bundle for a program that linted without errors.
pub fn bundle(program: &Program) -> Value {
    let mut rules: Vec<Value> = crate::effective::rules(program)
        .iter()
        .map(|r| rule_json(program, r))
        .collect();
    rules.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    let mut policies: Vec<Value> = program
        .policies
        .iter()
        .map(|p| policy_json(program, p))
        .collect();
    policies.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    // Each agent's rule ids, gathered in one pass over the rules (not one
    // pass per agent: thousands of agents).
    let mut agent_rules: std::collections::HashMap<&str, Vec<String>> =
        std::collections::HashMap::new();
    for r in &program.rules {
        if let Owner::Agent(a) = &r.owner {
            agent_rules
                .entry(a.as_str())
                .or_default()
                .extend(crate::effective::rule_ids(r).into_iter().map(|x| x.0));
        }
    }
    let mut agents: Vec<Value> = program
        .agents
        .iter()
        .map(|a| {
            let mut ids: Vec<String> = agent_rules
                .get(a.name.value.as_str())
                .cloned()
                .unwrap_or_default();
            ids.sort();
            json!({"name": a.name.value, "rules": ids, "source": source(&a.file, a.name.span)})
        })
        .collect();
    agents.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    let mut providers: Vec<Value> = program
        .providers
        .iter()
        .map(|p| {
            json!({
                "id": object_id(p),
                "name": p.name.value,
                "policy": p.policy,
                "adapter": opt(&p.adapter),
                "hosting": opt(&p.hosting),
                "endpoint": opt(&p.endpoint),
                "model": opt(&p.model),
                "auth_profile": opt(&p.auth_profile),
                "default_category": opt(&p.default_category),
                "default_threshold": opt(&p.default_threshold),
                "supported_categories": opt(&p.supported_categories),
                "circuit_breaker": opt(&p.circuit_breaker),
                "retry": opt(&p.retry),
                "cost_per_eval_usd": opt(&p.cost_per_eval_usd),
                "evaluator_id": opt(&p.evaluator_id),
                "source": source(&p.file, p.name.span),
            })
        })
        .collect();
    by_id(&mut providers);
    let mut budgets: Vec<Value> = program
        .budgets
        .iter()
        .map(|b| {
            json!({
                "id": object_id(b),
                "name": b.name.value,
                "policy": b.policy,
                "scope": scope_json(&b.scope, &b.home),
                "daily_usd": opt(&b.daily_usd),
                "weekly_usd": opt(&b.weekly_usd),
                "monthly_usd": opt(&b.monthly_usd),
                "owner": opt(&b.owner),
                "alert_at": b.alert_at.as_ref().map_or(Vec::new(), |a| a.iter().map(|x| x.value).collect()),
                "source": source(&b.file, b.name.span),
            })
        })
        .collect();
    by_id(&mut budgets);
    let mut caps: Vec<Value> = program
        .caps
        .iter()
        .map(|c| {
            json!({
                "id": object_id(c),
                "name": c.name.value,
                "policy": c.policy,
                "scope": scope_json(&c.scope, &c.home),
                "window": opt(&c.window),
                "limit_usd": opt(&c.limit_usd),
                "limit_tokens": opt(&c.limit_tokens),
                "limit_requests": opt(&c.limit_requests),
                "action": c.action.as_ref().map_or(crate::ir::enums::CapAction::Block, |a| a.value),
                "approval_chain": c.approval_chain.as_ref().map(|ch| resolved(program.chain(&ch.value, &c.home), &ch.value)),
                "source": source(&c.file, c.name.span),
            })
        })
        .collect();
    by_id(&mut caps);
    let mut chains: Vec<Value> = program
        .chains
        .iter()
        .map(|c| {
            json!({
                "id": object_id(c),
                "name": c.name.value,
                "policy": c.policy,
                "steps": c.steps.iter().map(|s| json!({
                    "approvers": s.approvers.iter().map(|a| a.value.clone()).collect::<Vec<_>>(),
                    "min_approvals": s.min_approvals.as_ref().map_or(1, |m| m.value),
                })).collect::<Vec<_>>(),
                "timeout_ms": opt(&c.timeout),
                "on_timeout": c.on_timeout.as_ref().map_or(crate::ir::enums::OnTimeout::Reject, |o| o.value),
                "source": source(&c.file, c.name.span),
            })
        })
        .collect();
    by_id(&mut chains);
    let mut exceptions: Vec<Value> = program
        .exceptions
        .iter()
        .map(|e| {
            let target = e.target.as_ref().map(|t| {
                let (kind, name) = &t.value;
                let id = match kind {
                    TargetKind::Cap => resolved(program.cap(name, &e.home).map(|x| x.1), name),
                    TargetKind::Rule => name.clone(),
                };
                json!({"kind": kind, "name": name, "id": id})
            });
            json!({
                "id": object_id(e),
                "name": e.name.value,
                "policy": e.policy,
                "target": target,
                "scope": scope_json(&e.scope, &e.home),
                "starts": opt(&e.starts),
                "expires": crate::effective::exception_end(e),
                "reason": opt(&e.reason),
                "status": e.status.as_ref().map_or(crate::ir::enums::ExceptionStatus::Draft, |s| s.value),
                "approved_by": opt(&e.approved_by),
                "source": source(&e.file, e.name.span),
            })
        })
        .collect();
    by_id(&mut exceptions);
    let mut bundle = json!({
        "schema": SCHEMA,
        "policies": policies,
        "agents": agents,
        "rules": rules,
        "providers": providers,
        "budgets": budgets,
        "caps": caps,
        "approval_chains": chains,
        "exceptions": exceptions,
    });
    let d = digest(&bundle);
    if let Value::Object(m) = &mut bundle {
        m.insert("digest".into(), json!(d));
    }
    bundle
}

/// Removes every `source` member (recursively) and the top-level `digest`.
pub fn without_locations(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| *k != "source" && *k != "digest")
                .map(|(k, v)| (k.clone(), without_locations(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(without_locations).collect()),
        other => other.clone(),
    }
}

/// `sha256:<hex>` of the canonical content.
pub fn digest(bundle: &Value) -> String {
    let canonical = serde_json::to_string(&without_locations(bundle)).unwrap_or_default();
    let hash = Sha256::digest(canonical.as_bytes());
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// The bundle as written: pretty JSON with a final newline.
pub fn to_text(bundle: &Value) -> String {
    let mut s = serde_json::to_string_pretty(bundle).unwrap_or_default();
    s.push('\n');
    s
}
