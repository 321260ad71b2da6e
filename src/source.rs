//! Source text and positions. Every value guardctl reads keeps a [`Span`]
//! into the [`SourceFile`] it came from, so any later stage (lint, compile,
//! diff, the engine) can point a user back at the exact file, line and column.

use std::sync::Arc;

/// One input text: a file on disk, standard input or a git blob.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as the user gave it (never canonicalised: diagnostics echo it).
    pub name: String,
    pub text: Arc<str>,
    /// Where each line starts. A line ends at `\n`, `\r\n` or a lone
    /// `\r`, as YAML's line breaks do, so a position reads the same in
    /// every output format and in miette's snippet headers.
    line_starts: Vec<usize>,
    /// For a text with a lone `\r`: the same text with each lone `\r`
    /// written as `\n`, byte for byte the same length, so spans stay
    /// valid. Snippets are drawn from it: miette numbers lines at a lone
    /// `\r` but prints them only where a `\n` ends them.
    snippet_text: Option<Arc<str>>,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<Arc<str>>) -> Arc<Self> {
        let text: Arc<str> = text.into();
        let bytes = text.as_bytes();
        let mut line_starts = vec![0];
        let mut lone_cr = false;
        for i in memchr::memchr2_iter(b'\n', b'\r', bytes) {
            if bytes.get(i) == Some(&b'\r') {
                if bytes.get(i + 1) == Some(&b'\n') {
                    continue;
                }
                lone_cr = true;
            }
            line_starts.push(i + 1);
        }
        let snippet_text = lone_cr.then(|| {
            // Every line but the first starts after its break: where that
            // break is a `\r`, it is a lone one (`\r\n` starts the line
            // after the `\n`).
            let mut b = bytes.to_vec();
            for &start in line_starts.iter().skip(1) {
                if let Some(c) = b.get_mut(start - 1).filter(|c| **c == b'\r') {
                    *c = b'\n';
                }
            }
            // Only ASCII bytes changed, so the text is still UTF-8.
            Arc::from(String::from_utf8(b).unwrap_or_default())
        });
        Arc::new(SourceFile {
            name: name.into(),
            text,
            line_starts,
            snippet_text,
        })
    }

    /// Whether some `\r` is not followed by `\n`.
    pub fn has_lone_cr(&self) -> bool {
        self.snippet_text.is_some()
    }

    /// The text snippets are drawn from: the text itself, or for a text
    /// with lone `\r` line breaks, the same text with `\n` in their place.
    pub fn snippet_text(&self) -> &str {
        self.snippet_text.as_deref().unwrap_or(&self.text)
    }

    /// The 0-based index of the line holding a byte offset.
    fn line_of(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&s| s <= offset).max(1) - 1
    }

    /// 1-based line and column of a byte offset; columns count characters.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_of(offset) + 1;
        let start = self.line_starts.get(line - 1).copied().unwrap_or(0);
        let col = self
            .text
            .get(start..offset)
            .map_or(0, |s| s.chars().count());
        (line, col + 1)
    }

    /// The byte range of whole lines around `start..end`: `before` lines
    /// before the line of `start` and `after` lines after the line of
    /// `end` (fewer at the ends of the text), and the 0-based index of its
    /// first line.
    pub fn lines_around(
        &self,
        start: usize,
        end: usize,
        before: usize,
        after: usize,
    ) -> (std::ops::Range<usize>, usize) {
        let first = self.line_of(start).saturating_sub(before);
        let last = self.line_of(end).saturating_add(after).saturating_add(1);
        let at = |line: usize| {
            self.line_starts
                .get(line)
                .copied()
                .unwrap_or(self.text.len())
        };
        (at(first)..at(last), first)
    }

    /// The length in bytes of the longest line among those of `start..end`
    /// and `around` lines on either side.
    pub fn longest_line(&self, start: usize, end: usize, around: usize) -> usize {
        let first = self.line_of(start).saturating_sub(around);
        let last = self.line_of(end.max(start)).saturating_add(around);
        (first..=last)
            .map_while(|l| {
                let a = *self.line_starts.get(l)?;
                let b = self
                    .line_starts
                    .get(l + 1)
                    .copied()
                    .unwrap_or(self.text.len());
                Some(b.saturating_sub(a))
            })
            .max()
            .unwrap_or(0)
    }

    /// The text of the span (empty if the span is not on char boundaries).
    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.start..span.end).unwrap_or("")
    }
}

/// A half-open byte range into a [`SourceFile`]'s text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub const fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }
    pub fn point(at: usize) -> Self {
        Span { start: at, end: at }
    }
    pub fn join(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
    pub fn shift(self, by: usize) -> Span {
        Span {
            start: self.start + by,
            end: self.end + by,
        }
    }
    pub fn len(self) -> usize {
        self.end.saturating_sub(self.start)
    }
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }
}

/// A value together with where it was written. Equality ignores the span,
/// so two IRs that differ only in layout compare equal.
#[derive(Debug, Clone)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: Span) -> Self {
        Spanned { value, span }
    }
}

/// Serialises as the bare value: spans are not part of any output format
/// except where a `source` location is emitted explicitly.
impl<T: serde::Serialize> serde::Serialize for Spanned<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(s)
    }
}

impl<T: PartialEq> PartialEq for Spanned<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters() {
        let f = SourceFile::new("x", "ab\néé: x\n");
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(3), (2, 1));
        // "éé" is 4 bytes, 2 characters.
        assert_eq!(f.line_col(7), (2, 3));
        assert_eq!(f.line_col(100), (3, 1));
    }

    /// A lone `\r` ends a line as `\n` does; `\r\n` is one break.
    #[test]
    fn lone_carriage_returns_break_lines() {
        let f = SourceFile::new("x", "a\rb\r\nc\nd");
        assert_eq!(f.line_col(2), (2, 1));
        assert_eq!(f.line_col(5), (3, 1));
        assert_eq!(f.line_col(7), (4, 1));
        assert_eq!(f.snippet_text(), "a\nb\r\nc\nd");
        let plain = SourceFile::new("y", "a\r\nb");
        assert!(!plain.has_lone_cr());
        assert_eq!(plain.snippet_text(), "a\r\nb");
    }
}
