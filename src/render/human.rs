//! `--format human`: miette's graphical reports with source snippets.
//! Width is fixed so output is the same on every terminal.

use std::fmt::Write;

use std::sync::Arc;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, MietteError,
    MietteSpanContents, NamedSource, Report, SourceCode, SourceSpan, SpanContents,
};

use super::Summary;
use crate::diagnostic::{Diagnostic, Severity};
use crate::lint::registry::Code;
use crate::source::{SourceFile, Span};

/// A file as miette reads it for a snippet: miette's own reading of the
/// lines around a span, over those lines only. Reading a `str` scans it
/// from its first byte for every snippet, so a file with thousands of
/// diagnostics took time in the square of its size (20,000 in a 1 MB file:
/// 80 s); the file's line index finds the lines at once instead.
#[derive(Debug)]
struct Lines(Arc<SourceFile>, Option<Arc<str>>);

/// The snippet text of a file with the credentials found in it masked
/// (byte for byte, so every offset still holds): a diagnostic's snippet,
/// or its context lines, never print a key. `None` when there are none.
fn masked_snippet(file: &SourceFile, diags: &[Diagnostic]) -> Option<Arc<str>> {
    let spans: Vec<Span> = diags
        .iter()
        .filter(|d| d.code == Code::InlineCredential)
        .filter(|d| d.file.as_ref().is_some_and(|f| f.name == file.name))
        .map(|d| d.span)
        .collect();
    if spans.is_empty() {
        return None;
    }
    let mut bytes = file.snippet_text().as_bytes().to_vec();
    for s in spans {
        let Some(region) = bytes.get_mut(s.start..s.end) else {
            continue;
        };
        // `key: value`: the value is the secret.
        let from = match region.iter().position(|&b| b == b':') {
            Some(colon) if region.first().is_some_and(|b| b.is_ascii_alphabetic()) => colon + 1,
            _ => 0,
        };
        let mut shown = 0;
        for b in region.iter_mut().skip(from) {
            if b.is_ascii_graphic() && !matches!(*b, b'"' | b'\'' | b'#') {
                shown += 1;
                // The first characters say what kind of key it was.
                if shown > SECRET_PREFIX {
                    *b = b'*';
                }
            }
        }
    }
    String::from_utf8(bytes).ok().map(Arc::from)
}

/// Context lines a snippet may draw around a span (miette's default is 1;
/// [`SLACK`] more are read).
const SNIPPET_CONTEXT: usize = 1 + SLACK;

/// Characters of a credential left visible in a snippet.
const SECRET_PREFIX: usize = 4;

/// Lines longer than this are not drawn as a snippet (the location and
/// message are printed instead): a snippet of a 100 KB line helps no one,
/// and the drawing's columns are bounded.
const MAX_SNIPPET_LINE: usize = 2000;

/// Lines of the window beyond the context miette asks for: its reading
/// settles where a snippet ends only after the line break past it.
const SLACK: usize = 2;

impl SourceCode for Lines {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let text: &'a str = self.1.as_deref().unwrap_or_else(|| self.0.snippet_text());
        // miette's reader slices out of bounds for a span that starts past
        // the end; a diagnostic never should, but a snippet is not worth a
        // panic (the report falls back to its message line).
        if span.offset() > text.len() {
            return Err(MietteError::OutOfBounds);
        }
        let end = span.offset().saturating_add(span.len());
        let (range, first_line) = self.0.lines_around(
            span.offset(),
            end,
            before.saturating_add(SLACK),
            after.saturating_add(SLACK),
        );
        let base = range.start;
        let window = text.get(range).ok_or(MietteError::OutOfBounds)?;
        let local = SourceSpan::new(span.offset().saturating_sub(base).into(), span.len());
        let c = window.read_span(&local, before, after)?;
        Ok(Box::new(MietteSpanContents::new(
            c.data(),
            SourceSpan::new((c.span().offset() + base).into(), c.span().len()),
            c.line() + first_line,
            c.column(),
            c.line_count() + first_line,
        )))
    }
}

