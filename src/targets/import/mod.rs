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

/// A value to write: a scalar or flow value (written as JSON, which YAML
/// reads), a block mapping in key order, or a block sequence (the groups
/// of a condition tree).
#[derive(Debug, Clone)]
pub enum Y {
    Json(Value),
    Map(Vec<(String, Y)>),
    Seq(Vec<Y>),
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

    /// A condition tree as the language's own examples write it: each
    /// `all` / `any` group a block list, each `not` a block key, each
    /// leaf one flow mapping. Anything else in the tree stays flow, as
    /// the JSON gave it, for lint to judge.
    pub fn tree(v: &Value) -> Y {
        let Some(m) = v.as_object().filter(|m| m.len() == 1) else {
            return Y::Json(v.clone());
        };
        match m.iter().next() {
            Some((k, Value::Array(items))) if k == "all" || k == "any" => Y::Map(vec![(
                k.clone(),
                Y::Seq(items.iter().map(Y::tree).collect()),
            )]),
            Some((k, inner @ Value::Object(_))) if k == "not" => {
                Y::Map(vec![(k.clone(), Y::tree(inner))])
            }
            _ => Y::Json(v.clone()),
        }
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

/// Writes `y` as the value after a key (`key:` is written): a scalar on
/// the same line, a block mapping or sequence on the lines below at
/// `indent`.
fn write(out: &mut String, indent: usize, y: &Y) {
    match y {
        Y::Json(v) => {
            out.push(' ');
            out.push_str(&flow(v));
            out.push('\n');
        }
        Y::Map(entries) => {
            out.push('\n');
            entries_at(out, indent, entries, false);
        }
        Y::Seq(items) => {
            out.push('\n');
            for item in items {
                out.push_str(&" ".repeat(indent));
                out.push('-');
                match item {
                    Y::Map(entries) => entries_at(out, indent + 2, entries, true),
                    other => write(out, indent + 2, other),
                }
            }
        }
    }
}

/// A block mapping's entries at `indent`; `inline` puts the first on the
/// current line (after a sequence's `-`).
fn entries_at(out: &mut String, indent: usize, entries: &[(String, Y)], inline: bool) {
    for (i, (k, v)) in entries.iter().enumerate() {
        if inline && i == 0 {
            out.push(' ');
        } else {
            out.push_str(&" ".repeat(indent));
        }
        // A key from the runtime's JSON is written as itself only where
        // it reads back as itself; otherwise quoted, so no text in it can
        // become structure.
        if plain_ok(k) {
            out.push_str(k);
        } else {
            out.push_str(&serde_json::to_string(k).unwrap_or_default());
        }
        out.push(':');
        write(out, indent + 2, v);
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

/// The keys of a response envelope around the documents (`{success,
/// data}` from Kore, `{object, data, has_more}` from Orq's lists).
const ENVELOPE: &[&str] = &[
    "success",
    "object",
    "has_more",
    "total",
    "page",
    "limit",
    "pagination",
    "meta",
    "next_cursor",
    "autoDeactivated",
];

/// The single key a response wraps its one document in (Orq's
/// `{guardrail_rule: {...}}`).
const WRAPPERS: &[&str] = &["guardrail_rule", "guardrail_rules", "data"];

/// Fields the runtime's server assigns (ids, owners, timestamps,
/// versions): read as what they are, not policy, and left out without a
/// problem.
const SERVER_FIELDS: &[&str] = &[
    "_id",
    "id",
    "_v",
    "__v",
    "tenantId",
    "tenant_id",
    "createdAt",
    "updatedAt",
    "created_at",
    "updated_at",
    "createdBy",
    "updatedBy",
    "created_by_id",
    "updated_by_id",
    "version",
    "previousVersionId",
    "rowVersion",
    "isActive",
];

/// The documents of a runtime's JSON: a list's items, or the one object,
/// inside any response envelope (each with its JSON path).
pub fn items(doc: &Value) -> Vec<(String, &Value)> {
    let mut at = String::new();
    let mut doc = doc;
    // Envelopes nest at most a few deep; the bound keeps a hostile
    // document from looping.
    for _ in 0..4 {
        let Value::Object(m) = doc else { break };
        let inner = match m.get("data") {
            Some(d)
                if m.keys()
                    .all(|k| k == "data" || ENVELOPE.contains(&k.as_str())) =>
            {
                Some(("data", d))
            }
            _ if m.len() == 1 => m
                .iter()
                .find(|(k, v)| WRAPPERS.contains(&k.as_str()) && (v.is_object() || v.is_array()))
                .map(|(k, v)| (k.as_str(), v)),
            _ => None,
        };
        let Some((key, inner)) = inner else { break };
        at.push('/');
        at.push_str(key);
        doc = inner;
    }
    match doc {
        Value::Array(a) => a
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("{at}/{i}"), v))
            .collect(),
        other => vec![(at, other)],
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

/// Keys of `v` not in `known` (nor assigned by the runtime's server),
/// each a problem at `at/key`.
pub fn unknown_keys(v: &Value, known: &[&str], at: &str, out: &mut Imported) {
    if let Value::Object(m) = v {
        for k in m.keys() {
            if !known.contains(&k.as_str()) && !SERVER_FIELDS.contains(&k.as_str()) {
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
