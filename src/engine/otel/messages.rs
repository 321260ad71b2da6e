//! Chat messages as the GenAI conventions and their forerunners write
//! them, read into one model: a role and parts that are text, tool calls
//! or tool results. Reasoning parts are not output text, and binary parts
//! (base64 images, audio, files) are not text at all: both are dropped.
//!
//! Read: semantic-convention messages (`{"role", "parts": [{"type":
//! "text", "content"}, {"type": "tool_call", ...}]}`), OpenAI-style ones
//! (`{"role", "content", "tool_calls": [{"id", "function": {"name",
//! "arguments"}}]}`, content parts `{"type": "text", "text"}`), Anthropic
//! blocks (`tool_use`, `tool_result`), request and response bodies
//! (`{"messages": [...]}`, `{"choices": [{"message"}]}`), and plain text.

use serde_json::{Map, Value as J};

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Message {
    pub role: Option<String>,
    pub parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Part {
    Text(String),
    Call(Call),
    Reply(Reply),
}

/// A tool call the model asked for.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Call {
    pub id: Option<String>,
    pub name: Option<String>,
    pub arguments: J,
}

/// A tool's result, as sent back to the model.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Reply {
    pub id: Option<String>,
    pub name: Option<String>,
    pub result: J,
}

/// What some instrumentations write in place of content they were told
/// not to record: not text.
pub(crate) const REDACTED: &str = "__REDACTED__";

/// Messages nested deeper than this (a message list inside a message's
/// content inside ...) are not read: no real convention nests them.
const DEPTH: usize = 8;

/// The messages a value holds: a JSON string of them, a list, one
/// message, a request or response body, or plain text (one message with
/// no role). `None` when it holds nothing readable.
#[cfg(test)]
pub(crate) fn messages(v: &J) -> Option<Vec<Message>> {
    messages_at(v, None, 0)
}

/// Like [`messages`], with the role a message without one is given.
pub(crate) fn messages_as(v: &J, role: &str) -> Option<Vec<Message>> {
    messages_at(v, Some(role), 0)
}

fn messages_at(v: &J, role: Option<&str>, depth: usize) -> Option<Vec<Message>> {
    if depth > DEPTH {
        return None;
    }
    match v {
        J::String(s) if s == REDACTED || s.is_empty() => None,
        J::String(s) => match serde_json::from_str::<J>(s) {
            Ok(parsed @ (J::Array(_) | J::Object(_))) => messages_at(&parsed, role, depth + 1),
            _ => Some(vec![Message {
                role: role.map(str::to_string),
                parts: vec![Part::Text(s.clone())],
            }]),
        },
        J::Array(items) => Some(
            items
                .iter()
                .filter_map(|m| m.as_object().map(|o| message(o, role)))
                .collect(),
        ),
        J::Object(o) => {
            if let Some(list) = o.get("messages") {
                return messages_at(list, role, depth + 1);
            }
            if let Some(choices) = o.get("choices").and_then(J::as_array) {
                return Some(
                    choices
                        .iter()
                        .filter_map(|c| choice(c.as_object()?))
                        .collect(),
                );
            }
            Some(vec![message(o, role)])
        }
        _ => None,
    }
}

/// A completion choice (`{"index", "finish_reason", "message": {...}}`;
/// OpenLLMetry puts `tool_calls` beside `message`, not in it).
pub(crate) fn choice(c: &Map<String, J>) -> Option<Message> {
    let mut m = match c.get("message").and_then(J::as_object) {
        Some(inner) => message(inner, Some("assistant")),
        None if c.contains_key("content") || c.contains_key("tool_calls") => {
            return Some(message(c, Some("assistant")));
        }
        None => Message {
            role: Some("assistant".into()),
            parts: Vec::new(),
        },
    };
    if let Some(calls) = c.get("tool_calls") {
        m.parts.extend(tool_calls(calls));
    }
    // A text completion's choice holds its text directly.
    if let Some(J::String(t)) = c.get("text") {
        push_text(&mut m.parts, t);
    }
    Some(m)
}

