//! CEL text → [`Expr`], via `grammar/cel.pest`. Errors name what was
//! expected in words and carry a span inside the expression text.

use pest::Parser;
use pest::iterators::Pair;

use super::ast::{BinaryOp, Expr, ExprKind, UnaryOp};
use crate::source::Span;

#[derive(pest_derive::Parser)]
#[grammar = "grammar/cel.pest"]
struct CelGrammar;

/// Deepest bracket nesting accepted; keeps the recursive parser's stack bounded.
pub const MAX_NESTING: usize = 48;

/// Longest run of operators (or of `.`/`[]`/call suffixes) in one chain.
pub const MAX_CHAIN: usize = 256;

/// Deepest syntax tree accepted, so that every later walk (checker,
/// evaluator, drop) recurses a bounded amount.
pub const MAX_DEPTH: usize = 256;

#[derive(Debug, Clone, PartialEq)]
pub struct CelError {
    pub span: Span,
    pub message: String,
}

fn fail<T>(span: Span, message: impl Into<String>) -> Result<T, CelError> {
    Err(CelError {
        span,
        message: message.into(),
    })
}

/// Parses one CEL expression.
pub fn parse(text: &str) -> Result<Expr, CelError> {
    check_nesting(text)?;
    let mut pairs = CelGrammar::parse(Rule::cel, text).map_err(|e| convert(&e, text))?;
    let Some(cel) = pairs.next() else {
        return fail(Span::default(), "empty expression");
    };
    let Some(expr) = cel.into_inner().next() else {
        return fail(Span::default(), "empty expression");
    };
    let mut expr = lower_expr(expr)?;
    if expr.depth() > MAX_DEPTH {
        return fail(
            expr.span,
            format!("expression nests more than {MAX_DEPTH} levels deep; split it"),
        );
    }
    super::aliases::canonical(&mut expr);
    Ok(expr)
}

/// Longest expression accepted, in bytes (guardrail checks are short; the
/// bound keeps the parser's memory small on hostile input).
pub const MAX_LEN: usize = 64 * 1024;

fn check_nesting(text: &str) -> Result<(), CelError> {
    if text.len() > MAX_LEN {
        return fail(
            Span::new(0, 0),
            format!("expression is longer than {} KiB", MAX_LEN / 1024),
        );
    }
    // Brackets and operators inside string literals nest nothing.
    let code = outside_literals(text.as_bytes());
    let mut depth = 0usize;
    for (i, &c) in code.iter().enumerate() {
        match c {
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return fail(
                        Span::new(i, i + 1),
                        format!("expression nests more than {MAX_NESTING} levels deep"),
                    );
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    // Long chains of unary operators recurse too.
    let run = code
        .split(|&c| c != b'!' && c != b'-')
        .map(<[u8]>::len)
        .max()
        .unwrap_or(0);
    if run > MAX_NESTING {
        return fail(
            Span::default(),
            format!("more than {MAX_NESTING} unary operators in a row"),
        );
    }
    Ok(())
}

/// `text` with the insides of its string and bytes literals and of its
/// backquoted field names blanked out (same length, so offsets hold). It
/// reads them as the grammar does: a quote (one or three) opens a literal
/// that the same quote closes, a backslash escapes the next character,
/// and a one-quote literal ends at a line break. A literal left open
/// blanks the rest, which the parser then refuses.
fn outside_literals(text: &[u8]) -> Vec<u8> {
    let mut out = text.to_vec();
    let mut i = 0;
    while let Some(&c) = text.get(i) {
        let (close, single_line): (&[u8], bool) = match c {
            b'`' => (b"`", false),
            b'"' | b'\'' if text.get(i..i + 3) == Some(&[c, c, c][..]) => {
                (if c == b'"' { b"\"\"\"" } else { b"\'\'\'" }, false)
            }
            b'"' => (b"\"", true),
            b'\'' => (b"'", true),
            _ => {
                i += 1;
                continue;
            }
        };
        let mut j = i + close.len();
        loop {
            match text.get(j) {
                None => break,
                Some(b'\\') if c != b'`' => j += 2,
                Some(b'\n' | b'\r') if single_line => break,
                Some(_) if text.get(j..j + close.len()) == Some(close) => break,
                Some(_) => j += 1,
            }
        }
        let end = j.min(text.len());
        for b in out.get_mut(i + close.len()..end).into_iter().flatten() {
            *b = b' ';
        }
        i = end + close.len();
    }
    out
}

fn rule_words(rule: &Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::EOI => "end of expression",
        Rule::expr
        | Rule::disjunction
        | Rule::conjunction
        | Rule::relation
        | Rule::addition
        | Rule::multiplication
        | Rule::unary
        | Rule::member
        | Rule::primary => "an expression",
        Rule::or_op | Rule::and_op | Rule::rel_op | Rule::add_op | Rule::mul_op | Rule::in_kw => {
            "an operator"
        }
        Rule::cond_op => "`?`",
        Rule::cond_else => "`:`",
        Rule::suffix | Rule::select | Rule::index | Rule::opt_select | Rule::opt_index => {
            "`.`, `[`"
        }
        Rule::call_args => "`(`",
        Rule::field_name | Rule::ident | Rule::ident_expr => "a name",
        Rule::literal | Rule::string_lit | Rule::int_lit | Rule::double_lit => "a literal",
        _ => return None,
    })
}

