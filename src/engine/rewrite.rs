//! The content a runtime passes on once the rules that rewrite it have
//! acted: `redact` and `mask` replace each finding with its label,
//! `filter` removes each finding (all of the content when the check
//! reports none), and `fix` repairs by its strategy:
//!
//! - `redact_pii`: every PII finding (every PII entity in the content when
//!   the check reports none) becomes its label;
//! - `truncate`: the content is cut before the first finding;
//! - `strip_html`: tags, comments, scripts and styles removed, entities
//!   decoded, whitespace collapsed;
//! - `normalize`: Unicode compatibility form (NFKC), invisible and control
//!   characters dropped, whitespace collapsed;
//! - `custom`: the value of `fix_expression`, a CEL string expression.
//!
//! Span edits (labels, removals, cuts) apply to the original text in
//! character offsets; whole-text fixes then apply in evaluation order.

use std::collections::BTreeMap;
use std::sync::Arc;

use unicode_normalization::UnicodeNormalization;

use super::detect::{Detectors, redact};
use super::evaluate::{PII, content, labels};
use super::event::Event;
use super::outcome::{Hit, Outcome, What};
use super::rules::RuleSet;
use crate::ir::enums::{Action, FixStrategy};

/// Characters of `text` left once `hits` are removed (all of it goes when
/// there are none: the whole content is what violated), surrounding
/// whitespace not counted.
pub fn filtered_len(text: &str, hits: &[Hit]) -> usize {
    if hits.is_empty() {
        return 0;
    }
    let spans: Vec<(usize, usize, String)> = hits
        .iter()
        .map(|h| (h.start, h.end, String::new()))
        .collect();
    redact(text, &spans).trim().chars().count()
}

/// The first finding's start: where `truncate` cuts.
pub fn cut_at(hits: &[Hit]) -> Option<usize> {
    hits.iter().map(|h| h.start).min()
}

/// Runs of whitespace as one space, trimmed.
fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `text` without HTML markup: tags and comments removed (a tag that
/// separates words leaves a space), `<script>` and `<style>` bodies
/// dropped, character references decoded, whitespace collapsed.
pub fn strip_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(lt) = rest.find('<') {
        out.push_str(rest.get(..lt).unwrap_or_default());
        let tail = rest.get(lt..).unwrap_or_default();
        if let Some(body) = tail.strip_prefix("<!--") {
            rest = body
                .find("-->")
                .map_or("", |e| body.get(e + 3..).unwrap_or_default());
            continue;
        }
        // `<` not opening a tag (`a < b`) is text.
        let opens = tail
            .chars()
            .nth(1)
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '/' || c == '!' || c == '?');
        if !opens {
            out.push('<');
            rest = tail.get(1..).unwrap_or_default();
            continue;
        }
        let Some(gt) = tail.find('>') else {
            // An unclosed tag: the rest is markup.
            rest = "";
            break;
        };
        let tag = tail.get(1..gt).unwrap_or_default().to_ascii_lowercase();
        rest = tail.get(gt + 1..).unwrap_or_default();
        for raw in ["script", "style"] {
            if tag == raw || tag.starts_with(&format!("{raw} ")) {
                let close = format!("</{raw}");
                let lower = rest.to_ascii_lowercase();
                rest = match lower.find(&close) {
                    Some(c) => {
                        let after = rest.get(c..).unwrap_or_default();
                        after
                            .find('>')
                            .map_or("", |g| after.get(g + 1..).unwrap_or_default())
                    }
                    None => "",
                };
            }
        }
        out.push(' ');
    }
    out.push_str(rest);
    collapse(&decode_entities(&out))
}

/// HTML character references: the five named ones, `&nbsp;`, and numeric
/// (`&#39;`, `&#x27;`); anything else is left as written.
fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(rest.get(..amp).unwrap_or_default());
        let tail = rest.get(amp..).unwrap_or_default();
        let semi = tail.find(';').filter(|&s| s <= 10);
        let name = semi.and_then(|s| tail.get(1..s)).unwrap_or_default();
        let decoded = match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some(' '),
            n if n.starts_with("#x") || n.starts_with("#X") => n
                .get(2..)
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .and_then(char::from_u32),
            n if n.starts_with('#') => n
                .get(1..)
                .and_then(|d| d.parse().ok())
                .and_then(char::from_u32),
            _ => None,
        };
        match (decoded, semi) {
            (Some(c), Some(s)) => {
                out.push(c);
                rest = tail.get(s + 1..).unwrap_or_default();
            }
            _ => {
                out.push('&');
                rest = tail.get(1..).unwrap_or_default();
            }
        }
    }
    out.push_str(rest);
    out
}

