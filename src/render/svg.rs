//! Inline SVG charts for the HTML report: stacked bars over time and
//! horizontal bars per rule, each with axes, tick labels and gridlines,
//! coloured one colour per action (the legend's).

use std::collections::BTreeMap;
use std::fmt::Write;

use super::html::escape;
use crate::ir::enums::Action;

/// One colour per action, distinct, from grey (allow) to red (block).
pub fn color(a: Action) -> &'static str {
    match a {
        Action::Allow => "#9ca3af",
        Action::Log => "#93c5fd",
        Action::Alert => "#22d3ee",
        Action::Warn => "#facc15",
        Action::Redact => "#a78bfa",
        Action::Mask => "#d946ef",
        Action::Filter => "#6366f1",
        Action::Fix => "#34d399",
        Action::Reask => "#f472b6",
        Action::Escalate => "#fb923c",
        Action::RequireApproval => "#ea580c",
        Action::Block => "#dc2626",
    }
}

/// A "nice" axis maximum at or above `max` and its tick step.
fn ticks(max: usize) -> (usize, usize) {
    let max = max.max(1);
    let raw = max.div_ceil(5).max(1);
    let mag = 10usize.pow(raw.ilog10());
    let step = [1, 2, 5, 10]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(raw);
    (max.div_ceil(step) * step, step)
}

/// Stacked bars of decisions per day, with a y axis of events and an x axis
/// of days.
pub fn timeline(days: &BTreeMap<String, BTreeMap<Action, usize>>) -> String {
    let (left, top, w, h) = (48.0, 10.0, 700.0, 220.0);
    let most = days
        .values()
        .map(|m| m.values().sum::<usize>())
        .max()
        .unwrap_or(0);
    let (max, step) = ticks(most);
    let y_of = |v: usize| top + h - v as f64 / max as f64 * h;
    let mut svg = format!(
        "<svg viewBox=\"0 0 {} {}\" width=\"100%\" role=\"img\" aria-label=\"decisions per day\" font-size=\"10\">",
        left + w + 10.0,
        top + h + 46.0
    );
    // Gridlines and y tick labels.
    let mut v = 0;
    while v <= max {
        let y = y_of(v);
        let _ = write!(
            svg,
            "<line x1=\"{left}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#e5e7eb\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{v}</text>",
            left + w,
            left - 4.0,
            y + 3.0
        );
        v += step;
    }
    let n = days.len().max(1);
    let bw = w / n as f64;
    // Label at most ~16 days, evenly.
    let every = n.div_ceil(16).max(1);
    for (i, (day, m)) in days.iter().enumerate() {
        let x = left + i as f64 * bw;
        let mut acc = 0usize;
        let mut actions: Vec<(&Action, &usize)> = m.iter().collect();
        actions.sort_by_key(|(a, _)| (a.rank(), **a));
        for (a, k) in actions {
            let (y1, y0) = (y_of(acc + k), y_of(acc));
            acc += k;
            let _ = write!(
                svg,
                "<rect x=\"{:.1}\" y=\"{y1:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"><title>{} {a}: {k}</title></rect>",
                x + 1.0,
                (bw - 2.0).max(1.0),
                y0 - y1,
                color(*a),
                escape(day)
            );
        }
        if i % every == 0 {
            let _ = write!(
                svg,
                "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                x + bw / 2.0,
                top + h + 14.0,
                escape(day.get(5..).unwrap_or(day))
            );
        }
    }
    let _ = write!(
        svg,
        "<line x1=\"{left}\" x2=\"{left}\" y1=\"{top}\" y2=\"{}\" stroke=\"#111\"/><line x1=\"{left}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" stroke=\"#111\"/>\
<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">day (UTC)</text><text x=\"10\" y=\"{}\" transform=\"rotate(-90 10 {})\" text-anchor=\"middle\">events</text></svg>",
        top + h,
        left + w,
        top + h,
        top + h,
        left + w / 2.0,
        top + h + 36.0,
        top + h / 2.0,
        top + h / 2.0
    );
    svg
}

