//! Text → spanned tree. A file is split into its sections: in an ABL agent
//! file, column-0 upper-case keywords (only `AGENT:` and `GUARDRAILS:` are
//! parsed; every other section is kept as raw text); in a policy file, the
//! top-level keys of one YAML mapping. Section bodies go through the YAML
//! subset parser (`tokens` + `layout`).

pub mod layout;
pub mod node;
pub mod scalar;
pub mod tokens;

use std::sync::Arc;

use crate::diagnostic::Diagnostic;
use crate::lint::registry::Code;
use crate::source::{SourceFile, Span};
use crate::suggest::key_help;
pub use node::{Document, Node, Style, Value};

/// Sections a policy file may hold.
pub const POLICY_SECTIONS: &[&str] = &[
    "POLICY",
    "GUARDRAILS",
    "PROVIDERS",
    "BUDGETS",
    "CAPS",
    "APPROVAL_CHAINS",
    "EXCEPTIONS",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// An ABL agent file (`*.abl`, `*.agent.abl`, `*.agent.yaml`).
    Agent,
    /// A policy file (`*.yaml`, `*.yml`, `*.guard`).
    Policy,
}

impl FileKind {
    /// The kind a path names by its extension, if any.
    pub fn of_path(path: &str) -> Option<FileKind> {
        let lower = path.to_ascii_lowercase();
        if lower.ends_with(".abl")
            || lower.ends_with(".agent.yaml")
            || lower.ends_with(".agent.yml")
        {
            Some(FileKind::Agent)
        } else if lower.ends_with(".guardtest.yaml") || lower.ends_with(".guardtest.yml") {
            None
        } else if lower.ends_with(".yaml") || lower.ends_with(".yml") || lower.ends_with(".guard") {
            Some(FileKind::Policy)
        } else {
            None
        }
    }
}

/// One section of a file.
#[derive(Debug, Clone)]
pub struct Section {
    /// The keyword without its colon (`GUARDRAILS`).
    pub name: String,
    /// Span of the keyword.
    pub name_span: Span,
    /// Byte range of the whole section (header line through its body).
    pub range: Span,
    /// The parsed body: `None` for ABL sections guardctl does not read, or
    /// when the body failed to parse.
    pub body: Option<Node>,
    /// Whether guardctl reads this section (false: kept verbatim).
    pub parsed: bool,
}

/// A file split into sections, with its comments.
#[derive(Debug, Clone)]
pub struct SyntaxFile {
    pub source: Arc<SourceFile>,
    pub kind: FileKind,
    pub sections: Vec<Section>,
    pub comments: Vec<Span>,
}

impl SyntaxFile {
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }
}

/// Quick test used by directory discovery: does this text have any
/// column-0 section keyword guardctl reads?
pub fn looks_like_policy(text: &str, kind: FileKind) -> bool {
    let names: &[&str] = match kind {
        // Kore's `.agent.yaml` files write the sections in lower case.
        FileKind::Agent => &[
            "AGENT",
            "SUPERVISOR",
            "GUARDRAILS",
            "agent",
            "supervisor",
            "guardrails",
        ],
        FileKind::Policy => POLICY_SECTIONS,
    };
    text.lines().any(|l| {
        let l = l.trim_start_matches('\u{FEFF}');
        names
            .iter()
            .any(|n| l.strip_prefix(n).is_some_and(|r| r.starts_with(':')))
    })
}

