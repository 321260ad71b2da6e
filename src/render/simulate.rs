//! Simulation summaries: a readable report and the same content as one
//! JSON object (`--format json`).

use std::fmt::Write;

use crate::json::put;
use serde_json::{Value as J, json};

use crate::engine::governance::GovEvent;
use crate::ir::enums::Action;
use crate::simulate::Summary;

fn pct(n: usize, total: usize) -> String {
    if total == 0 {
        "0.0%".into()
    } else {
        format!("{:.1}%", n as f64 * 100.0 / total as f64)
    }
}

fn actions_in_order(s: &Summary) -> Vec<(Action, usize)> {
    let mut v: Vec<(Action, usize)> = s.decisions.iter().map(|(a, n)| (*a, *n)).collect();
    v.sort_by_key(|(a, _)| std::cmp::Reverse(a.rank()));
    v
}

/// The flip matrix and the changed events (empty without a baseline).
pub fn flips_human(s: &Summary, direction: &str) -> String {
    let mut o = String::new();
    if let Some(flips) = &s.flips {
        let _ = writeln!(
            o,
            "\nflip matrix ({direction}), {} event(s) changed",
            s.changed_count
        );
        for ((b, a), n) in flips {
            let mark = if b == a { " " } else { "*" };
            let _ = writeln!(o, " {mark}{:>18} → {:<18} {n:>8}", b.as_str(), a.as_str());
        }
        if !s.changed.is_empty() {
            let _ = writeln!(o, "\nchanged events (first {})", s.changed.len());
            for c in &s.changed {
                let _ = writeln!(
                    o,
                    "  {} (line {}): {} → {}  {}",
                    c.id,
                    c.line,
                    c.before,
                    c.after,
                    c.excerpt.replace('\n', " ")
                );
            }
        }
    }
    o
}

pub fn human(s: &Summary) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "events: {}   malformed lines: {}",
        s.events, s.malformed_count
    );
    // Only an OpenTelemetry export has records to pass over.
    if !s.skipped.is_empty() {
        let kinds: Vec<String> = s.skipped.iter().map(|(k, n)| format!("{n} {k}")).collect();
        let _ = write!(o, "   skipped (no GenAI content): {}", kinds.join(", "));
    }
    let _ = writeln!(o);
    let _ = writeln!(o, "\ndecisions");
    for (a, n) in actions_in_order(s) {
        let _ = writeln!(o, "  {:<18} {n:>8}  {:>6}", a.as_str(), pct(n, s.events));
    }
    let _ = writeln!(
        o,
        "\nrules{:>43}{:>10}{:>12}{:>9}  by action",
        "evaluated", "triggered", "unevaluated", "skipped"
    );
    for (id, st) in &s.rules {
        let actions: Vec<String> = st
            .by_action
            .iter()
            .map(|(a, n)| format!("{a}={n}"))
            .collect();
        let mut line = format!(
            "  {id:<46}{:>10}{:>10}{:>12}{:>9}  {}",
            st.evaluated,
            st.triggered,
            st.unevaluated,
            st.skipped,
            actions.join(" ")
        );
        if st.streaming_triggers > 0 {
            line.push_str(&format!(" (mid-stream: {})", st.streaming_triggers));
        }
        let _ = writeln!(o, "{}", line.trim_end());
    }
    if !s.governance.is_empty() || !s.cap_applied.is_empty() || !s.exempted.is_empty() {
        let _ = writeln!(o, "\ngovernance");
        for ((kind, name), g) in &s.governance_objects {
            let what = match *kind {
                "budget" => format!(
                    "{} alert(s), thresholds crossed: {}",
                    g.events,
                    g.notes.join(", ")
                ),
                "cap" => format!("tripped in {} window(s)", g.events),
                _ => format!("spent in {}", g.notes.join(", ")),
            };
            let _ = writeln!(o, "  {kind} `{name}`: {what} (first: event {})", g.first);
        }
        for (cap, n) in &s.cap_applied {
            let _ = writeln!(
                o,
                "  cap `{cap}` acted on {n} later event(s) in tripped windows"
            );
        }
        for (x, n) in &s.exempted {
            let _ = writeln!(o, "  exception `{x}` exempted {n} event(s)");
        }
        if !s.governance.is_empty() {
            let _ = writeln!(
                o,
                "  {} of {} alert(s) and trip(s), in trace order (every one: --events):",
                s.governance.len(),
                s.governance_count
            );
            for (id, g) in &s.governance {
                let _ = writeln!(o, "    event {id}: {}", g.describe());
            }
        }
    }
    if !s.approvals.is_empty() {
        let _ = writeln!(o, "\napproval load (requests per chain per day)");
        for ((chain, day), n) in &s.approvals {
            let _ = writeln!(o, "  {chain:<24} {day}  {n}");
        }
    }
    o.push_str(&flips_human(s, "baseline → this policy"));
    if let Some((rule, rows)) = &s.sweep {
        let _ = writeln!(
            o,
            "\nthreshold sweep for {rule} (events with a recorded score)"
        );
        for (t, hit, n) in rows {
            let _ = writeln!(o, "  {t:.2}  {hit:>8} / {n:<8} {}", pct(*hit, *n));
        }
    }
    if !s.unknown_fields.is_empty() {
        let _ = writeln!(o, "\nunknown event fields (passed over)");
        for (k, n) in &s.unknown_fields {
            let hint =
                crate::suggest::did_you_mean(k, crate::engine::event::FIELDS.iter().copied())
                    .map(|f| format!(" (did you mean `{f}`?)"))
                    .unwrap_or_default();
            let _ = writeln!(o, "  `{k}` on {n} line(s){hint}");
        }
    }
    if !s.not_simulated.is_empty() {
        let _ = writeln!(
            o,
            "\nnot simulated (compiled for the runtime; a trace cannot replay them)"
        );
        for u in &s.not_simulated {
            let _ = writeln!(o, "  {}  ({}; {})", u.setting, u.why, u.at);
        }
    }
    if !s.malformed.is_empty() {
        let _ = writeln!(o, "\nmalformed lines (skipped; --strict makes them fatal)");
        for m in &s.malformed {
            let _ = writeln!(o, "  {}: {}", m.location(), m.message);
        }
        if s.malformed_count > s.malformed.len() {
            let _ = writeln!(
                o,
                "  ... and {} more",
                s.malformed_count - s.malformed.len()
            );
        }
    }
    o
}

