//! CEL evaluation with CEL's semantics: errors are values; `&&` and `||`
//! absorb errors commutatively (`false && error` and `error && false` are
//! both `false`); int arithmetic errors on overflow and division by zero;
//! numbers compare across int, uint and double. Variables and extension
//! functions (the guardrail library) come from a [`Host`].

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::ast::{BinaryOp, Expr, ExprKind, UnaryOp};
use super::cost::{COST_LIMIT, MAX_BUILT_BYTES, MAX_BUILT_ITEMS};
use super::value::{Key, Value, compare, equals};

/// What an expression can see: variables and extension functions.
pub trait Host {
    fn var(&self, name: &str) -> Option<Value>;
    /// `root[key]` for a map variable `root`, read without building the
    /// map, where the host can (`None`: evaluate it the general way).
    fn member(&self, _root: &str, _key: &str) -> Option<Value> {
        None
    }
    /// An extension function (`None`: not defined here).
    fn call(&self, name: &str, args: &[Value]) -> Option<Value>;
}

/// A host with variables only.
pub struct Vars<'a>(pub &'a HashMap<String, Value>);

impl Host for Vars<'_> {
    fn var(&self, name: &str) -> Option<Value> {
        self.0.get(name).cloned()
    }
    fn call(&self, _name: &str, _args: &[Value]) -> Option<Value> {
        None
    }
}

/// Evaluates `expr` against `host`.
pub fn eval(expr: &Expr, host: &dyn Host) -> Value {
    let mut ev = Eval {
        host,
        locals: Vec::new(),
        path: PATH.take(),
        cost: 0,
    };
    let v = ev.eval(expr);
    PATH.set(ev.path);
    // Past the limit every step is an error, but `&&` and `||` absorb
    // errors: the whole evaluation is the error, whatever it came to.
    if ev.cost > COST_LIMIT {
        return over_budget();
    }
    v
}

fn over_budget() -> Value {
    Value::error(format!(
        "evaluation cost limit of {COST_LIMIT} steps exceeded"
    ))
}

struct Eval<'h> {
    host: &'h dyn Host,
    locals: Vec<(String, Value)>,
    /// Room for a dotted name, reused.
    path: String,
    /// Steps taken so far ([`COST_LIMIT`] bounds them).
    cost: u64,
}

thread_local! {
    /// The dotted-name buffer, kept between evaluations so that it is
    /// allocated once per thread.
    static PATH: std::cell::Cell<String> = const { std::cell::Cell::new(String::new()) };
    /// Compiled `matches` patterns (expressions reuse a few literals).
    static REGEXES: RefCell<HashMap<String, Result<regex::Regex, String>>> = RefCell::new(HashMap::new());
}

/// `text` matches the RE2 pattern `re` anywhere.
pub fn regex_match(text: &str, re: &str) -> Value {
    REGEXES.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.len() > 1024 {
            cache.clear();
        }
        let compiled = cache.entry(re.to_string()).or_insert_with(|| {
            // The limits lint applies to literal patterns hold for
            // patterns computed at runtime too.
            match crate::pattern::problem(re) {
                Some((_, _, msg)) => Err(msg),
                None => crate::pattern::build(re),
            }
        });
        match compiled {
            Ok(r) => Value::Bool(r.is_match(text)),
            Err(e) => Value::error(format!("invalid regex: {e}")),
        }
    })
}

fn no_overload(name: &str, args: &[&Value]) -> Value {
    let types: Vec<&str> = args.iter().map(|a| a.type_name()).collect();
    Value::error(format!("no such overload: {name}({})", types.join(", ")))
}

fn too_big(what: &str) -> Value {
    Value::error(format!(
        "a {what} built by the expression would pass the limit of {} (docs/limits.md)",
        if what == "list" {
            format!("{MAX_BUILT_ITEMS} elements")
        } else {
            format!("{MAX_BUILT_BYTES} bytes")
        }
    ))
}

/// The first error among values, if any.
fn first_error<'a>(vals: impl IntoIterator<Item = &'a Value>) -> Option<Value> {
    vals.into_iter().find(|v| v.is_error()).cloned()
}

