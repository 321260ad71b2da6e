//! Kore guardrail-policy bodies (the `{"policies", "agents"}` document
//! `compile --target kore` writes, a list of bodies, or one body) → one
//! policy file per body (`runtime: kore`, `check_polarity: violation`: a
//! Kore `check` fires when true) and one ABL file per agent, whose
//! guardrails are read as Kore's parser reads them, their checks being
//! violation predicates: written as `match:`, which means that everywhere.
//! The halves of a rule Kore holds as two rules of one name (as its API
//! expands `kind: both`), or as `name.input` and `name.output`, come back
//! as one `kind: both` rule when they agree.
//!
//! What Kore's API leaves out is read as Kore reads it: a define rule
//! without `kind` is `output`, without `priority` 50, and an `action`
//! that is not `{type, message}` is `block` with the rule's
//! `actionMessage` (else `message`); timeouts default to 100 ms / 5 s /
//! 15 s and streaming to Kore's own defaults. A `builtin-pii` rule with
//! `entities` is the language's `entities`, named as guardctl names them.

use serde_json::{Value, json};

use super::{File, Imported, Y, duration, items, s, unknown_keys};
use crate::ir::enums::Tier;
use crate::syntax::FileKind;

const BODY_KEYS: &[&str] = &[
    "name",
    "description",
    "scope",
    "scopeType",
    "agentDefId",
    "projectId",
    "changelog",
    "rules",
    "providerOverrides",
    "settings",
    "caching",
    "budget",
    "constitution",
    "status",
];
const RULE_KEYS: &[&str] = &[
    "guardrailName",
    "override",
    "kind",
    "tier",
    "provider",
    "category",
    "threshold",
    "check",
    "llmCheck",
    "action",
    "severityActions",
    "priority",
    "message",
    "entities",
    "enabled",
    "description",
    "actionMessage",
    "presetKey",
];

/// The keys of a Kore provider override (its response keeps these).
const PROVIDER_KEYS: &[&str] = &[
    "providerName",
    "endpoint",
    "defaultCategory",
    "defaultThreshold",
    "costPerEvalUsd",
    "circuitBreaker",
    "retry",
];

/// Kore's priority for a define rule that gives none.
const KORE_RULE_PRIORITY: i64 = 50;

/// A Kore recognizer id as guardctl names the entity (`us_ssn` →
/// `US_SSN`; Kore's short ids `ssn`, `email`, `phone` too).
fn entity(id: &str) -> String {
    match id.to_ascii_lowercase().as_str() {
        "ssn" => "US_SSN".into(),
        "email" => "EMAIL_ADDRESS".into(),
        "phone" => "PHONE_NUMBER".into(),
        "ip" => "IP_ADDRESS".into(),
        "iban" => "IBAN_CODE".into(),
        other => other.to_ascii_uppercase(),
    }
}

