//! `--format plain`: `file:line:col: severity[CODE]: message`, then indented
//! help and related locations. Stable, one problem per line, no colour.

use std::fmt::Write;

use super::Summary;
use crate::diagnostic::Diagnostic;

pub fn render(diags: &[Diagnostic], summary: Summary) -> String {
    let mut out = String::new();
    for d in diags {
        let (l, c, _, _) = d.position();
        if d.file.is_some() {
            let _ = write!(out, "{}:{l}:{c}: ", d.file_name());
        }
        let _ = writeln!(
            out,
            "{}[{}]: {}",
            d.severity.as_str(),
            d.code.id(),
            d.message
        );
        for r in &d.related {
            let (rl, rc) = r.file.line_col(r.span.start);
            let _ = writeln!(out, "  note: {}:{rl}:{rc}: {}", r.file.name, r.message);
        }
        if let Some(h) = &d.help {
            let _ = writeln!(out, "  help: {h}");
        }
    }
    let _ = writeln!(out, "{}", summary.line());
    out
}
