//! A CEL syntax tree back to CEL text: the form every target writes once
//! it has rewritten a tree (Kore's `abl.` prefix, a negated check). Only
//! the parentheses the grammar needs are written, so the text parses back
//! to the same tree (a property test holds the round trip).

use super::ast::{BinaryOp, Expr, ExprKind, UnaryOp};

/// Binding strength, loosest first.
fn precedence(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Conditional { .. } => 0,
        ExprKind::Binary { op, .. } => binary_precedence(*op),
        ExprKind::Unary { .. } => 6,
        _ => 7,
    }
}

fn binary_precedence(op: BinaryOp) -> u8 {
    match op {
        BinaryOp::Or => 1,
        BinaryOp::And => 2,
        BinaryOp::Eq
        | BinaryOp::Ne
        | BinaryOp::Lt
        | BinaryOp::Le
        | BinaryOp::Gt
        | BinaryOp::Ge
        | BinaryOp::In => 3,
        BinaryOp::Add | BinaryOp::Sub => 4,
        BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => 5,
    }
}

/// The expression as CEL text.
pub fn print(e: &Expr) -> String {
    let mut out = String::new();
    write(e, &mut out);
    out
}

/// `e`, in parentheses when it binds more loosely than `min`.
fn operand(e: &Expr, min: u8, out: &mut String) {
    if precedence(e) < min {
        out.push('(');
        write(e, out);
        out.push(')');
    } else {
        write(e, out);
    }
}

/// A double as CEL reads it back: always with a point or an exponent.
fn double(f: f64) -> String {
    if f.is_nan() {
        return "double(\"NaN\")".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "double(\"Infinity\")".into()
        } else {
            "double(\"-Infinity\")".into()
        };
    }
    let s = format!("{f:?}");
    if s.contains(['.', 'e', 'E']) {
        s
    } else {
        format!("{s}.0")
    }
}

/// A string literal, double-quoted with CEL's escapes.
pub fn string_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn list(items: &[Expr], out: &mut String) {
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write(x, out);
    }
}

fn write(e: &Expr, out: &mut String) {
    match &e.kind {
        ExprKind::Null => out.push_str("null"),
        ExprKind::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        ExprKind::Int(i) => out.push_str(&i.to_string()),
        ExprKind::Uint(u) => out.push_str(&format!("{u}u")),
        ExprKind::Double(f) => out.push_str(&double(*f)),
        ExprKind::String(s) => out.push_str(&string_literal(s)),
        ExprKind::Bytes(b) => {
            out.push_str("b\"");
            for byte in b {
                out.push_str(&format!("\\x{byte:02x}"));
            }
            out.push('"');
        }
        ExprKind::Ident { name, leading_dot } => {
            if *leading_dot {
                out.push('.');
            }
            out.push_str(name);
        }
        ExprKind::Select {
            operand: o,
            field,
            optional,
        } => {
            operand(o, 7, out);
            out.push_str(if *optional { ".?" } else { "." });
            out.push_str(field);
        }
        ExprKind::Index {
            operand: o,
            index,
            optional,
        } => {
            operand(o, 7, out);
            out.push_str(if *optional { "[?" } else { "[" });
            write(index, out);
            out.push(']');
        }
        ExprKind::Call {
            target,
            function,
            args,
        } => {
            if let Some(t) = target {
                operand(t, 7, out);
                out.push('.');
            }
            out.push_str(function);
            out.push('(');
            list(args, out);
            out.push(')');
        }
        ExprKind::Unary { op, operand: o } => {
            out.push(match op {
                UnaryOp::Not => '!',
                UnaryOp::Neg => '-',
            });
            // `--x` and `-1` after `-` would read as other tokens.
            let nested = matches!(&o.kind, ExprKind::Unary { .. })
                || (*op == UnaryOp::Neg
                    && matches!(&o.kind, ExprKind::Int(_) | ExprKind::Double(_)));
            if nested {
                out.push('(');
                write(o, out);
                out.push(')');
            } else {
                operand(o, 6, out);
            }
        }
        ExprKind::Binary { op, lhs, rhs } => {
            let p = binary_precedence(*op);
            // Left-associative: the right operand of the same strength
            // needs parentheses, the left does not. Relations do not chain.
            let left_min = if p == 3 { p + 1 } else { p };
            operand(lhs, left_min, out);
            out.push(' ');
            out.push_str(op.symbol());
            out.push(' ');
            operand(rhs, p + 1, out);
        }
        ExprKind::Conditional {
            cond,
            then,
            otherwise,
        } => {
            operand(cond, 1, out);
            out.push_str(" ? ");
            operand(then, 1, out);
            out.push_str(" : ");
            operand(otherwise, 0, out);
        }
        ExprKind::List(items) => {
            out.push('[');
            list(items, out);
            out.push(']');
        }
        ExprKind::Map(entries) => {
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write(k, out);
                out.push_str(": ");
                write(v, out);
            }
            out.push('}');
        }
        ExprKind::Struct { type_name, fields } => {
            out.push_str(type_name);
            out.push('{');
            for (i, (k, v)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(k);
                out.push_str(": ");
                write(v, out);
            }
            out.push('}');
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    /// Spans differ between the source and the printed text: compare the
    /// trees' printed forms after a second round.
    fn round(text: &str) -> String {
        let e = crate::cel::parse(text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
        let printed = print(&e);
        let again = crate::cel::parse(&printed).unwrap_or_else(|e| panic!("{printed}: {e:?}"));
        assert_eq!(print(&again), printed, "{text}");
        printed
    }

    #[test]
    fn prints_only_needed_parentheses() {
        assert_eq!(round("a && (b || c)"), "a && (b || c)");
        assert_eq!(round("(a && b) || c"), "a && b || c");
        assert_eq!(round("!(a == b)"), "!(a == b)");
        assert_eq!(round("1 - (2 - 3)"), "1 - (2 - 3)");
        assert_eq!(round("(1 - 2) - 3"), "1 - 2 - 3");
        assert_eq!(round("a ? b : c ? d : e"), "a ? b : c ? d : e");
        assert_eq!(round("(a ? b : c) ? d : e"), "(a ? b : c) ? d : e");
        assert_eq!(round("-(-1)"), "-(-1)");
        assert_eq!(round("x.all(y, y > 1.0)"), "x.all(y, y > 1.0)");
        assert_eq!(
            round(r#"headers["x-env"] == "a\"b""#),
            r#"headers["x-env"] == "a\"b""#
        );
        assert_eq!(round("(a || b).size()"), "(a || b).size()");
    }
}
