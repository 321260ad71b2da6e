//! The spanned YAML value tree: what the YAML subset means, with the span
//! and the written style of every node (the formatter keeps styles).

use crate::source::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
    FlowSeq,
    FlowMap,
    BlockSeq,
    BlockMap,
    /// No text at all (`key:` with nothing after it).
    Empty,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
    /// A node that failed to parse (already reported); later stages skip it
    /// silently instead of piling follow-on errors on it.
    Invalid,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Span,
    pub style: Style,
}

impl Node {
    pub fn new(value: Value, span: Span, style: Style) -> Self {
        Node { value, span, style }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The key text of a mapping key (scalars only; other keys are never
    /// produced by the parser).
    pub fn key_text(&self) -> String {
        match &self.value {
            Value::Str(s) => s.clone(),
            Value::Null => String::new(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => f.to_string(),
            Value::Seq(_) | Value::Map(_) | Value::Invalid => String::new(),
        }
    }

    /// Words for the type in messages ("a string", "a list").
    pub fn type_name(&self) -> &'static str {
        match &self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
            Value::Invalid => "invalid",
        }
    }

    /// The JSON value a conforming YAML loader produces for this node.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null | Value::Invalid => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Str(s) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => {
                let mut m = serde_json::Map::new();
                for (k, v) in entries {
                    m.insert(k.key_text(), v.to_json());
                }
                J::Object(m)
            }
        }
    }
}

/// A parsed YAML text: its root node (none for an empty text) and every
/// comment, in source order.
#[derive(Debug, Clone, Default)]
pub struct Document {
    pub root: Option<Node>,
    pub comments: Vec<Span>,
}