/// One message object, in any of the forms read.
pub(crate) fn message(o: &Map<String, J>, default_role: Option<&str>) -> Message {
    let role = o
        .get("role")
        .and_then(J::as_str)
        .or(default_role)
        .map(str::to_string);
    let is_tool = matches!(role.as_deref(), Some("tool" | "function"));
    let mut parts = Vec::new();
    if let Some(list) = o.get("parts").and_then(J::as_array) {
        for p in list {
            if let Some(p) = p.as_object() {
                part(p, &mut parts);
            }
        }
    }
    match o.get("content") {
        Some(J::String(s)) if is_tool => parts.push(Part::Reply(Reply {
            id: id_of(o, &["tool_call_id", "id"]),
            name: o.get("name").and_then(J::as_str).map(str::to_string),
            result: arguments(&J::String(s.clone())),
        })),
        Some(J::String(s)) => push_text(&mut parts, s),
        Some(J::Array(blocks)) => {
            for b in blocks {
                match b {
                    J::String(s) => push_text(&mut parts, s),
                    J::Object(p) => part(p, &mut parts),
                    _ => {}
                }
            }
        }
        _ => {}
    }
    if let Some(calls) = o.get("tool_calls") {
        parts.extend(tool_calls(calls));
    }
    if let Some(J::Object(f)) = o.get("function_call") {
        parts.push(Part::Call(call(f)));
    }
    Message { role, parts }
}

/// One part or content block.
fn part(p: &Map<String, J>, out: &mut Vec<Part>) {
    let kind = p.get("type").and_then(J::as_str).unwrap_or("");
    match kind {
        "text" | "input_text" | "output_text" | "" => {
            let text = p.get("content").or_else(|| p.get("text"));
            if let Some(J::String(s)) = text {
                push_text(out, s);
            }
        }
        "tool_call" | "function_call" | "tool_use" | "function" => out.push(Part::Call(call(p))),
        "tool_call_response" | "tool_result" | "function_call_output" | "function_response" => {
            let result = ["response", "result", "content", "output"]
                .iter()
                .find_map(|k| p.get(*k))
                .map_or(J::Null, arguments);
            out.push(Part::Reply(Reply {
                id: id_of(p, &["id", "tool_call_id", "tool_use_id", "call_id"]),
                name: p.get("name").and_then(J::as_str).map(str::to_string),
                result,
            }));
        }
        // Reasoning is not the answer, and binary data (base64 images,
        // audio, files, links to them) is not text; a part of a type no
        // convention defines is not read as text either.
        _ => {}
    }
}

fn tool_calls(v: &J) -> Vec<Part> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(J::as_object)
        .map(|c| Part::Call(call(c)))
        .collect()
}

/// A tool call: `{"id", "name", "arguments"}` or OpenAI's `{"id",
/// "function": {"name", "arguments"}}` (Anthropic: `input`).
fn call(c: &Map<String, J>) -> Call {
    let f = c.get("function").and_then(J::as_object).unwrap_or(c);
    Call {
        id: id_of(c, &["id", "call_id", "tool_call_id"]),
        name: f
            .get("name")
            .or_else(|| c.get("name"))
            .and_then(J::as_str)
            .map(str::to_string),
        arguments: f
            .get("arguments")
            .or_else(|| c.get("arguments"))
            .or_else(|| c.get("input"))
            .map_or(J::Null, arguments),
    }
}