fn rule(r: &Value, at: &str, out: &mut Imported) -> Y {
    unknown_keys(r, RULE_KEYS, at, out);
    let mut y = Y::map();
    y.put("kind", r.get("kind").cloned().unwrap_or(json!("output")));
    y.put(
        "description",
        r.get("description").cloned().unwrap_or(Value::Null),
    );
    y.put("check", r.get("check").cloned().unwrap_or(Value::Null));
    let provider = s(r, "provider");
    let entities: Option<Vec<Value>> = r.get("entities").and_then(Value::as_array).map(|v| {
        v.iter()
            .map(|e| e.as_str().map_or_else(|| e.clone(), |e| json!(entity(e))))
            .collect()
    });
    let pii = matches!(provider, Some("builtin-pii" | "builtin_pii"));
    match (&entities, pii) {
        // Kore's Sensitive Data Block: its PII recognizers restricted to
        // these entities, which is what `entities` says.
        (Some(e), true) if !e.is_empty() => {
            y.put("entities", Value::Array(e.clone()));
            if let Some(t) = r.get("threshold") {
                out.problem(
                    &format!("{at}/threshold"),
                    format!("the PII recognizers' threshold {t} has no guardctl field (guardctl's entity detectors take none): left out"),
                );
            }
        }
        _ => {
            y.put(
                "entities",
                entities.map(Value::Array).unwrap_or(Value::Null),
            );
            y.put("provider", json!(provider));
            y.put(
                "category",
                r.get("category").cloned().unwrap_or(Value::Null),
            );
            if r.get("tier").and_then(Value::as_str) != Some("local") {
                y.put(
                    "threshold",
                    r.get("threshold").cloned().unwrap_or(Value::Null),
                );
            }
        }
    }
    y.put(
        "llm_check",
        r.get("llmCheck").cloned().unwrap_or(Value::Null),
    );
    // Kore's resolver: an `action` object gives type and message; any
    // other action is enforced as `block` with the rule's message.
    let (action, action_message) = match r.get("action") {
        Some(a @ Value::Object(_)) if a.get("type").is_some() => (
            a.get("type").cloned().unwrap_or(Value::Null),
            s(a, "message"),
        ),
        Some(Value::String(a))
            if s(r, "override") != Some("define") && r.get("override").is_some() =>
        {
            (json!(a), None)
        }
        Some(Value::String(a)) => {
            if a != "block" {
                out.problem(
                    &format!("{at}/action"),
                    format!("Kore enforces an action written `\"{a}\"` as `block` (it reads `{{type, message}}`): imported as block"),
                );
            }
            (json!("block"), None)
        }
        Some(other) => {
            out.problem(
                &format!("{at}/action"),
                format!("action {other} is not `{{type, message}}`: Kore enforces it as block"),
            );
            (json!("block"), None)
        }
        None => (json!("block"), None),
    };
    y.put("action", action);
    if let Some(sa) = r
        .get("severityActions")
        .filter(|v| v.as_object().is_some_and(|m| !m.is_empty()))
    {
        let mut m = Y::map();
        for band in ["safe", "low", "medium", "high", "critical"] {
            if let Some(a) = sa.get(band) {
                m.put(band, a.clone());
            }
        }
        y.put("severity_actions", m);
    }
    let priority = r
        .get("priority")
        .cloned()
        .unwrap_or(json!(KORE_RULE_PRIORITY));
    if priority.as_i64() != Some(crate::effective::DEFAULT_PRIORITY) {
        y.put("priority", priority);
    }
    let message = action_message
        .or_else(|| s(r, "actionMessage"))
        .or_else(|| s(r, "message"));
    if let Some(m) = message {
        let name = s(r, "guardrailName").unwrap_or_default();
        let base = name.split('.').next().unwrap_or(name);
        if m != format!("Guardrail: {name}") && m != format!("Guardrail: {base}") {
            y.put("message", json!(m));
        }
    }
    let enabled = r.get("enabled").and_then(Value::as_bool).unwrap_or(true);
    if !enabled || s(r, "override") == Some("disable") {
        y.put("status", json!("paused"));
    }
    y
}

/// A rule's `kind` as read.
fn kind_of(y: &Y) -> Option<&str> {
    match y {
        Y::Map(e) => e
            .iter()
            .find(|(k, _)| k == "kind")
            .and_then(|(_, v)| match v {
                Y::Json(Value::String(s)) => Some(s.as_str()),
                _ => None,
            }),
        _ => None,
    }
}

/// The text of a `Y` mapping without its `kind`, to compare two halves.
fn without_kind(y: &Y) -> String {
    match y {
        Y::Map(e) => format!(
            "{:?}",
            e.iter().filter(|(k, _)| k != "kind").collect::<Vec<_>>()
        ),
        other => format!("{other:?}"),
    }
}

