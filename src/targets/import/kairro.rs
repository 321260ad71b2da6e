//! Kairro policies (and its extension config) → one policy file each
//! (`runtime: kairro`). Kairro rules of one name are one guardctl rule,
//! each kind one of its checks: `DLP` → `patterns` (an alternation of
//! `(?:…)` groups is split back) / `entities` / `min_severity`,
//! `ALLOW_TOOLS` → `tools`, `DENY_TOOLS` → `deny_tools`,
//! `DOMAIN_RESTRICTION` → `domains`, `TOKEN_LIMIT` → `max_tokens`,
//! `OTHER` → `match` (the violation predicate). The extension config's
//! sites go on the first organisation-wide policy (or a policy
//! `kairro-extension` of their own).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{File, Imported, Y, items, s, unknown_keys};
use crate::syntax::FileKind;

const POLICY_KEYS: &[&str] = &[
    "name",
    "description",
    "type",
    "status",
    "scope",
    "team",
    "identity",
    "priority",
    "isDefault",
    "rules",
];

fn lower(v: Option<&str>) -> Option<Value> {
    v.map(|x| json!(x.to_ascii_lowercase()))
}

/// `(?:a)|(?:b)` back into `[a, b]` when it is exactly that shape and
/// each piece is a regex of its own.
fn split_patterns(p: &str) -> Vec<String> {
    let Some(inner) = p.strip_prefix("(?:").and_then(|x| x.strip_suffix(')')) else {
        return vec![p.to_string()];
    };
    let pieces: Vec<String> = inner.split(")|(?:").map(str::to_string).collect();
    let balanced = |x: &str| {
        x.chars().filter(|c| *c == '(').count() == x.chars().filter(|c| *c == ')').count()
    };
    if pieces
        .iter()
        .all(|x| balanced(x) && crate::pattern::build(x).is_ok())
    {
        pieces
    } else {
        vec![p.to_string()]
    }
}

fn target_kind(t: Option<&str>) -> &'static str {
    match t {
        Some("COMPLETION") => "output",
        Some("BOTH") => "both",
        _ => "input",
    }
}