/// `text` in Unicode compatibility form (NFKC: full-width letters, ligatures
/// and styled digits as plain ones), without invisible or control
/// characters, whitespace collapsed.
pub fn normalize(text: &str) -> String {
    let folded: String = text
        .nfkc()
        .filter(|&c| c.is_whitespace() || !(c.is_control() || super::normalize::invisible(c)))
        .collect();
    collapse(&folded)
}

/// The input and output as passed on (`None` where no rule rewrote it).
pub fn rewritten(
    d: &Detectors,
    set: &RuleSet,
    e: &Event,
    outcomes: &[Outcome],
) -> (Option<String>, Option<String>) {
    let mut spans: BTreeMap<&'static str, Vec<(usize, usize, String)>> = BTreeMap::new();
    let mut whole: BTreeMap<&'static str, Vec<Whole>> = BTreeMap::new();
    for o in outcomes {
        let Some(rule) = set.rules.get(o.rule) else {
            continue;
        };
        let fix = (o.action == Some(Action::Fix))
            .then_some(rule.fix_strategy)
            .flatten();
        // Most outcomes rewrite nothing: their content (for tool calls, a
        // JSON text built on demand) is not needed.
        if !matches!(
            o.action,
            Some(Action::Redact | Action::Mask | Action::Filter)
        ) && fix.is_none()
        {
            continue;
        }
        let Some((text, field)) = content(e, rule.kind) else {
            continue;
        };
        let edits = spans.entry(field).or_default();
        match (o.action, fix) {
            (Some(Action::Redact | Action::Mask), _) | (_, Some(FixStrategy::RedactPii)) => {
                for h in &o.hits {
                    let label = match h.what {
                        What::Entity(ent) => format!("<{ent}>"),
                        _ => format!("<REDACTED:{}>", rule.name),
                    };
                    edits.push((h.start, h.end, label));
                }
                if o.hits.is_empty() && fix == Some(FixStrategy::RedactPii) {
                    edits.extend(labels(&d.entities(&text, Some(PII)), None));
                }
            }
            (Some(Action::Filter), _) if o.hits.is_empty() => {
                edits.push((0, text.chars().count(), String::new()));
            }
            (Some(Action::Filter), _) => {
                edits.extend(o.hits.iter().map(|h| (h.start, h.end, String::new())));
            }
            (_, Some(FixStrategy::Truncate)) => {
                if let Some(at) = cut_at(&o.hits) {
                    edits.push((at, text.chars().count(), String::new()));
                }
            }
            (_, Some(FixStrategy::StripHtml)) => {
                whole.entry(field).or_default().push(Whole::StripHtml)
            }
            (_, Some(FixStrategy::Normalize)) => {
                whole.entry(field).or_default().push(Whole::Normalize)
            }
            (_, Some(FixStrategy::Custom)) => {
                if let Some(t) = &o.fixed {
                    whole
                        .entry(field)
                        .or_default()
                        .push(Whole::Replace(t.clone()));
                }
            }
            _ => {}
        }
    }
    let apply = |field: &'static str, text: &Option<Arc<str>>| -> Option<String> {
        let text = text.as_ref()?;
        let edits = spans.get(field).filter(|s| !s.is_empty());
        let fixes = whole.get(field);
        if edits.is_none() && fixes.is_none() {
            return None;
        }
        let mut out = edits.map_or_else(|| text.to_string(), |s| redact(text, s));
        for f in fixes.into_iter().flatten() {
            out = match f {
                Whole::StripHtml => strip_html(&out),
                Whole::Normalize => normalize(&out),
                Whole::Replace(t) => t.to_string(),
            };
        }
        Some(out)
    };
    (apply("input", &e.input), apply("output", &e.output))
}

/// A fix that rewrites the whole text.
enum Whole {
    StripHtml,
    Normalize,
    Replace(Arc<str>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_stripped_to_its_text() {
        let html = "<p>Hello <b>world</b></p><script>alert('x')</script><!-- note -->\n<a href='/x'>a &amp; b &lt;3 &#39;q&#x27;</a> 1 < 2";
        assert_eq!(strip_html(html), "Hello world a & b <3 'q' 1 < 2");
        assert_eq!(strip_html("plain"), "plain");
        assert_eq!(strip_html("cut <div class"), "cut");
        assert_eq!(strip_html("<STYLE>p{}</STYLE>ok"), "ok");
    }

    #[test]
    fn normalize_folds_compatibility_forms() {
        assert_eq!(
            normalize("Ｆｕｌｌ\u{200B}width  ﬁne ①"),
            "Fullwidth fine 1"
        );
        assert_eq!(normalize("a\u{0007}b\tc"), "ab c");
    }
}
