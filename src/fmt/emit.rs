//! The YAML emitter of the canonical layout: two-space indentation, lists
//! indented under their key, `key: value` with one space, flow collections
//! on one line as `[a, b]` / `{k: v}`, comments kept (own-line comments
//! before the entry they precede, trailing comments after one space), at
//! most one blank line where the source had any. Scalars keep their
//! written form; multi-line quoted and plain scalars become one
//! double-quoted line.

use crate::source::Span;
use crate::syntax::{Node, Style, Value};

pub struct Emitter<'a> {
    text: &'a str,
    comments: Vec<Span>,
    next: usize,
    pub out: String,
    /// Source offset of the end of the last thing emitted.
    last: usize,
}

/// Whether a whitespace-only line lies between the line of `from` and the
/// line of `to`.
fn is_blank_between(text: &str, from: usize, to: usize) -> bool {
    let Some(between) = text.get(from.min(to)..to) else {
        return false;
    };
    let mut lines = between.split('\n');
    // The rest of `from`'s line, then whole lines, then the start of `to`'s.
    lines.next();
    let mut whole = lines.collect::<Vec<_>>();
    whole.pop();
    whole.iter().any(|l| l.trim().is_empty())
}

impl<'a> Emitter<'a> {
    pub fn new(text: &'a str, mut comments: Vec<Span>, start: usize) -> Self {
        comments.sort();
        Emitter {
            text,
            comments,
            next: 0,
            out: String::new(),
            last: start,
        }
    }

    fn line_end(&self, pos: usize) -> usize {
        let rest = self.text.get(pos..).unwrap_or("");
        pos + rest.find('\n').unwrap_or(rest.len())
    }