pub fn import(doc: &Value, out: &mut Imported) {
    let (policies, extension) = match doc {
        Value::Object(m) if m.contains_key("policies") || m.contains_key("extensionConfig") => (
            m.get("policies").cloned().unwrap_or(json!([])),
            m.get("extensionConfig").cloned(),
        ),
        other => (other.clone(), None),
    };
    let mut files: Vec<File> = Vec::new();
    let mut org_file = None;
    for (at, p) in items(&policies) {
        unknown_keys(p, POLICY_KEYS, &at, out);
        let Some(name) = s(p, "name") else {
            out.problem(&at, "a policy without `name`: left out");
            continue;
        };
        let mut head = Y::map();
        head.put("name", json!(name));
        head.put(
            "description",
            p.get("description").cloned().unwrap_or(Value::Null),
        );
        head.put("type", lower(s(p, "type")).unwrap_or(Value::Null));
        match s(p, "scope").unwrap_or("ORG") {
            "TEAM" => {
                head.put("scope", json!("team"));
                head.put("team", p.get("team").cloned().unwrap_or(Value::Null));
            }
            "IDENTITY" => {
                head.put("scope", json!("identity"));
                head.put(
                    "identity",
                    p.get("identity").cloned().unwrap_or(Value::Null),
                );
            }
            "ORG" => head.put("scope", json!("org")),
            other => out.problem(
                &format!("{at}/scope"),
                format!("unknown scope `{other}`: read as ORG"),
            ),
        }
        if let Some(st) = s(p, "status").filter(|x| *x != "ACTIVE") {
            head.put("status", json!(st.to_ascii_lowercase()));
        }
        if let Some(pr) = p.get("priority").filter(|x| x.as_i64() != Some(100)) {
            head.put("priority", pr.clone());
        }
        if p.get("isDefault").and_then(Value::as_bool) == Some(true) {
            head.put("default", json!(true));
        }
        head.put("runtime", json!("kairro"));
        let mut rules: BTreeMap<String, Y> = BTreeMap::new();
        let mut order: Vec<String> = Vec::new();
        for (i, r) in p
            .get("rules")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let here = format!("{at}/rules/{i}");
            unknown_keys(
                r,
                &["name", "kind", "action", "severity", "criteria"],
                &here,
                out,
            );
            let rname = super::slug(s(r, "name").unwrap_or("rule"));
            let entry = rules.entry(rname.clone()).or_insert_with(|| {
                order.push(rname.clone());
                let mut y = Y::map();
                y.put("kind", json!("input"));
                y.put("action", lower(s(r, "action")).unwrap_or(Value::Null));
                y.put("severity", lower(s(r, "severity")).unwrap_or(Value::Null));
                y
            });
            let c = r.get("criteria").cloned().unwrap_or(json!({}));
            let set_kind = |y: &mut Y, t: Option<&str>| y.set("kind", json!(target_kind(t)));
            match s(r, "kind") {
                Some("DLP") => {
                    unknown_keys(
                        &c,
                        &["minSeverity", "regex", "custom"],
                        &format!("{here}/criteria"),
                        out,
                    );
                    if let Some(m) = s(&c, "minSeverity") {
                        entry.put("min_severity", json!(m.to_ascii_lowercase()));
                    }
                    if let Some(re) = c.get("regex") {
                        set_kind(entry, s(re, "target"));
                        entry.put(
                            "patterns",
                            json!(split_patterns(s(re, "pattern").unwrap_or_default())),
                        );
                    }
                    if let Some(ents) = c.pointer("/custom/entities") {
                        set_kind(entry, c.pointer("/custom/target").and_then(Value::as_str));
                        entry.put("entities", ents.clone());
                    }
                }
                Some("ALLOW_TOOLS") => {
                    entry.set("kind", json!("tool_input"));
                    entry.put("tools", c.get("tools").cloned().unwrap_or(json!([])));
                }
                Some("DENY_TOOLS") => {
                    entry.set("kind", json!("tool_input"));
                    entry.put("deny_tools", c.get("tools").cloned().unwrap_or(json!([])));
                }
                Some("DOMAIN_RESTRICTION") => {
                    let d = c.get("domains").cloned().unwrap_or(json!({}));
                    let mut dy = Y::map();
                    for k in ["allow", "deny"] {
                        if let Some(v) = d
                            .get(k)
                            .filter(|v| v.as_array().is_some_and(|a| !a.is_empty()))
                        {
                            dy.put(k, v.clone());
                        }
                    }
                    entry.put("domains", dy);
                    set_kind(entry, c.pointer("/custom/target").and_then(Value::as_str));
                }
                Some("TOKEN_LIMIT") => {
                    entry.put(
                        "max_tokens",
                        c.get("tokenThreshold").cloned().unwrap_or(Value::Null),
                    );
                    set_kind(entry, c.pointer("/custom/target").and_then(Value::as_str));
                }
                Some("OTHER") => match c.pointer("/custom/cel").and_then(Value::as_str) {
                    Some(cel) => {
                        set_kind(entry, c.pointer("/custom/target").and_then(Value::as_str));
                        entry.put("match", json!(cel));
                    }
                    None => out.problem(
                        &here,
                        "an OTHER rule without `criteria.custom.cel`: left out",
                    ),
                },
                other => out.problem(
                    &format!("{here}/kind"),
                    format!("unknown rule kind {other:?}: left out"),
                ),
            }
        }
        let mut g = Y::map();
        for n in order {
            if let Some(y) = rules.remove(&n) {
                g.put(&n, y);
            }
        }
        if org_file.is_none() && s(p, "scope").unwrap_or("ORG") == "ORG" {
            org_file = Some(files.len());
        }
        let mut sections = vec![("POLICY".to_string(), head)];
        if !g.is_empty() {
            sections.push(("GUARDRAILS".into(), g));
        }
        files.push(File {
            path: format!("{}.yaml", super::slug(name)),
            sections,
            raw: None,
            kind: FileKind::Policy,
        });
    }
    if let Some(ext) = extension {
        unknown_keys(
            &ext,
            &["version", "approvedSites", "unapprovedTools"],
            "/extensionConfig",
            out,
        );
        let sites: Vec<Value> = ext
            .get("approvedSites")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|a| json!({"pattern": a.get("pattern"), "apply_policies": a.get("applyPolicies").and_then(Value::as_bool).unwrap_or(true)}))
            .collect();
        let tools: Vec<Value> = ext
            .get("unapprovedTools")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|t| json!({"pattern": t.get("pattern"), "action": lower(s(t, "action")), "severity": lower(s(t, "severity"))}))
            .collect();
        if !sites.is_empty() || !tools.is_empty() {
            let at = match org_file {
                Some(i) => i,
                None => {
                    let mut head = Y::map();
                    head.put("name", json!("kairro-extension"));
                    head.put("scope", json!("org"));
                    head.put("runtime", json!("kairro"));
                    files.push(File {
                        path: "kairro-extension.yaml".into(),
                        sections: vec![("POLICY".into(), head)],
                        raw: None,
                        kind: FileKind::Policy,
                    });
                    files.len() - 1
                }
            };
            if let Some((_, head)) = files.get_mut(at).and_then(|f| f.sections.first_mut()) {
                if !sites.is_empty() {
                    head.put("approved_sites", Value::Array(sites));
                }
                if !tools.is_empty() {
                    head.put("unapproved_tools", Value::Array(tools));
                }
            }
        }
    }
    out.files.extend(files);
}