fn convert(e: &pest::error::Error<Rule>, text: &str) -> CelError {
    let at = match e.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    };
    let found = text.get(at..).and_then(|s| s.chars().next());
    let end = at + found.map_or(0, char::len_utf8);
    let mut expected: Vec<&str> = match &e.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => {
            positives.iter().filter_map(rule_words).collect()
        }
        pest::error::ErrorVariant::CustomError { .. } => Vec::new(),
    };
    expected.sort_unstable();
    expected.dedup();
    let found_words = match found {
        None => "end of expression".to_string(),
        Some(c) => format!("`{}`", c.escape_default()),
    };
    // A quote that never closes is the common case worth naming.
    let unclosed_quote = text.get(at..).is_some_and(|rest| {
        (rest.starts_with('"') || rest.starts_with('\''))
            && !rest
                .get(1..)
                .unwrap_or("")
                .contains(rest.chars().next().unwrap_or('"'))
    });
    let message = if unclosed_quote {
        "unterminated string literal".to_string()
    } else if expected.is_empty() {
        format!("unexpected {found_words}")
    } else {
        format!(
            "unexpected {found_words}, expected {}",
            expected.join(" or ")
        )
    };
    CelError {
        span: Span::new(at, end),
        message,
    }
}

fn span_of(p: &Pair<'_, Rule>) -> Span {
    let s = p.as_span();
    Span::new(s.start(), s.end())
}

fn mk(kind: ExprKind, span: Span) -> Expr {
    Expr { kind, span }
}

