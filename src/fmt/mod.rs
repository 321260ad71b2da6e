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
use crate::syntax::{FileKind, Node, SyntaxFile, Value, parse_file};
use emit::Emitter;

/// What a file means, for the equivalence check: per section, its values
/// (or raw text for unparsed ABL sections), and its comments.
#[derive(Debug, PartialEq)]
struct Meaning {
    sections: Vec<(String, serde_json::Value)>,
    comments: Vec<String>,
}

/// The sections of an ABL file as the linter splits them, or its syntax
/// errors (the linter's own, so fmt refuses exactly what lint refuses).
fn abl_sections(file: &Arc<SourceFile>) -> Result<SyntaxFile, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let parsed = parse_file(file, FileKind::Agent, &mut diags);
    if diags.is_empty() {
        Ok(parsed)
    } else {
        Err(diags)
    }
}

fn meaning(file: &Arc<SourceFile>, kind: FileKind) -> Result<Meaning, Vec<Diagnostic>> {
    let text = &*file.text;
    match kind {
        FileKind::Policy => {
            let mut diags = Vec::new();
            let doc = parse_yaml(file, 0, text.len(), &mut diags);
            if !diags.is_empty() {
                return Err(diags);
            }
            Ok(Meaning {
                sections: vec![(
                    String::new(),
                    doc.root.map_or(serde_json::Value::Null, |r| r.to_json()),
                )],
                comments: comment_texts(text, &doc.comments),
            })
        }
        FileKind::Agent => Ok(abl_meaning(file, &abl_sections(file)?)),
    }
}

/// The meaning of an ABL file from its sections: the text before them,
/// each read section's values and each other section's raw text.
fn abl_meaning(file: &SourceFile, parsed: &SyntaxFile) -> Meaning {
    let text = &*file.text;
    let first = parsed
        .sections
        .first()
        .map_or(text.len(), |s| s.range.start);
    let mut sections = vec![(
        String::new(),
        serde_json::Value::String(text.get(..first).unwrap_or("").to_string()),
    )];
    for sec in &parsed.sections {
        let v = match (&sec.body, sec.parsed) {
            (Some(body), true) => body.to_json(),
            (None, true) => serde_json::Value::Null,
            (_, false) => serde_json::Value::String(
                text.get(sec.range.start..sec.range.end)
                    .unwrap_or("")
                    .to_string(),
            ),
        };
        sections.push((sec.name.clone(), v));
    }
    Meaning {
        sections,
        comments: comment_texts(text, &parsed.comments),
    }
}

