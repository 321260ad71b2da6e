//! `simulate --report`: one self-contained HTML page (inline CSS and SVG,
//! no scripts, no network): decisions over time, triggers per rule, the
//! flip matrix, governance and changed events. Excerpts are masked by the
//! caller unless `--show-matches`.

use std::fmt::Write;

use crate::ir::enums::Action;
use crate::simulate::Summary;

pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn color(a: Action) -> &'static str {
    match a.rank() {
        0 => "#9ca3af",
        1 => "#60a5fa",
        2 => "#38bdf8",
        3 => "#fbbf24",
        4 => "#a78bfa",
        5 => "#f472b6",
        6 => "#fb923c",
        7 => "#f97316",
        _ => "#dc2626",
    }
}

/// Stacked bars of decisions per day.
fn timeline(s: &Summary) -> String {
    let days: Vec<_> = s.timeline.iter().collect();
    let max = days
        .iter()
        .map(|(_, m)| m.values().sum::<usize>())
        .max()
        .unwrap_or(1)
        .max(1);
    let (w, h) = (760.0, 220.0);
    let bw = (w - 40.0) / days.len().max(1) as f64;
    let mut svg = format!(
        "<svg viewBox=\"0 0 {w} {}\" width=\"100%\" role=\"img\" aria-label=\"decisions over time\">",
        h + 40.0
    );
    for (i, (day, m)) in days.iter().enumerate() {
        let x = 30.0 + i as f64 * bw;
        let mut y = h;
        let mut actions: Vec<_> = m.iter().collect();
        actions.sort_by_key(|(a, _)| a.rank());
        for (a, n) in actions {
            let bh = *n as f64 / max as f64 * (h - 10.0);
            y -= bh;
            let _ = write!(
                svg,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" fill=\"{}\"><title>{} {}: {n}</title></rect>",
                (bw - 2.0).max(1.0),
                color(*a),
                escape(day),
                a
            );
        }
        if days.len() <= 31 {
            let _ = write!(
                svg,
                "<text x=\"{:.1}\" y=\"{}\" font-size=\"9\" text-anchor=\"middle\">{}</text>",
                x + bw / 2.0,
                h + 14.0,
                escape(day.get(5..).unwrap_or(day))
            );
        }
    }
    let _ = write!(
        svg,
        "<text x=\"2\" y=\"12\" font-size=\"10\">{max}</text></svg>"
    );
    svg
}

/// Horizontal bars of triggers per rule.
fn rule_bars(s: &Summary) -> String {
    let max = s
        .rules
        .values()
        .map(|r| r.triggered)
        .max()
        .unwrap_or(1)
        .max(1);
    let row = 22.0;
    let mut svg = format!(
        "<svg viewBox=\"0 0 760 {}\" width=\"100%\" role=\"img\" aria-label=\"triggers per rule\">",
        s.rules.len() as f64 * row + 10.0
    );
    for (i, (id, st)) in s.rules.iter().enumerate() {
        let y = 5.0 + i as f64 * row;
        let bw = st.triggered as f64 / max as f64 * 400.0;
        let top = st
            .by_action
            .keys()
            .max_by_key(|a| a.rank())
            .copied()
            .unwrap_or(Action::Allow);
        let _ = write!(
            svg,
            "<text x=\"0\" y=\"{:.1}\" font-size=\"11\">{}</text><rect x=\"320\" y=\"{y:.1}\" width=\"{bw:.1}\" height=\"16\" fill=\"{}\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\">{}</text>",
            y + 12.0,
            escape(id),
            color(top),
            326.0 + bw,
            y + 12.0,
            st.triggered
        );
    }
    svg.push_str("</svg>");
    svg
}

pub fn report(s: &Summary) -> String {
    let mut h = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>guardctl simulation report</title>\
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:60em;color:#111}table{border-collapse:collapse}\
td,th{border:1px solid #ddd;padding:4px 8px;text-align:right}th{background:#f3f4f6}td.l,th.l{text-align:left}\
h2{margin-top:1.6em}.legend span{display:inline-block;margin-right:1em}.sw{display:inline-block;width:10px;height:10px;margin-right:4px}</style>\
</head><body>\n<h1>guardctl simulation report</h1>\n",
    );
    let other = match s.other_spans {
        0 => String::new(),
        n => format!(", {n} other spans (no gen_ai data)"),
    };
    let _ = writeln!(
        h,
        "<p>{} events, {} malformed lines{other}.</p>",
        s.events, s.malformed_count
    );
    h.push_str("<h2>Decisions</h2><table><tr><th class=\"l\">decision</th><th>events</th><th>share</th></tr>");
    let mut d: Vec<_> = s.decisions.iter().collect();
    d.sort_by_key(|(a, _)| std::cmp::Reverse(a.rank()));
    for (a, n) in &d {
        let share = if s.events == 0 {
            0.0
        } else {
            **n as f64 * 100.0 / s.events as f64
        };
        let _ = write!(
            h,
            "<tr><td class=\"l\"><span class=\"sw\" style=\"background:{}\"></span>{a}</td><td>{n}</td><td>{share:.1}%</td></tr>",
            color(**a)
        );
    }
    h.push_str("</table>\n<h2>Decisions over time</h2>");
    h.push_str(&timeline(s));
    h.push_str("\n<h2>Triggers per rule</h2>");
    h.push_str(&rule_bars(s));
    if let Some(flips) = &s.flips {
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
                    c.before,
                    c.after,
                    escape(&c.excerpt)
                );
            }
            h.push_str("</table>");
        }
    }
    if !s.governance.is_empty() || !s.approvals.is_empty() {
        h.push_str("\n<h2>Governance</h2><ul>");
        for (id, g) in &s.governance {
            let _ = write!(
                h,
                "<li>event {}: {}</li>",
                escape(id),
                escape(&g.describe())
            );
        }
        for ((c, day), n) in &s.approvals {
            let _ = write!(
                h,
                "<li>approval chain {} on {}: {n} request(s)</li>",
                escape(c),
                escape(day)
            );
        }
        h.push_str("</ul>");
    }
    h.push_str("\n</body></html>\n");
    h
}