fn lower_expr(p: Pair<'_, Rule>) -> Result<Expr, CelError> {
    let span = span_of(&p);
    match p.as_rule() {
        Rule::expr => {
            let mut inner = p.into_inner();
            let Some(first) = inner.next() else {
                return fail(span, "empty expression");
            };
            let cond = lower_expr(first)?;
            let rest: Vec<_> = inner
                .filter(|p| !matches!(p.as_rule(), Rule::cond_op | Rule::cond_else))
                .collect();
            match <[_; 2]>::try_from(rest) {
                Ok([then, otherwise]) => Ok(mk(
                    ExprKind::Conditional {
                        cond: Box::new(cond),
                        then: Box::new(lower_expr(then)?),
                        otherwise: Box::new(lower_expr(otherwise)?),
                    },
                    span,
                )),
                Err(_) => Ok(cond),
            }
        }
        Rule::disjunction
        | Rule::conjunction
        | Rule::relation
        | Rule::addition
        | Rule::multiplication => {
            let mut inner = p.into_inner();
            let Some(first) = inner.next() else {
                return fail(span, "empty expression");
            };
            let mut acc = lower_expr(first)?;
            // Each operator deepens the (left-nested) tree by one.
            if inner.len() > 2 * MAX_CHAIN {
                return fail(
                    span,
                    format!("more than {MAX_CHAIN} operators in a row; split the expression"),
                );
            }
            while let (Some(op), Some(rhs)) = (inner.next(), inner.next()) {
                let op = match op.as_str().trim() {
                    "||" => BinaryOp::Or,
                    "&&" => BinaryOp::And,
                    "==" => BinaryOp::Eq,
                    "!=" => BinaryOp::Ne,
                    "<" => BinaryOp::Lt,
                    "<=" => BinaryOp::Le,
                    ">" => BinaryOp::Gt,
                    ">=" => BinaryOp::Ge,
                    "in" => BinaryOp::In,
                    "+" => BinaryOp::Add,
                    "-" => BinaryOp::Sub,
                    "*" => BinaryOp::Mul,
                    "/" => BinaryOp::Div,
                    _ => BinaryOp::Rem,
                };
                let rhs = lower_expr(rhs)?;
                let s = acc.span.join(rhs.span);
                acc = mk(
                    ExprKind::Binary {
                        op,
                        lhs: Box::new(acc),
                        rhs: Box::new(rhs),
                    },
                    s,
                );
            }
            Ok(acc)
        }
        Rule::unary => {
            let mut inner = p.into_inner();
            let Some(first) = inner.next() else {
                return fail(span, "empty expression");
            };
            match first.as_rule() {
                Rule::not_ops | Rule::neg_ops => {
                    let count = first
                        .as_str()
                        .chars()
                        .filter(|c| *c == '!' || *c == '-')
                        .count();
                    let op = if first.as_rule() == Rule::not_ops {
                        UnaryOp::Not
                    } else {
                        UnaryOp::Neg
                    };
                    let Some(operand) = inner.next() else {
                        return fail(span, "missing operand");
                    };
                    let operand_text = operand.as_str().trim();
                    let mut remaining = count;
                    // `-9223372036854775808` only exists as a negated literal.
                    let negated_int = (op == UnaryOp::Neg
                        && !operand_text.is_empty()
                        && operand_text.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| format!("-{operand_text}").parse::<i64>().ok())
                    .flatten();
                    let mut e = match negated_int {
                        Some(v) => {
                            remaining -= 1;
                            mk(ExprKind::Int(v), span)
                        }
                        None => lower_expr(operand)?,
                    };
                    if op == UnaryOp::Neg && negated_int.is_none() {
                        if let ExprKind::Double(d) = e.kind {
                            e = mk(ExprKind::Double(-d), span);
                            remaining -= 1;
                        }
                    }
                    for _ in 0..remaining {
                        e = mk(
                            ExprKind::Unary {
                                op,
                                operand: Box::new(e),
                            },
                            span,
                        );
                    }
                    Ok(e)
                }
                _ => lower_expr(first),
            }
        }
        Rule::member => {
            let mut inner = p.into_inner();
            let Some(first) = inner.next() else {
                return fail(span, "empty expression");
            };
            let mut acc = lower_expr(first)?;
            if inner.len() > MAX_CHAIN {
                return fail(
                    span,
                    format!("more than {MAX_CHAIN} selections, calls or indexes in a row"),
                );
            }
            for suffix in inner {
                let Some(s) = suffix.into_inner().next() else {
                    continue;
                };
                let s_span = acc.span.join(span_of(&s));
                let rule = s.as_rule();
                let mut parts = s.into_inner();
                acc = match rule {
                    Rule::select | Rule::opt_select => {
                        let field = parts
                            .next()
                            .map(|f| field_text(f.as_str()))
                            .unwrap_or_default();
                        match parts.next() {
                            Some(args) => mk(
                                ExprKind::Call {
                                    target: Some(Box::new(acc)),
                                    function: field,
                                    args: lower_args(args)?,
                                },
                                s_span,
                            ),
                            None => mk(
                                ExprKind::Select {
                                    operand: Box::new(acc),
                                    field,
                                    optional: rule == Rule::opt_select,
                                },
                                s_span,
                            ),
                        }
                    }
                    _ => {
                        let Some(idx) = parts.next() else {
                            return fail(s_span, "missing index");
                        };
                        mk(
                            ExprKind::Index {
                                operand: Box::new(acc),
                                index: Box::new(lower_expr(idx)?),
                                optional: rule == Rule::opt_index,
                            },
                            s_span,
                        )
                    }
                };
            }
            Ok(acc)
        }
        Rule::primary => match p.into_inner().next() {
            Some(inner) => lower_expr(inner),
            None => fail(span, "empty expression"),
        },
        Rule::paren => match p.into_inner().next() {
            Some(inner) => lower_expr(inner),
            None => fail(span, "empty parentheses"),
        },
        Rule::ident_expr => {
            let mut leading_dot = false;
            let mut name = String::new();
            for part in p.into_inner() {
                match part.as_rule() {
                    Rule::leading_dot => leading_dot = true,
                    _ => name = part.as_str().to_string(),
                }
            }
            Ok(mk(ExprKind::Ident { name, leading_dot }, span))
        }
        Rule::global_call => {
            let mut name = String::new();
            let mut args = Vec::new();
            for part in p.into_inner() {
                match part.as_rule() {
                    Rule::ident => name = part.as_str().to_string(),
                    Rule::call_args => args = lower_args(part)?,
                    _ => {}
                }
            }
            Ok(mk(
                ExprKind::Call {
                    target: None,
                    function: name,
                    args,
                },
                span,
            ))
        }
        Rule::struct_init => {
            let mut type_name = String::new();
            let mut fields = Vec::new();
            for part in p.into_inner() {
                match part.as_rule() {
                    Rule::leading_dot => type_name.push('.'),
                    Rule::ident => {
                        if !type_name.is_empty() && !type_name.ends_with('.') {
                            type_name.push('.');
                        }
                        type_name.push_str(part.as_str());
                    }
                    Rule::field_init => {
                        let mut f = part.into_inner().filter(|x| x.as_rule() != Rule::opt_mark);
                        let (Some(name), Some(value)) = (f.next(), f.next()) else {
                            continue;
                        };
                        fields.push((field_text(name.as_str()), lower_expr(value)?));
                    }
                    _ => {}
                }
            }
            Ok(mk(ExprKind::Struct { type_name, fields }, span))
        }
        Rule::list => {
            let mut items = Vec::new();
            for item in p.into_inner() {
                if let Some(e) = item.into_inner().find(|x| x.as_rule() == Rule::expr) {
                    items.push(lower_expr(e)?);
                }
            }
            Ok(mk(ExprKind::List(items), span))
        }
        Rule::map => {
            let mut entries = Vec::new();
            for entry in p.into_inner() {
                let mut e = entry.into_inner().filter(|x| x.as_rule() == Rule::expr);
                let (Some(k), Some(v)) = (e.next(), e.next()) else {
                    continue;
                };
                entries.push((lower_expr(k)?, lower_expr(v)?));
            }
            Ok(mk(ExprKind::Map(entries), span))
        }
        Rule::literal => match p.into_inner().next() {
            Some(lit) => lower_literal(lit),
            None => fail(span, "empty literal"),
        },
        _ => fail(span, "unexpected syntax"),
    }
}

