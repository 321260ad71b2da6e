//! `simulate --report`: one self-contained HTML page (inline CSS and SVG,
//! no scripts, no network) for a reviewer: the inputs (policy paths, trace
//! files, bundle digest, generation time), a legend of one colour per
//! action, decisions over time and triggers per rule on charts with axes,
//! each rule's evaluated / triggered / unevaluated / skipped counts, the
//! flip matrix, governance summarised by object, the threshold sweep, the
//! settings not simulated, unknown event fields and the malformed lines.
//! Excerpts are masked by the caller unless `--show-matches`.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::svg::{self, color};
use crate::ir::enums::Action;
use crate::simulate::Summary;

pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// What the report was made from.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    pub policies: Vec<String>,
    pub baseline: Vec<String>,
    pub traces: Vec<String>,
    /// The bundle digest of the policies simulated.
    pub digest: String,
    /// RFC 3339 (`SOURCE_DATE_EPOCH` when set, for reproducible reports).
    pub generated: String,
}

const STYLE: &str = "body{font:14px system-ui,sans-serif;margin:2em;max-width:64em;color:#111}\
table{border-collapse:collapse;margin:.4em 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}\
th{background:#f3f4f6}td.l,th.l{text-align:left}h2{margin-top:1.6em}code{font-size:12px}\
.legend{display:flex;flex-wrap:wrap;gap:.3em 1.2em;margin:.5em 0}.sw{display:inline-block;width:11px;height:11px;margin-right:4px;vertical-align:-1px}";

fn swatch(a: Action) -> String {
    format!(
        "<span class=\"sw\" style=\"background:{}\"></span>{a}",
        color(a)
    )
}

