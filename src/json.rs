//! Small JSON helpers shared by the output formats.

use serde_json::Value;

/// Sets `key` on a JSON object (a no-op on anything else, which callers
/// never pass: they build the object themselves).
pub fn put(target: &mut Value, key: &str, value: Value) {
    if let Some(o) = target.as_object_mut() {
        o.insert(key.to_string(), value);
    }
}
