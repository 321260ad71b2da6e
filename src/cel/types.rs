//! CEL type-checking against the declared event variables (spec §4), as
//! cel-go's checker does: each expression gets a type, and a call or an
//! operator with no overload for its operands' types is an error (a
//! runtime would evaluate it to an error and fail open). Where a type is
//! not known (`dyn`: `metadata` values, tool parameters, macro variables
//! over them) anything goes, so only definite mistakes are reported.
//!
//! A second pass finds reads of a map key (`metadata.env`,
//! `headers["x-env"]`) that no `has()` or `in` test guards: on an event
//! without that key the expression errors instead of being false.

use super::ast::{BinaryOp, Expr, ExprKind, UnaryOp};
use super::check::CheckError;
use crate::lint::registry::Code;

/// A CEL type, as far as the checker knows it.
#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    Dyn,
    Null,
    Bool,
    Int,
    Uint,
    Double,
    String,
    Bytes,
    List(Box<Ty>),
    Map(Box<Ty>, Box<Ty>),
    /// `identity`: `id`, `team`, `org` (strings), `roles` (list of strings).
    Identity,
    /// `tokens`: `input`, `output`, `total` (ints).
    Tokens,
    Type,
}

impl Ty {
    fn name(&self) -> String {
        match self {
            Ty::Dyn => "dyn".into(),
            Ty::Null => "null_type".into(),
            Ty::Bool => "bool".into(),
            Ty::Int => "int".into(),
            Ty::Uint => "uint".into(),
            Ty::Double => "double".into(),
            Ty::String => "string".into(),
            Ty::Bytes => "bytes".into(),
            Ty::List(t) => format!("list({})", t.name()),
            Ty::Map(k, v) => format!("map({}, {})", k.name(), v.name()),
            Ty::Identity => "identity".into(),
            Ty::Tokens => "tokens".into(),
            Ty::Type => "type".into(),
        }
    }

    fn known(&self) -> bool {
        !matches!(self, Ty::Dyn)
    }

    fn numeric(&self) -> bool {
        matches!(self, Ty::Int | Ty::Uint | Ty::Double)
    }

    /// Whether a value of this type may be used where `want` is expected
    /// (`dyn` on either side always may; `null` stands in for any value,
    /// as an absent field reads).
    fn fits(&self, want: &Ty) -> bool {
        match (self, want) {
            (Ty::Dyn, _) | (_, Ty::Dyn) | (Ty::Null, _) => true,
            (Ty::List(a), Ty::List(b)) => a.fits(b),
            (Ty::Map(a, x), Ty::Map(b, y)) => a.fits(b) && x.fits(y),
            (a, b) => a == b,
        }
    }
}

/// The declared type of an event variable.
pub fn variable(name: &str) -> Option<Ty> {
    Some(match name {
        "input" | "output" | "text" | "chunk" | "tool_name" | "model" | "project" | "agent"
        | "kind" | "site" => Ty::String,
        "identity" => Ty::Identity,
        "headers" => Ty::Map(Box::new(Ty::String), Box::new(Ty::String)),
        "metadata" | "offer" | "customer" | "channel" => {
            Ty::Map(Box::new(Ty::String), Box::new(Ty::Dyn))
        }
        "tokens" => Ty::Tokens,
        "cost_usd" => Ty::Double,
        "session_turn_count" => Ty::Int,
        "tool_parameters" | "tool_result" | "handoff" => Ty::Dyn,
        _ => return None,
    })
}

/// Result types of the guardrail functions (arguments: the first is text).
fn guardrail_result(name: &str) -> Option<Ty> {
    Some(match name {
        "contains_pii"
        | "matches_pattern"
        | "not_matches_pattern"
        | "contains_any"
        | "contains_url"
        | "contains_email"
        | "contains_code"
        | "contains_prompt_injection"
        | "is_safe" => Ty::Bool,
        "word_count" | "sentence_count" => Ty::Int,
        "redact_pii" | "lower" => Ty::String,
        "score" => Ty::Double,
        "detect_pii" => Ty::List(Box::new(Ty::Map(Box::new(Ty::String), Box::new(Ty::Dyn)))),
        _ => return None,
    })
}

