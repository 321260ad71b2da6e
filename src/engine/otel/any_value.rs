//! OTLP/JSON values as plain JSON: an `AnyValue` (`{"stringValue": ..}`,
//! `{"kvlistValue": {"values": [{"key", "value"}]}}`, ...) becomes the
//! string, number, object or array it stands for, and an attribute list
//! becomes an object.

use serde_json::{Map, Value as J};

/// How deep nested `arrayValue`/`kvlistValue`s are read; deeper ones read
/// as null (the JSON parser bounds the depth already; this bounds the
/// recursion on its own terms).
const DEPTH: usize = 64;

/// An `AnyValue`. `bytesValue` (base64 data: an image, audio) is never
/// text, and reads as null; so does the empty value `{}`.
pub(crate) fn value(v: &J) -> J {
    value_at(v, 0)
}

fn value_at(v: &J, depth: usize) -> J {
    if depth > DEPTH {
        return J::Null;
    }
    let Some(o) = v.as_object() else {
        return J::Null;
    };
    if let Some(s) = o.get("stringValue") {
        return s.clone();
    }
    if let Some(i) = o.get("intValue") {
        return match i {
            J::String(s) => s.parse::<i64>().map(J::from).unwrap_or(J::Null),
            J::Number(_) => i.clone(),
            _ => J::Null,
        };
    }
    if let Some(d) = o.get("doubleValue") {
        return match d {
            J::Number(_) => d.clone(),
            // Protobuf JSON writes the non-finite doubles as strings.
            J::String(s) => s
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map_or(J::Null, J::Number),
            _ => J::Null,
        };
    }
    if let Some(b) = o.get("boolValue") {
        return if b.is_boolean() { b.clone() } else { J::Null };
    }
    if let Some(a) = o.get("arrayValue") {
        let items = a.get("values").and_then(J::as_array);
        return J::Array(
            items
                .into_iter()
                .flatten()
                .map(|x| value_at(x, depth + 1))
                .collect(),
        );
    }
    if let Some(kv) = o.get("kvlistValue") {
        return J::Object(pairs(kv.get("values"), depth + 1));
    }
    J::Null
}

/// An attribute list (`[{"key", "value"}]`) as an object; the last of a
/// repeated key wins, as in the SDKs.
pub(crate) fn attributes(list: Option<&J>) -> Map<String, J> {
    pairs(list, 0)
}

fn pairs(list: Option<&J>, depth: usize) -> Map<String, J> {
    let mut out = Map::new();
    for a in list.and_then(J::as_array).into_iter().flatten() {
        if let Some(k) = a.get("key").and_then(J::as_str) {
            let v = a.get("value").map_or(J::Null, |v| value_at(v, depth));
            out.insert(k.to_string(), v);
        }
    }
    out
}

/// A count given as a number or as the decimal string protobuf JSON
/// writes for 64-bit integers.
pub(crate) fn int(v: Option<&J>) -> Option<i64> {
    match v? {
        J::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        J::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_read_as_plain_json() {
        let v = json!({"kvlistValue": {"values": [
            {"key": "n", "value": {"intValue": "12"}},
            {"key": "d", "value": {"doubleValue": 0.5}},
            {"key": "b", "value": {"boolValue": true}},
            {"key": "a", "value": {"arrayValue": {"values": [{"stringValue": "x"}]}}},
            {"key": "empty", "value": {}},
            {"key": "none", "value": {"arrayValue": {}}},
            {"key": "bin", "value": {"bytesValue": "aGk="}}
        ]}});
        assert_eq!(
            value(&v),
            json!({"n": 12, "d": 0.5, "b": true, "a": ["x"], "empty": null, "none": [], "bin": null})
        );
    }

    #[test]
    fn deep_values_stop() {
        let mut v = json!({"stringValue": "deep"});
        for _ in 0..100 {
            v = json!({"arrayValue": {"values": [v]}});
        }
        // Read to the bound, then null: no stack overflow.
        let mut out = value(&v);
        let mut depth = 0;
        while let J::Array(mut a) = out {
            out = a.pop().unwrap_or(J::Null);
            depth += 1;
        }
        assert!(depth <= DEPTH + 1);
        assert_eq!(out, J::Null);
    }
}
