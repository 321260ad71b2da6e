//! CEL runtime values. Errors are values (CEL's semantics): they flow
//! through expressions until `&&`, `||` or `?:` can absorb them.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A map key: CEL allows bool, int, uint and string keys.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Key {
    Bool(bool),
    Int(i64),
    Uint(u64),
    Str(Arc<str>),
}

impl Key {
    pub fn to_value(&self) -> Value {
        match self {
            Key::Bool(b) => Value::Bool(*b),
            Key::Int(i) => Value::Int(*i),
            Key::Uint(u) => Value::Uint(*u),
            Key::Str(s) => Value::Str(s.clone()),
        }
    }

    /// The key a value stands for, if it can be one.
    pub fn from_value(v: &Value) -> Option<Key> {
        match v {
            Value::Bool(b) => Some(Key::Bool(*b)),
            Value::Int(i) => Some(Key::Int(*i)),
            Value::Uint(u) => Some(Key::Uint(*u)),
            Value::Str(s) => Some(Key::Str(s.clone())),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Double(f64),
    Str(Arc<str>),
    Bytes(Arc<[u8]>),
    List(Arc<Vec<Value>>),
    Map(Arc<BTreeMap<Key, Value>>),
    /// A type value (`int`, `string`, ...), as `type(x)` returns.
    Type(&'static str),
    Error(Arc<str>),
}

impl Value {
    pub fn error(msg: impl Into<String>) -> Value {
        Value::Error(msg.into().into())
    }

    pub fn str(s: &str) -> Value {
        Value::Str(s.into())
    }

    pub fn is_error(&self) -> bool {
        matches!(self, Value::Error(_))
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null_type",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Uint(_) => "uint",
            Value::Double(_) => "double",
            Value::Str(_) => "string",
            Value::Bytes(_) => "bytes",
            Value::List(_) => "list",
            Value::Map(_) => "map",
            Value::Type(_) => "type",
            Value::Error(_) => "error",
        }
    }

    /// A map lookup that also finds numerically equal keys (`m[1u]` finds `1`).
    pub fn map_get<'a>(map: &'a BTreeMap<Key, Value>, key: &Value) -> Option<&'a Value> {
        if let Some(k) = Key::from_value(key) {
            if let Some(v) = map.get(&k) {
                return Some(v);
            }
        }
        let as_int = match key {
            Value::Uint(u) => i64::try_from(*u).ok(),
            Value::Double(d) if d.fract() == 0.0 && d.is_finite() && d.abs() < 9.2e18 => {
                Some(*d as i64)
            }
            _ => None,
        };
        let as_uint = match key {
            Value::Int(i) => u64::try_from(*i).ok(),
            Value::Double(d) if d.fract() == 0.0 && *d >= 0.0 && *d < 1.8e19 => Some(*d as u64),
            _ => None,
        };
        as_int
            .and_then(|i| map.get(&Key::Int(i)))
            .or_else(|| as_uint.and_then(|u| map.get(&Key::Uint(u))))
    }

    /// From JSON (trace events): integers stay integers, other numbers
    /// become doubles.
    pub fn from_json(v: &serde_json::Value) -> Value {
        use serde_json::Value as J;
        match v {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => match n.as_u64() {
                    Some(u) => Value::Uint(u),
                    None => Value::Double(n.as_f64().unwrap_or(f64::NAN)),
                },
            },
            J::String(s) => Value::str(s),
            J::Array(a) => Value::List(Arc::new(a.iter().map(Value::from_json).collect())),
            J::Object(m) => Value::Map(Arc::new(
                m.iter()
                    .map(|(k, v)| (Key::Str(k.as_str().into()), Value::from_json(v)))
                    .collect(),
            )),
        }
    }
}

/// Numeric comparison across int, uint and double (CEL's heterogeneous
/// ordering); `None` when the values do not compare.
pub fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    use Value::*;
    match (a, b) {
        (Int(x), Int(y)) => Some(x.cmp(y)),
        (Uint(x), Uint(y)) => Some(x.cmp(y)),
        (Double(x), Double(y)) => x.partial_cmp(y),
        (Int(x), Uint(y)) => Some(if *x < 0 {
            Ordering::Less
        } else {
            (*x as u64).cmp(y)
        }),
        (Uint(x), Int(y)) => Some(if *y < 0 {
            Ordering::Greater
        } else {
            x.cmp(&(*y as u64))
        }),
        (Int(x), Double(y)) => cmp_int_double(*x as i128, *y),
        (Uint(x), Double(y)) => cmp_int_double(*x as i128, *y),
        (Double(x), Int(y)) => cmp_int_double(*y as i128, *x).map(Ordering::reverse),
        (Double(x), Uint(y)) => cmp_int_double(*y as i128, *x).map(Ordering::reverse),
        (Str(x), Str(y)) => Some(x.cmp(y)),
        (Bytes(x), Bytes(y)) => Some(x.cmp(y)),
        (Bool(x), Bool(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// CEL compares an integer with a double by converting the integer to a
/// double (lossy for magnitudes above 2^53, as the spec's tests expect).
fn cmp_int_double(i: i128, d: f64) -> Option<Ordering> {
    (i as f64).partial_cmp(&d)
}

/// CEL equality: numbers compare by value across types, lists and maps
/// element-wise; values of different kinds are unequal. Errors propagate.
pub fn equals(a: &Value, b: &Value) -> Result<bool, Value> {
    use Value::*;
    match (a, b) {
        (Error(_), _) => Err(a.clone()),
        (_, Error(_)) => Err(b.clone()),
        (Null, Null) => Ok(true),
        (Int(_) | Uint(_) | Double(_), Int(_) | Uint(_) | Double(_)) => {
            Ok(compare(a, b) == Some(Ordering::Equal))
        }
        (List(x), List(y)) => {
            if x.len() != y.len() {
                return Ok(false);
            }
            let mut result = Ok(true);
            for (p, q) in x.iter().zip(y.iter()) {
                match equals(p, q) {
                    Ok(false) => return Ok(false),
                    Ok(true) => {}
                    Err(e) => result = Err(e),
                }
            }
            result
        }
        (Map(x), Map(y)) => {
            if x.len() != y.len() {
                return Ok(false);
            }
            for (k, v) in x.iter() {
                match Value::map_get(y, &k.to_value()) {
                    None => return Ok(false),
                    Some(w) => {
                        if !equals(v, w)? {
                            return Ok(false);
                        }
                    }
                }
            }
            Ok(true)
        }
        (Type(x), Type(y)) => Ok(x == y),
        _ => Ok(compare(a, b) == Some(Ordering::Equal) && a.type_name() == b.type_name()),
    }
}