/// Most nested levels the checker descends (the parser bounds nesting
/// already; this keeps the checker safe on any tree it is handed).
const MAX_DEPTH: usize = 256;

pub(crate) struct TypeChecker {
    pub errors: Vec<CheckError>,
    /// Macro variables in scope, with their element types.
    scope: Vec<(String, Ty)>,
    depth: usize,
}

impl TypeChecker {
    pub fn new() -> Self {
        TypeChecker {
            errors: Vec::new(),
            scope: Vec::new(),
            depth: 0,
        }
    }

    fn no_overload(&mut self, e: &Expr, function: &str, types: &[&Ty], help: Option<String>) {
        let shown: Vec<String> = types.iter().map(|t| t.name()).collect();
        self.errors.push(CheckError {
            code: Code::CelTypeError,
            span: e.span,
            message: format!(
                "found no matching overload for `{function}` applied to `({})`",
                shown.join(", ")
            ),
            help: Some(help.unwrap_or_else(|| {
                "the expression evaluates to an error at runtime and the rule fails open".into()
            })),
        });
    }

    pub fn ty(&mut self, e: &Expr) -> Ty {
        if self.depth >= MAX_DEPTH {
            return Ty::Dyn;
        }
        self.depth += 1;
        let t = self.ty_inner(e);
        self.depth -= 1;
        t
    }

    fn ty_inner(&mut self, e: &Expr) -> Ty {
        match &e.kind {
            ExprKind::Null => Ty::Null,
            ExprKind::Bool(_) => Ty::Bool,
            ExprKind::Int(_) => Ty::Int,
            ExprKind::Uint(_) => Ty::Uint,
            ExprKind::Double(_) => Ty::Double,
            ExprKind::String(_) => Ty::String,
            ExprKind::Bytes(_) => Ty::Bytes,
            ExprKind::Ident { name, .. } => {
                if let Some((_, t)) = self.scope.iter().rev().find(|(n, _)| n == name) {
                    return t.clone();
                }
                match name.as_str() {
                    "int" | "uint" | "double" | "string" | "bool" | "bytes" | "list" | "map"
                    | "null_type" | "type" => Ty::Type,
                    _ => variable(name).unwrap_or(Ty::Dyn),
                }
            }
            ExprKind::Select { operand, field, .. } => {
                let t = self.ty(operand);
                self.select(e, &t, field)
            }
            ExprKind::Index { operand, index, .. } => {
                let t = self.ty(operand);
                let i = self.ty(index);
                match &t {
                    Ty::List(elem) => {
                        if i.known() && !matches!(i, Ty::Int | Ty::Uint) {
                            self.no_overload(e, "_[_]", &[&t, &i], None);
                        }
                        (**elem).clone()
                    }
                    Ty::Map(k, v) => {
                        if !i.fits(k) {
                            self.no_overload(e, "_[_]", &[&t, &i], None);
                        }
                        (**v).clone()
                    }
                    Ty::Identity | Ty::Tokens => match &index.kind {
                        ExprKind::String(s) => self.select(e, &t, s),
                        _ => Ty::Dyn,
                    },
                    Ty::Dyn | Ty::Null => Ty::Dyn,
                    _ => {
                        self.no_overload(e, "_[_]", &[&t, &i], None);
                        Ty::Dyn
                    }
                }
            }
            ExprKind::Call {
                target,
                function,
                args,
            } => self.call(e, target.as_deref(), function, args),
            ExprKind::Unary { op, operand } => {
                let t = self.ty(operand);
                match op {
                    UnaryOp::Not => {
                        if t.known() && t != Ty::Bool {
                            self.no_overload(e, "!_", &[&t], None);
                        }
                        Ty::Bool
                    }
                    UnaryOp::Neg => {
                        if t.known() && !matches!(t, Ty::Int | Ty::Double) {
                            self.no_overload(e, "-_", &[&t], None);
                        }
                        t
                    }
                }
            }
            ExprKind::Binary { op, lhs, rhs } => self.binary(e, *op, lhs, rhs),
            ExprKind::Conditional {
                cond,
                then,
                otherwise,
            } => {
                let c = self.ty(cond);
                if c.known() && c != Ty::Bool {
                    self.no_overload(e, "_?_:_", &[&c], None);
                }
                let a = self.ty(then);
                let b = self.ty(otherwise);
                if a == b { a } else { Ty::Dyn }
            }
            ExprKind::List(items) => {
                let types: Vec<Ty> = items.iter().map(|i| self.ty(i)).collect();
                let elem = match types.split_first() {
                    Some((first, rest)) if rest.iter().all(|t| t == first) => first.clone(),
                    _ => Ty::Dyn,
                };
                Ty::List(Box::new(elem))
            }
            ExprKind::Map(entries) => {
                let mut keys = Vec::new();
                let mut values = Vec::new();
                for (k, v) in entries {
                    keys.push(self.ty(k));
                    values.push(self.ty(v));
                }
                let same = |v: Vec<Ty>| match v.split_first() {
                    Some((first, rest)) if rest.iter().all(|t| t == first) => first.clone(),
                    _ => Ty::Dyn,
                };
                Ty::Map(Box::new(same(keys)), Box::new(same(values)))
            }
            ExprKind::Struct { fields, .. } => {
                for (_, v) in fields {
                    self.ty(v);
                }
                Ty::Dyn
            }
        }
    }

