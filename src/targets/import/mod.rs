//! `guardctl import --from RUNTIME FILE...`: a runtime's own JSON (what
//! its API returns: a list or one object) back into policy text. Each
//! target reads its JSON into sections of ordered keys ([`Y`]); they are
//! written as block YAML and put through `fmt`'s emitter, so imported
//! files are in the one canonical layout. What cannot be mapped is a
//! diagnostic naming the JSON path, never dropped silently.

pub mod kaireon;
pub mod kairro;
pub mod kore;
pub mod orq;

use serde_json::Value;

use crate::source::SourceFile;
use crate::syntax::FileKind;

/// A value to write: a scalar (written as JSON, which YAML reads), a flow
/// value (lists, condition trees) or a block mapping in key order.
#[derive(Debug, Clone)]
pub enum Y {
    Json(Value),
    Map(Vec<(String, Y)>),
}

impl Y {
    pub fn map() -> Y {
        Y::Map(Vec::new())
    }

    /// Adds `key: value` to a mapping (a `null` value is left out).
    pub fn put(&mut self, key: &str, value: impl Into<Y>) {
        let value = value.into();
        if matches!(value, Y::Json(Value::Null)) {
            return;
        }
        if let Y::Map(entries) = self {
            entries.push((key.to_string(), value));
        }
    }

    /// Replaces the value of a key the mapping already has.
    pub fn set(&mut self, key: &str, value: Value) {
        if let Y::Map(entries) = self {
            if let Some(slot) = entries.iter_mut().find(|(k, _)| k == key) {
                slot.1 = Y::Json(value);
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        matches!(self, Y::Map(e) if e.is_empty())
    }
}

impl From<Value> for Y {
    fn from(v: Value) -> Y {
        Y::Json(v)
    }
}

/// One file an import writes.
#[derive(Debug, Clone)]
pub struct File {
    /// Relative path (`payments.yaml`, `agents/Refund_Bot.agent.abl`).
    pub path: String,
    /// Top-level sections in order: (`POLICY`, body).
    pub sections: Vec<(String, Y)>,
    /// Text written as it is after the sections (an agent's ABL).
    pub raw: Option<String>,
    pub kind: FileKind,
}

/// What an import read.
#[derive(Debug, Default)]
pub struct Imported {
    pub files: Vec<File>,
    /// `(json path, message)` for what could not be mapped.
    pub problems: Vec<(String, String)>,
}

impl Imported {
    pub fn problem(&mut self, at: &str, msg: impl Into<String>) {
        self.problems.push((at.to_string(), msg.into()));
    }
}

/// Whether a string reads back as itself written plain (not a number,
/// boolean or null, nothing YAML gives a meaning to).
fn plain_ok(s: &str) -> bool {
    let mut chars = s.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    first_ok
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | '@'))
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n" | "nan" | "inf"
        )
}

/// A value in YAML flow syntax: strings plain where they read back as
/// themselves, else double-quoted (JSON's escapes are YAML's).
fn flow(v: &Value) -> String {
    match v {
        Value::String(s) if plain_ok(s) => s.clone(),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(flow).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| {
                    let key = if plain_ok(k) {
                        k.clone()
                    } else {
                        serde_json::to_string(k).unwrap_or_default()
                    };
                    format!("{key}: {}", flow(v))
                })
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}

fn write(out: &mut String, indent: usize, y: &Y) {
    match y {
        Y::Json(v) => {
            out.push(' ');
            out.push_str(&flow(v));
            out.push('\n');
        }
        Y::Map(entries) => {
            out.push('\n');
            for (k, v) in entries {
                out.push_str(&" ".repeat(indent));
                // A key from the runtime's JSON is written as itself only
                // where it reads back as itself; otherwise quoted, so no
                // text in it can become structure.
                if plain_ok(k) {
                    out.push_str(k);
                } else {
                    out.push_str(&serde_json::to_string(k).unwrap_or_default());
                }
                out.push(':');
                write(out, indent + 2, v);
            }
        }
    }
}

/// The file's text, in `fmt`'s canonical layout (or as written, with the
/// formatter's diagnostics, where it refuses).
pub fn render(file: &File) -> Result<String, Vec<crate::diagnostic::Diagnostic>> {
    let mut text = String::from("# Imported by guardctl import.\n");
    for (name, body) in &file.sections {
        text.push_str(name);
        text.push(':');
        write(&mut text, 2, body);
    }
    if let Some(raw) = &file.raw {
        text.push_str(raw);
    }
    let source = SourceFile::new(file.path.clone(), text);
    crate::fmt::format_text(&source, file.kind)
}

/// The documents of a runtime's JSON: a list's items, or the one object.
pub fn items(doc: &Value) -> Vec<(String, &Value)> {
    match doc {
        Value::Array(a) => a
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("/{i}"), v))
            .collect(),
        other => vec![(String::new(), other)],
    }
}

/// A name usable as a rule or file name: lower-case letters, digits, `_`
/// and `-`, starting with a letter.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-').to_string();
    match out.chars().next() {
        Some(c) if c.is_ascii_lowercase() => out,
        _ => format!("r-{out}"),
    }
}

/// The string at `key`, if it is one.
pub fn s<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// Keys of `v` not in `known`, each a problem at `at/key`.
pub fn unknown_keys(v: &Value, known: &[&str], at: &str, out: &mut Imported) {
    if let Value::Object(m) = v {
        for k in m.keys() {
            if !known.contains(&k.as_str()) {
                out.problem(
                    &format!("{at}/{k}"),
                    format!("`{k}` has no guardctl field: left out"),
                );
            }
        }
    }
}

/// Milliseconds as a duration text (`250ms`, `3s`).
pub fn duration(ms: u64) -> String {
    if ms > 0 && ms % 86_400_000 == 0 {
        format!("{}d", ms / 86_400_000)
    } else if ms > 0 && ms % 3_600_000 == 0 {
        format!("{}h", ms / 3_600_000)
    } else if ms > 0 && ms % 60_000 == 0 {
        format!("{}m", ms / 60_000)
    } else if ms > 0 && ms % 1000 == 0 {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}
