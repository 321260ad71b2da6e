//! What masking promises: without `--show-matches`, no output shows a
//! value a detector or a rule found. The content an event passes on
//! (`redacted_input`/`redacted_output`) is masked again for display: a
//! value that a blocking or warning rule found is not rewritten by the
//! engine (the event never passes it on), but it must not be printed
//! either.

use crate::engine::detect::{Detectors, redact};
use crate::engine::evaluate::content;
use crate::engine::evaluate::{EventResult, labels};
use crate::engine::event::Event;
use crate::ir::enums::Kind;

/// Label a found value that no detector names is shown as.
const FOUND: &str = "<MASKED>";

/// `text` with every detected entity and every occurrence of `found`
/// replaced by a label.
pub fn mask(text: &str, found: &[String]) -> String {
    let Some(d) = Detectors::get() else {
        return String::new();
    };
    let mut spans = labels(&d.entities(text, Some(&super::all_entities())), None);
    spans.extend(
        occurrences(text, found)
            .into_iter()
            .map(|(s, e)| (s, e, FOUND.to_string())),
    );
    redact(text, &spans)
}

/// Where each of `found` occurs in `text`, as character ranges.
pub fn occurrences(text: &str, found: &[String]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for f in found.iter().filter(|f| !f.trim().is_empty()) {
        for (b, _) in text.match_indices(f.as_str()) {
            let start = text.get(..b).map_or(0, |p| p.chars().count());
            out.push((start, start + f.chars().count()));
        }
    }
    out
}

/// The values an event's outcomes found, as written in its texts.
pub fn found_values(r: &EventResult, e: &Event) -> Vec<String> {
    let mut out: Vec<String> = r
        .outcomes
        .iter()
        .flat_map(|o| o.hits.iter())
        .filter_map(|h| {
            let kind = match h.field {
                "input" => Kind::Input,
                "output" => Kind::Output,
                "tool_parameters" => Kind::ToolInput,
                "tool_result" => Kind::ToolOutput,
                _ => Kind::Handoff,
            };
            let (text, _) = content(e, kind)?;
            let v: String = text
                .chars()
                .skip(h.start)
                .take(h.end.saturating_sub(h.start))
                .collect();
            Some(v)
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Masks the rewritten content of `r` for display.
pub fn mask_result(r: &mut EventResult, e: &Event) {
    if r.redacted_input.is_none() && r.redacted_output.is_none() {
        return;
    }
    let found = found_values(r, e);
    for t in [&mut r.redacted_input, &mut r.redacted_output]
        .into_iter()
        .flatten()
    {
        *t = mask(t, &found);
    }
}