    fn select(&mut self, e: &Expr, t: &Ty, field: &str) -> Ty {
        match t {
            Ty::Identity => match field {
                "roles" => Ty::List(Box::new(Ty::String)),
                _ => Ty::String,
            },
            Ty::Tokens => Ty::Int,
            Ty::Map(_, v) => (**v).clone(),
            Ty::Dyn | Ty::Null => Ty::Dyn,
            other => {
                self.errors.push(CheckError {
                    code: Code::CelTypeError,
                    span: e.span,
                    message: format!("type `{}` has no field `{field}`", other.name()),
                    help: Some(
                        "only maps and objects have fields; the expression errors at runtime"
                            .into(),
                    ),
                });
                Ty::Dyn
            }
        }
    }

    fn binary(&mut self, e: &Expr, op: BinaryOp, lhs: &Expr, rhs: &Expr) -> Ty {
        let a = self.ty(lhs);
        let b = self.ty(rhs);
        let both = a.known() && b.known() && a != Ty::Null && b != Ty::Null;
        let name = match op {
            BinaryOp::Or => "_||_",
            BinaryOp::And => "_&&_",
            BinaryOp::Eq => "_==_",
            BinaryOp::Ne => "_!=_",
            BinaryOp::Lt => "_<_",
            BinaryOp::Le => "_<=_",
            BinaryOp::Gt => "_>_",
            BinaryOp::Ge => "_>=_",
            BinaryOp::In => "@in",
            BinaryOp::Add => "_+_",
            BinaryOp::Sub => "_-_",
            BinaryOp::Mul => "_*_",
            BinaryOp::Div => "_/_",
            BinaryOp::Rem => "_%_",
        };
        match op {
            BinaryOp::Or | BinaryOp::And => {
                for t in [&a, &b] {
                    if t.known() && *t != Ty::Bool {
                        self.no_overload(e, name, &[&a, &b], None);
                        break;
                    }
                }
                Ty::Bool
            }
            BinaryOp::Eq | BinaryOp::Ne => Ty::Bool,
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                let comparable = (a.numeric() && b.numeric())
                    || (a == b && matches!(a, Ty::String | Ty::Bytes | Ty::Bool));
                if both && !comparable {
                    self.no_overload(e, name, &[&a, &b], None);
                }
                Ty::Bool
            }
            BinaryOp::In => {
                match &b {
                    Ty::List(elem) => {
                        if a.known()
                            && elem.known()
                            && !a.fits(elem)
                            && !(a.numeric() && elem.numeric())
                        {
                            self.no_overload(e, name, &[&a, &b], None);
                        }
                    }
                    Ty::Map(k, _) => {
                        if a.known() && !a.fits(k) {
                            self.no_overload(e, name, &[&a, &b], None);
                        }
                    }
                    Ty::Dyn | Ty::Null => {}
                    _ => {
                        let help = (b == Ty::String && a == Ty::String).then(|| {
                            "`in` tests membership of a list or map; for text write `haystack.contains(needle)`"
                                .to_string()
                        });
                        self.no_overload(e, name, &[&a, &b], help);
                    }
                }
                Ty::Bool
            }
            BinaryOp::Add => {
                let ok = match (&a, &b) {
                    (Ty::List(_), Ty::List(_)) => true,
                    (x, y) => {
                        x == y
                            && matches!(x, Ty::Int | Ty::Uint | Ty::Double | Ty::String | Ty::Bytes)
                    }
                };
                if both && !ok {
                    self.no_overload(e, name, &[&a, &b], None);
                    return Ty::Dyn;
                }
                if a.known() { a } else { b }
            }
            BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => {
                let ok = a == b
                    && match op {
                        BinaryOp::Rem => matches!(a, Ty::Int | Ty::Uint),
                        _ => a.numeric(),
                    };
                if both && !ok {
                    self.no_overload(e, name, &[&a, &b], None);
                    return Ty::Dyn;
                }
                if a.known() { a } else { b }
            }
        }
    }

    fn call(&mut self, e: &Expr, target: Option<&Expr>, function: &str, args: &[Expr]) -> Ty {
        let namespaced = matches!(target, Some(Expr { kind: ExprKind::Ident { name, .. }, .. }) if name == "abl" && !self.scope.iter().any(|(s, _)| s == "abl"));
        let target = if namespaced { None } else { target };
        if function == "has" && target.is_none() {
            if let [
                Expr {
                    kind: ExprKind::Select { operand, .. },
                    ..
                },
            ] = args
            {
                self.ty(operand);
            }
            return Ty::Bool;
        }
        if let Some(t) = target {
            if matches!(function, "all" | "exists" | "exists_one" | "map" | "filter") {
                return self.comprehension(t, function, args);
            }
        }
        if target.is_none() {
            if let Some(result) = guardrail_result(function) {
                let types: Vec<Ty> = args.iter().map(|a| self.ty(a)).collect();
                // The first argument is the text under evaluation (the
                // provider's name for `score`).
                if let Some(first) = types.first() {
                    if first.known() && *first != Ty::String && *first != Ty::Null {
                        let refs: Vec<&Ty> = types.iter().collect();
                        self.no_overload(e, function, &refs, None);
                    }
                }
                return result;
            }
        }
        let recv = target.map(|t| self.ty(t));
        let types: Vec<Ty> = args.iter().map(|a| self.ty(a)).collect();
        let mut all: Vec<&Ty> = recv.iter().collect();
        all.extend(types.iter());
        let first = types.first();
        match (function, &recv) {
            ("contains" | "startsWith" | "endsWith" | "matches", Some(r)) => {
                let arg_ok = first.is_none_or(|a| a.fits(&Ty::String));
                let recv_ok = r.fits(&Ty::String);
                if !(recv_ok && arg_ok) && (r.known() || first.is_some_and(Ty::known)) {
                    let help = match (function, r) {
                        ("contains", Ty::List(_)) => Some(format!(
                            "lists have no `contains`: write `{} in {}`",
                            args.first().map_or("x".into(), source_hint),
                            target.map_or("list".into(), source_hint)
                        )),
                        ("contains", Ty::Map(..)) => Some(format!(
                            "maps have no `contains`: write `{} in {}`",
                            args.first().map_or("key".into(), source_hint),
                            target.map_or("map".into(), source_hint)
                        )),
                        _ => None,
                    };
                    self.no_overload(e, function, &all, help);
                }
                Ty::Bool
            }
            ("matches", None) => {
                for t in &types {
                    if t.known() && *t != Ty::String && *t != Ty::Null {
                        self.no_overload(e, function, &all, None);
                        break;
                    }
                }
                Ty::Bool
            }
            ("size", _) => {
                let x = recv.as_ref().or(first);
                if let Some(x) = x {
                    let ok = matches!(
                        x,
                        Ty::Dyn | Ty::Null | Ty::String | Ty::Bytes | Ty::List(_) | Ty::Map(..)
                    );
                    if !ok {
                        self.no_overload(e, function, &all, None);
                    }
                }
                Ty::Int
            }
            ("int", None) => Ty::Int,
            ("uint", None) => Ty::Uint,
            ("double", None) => Ty::Double,
            ("string", None) => Ty::String,
            ("bool", None) => Ty::Bool,
            ("bytes", None) => Ty::Bytes,
            ("type", None) => Ty::Type,
            ("dyn", None) => Ty::Dyn,
            _ => Ty::Dyn,
        }
    }

    fn comprehension(&mut self, target: &Expr, function: &str, args: &[Expr]) -> Ty {
        let t = self.ty(target);
        let elem = match &t {
            Ty::List(x) => (**x).clone(),
            Ty::Map(k, _) => (**k).clone(),
            _ => Ty::Dyn,
        };
        let (
            Some(Expr {
                kind: ExprKind::Ident { name, .. },
                ..
            }),
            Some(body),
        ) = (args.first(), args.last())
        else {
            return Ty::Dyn;
        };
        self.scope.push((name.clone(), elem.clone()));
        // `map(x, filter, transform)`: the middle argument is a predicate.
        for a in args.iter().skip(1).take(args.len().saturating_sub(2)) {
            self.ty(a);
        }
        let b = self.ty(body);
        self.scope.pop();
        match function {
            "map" => Ty::List(Box::new(b)),
            "filter" => Ty::List(Box::new(elem)),
            _ => Ty::Bool,
        }
    }
}