/// The text of each comment, without trailing spaces.
fn comment_texts(text: &str, spans: &[Span]) -> Vec<String> {
    spans
        .iter()
        .map(|c| {
            text.get(c.start..c.end)
                .unwrap_or("")
                .trim_end()
                .to_string()
        })
        .collect()
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
    // An ABL file's sections are read once, for its meaning and to emit.
    let (before, sections) = match kind {
        FileKind::Policy => (meaning(file, kind)?, None),
        FileKind::Agent => {
            let parsed = abl_sections(file)?;
            (abl_meaning(file, &parsed), Some(parsed))
        }
    };
    let text = &*file.text;
    if let Some(at) = lone_cr(file) {
        // YAML reads a lone `\r` as a line break, ABL's section heads do
        // not: rather than pick one, such files are left to the user.
        return Err(vec![
            Diagnostic::new(
                Code::UnsupportedYaml,
                file,
                Span::new(at, at + 1),
                "a carriage return that does not end a `\\r\\n` line break; \
                 `fmt` rewrites only files whose lines end in `\\n` or `\\r\\n`",
            )
            .with_help("convert the file's line ends to `\\n` or `\\r\\n` first"),
        ]);
    }
    // The file's first line break sets the line ending of what is emitted;
    // sections kept byte for byte keep theirs.
    let crlf = text
        .find('\n')
        .is_some_and(|i| i > 0 && text.as_bytes().get(i - 1) == Some(&b'\r'));
    let out = match sections {
        None => with_newline(emit_yaml(file, 0, text.len(), true)?, crlf),
        Some(parsed) => {
            let first = parsed
                .sections
                .first()
                .map_or(text.len(), |s| s.range.start);
            let mut out = text.get(..first).unwrap_or("").to_string();
            for sec in &parsed.sections {
                let (start, end) = (sec.range.start, sec.range.end);
                let raw = text.get(start..end).unwrap_or("");
                if sec.parsed {
                    let emitted = with_newline(emit_yaml(file, start, end, false)?, crlf);
                    out.push_str(&emitted);
                    // Keep one blank line after the section if it had any
                    // (and the emitted text does not end in one already,
                    // as a one-line `AGENT: Name` section's does).
                    let tail = raw.get(raw.trim_end().len()..).unwrap_or("");
                    let blank = emitted.ends_with("\n\n") || emitted.ends_with("\n\r\n");
                    if tail.matches('\n').count() >= 2 && !blank {
                        out.push_str(if crlf { "\r\n" } else { "\n" });
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

/// The offset of the first `\r` not followed by `\n`.
fn lone_cr(file: &SourceFile) -> Option<usize> {
    let b = file.text.as_bytes();
    file.has_lone_cr()
        .then(|| (0..b.len()).find(|&i| b.get(i) == Some(&b'\r') && b.get(i + 1) != Some(&b'\n')))
        .flatten()
}

/// `text` with every line break written as `\r\n` when `crlf`, else `\n`.
fn with_newline(text: String, crlf: bool) -> String {
    if crlf {
        text.replace("\r\n", "\n").replace('\n', "\r\n")
    } else {
        text.replace("\r\n", "\n")
    }
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;

    fn fmt(text: &str, kind: FileKind) -> Result<String, Vec<Diagnostic>> {
        format_text(&SourceFile::new("t", text.to_string()), kind)
    }

    /// Kore's standard layout: a blank line after each section, the
    /// one-line `AGENT: Name` included.
    #[test]
    fn kore_layout_is_canonical() {
        let text = "AGENT: E2E_Agent\n\nGOAL: \"Answer questions\"\n\nGUARDRAILS:\n  keyword_block:\n    kind: input\n    action: block\n";
        assert_eq!(fmt(text, FileKind::Agent).unwrap(), text);
        let crlf = text.replace('\n', "\r\n");
        assert_eq!(fmt(&crlf, FileKind::Agent).unwrap(), crlf);
        // Two blank lines become one.
        let two = text.replacen("\n\n", "\n\n\n", 1);
        assert_eq!(fmt(&two, FileKind::Agent).unwrap(), text);
    }

    /// A note under a rule's last field stays under it; an inline
    /// comment keeps its author's gap.
    #[test]
    fn comments_keep_their_place() {
        let text = "AGENT: A\n\nGUARDRAILS:\n  r:\n    kind: both # Kore's one space\n    action: filter\n    # Compiles to two guardrails:\n    #   r_input, r_output\n  s:\n    kind: input  # two\n    action: warn\n";
        assert_eq!(fmt(text, FileKind::Agent).unwrap(), text);
        let policy = "GUARDRAILS:\n  r:\n    kind: input\n    action: warn\n    # last note\n\n# top-level note\nPOLICY:\n  name: p\n";
        assert_eq!(fmt(policy, FileKind::Policy).unwrap(), policy);
    }

    #[test]
    fn trailing_spaces_of_a_block_scalar_are_content() {
        let text = "POLICY:\n  name: p\n  description: >-\n    a\n    b  \n  status: active\n";
        assert_eq!(fmt(text, FileKind::Policy).unwrap(), text);
    }

    #[test]
    fn keep_chomping_keeps_trailing_blank_lines() {
        for text in [
            "POLICY:\n  description: |+\n    text\n\n\n  status: active\n",
            "POLICY:\n  description: |+\n    text\n\n",
        ] {
            assert_eq!(fmt(text, FileKind::Policy).unwrap(), text);
        }
    }

    #[test]
    fn blank_lines_before_a_key_stay_before_it() {
        let text = "POLICY:\n  name: p\n\n\nGUARDRAILS:\n  a:\n    kind: input\n\n\n  b:\n    kind: input\n";
        let want =
            "POLICY:\n  name: p\n\nGUARDRAILS:\n  a:\n    kind: input\n\n  b:\n    kind: input\n";
        assert_eq!(fmt(text, FileKind::Policy).unwrap(), want);
    }

    #[test]
    fn the_first_line_break_sets_the_line_ends_of_what_is_emitted() {
        // TOOLS: is kept byte for byte, line ends included.
        let mixed = "AGENT: Bot\r\nTOOLS:\n  t() -> R\r\nGUARDRAILS:\n  a:\n    kind: input\r\n";
        let want = "AGENT: Bot\r\nTOOLS:\n  t() -> R\r\nGUARDRAILS:\r\n  a:\r\n    kind: input\r\n";
        assert_eq!(fmt(mixed, FileKind::Agent).unwrap(), want);
        let unix = "POLICY:\n  name: p\r\n  status: active\r\n";
        assert_eq!(
            fmt(unix, FileKind::Policy).unwrap(),
            "POLICY:\n  name: p\n  status: active\n"
        );
    }

    #[test]
    fn a_lone_carriage_return_is_refused_with_its_place() {
        let err = fmt("POLICY:\r  name: p\n", FileKind::Policy).unwrap_err();
        assert_eq!(err.len(), 1);
        assert_eq!(err[0].code, Code::UnsupportedYaml);
        assert_eq!(err[0].span, Span::new(7, 8));
    }

    /// A comment between a key and its value on a later line keeps the
    /// value under it, for scalars and flow collections alike.
    #[test]
    fn a_comment_between_key_and_value_keeps_the_value_below_it() {
        let text = "POLICY:\n  name: x\n  description:   # why\n      # note\n      long text\n  tags:\n    # c\n    [a,   b]\n";
        let want = "POLICY:\n  name: x\n  description:  # why\n    # note\n    long text\n  tags:\n    # c\n    [a, b]\n";
        assert_eq!(fmt(text, FileKind::Policy).unwrap(), want);
        assert_eq!(fmt(want, FileKind::Policy).unwrap(), want);
        let abl = "AGENT: X\nGUARDRAILS:\n  # c\n  tru\nPERSONA: |\n  x\n";
        assert_eq!(fmt(abl, FileKind::Agent).unwrap(), abl);
    }
}