impl Eval<'_> {
    fn lookup(&self, name: &str) -> Option<Value> {
        if let Some((_, v)) = self.locals.iter().rev().find(|(n, _)| n == name) {
            return Some(v.clone());
        }
        self.host.var(name)
    }

    fn eval(&mut self, e: &Expr) -> Value {
        self.cost += 1;
        if self.cost > COST_LIMIT {
            return over_budget();
        }
        match &e.kind {
            ExprKind::Null => Value::Null,
            ExprKind::Bool(b) => Value::Bool(*b),
            ExprKind::Int(i) => Value::Int(*i),
            ExprKind::Uint(u) => Value::Uint(*u),
            ExprKind::Double(d) => Value::Double(*d),
            ExprKind::String(s) => Value::Str(s.clone()),
            ExprKind::Bytes(b) => Value::Bytes(b.as_slice().into()),
            ExprKind::Ident { name, .. } => match self.lookup(name) {
                Some(v) => v,
                None => match name.as_str() {
                    "int" | "uint" | "double" | "string" | "bool" | "bytes" | "list" | "map"
                    | "null_type" | "type" => Value::Type(type_literal(name)),
                    _ => Value::error(format!("undeclared reference to '{name}'")),
                },
            },
            ExprKind::Select { operand, field, .. } => {
                // A dotted name may be a variable itself (`abl.x` style names).
                let mut path = std::mem::take(&mut self.path);
                path.clear();
                let found = dotted(e, &mut path)
                    .then(|| self.lookup(&path))
                    .flatten()
                    .filter(|_| {
                        !self
                            .locals
                            .iter()
                            .any(|(n, _)| path.starts_with(n.as_str()))
                    });
                self.path = path;
                if let Some(v) = found {
                    return v;
                }
                let v = self.eval(operand);
                select(&v, field)
            }
            ExprKind::Index { operand, index, .. } => {
                // `headers["x-env"]`: the host may read the one entry.
                if let (
                    ExprKind::Ident {
                        name,
                        leading_dot: false,
                    },
                    ExprKind::String(key),
                ) = (&operand.kind, &index.kind)
                {
                    if !self.locals.iter().any(|(n, _)| n == name) {
                        if let Some(v) = self.host.member(name, key) {
                            return v;
                        }
                    }
                }
                let v = self.eval(operand);
                let i = self.eval(index);
                index_value(&v, &i)
            }
            ExprKind::Unary { op, operand } => {
                let v = self.eval(operand);
                match (op, &v) {
                    (_, Value::Error(_)) => v,
                    (UnaryOp::Not, Value::Bool(b)) => Value::Bool(!b),
                    (UnaryOp::Neg, Value::Int(i)) => i
                        .checked_neg()
                        .map_or_else(|| Value::error("return error for overflow"), Value::Int),
                    (UnaryOp::Neg, Value::Double(d)) => Value::Double(-d),
                    (UnaryOp::Not, _) => no_overload("!_", &[&v]),
                    (UnaryOp::Neg, _) => no_overload("-_", &[&v]),
                }
            }
            ExprKind::Binary {
                op: BinaryOp::And,
                lhs,
                rhs,
            } => {
                let l = self.eval(lhs);
                if matches!(l, Value::Bool(false)) {
                    return l;
                }
                let r = self.eval(rhs);
                logic(l, r, false)
            }
            ExprKind::Binary {
                op: BinaryOp::Or,
                lhs,
                rhs,
            } => {
                let l = self.eval(lhs);
                if matches!(l, Value::Bool(true)) {
                    return l;
                }
                let r = self.eval(rhs);
                logic(l, r, true)
            }
            ExprKind::Binary { op, lhs, rhs } => {
                let l = self.eval(lhs);
                let r = self.eval(rhs);
                binary(*op, &l, &r)
            }
            ExprKind::Conditional {
                cond,
                then,
                otherwise,
            } => match self.eval(cond) {
                Value::Bool(true) => self.eval(then),
                Value::Bool(false) => self.eval(otherwise),
                err @ Value::Error(_) => err,
                other => no_overload("_?_:_", &[&other]),
            },
            ExprKind::List(items) => {
                let vals: Vec<Value> = items.iter().map(|i| self.eval(i)).collect();
                first_error(&vals).unwrap_or_else(|| Value::List(Arc::new(vals)))
            }
            ExprKind::Map(entries) => {
                let mut m = BTreeMap::new();
                for (k, v) in entries {
                    let kv = self.eval(k);
                    let vv = self.eval(v);
                    if kv.is_error() {
                        return kv;
                    }
                    if vv.is_error() {
                        return vv;
                    }
                    let Some(key) = Key::from_value(&kv) else {
                        return Value::error(format!("unsupported key type: {}", kv.type_name()));
                    };
                    // `0` and `0u` are the same key.
                    if Value::map_get(&m, &kv).is_some() {
                        return Value::error("Failed with repeated key");
                    }
                    m.insert(key, vv);
                }
                Value::Map(Arc::new(m))
            }
            ExprKind::Struct { type_name, .. } => {
                Value::error(format!("unknown type '{type_name}'"))
            }
            ExprKind::Call {
                target,
                function,
                args,
            } => self.call(target.as_deref(), function, args),
        }
    }

    fn call(&mut self, target: Option<&Expr>, function: &str, args: &[Expr]) -> Value {
        // `abl.f(...)` is the guardrail function `f`.
        let namespaced = matches!(target, Some(Expr { kind: ExprKind::Ident { name, .. }, .. }) if name == "abl" && self.lookup("abl").is_none());
        let target = if namespaced { None } else { target };
        if function == "has" && target.is_none() {
            return match args {
                [
                    Expr {
                        kind: ExprKind::Select { operand, field, .. },
                        ..
                    },
                ] => {
                    let v = self.eval(operand);
                    match &v {
                        Value::Map(m) => {
                            Value::Bool(m.contains_key(&Key::Str(field.as_str().into())))
                        }
                        Value::Error(_) => v,
                        _ => Value::error(format!(
                            "invalid type for field selection: {}",
                            v.type_name()
                        )),
                    }
                }
                _ => Value::error("has() requires a field selection"),
            };
        }
        if let (Some(t), true) = (
            target,
            matches!(
                function,
                "all" | "exists" | "exists_one" | "map" | "filter" | "existsOne"
            ),
        ) {
            // `all(i, v, p)` / `exists(k, v, p)`: index (or key) and value.
            if let (
                Some(Expr {
                    kind: ExprKind::Ident { name: first, .. },
                    ..
                }),
                Some(Expr {
                    kind: ExprKind::Ident { name: second, .. },
                    ..
                }),
                3,
            ) = (args.first(), args.get(1), args.len())
            {
                if matches!(function, "all" | "exists") {
                    let range = self.eval(t);
                    return self.two_var(function == "exists", first, second, &range, args.get(2));
                }
            }
            if let Some(Expr {
                kind: ExprKind::Ident { name, .. },
                ..
            }) = args.first()
            {
                let range = self.eval(t);
                return self.comprehension(function, name, &range, args.get(1..).unwrap_or(&[]));
            }
        }
        let mut vals: Vec<Value> = Vec::with_capacity(args.len() + 1);
        if let Some(t) = target {
            vals.push(self.eval(t));
        }
        for a in args {
            vals.push(self.eval(a));
        }
        if let Some(err) = first_error(&vals) {
            return err;
        }
        if target.is_none() {
            if let Some(v) = self.host.call(function, &vals) {
                return v;
            }
        }
        builtin(function, target.is_some(), &vals)
    }

    /// `all`/`exists` with two variables: (index, value) over a list,
    /// (key, value) over a map.
    fn two_var(
        &mut self,
        exists: bool,
        first: &str,
        second: &str,
        range: &Value,
        body: Option<&Expr>,
    ) -> Value {
        let Some(body) = body else {
            return Value::error("missing body");
        };
        let pairs: Vec<(Value, Value)> = match range {
            Value::List(l) => l
                .iter()
                .enumerate()
                .map(|(i, v)| (Value::Int(i as i64), v.clone()))
                .collect(),
            Value::Map(m) => m.iter().map(|(k, v)| (k.to_value(), v.clone())).collect(),
            Value::Error(_) => return range.clone(),
            other => return no_overload(if exists { "exists" } else { "all" }, &[other]),
        };
        let mut err = None;
        for (a, b) in pairs {
            self.locals.push((first.to_string(), a));
            self.locals.push((second.to_string(), b));
            let v = self.eval(body);
            self.locals.truncate(self.locals.len() - 2);
            match v {
                Value::Bool(x) if x == exists => return Value::Bool(exists),
                Value::Bool(_) => {}
                e @ Value::Error(_) => err = err.or(Some(e)),
                other => err = err.or(Some(no_overload("comprehension", &[&other]))),
            }
        }
        err.unwrap_or(Value::Bool(!exists))
    }

    fn comprehension(&mut self, function: &str, var: &str, range: &Value, rest: &[Expr]) -> Value {
        let items: Vec<Value> = match range {
            Value::List(l) => l.as_ref().clone(),
            Value::Map(m) => m.keys().map(Key::to_value).collect(),
            Value::Error(_) => return range.clone(),
            other => return no_overload(function, &[other]),
        };
        let run = |this: &mut Self, item: &Value, body: &Expr| {
            this.locals.push((var.to_string(), item.clone()));
            let v = this.eval(body);
            this.locals.pop();
            v
        };
        let Some(first) = rest.first() else {
            return Value::error(format!("{function} needs a body"));
        };
        match function {
            "all" | "exists" => {
                let want = function == "exists";
                let mut err = None;
                for item in &items {
                    match run(self, item, first) {
                        Value::Bool(b) if b == want => return Value::Bool(want),
                        Value::Bool(_) => {}
                        e @ Value::Error(_) => err = err.or(Some(e)),
                        other => err = err.or(Some(no_overload(function, &[&other]))),
                    }
                }
                err.unwrap_or(Value::Bool(!want))
            }
            "exists_one" | "existsOne" => {
                let mut count = 0;
                for item in &items {
                    match run(self, item, first) {
                        Value::Bool(true) => count += 1,
                        Value::Bool(false) => {}
                        e @ Value::Error(_) => return e,
                        other => return no_overload(function, &[&other]),
                    }
                }
                Value::Bool(count == 1)
            }
            "filter" => {
                let mut out = Vec::new();
                for item in &items {
                    match run(self, item, first) {
                        Value::Bool(true) => out.push(item.clone()),
                        Value::Bool(false) => {}
                        e @ Value::Error(_) => return e,
                        other => return no_overload(function, &[&other]),
                    }
                }
                Value::List(Arc::new(out))
            }
            _ => {
                // map(x, f) or map(x, p, f)
                let mut out = Vec::new();
                for item in &items {
                    if let Some(f) = rest.get(1) {
                        match run(self, item, first) {
                            Value::Bool(true) => {}
                            Value::Bool(false) => continue,
                            e @ Value::Error(_) => return e,
                            other => return no_overload(function, &[&other]),
                        }
                        let v = run(self, item, f);
                        if v.is_error() {
                            return v;
                        }
                        out.push(v);
                    } else {
                        let v = run(self, item, first);
                        if v.is_error() {
                            return v;
                        }
                        out.push(v);
                    }
                }
                Value::List(Arc::new(out))
            }
        }
    }
}

