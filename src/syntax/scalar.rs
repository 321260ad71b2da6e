//! Scalar decoding: YAML 1.2 core-schema resolution of plain scalars, escape
//! handling and line folding of quoted scalars, and block scalar bodies.
//! Errors carry a span relative to the scalar so the caller can place them.

use super::node::Value;

/// A decoding problem: offset range inside the scalar's source text.
#[derive(Debug)]
pub struct ScalarError {
    pub start: usize,
    pub end: usize,
    pub message: String,
}

fn err(start: usize, end: usize, message: impl Into<String>) -> ScalarError {
    ScalarError {
        start,
        end,
        message: message.into(),
    }
}

/// Resolves a plain scalar the YAML 1.2 core-schema way.
pub fn resolve_plain(s: &str) -> Value {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        _ => {}
    }
    let (sign, digits) = match s.as_bytes().first() {
        Some(b'-') => (-1.0, s.get(1..).unwrap_or("")),
        Some(b'+') => (1.0, s.get(1..).unwrap_or("")),
        _ => (1.0, s),
    };
    if matches!(digits, ".inf" | ".Inf" | ".INF") {
        return Value::Float(sign * f64::INFINITY);
    }
    if let Some(oct) = s.strip_prefix("0o") {
        if !oct.is_empty() && oct.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
            if let Ok(i) = i64::from_str_radix(oct, 8) {
                return Value::Int(i);
            }
        }
        return Value::Str(s.to_string());
    }
    if let Some(hex) = s.strip_prefix("0x") {
        if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            if let Ok(i) = i64::from_str_radix(hex, 16) {
                return Value::Int(i);
            }
        }
        return Value::Str(s.to_string());
    }
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return match s.parse::<i64>() {
            Ok(i) => Value::Int(i),
            Err(_) => s
                .parse::<f64>()
                .map_or(Value::Str(s.to_string()), Value::Float),
        };
    }
    if is_core_float(digits) {
        if let Ok(f) = s.parse::<f64>() {
            return Value::Float(f);
        }
    }
    Value::Str(s.to_string())
}

/// `(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?` without the sign.
fn is_core_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let int_digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    i += int_digits;
    let mut frac_digits = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        frac_digits = b.iter().skip(i).take_while(|c| c.is_ascii_digit()).count();
        i += frac_digits;
    }
    if int_digits == 0 && frac_digits == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e') | Some(b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+') | Some(b'-')) {
            i += 1;
        }
        let exp = b.iter().skip(i).take_while(|c| c.is_ascii_digit()).count();
        if exp == 0 {
            return false;
        }
        i += exp;
    }
    i == b.len()
}

/// Joins the lines of a multi-line plain scalar: one line break becomes a
/// space, each blank line in between becomes a newline.
pub fn fold_plain(parts: &[(String, usize)]) -> String {
    let mut out = String::new();
    for (i, (text, blank_before)) in parts.iter().enumerate() {
        if i > 0 {
            if *blank_before == 0 {
                out.push(' ');
            } else {
                out.extend(std::iter::repeat_n('\n', *blank_before));
            }
        }
        out.push_str(text);
    }
    out
}