/// Horizontal bars of triggers per rule, stacked by action, with an x axis
/// of events.
pub fn rule_bars(rules: &[(String, BTreeMap<Action, usize>)]) -> String {
    let (label_w, w, row, top) = (330.0, 400.0, 20.0, 6.0);
    let most = rules
        .iter()
        .map(|(_, m)| m.values().sum::<usize>())
        .max()
        .unwrap_or(0);
    let (max, step) = ticks(most);
    let x_of = |v: usize| label_w + v as f64 / max as f64 * w;
    let height = top + rules.len() as f64 * row;
    let mut svg = format!(
        "<svg viewBox=\"0 0 {} {}\" width=\"100%\" role=\"img\" aria-label=\"triggers per rule\" font-size=\"10\">",
        label_w + w + 20.0,
        height + 36.0
    );
    let mut v = 0;
    while v <= max {
        let x = x_of(v);
        let _ = write!(
            svg,
            "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{top}\" y2=\"{height}\" stroke=\"#e5e7eb\"/><text x=\"{x:.1}\" y=\"{}\" text-anchor=\"middle\">{v}</text>",
            height + 12.0
        );
        v += step;
    }
    for (i, (id, by)) in rules.iter().enumerate() {
        let y = top + i as f64 * row;
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            label_w - 6.0,
            y + 13.0,
            escape(id)
        );
        let mut acc = 0usize;
        let mut actions: Vec<(&Action, &usize)> = by.iter().collect();
        actions.sort_by_key(|(a, _)| (a.rank(), **a));
        for (a, k) in actions {
            let (x0, x1) = (x_of(acc), x_of(acc + k));
            acc += k;
            let _ = write!(
                svg,
                "<rect x=\"{x0:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{}\" fill=\"{}\"><title>{} {a}: {k}</title></rect>",
                y + 3.0,
                x1 - x0,
                row - 6.0,
                color(*a),
                escape(id)
            );
        }
    }
    let _ = write!(
        svg,
        "<line x1=\"{label_w}\" x2=\"{label_w}\" y1=\"{top}\" y2=\"{height}\" stroke=\"#111\"/><line x1=\"{label_w}\" x2=\"{}\" y1=\"{height}\" y2=\"{height}\" stroke=\"#111\"/>\
<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">events triggered</text></svg>",
        label_w + w,
        label_w + w / 2.0,
        height + 28.0
    );
    svg
}

/// The share of scored events a rule triggers on at each threshold, with
/// axes (threshold 0–1, share 0–100%).
pub fn sweep(points: &[(f64, usize, usize)]) -> String {
    let (left, top, w, h) = (48.0, 10.0, 500.0, 180.0);
    let mut svg = format!(
        "<svg viewBox=\"0 0 {} {}\" width=\"70%\" role=\"img\" aria-label=\"threshold sweep\" font-size=\"10\">",
        left + w + 24.0,
        top + h + 40.0
    );
    for i in 0..=4 {
        let y = top + h - f64::from(i) * h / 4.0;
        let x = left + f64::from(i) * w / 4.0;
        let _ = write!(
            svg,
            "<line x1=\"{left}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#e5e7eb\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}%</text>\
<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{top}\" y2=\"{}\" stroke=\"#e5e7eb\"/><text x=\"{x:.1}\" y=\"{}\" text-anchor=\"middle\">{:.2}</text>",
            left + w,
            left - 4.0,
            y + 3.0,
            i * 25,
            top + h,
            top + h + 14.0,
            f64::from(i) / 4.0
        );
    }
    let pts: Vec<String> = points
        .iter()
        .map(|(t, hit, n)| {
            let share = if *n == 0 {
                0.0
            } else {
                *hit as f64 / *n as f64
            };
            format!("{:.1},{:.1}", left + t * w, top + h - share * h)
        })
        .collect();
    let _ = write!(
        svg,
        "<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"/>\
<line x1=\"{left}\" x2=\"{left}\" y1=\"{top}\" y2=\"{}\" stroke=\"#111\"/><line x1=\"{left}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" stroke=\"#111\"/>\
<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">threshold</text><text x=\"10\" y=\"{}\" transform=\"rotate(-90 10 {})\" text-anchor=\"middle\">triggered</text></svg>",
        pts.join(" "),
        color(Action::Block),
        top + h,
        left + w,
        top + h,
        top + h,
        left + w / 2.0,
        top + h + 32.0,
        top + h / 2.0,
        top + h / 2.0
    );
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_ticks_are_round() {
        assert_eq!(ticks(0), (1, 1));
        assert_eq!(ticks(7), (8, 2));
        assert_eq!(ticks(93), (100, 20));
        assert_eq!(ticks(1500), (1500, 500));
    }

    #[test]
    fn every_action_has_its_own_colour() {
        let mut seen: Vec<&str> = crate::ir::enums::Action::NAMES
            .iter()
            .filter_map(|n| Action::from_name(n))
            .map(color)
            .collect();
        let n = seen.len();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), n);
    }
}
