//! Problems found in the input. Every stage returns [`Diagnostic`]s instead
//! of printing; `render/` turns them into human, plain or JSON output.

use std::sync::Arc;

use crate::lint::registry::Code;
use crate::source::{SourceFile, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// A secondary location shown with a diagnostic ("first defined here").
#[derive(Debug, Clone)]
pub struct Label {
    pub file: Arc<SourceFile>,
    pub span: Span,
    pub message: String,
}

#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    /// `None` only for problems that belong to no file (e.g. an I/O error).
    pub file: Option<Arc<SourceFile>>,
    pub span: Span,
    /// Label text under the primary span.
    pub label: Option<String>,
    pub help: Option<String>,
    pub related: Vec<Label>,
}

/// Widens a span to character boundaries of `text` (and clamps it), so no
/// caller can produce a span that splits a UTF-8 character.
fn on_char_boundaries(text: &str, span: Span) -> Span {
    let mut start = span.start.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = span.end.clamp(start, text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    Span::new(start, end)
}

impl Diagnostic {
    /// A diagnostic with the code's default severity.
    pub fn new(code: Code, file: &Arc<SourceFile>, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: code.severity(),
            message: message.into(),
            file: Some(file.clone()),
            span: on_char_boundaries(&file.text, span),
            label: None,
            help: None,
            related: Vec::new(),
        }
    }

    /// A problem with no source location (I/O, usage).
    pub fn unlocated(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: code.severity(),
            message: message.into(),
            file: None,
            span: Span::default(),
            label: None,
            help: None,
            related: Vec::new(),
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn with_related(
        mut self,
        file: &Arc<SourceFile>,
        span: Span,
        message: impl Into<String>,
    ) -> Self {
        self.related.push(Label {
            file: file.clone(),
            span: on_char_boundaries(&file.text, span),
            message: message.into(),
        });
        self
    }

    pub fn file_name(&self) -> &str {
        self.file.as_ref().map_or("", |f| f.name.as_str())
    }

    /// 1-based (line, column, end_line, end_column); zeros when unlocated.
    pub fn position(&self) -> (usize, usize, usize, usize) {
        match &self.file {
            Some(f) => {
                let (l, c) = f.line_col(self.span.start);
                let (el, ec) = f.line_col(self.span.end);
                (l, c, el, ec)
            }
            None => (0, 0, 0, 0),
        }
    }

    /// The order diagnostics are printed in: by file, then position, then code.
    pub fn sort_key(&self) -> (String, usize, usize, Code, String) {
        (
            self.file_name().to_string(),
            self.span.start,
            self.span.end,
            self.code,
            self.message.clone(),
        )
    }
}

/// Sorts diagnostics into output order and removes exact repeats.
pub fn sort_diagnostics(diags: &mut Vec<Diagnostic>) {
    diags.sort_by_key(|a| a.sort_key());
    diags.dedup_by(|a, b| a.sort_key() == b.sort_key());
}
