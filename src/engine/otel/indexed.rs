//! Messages flattened into numbered attributes, as the pre-standard
//! conventions write them: OpenLLMetry's `gen_ai.prompt.N.role` /
//! `.content` / `.tool_calls.M.name` (and the older `llm.prompts.N.*`),
//! and OpenInference's `llm.input_messages.N.message.role` / `.content` /
//! `.contents.K.message_content.text` /
//! `.tool_calls.M.tool_call.function.name`. Each is rebuilt as the
//! OpenAI-style message it flattens and read by [`super::messages`].

use std::collections::BTreeMap;

use serde_json::{Map, Value as J, json};

use super::messages::{Message, message};

/// Indices beyond this are not read (a list of that many messages in one
/// span is not a real exchange, and the index is a number in a key).
const MAX_INDEX: usize = 100_000;

/// `prefix.N.rest` keys grouped by `N` (ascending), then `rest`.
fn groups<'a>(
    attrs: &'a Map<String, J>,
    prefix: &str,
) -> BTreeMap<usize, BTreeMap<&'a str, &'a J>> {
    let mut out: BTreeMap<usize, BTreeMap<&str, &J>> = BTreeMap::new();
    for (k, v) in attrs {
        let Some(rest) = k.strip_prefix(prefix).and_then(|r| r.strip_prefix('.')) else {
            continue;
        };
        let Some((n, rest)) = rest.split_once('.') else {
            continue;
        };
        let Ok(n) = n.parse::<usize>() else { continue };
        if n <= MAX_INDEX {
            out.entry(n).or_default().insert(rest, v);
        }
    }
    out
}

/// The sub-list `name.M.field` of one group, by `M`.
fn sub<'a>(g: &BTreeMap<&'a str, &'a J>, name: &str) -> BTreeMap<usize, Map<String, J>> {
    let mut out: BTreeMap<usize, Map<String, J>> = BTreeMap::new();
    for (k, v) in g {
        let Some(rest) = k.strip_prefix(name).and_then(|r| r.strip_prefix('.')) else {
            continue;
        };
        let Some((m, field)) = rest.split_once('.') else {
            continue;
        };
        if let Ok(m) = m.parse::<usize>() {
            if m <= MAX_INDEX {
                out.entry(m)
                    .or_default()
                    .insert(field.to_string(), (*v).clone());
            }
        }
    }
    out
}

type Group<'a> = BTreeMap<&'a str, &'a J>;