fn field_text(s: &str) -> String {
    s.trim_matches('`').to_string()
}

fn lower_args(p: Pair<'_, Rule>) -> Result<Vec<Expr>, CelError> {
    p.into_inner().map(lower_expr).collect()
}

fn lower_literal(p: Pair<'_, Rule>) -> Result<Expr, CelError> {
    let span = span_of(&p);
    let text = p.as_str();
    let kind = match p.as_rule() {
        Rule::bool_lit => ExprKind::Bool(text == "true"),
        Rule::null_lit => ExprKind::Null,
        Rule::int_lit => {
            let parsed = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
                Some(hex) => i64::from_str_radix(hex, 16),
                None => text.parse::<i64>(),
            };
            match parsed {
                Ok(v) => ExprKind::Int(v),
                Err(_) => return fail(span, format!("integer literal `{text}` is out of range")),
            }
        }
        Rule::uint_lit => {
            let digits = text.trim_end_matches(['u', 'U']);
            let parsed = match digits
                .strip_prefix("0x")
                .or_else(|| digits.strip_prefix("0X"))
            {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => digits.parse::<u64>(),
            };
            match parsed {
                Ok(v) => ExprKind::Uint(v),
                Err(_) => return fail(span, format!("unsigned literal `{text}` is out of range")),
            }
        }
        Rule::double_lit => match text.parse::<f64>() {
            Ok(v) => ExprKind::Double(v),
            Err(_) => return fail(span, format!("invalid number `{text}`")),
        },
        Rule::string_lit => {
            let raw = text.starts_with(['r', 'R']);
            let body = if raw {
                text.get(1..).unwrap_or("")
            } else {
                text
            };
            let bytes = unquote(body, raw, false).map_err(|(o, m)| CelError {
                span: Span::new(span.start + o, span.start + o + 1),
                message: m,
            })?;
            match String::from_utf8(bytes) {
                Ok(s) => ExprKind::String(s.into()),
                Err(_) => return fail(span, "string literal is not valid UTF-8"),
            }
        }
        Rule::bytes_lit => {
            let lower = text.to_ascii_lowercase();
            let raw = lower.starts_with("rb") || lower.starts_with("br");
            let skip = if raw { 2 } else { 1 };
            let body = text.get(skip..).unwrap_or("");
            let bytes = unquote(body, raw, true).map_err(|(o, m)| CelError {
                span: Span::new(span.start + o, span.start + o + 1),
                message: m,
            })?;
            ExprKind::Bytes(bytes)
        }
        _ => return fail(span, "unknown literal"),
    };
    Ok(mk(kind, span))
}

