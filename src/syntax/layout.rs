//! Indentation layout: turns the grammar's line tokens into the nested
//! [`Node`] tree, enforcing YAML's block rules (sibling keys share a
//! column, children sit deeper, continuation lines of multi-line scalars and
//! flow collections are indented past their parent). Reports junk tokens,
//! tabs in indentation and unsupported YAML with precise spans.

use std::collections::HashMap;
use std::sync::Arc;

use pest::Parser;
use pest::iterators::Pair;

use super::node::{Document, Node, Style, Value};
use super::scalar::{self, BlockHeader, BodyLine};
use super::tokens::{Item, Line, Rule, YamlGrammar, tokenize};
use crate::diagnostic::Diagnostic;
use crate::lint::registry::Code;
use crate::source::{SourceFile, Span};

/// Deepest nesting accepted (indentation levels, flow collections, dashes
/// on a line). Bounds recursion so no input can overflow the stack.
pub const MAX_DEPTH: usize = 64;

/// Most `[` and `{` left open at any point of a text, counted before the
/// grammar runs, wherever they stand: the grammar recurses into flow
/// collections, and only a count that cannot miss one bounds that before
/// parsing. Brackets in quoted text, comments and block scalars count
/// too, so the bound lies far above [`MAX_DEPTH`] (which the layout holds
/// real flow collections to) and a file whose strings leave many `[`
/// open is not mistaken for a deep one; the grammar's stack stays a small
/// fraction of any thread's at this depth.
const BRACKET_LIMIT: usize = 1024;

/// The help of every nesting error.
const NESTING_HELP: &str =
    "flatten the structure; guardctl bounds nesting so no input can exhaust its stack";

