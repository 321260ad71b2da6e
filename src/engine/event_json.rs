//! An event written as a guardctl JSONL line, as guardctl read it: what
//! `guardctl traces show` prints and `traces convert` writes, so a user
//! sees what the rules see (and can replay it). Read back, the line is
//! the same event. Keys are sorted; fields at their defaults are left
//! out.

use serde_json::{Map, Value as J, json};

use super::event::Event;

/// The event as JSON; `source` (file and line it was read from) when
/// given. `source` is passed over when the line is read back.
pub fn to_json(e: &Event, source: Option<&str>) -> J {
    let mut o = Map::new();
    let mut put = |k: &str, v: J| {
        o.insert(k.to_string(), v);
    };
    put("id", J::String(e.id.clone()));
    if let Some(file) = source {
        put("source", json!({"file": file, "line": e.line}));
    }
    let text = |v: &Option<String>| v.clone().map(J::String);
    for (k, v) in [
        ("timestamp", e.timestamp.map(|t| J::String(t.to_rfc3339()))),
        ("kind", text(&e.kind)),
        (
            "input",
            e.input.as_deref().map(|t| J::String(t.to_string())),
        ),
        (
            "output",
            e.output.as_deref().map(|t| J::String(t.to_string())),
        ),
        ("model", text(&e.model)),
        ("project", text(&e.project)),
        ("agent", text(&e.agent)),
        ("request_id", text(&e.request_id)),
        ("trace_id", text(&e.trace_id)),
        ("site", text(&e.site)),
        ("handoff", e.handoff.clone()),
    ] {
        if let Some(v) = v {
            put(k, v);
        }
    }
    let i = &e.identity;
    let mut identity = Map::new();
    for (k, v) in [("id", &i.id), ("team", &i.team), ("org", &i.org)] {
        if let Some(v) = v {
            identity.insert(k.into(), J::String(v.clone()));
        }
    }
    if !i.roles.is_empty() {
        identity.insert("roles".into(), json!(i.roles));
    }
    if !identity.is_empty() {
        put("identity", J::Object(identity));
    }
    if !e.headers.is_empty() {
        put(
            "headers",
            J::Object(
                e.headers
                    .iter()
                    .map(|(k, v)| (k.clone(), J::String(v.clone())))
                    .collect(),
            ),
        );
    }
    for (k, m) in [
        ("metadata", &e.metadata),
        ("offer", &e.offer),
        ("customer", &e.customer),
        ("channel", &e.channel),
    ] {
        if !m.is_empty() {
            put(k, J::Object(m.clone()));
        }
    }
    if e.tokens.given {
        put(
            "tokens",
            json!({"input": e.tokens.input, "output": e.tokens.output, "total": e.tokens.total}),
        );
    }
    if e.cost_usd != crate::ir::values::Dec::ZERO {
        // Written as the decimal's own digits, read back exactly.
        if let Ok(n) = e.cost_usd.0.to_string().parse::<serde_json::Number>() {
            put("cost_usd", J::Number(n));
        }
    }
    if let Some(t) = &e.tool {
        put(
            "tool",
            json!({"name": t.name, "parameters": t.parameters, "result": t.result}),
        );
    }
    if !e.scores.is_empty() {
        let mut scores: Map<String, J> = Map::new();
        for (p, c, x) in e.scores.iter() {
            if let J::Object(cats) = scores
                .entry(p.to_string())
                .or_insert_with(|| J::Object(Map::new()))
            {
                cats.insert(c.to_string(), json!(x));
            }
        }
        put("scores", J::Object(scores));
    }
    if !e.chunks.is_empty() {
        put("chunks", json!(e.chunks));
    }
    if !e.latency_ms.is_empty() {
        let m: Map<String, J> = e
            .latency_ms
            .iter()
            .map(|(p, ms)| (p.clone(), json!(ms)))
            .collect();
        put("latency_ms", J::Object(m));
    }
    if !e.errors.is_empty() {
        use super::event::ProviderError;
        let m: Map<String, J> = e
            .errors
            .iter()
            .map(|(p, err)| {
                let v = match err {
                    ProviderError::Attempts(n) => json!({"attempts": n}),
                    ProviderError::Failed(msg) => json!({"message": msg}),
                };
                (p.clone(), v)
            })
            .collect();
        put("errors", J::Object(m));
    }
    if e.session_turn_count != 0 {
        put("session_turn_count", json!(e.session_turn_count));
    }
    J::Object(o)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn a_written_event_reads_back_as_itself() {
        let line = r#"{"id":"e1","timestamp":"2026-11-02T10:00:00Z","kind":"input","input":"hi","model":"m","identity":{"id":"u","roles":["a"]},"headers":{"x-env":"prod"},"metadata":{"k":1},"tokens":{"input":1,"output":2,"total":3},"cost_usd":0.0004,"tool":{"name":"t","parameters":{"a":1},"result":null},"scores":{"p":{"c":0.5}},"chunks":["a"],"session_turn_count":2,"request_id":"r","trace_id":"t","site":"chat.example","offer":{"id":"o1","score":0.5},"customer":{"tier":"gold"},"channel":{"type":"email"},"latency_ms":{"p":12.5},"errors":{"p":{"attempts":2},"q":{"message":"503"}}}"#;
        let e = Event::from_json(serde_json::from_str(line).unwrap(), 1).unwrap();
        let written = to_json(&e, Some("f.jsonl"));
        let back = Event::from_json(written.clone(), 1).unwrap();
        assert_eq!(back, e);
        assert_eq!(written["source"], json!({"file": "f.jsonl", "line": 1}));
        assert_eq!(written["cost_usd"].to_string(), "0.0004");
    }
}