fn is_ws(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// Folds the line breaks of a quoted scalar's raw content (between the
/// quotes). `escapes` enables double-quoted escape processing.
fn fold_quoted(raw: &str, base: usize, escapes: bool) -> Result<String, ScalarError> {
    let mut out = String::new();
    // Output length that trailing-whitespace trimming may not cut below
    // (escaped characters are content, never trimmed).
    let mut floor = 0;
    let mut chars = raw.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' if escapes => {
                let Some((j, e)) = chars.next() else {
                    return Err(err(base + i, base + i + 1, "unterminated escape sequence"));
                };
                let simple = match e {
                    '0' => Some('\0'),
                    'a' => Some('\u{07}'),
                    'b' => Some('\u{08}'),
                    't' | '\t' => Some('\t'),
                    'n' => Some('\n'),
                    'v' => Some('\u{0B}'),
                    'f' => Some('\u{0C}'),
                    'r' => Some('\r'),
                    'e' => Some('\u{1B}'),
                    ' ' => Some(' '),
                    '"' => Some('"'),
                    '/' => Some('/'),
                    '\\' => Some('\\'),
                    'N' => Some('\u{85}'),
                    '_' => Some('\u{A0}'),
                    'L' => Some('\u{2028}'),
                    'P' => Some('\u{2029}'),
                    _ => None,
                };
                if let Some(s) = simple {
                    out.push(s);
                    floor = out.len();
                    continue;
                }
                let width = match e {
                    'x' => 2,
                    'u' => 4,
                    'U' => 8,
                    '\n' | '\r' => {
                        // An escaped line break joins the lines with nothing
                        // in between; each empty line after it is still a
                        // line feed (YAML 1.2 `s-double-escaped`: `l-empty*`).
                        if e == '\r' {
                            chars.next_if(|&(_, c)| c == '\n');
                        }
                        loop {
                            while chars.next_if(|&(_, c)| is_ws(c)).is_some() {}
                            match chars.peek() {
                                Some(&(_, '\n')) => {
                                    chars.next();
                                }
                                Some(&(_, '\r')) => {
                                    chars.next();
                                    chars.next_if(|&(_, c)| c == '\n');
                                }
                                _ => break,
                            }
                            out.push('\n');
                        }
                        floor = out.len();
                        continue;
                    }
                    _ => {
                        return Err(err(
                            base + i,
                            base + j + e.len_utf8(),
                            format!("invalid escape `\\{e}` in a double-quoted string"),
                        ));
                    }
                };
                let mut code = 0u32;
                for _ in 0..width {
                    match chars.next() {
                        Some((_, h)) if h.is_ascii_hexdigit() => {
                            code = code * 16 + h.to_digit(16).unwrap_or(0);
                        }
                        _ => {
                            return Err(err(
                                base + i,
                                base + j + 1,
                                format!("escape `\\{e}` needs {width} hex digits"),
                            ));
                        }
                    }
                }
                match char::from_u32(code) {
                    Some(ch) => out.push(ch),
                    None => {
                        return Err(err(
                            base + i,
                            base + j + 1 + width,
                            "escape is not a valid Unicode scalar value",
                        ));
                    }
                }
                floor = out.len();
            }
            '\'' if !escapes => {
                // Only `''` can appear inside (the grammar guarantees it).
                chars.next_if(|&(_, c)| c == '\'');
                out.push('\'');
                floor = out.len();
            }
            '\n' | '\r' => {
                if c == '\r' {
                    chars.next_if(|&(_, c)| c == '\n');
                }
                let keep = out.trim_end_matches(is_ws).len().max(floor);
                out.truncate(keep);
                let mut blank = 0;
                loop {
                    while chars.next_if(|&(_, c)| is_ws(c)).is_some() {}
                    match chars.peek() {
                        Some(&(_, '\n')) => {
                            chars.next();
                            blank += 1;
                        }
                        Some(&(_, '\r')) => {
                            chars.next();
                            chars.next_if(|&(_, c)| c == '\n');
                            blank += 1;
                        }
                        _ => break,
                    }
                }
                if blank == 0 {
                    out.push(' ');
                } else {
                    out.extend(std::iter::repeat_n('\n', blank));
                }
                floor = out.len();
            }
            _ => out.push(c),
        }
    }
    Ok(out)
}

/// Decodes `"..."` (with the quotes) into its value.
pub fn decode_double(src: &str) -> Result<String, ScalarError> {
    let inner = src.get(1..src.len().saturating_sub(1)).unwrap_or("");
    fold_quoted(inner, 1, true)
}

/// Decodes `'...'` (with the quotes) into its value.
pub fn decode_single(src: &str) -> Result<String, ScalarError> {
    let inner = src.get(1..src.len().saturating_sub(1)).unwrap_or("");
    fold_quoted(inner, 1, false)
}

/// A block scalar header: `|` or `>`, chomping and explicit indentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockHeader {
    pub folded: bool,
    pub chomp: Chomp,
    pub indent: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chomp {
    Strip,
    Clip,
    Keep,
}

impl BlockHeader {
    pub fn parse(s: &str) -> BlockHeader {
        let mut h = BlockHeader {
            folded: s.starts_with('>'),
            chomp: Chomp::Clip,
            indent: None,
        };
        for c in s.chars().skip(1) {
            match c {
                '-' => h.chomp = Chomp::Strip,
                '+' => h.chomp = Chomp::Keep,
                d => h.indent = d.to_digit(10).map(|d| d as usize),
            }
        }
        h
    }
}

/// One physical line of a block scalar body: its text (no line break), its
/// offset in the file, and whether a line break follows it.
#[derive(Debug, Clone)]
pub struct BodyLine<'a> {
    pub text: &'a str,
    pub offset: usize,
    pub has_break: bool,
}