fn type_literal(name: &str) -> &'static str {
    match name {
        "int" => "int",
        "uint" => "uint",
        "double" => "double",
        "string" => "string",
        "bool" => "bool",
        "bytes" => "bytes",
        "list" => "list",
        "map" => "map",
        "null_type" => "null_type",
        _ => "type",
    }
}

/// Writes `a.b.c` to `out` as one dotted name; `false` if the expression
/// is not only identifiers.
fn dotted(e: &Expr, out: &mut String) -> bool {
    match &e.kind {
        ExprKind::Ident { name, .. } => {
            out.push_str(name);
            true
        }
        ExprKind::Select { operand, field, .. } => {
            let ok = dotted(operand, out);
            out.push('.');
            out.push_str(field);
            ok
        }
        _ => false,
    }
}

fn select(v: &Value, field: &str) -> Value {
    match v {
        Value::Map(m) => m
            .get(&Key::Str(field.into()))
            .cloned()
            .unwrap_or_else(|| Value::error(format!("no such key: {field}"))),
        Value::Error(_) => v.clone(),
        _ => Value::error(format!(
            "type '{}' does not support field selection",
            v.type_name()
        )),
    }
}

fn index_value(v: &Value, i: &Value) -> Value {
    match (v, i) {
        (Value::Error(_), _) => v.clone(),
        (_, Value::Error(_)) => i.clone(),
        (Value::List(l), _) => {
            let idx = match i {
                Value::Int(n) => Some(*n),
                Value::Uint(n) => i64::try_from(*n).ok(),
                Value::Double(d) if d.fract() == 0.0 && d.is_finite() => Some(*d as i64),
                _ => return no_overload("_[_]", &[v, i]),
            };
            match idx
                .and_then(|n| usize::try_from(n).ok())
                .and_then(|n| l.get(n))
            {
                Some(x) => x.clone(),
                None => Value::error(format!("index out of bounds: {}", idx.unwrap_or(-1))),
            }
        }
        (Value::Map(m), _) => match Value::map_get(m, i) {
            Some(x) => x.clone(),
            None => match Key::from_value(i) {
                Some(_) | None
                    if matches!(
                        i,
                        Value::Int(_)
                            | Value::Uint(_)
                            | Value::Double(_)
                            | Value::Str(_)
                            | Value::Bool(_)
                    ) =>
                {
                    Value::error(format!("no such key: {}", display_key(i)))
                }
                _ => no_overload("_[_]", &[v, i]),
            },
        },
        _ => no_overload("_[_]", &[v, i]),
    }
}