/// Text for a help message: a literal or a dotted name, else a stand-in.
fn source_hint(e: &Expr) -> String {
    match &e.kind {
        ExprKind::String(s) => serde_json::to_string(&**s).unwrap_or_else(|_| "x".into()),
        ExprKind::Int(i) => i.to_string(),
        ExprKind::Ident { name, .. } => name.clone(),
        ExprKind::Select { operand, field, .. } => format!("{}.{field}", source_hint(operand)),
        _ => "x".into(),
    }
}

// ---- unguarded map keys ----------------------------------------------------------

/// A read of a map key that may be absent: `metadata.env`, `headers["x"]`.
fn map_key(e: &Expr) -> Option<(String, String)> {
    let (root, key) = match &e.kind {
        ExprKind::Select { operand, field, .. } => (operand, field.clone()),
        ExprKind::Index { operand, index, .. } => match &index.kind {
            ExprKind::String(s) => (operand, s.to_string()),
            _ => return None,
        },
        _ => return None,
    };
    match &root.kind {
        ExprKind::Ident { name, .. }
            if matches!(
                name.as_str(),
                "metadata" | "headers" | "offer" | "customer" | "channel"
            ) =>
        {
            Some((name.clone(), key))
        }
        _ => None,
    }
}

/// The keys an expression, when true, proves present: `has(metadata.x)`,
/// `"x" in headers`, and each side of an `&&`.
fn proves(e: &Expr, out: &mut Vec<(String, String)>) {
    match &e.kind {
        ExprKind::Call {
            target: None,
            function,
            args,
        } if function == "has" => {
            if let Some(k) = args.first().and_then(map_key) {
                out.push(k);
            }
        }
        ExprKind::Binary {
            op: BinaryOp::In,
            lhs,
            rhs,
        } => {
            if let (ExprKind::String(k), ExprKind::Ident { name, .. }) = (&lhs.kind, &rhs.kind) {
                out.push((name.clone(), k.to_string()));
            }
        }
        ExprKind::Binary {
            op: BinaryOp::And,
            lhs,
            rhs,
        } => {
            proves(lhs, out);
            proves(rhs, out);
        }
        _ => {}
    }
}

