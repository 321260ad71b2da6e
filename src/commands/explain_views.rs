//! `explain` in a runtime's own shape (spec §8), beside guardctl's trace:
//! for Kairro its verdict (`action`, `riskLevel`, `reasons`, `eventId`)
//! and DLP summary (`maxSeverity`, `matches` with masked snippets,
//! `totalMatches`); for KaireonAI `debugTrace.guardrailReasons[]` of the
//! candidate and `afterGuardrails`, the offers of its decision
//! (`request_id`) that no hard rule removed.

use serde_json::{Value, json};

use crate::engine::evaluate::EventResult;
use crate::engine::event::Event;
use crate::engine::outcome::{Status, What};
use crate::engine::rules::RuleSet;
use crate::ir::enums::{Action, RuleStatus, Severity};

/// `LOW` … `CRITICAL` (hard = critical, soft = medium), or `NONE`.
fn level(s: Option<Severity>) -> &'static str {
    match s.map(Severity::rank) {
        None | Some(0) => "NONE",
        Some(1) => "LOW",
        Some(2) => "MEDIUM",
        Some(3) => "HIGH",
        Some(_) => "CRITICAL",
    }
}

/// A finding's text, masked as `explain` masks it.
fn snippet(e: &Event, field: &str, start: usize, end: usize) -> String {
    let text = match field {
        "input" => e.input.as_deref(),
        "output" => e.output.as_deref(),
        _ => None,
    };
    let found: String = text
        .map(|t| {
            t.chars()
                .skip(start)
                .take(end.saturating_sub(start))
                .collect()
        })
        .unwrap_or_default();
    super::explain::masked(&found, false)
}

/// Kairro's verdict for one event.
pub fn kairro(set: &RuleSet, r: &EventResult, e: &Event, decision: Action) -> Value {
    let fired: Vec<_> = r
        .outcomes
        .iter()
        .filter(|o| o.action.is_some())
        .filter_map(|o| Some((o, set.rules.get(o.rule)?)))
        .collect();
    let risk = fired
        .iter()
        .map(|(_, rule)| rule.severity)
        .max_by_key(|s| s.rank());
    let reasons: Vec<String> = fired
        .iter()
        .map(|(o, rule)| format!("{}: {}", rule.id, o.reason(set)))
        .collect();
    let mut matches = Vec::new();
    for (o, _) in &fired {
        for h in &o.hits {
            if let What::Entity(ent) = h.what {
                matches.push((ent, snippet(e, h.field, h.start, h.end)));
            }
        }
    }
    let max = matches
        .iter()
        .map(|(ent, _)| ent.severity())
        .max_by_key(|s| s.rank());
    json!({
        "action": decision.as_str().to_ascii_uppercase(),
        "riskLevel": level(risk),
        "reasons": reasons,
        "eventId": e.id,
        "dlp": {
            "maxSeverity": level(max),
            "matches": matches.iter().map(|(ent, s)| json!({"entity": ent.as_str(), "severity": level(Some(ent.severity())), "snippet": s})).collect::<Vec<_>>(),
            "totalMatches": matches.len(),
        },
    })
}