fn id_of(o: &Map<String, J>, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| match o.get(*k)? {
        J::String(s) if !s.is_empty() => Some(s.clone()),
        J::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// Tool arguments or a result: a JSON object or array written as a
/// string is read as what it says; other text stays text.
pub(crate) fn arguments(v: &J) -> J {
    match v {
        J::String(s) if s == REDACTED => J::Null,
        J::String(s) => match serde_json::from_str::<J>(s) {
            Ok(parsed @ (J::Object(_) | J::Array(_))) => parsed,
            _ => v.clone(),
        },
        other => other.clone(),
    }
}

fn push_text(out: &mut Vec<Part>, s: &str) {
    if !s.is_empty() && s != REDACTED {
        out.push(Part::Text(s.to_string()));
    }
}

fn texts<'a>(msgs: impl Iterator<Item = &'a Message>) -> Option<String> {
    let all: Vec<&str> = msgs
        .flat_map(|m| m.parts.iter())
        .filter_map(|p| match p {
            Part::Text(t) => Some(t.as_str()),
            _ => None,
        })
        .collect();
    (!all.is_empty()).then(|| all.join("\n"))
}

fn is_model(role: Option<&str>) -> bool {
    matches!(role, Some("assistant" | "model" | "ai" | "bot"))
}

/// The prompt of this exchange: the user's messages after the model's
/// last one. Earlier turns were the prompts of earlier exchanges, each
/// guarded when it was sent; system instructions are not user input.
pub(crate) fn input_text(msgs: &[Message]) -> Option<String> {
    let from = msgs
        .iter()
        .rposition(|m| is_model(m.role.as_deref()))
        .map_or(0, |i| i + 1);
    texts(
        msgs.iter()
            .skip(from)
            .filter(|m| matches!(m.role.as_deref(), None | Some("user" | "human"))),
    )
}

/// The model's answer: the text of its messages (any role but the
/// user's, the system's or a tool's).
pub(crate) fn output_text(msgs: &[Message]) -> Option<String> {
    texts(msgs.iter().filter(|m| {
        !matches!(
            m.role.as_deref(),
            Some("user" | "human" | "system" | "developer" | "tool" | "function")
        )
    }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(v: J) -> Vec<Message> {
        messages(&v).unwrap()
    }

    #[test]
    fn parts_reasoning_and_binary() {
        let m = read(json!([{"role": "assistant", "parts": [
            {"type": "reasoning", "content": "think"},
            {"type": "text", "content": "answer"},
            {"type": "blob", "modality": "image", "content": "aGVsbG8="},
            {"type": "uri", "uri": "https://x/y.png"},
            {"type": "tool_call", "id": "c1", "name": "f", "arguments": "{\"a\": 1}"}
        ]}]));
        assert_eq!(output_text(&m).as_deref(), Some("answer"));
        assert!(m[0].parts.contains(&Part::Call(Call {
            id: Some("c1".into()),
            name: Some("f".into()),
            arguments: json!({"a": 1})
        })));
    }

    #[test]
    fn openai_style_and_tool_results() {
        let m = read(json!({"messages": [
            {"role": "system", "content": "be nice"},
            {"role": "user", "content": [{"type": "text", "text": "hi"}, {"type": "image_url", "image_url": {"url": "data:..."}}]},
            {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "c1", "content": "42"}
        ]}));
        // The turn after the model's last message holds only a result.
        assert_eq!(input_text(&m), None);
        assert_eq!(input_text(&m[..2]).as_deref(), Some("hi"));
        assert!(
            matches!(&m[3].parts[0], Part::Reply(r) if r.id.as_deref() == Some("c1") && r.result == json!("42"))
        );
    }

    #[test]
    fn plain_text_and_redacted() {
        assert_eq!(input_text(&read(json!("hello"))).as_deref(), Some("hello"));
        assert!(messages(&json!(REDACTED)).is_none());
        let choice =
            read(json!({"choices": [{"message": {"role": "assistant", "content": "ok"}}]}));
        assert_eq!(output_text(&choice).as_deref(), Some("ok"));
    }

    #[test]
    fn nested_strings_stop() {
        let mut v = json!("x");
        for _ in 0..20 {
            v = J::String(v.to_string());
        }
        // Read without unbounded recursion.
        let _ = messages(&v);
    }
}