fn gov_json(id: &str, g: &GovEvent) -> J {
    match g {
        GovEvent::BudgetAlert {
            budget,
            period,
            threshold,
            spend,
            limit,
        } => {
            json!({"type": "budget_alert", "event": id, "budget": budget, "period": period, "threshold": threshold, "spend_usd": spend, "limit_usd": limit})
        }
        GovEvent::CapTripped {
            cap,
            window,
            usage,
            limit,
            action,
            chain,
            approvers,
        } => {
            json!({"type": "cap_tripped", "event": id, "cap": &**cap, "window": window, "usage": usage, "limit": limit, "action": action, "approval_chain": chain, "approvers": approvers})
        }
        GovEvent::CapApplied {
            cap,
            window,
            action,
        } => {
            json!({"type": "cap_applied", "event": id, "cap": &**cap, "window": window, "action": action})
        }
        GovEvent::Exempted { exception, target } => {
            json!({"type": "exempted", "event": id, "exception": exception, "target": target})
        }
        GovEvent::EvalBudgetSpent {
            policy,
            period,
            spend,
            limit,
            action,
        } => {
            json!({"type": "evaluation_budget_spent", "event": id, "policy": policy, "period": period, "spend_usd": spend, "limit_usd": limit, "overspend_action": action})
        }
    }
}

/// `{flips, changed_count, changed}` (none without a baseline).
pub fn flips_json(s: &Summary) -> Option<J> {
    let mut out = json!({});
    let flips = s.flips.as_ref()?;
    {
        put(
            &mut out,
            "flips",
            J::Array(
                flips
                    .iter()
                    .map(|((b, a), n)| json!({"before": b, "after": a, "events": n}))
                    .collect(),
            ),
        );
        put(&mut out, "changed_count", json!(s.changed_count));
        put(&mut out, "changed", J::Array(s.changed.iter().map(|c| json!({"id": c.id, "line": c.line, "before": c.before, "after": c.after, "excerpt": c.excerpt})).collect()));
    }
    Some(out)
}

pub fn json(s: &Summary) -> J {
    let rules: serde_json::Map<String, J> = s
        .rules
        .iter()
        .map(|(id, st)| {
            (
                id.clone(),
                json!({
                    "evaluated": st.evaluated,
                    "triggered": st.triggered,
                    "unevaluated": st.unevaluated,
                    "skipped": st.skipped,
                    "by_action": st.by_action.iter().map(|(a, n)| (a.as_str().to_string(), json!(n))).collect::<serde_json::Map<_, _>>(),
                    "streaming_triggers": st.streaming_triggers,
                }),
            )
        })
        .collect();
    let mut out = json!({
        "events": s.events,
        "decisions": s.decisions.iter().map(|(a, n)| (a.as_str().to_string(), json!(n))).collect::<serde_json::Map<_, _>>(),
        "rules": rules,
        "governance": s.governance.iter().map(|(id, g)| gov_json(id, g)).collect::<Vec<_>>(),
        "governance_count": s.governance_count,
        "governance_objects": s.governance_objects.iter().map(|((kind, name), g)| json!({"kind": kind, "name": name, "events": g.events, "first_event": g.first, "notes": g.notes})).collect::<Vec<_>>(),
        "cap_applied": s.cap_applied,
        "exempted": s.exempted,
        "approval_load": s.approvals.iter().map(|((c, d), n)| json!({"chain": c, "day": d, "requests": n})).collect::<Vec<_>>(),
        "timeline": s.timeline.iter().map(|(d, m)| (d.clone(), json!(m.iter().map(|(a, n)| (a.as_str().to_string(), json!(n))).collect::<serde_json::Map<_, _>>()))).collect::<serde_json::Map<_, _>>(),
        "skipped": s.skipped,
        "unknown_fields": s.unknown_fields.iter().map(|(k, n)| json!({"field": k, "lines": n, "did_you_mean": crate::suggest::did_you_mean(k, crate::engine::event::FIELDS.iter().copied())})).collect::<Vec<_>>(),
        "not_simulated": s.not_simulated.iter().map(|u| json!({"setting": u.setting, "at": u.at, "why": u.why})).collect::<Vec<_>>(),
        "malformed": {"count": s.malformed_count, "lines": s.malformed.iter().map(|m| json!({"file": m.file, "line": m.line, "column": m.column, "message": m.message})).collect::<Vec<_>>()},
    });
    if let Some(flips) = flips_json(s) {
        if let (J::Object(m), J::Object(f)) = (&mut out, flips) {
            m.extend(f);
        }
    }
    if let Some((rule, rows)) = &s.sweep {
        put(
            &mut out,
            "sweep",
            json!({"rule": rule, "points": rows.iter().map(|(t, h, n)| json!({"threshold": (t * 100.0).round() / 100.0, "triggered": h, "scored": n})).collect::<Vec<_>>()}),
        );
    }
    out
}
