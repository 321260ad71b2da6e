//! Does one CEL condition imply another? A small, sound prover over the
//! parsed trees: it answers `true` only when `a ⟹ b` holds for every
//! input, and `false` when it cannot show it (which may still be true).
//! `diff` uses it to call a `when` or `check` change narrowed, widened or
//! equivalent, and says "changed" when neither direction is provable.
//!
//! It knows boolean structure (`&&`, `||`, `true`, `false`, double `!`),
//! literal sets (`x in [..]`, `x == c`), numeric bounds (`x > 3` ⟹
//! `x >= 2`) and string prefixes, suffixes and substrings. Atoms are
//! compared ignoring spans.

use crate::cel::ast::{BinaryOp, Expr, ExprKind, UnaryOp};

/// How two conditions relate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// Each implies the other.
    Equivalent,
    /// The new one implies the old one: it holds in fewer cases.
    Narrowed,
    /// The old one implies the new one: it holds in more cases.
    Widened,
    /// Neither direction could be shown.
    Unknown,
}

/// Steps the prover may take before it gives up (its search branches on
/// `&&` and `||`, so a pathological pair could otherwise take long).
const BUDGET: usize = 20_000;

/// Relates an old and a new condition; `None` stands for "always" (no
/// condition at all).
pub fn relate(old: Option<&Expr>, new: Option<&Expr>) -> Relation {
    let fwd = implies_opt(new, old);
    let back = implies_opt(old, new);
    match (fwd, back) {
        (true, true) => Relation::Equivalent,
        (true, false) => Relation::Narrowed,
        (false, true) => Relation::Widened,
        (false, false) => Relation::Unknown,
    }
}

fn implies_opt(a: Option<&Expr>, b: Option<&Expr>) -> bool {
    let mut budget = BUDGET;
    match (a, b) {
        (_, None) => true,
        (None, Some(b)) => is_bool(b, true),
        (Some(a), Some(b)) => implies(a, b, &mut budget),
    }
}

/// Whether `a ⟹ b` can be shown.
pub fn implies(a: &Expr, b: &Expr, budget: &mut usize) -> bool {
    if *budget == 0 {
        return false;
    }
    *budget -= 1;
    let a = strip_not_not(a);
    let b = strip_not_not(b);
    if is_bool(a, false) || is_bool(b, true) || same(a, b) {
        return true;
    }
    // Invertible steps first: a disjunction on the left and a conjunction
    // on the right must be proven for every part.
    if let Some((l, r)) = binary(a, BinaryOp::Or) {
        return implies(l, b, budget) && implies(r, b, budget);
    }
    if let Some((l, r)) = binary(b, BinaryOp::And) {
        return implies(a, l, budget) && implies(a, r, budget);
    }
    // Then the choices: one conjunct of `a` suffices, or one disjunct of `b`.
    if let Some((l, r)) = binary(a, BinaryOp::And) {
        if implies(l, b, budget) || implies(r, b, budget) {
            return true;
        }
    }
    if let Some((l, r)) = binary(b, BinaryOp::Or) {
        if implies(a, l, budget) || implies(a, r, budget) {
            return true;
        }
    }
    atom_implies(a, b)
}

fn strip_not_not(e: &Expr) -> &Expr {
    let mut e = e;
    while let ExprKind::Unary {
        op: UnaryOp::Not,
        operand,
    } = &e.kind
    {
        match &operand.kind {
            ExprKind::Unary {
                op: UnaryOp::Not,
                operand: inner,
            } => e = inner,
            _ => break,
        }
    }
    e
}

fn is_bool(e: &Expr, v: bool) -> bool {
    matches!(e.kind, ExprKind::Bool(b) if b == v)
}

fn binary(e: &Expr, want: BinaryOp) -> Option<(&Expr, &Expr)> {
    match &e.kind {
        ExprKind::Binary { op, lhs, rhs } if *op == want => Some((lhs, rhs)),
        _ => None,
    }
}