fn body(b: &Value, project: Option<&str>, at: &str, out: &mut Imported) {
    unknown_keys(b, BODY_KEYS, at, out);
    let Some(name) = s(b, "name") else {
        out.problem(at, "a policy body without `name`: left out");
        return;
    };
    let mut head = Y::map();
    head.put("name", json!(name));
    head.put(
        "description",
        b.get("description").cloned().unwrap_or(Value::Null),
    );
    // A GET gives `scope: {type, projectId, agentDefId}`; a request body
    // `scopeType` and `agentDefId`, its project being in the path.
    let scope = b.get("scope").filter(|v| v.is_object());
    let scope_type = scope.and_then(|v| s(v, "type")).or(s(b, "scopeType"));
    let project = scope
        .and_then(|v| s(v, "projectId"))
        .or(project)
        .or(s(b, "projectId"));
    let agent = scope
        .and_then(|v| s(v, "agentDefId"))
        .or(s(b, "agentDefId"));
    match (scope_type, project) {
        (Some("tenant"), _) => {}
        (Some("agent"), _) => {
            head.put("scope", json!("agent"));
            head.put("project", json!(project));
            head.put("agent", json!(agent));
        }
        (_, Some(p)) => {
            head.put("scope", json!("project"));
            head.put("project", json!(p));
        }
        (_, None) => out.problem(
            at,
            format!(
                "policy `{name}` has no projectId (it is in the request path): written tenant-wide"
            ),
        ),
    }
    // Kore's own default status is `draft`.
    match s(b, "status") {
        Some("active") => {}
        Some(st) => head.put("status", json!(st)),
        None => head.put("status", json!("draft")),
    }
    let set = b.get("settings").cloned().unwrap_or(json!({}));
    if let Some(f) = s(&set, "failMode").filter(|f| *f != "open") {
        head.put("fail_mode", json!(f));
    }
    if let Some(t) = set.get("timeouts") {
        let mut ty = Y::map();
        // Kore's defaults, written where guardctl's differ.
        for (k, tier, kore) in [
            ("local", Tier::Local, 100),
            ("model", Tier::Model, 5_000),
            ("llm", Tier::Llm, 15_000),
        ] {
            let ms = t.get(k).and_then(Value::as_u64).unwrap_or(kore);
            if ms != crate::effective::default_timeout(tier).0 {
                ty.put(k, json!(duration(ms)));
            }
        }
        if !ty.is_empty() {
            head.put("timeouts", ty);
        }
    }
    // Kore's streaming settings matter while streaming is on (its
    // default `earlyTermination: true` is stored on every policy).
    if let Some(st) = set
        .get("streaming")
        .filter(|st| st.get("enabled").and_then(Value::as_bool) == Some(true))
    {
        let mut sy = Y::map();
        sy.put("enabled", json!(true));
        if let Some(i) = s(st, "defaultInterval").filter(|i| *i != "sentence") {
            sy.put("interval", json!(i));
        }
        if let Some(c) = st
            .get("chunkSize")
            .and_then(Value::as_i64)
            .filter(|c| *c != 256)
        {
            sy.put("chunk_size", json!(c));
        }
        if let Some(ms) = st
            .get("maxLatencyMs")
            .and_then(Value::as_u64)
            .filter(|ms| *ms != crate::targets::kore::KORE_MAX_LATENCY_MS)
        {
            sy.put("max_latency", json!(duration(ms)));
        }
        if st.get("earlyTermination").and_then(Value::as_bool) != Some(false) {
            sy.put("early_termination", json!(true));
        }
        if !sy.is_empty() {
            head.put("streaming", sy);
        }
    }
    // Kore's responses carry caching on every project policy; off, it
    // says nothing.
    if let Some(c) = b
        .get("caching")
        .filter(|c| c.get("enabled").and_then(Value::as_bool) == Some(true))
    {
        let mut cy = Y::map();
        cy.put(
            "enabled",
            json!(c.get("enabled").and_then(Value::as_bool).unwrap_or(false)),
        );
        if let Some(secs) = c.get("defaultTtlSeconds").and_then(Value::as_u64) {
            cy.put("ttl", json!(duration(secs.saturating_mul(1000))));
        }
        head.put("caching", cy);
    }
    if let Some(bu) = b.get("budget") {
        let mut by = Y::map();
        by.put(
            "monthly_limit_usd",
            bu.get("monthlyLimitUsd").cloned().unwrap_or(Value::Null),
        );
        if let Some(a) = s(bu, "overspendAction").filter(|a| *a != "alert_only") {
            by.put("overspend_action", json!(a));
        }
        head.put("budget", by);
    }
    let principles: Vec<Value> = b
        .get("constitution")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|c| json!({"principle": c.get("principle"), "weight": c.get("weight")}))
        .collect();
    if !principles.is_empty() {
        head.put("constitution", Value::Array(principles));
    }
    head.put("runtime", json!("kore"));
    head.put("check_polarity", json!("violation"));
    let mut providers = Y::map();
    for (i, p) in b
        .get("providerOverrides")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let here = format!("{at}/providerOverrides/{i}");
        let Some(pname) = s(p, "providerName") else {
            out.problem(
                &here,
                "a provider override without `providerName`: left out",
            );
            continue;
        };
        unknown_keys(p, PROVIDER_KEYS, &here, out);
        let mut py = Y::map();
        // A provider of Kore's own registry needs no adapter; any other is
        // configured in Kore, which guardctl writes `adapter: other`.
        if crate::ir::registry_providers::find(pname).is_none() {
            py.put("adapter", json!("other"));
        }
        for (from, to) in [
            ("endpoint", "endpoint"),
            ("defaultCategory", "default_category"),
            ("defaultThreshold", "default_threshold"),
            ("costPerEvalUsd", "cost_per_eval_usd"),
        ] {
            py.put(to, p.get(from).cloned().unwrap_or(Value::Null));
        }
        if let Some(cb) = p.get("circuitBreaker") {
            let mut c = Y::map();
            // `maxFailures` is the name Kore's Studio calls legacy.
            c.put(
                "max_failures",
                cb.get("failureThreshold")
                    .or_else(|| cb.get("maxFailures"))
                    .cloned()
                    .unwrap_or(Value::Null),
            );
            if let Some(ms) = cb.get("resetTimeoutMs").and_then(Value::as_u64) {
                c.put("reset_timeout", json!(duration(ms)));
            }
            if !c.is_empty() {
                py.put("circuit_breaker", c);
            }
        }
        if let Some(rt) = p.get("retry") {
            let mut r = Y::map();
            r.put(
                "max_retries",
                rt.get("maxRetries").cloned().unwrap_or(Value::Null),
            );
            if let Some(ms) = rt.get("backoffBaseMs").and_then(Value::as_u64) {
                r.put("base", json!(duration(ms)));
            }
            if !r.is_empty() {
                py.put("retry", r);
            }
        }
        if p.get("isActive").and_then(Value::as_bool) == Some(false) {
            out.problem(
                &format!("{here}/isActive"),
                "an inactive provider override has no guardctl field: imported as in force",
            );
        }
        let key = super::slug(pname);
        if key != pname {
            out.problem(&here, format!("provider `{pname}` is written `{key}`"));
        }
        providers.put(&key, py);
    }
    // Rules, with the halves of `kind: both` joined when they agree: two
    // rules of one name (Kore's own expansion) or `name.input` and
    // `name.output`.
    let mut rules: Vec<(String, Y)> = Vec::new();
    for (i, r) in b
        .get("rules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let here = format!("{at}/rules/{i}");
        let Some(gname) = s(r, "guardrailName") else {
            out.problem(&here, "a rule without `guardrailName`: left out");
            continue;
        };
        let y = rule(r, &here, out);
        let (base, half) = match gname.rsplit_once('.') {
            Some((b, h @ ("input" | "output"))) => (b, Some(h)),
            _ => (gname, None),
        };
        let input_half = format!("{base}.input");
        let partner = rules
            .iter()
            .position(|(n, _)| n == gname || (half == Some("output") && *n == input_half));
        if let Some(slot) = partner.and_then(|i| rules.get_mut(i)) {
            let halves = kind_of(&slot.1) == Some("input") && kind_of(&y) == Some("output");
            if halves && without_kind(&slot.1) == without_kind(&y) {
                slot.0 = base.to_string();
                slot.1.set("kind", json!("both"));
                continue;
            }
            if slot.0 == gname {
                // Kore's resolver replaces a define rule by name: the
                // last one of a name is the one in force.
                out.problem(
                    &here,
                    format!("`{gname}` is defined again: Kore keeps the last rule of a name, so the earlier one is left out"),
                );
                slot.1 = y;
                continue;
            }
        }
        rules.push((gname.to_string(), y));
    }
    let rules: Vec<(String, Y)> = rules
        .into_iter()
        .map(|(n, y)| (super::slug(&n.replace('.', "_")), y))
        .collect();
    let mut sections = vec![("POLICY".to_string(), head)];
    if !providers.is_empty() {
        sections.push(("PROVIDERS".into(), providers));
    }
    if !rules.is_empty() {
        sections.push(("GUARDRAILS".into(), Y::Map(rules)));
    }
    out.files.push(File {
        path: format!("{}.yaml", super::slug(name)),
        sections,
        raw: None,
        kind: FileKind::Policy,
    });
}

