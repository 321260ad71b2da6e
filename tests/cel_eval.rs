//! CEL evaluation against the cel-spec conformance suite: every test whose
//! features are in scope must give exactly the suite's value (or an error
//! where the suite expects one). Skipped tests are counted by reason.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use common::{CEL_OUT_OF_SCOPE as OUT_OF_SCOPE, cel_suite, cel_tests as collect};
use guardctl::cel::ast::{Expr, ExprKind};
use guardctl::cel::eval::{Vars, eval};
use guardctl::cel::parse;
use guardctl::cel::value::{Key, Value};

mod common;

/// Functions the evaluator implements (guardrail functions need a host).
const FUNCTIONS: &[&str] = &[
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
    "has",
    "all",
    "exists",
    "exists_one",
    "map",
    "filter",
];

fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let table = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::new();
    let mut buf = 0u32;
    let mut bits = 0;
    for c in s.bytes().filter(|c| *c != b'=') {
        buf = (buf << 6) | table(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
        }
    }
    Some(out)
}

/// A protobuf-JSON `Value` as a CEL value; `Err` names an unsupported feature.
fn convert(v: &serde_json::Value) -> Result<Value, String> {
    let obj = v.as_object().ok_or("not an object")?;
    let (k, x) = obj.iter().next().ok_or_else(|| "empty value".to_string())?;
    Ok(match k.as_str() {
        "nullValue" => Value::Null,
        "boolValue" => Value::Bool(x.as_bool().unwrap()),
        "int64Value" => Value::Int(
            x.as_str()
                .map_or_else(|| x.as_i64().unwrap(), |s| s.parse().unwrap()),
        ),
        "uint64Value" => Value::Uint(
            x.as_str()
                .map_or_else(|| x.as_u64().unwrap(), |s| s.parse().unwrap()),
        ),
        "doubleValue" => Value::Double(match x {
            serde_json::Value::String(s) => match s.as_str() {
                "NaN" => f64::NAN,
                "Infinity" => f64::INFINITY,
                "-Infinity" => f64::NEG_INFINITY,
                other => other.parse().unwrap(),
            },
            other => other.as_f64().unwrap(),
        }),
        "stringValue" => Value::str(x.as_str().unwrap()),
        "bytesValue" => Value::Bytes(
            decode_base64(x.as_str().unwrap())
                .ok_or("bad base64")?
                .into(),
        ),
        "listValue" => {
            let items = x
                .get("values")
                .and_then(|v| v.as_array())
                .cloned()
                .unwrap_or_default();
            Value::List(Arc::new(
                items.iter().map(convert).collect::<Result<_, _>>()?,
            ))
        }
        "mapValue" => {
            let mut m = BTreeMap::new();
            for e in x
                .get("entries")
                .and_then(|v| v.as_array())
                .cloned()
                .unwrap_or_default()
            {
                let key = convert(&e["key"])?;
                let key = Key::from_value(&key).ok_or("map key type")?;
                m.insert(key, convert(&e["value"])?);
            }
            Value::Map(Arc::new(m))
        }
        "typeValue" => return Err("type values".into()),
        other => return Err(format!("{other} values")),
    })
}

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        // A few expected doubles in the JSON export of the suite are one
        // ulp from the correctly rounded value of the same literal (e.g.
        // `double('1.38e-23')`); compare to within 4 ulps.
        (Value::Double(x), Value::Double(y)) => {
            x == y
                || (x.is_nan() && y.is_nan())
                || ((x - y).abs() <= 4.0 * f64::EPSILON * x.abs().max(y.abs()))
        }
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| same(p, q))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Uint(x), Value::Uint(y)) => x == y,
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::Bytes(x), Value::Bytes(y)) => x == y,
        _ => false,
    }
}

/// Why an expression is out of scope, if it is.
fn unsupported(e: &Expr) -> Option<String> {
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        match &e.kind {
            ExprKind::Call { function, .. } if !FUNCTIONS.contains(&function.as_str()) => {
                return Some(format!("function {function}"));
            }
            ExprKind::Struct { .. } => return Some("message literals".into()),
            ExprKind::Select { optional: true, .. } | ExprKind::Index { optional: true, .. } => {
                return Some("optional syntax".into());
            }
            ExprKind::Ident {
                leading_dot: true, ..
            } => return Some("container names".into()),
            ExprKind::Call { function, .. } if function == "type" => {
                return Some("type values".into());
            }
            _ => {}
        }
        stack.extend(e.children());
    }
    None
}

#[test]
fn cel_conformance_evaluates() {
    let root = cel_suite();
    let (mut passed, mut wrong) = (0, Vec::new());
    let mut skipped: BTreeMap<String, usize> = BTreeMap::new();
    for section in root["suites"].as_array().unwrap() {
        let name = section["name"].as_str().unwrap();
        let mut tests = Vec::new();
        collect(section, &mut tests);
        if let Some((_, why)) = OUT_OF_SCOPE.iter().find(|(n, _)| *n == name) {
            *skipped.entry(format!("section {name}: {why}")).or_default() += tests.len();
            continue;
        }
        'tests: for t in tests {
            let o = &t["original"];
            let label = format!("{name}/{}", o["name"].as_str().unwrap_or(""));
            let expr = o["expr"].as_str().unwrap();
            let mut skip = |why: String| *skipped.entry(why).or_default() += 1;
            if o.get("container").is_some()
                || o.get("typeEnv").is_some() && o.get("bindings").is_none() && expr.contains('.')
            {
                skip("declared types or containers".into());
                continue;
            }
            let ast = parse(expr).unwrap();
            if let Some(why) = unsupported(&ast) {
                skip(why);
                continue;
            }
            let mut vars = HashMap::new();
            if let Some(b) = o["bindings"].as_object() {
                for (k, v) in b {
                    match convert(&v["value"]) {
                        Ok(val) => {
                            vars.insert(k.clone(), val);
                        }
                        Err(why) => {
                            skip(format!("binding of {why}"));
                            continue 'tests;
                        }
                    }
                }
            }
            let got = eval(&ast, &Vars(&vars));
            if o.get("evalError").is_some() {
                if got.is_error() {
                    passed += 1;
                } else {
                    wrong.push(format!("{label}: `{expr}` = {got:?}, expected an error"));
                }
                continue;
            }
            let Some(value) = o.get("value") else {
                skip("no expected value (unknowns)".into());
                continue;
            };
            match convert(value) {
                Err(why) => skip(format!("expected {why}")),
                Ok(want) if same(&got, &want) => passed += 1,
                Ok(want) => wrong.push(format!("{label}: `{expr}` = {got:?}, expected {want:?}")),
            }
        }
    }
    let total_skipped: usize = skipped.values().sum();
    println!(
        "cel-conformance evaluation: {passed} passed, {} wrong, {total_skipped} skipped",
        wrong.len()
    );
    for (why, n) in &skipped {
        println!("  skipped {n}: {why}");
    }
    assert!(
        wrong.is_empty(),
        "{} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert!(passed > 700, "only {passed} evaluated");
}
