//! `--format json`:
//! `{"diagnostics":[{"code","severity","message","file","line","column",
//! "end_line","end_column","help"}],"summary":{"files","errors","warnings"}}`
//! with 1-based lines and character columns; `help` is null when absent.

use serde::Serialize;

use super::Summary;
use crate::diagnostic::Diagnostic;

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: &'static str,
    severity: &'static str,
    message: &'a str,
    file: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    help: Option<&'a str>,
    related: Vec<JsonRelated<'a>>,
}

#[derive(Serialize)]
struct JsonRelated<'a> {
    message: &'a str,
    file: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
}

#[derive(Serialize)]
struct JsonSummary {
    files: usize,
    errors: usize,
    warnings: usize,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    diagnostics: Vec<JsonDiagnostic<'a>>,
    summary: JsonSummary,
}

pub fn render(diags: &[Diagnostic], summary: Summary) -> String {
    let report = JsonReport {
        diagnostics: diags
            .iter()
            .map(|d| {
                let (line, column, end_line, end_column) = d.position();
                JsonDiagnostic {
                    code: d.code.id(),
                    severity: d.severity.as_str(),
                    message: &d.message,
                    file: d.file_name(),
                    line,
                    column,
                    end_line,
                    end_column,
                    help: d.help.as_deref(),
                    related: d
                        .related
                        .iter()
                        .map(|r| {
                            let (line, column) = r.file.line_col(r.span.start);
                            let (end_line, end_column) = r.file.line_col(r.span.end);
                            JsonRelated {
                                message: &r.message,
                                file: &r.file.name,
                                line,
                                column,
                                end_line,
                                end_column,
                            }
                        })
                        .collect(),
                }
            })
            .collect(),
        summary: JsonSummary {
            files: summary.files,
            errors: summary.errors,
            warnings: summary.warnings,
        },
    };
    let mut s = serde_json::to_string(&report).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    s.push('\n');
    s
}