/// Structural equality ignoring spans.
pub fn same(a: &Expr, b: &Expr) -> bool {
    use ExprKind as K;
    match (&a.kind, &b.kind) {
        (K::Null, K::Null) => true,
        (K::Bool(x), K::Bool(y)) => x == y,
        (K::Int(x), K::Int(y)) => x == y,
        (K::Uint(x), K::Uint(y)) => x == y,
        (K::Double(x), K::Double(y)) => x == y,
        (K::String(x), K::String(y)) => x == y,
        (K::Bytes(x), K::Bytes(y)) => x == y,
        (
            K::Ident {
                name: n1,
                leading_dot: d1,
            },
            K::Ident {
                name: n2,
                leading_dot: d2,
            },
        ) => n1 == n2 && d1 == d2,
        (
            K::Select {
                operand: o1,
                field: f1,
                optional: p1,
            },
            K::Select {
                operand: o2,
                field: f2,
                optional: p2,
            },
        ) => f1 == f2 && p1 == p2 && same(o1, o2),
        (
            K::Index {
                operand: o1,
                index: i1,
                optional: p1,
            },
            K::Index {
                operand: o2,
                index: i2,
                optional: p2,
            },
        ) => p1 == p2 && same(o1, o2) && same(i1, i2),
        (
            K::Call {
                target: t1,
                function: f1,
                args: a1,
            },
            K::Call {
                target: t2,
                function: f2,
                args: a2,
            },
        ) => {
            f1 == f2
                && match (t1, t2) {
                    (Some(x), Some(y)) => same(x, y),
                    (None, None) => true,
                    _ => false,
                }
                && all_same(a1, a2)
        }
        (K::Unary { op: o1, operand: x }, K::Unary { op: o2, operand: y }) => {
            o1 == o2 && same(x, y)
        }
        (
            K::Binary {
                op: o1,
                lhs: l1,
                rhs: r1,
            },
            K::Binary {
                op: o2,
                lhs: l2,
                rhs: r2,
            },
        ) => {
            o1 == o2
                && ((same(l1, l2) && same(r1, r2))
                    // `&&`, `||`, `==` and `!=` are symmetric.
                    || (matches!(o1, BinaryOp::And | BinaryOp::Or | BinaryOp::Eq | BinaryOp::Ne)
                        && same(l1, r2)
                        && same(r1, l2)))
        }
        (
            K::Conditional {
                cond: c1,
                then: t1,
                otherwise: e1,
            },
            K::Conditional {
                cond: c2,
                then: t2,
                otherwise: e2,
            },
        ) => same(c1, c2) && same(t1, t2) && same(e1, e2),
        (K::List(x), K::List(y)) => all_same(x, y),
        (K::Map(x), K::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((k1, v1), (k2, v2))| same(k1, k2) && same(v1, v2))
        }
        (
            K::Struct {
                type_name: n1,
                fields: f1,
            },
            K::Struct {
                type_name: n2,
                fields: f2,
            },
        ) => {
            n1 == n2
                && f1.len() == f2.len()
                && f1
                    .iter()
                    .zip(f2)
                    .all(|((k1, v1), (k2, v2))| k1 == k2 && same(v1, v2))
        }
        _ => false,
    }
}

fn all_same(a: &[Expr], b: &[Expr]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
}

/// A literal, as something comparable.
#[derive(Debug, Clone, PartialEq)]
enum Lit<'a> {
    Num(f64),
    Str(&'a str),
    Bool(bool),
    Null,
}

fn lit(e: &Expr) -> Option<Lit<'_>> {
    match &e.kind {
        ExprKind::Int(i) => Some(Lit::Num(*i as f64)),
        ExprKind::Uint(u) => Some(Lit::Num(*u as f64)),
        ExprKind::Double(d) => Some(Lit::Num(*d)),
        ExprKind::String(s) => Some(Lit::Str(s)),
        ExprKind::Bool(b) => Some(Lit::Bool(*b)),
        ExprKind::Null => Some(Lit::Null),
        ExprKind::Unary {
            op: UnaryOp::Neg,
            operand,
        } => match lit(operand)? {
            Lit::Num(n) => Some(Lit::Num(-n)),
            _ => None,
        },
        _ => None,
    }
}

