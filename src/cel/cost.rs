//! What one evaluation of an expression may cost, bounded twice: lint
//! estimates the worst case statically (as cel-go's cost estimator does:
//! a comprehension costs its range's size times its body), and the
//! evaluator counts the steps it takes and stops at [`COST_LIMIT`], so an
//! expression the estimate could not bound still cannot run away.
//! docs/limits.md lists the limits.

use super::ast::{BinaryOp, Expr, ExprKind};
use super::check::CheckError;
use crate::lint::registry::Code;

/// Evaluation steps one `check`, `when` or `fix_expression` may take on
/// one event; past it the expression is an error (the rule unevaluated).
pub const COST_LIMIT: u64 = 1_000_000;

/// Bytes a string, or elements a list, built by an expression may hold:
/// past it the expression is an error (doubling a string 30 times would
/// otherwise take gigabytes).
pub const MAX_BUILT_BYTES: usize = 4 << 20;
pub const MAX_BUILT_ITEMS: usize = 100_000;

/// The size the estimate assumes for a list or map read from the event
/// (`identity.roles`, `metadata` keys), whose size no declaration bounds.
const ASSUMED_ITEMS: f64 = 100.0;

/// An estimate: steps, and the elements of the value if it is a list.
#[derive(Clone, Copy)]
struct Est {
    cost: f64,
    items: f64,
}

const MACROS: &[&str] = &["all", "exists", "exists_one", "existsOne", "filter", "map"];

fn est(e: &Expr) -> Est {
    let sum = |xs: &[&Expr]| xs.iter().map(|x| est(x).cost).sum::<f64>();
    match &e.kind {
        ExprKind::Ident { .. } | ExprKind::Select { .. } => Est {
            cost: 1.0 + e.children().iter().map(|c| est(c).cost).sum::<f64>(),
            items: ASSUMED_ITEMS,
        },
        ExprKind::List(xs) => Est {
            cost: 1.0 + xs.iter().map(|x| est(x).cost).sum::<f64>(),
            items: xs.len() as f64,
        },
        ExprKind::Map(kv) => Est {
            cost: 1.0
                + kv.iter()
                    .map(|(k, v)| est(k).cost + est(v).cost)
                    .sum::<f64>(),
            items: kv.len() as f64,
        },
        ExprKind::Call {
            target: Some(t),
            function,
            args,
        } if MACROS.contains(&function.as_str()) => {
            let range = est(t);
            let bodies: f64 = args.iter().skip(1).map(|a| est(a).cost).sum();
            let items = match function.as_str() {
                "map" | "filter" => range.items,
                _ => 0.0,
            };
            Est {
                cost: 1.0 + range.cost + range.items * bodies.max(1.0),
                items,
            }
        }
        ExprKind::Binary {
            op: BinaryOp::Add,
            lhs,
            rhs,
        } => {
            let (a, b) = (est(lhs), est(rhs));
            Est {
                cost: 1.0 + a.cost + b.cost,
                items: a.items + b.items,
            }
        }
        _ => Est {
            cost: 1.0 + sum(&e.children()),
            items: ASSUMED_ITEMS,
        },
    }
}

/// The estimate's verdict: an expression whose worst case passes the
/// limit is an error, pointing at it.
pub fn too_costly(expr: &Expr) -> Vec<CheckError> {
    let cost = est(expr).cost;
    if cost <= COST_LIMIT as f64 {
        return Vec::new();
    }
    vec![CheckError {
        code: Code::CelTooCostly,
        span: expr.span,
        message: format!(
            "this expression may take about {} evaluation steps on one event, above the limit of {COST_LIMIT}",
            if cost.is_finite() && cost < 1e18 {
                format!("{cost:.0}")
            } else {
                "unboundedly many".to_string()
            }
        ),
        help: Some(format!(
            "nested comprehensions multiply: each runs its body once per element (lists read from the event are assumed to hold {ASSUMED_ITEMS}); past the limit the expression errors at runtime and the rule is unevaluated"
        )),
    }]
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn cost(src: &str) -> f64 {
        est(&crate::cel::parse(src).unwrap()).cost
    }

    #[test]
    fn comprehensions_multiply() {
        assert!(cost("size(text) > 3") < 10.0);
        assert!(cost("identity.roles.exists(r, r == 'admin')") < 1000.0);
        let ten = "[0,1,2,3,4,5,6,7,8,9]";
        let nested = format!(
            "{ten}.all(a, {ten}.all(b, {ten}.all(c, {ten}.all(d, {ten}.all(e, {ten}.all(f, a + b + c + d + e + f > 0))))))"
        );
        assert!(cost(&nested) > COST_LIMIT as f64, "{}", cost(&nested));
        assert_eq!(too_costly(&crate::cel::parse(&nested).unwrap()).len(), 1);
    }
}