/// The keys an expression, when false, proves present (`!has(x) || ...`).
fn proves_when_false(e: &Expr, out: &mut Vec<(String, String)>) {
    match &e.kind {
        ExprKind::Unary {
            op: UnaryOp::Not,
            operand,
        } => proves(operand, out),
        ExprKind::Binary {
            op: BinaryOp::Or,
            lhs,
            rhs,
        } => {
            proves_when_false(lhs, out);
            proves_when_false(rhs, out);
        }
        _ => {}
    }
}

/// Every header name written in upper case (`headers["X-Env"]`, `"X-Env"
/// in headers`, `has(headers.X_Env)`): events carry header names in lower
/// case, so such a read never finds its header.
pub(crate) fn upper_case_headers(e: &Expr) -> Vec<(crate::source::Span, String)> {
    let mut out = Vec::new();
    let mut stack = vec![(e, 0usize)];
    while let Some((e, depth)) = stack.pop() {
        if depth >= MAX_DEPTH {
            continue;
        }
        let named = match &e.kind {
            ExprKind::Binary {
                op: BinaryOp::In,
                lhs,
                rhs,
            } => match (&lhs.kind, &rhs.kind) {
                (ExprKind::String(k), ExprKind::Ident { name, .. }) if name == "headers" => {
                    Some(k.to_string())
                }
                _ => None,
            },
            _ => map_key(e)
                .filter(|(root, _)| root == "headers")
                .map(|(_, k)| k),
        };
        if let Some(k) = named.filter(|k| crate::engine::event::header_name(k) != *k) {
            out.push((e.span, k));
        }
        // A macro that binds the name `headers` (`m.exists(headers, ...)`)
        // hides the event's headers in its body: only its range is read.
        if let ExprKind::Call {
            target: Some(range),
            function,
            args,
        } = &e.kind
        {
            let binds_headers = matches!(
                function.as_str(),
                "all" | "exists" | "exists_one" | "map" | "filter"
            ) && matches!(args.first().map(|a| &a.kind), Some(ExprKind::Ident { name, .. }) if name == "headers");
            if binds_headers {
                stack.push((range, depth + 1));
                continue;
            }
        }
        stack.extend(e.children().into_iter().map(|c| (c, depth + 1)));
    }
    out.sort_by_key(|(span, _)| span.start);
    out
}