/// Reports each character YAML does not allow in a stream (controls
/// other than tab and line breaks, DEL, C1 controls but NEL, U+FFFE and
/// U+FFFF: outside YAML's `c-printable`), at most a few; true when there
/// was one. A conforming parser refuses such a file, and guardctl must
/// not read it some other way.
fn forbidden_characters(
    file: &Arc<SourceFile>,
    base: usize,
    text: &str,
    diags: &mut Vec<Diagnostic>,
) -> bool {
    const SHOWN: usize = 5;
    let bad = text.char_indices().filter(|&(_, c)| {
        matches!(c, '\0'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{7f}')
            || ('\u{80}'..='\u{9f}').contains(&c) && c != '\u{85}'
            || matches!(c, '\u{fffe}' | '\u{ffff}')
    });
    let mut found = 0;
    for (at, c) in bad {
        found += 1;
        if found > SHOWN {
            continue;
        }
        let code = u32::from(c);
        let escape = if code <= 0xff {
            format!("\\x{code:02X}")
        } else {
            format!("\\u{code:04X}")
        };
        diags.push(
            Diagnostic::new(
                Code::InvalidSyntax,
                file,
                Span::new(base + at, base + at + c.len_utf8()),
                format!("control character U+{code:04X} is not allowed in YAML"),
            )
            .with_help(format!(
                "remove it, or write it as the escape `{escape}` inside a double-quoted string"
            )),
        );
    }
    if found > SHOWN {
        diags.push(Diagnostic::new(
            Code::InvalidSyntax,
            file,
            Span::point(base),
            format!(
                "{} more control characters not allowed in YAML",
                found - SHOWN
            ),
        ));
    }
    found > 0
}

/// Parses the YAML text `file.text[base..base + len]`. Problems are pushed
/// to `diags`; the document is returned whenever a tree could be built.
pub fn parse_yaml(
    file: &Arc<SourceFile>,
    base: usize,
    len: usize,
    diags: &mut Vec<Diagnostic>,
) -> Document {
    let text = file.text.get(base..base + len).unwrap_or("");
    if let Some((at, message)) = too_deep(text) {
        diags.push(
            Diagnostic::new(Code::InvalidSyntax, file, Span::point(base + at), message)
                .with_help(NESTING_HELP),
        );
        return Document::default();
    }
    if forbidden_characters(file, base, text, diags) {
        return Document::default();
    }
    let tokens = match tokenize(text) {
        Ok(t) => t,
        Err(e) => {
            let at = match e.location {
                pest::error::InputLocation::Pos(p) => p,
                pest::error::InputLocation::Span((s, _)) => s,
            };
            diags.push(Diagnostic::new(
                Code::Internal,
                file,
                Span::point(base + at),
                "the YAML grammar rejected this text; this is a bug in guardctl",
            ));
            return Document::default();
        }
    };
    let comments = tokens
        .comments
        .iter()
        .map(|&(s, e)| Span::new(base + s, base + e))
        .collect();
    let mut layout = Layout {
        text,
        base,
        file,
        diags,
        lines: &tokens.lines,
        toks: Vec::new(),
        pos: 0,
        depth: 0,
        flow_depth: 0,
    };
    layout.collect();
    // Junk inside the tree became `Invalid` nodes; a structural error
    // leaves no tree at all.
    let root = layout.root();
    Document { root, comments }
}

/// Finds nesting the grammar must not recurse into, before it runs: more
/// than [`BRACKET_LIMIT`] open brackets, or more than [`MAX_DEPTH`]
/// dashes on one line.
fn too_deep(text: &str) -> Option<(usize, String)> {
    let mut depth: usize = 0;
    for (i, b) in text.bytes().enumerate() {
        match b {
            b'[' | b'{' => {
                depth += 1;
                if depth > BRACKET_LIMIT {
                    let message = format!(
                        "more than {BRACKET_LIMIT} `[` and `{{` are open here \
                         (counted everywhere, quoted text and comments included)"
                    );
                    return Some((i, message));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    let mut offset = 0;
    for line in text.split('\n') {
        let rest = line.trim_start_matches(' ');
        let dashes = rest.split_inclusive(' ').take_while(|w| *w == "- ").count();
        if dashes > MAX_DEPTH {
            let message = format!("sequences nest more than {MAX_DEPTH} levels deep");
            return Some((offset, message));
        }
        offset += line.len() + 1;
    }
    None
}

struct Tok<'a> {
    line: usize,
    first: bool,
    col: usize,
    item: Item<'a>,
}

struct Layout<'a, 'd> {
    text: &'a str,
    base: usize,
    file: &'d Arc<SourceFile>,
    diags: &'d mut Vec<Diagnostic>,
    lines: &'d [Line<'a>],
    toks: Vec<Tok<'a>>,
    pos: usize,
    depth: usize,
    /// Flow collections open around the one being built.
    flow_depth: usize,
}

/// A structural error was reported; parsing of this document stops.
struct Abort;

type Parsed = Result<Node, Abort>;

impl<'a> Layout<'a, '_> {
    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.base + start, self.base + end)
    }

    fn error(
        &mut self,
        code: Code,
        start: usize,
        end: usize,
        message: impl Into<String>,
        help: Option<&str>,
    ) {
        let mut d = Diagnostic::new(code, self.file, self.span(start, end), message);
        if let Some(h) = help {
            d = d.with_help(h);
        }
        self.diags.push(d);
    }

    /// Flattens lines into tokens, reporting tabs, junk and document markers.
    fn collect(&mut self) {
        let lines = self.lines;
        let mut seen_content = false;
        let mut seen_start = false;
        for (li, line) in lines.iter().enumerate() {
            let (is, ie) = line.indent;
            let mut skip_line = false;
            // Whitespace-only lines with a tab are rejected too: inside a block
            // scalar they are invalid, and nowhere are they needed.
            let blank = line.items.is_empty() && !line.has_comment;
            if !line.items.is_empty() || blank {
                if let Some(tab) = self.text.get(is..ie).and_then(|s| s.find('\t')) {
                    // The line's nesting is unknowable: report it and leave it
                    // out of the layout rather than guess a tab width.
                    skip_line = true;
                    self.error(
                        Code::TabIndentation,
                        is + tab,
                        is + tab + 1,
                        "tab character in indentation",
                        Some("indent with spaces; YAML does not allow tabs in indentation"),
                    );
                }
            }
            if skip_line {
                continue;
            }
            for (k, item) in line.items.iter().enumerate() {
                match item {
                    // A directive before the document (`%YAML 1.2`) is
                    // refused, and is neither content nor a value, so the
                    // `---` that follows it starts the one document.
                    Item::Junk { start, end }
                        if k == 0
                            && !seen_content
                            && !seen_start
                            && *start == line.start
                            && self
                                .text
                                .get(*start..*end)
                                .is_some_and(|t| t.starts_with('%')) =>
                    {
                        self.junk(*start, *end);
                        continue;
                    }
                    Item::Junk { start, end } => self.junk(*start, *end),
                    Item::DocMarker {
                        start,
                        end,
                        trailing,
                    } => {
                        let is_start = self.text.get(*start..*end) == Some("---");
                        let rest_empty = lines.iter().skip(li + 1).all(|l| l.items.is_empty());
                        if let Some((ts, te)) = trailing {
                            self.error(
                                Code::UnsupportedYaml,
                                *ts,
                                *te,
                                "content on a document marker line is not supported",
                                Some("put the content on the lines after `---`"),
                            );
                        } else if line.indent.1 > line.indent.0 {
                            self.error(
                                Code::UnsupportedYaml,
                                *start,
                                *end,
                                "document markers must start in column 1",
                                None,
                            );
                        } else if is_start && (seen_content || seen_start) {
                            self.error(
                                Code::UnsupportedYaml,
                                *start,
                                *end,
                                "multi-document streams are not supported",
                                Some("split the documents into separate files"),
                            );
                        } else if !is_start && !rest_empty {
                            self.error(
                                Code::UnsupportedYaml,
                                *start,
                                *end,
                                "content after the document end marker `...` is not supported",
                                Some("split the documents into separate files"),
                            );
                        }
                        if is_start {
                            seen_start = true;
                        } else {
                            seen_content = true;
                        }
                        continue;
                    }
                    _ => {}
                }
                seen_content = true;
                let start = item.start();
                self.toks.push(Tok {
                    line: li,
                    first: k == 0,
                    col: start.saturating_sub(line.start),
                    item: item.clone(),
                });
            }
        }
    }

    /// Explains a junk token as precisely as its first character allows.
    fn junk(&mut self, start: usize, end: usize) {
        let text = self.text.get(start..end).unwrap_or("");
        let first = text.chars().next().unwrap_or(' ');
        let unsupported = |what: &str| format!("{what} are not supported");
        match first {
            '"' | '\'' => {
                if closing_quote(text, first).is_some() {
                    self.error(Code::InvalidSyntax, start, end, "unexpected text after a quoted string", Some("quote the whole value, or start a comment with ` #`"));
                } else {
                    self.error(
                        Code::UnterminatedString,
                        start,
                        end,
                        "unterminated string",
                        Some(if first == '"' { "add the closing `\"`" } else { "add the closing `'`" }),
                    );
                }
            }
            '&' => self.error(Code::UnsupportedYaml, start, end, unsupported("anchors"), Some("write the value out in full")),
            '*' => self.error(Code::UnsupportedYaml, start, end, unsupported("aliases"), Some("write the value out in full")),
            '!' => self.error(Code::UnsupportedYaml, start, end, unsupported("tags"), Some("remove the tag; guardctl types values by their field")),
            '?' => self.error(Code::UnsupportedYaml, start, end, unsupported("complex keys (`? `)"), Some("use a plain `key: value` entry")),
            '%' => self.error(Code::UnsupportedYaml, start, end, unsupported("directives"), Some("remove the directive")),
            '@' | '`' => self.error(Code::InvalidSyntax, start, end, format!("`{first}` is reserved and cannot start a plain value"), Some("quote the value")),
            '|' | '>' => self.error(Code::InvalidSyntax, start, end, "invalid block scalar header", Some("a block scalar header is `|` or `>`, then optionally `-`/`+` and an indentation digit 1-9, then nothing but a comment")),
            '[' | '{' => self.flow_junk(start, end, first),
            '-' if text.starts_with("- ") => {
                self.error(Code::InvalidSyntax, start, end, "a list cannot start on the same line as its key", Some("start the list on the next line, indented"))
            }
            _ => {
                if text.contains(": ") || text.ends_with(':') {
                    self.error(
                        Code::InvalidSyntax,
                        start,
                        end,
                        "a mapping value is not allowed here",
                        Some("put the nested key on its own line, indented, or quote the value"),
                    );
                } else {
                    self.error(Code::InvalidSyntax, start, end, "invalid syntax", None);
                }
            }
        }
    }

    /// Re-runs the flow grammar on a failed flow collection to find where
    /// it breaks.
    fn flow_junk(&mut self, start: usize, end: usize, first: char) {
        let rest = self.text.get(start..).unwrap_or("");
        let rule = if first == '[' {
            Rule::flow_seq
        } else {
            Rule::flow_map
        };
        match YamlGrammar::parse(rule, rest) {
            Ok(mut p) => {
                let len = p.next().map_or(0, |p| p.as_str().len());
                let after = rest.get(len..).unwrap_or("").trim_start();
                if after.starts_with(':') {
                    self.error(
                        Code::UnsupportedYaml,
                        start,
                        start + len,
                        "flow collections as mapping keys are not supported",
                        Some("use a plain `key: value` entry"),
                    );
                } else {
                    self.error(
                        Code::InvalidSyntax,
                        start + len,
                        end.max(start + len),
                        "unexpected text after a flow collection",
                        None,
                    );
                }
            }
            Err(e) => {
                let at = match e.location {
                    pest::error::InputLocation::Pos(p) => p,
                    pest::error::InputLocation::Span((s, _)) => s,
                };
                let closer = if first == '[' { ']' } else { '}' };
                let crossed_line = rest.get(..at).is_some_and(|t| t.contains('\n'));
                if start + at >= self.text.len() || crossed_line {
                    self.error(
                        Code::InvalidSyntax,
                        start,
                        start + 1,
                        format!("unclosed flow collection: `{first}` has no matching `{closer}`"),
                        None,
                    );
                } else {
                    let ch = rest.get(at..).and_then(|s| s.chars().next()).unwrap_or(' ');
                    let help = format!(
                        "separate entries with `, `, close with `{closer}`; quote values that contain `,[]{{}}` or `: `"
                    );
                    self.error(
                        Code::InvalidSyntax,
                        start + at,
                        start + at + ch.len_utf8(),
                        format!(
                            "invalid flow collection: unexpected `{}`",
                            ch.escape_default()
                        ),
                        Some(&help),
                    );
                }
            }
        }
    }

    fn peek(&self) -> Option<&Tok<'a>> {
        self.toks.get(self.pos)
    }

    fn root(&mut self) -> Option<Node> {
        self.toks.first()?;
        let node = self.node(-1, false, 0).ok()?;
        if let Some(t) = self.peek() {
            let (start, col, line) = (t.item.start(), t.col, t.line);
            let end = self.line_end(line);
            let msg = if col == 0 {
                "unexpected content after the end of the document's top-level value"
            } else {
                "bad indentation: this line matches no enclosing block"
            };
            self.error(
                Code::BadIndentation,
                start,
                end,
                msg,
                Some("align it with the key or `-` it belongs to"),
            );
            return None;
        }
        Some(node)
    }

    fn line_end(&self, line: usize) -> usize {
        let start = self.lines.get(line).map_or(0, |l| l.start);
        let rest = self.text.get(start..).unwrap_or("");
        start + rest.find('\n').unwrap_or(rest.len())
    }

    /// A node owned by a parent at indentation `n` (-1 for the document).
    /// `seq_at_n` lets a mapping value be a sequence at its key's column.
    fn node(&mut self, n: i64, seq_at_n: bool, empty_at: usize) -> Parsed {
        self.depth += 1;
        let result = self.node_inner(n, seq_at_n, empty_at);
        self.depth -= 1;
        result
    }

    fn node_inner(&mut self, n: i64, seq_at_n: bool, empty_at: usize) -> Parsed {
        let empty = Node::new(Value::Null, self.span(empty_at, empty_at), Style::Empty);
        let Some(tok) = self.peek() else {
            return Ok(empty);
        };
        let (col, first, start) = (tok.col as i64, tok.first, tok.item.start());
        if self.depth > MAX_DEPTH {
            self.error(
                Code::InvalidSyntax,
                start,
                start,
                format!("blocks nest more than {MAX_DEPTH} levels deep"),
                None,
            );
            return Err(Abort);
        }
        if first && col <= n {
            if seq_at_n && col == n && matches!(tok.item, Item::Dash { .. }) {
                return self.block_seq(tok.col);
            }
            return Ok(empty);
        }
        match &tok.item {
            Item::Dash { .. } => self.block_seq(tok.col),
            Item::Key { .. } => self.block_map(tok.col),
            Item::Node { pair } => {
                let pair = pair.clone();
                self.pos += 1;
                self.value(pair, n)
            }
            Item::Junk { start, end } => {
                let span = self.span(*start, *end);
                self.pos += 1;
                Ok(Node::new(Value::Invalid, span, Style::Plain))
            }
            Item::DocMarker { .. } => {
                self.pos += 1;
                Ok(empty)
            }
        }
    }

    fn block_map(&mut self, c: usize) -> Parsed {
        let mut entries: Vec<(Node, Node)> = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut start = None;
        while let Some(tok) = self.peek() {
            let Item::Key { scalar } = &tok.item else {
                break;
            };
            let scalar = scalar.clone();
            let key_line = tok.line;
            self.pos += 1;
            let key = self.key(&scalar)?;
            start.get_or_insert(key.span.start);
            let colon = self
                .text
                .get(scalar.as_span().end()..)
                .and_then(|r| r.find(':'))
                .map_or(scalar.as_span().end(), |i| scalar.as_span().end() + i + 1);
            let inline = self.peek().is_some_and(|t| t.line == key_line);
            let value = if inline {
                self.node(c as i64, false, colon)?
            } else {
                self.node(c as i64, true, colon)?
            };
            self.push_entry(&mut entries, &mut seen, key, value);
            let sibling = |i: &Item<'_>| matches!(i, Item::Key { .. });
            if !self.continues(c, sibling, "mapping", "align sibling keys at the same column; nest only under a key with no value on its line")? {
                break;
            }
        }
        let span_start = start.unwrap_or(self.base);
        let span_end = entries
            .last()
            .map_or(span_start, |(k, v)| v.span.end.max(k.span.end));
        Ok(Node::new(
            Value::Map(entries),
            Span::new(span_start, span_end),
            Style::BlockMap,
        ))
    }

    /// After an entry of a block at column `c`: whether the next token
    /// starts a sibling entry. A line indented deeper than the block, that
    /// no entry opened, is a structural error.
    fn continues(
        &mut self,
        c: usize,
        sibling: impl Fn(&Item<'_>) -> bool,
        what: &str,
        help: &str,
    ) -> Result<bool, Abort> {
        let Some(next) = self.peek() else {
            return Ok(false);
        };
        let (ncol, nfirst, nstart, nline) = (next.col, next.first, next.item.start(), next.line);
        if !nfirst || ncol < c || (ncol == c && !sibling(&next.item)) {
            return Ok(false);
        }
        if ncol > c {
            let end = self.line_end(nline);
            let msg = format!(
                "bad indentation: this line is indented deeper than the {what} it continues"
            );
            self.error(Code::BadIndentation, nstart, end, msg, Some(help));
            return Err(Abort);
        }
        Ok(true)
    }

    /// Adds a mapping entry, or reports its key as a duplicate. Small maps
    /// are scanned; large ones get a hash index (`seen`) built on demand.
    fn push_entry(
        &mut self,
        entries: &mut Vec<(Node, Node)>,
        seen: &mut HashMap<String, usize>,
        key: Node,
        value: Node,
    ) {
        const SCAN: usize = 16;
        let dup = if entries.len() < SCAN {
            entries.iter().position(|(k, _)| k.value == key.value)
        } else {
            if seen.is_empty() {
                seen.extend(
                    entries
                        .iter()
                        .enumerate()
                        .map(|(i, (k, _))| (k.key_text(), i)),
                );
            }
            seen.get(&key.key_text()).copied()
        };
        match dup.and_then(|i| entries.get(i)) {
            Some((first, _)) => {
                let d = Diagnostic::new(
                    Code::DuplicateKey,
                    self.file,
                    key.span,
                    format!("duplicate key `{}`", key.key_text()),
                )
                .with_related(self.file, first.span, "first defined here")
                .with_help("remove one of them; most YAML loaders silently keep the last");
                self.diags.push(d);
            }
            None => {
                if !seen.is_empty() {
                    seen.insert(key.key_text(), entries.len());
                }
                entries.push((key, value));
            }
        }
    }

    fn block_seq(&mut self, c: usize) -> Parsed {
        let mut items = Vec::new();
        let mut span: Option<Span> = None;
        while let Some(tok) = self.peek() {
            let Item::Dash { start } = tok.item else {
                break;
            };
            self.pos += 1;
            let here = Span::new(self.base + start, self.base + start + 1);
            let entry = self.node(c as i64, false, start + 1)?;
            let s = here.join(entry.span);
            span = Some(span.map_or(s, |sp| sp.join(s)));
            items.push(entry);
            let sibling = |i: &Item<'_>| matches!(i, Item::Dash { .. });
            if !self.continues(
                c,
                sibling,
                "list",
                "align the `-` of every list entry at the same column",
            )? {
                break;
            }
        }
        Ok(Node::new(
            Value::Seq(items),
            span.unwrap_or_default(),
            Style::BlockSeq,
        ))
    }

    fn key(&mut self, scalar: &Pair<'a, Rule>) -> Parsed {
        let s = scalar.as_span();
        if scalar.as_str().contains('\n') {
            self.error(
                Code::InvalidSyntax,
                s.start(),
                s.end(),
                "a key must fit on one line",
                None,
            );
            return Err(Abort);
        }
        if scalar.as_str().chars().count() > 1024 {
            self.error(
                Code::InvalidSyntax,
                s.start(),
                s.end(),
                "a key may be at most 1024 characters long",
                None,
            );
            return Err(Abort);
        }
        self.scalar(scalar)
    }

    /// A scalar token (plain, quoted) decoded into a node.
    fn scalar(&mut self, pair: &Pair<'a, Rule>) -> Parsed {
        let s = pair.as_span();
        let raw = pair.as_str();
        let span = self.span(s.start(), s.end());
        let decoded = match pair.as_rule() {
            Rule::double_quoted => {
                scalar::decode_double(raw).map(|v| (Value::Str(v), Style::DoubleQuoted))
            }
            Rule::single_quoted => {
                scalar::decode_single(raw).map(|v| (Value::Str(v), Style::SingleQuoted))
            }
            _ => Ok((scalar::resolve_plain(raw), Style::Plain)),
        };
        match decoded {
            Ok((v, style)) => Ok(Node::new(v, span, style)),
            Err(e) => {
                self.error(
                    Code::InvalidSyntax,
                    s.start() + e.start,
                    s.start() + e.end,
                    e.message,
                    None,
                );
                Ok(Node::new(Value::Invalid, span, Style::DoubleQuoted))
            }
        }
    }

    /// A node token in value position: scalar, flow collection or block scalar.
    fn value(&mut self, pair: Pair<'a, Rule>, n: i64) -> Parsed {
        let s = pair.as_span();
        match pair.as_rule() {
            Rule::plain_out => self.plain_multiline(&pair, n),
            Rule::double_quoted | Rule::single_quoted => {
                self.check_continuation(s.start(), s.end(), n)?;
                self.scalar(&pair)
            }
            Rule::flow_seq | Rule::flow_map => {
                self.check_continuation(s.start(), s.end(), n)?;
                self.flow(pair)
            }
            Rule::block_scalar => self.block_scalar(pair, n),
            _ => Ok(Node::new(
                Value::Invalid,
                self.span(s.start(), s.end()),
                Style::Plain,
            )),
        }
    }

    /// Lines 2.. of a multi-line quoted scalar or flow collection must be
    /// indented deeper than the parent (and never look like a document marker).
    fn check_continuation(&mut self, start: usize, end: usize, n: i64) -> Result<(), Abort> {
        let body = self.text.get(start..end).unwrap_or("");
        let mut offset = start;
        for (i, line) in body.split('\n').enumerate() {
            let this = offset;
            offset += line.len() + 1;
            if i == 0 {
                continue;
            }
            let spaces = line.bytes().take_while(|&b| b == b' ').count();
            let rest = line
                .get(spaces..)
                .unwrap_or("")
                .trim_start_matches(['\t', '\r']);
            if rest.is_empty() {
                continue;
            }
            let marker = spaces == 0 && (line.starts_with("---") || line.starts_with("..."));
            if (spaces as i64) <= n || marker {
                self.error(
                    Code::BadIndentation,
                    this,
                    this + spaces + 1,
                    "bad indentation: a continuation line must be indented deeper than its parent",
                    Some("indent the continuation lines past the key or `-` that owns the value"),
                );
                return Err(Abort);
            }
        }
        Ok(())
    }

    /// A plain scalar, folding continuation lines indented past `n`.
    fn plain_multiline(&mut self, pair: &Pair<'a, Rule>, n: i64) -> Parsed {
        let s = pair.as_span();
        let mut parts = vec![(pair.as_str().to_string(), 0usize)];
        let mut end = s.end();
        let Some(mut line) = self.toks.get(self.pos.saturating_sub(1)).map(|t| t.line) else {
            return self.scalar(pair);
        };
        while !self.lines.get(line).is_some_and(|l| l.has_comment) {
            let Some(next) = self.peek() else { break };
            let Item::Node { pair: cand } = &next.item else {
                break;
            };
            let single = self
                .lines
                .get(next.line)
                .is_some_and(|l| l.items.len() == 1);
            if !next.first || (next.col as i64) <= n || cand.as_rule() != Rule::plain_out || !single
            {
                break;
            }
            // Only blank lines may stand between the parts.
            let between = self.lines.get(line + 1..next.line).unwrap_or(&[]);
            if between.iter().any(|l| l.has_comment || !l.items.is_empty()) {
                break;
            }
            parts.push((cand.as_str().to_string(), between.len()));
            end = cand.as_span().end();
            line = next.line;
            self.pos += 1;
        }
        if parts.len() == 1 {
            return self.scalar(pair);
        }
        let text = scalar::fold_plain(&parts);
        Ok(Node::new(
            scalar::resolve_plain(&text),
            self.span(s.start(), end),
            Style::Plain,
        ))
    }

    /// A node inside a flow collection, or the collection itself; flow
    /// collections nest at most [`MAX_DEPTH`] deep.
    fn flow(&mut self, pair: Pair<'a, Rule>) -> Parsed {
        let collection = matches!(pair.as_rule(), Rule::flow_seq | Rule::flow_map);
        if collection && self.flow_depth >= MAX_DEPTH {
            let start = pair.as_span().start();
            self.error(
                Code::InvalidSyntax,
                start,
                start,
                format!("flow collections nest more than {MAX_DEPTH} levels deep"),
                Some(NESTING_HELP),
            );
            return Err(Abort);
        }
        self.flow_depth += usize::from(collection);
        let result = self.flow_node(pair);
        self.flow_depth -= usize::from(collection);
        result
    }

    fn flow_node(&mut self, pair: Pair<'a, Rule>) -> Parsed {
        let s = pair.as_span();
        let span = self.span(s.start(), s.end());
        match pair.as_rule() {
            Rule::flow_seq => {
                let mut items = Vec::new();
                for p in pair.into_inner() {
                    if p.as_rule() != Rule::comment {
                        items.push(self.flow(p)?);
                    }
                }
                Ok(Node::new(Value::Seq(items), span, Style::FlowSeq))
            }
            Rule::flow_map => {
                let mut entries: Vec<(Node, Node)> = Vec::new();
                let mut seen: HashMap<String, usize> = HashMap::new();
                for p in pair.into_inner() {
                    if p.as_rule() != Rule::flow_pair {
                        continue;
                    }
                    let mut inner = p.into_inner().filter(|p| p.as_rule() != Rule::comment);
                    let Some(key) = inner.next().and_then(|k| k.into_inner().next()) else {
                        continue;
                    };
                    let key = self.key(&key)?;
                    let value = match inner.next() {
                        Some(v) => self.flow(v)?,
                        None => Node::new(Value::Null, Span::point(key.span.end), Style::Empty),
                    };
                    self.push_entry(&mut entries, &mut seen, key, value);
                }
                Ok(Node::new(Value::Map(entries), span, Style::FlowMap))
            }
            _ => self.scalar(&pair),
        }
    }

    fn block_scalar(&mut self, pair: Pair<'a, Rule>, n: i64) -> Parsed {
        let s = pair.as_span();
        let mut header = BlockHeader::parse("|");
        let mut lines: Vec<BodyLine<'a>> = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::block_header => header = BlockHeader::parse(p.as_str()),
                Rule::block_body => {
                    for l in p.into_inner() {
                        let ls = l.as_span();
                        let has_break = self
                            .text
                            .get(ls.end()..)
                            .is_some_and(|r| r.starts_with('\n') || r.starts_with('\r'));
                        lines.push(BodyLine {
                            text: l.as_str().trim_end_matches('\r'),
                            offset: ls.start(),
                            has_break,
                        });
                    }
                }
                _ => {}
            }
        }
        // End of input ends the last line like a line break would; an empty
        // "line" after the final break is no line at all.
        if lines
            .last()
            .is_some_and(|l| l.text.is_empty() && !l.has_break)
        {
            lines.pop();
        }
        for l in &mut lines {
            l.has_break = true;
        }
        if n < 0 && header.indent.is_some() {
            self.error(
                Code::UnsupportedYaml,
                s.start(),
                s.start() + 2,
                "an indentation indicator on a top-level block scalar is not supported",
                None,
            );
            return Err(Abort);
        }
        let style = if header.folded {
            Style::Folded
        } else {
            Style::Literal
        };
        let keep = header.chomp == scalar::Chomp::Keep;
        match scalar::decode_block(header, &lines, n) {
            Ok((text, used)) => {
                // The span ends with the last content line, its trailing
                // spaces included: they are part of the value. With `+`,
                // trailing blank lines are content too. Trailing comment
                // lines (from `used` on) are comments, not content.
                let last_line = used.checked_sub(1).and_then(|i| lines.get(i));
                let end = match last_line {
                    Some(l) if keep => l.offset + l.text.len(),
                    _ => {
                        let end = lines.get(used).map_or(s.end(), |l| l.offset);
                        self.text.get(..end).map_or(end, |t| {
                            let last = t.trim_end_matches(['\n', '\r', ' ']).len();
                            let spaces = t
                                .get(last..)
                                .map_or(0, |r| r.bytes().take_while(|&b| b == b' ').count());
                            last + spaces
                        })
                    }
                };
                Ok(Node::new(
                    Value::Str(text),
                    self.span(s.start(), end.max(s.start())),
                    style,
                ))
            }
            Err(e) => {
                self.error(
                    Code::BadIndentation,
                    e.start,
                    e.end.max(e.start),
                    e.message,
                    None,
                );
                Err(Abort)
            }
        }
    }
}

/// Offset of the quote closing a quoted scalar that starts `text`, if the
/// line closes it.
fn closing_quote(text: &str, quote: char) -> Option<usize> {
    let mut chars = text.char_indices().skip(1).peekable();
    while let Some((i, c)) = chars.next() {
        if quote == '"' && c == '\\' {
            chars.next();
        } else if c == quote {
            if quote == '\'' && chars.peek().is_some_and(|&(_, c)| c == '\'') {
                chars.next();
                continue;
            }
            return Some(i);
        }
    }
    None
}