/// Decodes a block scalar body. `parent` is the indentation of the node
/// that owns the scalar (content must be indented deeper); errors are
/// offsets into the text the lines came from. Returns the value and how
/// many lines belong to it: the rest are trailing comment lines.
pub fn decode_block(
    header: BlockHeader,
    lines: &[BodyLine<'_>],
    parent: i64,
) -> Result<(String, usize), ScalarError> {
    let leading = |t: &str| t.bytes().take_while(|&b| b == b' ').count();
    let is_blank = |t: &str| t.bytes().all(|b| b == b' ');
    let min = (parent + 1).max(0) as usize;
    let indent = match header.indent {
        Some(d) => (parent.max(0) as usize) + d,
        None => {
            let first = lines.iter().find(|l| !is_blank(l.text));
            match first {
                Some(l) => {
                    let m = leading(l.text);
                    // Leading blank lines may not be indented deeper than the first content line.
                    for b in lines.iter().take_while(|b| is_blank(b.text)) {
                        if b.text.len() > m {
                            return Err(err(
                                b.offset,
                                b.offset + b.text.len(),
                                "a leading blank line is indented deeper than the block scalar's first line",
                            ));
                        }
                    }
                    m
                }
                None => lines
                    .iter()
                    .map(|l| l.text.len())
                    .max()
                    .unwrap_or(0)
                    .max(min),
            }
        }
    };
    if indent < min {
        let off = lines.first().map_or(0, |l| l.offset);
        return Err(err(
            off,
            off,
            "block scalar content must be indented deeper than its parent",
        ));
    }
    // A less-indented comment line ends the scalar; only comments and
    // blank lines may follow it (YAML's l-trail-comments).
    let used = lines
        .iter()
        .position(|l| {
            !is_blank(l.text) && leading(l.text) < indent && l.text.trim_start().starts_with('#')
        })
        .unwrap_or(lines.len());
    for l in lines.iter().skip(used) {
        let t = l.text.trim_start_matches(' ');
        if !t.is_empty() && !t.starts_with('#') {
            return Err(err(
                l.offset,
                l.offset + l.text.len(),
                "only comments may follow a block scalar's trailing comment lines",
            ));
        }
    }
    let lines = lines.get(..used).unwrap_or(lines);
    // Content lines (None = an empty line in the chomping sense).
    let mut content: Vec<Option<&str>> = Vec::with_capacity(lines.len());
    for l in lines {
        let sp = leading(l.text);
        if is_blank(l.text) && sp <= indent {
            content.push(None);
        } else if sp >= indent {
            content.push(Some(l.text.get(indent..).unwrap_or("")));
        } else {
            return Err(err(
                l.offset,
                l.offset + sp,
                "line is indented less than the block scalar's content",
            ));
        }
    }
    let last = content.iter().rposition(Option::is_some);
    let mut out = String::new();
    if let Some(last) = last {
        let mut prev: Option<&str> = None;
        let mut empties = 0usize;
        for c in content.iter().take(last + 1) {
            match c {
                None => empties += 1,
                Some(text) => {
                    match prev {
                        None => out.extend(std::iter::repeat_n('\n', empties)),
                        Some(p) => {
                            let more = |t: &str| t.starts_with(' ') || t.starts_with('\t');
                            if !header.folded || more(p) || more(text) {
                                out.extend(std::iter::repeat_n('\n', empties + 1));
                            } else if empties > 0 {
                                out.extend(std::iter::repeat_n('\n', empties));
                            } else {
                                out.push(' ');
                            }
                        }
                    }
                    out.push_str(text);
                    prev = Some(text);
                    empties = 0;
                }
            }
        }
        let last_break = lines.get(last).is_some_and(|l| l.has_break);
        match header.chomp {
            Chomp::Strip => {}
            Chomp::Clip => {
                if last_break {
                    out.push('\n');
                }
            }
            Chomp::Keep => {
                if last_break {
                    out.push('\n');
                }
                for l in lines.iter().skip(last + 1) {
                    if l.has_break {
                        out.push('\n');
                    }
                }
            }
        }
    } else if header.chomp == Chomp::Keep {
        for l in lines {
            if l.has_break {
                out.push('\n');
            }
        }
    }
    Ok((out, used))
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
    fn core_schema() {
        assert_eq!(resolve_plain("10"), Value::Int(10));
        assert_eq!(resolve_plain("-3"), Value::Int(-3));
        assert_eq!(resolve_plain("0x1F"), Value::Int(31));
        assert_eq!(resolve_plain("0o17"), Value::Int(15));
        assert_eq!(resolve_plain("0.8"), Value::Float(0.8));
        assert_eq!(resolve_plain("1e3"), Value::Float(1000.0));
        assert_eq!(resolve_plain(".5"), Value::Float(0.5));
        assert_eq!(resolve_plain("true"), Value::Bool(true));
        assert_eq!(resolve_plain("yes"), Value::Str("yes".into()));
        assert_eq!(resolve_plain("~"), Value::Null);
        assert_eq!(resolve_plain("80%"), Value::Str("80%".into()));
        assert_eq!(resolve_plain("1.2.3"), Value::Str("1.2.3".into()));
        assert_eq!(resolve_plain("-.inf"), Value::Float(f64::NEG_INFINITY));
    }

    #[test]
    fn double_quoted_folding_and_escapes() {
        assert_eq!(decode_double("\"a\\tb\"").unwrap(), "a\tb");
        assert_eq!(decode_double("\"a  \n   b\"").unwrap(), "a b");
        assert_eq!(decode_double("\"a\n\n  b\"").unwrap(), "a\nb");
        assert_eq!(decode_double("\"a\\\n   b\"").unwrap(), "ab");
        // An escaped line break followed by empty lines keeps a line feed
        // for each (YAML 1.2 example 7.5's rule).
        assert_eq!(decode_double("\"a\\\n\n  b\"").unwrap(), "a\nb");
        assert_eq!(decode_double("\"a\\\n \n\t\n b\"").unwrap(), "a\n\nb");
        assert_eq!(decode_double("\"\\u00e9\"").unwrap(), "é");
        assert!(decode_double("\"\\q\"").is_err());
        assert_eq!(decode_single("'it''s'").unwrap(), "it's");
    }

    /// How two words of a double-quoted scalar are written apart, and
    /// what the reader must make of it (YAML 1.2 §7.3.1).
    #[derive(Debug, Clone)]
    enum Sep {
        /// Spaces, a line break and indentation: folded to one space.
        Folded(usize, usize),
        /// A line break and `n` empty lines: `n` line feeds.
        Blank(usize),
        /// `\` at a line's end and `n` empty lines: `n` line feeds, and
        /// the words joined.
        Escaped(usize),
        /// An escape written in the line.
        Tab,
    }

    use proptest::prelude::*;

    proptest! {
        #[test]
        fn double_quoted_folding_follows_the_spec(
            words in proptest::collection::vec("[a-z]{1,5}", 1..8),
            seps in proptest::collection::vec(
                proptest::prop_oneof![
                    (0usize..3, 0usize..4).prop_map(|(a, b)| Sep::Folded(a, b)),
                    (1usize..3).prop_map(Sep::Blank),
                    (0usize..3).prop_map(Sep::Escaped),
                    proptest::strategy::Just(Sep::Tab),
                ],
                8,
            ),
        ) {
            let mut src = String::from("\"");
            let mut want = String::new();
            for (i, w) in words.iter().enumerate() {
                if i > 0 {
                    match seps.get(i - 1).cloned().unwrap_or(Sep::Tab) {
                        Sep::Folded(a, b) => {
                            src.push_str(&format!("{}\n{}", " ".repeat(a), " ".repeat(b)));
                            want.push(' ');
                        }
                        Sep::Blank(n) => {
                            src.push('\n');
                            for _ in 0..n {
                                src.push_str("  \n");
                            }
                            src.push_str("  ");
                            want.push_str(&"\n".repeat(n));
                        }
                        Sep::Escaped(n) => {
                            src.push_str("\\\n");
                            for _ in 0..n {
                                src.push_str(" \n");
                            }
                            src.push_str("   ");
                            want.push_str(&"\n".repeat(n));
                        }
                        Sep::Tab => {
                            src.push_str("\\t");
                            want.push('\t');
                        }
                    }
                }
                src.push_str(w);
                want.push_str(w);
            }
            src.push('"');
            prop_assert_eq!(decode_double(&src).unwrap(), want, "{:?}", src);
        }
    }

    fn lines(text: &str) -> Vec<BodyLine<'_>> {
        let parts: Vec<&str> = text.split('\n').collect();
        let n = parts.len();
        parts
            .into_iter()
            .enumerate()
            .map(|(i, t)| BodyLine {
                text: t,
                offset: 0,
                has_break: i + 1 < n,
            })
            .collect()
    }

    #[test]
    fn block_scalars() {
        let lit = BlockHeader::parse("|");
        assert_eq!(
            decode_block(lit, &lines("  a\n  b\n\n"), 0).unwrap().0,
            "a\nb\n"
        );
        let keep = BlockHeader::parse("|+");
        assert_eq!(decode_block(keep, &lines("  a\n\n"), 0).unwrap().0, "a\n\n");
        let strip = BlockHeader::parse(">-");
        assert_eq!(
            decode_block(strip, &lines("  a\n  b\n\n  c\n"), 0)
                .unwrap()
                .0,
            "a b\nc"
        );
        let folded = BlockHeader::parse(">");
        assert_eq!(
            decode_block(folded, &lines("  a\n    x\n  b\n"), 0)
                .unwrap()
                .0,
            "a\n  x\nb\n"
        );
    }
}
