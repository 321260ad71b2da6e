//! `--format human`: miette's graphical reports with source snippets.
//! Width is fixed so output is the same on every terminal.

use std::fmt::Write;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, NamedSource, Report,
};

use super::Summary;
use crate::diagnostic::{Diagnostic, Severity};

fn to_report(d: &Diagnostic) -> Report {
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
    if let Some(file) = &d.file {
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
    match &d.file {
        Some(f) => report.with_source_code(
            NamedSource::new(f.name.clone(), f.text.to_string()).with_language("yaml"),
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
    for d in diags {
        let report = to_report(d);
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
