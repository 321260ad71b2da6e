//! Output formats. Every command's diagnostics are rendered here, never in
//! the stages: `human` (miette, colour only on a terminal and without
//! `NO_COLOR`), `plain` (one line per problem, for editors and grep) and
//! `json` (a documented, stable schema).

pub mod diff;
pub mod html;
mod human;
mod json;
mod plain;
pub mod simulate;
pub mod svg;

use crate::diagnostic::Diagnostic;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Plain,
    Json,
    /// For pull-request comments (`diff` only).
    Markdown,
}

/// Totals printed after the diagnostics.
#[derive(Debug, Clone, Copy)]
pub struct Summary {
    pub files: usize,
    pub errors: usize,
    pub warnings: usize,
}

impl Summary {
    pub fn of(files: usize, diags: &[Diagnostic]) -> Summary {
        let errors = diags
            .iter()
            .filter(|d| d.severity == crate::diagnostic::Severity::Error)
            .count();
        Summary {
            files,
            errors,
            warnings: diags.len() - errors,
        }
    }

    fn line(&self) -> String {
        let plural = |n: usize, w: &str| {
            if n == 1 {
                format!("{n} {w}")
            } else {
                format!("{n} {w}s")
            }
        };
        format!(
            "{} checked: {}, {}",
            plural(self.files, "file"),
            plural(self.errors, "error"),
            plural(self.warnings, "warning")
        )
    }
}

/// Renders diagnostics and the summary line in `format`.
pub fn diagnostics(format: Format, diags: &[Diagnostic], summary: Summary, color: bool) -> String {
    match format {
        Format::Human => human::render(diags, summary, color),
        Format::Plain | Format::Markdown => plain::render(diags, summary),
        Format::Json => json::render(diags, summary),
    }
}

/// Whether to colour output written to stdout (`for_stderr` for stderr).
pub fn use_color(for_stderr: bool) -> bool {
    use std::io::IsTerminal;
    if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        return false;
    }
    if for_stderr {
        std::io::stderr().is_terminal()
    } else {
        std::io::stdout().is_terminal()
    }
}