/// Each numbered message under `prefix`, rebuilt by `build` as the
/// OpenAI-style object it flattens (`field` reads one of its keys);
/// `None` when there are none.
fn rebuilt(
    attrs: &Map<String, J>,
    prefix: &str,
    role: &str,
    field: impl Fn(&Group<'_>, &str) -> Option<J>,
    build: impl Fn(&Group<'_>, &mut Map<String, J>),
) -> Option<Vec<Message>> {
    let gs = groups(attrs, prefix);
    if gs.is_empty() {
        return None;
    }
    let out = gs
        .values()
        .map(|g| {
            let mut o = Map::new();
            for key in ["role", "content", "tool_call_id", "name"] {
                if let Some(v) = field(g, key) {
                    o.insert(key.to_string(), v);
                }
            }
            build(g, &mut o);
            message(&o, Some(role))
        })
        .collect();
    Some(out)
}

/// Tool calls `{id, function: {name, arguments}}` from a numbered list's
/// entries, by the keys each convention names them with.
fn calls(list: BTreeMap<usize, Map<String, J>>, id: &str, name: &str, args: &str) -> Option<J> {
    let calls: Vec<J> = list
        .into_values()
        .map(|c| json!({"id": c.get(id), "function": {"name": c.get(name), "arguments": c.get(args)}}))
        .collect();
    (!calls.is_empty()).then_some(J::Array(calls))
}

/// OpenLLMetry's numbered prompts or completions under `prefix`
/// (`gen_ai.prompt`, `gen_ai.completion`, `llm.prompts`,
/// `llm.completions`); `None` when there are none.
pub(crate) fn openllmetry(
    attrs: &Map<String, J>,
    prefix: &str,
    role: &str,
) -> Option<Vec<Message>> {
    rebuilt(
        attrs,
        prefix,
        role,
        |g, k| g.get(k).map(|v| (*v).clone()),
        |g, o| {
            if let Some(c) = calls(sub(g, "tool_calls"), "id", "name", "arguments") {
                o.insert("tool_calls".into(), c);
            }
            if let Some(name) = g.get("function_call.name") {
                let args = g.get("function_call.arguments");
                o.insert(
                    "function_call".into(),
                    json!({"name": name, "arguments": args}),
                );
            }
        },
    )
}

/// OpenInference's `llm.input_messages` / `llm.output_messages`.
pub(crate) fn openinference(
    attrs: &Map<String, J>,
    prefix: &str,
    role: &str,
) -> Option<Vec<Message>> {
    rebuilt(
        attrs,
        prefix,
        role,
        |g, k| g.get(format!("message.{k}").as_str()).map(|v| (*v).clone()),
        |g, o| {
            // Multi-part content: `message.contents.K.message_content.{type,text}`.
            let contents: Vec<J> = sub(g, "message.contents")
                .into_values()
                .filter_map(|c| {
                    let kind = c
                        .get("message_content.type")
                        .and_then(J::as_str)
                        .unwrap_or("text");
                    let text = c.get("message_content.text")?;
                    (kind == "text").then(|| json!({"type": "text", "text": text}))
                })
                .collect();
            if !contents.is_empty() && !o.contains_key("content") {
                o.insert("content".into(), J::Array(contents));
            }
            let list = sub(g, "message.tool_calls");
            let found = calls(
                list,
                "tool_call.id",
                "tool_call.function.name",
                "tool_call.function.arguments",
            );
            if let Some(c) = found {
                o.insert("tool_calls".into(), c);
            }
        },
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::super::messages::{Part, input_text, output_text};
    use super::*;

    fn attrs(pairs: &[(&str, J)]) -> Map<String, J> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn openllmetry_prompts_in_index_order() {
        let a = attrs(&[
            ("gen_ai.prompt.10.role", json!("user")),
            ("gen_ai.prompt.10.content", json!("ten")),
            ("gen_ai.prompt.2.role", json!("user")),
            ("gen_ai.prompt.2.content", json!("two")),
            ("gen_ai.completion.0.role", json!("assistant")),
            ("gen_ai.completion.0.tool_calls.0.id", json!("c")),
            ("gen_ai.completion.0.tool_calls.0.name", json!("f")),
            (
                "gen_ai.completion.0.tool_calls.0.arguments",
                json!("{\"x\": 1}"),
            ),
        ]);
        let input = openllmetry(&a, "gen_ai.prompt", "user").unwrap();
        assert_eq!(input_text(&input).as_deref(), Some("two\nten"));
        let out = openllmetry(&a, "gen_ai.completion", "assistant").unwrap();
        assert_eq!(output_text(&out), None);
        assert!(
            matches!(&out[0].parts[0], Part::Call(c) if c.name.as_deref() == Some("f") && c.arguments == json!({"x": 1}))
        );
    }

    #[test]
    fn openinference_messages() {
        let a = attrs(&[
            ("llm.input_messages.0.message.role", json!("user")),
            (
                "llm.input_messages.0.message.contents.0.message_content.type",
                json!("text"),
            ),
            (
                "llm.input_messages.0.message.contents.0.message_content.text",
                json!("hi"),
            ),
            (
                "llm.input_messages.0.message.contents.1.message_content.type",
                json!("image"),
            ),
            ("llm.output_messages.0.message.role", json!("assistant")),
            (
                "llm.output_messages.0.message.tool_calls.0.tool_call.id",
                json!("c"),
            ),
            (
                "llm.output_messages.0.message.tool_calls.0.tool_call.function.name",
                json!("f"),
            ),
        ]);
        let input = openinference(&a, "llm.input_messages", "user").unwrap();
        assert_eq!(input_text(&input).as_deref(), Some("hi"));
        let out = openinference(&a, "llm.output_messages", "assistant").unwrap();
        assert!(matches!(&out[0].parts[0], Part::Call(c) if c.id.as_deref() == Some("c")));
    }
}
