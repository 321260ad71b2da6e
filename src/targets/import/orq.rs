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
        // Orq writes `project_id: ""` for a workspace-wide rule.
        let project = match g.get("project_id") {
            None | Some(Value::Null) => None,
            Some(Value::String(p)) if p.is_empty() => None,
            Some(Value::String(p)) => Some(p.clone()),
            Some(other) => {
                out.problem(
                    &format!("{at}/project_id"),
                    format!("project_id {other} is not a string: the rule is left out"),
                );
                continue;
            }
        };
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
            unknown_keys(
                e,
                &["id", "execute_on", "sample_rate", "is_guardrail"],
                &here,
                out,
            );
            // An evaluator that is not a guardrail only scores the call.
            if e.get("is_guardrail").and_then(Value::as_bool) == Some(false) {
                out.problem(
                    &format!("{here}/is_guardrail"),
                    "an evaluator with `is_guardrail: false` only scores (guardctl's providers decide): left out",
                );
                continue;
            }
            let Some(id) = s(e, "id") else {
                out.problem(&here, "an evaluator without `id`: left out");
                continue;
            };
            let provider = super::slug(id);
            policy.providers.insert(provider.clone(), id.to_string());
            providers.push(json!(provider));
            let on = match s(e, "execute_on") {
                None => "input",
                Some(on @ ("input" | "output" | "both")) => on,
                Some(other) => {
                    out.problem(
                        &format!("{here}/execute_on"),
                        format!("execute_on `{other}` is not input, output or both: read as input"),
                    );
                    "input"
                }
            };
            if execute_on.is_some_and(|x| x != on) {
                out.problem(
                    &here,
                    "evaluators of one rule run on different stages: the first's is kept",
                );
            }
            execute_on.get_or_insert(on);
            let rate = match e.get("sample_rate") {
                None | Some(Value::Null) => 1.0,
                // Orq's deployment guardrails count the rate 1..100 (its
                // rule API gives no range): a number past 1 is read as a
                // percentage, and said.
                Some(v) => match v.as_f64() {
                    Some(r) if (0.0..=1.0).contains(&r) => r,
                    Some(r) if r > 1.0 && r <= 100.0 => {
                        out.problem(
                            &format!("{here}/sample_rate"),
                            format!("sample_rate {v} is read as a percentage: {}", r / 100.0),
                        );
                        r / 100.0
                    }
                    _ => {
                        out.problem(
                            &format!("{here}/sample_rate"),
                            format!("sample_rate {v} is neither a fraction (0 to 1) nor a percentage: read as 1"),
                        );
                        1.0
                    }
                },
            };
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
        if let Some(e) = g.get("expression") {
            // `config` is the rule builder's view of the same CEL.
            unknown_keys(e, &["cel", "config"], &format!("{at}/expression"), out);
        }
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
        match g.get("timeout") {
            None | Some(Value::Null) => {}
            Some(t) => match t.as_u64() {
                Some(t) => r.put("timeout", json!(duration(t))),
                None => out.problem(
                    &format!("{at}/timeout"),
                    format!("timeout {t} is not a number of milliseconds: left out"),
                ),
            },
        }
        // Orq's rule is off unless `enabled` says otherwise.
        if g.get("enabled").and_then(Value::as_bool) != Some(true) {
            r.put("status", json!("paused"));
        }
        policy.rules.push((name, r));
    }
    for (project, p) in policies.into_iter().filter(|(_, p)| !p.rules.is_empty()) {
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
