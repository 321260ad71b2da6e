//! GenAI events, written as span events or as log records: one per
//! message (`gen_ai.system.message`, `gen_ai.user.message`,
//! `gen_ai.assistant.message`, `gen_ai.tool.message`, `gen_ai.choice`),
//! semantic conventions 1.26's `gen_ai.content.prompt` /
//! `gen_ai.content.completion`, and the one event of the newest
//! conventions, `gen_ai.client.inference.operation.details`. Azure AI
//! Inference writes an event's message as JSON in `gen_ai.event.content`.

use serde_json::{Map, Value as J};

use super::messages::{Message, choice, message, messages_as};

/// The event carrying the whole operation: its attributes are the span's.
pub(crate) const DETAILS: &str = "gen_ai.client.inference.operation.details";

/// What one GenAI event says.
#[derive(Debug, Default)]
pub(crate) struct Said {
    pub input: Vec<Message>,
    pub output: Vec<Message>,
    /// The operation's attributes ([`DETAILS`]), when the event gives them.
    pub attributes: Option<Map<String, J>>,
}

/// Whether an event or log record of this name is read.
pub(crate) fn known(name: &str) -> bool {
    matches!(
        name,
        "gen_ai.system.message"
            | "gen_ai.user.message"
            | "gen_ai.assistant.message"
            | "gen_ai.tool.message"
            | "gen_ai.choice"
            | "gen_ai.content.prompt"
            | "gen_ai.content.completion"
            | DETAILS
    )
}

/// What an event's payload is: a log record's body (a `kvlistValue`, or
/// a JSON string), else its attributes; Azure's `gen_ai.event.content`
/// wins over both.
pub(crate) fn payload(body: J, attributes: &Map<String, J>) -> J {
    let text_payload = |s: String| match serde_json::from_str::<J>(&s) {
        Ok(J::Object(o)) => J::Object(o),
        _ => J::Object(Map::from_iter([("content".to_string(), J::String(s))])),
    };
    if let Some(J::String(s)) = attributes.get("gen_ai.event.content") {
        return text_payload(s.clone());
    }
    match body {
        J::Object(o) if !o.is_empty() => J::Object(o),
        J::String(s) if !s.is_empty() => text_payload(s),
        _ => J::Object(attributes.clone()),
    }
}

/// What the event `name` with `payload` says (see [`known`]).
pub(crate) fn read(name: &str, payload: &J) -> Said {
    let mut said = Said::default();
    let Some(o) = payload.as_object() else {
        return said;
    };
    let role = match name {
        "gen_ai.system.message" => Some("system"),
        "gen_ai.user.message" => Some("user"),
        "gen_ai.assistant.message" => Some("assistant"),
        "gen_ai.tool.message" => Some("tool"),
        _ => None,
    };
    match name {
        _ if role.is_some() => said.input.push(message(o, role)),
        "gen_ai.choice" => said.output.extend(choice(o)),
        "gen_ai.content.prompt" => {
            said.input = o
                .get("gen_ai.prompt")
                .and_then(|v| messages_as(v, "user"))
                .unwrap_or_default();
        }
        "gen_ai.content.completion" => {
            said.output = o
                .get("gen_ai.completion")
                .and_then(|v| messages_as(v, "assistant"))
                .unwrap_or_default();
        }
        DETAILS => {
            said.input = o
                .get("gen_ai.input.messages")
                .and_then(|v| messages_as(v, "user"))
                .unwrap_or_default();
            said.output = o
                .get("gen_ai.output.messages")
                .and_then(|v| messages_as(v, "assistant"))
                .unwrap_or_default();
            said.attributes = Some(o.clone());
        }
        _ => {}
    }
    said
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::super::messages::{input_text, output_text};
    use super::*;
    use serde_json::json;

    #[test]
    fn azure_event_content() {
        let attrs = json!({"gen_ai.event.content": "{\"role\": \"user\", \"content\": \"hi\"}"});
        let p = payload(J::Null, attrs.as_object().unwrap());
        assert_eq!(
            input_text(&read("gen_ai.user.message", &p).input).as_deref(),
            Some("hi")
        );
        let attrs = json!({"gen_ai.event.content": "{\"message\": {\"content\": \"ok\"}, \"finish_reason\": \"stop\", \"index\": 0}"});
        let p = payload(J::Null, attrs.as_object().unwrap());
        assert_eq!(
            output_text(&read("gen_ai.choice", &p).output).as_deref(),
            Some("ok")
        );
    }

    #[test]
    fn semconv_1_26_prompt_events() {
        let attrs = json!({"gen_ai.prompt": "[{\"role\": \"user\", \"content\": \"q\"}]"});
        let p = payload(J::Null, attrs.as_object().unwrap());
        assert_eq!(
            input_text(&read("gen_ai.content.prompt", &p).input).as_deref(),
            Some("q")
        );
        let attrs = json!({"gen_ai.completion": "plain answer"});
        let p = payload(J::Null, attrs.as_object().unwrap());
        assert_eq!(
            output_text(&read("gen_ai.content.completion", &p).output).as_deref(),
            Some("plain answer")
        );
    }
}