/// Decodes a quoted CEL string (with its quotes) into bytes.
fn unquote(text: &str, raw: bool, bytes: bool) -> Result<Vec<u8>, (usize, String)> {
    let q = if text.starts_with("\"\"\"") || text.starts_with("'''") {
        3
    } else {
        1
    };
    let inner = text.get(q..text.len().saturating_sub(q)).unwrap_or("");
    if raw {
        return Ok(inner.as_bytes().to_vec());
    }
    let mut out = Vec::with_capacity(inner.len());
    let mut chars = inner.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        let pos = i + q;
        let Some((_, e)) = chars.next() else {
            return Err((pos, "unterminated escape".into()));
        };
        let simple = match e {
            'a' => Some(7u8),
            'b' => Some(8),
            'f' => Some(12),
            'n' => Some(b'\n'),
            'r' => Some(b'\r'),
            't' => Some(b'\t'),
            'v' => Some(11),
            '\\' => Some(b'\\'),
            '\'' => Some(b'\''),
            '"' => Some(b'"'),
            '`' => Some(b'`'),
            '?' => Some(b'?'),
            _ => None,
        };
        if let Some(b) = simple {
            out.push(b);
            continue;
        }
        let (radix, width, is_byte) = match e {
            'x' | 'X' => (16, 2, bytes),
            'u' => (16, 4, false),
            'U' => (16, 8, false),
            '0'..='3' => (8, 2, bytes),
            _ => return Err((pos, format!("invalid escape `\\{e}`"))),
        };
        let mut digits = String::new();
        if radix == 8 {
            digits.push(e);
        }
        for _ in 0..width {
            match chars.next() {
                Some((_, d)) if d.is_digit(radix) => digits.push(d),
                _ => return Err((pos, format!("escape `\\{e}` is too short"))),
            }
        }
        let Ok(code) = u32::from_str_radix(&digits, radix) else {
            return Err((pos, "invalid escape".into()));
        };
        if is_byte {
            out.push((code & 0xff) as u8);
        } else {
            if (0xD800..0xE000).contains(&code) {
                return Err((pos, "escape encodes a surrogate, not a character".into()));
            }
            let Some(ch) = char::from_u32(code) else {
                return Err((pos, "escape is not a valid character".into()));
            };
            let mut buf = [0u8; 4];
            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
        }
    }
    Ok(out)
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

    /// Brackets and dashes inside literals are text, not nesting; outside
    /// them, past a closed literal or an escaped quote, they still count.
    #[test]
    fn nesting_is_counted_outside_literals() {
        let many = |c: &str| c.repeat(MAX_NESTING + 10);
        for inside in [many("("), many("["), many("-"), many("!")] {
            for quoted in [
                format!("'{inside}'"),
                format!("\"{inside}\""),
                format!("r'{inside}'"),
                format!("b\"{inside}\""),
                format!("'''a'{inside}\n'''"),
                format!("\"\"\"{inside}\"\"\""),
            ] {
                let text = format!("text.contains({quoted})");
                assert!(parse(&text).is_ok(), "{text}: {:?}", parse(&text));
            }
        }
        let deep = format!("{}true{}", many("("), many(")"));
        for text in [
            format!("'a' == 'a' && {deep}"),
            format!("'\\'' == 'a' && {deep}"),
            format!("a.`b(` && {deep}"),
        ] {
            let e = parse(&text).unwrap_err();
            assert!(e.message.contains("nests more than"), "{text}: {e:?}");
        }
        // A one-quote literal ends at a line break; one left open blanks
        // the rest, which the parser refuses.
        assert!(parse(&format!("'a\n {deep}")).is_err());
        assert!(parse(&format!("'''open {deep}")).is_err());
        assert_eq!(
            outside_literals(br#"a('(b)') + "\"[" + `c(`"#),
            br#"a('   ') + "   " + `  `"#.to_vec()
        );
    }

    #[test]
    fn precedence_and_calls() {
        let e = parse("a || b && !c.contains('x')").unwrap();
        assert!(matches!(
            e.kind,
            ExprKind::Binary {
                op: BinaryOp::Or,
                ..
            }
        ));
        let e = parse("-9223372036854775808").unwrap();
        assert_eq!(e.kind, ExprKind::Int(i64::MIN));
        let e = parse("x ? 1 : y ? 2 : 3").unwrap();
        assert!(matches!(e.kind, ExprKind::Conditional { .. }));
        assert!(parse("[1, 2,]").is_ok());
        assert!(parse("{'a': 1}.a").is_ok());
        assert!(parse("google.protobuf.Int64Value{value: 1}").is_ok());
        assert_eq!(parse("'\\x41'").unwrap().kind, ExprKind::String("A".into()));
    }

    #[test]
    fn errors_have_spans() {
        let e = parse("a &&").unwrap_err();
        assert_eq!(e.span.start, 4);
        let e = parse("size(x").unwrap_err();
        assert!(e.message.contains("expected"), "{}", e.message);
        let e = parse("'abc").unwrap_err();
        assert_eq!(e.message, "unterminated string literal");
        assert!(parse(&"(".repeat(500)).is_err());
        assert!(
            parse(&format!("{}true", "a && ".repeat(300)))
                .unwrap_err()
                .message
                .contains("operators in a row")
        );
        assert!(
            parse(&format!("{}2", "true ? 1 : ".repeat(300)))
                .unwrap_err()
                .message
                .contains("levels deep")
        );
        assert!(parse(&format!("x{}", ".y".repeat(300))).is_err());
        assert!(
            parse(&"1 + ".repeat(20_000))
                .unwrap_err()
                .message
                .contains("KiB")
        );
        assert_eq!(parse("((a.b[0]))").unwrap().depth(), 3);
    }
}
