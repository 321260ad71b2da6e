//! Orq guardrail-rule bodies → one policy for the workspace-wide rules and
//! one per project (`runtime: orq`). Each evaluator id becomes a provider
//! (`adapter: other`, `evaluator_id:`) whose recorded verdict simulate
//! reads as `scores.<provider>.verdict` (`default_category: verdict`);
//! `expression.cel` is the rule's `when`, `enabled` its status (`paused`
//! when off), `execute_on` its kind.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{File, Imported, Y, duration, items, s, unknown_keys};
use crate::syntax::FileKind;

const KEYS: &[&str] = &[
    "display_name",
    "description",
    "enabled",
    "project_id",
    "expression",
    "guardrails",
    "timeout",
];

#[derive(Default)]
struct Policy {
    rules: Vec<(String, Y)>,
    providers: BTreeMap<String, String>,
}

pub fn import(doc: &Value, out: &mut Imported) {
    let mut policies: BTreeMap<Option<String>, Policy> = BTreeMap::new();
    for (at, g) in items(doc) {
        unknown_keys(g, KEYS, &at, out);
        let Some(display) = s(g, "display_name") else {
            out.problem(&at, "a rule without `display_name`: left out");
            continue;
        };
        let project = s(g, "project_id").map(str::to_string);
        let policy = policies.entry(project).or_default();
        let mut name = super::slug(display);
        let taken = |n: &str, p: &Policy| p.rules.iter().any(|(r, _)| r == n);
        let mut k = 2;
        while taken(&name, policy) {
            name = format!("{}-{k}", super::slug(display));
            k += 1;
        }
        let guards = g
            .get("guardrails")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if guards.is_empty() {
            out.problem(
                &format!("{at}/guardrails"),
                format!("rule `{display}` runs no evaluator: left out"),
            );
            continue;
        }
        let mut providers = Vec::new();
        let mut execute_on = None;
        let mut sample_rate = None;
        for (i, e) in guards.iter().enumerate() {
            let here = format!("{at}/guardrails/{i}");
            unknown_keys(e, &["id", "execute_on", "sample_rate"], &here, out);
            let Some(id) = s(e, "id") else {
                out.problem(&here, "an evaluator without `id`: left out");
                continue;
            };
            let provider = super::slug(id);
            policy.providers.insert(provider.clone(), id.to_string());
            providers.push(json!(provider));
            let on = s(e, "execute_on").unwrap_or("input");
            if execute_on.is_some_and(|x| x != on) {
                out.problem(
                    &here,
                    "evaluators of one rule run on different stages: the first's is kept",
                );
            }
            execute_on.get_or_insert(on);
            let rate = e.get("sample_rate").and_then(Value::as_f64).unwrap_or(1.0);
            if sample_rate.is_some_and(|x: f64| x != rate) {
                out.problem(
                    &here,
                    "evaluators of one rule have different sample rates: the first's is kept",
                );
            }
            sample_rate.get_or_insert(rate);
        }
        let kind = match execute_on.unwrap_or("input") {
            "output" => "output",
            "both" => "both",
            _ => "input",
        };
        let mut r = Y::map();
        r.put("kind", json!(kind));
        if name != display {
            r.put("display_name", json!(display));
        }
        r.put(
            "description",
            g.get("description").cloned().unwrap_or(Value::Null),
        );
        r.put(
            "provider",
            if providers.len() == 1 {
                providers.remove(0)
            } else {
                Value::Array(providers)
            },
        );
        r.put("action", json!("block"));
        if let Some(w) = g
            .pointer("/expression/cel")
            .and_then(Value::as_str)
            .filter(|w| !w.trim().is_empty())
        {
            r.put("when", json!(w));
        }
        if let Some(rate) = sample_rate.filter(|r| *r < 1.0) {
            r.put("sample_rate", json!(rate));
        }
        if let Some(t) = g.get("timeout").and_then(Value::as_u64) {
            r.put("timeout", json!(duration(t)));
        }
        if g.get("enabled").and_then(Value::as_bool) == Some(false) {
            r.put("status", json!("paused"));
        }
        policy.rules.push((name, r));
    }
    for (project, p) in policies {
        let name = project.as_deref().map_or("orq-workspace".to_string(), |x| {
            format!("orq-{}", super::slug(x))
        });
        let mut head = Y::map();
        head.put("name", json!(name));
        if let Some(x) = &project {
            head.put("scope", json!("project"));
            head.put("project", json!(x));
        }
        head.put("runtime", json!("orq"));
        let mut providers = Y::map();
        for (provider, id) in &p.providers {
            let mut pv = Y::map();
            pv.put("adapter", json!("other"));
            pv.put("evaluator_id", json!(id));
            pv.put("default_category", json!("verdict"));
            providers.put(provider, pv);
        }
        let rules = Y::Map(p.rules);
        out.files.push(File {
            path: format!("{name}.yaml"),
            sections: vec![
                ("POLICY".into(), head),
                ("PROVIDERS".into(), providers),
                ("GUARDRAILS".into(), rules),
            ],
            raw: None,
            kind: FileKind::Policy,
        });
    }
}