/// KaireonAI's debug trace of one candidate: every guardrail that applies
/// to it, once (the two halves of a `kind: both` rule, and a rule and the
/// narrower one that overrides it, share a key), `passed` unless one of them
/// triggered. A rule that did not run on the candidate (its `when` false,
/// its kind not the candidate's) passed, as KaireonAI reports a guardrail
/// whose expression is false; one skipped (inactive, bypassed, sampled
/// out) is left out, as KaireonAI does not evaluate it.
fn reasons(set: &RuleSet, r: &EventResult, e: &Event) -> Vec<Value> {
    let offer = e.offer.get("id").cloned().unwrap_or(Value::Null);
    let mut rows: Vec<(&str, &str, bool, bool)> = Vec::new();
    for ri in set.by_home.applicable(e) {
        let Some(rule) = set.rules.get(ri) else {
            continue;
        };
        if rule.site.is_some() {
            continue;
        }
        let passed = match r.outcomes.iter().find(|o| o.rule == ri) {
            Some(o) if o.status == Status::Skipped => continue,
            Some(o) => o.action.is_none(),
            None if rule.status != RuleStatus::Active => continue,
            None => true,
        };
        let hard = rule.action == Action::Block;
        match rows.iter_mut().find(|(key, ..)| *key == rule.name) {
            Some(row) => {
                row.2 &= passed;
                row.3 |= hard;
            }
            None => rows.push((
                &rule.name,
                rule.display_name.as_deref().unwrap_or(&rule.name),
                passed,
                hard,
            )),
        }
    }
    rows.into_iter()
        .map(|(key, name, passed, hard)| {
            let mut v = json!({
                "ruleKey": key,
                "ruleName": name,
                "severity": if hard { "hard" } else { "soft" },
                "passed": passed,
                "offerId": offer,
            });
            if let (false, Some(m)) = (passed, v.as_object_mut()) {
                m.insert(
                    "reason".into(),
                    json!(format!("Guardrail \"{name}\" triggered")),
                );
            }
            v
        })
        .collect()
}

/// KaireonAI's view: the candidate's reasons, and the offers of its
/// decision (`candidates`, this one among them) that remain.
pub fn kaireon(
    set: &RuleSet,
    r: &EventResult,
    e: &Event,
    candidates: &[(Event, EventResult)],
) -> Value {
    let after: Vec<Value> = candidates
        .iter()
        .filter(|(_, cr)| cr.decision != Action::Block)
        .map(|(c, _)| c.offer.get("id").cloned().unwrap_or_else(|| json!(c.id)))
        .collect();
    json!({
        "requestId": e.request_id,
        "debugTrace": {"guardrailReasons": reasons(set, r, e)},
        "afterGuardrails": after,
    })
}

/// A view in the human format: a heading line, then one line per reason.
pub fn human(key: &str, v: &Value) -> String {
    let text = |p: &str| v.pointer(p).and_then(Value::as_str).unwrap_or_default();
    let mut out = String::new();
    match key {
        "kairro" => {
            let dlp = v.get("dlp").cloned().unwrap_or(Value::Null);
            out.push_str(&format!(
                "kairro: {} · risk level {} · DLP max severity {}, {} match(es)\n",
                text("/action"),
                text("/riskLevel"),
                dlp.get("maxSeverity")
                    .and_then(Value::as_str)
                    .unwrap_or("NONE"),
                dlp.get("totalMatches").and_then(Value::as_u64).unwrap_or(0),
            ));
            for r in v
                .get("reasons")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                out.push_str(&format!("  reason: {}\n", r.as_str().unwrap_or_default()));
            }
            for m in dlp
                .get("matches")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let at = |k: &str| m.get(k).and_then(Value::as_str).unwrap_or_default();
                out.push_str(&format!(
                    "  match: {} ({}) {}\n",
                    at("entity"),
                    at("severity"),
                    at("snippet")
                ));
            }
        }
        _ => {
            let after: Vec<String> = v
                .get("afterGuardrails")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|o| o.as_str().map_or_else(|| o.to_string(), str::to_string))
                .collect();
            out.push_str(&format!(
                "kaireon: request {} · after guardrails: {}\n",
                v.get("requestId").and_then(Value::as_str).unwrap_or("-"),
                if after.is_empty() {
                    "none".to_string()
                } else {
                    after.join(", ")
                }
            ));
            let reasons = v
                .pointer("/debugTrace/guardrailReasons")
                .and_then(Value::as_array);
            for r in reasons.into_iter().flatten() {
                let at = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or_default();
                let passed = r.get("passed").and_then(Value::as_bool).unwrap_or(true);
                out.push_str(&format!(
                    "  {} {} ({}){}\n",
                    if passed { "✔" } else { "✖" },
                    at("ruleKey"),
                    at("severity"),
                    if passed {
                        String::new()
                    } else {
                        format!(": {}", at("reason"))
                    },
                ));
            }
        }
    }
    out
}
