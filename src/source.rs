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
    line_starts: Vec<usize>,
    /// Whether a `\r` stands without a `\n` after it: a line break to
    /// some readers (miette's snippets), not to the line index.
    lone_cr: bool,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<Arc<str>>) -> Arc<Self> {
        let text: Arc<str> = text.into();
        let mut line_starts = vec![0];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                line_starts.push(i + 1);
            }
        }
        let lone_cr = memchr::memchr_iter(b'\r', text.as_bytes())
            .any(|i| text.as_bytes().get(i + 1) != Some(&b'\n'));
        Arc::new(SourceFile {
            name: name.into(),
            text,
            line_starts,
            lone_cr,
        })
    }

    /// Whether some `\r` is not followed by `\n`.
    pub fn has_lone_cr(&self) -> bool {
        self.lone_cr
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
    /// first line. Lines end at `\n`.
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
}