/// A top-level key that looks meant as a section and is not one
/// (`GUARDRAIL:`, `Guardrails:`): its span, the key, and the section.
/// Keys of other YAML (`repos:`, `jobs:`, `services:`) are not near any.
pub fn near_miss_section(text: &str, kind: FileKind) -> Option<(Span, String, &'static str)> {
    let names: &[&'static str] = match kind {
        FileKind::Agent => AGENT_SECTIONS,
        FileKind::Policy => POLICY_SECTIONS,
    };
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let l = line.trim_start_matches('\u{FEFF}');
        let bom = line.len() - l.len();
        let key_len = l
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-')
            .count();
        let (Some(key), Some(b':')) = (l.get(..key_len), l.as_bytes().get(key_len).copied()) else {
            continue;
        };
        if key.is_empty() {
            continue;
        }
        let upper = key.bytes().all(|b| !b.is_ascii_lowercase());
        let hit = names
            .iter()
            .copied()
            .find(|n| n.eq_ignore_ascii_case(key))
            .or_else(|| {
                upper
                    .then(|| crate::suggest::did_you_mean(key, names.iter().copied()))
                    .flatten()
            });
        if let Some(section) = hit {
            let at = start + bom;
            return Some((Span::new(at, at + key_len), key.to_string(), section));
        }
    }
    None
}

/// Parses a file of the given kind.
pub fn parse_file(
    source: &Arc<SourceFile>,
    kind: FileKind,
    diags: &mut Vec<Diagnostic>,
) -> SyntaxFile {
    match kind {
        FileKind::Agent => parse_abl(source, diags),
        FileKind::Policy => parse_policy(source, diags),
    }
}

fn parse_policy(source: &Arc<SourceFile>, diags: &mut Vec<Diagnostic>) -> SyntaxFile {
    let doc = layout::parse_yaml(source, 0, source.text.len(), diags);
    let mut sections = Vec::new();
    match &doc.root {
        None => {}
        Some(root) => match &root.value {
            Value::Map(entries) => {
                for (i, (k, v)) in entries.iter().enumerate() {
                    let name = k.key_text();
                    if !POLICY_SECTIONS.contains(&name.as_str()) {
                        diags.push(
                            Diagnostic::new(
                                Code::UnknownKey,
                                source,
                                k.span,
                                format!("unknown section `{name}`"),
                            )
                            .with_help(key_help(&name, POLICY_SECTIONS)),
                        );
                        continue;
                    }
                    let end = entries
                        .get(i + 1)
                        .map_or(source.text.len(), |(nk, _)| nk.span.start);
                    sections.push(Section {
                        name,
                        name_span: k.span,
                        range: Span::new(k.span.start, end),
                        body: Some(v.clone()),
                        parsed: true,
                    });
                }
            }
            Value::Invalid | Value::Null => {}
            _ => diags.push(
                Diagnostic::new(
                    Code::WrongType,
                    source,
                    root.span,
                    format!(
                        "a policy file must be a mapping of sections, not {}",
                        root.type_name()
                    ),
                )
                .with_help("start the file with a section such as `POLICY:` or `GUARDRAILS:`"),
            ),
        },
    }
    SyntaxFile {
        source: source.clone(),
        kind: FileKind::Policy,
        sections,
        comments: doc.comments,
    }
}

/// The sections of an agent file guardctl reads: the agent's (or a
/// supervisor's) name, and its guardrails.
pub const AGENT_SECTIONS: &[&str] = &["AGENT", "SUPERVISOR", "GUARDRAILS"];

/// Splits an ABL file at column-0 upper-case keywords.
fn abl_headers(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let l = line.strip_prefix('\u{FEFF}').unwrap_or(line);
        let skip = line.len() - l.len();
        let bytes = l.as_bytes();
        if bytes.first().is_some_and(u8::is_ascii_uppercase) {
            let n = bytes
                .iter()
                .take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || **b == b'_')
                .count();
            if bytes.get(n) == Some(&b':') {
                out.push((offset + skip, offset + skip + n));
            }
        }
        offset += line.len();
    }
    out
}

