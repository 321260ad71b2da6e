//! The canonical layout (`guardctl fmt`). Policy files are re-emitted
//! whole; in ABL files only `AGENT:` and `GUARDRAILS:` are, every other
//! section is kept byte for byte. The formatter never changes meaning: its
//! output is parsed again and must give the same values and keep every
//! comment, or the file is left alone and an internal error reported.

mod emit;

use std::sync::Arc;

use crate::diagnostic::Diagnostic;
use crate::lint::registry::Code;
use crate::source::{SourceFile, Span};
use crate::syntax::layout::parse_yaml;
use crate::syntax::{FileKind, Node, Value};
use emit::Emitter;

/// What a file means, for the equivalence check: per section, its values
/// (or raw text for unparsed ABL sections), and its comments.
#[derive(Debug, PartialEq)]
struct Meaning {
    sections: Vec<(String, serde_json::Value)>,
    comments: Vec<String>,
}

/// Sections of an ABL file: (keyword, start, end) in byte offsets.
fn abl_sections(text: &str) -> Vec<(String, usize, usize)> {
    let mut heads = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let b = line.as_bytes();
        if b.first().is_some_and(u8::is_ascii_uppercase) {
            let n = b
                .iter()
                .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || **c == b'_')
                .count();
            if b.get(n) == Some(&b':') {
                heads.push((line.get(..n).unwrap_or("").to_string(), offset));
            }
        }
        offset += line.len();
    }
    let mut out = Vec::new();
    for (i, (name, start)) in heads.iter().enumerate() {
        let end = heads.get(i + 1).map_or(text.len(), |h| h.1);
        out.push((name.clone(), *start, end));
    }
    out
}

fn parsed_section(name: &str) -> bool {
    name == "AGENT" || name == "GUARDRAILS"
}

fn meaning(file: &Arc<SourceFile>, kind: FileKind) -> Result<Meaning, Vec<Diagnostic>> {
    let text = &*file.text;
    let mut diags = Vec::new();
    let mut sections = Vec::new();
    let mut comments = Vec::new();
    let mut read = |start: usize, end: usize, diags: &mut Vec<Diagnostic>| {
        let doc = parse_yaml(file, start, end - start, diags);
        comments.extend(doc.comments.iter().map(|c| {
            text.get(c.start..c.end)
                .unwrap_or("")
                .trim_end()
                .to_string()
        }));
        doc.root.map_or(serde_json::Value::Null, |r| r.to_json())
    };
    match kind {
        FileKind::Policy => {
            let v = read(0, text.len(), &mut diags);
            sections.push((String::new(), v));
        }
        FileKind::Agent => {
            let secs = abl_sections(text);
            let first = secs.first().map_or(text.len(), |s| s.1);
            sections.push((
                "".into(),
                serde_json::Value::String(text.get(..first).unwrap_or("").to_string()),
            ));
            for (name, start, end) in secs {
                let v = if parsed_section(&name) {
                    read(start, end, &mut diags)
                } else {
                    serde_json::Value::String(text.get(start..end).unwrap_or("").to_string())
                };
                sections.push((name, v));
            }
        }
    }
    if diags.is_empty() {
        Ok(Meaning { sections, comments })
    } else {
        Err(diags)
    }
}

/// Emits one YAML document (a mapping of sections) in canonical layout.
fn emit_yaml(
    file: &Arc<SourceFile>,
    start: usize,
    end: usize,
    top_blank: bool,
) -> Result<String, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let doc = parse_yaml(file, start, end - start, &mut diags);
    if !diags.is_empty() {
        return Err(diags);
    }
    let mut e = Emitter::new(&file.text, doc.comments, start);
    match &doc.root {
        Some(Node {
            value: Value::Map(entries),
            ..
        }) => {
            for (i, entry) in entries.iter().enumerate() {
                // Top-level sections are separated by exactly one blank line.
                if i > 0 && top_blank && !e.out.ends_with("\n\n") {
                    e.out.push('\n');
                }
                e.map(std::slice::from_ref(entry), 0, None);
            }
        }
        Some(Node {
            value: Value::Seq(items),
            ..
        }) => e.seq(items, 0),
        Some(other) => {
            e.leading(other.span.start, 0);
            e.out.push_str(&e.inline(other));
            e.out.push('\n');
        }
        None => {}
    }
    e.rest(end, 0);
    Ok(e.out)
}

/// The canonical text of a file.
pub fn format_text(file: &Arc<SourceFile>, kind: FileKind) -> Result<String, Vec<Diagnostic>> {
    let before = meaning(file, kind)?;
    let text = &*file.text;
    let out = match kind {
        FileKind::Policy => emit_yaml(file, 0, text.len(), true)?,
        FileKind::Agent => {
            let secs = abl_sections(text);
            let first = secs.first().map_or(text.len(), |s| s.1);
            let mut out = text.get(..first).unwrap_or("").to_string();
            for (name, start, end) in &secs {
                let raw = text.get(*start..*end).unwrap_or("");
                if parsed_section(name) {
                    out.push_str(&emit_yaml(file, *start, *end, false)?);
                    // Keep one blank line after the section if it had any.
                    if raw.trim_end_matches([' ', '\t']).ends_with("\n\n") || raw.ends_with("\n\n")
                    {
                        out.push('\n');
                    }
                } else {
                    if !out.is_empty() && !out.ends_with('\n') {
                        out.push('\n');
                    }
                    out.push_str(raw);
                }
            }
            out
        }
    };
    // Keep Windows line endings if the file uses them.
    let out = if text.contains("\r\n") {
        out.replace("\r\n", "\n").replace('\n', "\r\n")
    } else {
        out
    };
    let formatted = SourceFile::new(file.name.clone(), out.clone());
    let after = meaning(&formatted, kind)
        .map_err(|_| vec![internal(file, "the formatted text does not parse")])?;
    if after != before {
        return Err(vec![internal(
            file,
            "formatting would change the file's meaning or drop a comment",
        )]);
    }
    Ok(out)
}

fn internal(file: &Arc<SourceFile>, what: &str) -> Diagnostic {
    Diagnostic::new(
        Code::Internal,
        file,
        Span::point(0),
        format!("{what}; the file was left unchanged"),
    )
    .with_help("this is a bug in guardctl; please report it with this file")
}
