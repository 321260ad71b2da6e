//! Semantic diffs and policy history rendered for people (grouped by
//! object, colour on a terminal), for pull requests (markdown: a summary
//! line, then a table) and for machines (json, schema `guardctl.diff/v1`).

use std::fmt::Write;

use serde_json::{Value, json};

use crate::diff::{self, Change, Class, What, Word, WordOp, words};
use crate::history::{CommitChanges, short};
use crate::ir::values::Timestamp;

pub const SCHEMA: &str = "guardctl.diff/v1";

struct Paint(bool);

impl Paint {
    fn class(&self, c: Class) -> String {
        let name = format!("{:<8}", c.as_str());
        if !self.0 {
            return name;
        }
        let code = match c {
            Class::Looser => "31;1",
            Class::Tighter => "32",
            Class::Reorder | Class::Changed => "33",
            Class::Neutral => "2",
        };
        format!("\x1b[{code}m{name}\x1b[0m")
    }
    fn bold(&self, s: &str) -> String {
        if self.0 {
            format!("\x1b[1m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn words(&self, w: &[Word]) -> String {
        if !self.0 {
            return words::plain(w);
        }
        w.iter()
            .map(|x| match x.op {
                WordOp::Equal => x.text.clone(),
                WordOp::Delete => format!("\x1b[31;9m{}\x1b[0m", x.text),
                WordOp::Insert => format!("\x1b[32;4m{}\x1b[0m", x.text),
            })
            .collect()
    }
}

/// A value as shown in text: strings bare, absent as `(none)`, the rest
/// as compact JSON.
pub fn value(v: &Value) -> String {
    match v {
        Value::Null => "(none)".to_string(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn where_(c: &Change) -> String {
    match (&c.old_location, &c.new_location) {
        (Some(o), Some(n)) if o == n => format!("{n}"),
        (Some(o), Some(n)) => format!("{o} → {n}"),
        (Some(o), None) => format!("{o} (old)"),
        (None, Some(n)) => format!("{n}"),
        (None, None) => String::new(),
    }
}

/// What changed, on one line (without class and location).
fn describe(c: &Change, paint: &Paint) -> String {
    match c.what {
        What::Added => format!("added ({})", c.reason),
        What::Removed => format!("removed ({})", c.reason),
        What::Renamed => format!(
            "renamed from {} ({})",
            c.renamed_from.as_deref().unwrap_or("?"),
            c.reason
        ),
        What::Modified => {
            let field = c.field.as_deref().unwrap_or("");
            let change = match (&c.words, &c.old, &c.new) {
                (Some(w), _, _) => paint.words(w),
                (None, Value::Null, n) => format!("+ {}", value(n)),
                (None, o, Value::Null) => format!("- {}", value(o)),
                (None, o, n) => format!("{} → {}", value(o), value(n)),
            };
            format!("{field}: {change}  ({})", c.reason)
        }
    }
}

/// Human (and plain, without colour) rendering, grouped by object.
pub fn human(changes: &[Change], color: bool) -> String {
    let paint = Paint(color);
    let mut o = String::new();
    let mut last: Option<(diff::ObjectType, &str)> = None;
    for c in changes {
        let key = (c.object_type, c.object.as_str());
        if last != Some(key) {
            let _ = writeln!(o, "{} {}", c.object_type.as_str(), paint.bold(&c.object));
            last = Some(key);
        }
        let _ = writeln!(o, "  {} {}", paint.class(c.class), describe(c, &paint));
        let w = where_(c);
        if !w.is_empty() {
            let _ = writeln!(o, "           at {w}");
        }
    }
    if !changes.is_empty() {
        o.push('\n');
    }
    let _ = writeln!(o, "{}", diff::summary_line(changes));
    o
}

/// Escapes a markdown table cell.
fn cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

fn code(s: &str) -> String {
    if s.is_empty() {
        return String::new();
    }
    if s.contains('`') {
        format!("`` {} ``", cell(s))
    } else {
        format!("`{}`", cell(s))
    }
}

fn md_words(w: &[Word]) -> String {
    w.iter()
        .map(|x| match x.op {
            WordOp::Equal => cell(&x.text),
            WordOp::Delete if x.text.trim().is_empty() => String::new(),
            WordOp::Insert if x.text.trim().is_empty() => " ".to_string(),
            WordOp::Delete => format!("~~{}~~", cell(x.text.trim())),
            WordOp::Insert => format!("**{}**", cell(x.text.trim())),
        })
        .collect()
}

/// Markdown for a pull-request comment: a summary line, then one table row
/// per change, looser first.
pub fn markdown(changes: &[Change], title: &str) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "### {title}: {}\n", diff::summary_line(changes));
    if changes.is_empty() {
        let _ = writeln!(
            o,
            "No semantic change: only formatting, comments or key order differ."
        );
        return o;
    }
    let _ = writeln!(o, "| Class | Object | Change | Old | New | Where |");
    let _ = writeln!(o, "|---|---|---|---|---|---|");
    let mut sorted: Vec<&Change> = changes.iter().collect();
    sorted.sort_by_key(|c| c.class);
    for c in sorted {
        let object = format!("{} `{}`", c.object_type.as_str(), cell(&c.object));
        let (change, old, new) = match c.what {
            What::Modified => {
                let field = c.field.as_deref().unwrap_or("");
                let detail = match &c.words {
                    Some(w) => format!("{}<br>{}", cell(&c.reason), md_words(w)),
                    None => cell(&c.reason),
                };
                (
                    format!("`{}`: {detail}", cell(field)),
                    code(&short_value(&c.old)),
                    code(&short_value(&c.new)),
                )
            }
            What::Renamed => (
                cell(&c.reason),
                code(c.renamed_from.as_deref().unwrap_or("")),
                code(&c.object),
            ),
            What::Added | What::Removed => (cell(&c.reason), String::new(), String::new()),
        };
        let _ = writeln!(
            o,
            "| **{}** | {object} | {change} | {old} | {new} | {} |",
            c.class.as_str(),
            cell(&where_(c))
        );
    }
    o
}

/// Values in table cells: long text cut (the word diff shows the change).
fn short_value(v: &Value) -> String {
    if v.is_null() {
        return String::new();
    }
    let s = value(v);
    if s.chars().count() > 60 {
        let cut: String = s.chars().take(57).collect();
        format!("{cut}...")
    } else {
        s
    }
}

/// `{"looser": n, "tighter": n, ...}`, every class present.
fn summary_json(changes: &[Change]) -> Value {
    Value::Object(
        diff::counts(changes)
            .into_iter()
            .map(|(c, n)| (c.as_str().to_string(), json!(n)))
            .collect(),
    )
}

/// The JSON document: `{schema, base, head, summary, changes, impact?}`.
pub fn json(changes: &[Change], base: &str, head: &str, impact: Option<Value>) -> Value {
    let summary = summary_json(changes);
    let mut out = json!({
        "schema": SCHEMA,
        "base": base,
        "head": head,
        "summary": summary,
        "changes": changes,
    });
    if let (Some(i), Value::Object(m)) = (impact, &mut out) {
        m.insert("impact".into(), i);
    }
    out
}

fn date(t: i64) -> String {
    Timestamp(t).to_rfc3339().chars().take(10).collect()
}

/// `log` without a name: one line per commit that changed a policy,
/// newest first.
pub fn log_lines(history: &[CommitChanges], color: bool) -> String {
    let paint = Paint(color);
    let rows: Vec<(&CommitChanges, String)> = history
        .iter()
        .rev()
        .filter(|c| !c.changes.is_empty() || !c.unparsable.is_empty())
        .map(|c| {
            let what = if c.unparsable.is_empty() {
                diff::summary_line(&c.changes)
            } else {
                format!("does not parse: {}", c.unparsable.join(", "))
            };
            (c, what)
        })
        .collect();
    if rows.is_empty() {
        return "no commit changed a policy\n".to_string();
    }
    let author_w = rows
        .iter()
        .map(|(c, _)| c.author.chars().count())
        .max()
        .unwrap_or(0);
    let what_w = rows
        .iter()
        .map(|(_, w)| w.chars().count())
        .max()
        .unwrap_or(0);
    let mut o = String::new();
    for (c, what) in rows {
        let _ = writeln!(
            o,
            "{} {}  {:<author_w$}  {:<what_w$}  {}",
            paint.bold(&short(&c.id)),
            date(c.time),
            c.author,
            what,
            c.summary
        );
    }
    o
}

/// `log NAME`: each commit that changed the object, with the changes.
pub fn log_detail(history: &[CommitChanges], name: &str, color: bool) -> String {
    let paint = Paint(color);
    let mut o = String::new();
    for c in history.iter().rev() {
        let _ = writeln!(
            o,
            "{} {} {} <{}>  {}",
            paint.bold(&short(&c.id)),
            date(c.time),
            c.author,
            c.email,
            c.summary
        );
        if !c.unparsable.is_empty() {
            let _ = writeln!(
                o,
                "  policy files do not parse here: {}",
                c.unparsable.join(", ")
            );
        }
        for ch in &c.changes {
            let _ = writeln!(
                o,
                "  {} {} {}: {}",
                paint.class(ch.class),
                ch.object_type.as_str(),
                ch.object,
                describe(ch, &paint)
            );
        }
        o.push('\n');
    }
    if o.is_empty() {
        let _ = writeln!(o, "no commit changed `{name}`");
    }
    o
}

pub fn log_json(history: &[CommitChanges]) -> Value {
    Value::Array(
        history
            .iter()
            .rev()
            .filter(|c| !c.changes.is_empty() || !c.unparsable.is_empty())
            .map(|c| {
                json!({
                    "commit": c.id,
                    "author": c.author,
                    "email": c.email,
                    "time": Timestamp(c.time).to_rfc3339(),
                    "subject": c.summary,
                    "summary": summary_json(&c.changes),
                    "changes": c.changes,
                    "unparsable": c.unparsable,
                })
            })
            .collect(),
    )
}