/// An agent's ABL section, its checks (violation predicates) as `match:`.
fn agent(a: &Value, at: &str, out: &mut Imported) {
    let (Some(name), Some(abl)) = (s(a, "agent"), s(a, "guardrails")) else {
        out.problem(at, "an agent without `agent` and `guardrails`: left out");
        return;
    };
    let text: String = abl
        .lines()
        .map(|l| match l.strip_prefix("    check: ") {
            Some(rest) => format!("    match: {rest}\n"),
            None => format!("{l}\n"),
        })
        .collect();
    out.files.push(File {
        path: format!("agents/{name}.agent.abl"),
        sections: vec![("AGENT".into(), Y::Json(json!(name)))],
        raw: Some(text),
        kind: FileKind::Agent,
    });
}

pub fn import(doc: &Value, out: &mut Imported) {
    match doc {
        Value::Object(m) if m.contains_key("policies") || m.contains_key("agents") => {
            for (at, p) in items(m.get("policies").unwrap_or(&json!([]))) {
                let at = format!("/policies{at}");
                match p.get("body") {
                    Some(b) => body(b, s(p, "projectId"), &format!("{at}/body"), out),
                    None => body(p, None, &at, out),
                }
            }
            for (at, a) in items(m.get("agents").unwrap_or(&json!([]))) {
                agent(a, &format!("/agents{at}"), out);
            }
        }
        other => {
            for (at, b) in items(other) {
                match b.get("body") {
                    Some(inner) => body(inner, s(b, "projectId"), &format!("{at}/body"), out),
                    None => body(b, None, &at, out),
                }
            }
        }
    }
}