fn display_key(v: &Value) -> String {
    match v {
        Value::Str(s) => s.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Uint(u) => u.to_string(),
        Value::Double(d) => d.to_string(),
        Value::Bool(b) => b.to_string(),
        other => other.type_name().to_string(),
    }
}

/// `&&` / `||` after the short circuit: errors are absorbed by a deciding
/// operand on either side.
fn logic(l: Value, r: Value, or: bool) -> Value {
    let decides = |v: &Value| matches!(v, Value::Bool(b) if *b == or);
    if decides(&r) {
        return r;
    }
    match (&l, &r) {
        (Value::Bool(_), Value::Bool(_)) => r,
        (Value::Error(_), _) => l,
        (_, Value::Error(_)) => r,
        (Value::Bool(_), _) => no_overload(if or { "_||_" } else { "_&&_" }, &[&l, &r]),
        _ => no_overload(if or { "_||_" } else { "_&&_" }, &[&l, &r]),
    }
}

fn binary(op: BinaryOp, l: &Value, r: &Value) -> Value {
    use Value::*;
    if l.is_error() {
        return l.clone();
    }
    if r.is_error() {
        return r.clone();
    }
    let overflow = || Value::error("return error for overflow");
    match op {
        BinaryOp::Eq => equals(l, r).map_or_else(|e| e, Bool),
        BinaryOp::Ne => equals(l, r).map_or_else(|e| e, |b| Bool(!b)),
        BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
            let comparable = matches!(
                (l, r),
                (Int(_) | Uint(_) | Double(_), Int(_) | Uint(_) | Double(_))
            ) || std::mem::discriminant(l) == std::mem::discriminant(r);
            match compare(l, r) {
                Some(o) if comparable => Bool(match op {
                    BinaryOp::Lt => o.is_lt(),
                    BinaryOp::Le => o.is_le(),
                    BinaryOp::Gt => o.is_gt(),
                    _ => o.is_ge(),
                }),
                // NaN compares false with everything.
                None if matches!((l, r), (Double(_), _) | (_, Double(_))) && comparable => {
                    Bool(false)
                }
                _ => no_overload(op.symbol(), &[l, r]),
            }
        }
        BinaryOp::In => match r {
            List(items) => {
                let mut err = None;
                for x in items.iter() {
                    match equals(l, x) {
                        Ok(true) => return Bool(true),
                        Ok(false) => {}
                        Err(e) => err = Some(e),
                    }
                }
                err.unwrap_or(Bool(false))
            }
            Map(m) => Bool(Value::map_get(m, l).is_some()),
            _ => no_overload("@in", &[l, r]),
        },
        BinaryOp::Add => match (l, r) {
            (Int(a), Int(b)) => a.checked_add(*b).map_or_else(overflow, Int),
            (Uint(a), Uint(b)) => a.checked_add(*b).map_or_else(overflow, Uint),
            (Double(a), Double(b)) => Double(a + b),
            (Str(a), Str(b)) if a.len() + b.len() > MAX_BUILT_BYTES => too_big("string"),
            (Bytes(a), Bytes(b)) if a.len() + b.len() > MAX_BUILT_BYTES => too_big("bytes"),
            (List(a), List(b)) if a.len() + b.len() > MAX_BUILT_ITEMS => too_big("list"),
            (Str(a), Str(b)) => Str(format!("{a}{b}").into()),
            (Bytes(a), Bytes(b)) => Bytes([a.as_ref(), b.as_ref()].concat().into()),
            (List(a), List(b)) => List(Arc::new(a.iter().chain(b.iter()).cloned().collect())),
            _ => no_overload("_+_", &[l, r]),
        },
        BinaryOp::Sub => match (l, r) {
            (Int(a), Int(b)) => a.checked_sub(*b).map_or_else(overflow, Int),
            (Uint(a), Uint(b)) => a.checked_sub(*b).map_or_else(overflow, Uint),
            (Double(a), Double(b)) => Double(a - b),
            _ => no_overload("_-_", &[l, r]),
        },
        BinaryOp::Mul => match (l, r) {
            (Int(a), Int(b)) => a.checked_mul(*b).map_or_else(overflow, Int),
            (Uint(a), Uint(b)) => a.checked_mul(*b).map_or_else(overflow, Uint),
            (Double(a), Double(b)) => Double(a * b),
            _ => no_overload("_*_", &[l, r]),
        },
        BinaryOp::Div => match (l, r) {
            (Int(_), Int(0)) | (Uint(_), Uint(0)) => Value::error("divide by zero"),
            (Int(a), Int(b)) => a.checked_div(*b).map_or_else(overflow, Int),
            (Uint(a), Uint(b)) => Uint(a / b),
            (Double(a), Double(b)) => Double(a / b),
            _ => no_overload("_/_", &[l, r]),
        },
        BinaryOp::Rem => match (l, r) {
            (Int(_), Int(0)) | (Uint(_), Uint(0)) => Value::error("modulus by zero"),
            (Int(a), Int(b)) => a.checked_rem(*b).map_or_else(overflow, Int),
            (Uint(a), Uint(b)) => Uint(a % b),
            _ => no_overload("_%_", &[l, r]),
        },
        BinaryOp::And | BinaryOp::Or => logic(l.clone(), r.clone(), op == BinaryOp::Or),
    }
}

