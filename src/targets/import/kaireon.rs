//! KaireonAI guardrail bodies → one policy per `scope` (`runtime:
//! kaireon`), each body a rule whose `match` is the `expressionAst`.
//! KaireonAI rules read no content, so the rule's `kind` is `input` (the
//! stage guardctl requires; it does not change what the rule reads). A
//! folded `when` comes back inside the `match` (`all: [when, match]`),
//! which means the same.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{File, Imported, Y, items, s, unknown_keys};
use crate::syntax::FileKind;

const KEYS: &[&str] = &[
    "key",
    "name",
    "description",
    "severity",
    "expressionAst",
    "status",
    "priority",
    "scope",
];

pub fn import(doc: &Value, out: &mut Imported) {
    // Policy name → (scope keys, rules).
    let mut policies: BTreeMap<String, (Y, Y)> = BTreeMap::new();
    for (at, g) in items(doc) {
        unknown_keys(g, KEYS, &at, out);
        let Some(key) = s(g, "key") else {
            out.problem(&at, "a guardrail without `key`: left out");
            continue;
        };
        let rule_name = super::slug(key);
        if rule_name != key {
            out.problem(
                &format!("{at}/key"),
                format!("key `{key}` is written `{rule_name}`"),
            );
        }
        let Some(ast) = g
            .get("expressionAst")
            .filter(|a| a.as_object().is_none_or(|m| !m.is_empty()))
        else {
            out.problem(
                &at,
                format!("guardrail `{key}` has no condition (no or an empty `expressionAst`): it constrains nothing, left out"),
            );
            continue;
        };
        // KaireonAI's update API names `scope` a string; guardctl's own
        // output writes `{level, ...}`. A string other than the tenant's
        // has no documented meaning.
        let scope = match g.get("scope") {
            None | Some(Value::Null) => json!({"level": "tenant"}),
            Some(Value::String(x)) if matches!(x.as_str(), "" | "tenant" | "global") => {
                json!({"level": "tenant"})
            }
            Some(Value::String(x)) => {
                out.problem(
                    &format!("{at}/scope"),
                    format!("scope `{x}` has no documented meaning: read as tenant-wide"),
                );
                json!({"level": "tenant"})
            }
            Some(other) => other.clone(),
        };
        let level = s(&scope, "level").unwrap_or("tenant");
        let (policy, head) = match level {
            "tenant" => ("kaireon".to_string(), Y::map()),
            "project" | "agent" | "team" | "identity" => {
                let name = s(&scope, level).unwrap_or_default();
                let mut h = Y::map();
                h.put("scope", json!(level));
                h.put(level, json!(name));
                (format!("kaireon-{}", super::slug(name)), h)
            }
            other => {
                out.problem(
                    &format!("{at}/scope/level"),
                    format!("unknown scope level `{other}`: read as tenant"),
                );
                ("kaireon".to_string(), Y::map())
            }
        };
        let mut r = Y::map();
        r.put("kind", json!("input"));
        if let Some(n) = s(g, "name").filter(|n| *n != key) {
            r.put("display_name", json!(n));
        }
        r.put(
            "description",
            g.get("description").cloned().unwrap_or(Value::Null),
        );
        match s(g, "severity") {
            Some("soft") => r.put("severity", json!("soft")),
            Some("hard") | None => {}
            Some(other) => out.problem(
                &format!("{at}/severity"),
                format!("severity `{other}` is not hard or soft: read as hard"),
            ),
        }
        r.put("match", Y::tree(ast));
        if let Some(st) = s(g, "status").filter(|st| *st != "active") {
            r.put("status", json!(st));
        }
        if let Some(p) = g.get("priority").filter(|p| p.as_i64() != Some(100)) {
            r.put("priority", p.clone());
        }
        let slot = policies.entry(policy).or_insert_with(|| (head, Y::map()));
        slot.1.put(&rule_name, r);
    }
    for (name, (head, rules)) in policies {
        let mut p = Y::map();
        p.put("name", json!(name));
        if let Y::Map(h) = head {
            for (k, v) in h {
                p.put(&k, v);
            }
        }
        p.put("runtime", json!("kaireon"));
        out.files.push(File {
            path: format!("{name}.yaml"),
            sections: vec![("POLICY".into(), p), ("GUARDRAILS".into(), rules)],
            raw: None,
            kind: FileKind::Policy,
        });
    }
}