/// Every unguarded read of a `metadata`/`headers` key, with the key.
pub(crate) fn unguarded_keys(e: &Expr) -> Vec<(crate::source::Span, String, String)> {
    let mut out = Vec::new();
    walk_guarded(e, &mut Vec::new(), &mut out, 0);
    out
}

fn walk_guarded(
    e: &Expr,
    guarded: &mut Vec<(String, String)>,
    out: &mut Vec<(crate::source::Span, String, String)>,
    depth: usize,
) {
    if depth >= MAX_DEPTH {
        return;
    }
    // `has(metadata.x)` and `"x" in headers` read no value.
    if let ExprKind::Call {
        target: None,
        function,
        ..
    } = &e.kind
    {
        if function == "has" {
            return;
        }
    }
    if let Some(k) = map_key(e) {
        if !guarded.contains(&k) {
            out.push((e.span, k.0, k.1));
        }
        return;
    }
    let mark = guarded.len();
    match &e.kind {
        ExprKind::Binary {
            op: BinaryOp::And,
            lhs,
            rhs,
        } => {
            walk_guarded(lhs, guarded, out, depth + 1);
            proves(lhs, guarded);
            walk_guarded(rhs, guarded, out, depth + 1);
        }
        ExprKind::Binary {
            op: BinaryOp::Or,
            lhs,
            rhs,
        } => {
            walk_guarded(lhs, guarded, out, depth + 1);
            proves_when_false(lhs, guarded);
            walk_guarded(rhs, guarded, out, depth + 1);
        }
        ExprKind::Binary {
            op: BinaryOp::In,
            lhs,
            rhs,
        } if matches!(&rhs.kind, ExprKind::Ident { .. }) => {
            walk_guarded(lhs, guarded, out, depth + 1);
        }
        ExprKind::Conditional {
            cond,
            then,
            otherwise,
        } => {
            walk_guarded(cond, guarded, out, depth + 1);
            proves(cond, guarded);
            walk_guarded(then, guarded, out, depth + 1);
            guarded.truncate(mark);
            proves_when_false(cond, guarded);
            walk_guarded(otherwise, guarded, out, depth + 1);
        }
        _ => {
            for c in e.children() {
                walk_guarded(c, guarded, out, depth + 1);
            }
        }
    }
    guarded.truncate(mark);
}