fn pct(n: usize, of: usize) -> String {
    if of == 0 {
        "0.0%".into()
    } else {
        format!("{:.1}%", n as f64 * 100.0 / of as f64)
    }
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        return "—".into();
    }
    items
        .iter()
        .map(|x| format!("<code>{}</code>", escape(x)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn inputs_table(s: &Summary, i: &Inputs, h: &mut String) {
    let _ = write!(
        h,
        "<table><tr><th class=\"l\">policies</th><td class=\"l\">{}</td></tr>",
        list(&i.policies)
    );
    if !i.baseline.is_empty() {
        let _ = write!(
            h,
            "<tr><th class=\"l\">baseline</th><td class=\"l\">{}</td></tr>",
            list(&i.baseline)
        );
    }
    let _ = write!(
        h,
        "<tr><th class=\"l\">traces</th><td class=\"l\">{}</td></tr><tr><th class=\"l\">bundle digest</th><td class=\"l\"><code>{}</code></td></tr>\
<tr><th class=\"l\">generated</th><td class=\"l\">{}</td></tr><tr><th class=\"l\">events</th><td class=\"l\">{} ({} malformed lines{})</td></tr></table>",
        list(&i.traces),
        escape(&i.digest),
        escape(&i.generated),
        s.events,
        s.malformed_count,
        match s.skipped.values().sum::<usize>() {
            0 => String::new(),
            n => format!(", {n} OpenTelemetry records without GenAI content skipped"),
        }
    );
}

fn legend(s: &Summary, h: &mut String) {
    let mut present: Vec<Action> = s.decisions.keys().copied().collect();
    present.extend(s.rules.values().flat_map(|r| r.by_action.keys().copied()));
    present.sort_by_key(|a| (a.rank(), *a));
    present.dedup();
    h.push_str("<div class=\"legend\" aria-label=\"legend\">");
    for a in present {
        h.push_str(&format!("<span>{}</span>", swatch(a)));
    }
    h.push_str("</div>");
}

fn rules_table(s: &Summary, h: &mut String) {
    h.push_str("<table><tr><th class=\"l\">rule</th><th>evaluated</th><th>triggered</th><th>unevaluated</th><th>skipped</th><th class=\"l\">by action</th></tr>");
    for (id, st) in &s.rules {
        let by: Vec<String> = st
            .by_action
            .iter()
            .map(|(a, n)| format!("{} {n}", swatch(*a)))
            .collect();
        let stream = match st.streaming_triggers {
            0 => String::new(),
            n => format!(" (mid-stream {n})"),
        };
        let _ = write!(
            h,
            "<tr><td class=\"l\"><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"l\">{}{stream}</td></tr>",
            escape(id),
            st.evaluated,
            st.triggered,
            st.unevaluated,
            st.skipped,
            by.join(" ")
        );
    }
    h.push_str("</table>");
}

/// Per object: what governance did to the trace.
#[derive(Default)]
struct ObjectSummary {
    alerts: usize,
    thresholds: Vec<String>,
    trips: usize,
    acted: usize,
}

fn governance(s: &Summary, h: &mut String) {
    let mut budgets: BTreeMap<&str, ObjectSummary> = BTreeMap::new();
    let mut caps: BTreeMap<String, ObjectSummary> = BTreeMap::new();
    let mut spent: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for ((kind, name), g) in &s.governance_objects {
        match *kind {
            "budget" => {
                let b = budgets.entry(name.as_str()).or_default();
                b.alerts = g.events;
                b.thresholds.clone_from(&g.notes);
            }
            "cap" => caps.entry(name.clone()).or_default().trips = g.events,
            _ => spent.entry(name.as_str()).or_default().clone_from(&g.notes),
        }
    }
    for (cap, n) in &s.cap_applied {
        caps.entry(cap.clone()).or_default().acted += n;
    }
    if budgets.is_empty()
        && caps.is_empty()
        && spent.is_empty()
        && s.exempted.is_empty()
        && s.approvals.is_empty()
    {
        h.push_str("<p>No budget alert, cap, exception or approval request in this trace.</p>");
        return;
    }
    h.push_str("<table><tr><th class=\"l\">object</th><th class=\"l\">what happened</th></tr>");
    for (b, o) in &budgets {
        let _ = write!(
            h,
            "<tr><td class=\"l\">budget <code>{}</code></td><td class=\"l\">{} alert(s), thresholds crossed: {}</td></tr>",
            escape(b),
            o.alerts,
            o.thresholds.join(", ")
        );
    }
    for (p, months) in &spent {
        let _ = write!(
            h,
            "<tr><td class=\"l\">evaluation budget of policy <code>{}</code></td><td class=\"l\">spent in {}</td></tr>",
            escape(p),
            escape(&months.join(", "))
        );
    }
    for (c, o) in &caps {
        let _ = write!(
            h,
            "<tr><td class=\"l\">cap <code>{}</code></td><td class=\"l\">tripped in {} window(s); acted on {} later event(s)</td></tr>",
            escape(c),
            o.trips,
            o.acted
        );
    }
    for (x, n) in &s.exempted {
        let _ = write!(
            h,
            "<tr><td class=\"l\">exception <code>{}</code></td><td class=\"l\">exempted {n} event(s)</td></tr>",
            escape(x)
        );
    }
    let mut chains: BTreeMap<&str, (usize, usize, usize, &str)> = BTreeMap::new();
    for ((chain, day), n) in &s.approvals {
        let e = chains.entry(chain.as_str()).or_insert((0, 0, 0, ""));
        e.0 += n;
        e.1 += 1;
        if *n > e.2 {
            (e.2, e.3) = (*n, day.as_str());
        }
    }
    for (c, (total, days, peak, day)) in &chains {
        let _ = write!(
            h,
            "<tr><td class=\"l\">approval chain <code>{}</code></td><td class=\"l\">{total} request(s) over {days} day(s); busiest {} with {peak}</td></tr>",
            escape(c),
            escape(day)
        );
    }
    h.push_str("</table>");
}

fn flips(s: &Summary, h: &mut String) {
    let Some(flips) = &s.flips else { return };
    let actions: Vec<Action> = {
        let mut v: Vec<Action> = flips.keys().flat_map(|(a, b)| [*a, *b]).collect();
        // Equal ranks (redact, mask, ...) must sort adjacent for dedup.
        v.sort_by_key(|a| (a.rank(), *a));
        v.dedup();
        v
    };
    let _ = write!(
        h,
        "\n<h2>Flip matrix</h2><p>{} event(s) change decision (rows: baseline, columns: this policy).</p><table><tr><th></th>",
        s.changed_count
    );
    for a in &actions {
        let _ = write!(h, "<th>{a}</th>");
    }
    h.push_str("</tr>");
    for b in &actions {
        let _ = write!(h, "<tr><th class=\"l\">{b}</th>");
        for a in &actions {
            let n = flips.get(&(*b, *a)).copied().unwrap_or(0);
            let style = if a != b && n > 0 {
                " style=\"background:#fee2e2\""
            } else {
                ""
            };
            let _ = write!(h, "<td{style}>{n}</td>");
        }
        h.push_str("</tr>");
    }
    h.push_str("</table>");
    if !s.changed.is_empty() {
        h.push_str("<h3>Changed events</h3><table><tr><th class=\"l\">event</th><th>line</th><th class=\"l\">before → after</th><th class=\"l\">excerpt</th></tr>");
        for c in &s.changed {
            let _ = write!(
                h,
                "<tr><td class=\"l\">{}</td><td>{}</td><td class=\"l\">{} → {}</td><td class=\"l\">{}</td></tr>",
                escape(&c.id),
                c.line,
                swatch(c.before),
                swatch(c.after),
                escape(&c.excerpt)
            );
        }
        if s.changed_count > s.changed.len() {
            let _ = write!(
                h,
                "<tr><td class=\"l\" colspan=\"4\">… and {} more</td></tr>",
                s.changed_count - s.changed.len()
            );
        }
        h.push_str("</table>");
    }
}

fn tail_sections(s: &Summary, h: &mut String) {
    if let Some((rule, rows)) = &s.sweep {
        let _ = write!(
            h,
            "\n<h2>Threshold sweep: <code>{}</code></h2>",
            escape(rule)
        );
        h.push_str(&svg::sweep(rows));
        h.push_str(
            "<table><tr><th>threshold</th><th>triggered</th><th>scored</th><th>share</th></tr>",
        );
        for (t, hit, n) in rows {
            let _ = write!(
                h,
                "<tr><td>{t:.2}</td><td>{hit}</td><td>{n}</td><td>{}</td></tr>",
                pct(*hit, *n)
            );
        }
        h.push_str("</table>");
    }
    if !s.not_simulated.is_empty() {
        h.push_str("\n<h2>Not simulated</h2><p>Compiled for the runtime; a trace does not record what they act on.</p><table><tr><th class=\"l\">setting</th><th class=\"l\">why</th><th class=\"l\">where</th></tr>");
        for u in &s.not_simulated {
            let _ = write!(
                h,
                "<tr><td class=\"l\">{}</td><td class=\"l\">{}</td><td class=\"l\"><code>{}</code></td></tr>",
                escape(&u.setting),
                escape(u.why),
                escape(&u.at)
            );
        }
        h.push_str("</table>");
    }
    if !s.unknown_fields.is_empty() {
        h.push_str("\n<h2>Unknown event fields</h2><table><tr><th class=\"l\">field</th><th>lines</th></tr>");
        for (k, n) in &s.unknown_fields {
            let _ = write!(
                h,
                "<tr><td class=\"l\"><code>{}</code></td><td>{n}</td></tr>",
                escape(k)
            );
        }
        h.push_str("</table>");
    }
    let _ = write!(h, "\n<h2>Malformed lines</h2>");
    if s.malformed.is_empty() {
        h.push_str("<p>None.</p>");
    } else {
        h.push_str("<p>Skipped (<code>--strict</code> makes them fatal).</p><table><tr><th class=\"l\">where</th><th class=\"l\">problem</th></tr>");
        for m in &s.malformed {
            let _ = write!(
                h,
                "<tr><td class=\"l\"><code>{}</code></td><td class=\"l\">{}</td></tr>",
                escape(&m.location()),
                escape(&m.message)
            );
        }
        if s.malformed_count > s.malformed.len() {
            let _ = write!(
                h,
                "<tr><td class=\"l\" colspan=\"2\">… and {} more</td></tr>",
                s.malformed_count - s.malformed.len()
            );
        }
        h.push_str("</table>");
    }
}

pub fn report(s: &Summary, inputs: &Inputs) -> String {
    let mut h = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>guardctl simulation report</title><style>{STYLE}</style></head><body>\n<h1>guardctl simulation report</h1>\n"
    );
    inputs_table(s, inputs, &mut h);
    legend(s, &mut h);
    h.push_str("<h2>Decisions</h2><table><tr><th class=\"l\">decision</th><th>events</th><th>share</th></tr>");
    let mut d: Vec<_> = s.decisions.iter().collect();
    d.sort_by_key(|(a, _)| (std::cmp::Reverse(a.rank()), **a));
    for (a, n) in &d {
        let _ = write!(
            h,
            "<tr><td class=\"l\">{}</td><td>{n}</td><td>{}</td></tr>",
            swatch(**a),
            pct(**n, s.events)
        );
    }
    h.push_str("</table>\n<h2>Decisions per day</h2>");
    h.push_str(&svg::timeline(&s.timeline));
    h.push_str("\n<h2>Rules</h2>");
    let bars: Vec<(String, BTreeMap<Action, usize>)> = s
        .rules
        .iter()
        .map(|(id, st)| (id.clone(), st.by_action.clone()))
        .collect();
    h.push_str(&svg::rule_bars(&bars));
    rules_table(s, &mut h);
    flips(s, &mut h);
    h.push_str("\n<h2>Governance</h2>");
    governance(s, &mut h);
    tail_sections(s, &mut h);
    h.push_str("\n</body></html>\n");
    h
}