/// A Kore agent file written as YAML with lower-case keys (`agent:`,
/// `goal:`, `guardrails:`): its top-level keys are its sections, `agent`,
/// `supervisor` and `guardrails` read as ABL's upper-case ones.
fn parse_yaml_agent(source: &Arc<SourceFile>, diags: &mut Vec<Diagnostic>) -> Option<SyntaxFile> {
    let text = &*source.text;
    let starts_lower = text.lines().any(|l| {
        ["agent:", "supervisor:", "guardrails:"]
            .iter()
            .any(|k| l.starts_with(k))
    });
    if !starts_lower {
        return None;
    }
    let doc = layout::parse_yaml(source, 0, text.len(), diags);
    let Some(Node {
        value: Value::Map(entries),
        ..
    }) = &doc.root
    else {
        return None;
    };
    let mut sections = Vec::new();
    for (i, (k, v)) in entries.iter().enumerate() {
        let key = k.key_text();
        let upper = key.to_ascii_uppercase();
        let parsed = AGENT_SECTIONS.contains(&upper.as_str()) && key == key.to_ascii_lowercase();
        let end = entries
            .get(i + 1)
            .map_or(text.len(), |(nk, _)| nk.span.start);
        sections.push(Section {
            name: if parsed { upper } else { key },
            name_span: k.span,
            range: Span::new(k.span.start, end),
            body: parsed.then(|| v.clone()),
            parsed,
        });
    }
    Some(SyntaxFile {
        source: source.clone(),
        kind: FileKind::Agent,
        sections,
        comments: doc.comments,
    })
}

fn parse_abl(source: &Arc<SourceFile>, diags: &mut Vec<Diagnostic>) -> SyntaxFile {
    let text = &*source.text;
    let headers = abl_headers(text);
    if headers.is_empty() {
        if let Some(f) = parse_yaml_agent(source, diags) {
            return f;
        }
    }
    let mut sections = Vec::new();
    let mut comments = Vec::new();
    // Anything before the first keyword must be blank or comments.
    let first = headers.first().map_or(text.len(), |h| h.0);
    let preamble = text.get(..first).unwrap_or("");
    let mut off = 0;
    for line in preamble.split_inclusive('\n') {
        let t = line.trim();
        if t.starts_with('#') {
            let start = off + line.find('#').unwrap_or(0);
            comments.push(Span::new(start, off + line.trim_end().len()));
        } else if !t.is_empty() && t != "\u{FEFF}" {
            diags.push(
                Diagnostic::new(Code::InvalidSyntax, source, Span::new(off, off + line.trim_end().len()), "text before the first section")
                    .with_help("an ABL file is a sequence of sections, each an upper-case keyword and a colon in column 1 (`AGENT:`, `GUARDRAILS:`)"),
            );
        }
        off += line.len();
    }
    for (i, &(start, name_end)) in headers.iter().enumerate() {
        let end = headers.get(i + 1).map_or(text.len(), |h| h.0);
        let name = text.get(start..name_end).unwrap_or("").to_string();
        let parsed = AGENT_SECTIONS.contains(&name.as_str());
        let mut body = None;
        if parsed {
            let doc = layout::parse_yaml(source, start, end - start, diags);
            comments.extend(doc.comments);
            body = doc.root.and_then(|r| match r.value {
                Value::Map(entries) => {
                    let mut entries = entries.into_iter();
                    let body = entries.next().map(|(_, v)| v);
                    // A column-1 key that is no section keyword would
                    // otherwise end the section's body unseen.
                    for (k, _) in entries {
                        diags.push(
                            Diagnostic::new(
                                Code::InvalidSyntax,
                                source,
                                k.span,
                                format!("`{}` starts in column 1 inside the `{name}:` section", k.key_text()),
                            )
                            .with_help(format!(
                                "indent it to belong to `{name}:`, or start a new section with an upper-case keyword and a colon"
                            )),
                        );
                    }
                    body
                }
                _ => None,
            });
        }
        if parsed && sections.iter().any(|s: &Section| s.name == name) {
            diags.push(
                Diagnostic::new(
                    Code::DuplicateKey,
                    source,
                    Span::new(start, name_end),
                    format!("duplicate section `{name}`"),
                )
                .with_help("merge the two sections into one"),
            );
            continue;
        }
        sections.push(Section {
            name,
            name_span: Span::new(start, name_end),
            range: Span::new(start, end),
            body,
            parsed,
        });
    }
    SyntaxFile {
        source: source.clone(),
        kind: FileKind::Agent,
        sections,
        comments,
    }
}