    fn comment_text(&self, s: Span) -> &'a str {
        self.text.get(s.start..s.end).unwrap_or("#").trim_end()
    }

    /// A blank line if the source had one between the last output and `pos`.
    fn blank_before(&mut self, pos: usize) {
        if !self.out.is_empty()
            && !self.out.ends_with("\n\n")
            && is_blank_between(self.text, self.last, pos)
        {
            self.out.push('\n');
        }
    }

    /// Own-line comments that come before `pos`, at `indent`.
    pub fn leading(&mut self, pos: usize, indent: usize) {
        while let Some(c) = self.comments.get(self.next).copied() {
            if c.start >= pos {
                break;
            }
            self.blank_before(c.start);
            let text = self.comment_text(c);
            self.out.push_str(&" ".repeat(indent));
            self.out.push_str(text);
            self.out.push('\n');
            self.last = c.end;
            self.next += 1;
        }
        self.blank_before(pos);
    }

    /// The comment on the source line of `pos` (after it), if any.
    fn trailing(&mut self, pos: usize) -> Option<&'a str> {
        let end = self.line_end(pos);
        let c = self.comments.get(self.next).copied()?;
        if c.start >= pos && c.start < end {
            self.next += 1;
            self.last = self.last.max(c.end);
            Some(self.comment_text(c))
        } else {
            None
        }
    }

    /// Whether the next comment lies between `from` and `pos`.
    fn comment_before(&self, pos: usize, from: usize) -> bool {
        self.comments
            .get(self.next)
            .is_some_and(|c| c.start >= from && c.start < pos)
    }

    fn finish_line(&mut self, trailing_at: usize) {
        if let Some(t) = self.trailing(trailing_at) {
            // One space before an inline comment stays one (Kore's files
            // write them so); any other gap becomes two.
            let start = self
                .comments
                .get(self.next.wrapping_sub(1))
                .map_or(0, |c| c.start);
            let written = self
                .text
                .get(..start)
                .map_or(2, |b| b.len() - b.trim_end_matches(' ').len());
            let gap = if written == 1 { 1 } else { 2 };
            self.out.push_str(&" ".repeat(gap));
            self.out.push_str(t);
        }
        self.out.push('\n');
    }

    /// Comments inside a node that is written on one line move before it.
    fn hoist_inner(&mut self, node: &Node, indent: usize) {
        let last_line_start = self
            .text
            .get(..node.span.end)
            .map_or(0, |t| t.rfind('\n').map_or(0, |i| i + 1));
        while let Some(c) = self.comments.get(self.next).copied() {
            if c.start >= node.span.end || c.start >= last_line_start {
                break;
            }
            let text = self.comment_text(c);
            self.out.push_str(&" ".repeat(indent));
            self.out.push_str(text);
            self.out.push('\n');
            self.next += 1;
        }
    }

    /// Flushes every remaining comment before `pos` (end of a section).
    pub fn rest(&mut self, pos: usize, indent: usize) {
        self.leading(pos, indent);
    }

    /// Writes the entries of a block mapping at `indent`. `first` replaces
    /// the indentation of the first line (`- ` for a mapping in a list).
    pub fn map(&mut self, entries: &[(Node, Node)], indent: usize, mut first: Option<String>) {
        for (k, v) in entries {
            if first.is_none() {
                self.leading(k.span.start, indent);
            }
            // A value written on the key's line takes the comments inside
            // it (a multi-line flow sequence's) to before the key.
            let on_key_line = !matches!(
                (&v.value, v.style),
                (_, Style::Literal | Style::Folded | Style::Empty)
                    | (Value::Map(_), Style::BlockMap)
                    | (Value::Seq(_), Style::BlockSeq)
            ) && !self.comment_before(v.span.start, k.span.end);
            if on_key_line {
                self.hoist_inner(v, indent);
            }
            let key_col = self.column(k.span.start);
            let prefix = first.take().unwrap_or_else(|| " ".repeat(indent));
            self.out.push_str(&prefix);
            self.out.push_str(&self.inline(k));
            self.out.push(':');
            // Blank lines before the key were placed before it; none of
            // them may be found again by what follows.
            self.last = self.last.max(k.span.end);
            self.value(v, indent, k.span.end, key_col);
            self.last = self.last.max(v.span.end).max(k.span.end);
        }
        // Own-line comments right after the last entry, indented as the
        // entries are, end this mapping (a note under a rule's fields):
        // they stay with it rather than move out to the next key.
        let (Some((k0, _)), Some((kl, vl))) = (entries.first(), entries.last()) else {
            return;
        };
        let own_col = self.column(k0.span.start);
        let mut end = vl.span.end.max(kl.span.end);
        while let Some(c) = self.comments.get(self.next).copied() {
            let gap = self.text.get(end..c.start).unwrap_or("x");
            if c.start < end || !gap.trim().is_empty() || self.column(c.start) < own_col {
                break;
            }
            self.blank_before(c.start);
            self.out.push_str(&" ".repeat(indent));
            self.out.push_str(self.comment_text(c));
            self.out.push('\n');
            self.last = c.end;
            self.next += 1;
            end = c.end;
        }
    }

    /// Writes a value after `key:` (or `-`), on this line or the next ones.
    fn value(&mut self, v: &Node, indent: usize, after: usize, key_col: usize) {
        match (&v.value, v.style) {
            (Value::Map(entries), Style::BlockMap) if !entries.is_empty() => {
                self.finish_line(after);
                self.map(entries, indent + 2, None);
            }
            (Value::Seq(items), Style::BlockSeq) if !items.is_empty() => {
                self.finish_line(after);
                self.seq(items, indent + 2);
            }
            (_, Style::Literal | Style::Folded) => {
                self.out.push(' ');
                // An indentation indicator counts from the key's column.
                self.block_scalar(v, indent, key_col);
            }
            (_, Style::Empty) => self.finish_line(after),
            // Comments between the key and a value on a later line: the
            // value stays on its own line, under them, so they keep their
            // order and the key line its own trailing comment.
            _ if self.comment_before(v.span.start, after) => {
                self.finish_line(after);
                self.leading(v.span.start, indent + 2);
                self.hoist_inner(v, indent + 2);
                self.out.push_str(&" ".repeat(indent + 2));
                self.out.push_str(&self.inline(v));
                self.finish_line(v.span.end);
            }
            _ => {
                self.hoist_inner(v, indent);
                self.out.push(' ');
                self.out.push_str(&self.inline(v));
                self.finish_line(v.span.end);
            }
        }
    }

    pub fn seq(&mut self, items: &[Node], indent: usize) {
        for item in items {
            self.leading(item.span.start, indent);
            self.last = self.last.max(item.span.start);
            let dash = format!("{}- ", " ".repeat(indent));
            match (&item.value, item.style) {
                (Value::Map(entries), Style::BlockMap) if !entries.is_empty() => {
                    self.map(entries, indent + 2, Some(dash))
                }
                (Value::Seq(inner), Style::BlockSeq) if !inner.is_empty() => {
                    self.out.push_str(&dash);
                    self.out.truncate(self.out.trim_end_matches(' ').len());
                    self.out.push('\n');
                    self.seq(inner, indent + 2);
                }
                (_, Style::Empty) => {
                    self.out.push_str(dash.trim_end());
                    self.finish_line(item.span.start);
                }
                (_, Style::Literal | Style::Folded) => {
                    self.out.push_str(dash.trim_end());
                    self.out.push(' ');
                    let dash_at = self
                        .text
                        .get(..item.span.start)
                        .and_then(|t| t.rfind('-'))
                        .unwrap_or(item.span.start);
                    let old_parent = self.column(dash_at);
                    self.block_scalar(item, indent, old_parent);
                }
                _ => {
                    self.hoist_inner(item, indent);
                    self.out.push_str(&dash);
                    self.out.push_str(&self.inline(item));
                    self.finish_line(item.span.end);
                }
            }
            self.last = self.last.max(item.span.end);
        }
    }

    /// Column (bytes from line start) of a source offset.
    fn column(&self, pos: usize) -> usize {
        let start = self
            .text
            .get(..pos)
            .map_or(0, |t| t.rfind('\n').map_or(0, |i| i + 1));
        pos.saturating_sub(start)
    }

    /// A block scalar re-indented to `indent + 2` (or its explicit
    /// indentation indicator), header and body otherwise as written.
    fn block_scalar(&mut self, v: &Node, indent: usize, old_parent: usize) {
        let raw = self.text.get(v.span.start..v.span.end).unwrap_or("");
        let (header_line, body) = match raw.find('\n') {
            Some(i) => (raw.get(..i).unwrap_or(""), raw.get(i + 1..).unwrap_or("")),
            None => (raw, ""),
        };
        let header: String = header_line
            .split('#')
            .next()
            .unwrap_or("")
            .trim()
            .to_string();
        let explicit = header
            .chars()
            .find_map(|c| c.to_digit(10))
            .map(|d| d as usize);
        self.out.push_str(&header);
        self.finish_line(v.span.start);
        // A scalar with no line after its header (`|+` before the next
        // key) has no body lines at all, not one empty line.
        let lines: Vec<&str> = if body.is_empty() {
            Vec::new()
        } else {
            body.split('\n').map(|l| l.trim_end_matches('\r')).collect()
        };
        let leading = |t: &str| t.bytes().take_while(|&b| b == b' ').count();
        // An indentation indicator is relative to the parent's column.
        let old = match explicit {
            Some(d) => old_parent + d,
            None => lines
                .iter()
                .find(|l| !l.trim().is_empty())
                .map_or(0, |l| leading(l)),
        };
        let new = indent + explicit.unwrap_or(2);
        for l in &lines {
            // Empty is spaces only: a tab after the indentation is content.
            if l.bytes().all(|b| b == b' ') && leading(l) <= old {
                self.out.push('\n');
            } else {
                self.out.push_str(&" ".repeat(new));
                self.out.push_str(l.get(old..).unwrap_or(""));
                self.out.push('\n');
            }
        }
        self.last = v.span.end;
    }

    /// A node written on one line.
    pub fn inline(&self, n: &Node) -> String {
        let raw = self.text.get(n.span.start..n.span.end).unwrap_or("");
        match (&n.value, n.style) {
            (Value::Seq(items), _) => format!(
                "[{}]",
                items
                    .iter()
                    .map(|i| self.inline(i))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            (Value::Map(entries), _) => {
                format!(
                    "{{{}}}",
                    entries
                        .iter()
                        .map(|(k, v)| self.inline_pair(k, v))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
            (_, Style::Empty) => String::new(),
            (
                Value::Str(s),
                Style::Plain
                | Style::SingleQuoted
                | Style::DoubleQuoted
                | Style::Literal
                | Style::Folded,
            ) if raw.contains('\n') => serde_json::to_string(s).unwrap_or_default(),
            // Only YAML's white space (space, tab) surrounds a value: a
            // no-break space at its edge is content.
            _ => raw.trim_matches([' ', '\t']).to_string(),
        }
    }

    fn inline_pair(&self, k: &Node, v: &Node) -> String {
        match v.style {
            Style::Empty => self.inline(k),
            _ => format!("{}: {}", self.inline(k), self.inline(v)),
        }
    }
}