fn to_report(d: &Diagnostic, masked: Option<&Arc<str>>) -> Report {
    // The code goes in the message line (`error[GC101]: ...`), as in plain
    // output, rather than on a line of its own.
    let mut m = MietteDiagnostic::new(format!(
        "{}[{}]: {}",
        d.severity.as_str(),
        d.code.id(),
        d.message
    ))
    .with_severity(match d.severity {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
    });
    let mut help = d.help.clone();
    let file = d.file.as_ref().filter(|f| {
        let mut drawable =
            f.longest_line(d.span.start, d.span.end, SNIPPET_CONTEXT) <= MAX_SNIPPET_LINE;
        for r in &d.related {
            if r.file.name == f.name {
                drawable &=
                    f.longest_line(r.span.start, r.span.end, SNIPPET_CONTEXT) <= MAX_SNIPPET_LINE;
            }
        }
        if !drawable {
            let (l, c) = f.line_col(d.span.start);
            let at = format!("at {}:{l}:{c} (the line is too long to show)", f.name);
            help = Some(match help.take() {
                Some(h) => format!("{h}\n{at}"),
                None => at,
            });
        }
        drawable
    });
    if let Some(file) = file {
        let mut labels = vec![LabeledSpan::new_primary_with_span(
            d.label.clone(),
            (d.span.start, d.span.len()),
        )];
        for r in &d.related {
            if r.file.name == file.name {
                labels.push(LabeledSpan::new_with_span(
                    Some(r.message.clone()),
                    (r.span.start, r.span.len()),
                ));
            } else {
                // miette shows one source per report: name other files in words.
                let (l, c) = r.file.line_col(r.span.start);
                let note = format!("{} at {}:{l}:{c}", r.message, r.file.name);
                help = Some(match help {
                    Some(h) => format!("{h}\n{note}"),
                    None => note,
                });
            }
        }
        m = m.with_labels(labels);
    }
    if let Some(h) = help {
        m = m.with_help(h);
    }
    let report = Report::new(m);
    match file {
        Some(f) => report.with_source_code(
            NamedSource::new(f.name.clone(), Lines(Arc::clone(f), masked.cloned()))
                .with_language("yaml"),
        ),
        None => report,
    }
}

pub fn render(diags: &[Diagnostic], summary: Summary, color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_links(false);
    let mut out = String::new();
    let mut masks: std::collections::BTreeMap<&str, Option<Arc<str>>> =
        std::collections::BTreeMap::new();
    for d in diags {
        let masked = d.file.as_ref().and_then(|f| {
            masks
                .entry(f.name.as_str())
                .or_insert_with(|| masked_snippet(f, diags))
                .as_ref()
        });
        let report = to_report(d, masked);
        if handler.render_report(&mut out, report.as_ref()).is_err() {
            let _ = writeln!(
                out,
                "{}[{}]: {}",
                d.severity.as_str(),
                d.code.id(),
                d.message
            );
        }
        out.push('\n');
    }
    let _ = writeln!(out, "{}", summary.line());
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// What a snippet reader gives, as plain values.
    fn read(
        src: &dyn SourceCode,
        span: SourceSpan,
        before: usize,
        after: usize,
    ) -> Option<(Vec<u8>, SourceSpan, usize, usize, usize)> {
        let c = src.read_span(&span, before, after).ok()?;
        Some((
            c.data().to_vec(),
            *c.span(),
            c.line(),
            c.column(),
            c.line_count(),
        ))
    }

    fn texts(lone_cr: bool) -> impl Strategy<Value = String> {
        let cr = if lone_cr { "\r" } else { "\n" };
        prop::collection::vec(
            prop_oneof![
                4 => "[a-c ]{0,6}",
                2 => Just("\n".to_string()),
                1 => Just("\r\n".to_string()),
                1 => Just(cr.to_string()),
            ],
            0..40,
        )
        .prop_map(|parts| parts.concat())
    }

    fn same_as_whole(text: &str, start: usize, len: usize, before: usize, after: usize) {
        let span = SourceSpan::new(start.into(), len);
        let lines = Lines(SourceFile::new("x", text), None);
        // A lone `\r` is drawn as the line break it is.
        let whole = lines.0.snippet_text().to_string();
        let text = whole.as_str();
        if start > text.len() {
            // Where miette's own reader would panic.
            assert!(read(&lines, span, before, after).is_none());
            return;
        }
        assert_eq!(
            read(&lines, span, before, after),
            read(&text, span, before, after),
            "{text:?} {start}+{len} {before} {after}"
        );
    }

    /// A file whose lines end in lone `\r` is reported as the same file
    /// with `\n` line ends is: same line numbers, same snippet.
    #[test]
    fn lone_carriage_returns_render_as_line_breaks() {
        let render_with = |cr: &str| {
            let text = ["GUARDRAILS:", "  - id: x", "    action: blok", ""].join(cr);
            let file = SourceFile::new("p.yaml", text);
            let d = Diagnostic::new(
                crate::lint::registry::Code::WrongType,
                &file,
                crate::source::Span::new(14, 40),
                "not a list",
            );
            let d = [d];
            render(&d, Summary::of(1, &d), false)
        };
        let lf = render_with("\n");
        assert!(lf.contains("p.yaml:2:3"), "{lf}");
        assert_eq!(render_with("\r"), lf);
    }

    proptest! {
        /// The windowed reader gives what miette's reading of the whole
        /// text gives, for any span and context, with `\n` and `\r\n`
        /// line breaks, empty lines and spans that end past the end; and
        /// with lone `\r` line breaks, read as the `\n` they stand for.
        #[test]
        fn lines_read_as_the_whole_text_does(
            text in any::<bool>().prop_flat_map(texts),
            start in 0usize..120,
            len in 0usize..40,
            before in 0usize..4,
            after in 0usize..4,
        ) {
            same_as_whole(&text, start, len, before, after);
        }
    }
}
