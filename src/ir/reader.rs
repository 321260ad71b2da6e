//! Typed reading of YAML nodes: each getter returns the value with its span
//! or reports why it cannot (wrong type, unknown enum value, malformed
//! duration, ...). [`Obj`] tracks which keys were read so every unknown
//! key is reported with a "did you mean".

use std::sync::Arc;

use super::enums::Named;
use super::values::{Dec, Duration, Timestamp, parse_percent_text};
use crate::diagnostic::Diagnostic;
use crate::lint::registry::Code;
use crate::source::{SourceFile, Span, Spanned};
use crate::suggest::{help_for, key_help};
use crate::syntax::{Node, Value};

/// Where lowering reports to.
pub struct Cx<'a> {
    pub file: &'a Arc<SourceFile>,
    pub diags: &'a mut Vec<Diagnostic>,
}

impl Cx<'_> {
    pub fn report(
        &mut self,
        code: Code,
        span: Span,
        message: impl Into<String>,
        help: Option<String>,
    ) {
        let mut d = Diagnostic::new(code, self.file, span, message);
        if let Some(h) = help {
            d = d.with_help(h);
        }
        self.diags.push(d);
    }

    fn wrong_type(&mut self, node: &Node, expected: &str, what: &str) {
        let help = match (&node.value, expected) {
            (Value::Int(_) | Value::Float(_) | Value::Bool(_) | Value::Null, "a string") => {
                Some("quote the value to make it a string".to_string())
            }
            _ => None,
        };
        self.report(
            Code::WrongType,
            node.span,
            format!("{what} must be {expected}, not {}", node.type_name()),
            help,
        );
    }

    /// A mapping, or `None` after reporting. `null` reads as an empty mapping.
    pub fn obj<'n>(&mut self, node: &'n Node, what: &str) -> Option<Obj<'n>> {
        match &node.value {
            Value::Map(entries) => Some(Obj {
                span: node.span,
                entries,
                used: vec![false; entries.len()],
            }),
            Value::Null => Some(Obj {
                span: node.span,
                entries: &[],
                used: Vec::new(),
            }),
            Value::Invalid => None,
            _ => {
                self.wrong_type(node, "a mapping", what);
                None
            }
        }
    }

    pub fn string(&mut self, node: &Node, what: &str) -> Option<Spanned<String>> {
        match &node.value {
            Value::Str(s) => Some(Spanned::new(s.clone(), node.span)),
            Value::Invalid => None,
            _ => {
                self.wrong_type(node, "a string", what);
                None
            }
        }
    }

    pub fn int(&mut self, node: &Node, what: &str, min: i64) -> Option<Spanned<i64>> {
        match node.value {
            Value::Int(i) if i >= min => Some(Spanned::new(i, node.span)),
            Value::Int(i) => {
                self.report(
                    Code::OutOfRange,
                    node.span,
                    format!("{what} must be at least {min}, not {i}"),
                    None,
                );
                None
            }
            Value::Invalid => None,
            _ => {
                self.wrong_type(node, "an integer", what);
                None
            }
        }
    }

    pub fn number(&mut self, node: &Node, what: &str) -> Option<Spanned<f64>> {
        match node.value {
            Value::Int(i) => Some(Spanned::new(i as f64, node.span)),
            Value::Float(f) if f.is_finite() => Some(Spanned::new(f, node.span)),
            Value::Invalid => None,
            _ => {
                self.wrong_type(node, "a number", what);
                None
            }
        }
    }

    /// A number in `lo..=hi`.
    pub fn ranged(&mut self, node: &Node, what: &str, lo: f64, hi: f64) -> Option<Spanned<f64>> {
        let v = self.number(node, what)?;
        if v.value < lo || v.value > hi {
            // An open upper bound is f64::MAX, which is no number to print.
            let bound = if hi >= f64::MAX {
                format!("at least {lo}")
            } else {
                format!("between {lo} and {hi}")
            };
            self.report(
                Code::OutOfRange,
                node.span,
                format!("{what} must be {bound}, not {}", v.value),
                None,
            );
            return None;
        }
        Some(v)
    }

    /// Money in USD: a number >= 0, read exactly from its text.
    pub fn money(&mut self, node: &Node, what: &str) -> Option<Spanned<Dec>> {
        self.ranged(node, what, 0.0, f64::MAX)?;
        self.exact(node, what)
    }

    /// A number node's value as an exact decimal, from its source text.
    fn exact(&mut self, node: &Node, what: &str) -> Option<Spanned<Dec>> {
        match Dec::parse(self.file.slice(node.span)) {
            Some(d) => Some(Spanned::new(d, node.span)),
            None => {
                self.report(
                    Code::OutOfRange,
                    node.span,
                    format!("{what} has more digits than an exact decimal holds (28)"),
                    None,
                );
                None
            }
        }
    }

    pub fn boolean(&mut self, node: &Node, what: &str) -> Option<Spanned<bool>> {
        match node.value {
            Value::Bool(b) => Some(Spanned::new(b, node.span)),
            Value::Invalid => None,
            _ => {
                self.wrong_type(node, "true or false", what);
                None
            }
        }
    }

    pub fn named<E: Named>(&mut self, node: &Node, what: &str) -> Option<Spanned<E>> {
        let s = match &node.value {
            Value::Str(s) => s.clone(),
            Value::Bool(b) => b.to_string(),
            Value::Invalid => return None,
            Value::Null | Value::Seq(_) | Value::Map(_) | Value::Int(_) | Value::Float(_) => {
                self.wrong_type(node, &format!("one of {}", E::NAMES.join(", ")), what);
                return None;
            }
        };
        match E::parse(&s) {
            Some(v) => Some(Spanned::new(v, node.span)),
            None => {
                let lower = s.to_lowercase();
                let help = match E::parse(&lower).or_else(|| E::parse(&s.to_uppercase())) {
                    Some(_) if lower != s => {
                        format!("values are lower-case: did you mean `{lower}`?")
                    }
                    Some(_) => format!("did you mean `{}`?", s.to_uppercase()),
                    None => help_for(&s, E::NAMES),
                };
                self.report(
                    Code::UnknownEnumValue,
                    node.span,
                    format!("unknown {} `{s}`", E::WHAT),
                    Some(help),
                );
                None
            }
        }
    }

    pub fn duration(&mut self, node: &Node, what: &str) -> Option<Spanned<Duration>> {
        let text = match &node.value {
            Value::Str(s) => s.clone(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => f.to_string(),
            Value::Invalid => return None,
            _ => {
                self.wrong_type(node, "a duration such as `3s`", what);
                return None;
            }
        };
        match Duration::parse(&text) {
            Some(d) => Some(Spanned::new(d, node.span)),
            None => {
                let help = if text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
                    format!("add a unit: `{text}ms`, `{text}s`, `{text}m`, `{text}h` or `{text}d`")
                } else {
                    "write a whole number and a unit: `250ms`, `3s`, `5m`, `24h`, `7d`".into()
                };
                self.report(
                    Code::MalformedDuration,
                    node.span,
                    format!("malformed duration `{text}` for {what}"),
                    Some(help),
                );
                None
            }
        }
    }

    pub fn date(&mut self, node: &Node, what: &str) -> Option<Spanned<Timestamp>> {
        let Value::Str(s) = &node.value else {
            if !matches!(node.value, Value::Invalid) {
                self.wrong_type(node, "a date such as `2026-11-30`", what);
            }
            return None;
        };
        match Timestamp::parse(s) {
            Some(t) => Some(Spanned::new(t, node.span)),
            None => {
                self.report(
                    Code::MalformedDate,
                    node.span,
                    format!("malformed date `{s}` for {what}"),
                    Some("write an RFC 3339 date: `2026-11-30` or `2026-11-30T18:00:00Z`".into()),
                );
                None
            }
        }
    }

    /// `80%` or a number in 0..1, as an exact fraction.
    pub fn percent(&mut self, node: &Node, what: &str) -> Option<Spanned<Dec>> {
        let help = Some("write a percentage such as `80%`, or a fraction from 0 to 1".to_string());
        match &node.value {
            Value::Str(s) => match parse_percent_text(s) {
                Some(v) => Some(Spanned::new(v, node.span)),
                None => {
                    self.report(
                        Code::MalformedPercentage,
                        node.span,
                        format!("malformed percentage `{s}` for {what}"),
                        help,
                    );
                    None
                }
            },
            Value::Int(_) | Value::Float(_) => {
                let v = match node.value {
                    Value::Int(i) => i as f64,
                    Value::Float(f) => f,
                    _ => 0.0,
                };
                if (0.0..=1.0).contains(&v) {
                    self.exact(node, what)
                } else {
                    let hint = if v > 1.0 && v <= 1000.0 {
                        Some(format!("did you mean `{v}%`?"))
                    } else {
                        help
                    };
                    self.report(Code::MalformedPercentage, node.span, format!("{what} must be a percentage such as `80%` or a fraction from 0 to 1, not {v}"), hint);
                    None
                }
            }
            Value::Invalid => None,
            _ => {
                self.wrong_type(node, "a percentage", what);
                None
            }
        }
    }

    /// A list of strings; `one_ok` also accepts a single string.
    pub fn strings(
        &mut self,
        node: &Node,
        what: &str,
        one_ok: bool,
    ) -> Option<Vec<Spanned<String>>> {
        match &node.value {
            Value::Str(s) if one_ok => Some(vec![Spanned::new(s.clone(), node.span)]),
            Value::Seq(items) => Some(items.iter().filter_map(|i| self.string(i, what)).collect()),
            Value::Invalid => None,
            _ => {
                self.wrong_type(
                    node,
                    if one_ok {
                        "a string or a list of strings"
                    } else {
                        "a list of strings"
                    },
                    what,
                );
                None
            }
        }
    }

    /// A list of items read by `f`.
    pub fn list<T>(
        &mut self,
        node: &Node,
        what: &str,
        mut f: impl FnMut(&mut Self, &Node) -> Option<T>,
    ) -> Option<Vec<T>> {
        match &node.value {
            Value::Seq(items) => Some(items.iter().filter_map(|i| f(self, i)).collect()),
            Value::Invalid => None,
            _ => {
                self.wrong_type(node, "a list", what);
                None
            }
        }
    }
}

/// A mapping being read field by field.
pub struct Obj<'n> {
    pub span: Span,
    pub entries: &'n [(Node, Node)],
    used: Vec<bool>,
}

impl<'n> Obj<'n> {
    /// The value under `key`, marking it read.
    pub fn get(&mut self, key: &str) -> Option<&'n Node> {
        let i = self
            .entries
            .iter()
            .position(|(k, _)| k.as_str() == Some(key))?;
        if let Some(u) = self.used.get_mut(i) {
            *u = true;
        }
        self.entries.get(i).map(|(_, v)| v)
    }

    pub fn has(&self, key: &str) -> bool {
        self.entries.iter().any(|(k, _)| k.as_str() == Some(key))
    }

    /// Reports every key not read, with a suggestion from `known`.
    pub fn finish(self, cx: &mut Cx<'_>, known: &[&str], what: &str) {
        for ((k, _), used) in self.entries.iter().zip(&self.used) {
            if *used {
                continue;
            }
            let name = k.key_text();
            cx.report(
                Code::UnknownKey,
                k.span,
                format!("unknown key `{name}` in {what}"),
                Some(key_help(&name, known)),
            );
        }
    }
}
