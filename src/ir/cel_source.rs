//! CEL written inside YAML: the expression text, its parse, and the map
//! from offsets in the decoded text back to file offsets, so an error inside
//! a CEL string points at the right line and column of the file.

use serde::{Serialize, Serializer};

use super::reader::Cx;
use crate::cel::{self, Expr, check::check};
use crate::lint::registry::Code;
use crate::source::Span;
use crate::syntax::{Node, Style, Value};

/// A CEL expression from the source. Equality compares the text only.
#[derive(Debug, Clone)]
pub struct Cel {
    pub text: String,
    pub span: Span,
    /// `None` when the text did not parse (reported).
    pub ast: Option<Expr>,
}

impl PartialEq for Cel {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Serialize for Cel {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

/// Maps a byte offset in a scalar's decoded text to a file offset.
pub fn map_offset(file_text: &str, node: &Node, decoded: &str, offset: usize) -> usize {
    let raw = file_text.get(node.span.start..node.span.end).unwrap_or("");
    let (skip, body) = match node.style {
        Style::DoubleQuoted | Style::SingleQuoted => {
            (1, raw.get(1..raw.len().saturating_sub(1)).unwrap_or(""))
        }
        Style::Literal | Style::Folded => {
            let nl = raw.find('\n').map_or(raw.len(), |i| i + 1);
            (nl, raw.get(nl..).unwrap_or(""))
        }
        _ => (0, raw),
    };
    let base = node.span.start + skip;
    if body == decoded {
        return base + offset.min(body.len());
    }
    // Escapes, folding or indentation differ: align character by character.
    let mut ri = 0;
    for (di, ch) in decoded.char_indices() {
        if di >= offset {
            break;
        }
        let rest = body.get(ri..).unwrap_or("");
        if let Some(k) = rest.find(ch).filter(|k| *k <= 64) {
            ri += k + ch.len_utf8();
        }
    }
    if let Some(ch) = decoded.get(offset..).and_then(|s| s.chars().next()) {
        if let Some(k) = body.get(ri..).and_then(|r| r.find(ch)).filter(|k| *k <= 64) {
            ri += k;
        }
    }
    base + ri.min(body.len())
}

/// Reads a CEL string field, parsing and checking it. Syntax and name errors
/// are reported at their place inside the string.
pub fn read_cel(cx: &mut Cx<'_>, node: &Node, what: &str) -> Option<Cel> {
    let text = match &node.value {
        Value::Str(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Invalid => return None,
        _ => {
            cx.report(
                Code::WrongType,
                node.span,
                format!(
                    "{what} must be a CEL expression string, not {}",
                    node.type_name()
                ),
                Some("quote the expression".into()),
            );
            return None;
        }
    };
    let file_text = cx.file.text.clone();
    let to_file = |s: Span| {
        let a = map_offset(&file_text, node, &text, s.start);
        let b = map_offset(&file_text, node, &text, s.end).max(a);
        Span::new(a, b)
    };
    if text.trim().is_empty() {
        cx.report(
            Code::CelSyntax,
            node.span,
            format!("{what} is empty"),
            Some("write a CEL expression, or remove the key".into()),
        );
        return Some(Cel {
            text,
            span: node.span,
            ast: None,
        });
    }
    let ast = match cel::parse(&text) {
        Ok(ast) => {
            let mut problems = check(&ast);
            if problems.is_empty() && matches!(what, "check" | "when") {
                problems = crate::cel::check::unguarded_keys(&ast);
            }
            for e in problems {
                cx.report(e.code, to_file(e.span), e.message, e.help);
            }
            Some(ast)
        }
        Err(e) => {
            cx.report(
                Code::CelSyntax,
                to_file(e.span),
                format!("invalid CEL in {what}: {}", e.message),
                None,
            );
            None
        }
    };
    Some(Cel {
        text,
        span: node.span,
        ast,
    })
}
