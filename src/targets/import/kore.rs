//! Kore guardrail-policy bodies (the `{"policies", "agents"}` document
//! `compile --target kore` writes, a list of bodies, or one body) → one
//! policy file per body (`runtime: kore`, `check_polarity: violation`: a
//! Kore `check` fires when true) and one ABL file per agent, whose
//! guardrails are read as Kore's parser reads them, their checks being
//! violation predicates: written as `match:`, which means that everywhere.
//! The halves of a rule Kore holds as `name.input` and `name.output` come
//! back as one `kind: both` rule when they agree.

use serde_json::{Value, json};

use super::{File, Imported, Y, duration, items, s, unknown_keys};
use crate::syntax::FileKind;

const BODY_KEYS: &[&str] = &[
    "name",
    "description",
    "scopeType",
    "agentDefId",
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
];

fn rule(r: &Value, at: &str, out: &mut Imported) -> Y {
    unknown_keys(r, RULE_KEYS, at, out);
    let mut y = Y::map();
    y.put("kind", r.get("kind").cloned().unwrap_or(json!("input")));
    y.put("check", r.get("check").cloned().unwrap_or(Value::Null));
    y.put(
        "entities",
        r.get("entities").cloned().unwrap_or(Value::Null),
    );
    y.put(
        "provider",
        r.get("provider").cloned().unwrap_or(Value::Null),
    );
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
    y.put(
        "llm_check",
        r.get("llmCheck").cloned().unwrap_or(Value::Null),
    );
    y.put("action", r.get("action").cloned().unwrap_or(Value::Null));
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
    if let Some(p) = r.get("priority").filter(|p| p.as_i64() != Some(100)) {
        y.put("priority", p.clone());
    }
    if let Some(m) = s(r, "message") {
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

/// The text of a `Y` mapping without its `kind`, to compare two halves.
fn without_kind(y: &Y) -> String {
    match y {
        Y::Map(e) => format!(
            "{:?}",
            e.iter().filter(|(k, _)| k != "kind").collect::<Vec<_>>()
        ),
        Y::Json(v) => v.to_string(),
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
    match (s(b, "scopeType"), project) {
        (Some("agent"), _) => {
            head.put("scope", json!("agent"));
            head.put("agent", b.get("agentDefId").cloned().unwrap_or(Value::Null));
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
    if let Some(st) = s(b, "status").filter(|x| *x != "active") {
        head.put("status", json!(st));
    }
    let set = b.get("settings").cloned().unwrap_or(json!({}));
    if let Some(f) = s(&set, "failMode").filter(|f| *f != "open") {
        head.put("fail_mode", json!(f));
    }
    if let Some(t) = set.get("timeouts") {
        let mut ty = Y::map();
        for (k, default) in [("local", 100), ("model", 3000), ("llm", 10_000)] {
            if let Some(ms) = t.get(k).and_then(Value::as_u64).filter(|ms| *ms != default) {
                ty.put(k, json!(duration(ms)));
            }
        }
        if !ty.is_empty() {
            head.put("timeouts", ty);
        }
    }
    if let Some(st) = set.get("streaming") {
        let mut sy = Y::map();
        if st.get("enabled").and_then(Value::as_bool) == Some(true) {
            sy.put("enabled", json!(true));
        }
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
        if let Some(ms) = st.get("maxLatencyMs").and_then(Value::as_u64) {
            sy.put("max_latency", json!(duration(ms)));
        }
        if st.get("earlyTermination").and_then(Value::as_bool) == Some(true) {
            sy.put("early_termination", json!(true));
        }
        if !sy.is_empty() {
            head.put("streaming", sy);
        }
    }
    if let Some(c) = b.get("caching") {
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
        let mut py = Y::map();
        for (from, to) in [
            ("adapter", "adapter"),
            ("hosting", "hosting"),
            ("endpoint", "endpoint"),
            ("model", "model"),
            ("authProfile", "auth_profile"),
            ("defaultCategory", "default_category"),
            ("defaultThreshold", "default_threshold"),
            ("supportedCategories", "supported_categories"),
            ("costPerEvalUsd", "cost_per_eval_usd"),
        ] {
            py.put(to, p.get(from).cloned().unwrap_or(Value::Null));
        }
        if let Some(cb) = p.get("circuitBreaker") {
            let mut c = Y::map();
            c.put(
                "max_failures",
                cb.get("maxFailures").cloned().unwrap_or(Value::Null),
            );
            if let Some(ms) = cb.get("resetTimeoutMs").and_then(Value::as_u64) {
                c.put("reset_timeout", json!(duration(ms)));
            }
            py.put("circuit_breaker", c);
        }
        if let Some(rt) = p.get("retry") {
            let mut r = Y::map();
            r.put(
                "max_retries",
                rt.get("maxRetries").cloned().unwrap_or(Value::Null),
            );
            r.put("backoff", rt.get("backoff").cloned().unwrap_or(Value::Null));
            if let Some(ms) = rt.get("baseMs").and_then(Value::as_u64) {
                r.put("base", json!(duration(ms)));
            }
            py.put("retry", r);
        }
        let key = super::slug(pname);
        if key != pname {
            out.problem(&here, format!("provider `{pname}` is written `{key}`"));
        }
        providers.put(&key, py);
    }
    // Rules, with `name.input`/`name.output` halves joined when they agree.
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
        if half == Some("output") {
            if let Some(prev) = rules
                .iter_mut()
                .find(|(n, _)| n == &format!("{base}.input"))
            {
                if without_kind(&prev.1) == without_kind(&y) {
                    prev.0 = base.to_string();
                    prev.1.set("kind", json!("both"));
                    continue;
                }
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