/// What an atom says about one subject expression.
#[derive(Debug)]
enum Fact<'a> {
    /// The subject is one of these values.
    OneOf(Vec<Lit<'a>>),
    /// The subject is not this value.
    Not(Lit<'a>),
    /// The subject compares with a number (`op` as written, subject left).
    Bound(BinaryOp, f64),
    StartsWith(&'a str),
    EndsWith(&'a str),
    Contains(&'a str),
}

/// Reads an atom as (subject, fact), with the literal on either side.
fn fact(e: &Expr) -> Option<(&Expr, Fact<'_>)> {
    match &e.kind {
        ExprKind::Binary { op, lhs, rhs } => {
            let flipped = |op: BinaryOp| match op {
                BinaryOp::Lt => BinaryOp::Gt,
                BinaryOp::Le => BinaryOp::Ge,
                BinaryOp::Gt => BinaryOp::Lt,
                BinaryOp::Ge => BinaryOp::Le,
                o => o,
            };
            let (subject, value, op) = match (lit(lhs), lit(rhs)) {
                (None, Some(v)) => (&**lhs, v, *op),
                (Some(v), None) if *op != BinaryOp::In => (&**rhs, v, flipped(*op)),
                (None, None) if *op == BinaryOp::In => {
                    let ExprKind::List(items) = &rhs.kind else {
                        return None;
                    };
                    let lits: Option<Vec<Lit>> = items.iter().map(lit).collect();
                    return Some((lhs, Fact::OneOf(lits?)));
                }
                _ => return None,
            };
            match (op, value) {
                (BinaryOp::Eq, v) => Some((subject, Fact::OneOf(vec![v]))),
                (BinaryOp::Ne, v) => Some((subject, Fact::Not(v))),
                (BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge, Lit::Num(n)) => {
                    Some((subject, Fact::Bound(op, n)))
                }
                _ => None,
            }
        }
        ExprKind::Call {
            target: Some(t),
            function,
            args,
        } => {
            let [arg] = args.as_slice() else {
                return None;
            };
            let ExprKind::String(s) = &arg.kind else {
                return None;
            };
            let f = match function.as_str() {
                "startsWith" => Fact::StartsWith(s),
                "endsWith" => Fact::EndsWith(s),
                "contains" => Fact::Contains(s),
                _ => return None,
            };
            Some((t, f))
        }
        _ => None,
    }
}

/// Whether a number satisfies a bound.
fn within(x: f64, op: BinaryOp, n: f64) -> bool {
    match op {
        BinaryOp::Lt => x < n,
        BinaryOp::Le => x <= n,
        BinaryOp::Gt => x > n,
        BinaryOp::Ge => x >= n,
        _ => false,
    }
}

/// Whether every value satisfying bound `(o1, n1)` satisfies `(o2, n2)`.
fn bound_implies(o1: BinaryOp, n1: f64, o2: BinaryOp, n2: f64) -> bool {
    use BinaryOp::*;
    match (o1, o2) {
        (Gt, Gt) | (Ge, Ge) | (Gt, Ge) => n1 >= n2,
        (Ge, Gt) => n1 > n2,
        (Lt, Lt) | (Le, Le) | (Lt, Le) => n1 <= n2,
        (Le, Lt) => n1 < n2,
        _ => false,
    }
}

/// Whether a value known to be `v` satisfies fact `f`.
fn value_satisfies(v: &Lit, f: &Fact) -> bool {
    match (f, v) {
        (Fact::OneOf(set), v) => set.contains(v),
        (Fact::Not(x), v) => x != v,
        (Fact::Bound(op, n), Lit::Num(x)) => within(*x, *op, *n),
        (Fact::StartsWith(p), Lit::Str(s)) => s.starts_with(p),
        (Fact::EndsWith(p), Lit::Str(s)) => s.ends_with(p),
        (Fact::Contains(p), Lit::Str(s)) => s.contains(p),
        _ => false,
    }
}

fn atom_implies(a: &Expr, b: &Expr) -> bool {
    let (Some((sa, fa)), Some((sb, fb))) = (fact(a), fact(b)) else {
        return false;
    };
    if !same(sa, sb) {
        return false;
    }
    match (&fa, &fb) {
        // A finite set of values: each must satisfy the other fact.
        (Fact::OneOf(vals), _) => !vals.is_empty() && vals.iter().all(|v| value_satisfies(v, &fb)),
        (Fact::Not(x), Fact::Not(y)) => x == y,
        (Fact::Bound(o1, n1), Fact::Bound(o2, n2)) => bound_implies(*o1, *n1, *o2, *n2),
        // Outside a bound: `x > 5` ⟹ `x != 3`.
        (Fact::Bound(op, n), Fact::Not(Lit::Num(x))) => !within(*x, *op, *n),
        (Fact::StartsWith(p1), Fact::StartsWith(p2)) => p1.starts_with(p2),
        (Fact::EndsWith(s1), Fact::EndsWith(s2)) => s1.ends_with(s2),
        (Fact::StartsWith(p) | Fact::EndsWith(p) | Fact::Contains(p), Fact::Contains(q)) => {
            p.contains(q)
        }
        _ => false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::cel::parse::parse;

    fn rel(old: &str, new: &str) -> Relation {
        let o = parse(old).unwrap();
        let n = parse(new).unwrap();
        relate(Some(&o), Some(&n))
    }

    #[test]
    fn structure() {
        assert_eq!(rel("a && b", "b && a"), Relation::Equivalent);
        assert_eq!(rel("a", "a && b"), Relation::Narrowed);
        assert_eq!(rel("a", "a || b"), Relation::Widened);
        assert_eq!(
            rel("(a && b) || c", "c || (b && a) || d"),
            Relation::Widened
        );
        assert_eq!(rel("a", "b"), Relation::Unknown);
        assert_eq!(rel("a", "!!a"), Relation::Equivalent);
        assert_eq!(
            relate(None, Some(&parse("x == 1").unwrap())),
            Relation::Narrowed
        );
        assert_eq!(
            relate(Some(&parse("x == 1").unwrap()), None),
            Relation::Widened
        );
    }

    #[test]
    fn atoms() {
        assert_eq!(rel("t in ['a', 'b']", "t in ['a']"), Relation::Narrowed);
        assert_eq!(rel("t == 'a'", "t in ['a', 'c']"), Relation::Widened);
        assert_eq!(rel("n > 5", "n > 3"), Relation::Widened);
        assert_eq!(rel("n >= 5", "5 <= n"), Relation::Equivalent);
        assert_eq!(rel("n < 10", "n <= 9"), Relation::Narrowed);
        assert_eq!(rel("n <= 9", "n < 10"), Relation::Widened);
        assert_eq!(
            rel("m.startsWith('gpt-4')", "m.startsWith('gpt-4o')"),
            Relation::Narrowed
        );
        assert_eq!(
            rel("m == 'gpt-4o'", "m.startsWith('gpt')"),
            Relation::Widened
        );
        assert_eq!(
            rel("m.contains('x')", "m.endsWith('xy')"),
            Relation::Narrowed
        );
        assert_eq!(rel("x.size() > 3", "y.size() > 3"), Relation::Unknown);
    }
}