fn format_double(d: f64) -> String {
    if d.is_nan() {
        "NaN".into()
    } else if d.is_infinite() {
        if d > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        }
    } else {
        let s = format!("{d}");
        if d.abs() >= 1e21 || (d != 0.0 && d.abs() < 1e-6) {
            format!("{d:e}")
        } else {
            s
        }
    }
}

/// The standard functions: size, contains, startsWith, endsWith, matches
/// and the conversions.
fn builtin(function: &str, receiver: bool, args: &[Value]) -> Value {
    use Value::*;
    let refs: Vec<&Value> = args.iter().collect();
    match (function, args) {
        ("size", [Str(s)]) => Int(s.chars().count() as i64),
        ("lower", [Str(s)]) if !receiver => Str(s.to_lowercase().into()),
        ("size", [Bytes(b)]) => Int(b.len() as i64),
        ("size", [List(l)]) => Int(l.len() as i64),
        ("size", [Map(m)]) => Int(m.len() as i64),
        ("contains", [Str(s), Str(t)]) if receiver => Bool(s.contains(t.as_ref())),
        ("startsWith", [Str(s), Str(t)]) if receiver => Bool(s.starts_with(t.as_ref())),
        ("endsWith", [Str(s), Str(t)]) if receiver => Bool(s.ends_with(t.as_ref())),
        ("matches", [Str(s), Str(re)]) => regex_match(s, re),
        ("int", [Int(i)]) => Int(*i),
        ("int", [Uint(u)]) => i64::try_from(*u).map_or_else(|_| Value::error("range error"), Int),
        ("int", [Double(d)]) => {
            if d.is_finite() && *d > -9.223_372_036_854_776e18 && *d < 9.223_372_036_854_776e18 {
                Int(d.trunc() as i64)
            } else {
                Value::error("range error")
            }
        }
        ("int", [Str(s)]) => s.parse::<i64>().map_or_else(
            |_| Value::error(format!("cannot convert '{s}' to int")),
            Int,
        ),
        ("int", [Bool(b)]) => Int(i64::from(*b)),
        ("uint", [Uint(u)]) => Uint(*u),
        ("uint", [Int(i)]) => u64::try_from(*i).map_or_else(|_| Value::error("range error"), Uint),
        ("uint", [Double(d)]) => {
            if d.is_finite() && *d > -1.0 && *d < 1.844_674_407_370_955_2e19 {
                Uint(d.trunc() as u64)
            } else {
                Value::error("range error")
            }
        }
        ("uint", [Str(s)]) => s.parse::<u64>().map_or_else(
            |_| Value::error(format!("cannot convert '{s}' to uint")),
            Uint,
        ),
        ("double", [Double(d)]) => Double(*d),
        ("double", [Int(i)]) => Double(*i as f64),
        ("double", [Uint(u)]) => Double(*u as f64),
        ("double", [Str(s)]) => match s.as_ref() {
            "NaN" => Double(f64::NAN),
            "Infinity" | "+Infinity" | "inf" | "+inf" => Double(f64::INFINITY),
            "-Infinity" | "-inf" => Double(f64::NEG_INFINITY),
            t => t.parse::<f64>().map_or_else(
                |_| Value::error(format!("cannot convert '{s}' to double")),
                Double,
            ),
        },
        ("string", [Str(s)]) => Str(s.clone()),
        ("string", [Int(i)]) => Str(i.to_string().into()),
        ("string", [Uint(u)]) => Str(u.to_string().into()),
        ("string", [Double(d)]) => Str(format_double(*d).into()),
        ("string", [Bool(b)]) => Str(b.to_string().into()),
        ("string", [Bytes(b)]) => {
            std::str::from_utf8(b).map_or_else(|_| Value::error("invalid UTF-8"), |s| Str(s.into()))
        }
        ("bytes", [Bytes(b)]) => Bytes(b.clone()),
        ("bytes", [Str(s)]) => Bytes(s.as_bytes().into()),
        ("bool", [Bool(b)]) => Bool(*b),
        ("bool", [Str(s)]) => match s.as_ref() {
            "true" | "True" | "TRUE" | "t" | "1" => Bool(true),
            "false" | "False" | "FALSE" | "f" | "0" => Bool(false),
            _ => Value::error(format!("cannot convert '{s}' to bool")),
        },
        ("dyn", [v]) => v.clone(),
        ("type", [v]) => Type(v.type_name()),
        _ => {
            let known = [
                "size",
                "contains",
                "startsWith",
                "endsWith",
                "matches",
                "int",
                "uint",
                "double",
                "string",
                "bytes",
                "bool",
                "dyn",
                "type",
            ];
            if known.contains(&function) {
                no_overload(function, &refs)
            } else {
                Value::error(format!("unknown function '{function}'"))
            }
        }
    }
}
