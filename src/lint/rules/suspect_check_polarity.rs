//! GC405 (warning): a `check` whose shape reads as the other polarity
//! (spec §2 Polarity). Under `check_polarity: pass` a check is what the
//! content must satisfy, so a bare detector (`contains_pii(text)`,
//! `abl.matches_pattern(input, "KEYWORD")`) makes the rule fire on every
//! message *without* what it detects and let the rest through: Kore's
//! current runtime reads such a check as a violation predicate. Under
//! `check_polarity: violation` the reverse: a negated detector
//! (`!contains_pii(text)`, `not_matches_pattern`, `is_safe(text)`) fires on
//! every harmless message.

use crate::cel::ast::{BinaryOp, UnaryOp};
use crate::cel::{Expr, ExprKind};
use crate::diagnostic::Diagnostic;
use crate::effective::check_polarity;
use crate::ir::Program;
use crate::ir::enums::Polarity;
use crate::lint::registry::Code;

/// Functions true when the content holds what they detect.
const DETECTORS: &[&str] = &[
    "contains_pii",
    "detect_pii",
    "matches_pattern",
    "contains_any",
    "contains_url",
    "contains_email",
    "contains_code",
    "contains_prompt_injection",
];

/// Functions true when the content is free of it.
const NEGATED: &[&str] = &["not_matches_pattern", "is_safe"];

/// How a check reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// True when the content holds the bad thing.
    Violation,
    /// True when the content is free of it.
    Pass,
}

fn call_name(e: &Expr) -> Option<&str> {
    match &e.kind {
        ExprKind::Call {
            target, function, ..
        } => {
            let guardrail = match target.as_deref() {
                None => true,
                Some(Expr {
                    kind: ExprKind::Ident { name, .. },
                    ..
                }) if name == "abl" => true,
                // `text.contains('x')`, `text.matches('re')`.
                Some(_) => {
                    return matches!(function.as_str(), "contains" | "matches")
                        .then_some("contains");
                }
            };
            guardrail.then_some(function.as_str())
        }
        _ => None,
    }
}

/// The shape of `e`: a detector call, its negation, or `||` / `&&` of
/// calls of one shape. Anything else (comparisons, sizes) says nothing.
fn shape(e: &Expr, depth: usize) -> Option<Shape> {
    if depth > 16 {
        return None;
    }
    if let Some(f) = call_name(e) {
        if DETECTORS.contains(&f) || f == "contains" {
            return Some(Shape::Violation);
        }
        if NEGATED.contains(&f) || f.starts_with("not_") {
            return Some(Shape::Pass);
        }
        return None;
    }
    match &e.kind {
        ExprKind::Unary {
            op: UnaryOp::Not,
            operand,
        } => shape(operand, depth + 1).map(|s| match s {
            Shape::Violation => Shape::Pass,
            Shape::Pass => Shape::Violation,
        }),
        ExprKind::Binary {
            op: BinaryOp::Or | BinaryOp::And,
            lhs,
            rhs,
        } => {
            let (a, b) = (shape(lhs, depth + 1)?, shape(rhs, depth + 1)?);
            (a == b).then_some(a)
        }
        _ => None,
    }
}

pub fn check(p: &Program, out: &mut Vec<Diagnostic>) {
    for r in &p.rules {
        let Some(cel) = &r.check else { continue };
        let Some(ast) = &cel.ast else { continue };
        let polarity = check_polarity(p, r);
        let (message, help) = match (shape(ast, 0), polarity) {
            (Some(Shape::Violation), Polarity::Pass) => (
                format!(
                    "rule `{}`: `check` reads as a violation predicate, but checks here are pass conditions",
                    r.name.value
                ),
                "under `check_polarity: pass` the rule fires when the check is false: on every message without what it detects. Negate it (`!...`), write it as `match:` (fires when true), or set `check_polarity: violation` (the policy's, or guardctl.toml's) as Kore's current runtime reads checks",
            ),
            (Some(Shape::Pass), Polarity::Violation) => (
                format!(
                    "rule `{}`: `check` reads as a pass condition, but checks here are violation predicates",
                    r.name.value
                ),
                "under `check_polarity: violation` the rule fires when the check is true: on every message free of what it detects. Drop the negation, or set `check_polarity: pass`",
            ),
            _ => continue,
        };
        out.push(
            Diagnostic::new(Code::SuspectCheckPolarity, &r.file, cel.span, message).with_help(help),
        );
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::cel::parse::parse;

    fn of(s: &str) -> Option<Shape> {
        shape(&parse(s).unwrap(), 0)
    }

    #[test]
    fn shapes() {
        assert_eq!(
            of("abl.matches_pattern(input, 'X')"),
            Some(Shape::Violation)
        );
        assert_eq!(
            of("contains_pii(text) || input.contains('x')"),
            Some(Shape::Violation)
        );
        assert_eq!(of("!contains_pii(text)"), Some(Shape::Pass));
        assert_eq!(
            of("abl.not_matches_pattern(input, 'X') && is_safe(text)"),
            Some(Shape::Pass)
        );
        assert_eq!(of("!contains_pii(text) && word_count(text) < 500"), None);
        assert_eq!(of("contains_pii(text) || !contains_url(text)"), None);
        assert_eq!(of("size(text) < 10"), None);
    }
}
