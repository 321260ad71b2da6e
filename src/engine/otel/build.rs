//! One span read as the guardctl event it describes: what kind of span
//! it is, the messages it exchanged (from whichever convention wrote
//! them), and the event's fields: model, tokens, cost, identity, ids.

use std::sync::Arc;

use serde_json::{Map, Value as J};

use super::any_value::int;
use super::events::{self, DETAILS};
use super::indexed;
use super::messages::{self, Call, Message, Part, Reply, messages_as};
use super::records::SpanRec;
use crate::engine::event::{Event, Tokens, Tool};
use crate::ir::values::{Dec, Timestamp};

/// What a span records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A model call (chat, completion, embeddings).
    Model,
    /// A tool's execution.
    Tool,
    /// An agent, chain or workflow around model and tool calls.
    Agent,
    /// A GenAI span of a kind no guardrail reads (retrieval, reranking).
    Other,
    /// No GenAI attribute or event at all.
    None,
}

pub(crate) fn get<'a>(s: &'a SpanRec, k: &str) -> Option<&'a J> {
    s.attrs.get(k).or_else(|| s.resource.get(k))
}

fn text(s: &SpanRec, k: &str) -> Option<String> {
    match get(s, k)? {
        J::String(t) if !t.is_empty() => Some(t.clone()),
        _ => None,
    }
}

fn first_text(s: &SpanRec, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| text(s, k))
}

/// The operation a span names (`gen_ai.operation.name`, OpenLLMetry's
/// `llm.request.type` and `traceloop.span.kind`, OpenInference's
/// `openinference.span.kind`), lower-cased.
pub(crate) fn operation(s: &SpanRec) -> Option<String> {
    first_text(
        s,
        &[
            "gen_ai.operation.name",
            "openinference.span.kind",
            "llm.request.type",
            "traceloop.span.kind",
        ],
    )
    .map(|o| o.to_ascii_lowercase())
}

pub(crate) fn kind(s: &SpanRec) -> Kind {
    match operation(s).as_deref() {
        Some("execute_tool" | "tool") => Kind::Tool,
        Some("invoke_agent" | "create_agent" | "agent" | "chain" | "workflow" | "task") => {
            Kind::Agent
        }
        Some(
            "retriever" | "reranker" | "embedding_model" | "guardrail" | "evaluator" | "unknown",
        ) => Kind::Other,
        Some(_) => Kind::Model,
        None => {
            let genai = s.attrs.keys().any(|k| {
                k.starts_with("gen_ai.") || k.starts_with("llm.") || k.starts_with("openinference.")
            });
            if genai || !s.said.is_empty() {
                Kind::Model
            } else {
                Kind::None
            }
        }
    }
}

/// The messages a span exchanged, each side from the first convention
/// that gives it (a span and its log records often say the same twice).
#[derive(Debug, Default)]
pub(crate) struct Exchange {
    pub input: Vec<Message>,
    pub output: Vec<Message>,
}

pub(crate) fn exchange(s: &SpanRec) -> Exchange {
    let (mut details_in, mut details_out) = (Vec::new(), Vec::new());
    let (mut event_in, mut event_out) = (Vec::new(), Vec::new());
    for said in &s.said {
        let r = events::read(&said.name, &said.payload);
        if said.name == DETAILS {
            details_in.extend(r.input);
            details_out.extend(r.output);
        } else {
            event_in.extend(r.input);
            event_out.extend(r.output);
        }
    }
    let attr = |k: &str, role: &str| get(s, k).and_then(|v| messages_as(v, role));
    let nonempty = |m: Vec<Message>| (!m.is_empty()).then_some(m);
    let input = attr("gen_ai.input.messages", "user")
        .or_else(|| nonempty(details_in))
        .or_else(|| indexed::openllmetry(&s.attrs, "gen_ai.prompt", "user"))
        .or_else(|| indexed::openllmetry(&s.attrs, "llm.prompts", "user"))
        .or_else(|| indexed::openinference(&s.attrs, "llm.input_messages", "user"))
        .or_else(|| nonempty(event_in))
        .or_else(|| attr("gen_ai.prompt", "user"))
        .or_else(|| attr("input.value", "user"))
        .or_else(|| attr("traceloop.entity.input", "user"))
        .unwrap_or_default();
    let output = attr("gen_ai.output.messages", "assistant")
        .or_else(|| nonempty(details_out))
        .or_else(|| indexed::openllmetry(&s.attrs, "gen_ai.completion", "assistant"))
        .or_else(|| indexed::openllmetry(&s.attrs, "llm.completions", "assistant"))
        .or_else(|| indexed::openinference(&s.attrs, "llm.output_messages", "assistant"))
        .or_else(|| nonempty(event_out))
        .or_else(|| attr("gen_ai.completion", "assistant"))
        .or_else(|| attr("output.value", "assistant"))
        .or_else(|| attr("final_result", "assistant"))
        .or_else(|| attr("traceloop.entity.output", "assistant"))
        .unwrap_or_default();
    Exchange { input, output }
}

/// The tool calls a span's model made (its output), then those its input
/// repeats from earlier turns.
pub(crate) fn calls(x: &Exchange) -> Vec<Call> {
    x.output
        .iter()
        .chain(&x.input)
        .flat_map(|m| &m.parts)
        .filter_map(|p| match p {
            Part::Call(c) => Some(c.clone()),
            _ => None,
        })
        .collect()
}

/// The tool results a span's input sends back, each with the id of its
/// call: a result without one answers the call at the same place among
/// the calls of the model's message before it.
pub(crate) fn replies(x: &Exchange) -> Vec<Reply> {
    let mut out = Vec::new();
    let mut last_calls: Vec<&Call> = Vec::new();
    let mut answered = 0usize;
    for m in &x.input {
        let calls: Vec<&Call> = m
            .parts
            .iter()
            .filter_map(|p| match p {
                Part::Call(c) => Some(c),
                _ => None,
            })
            .collect();
        if !calls.is_empty() {
            last_calls = calls;
            answered = 0;
        }
        for p in &m.parts {
            if let Part::Reply(r) = p {
                let mut r = r.clone();
                if r.id.is_none() {
                    if let Some(c) = last_calls.get(answered) {
                        r.id.clone_from(&c.id);
                        if r.name.is_none() {
                            r.name.clone_from(&c.name);
                        }
                    }
                }
                answered += 1;
                out.push(r);
            }
        }
    }
    out
}

/// The scalar span attributes kept in `metadata` under their own names:
/// those of no convention guardctl reads (an application's own, such as
/// `deployment.environment` or `channel`).
fn own_attribute(k: &str) -> bool {
    const CONVENTIONS: &[&str] = &[
        "gen_ai.",
        "llm.",
        "openinference.",
        "input.",
        "output.",
        "traceloop.",
        "logfire.",
        "pydantic_ai.",
        "server.",
        "http.",
        "url.",
        "telemetry.",
        "otel.",
        "error.",
        "exception.",
        "code.",
        "thread.",
        "session.",
        "user.",
        "enduser.",
        "tool.",
        "tool_call.",
        "embedding.",
        "retrieval.",
        "reranker.",
        "message.",
        "operation.",
        "openai.",
        "azure.",
        "az.",
        "aws.",
        "gcp.",
        "process.",
        "host.",
        "os.",
        "service.",
    ];
    const KEYS: &[&str] = &[
        "model_request_parameters",
        "final_result",
        "agent_name",
        "model_name",
        "tools",
        "project",
    ];
    !CONVENTIONS.iter().any(|p| k.starts_with(p)) && !KEYS.contains(&k)
}

/// The fields every event of a span shares: ids, time, model, who, where.
pub(crate) fn base(s: &SpanRec) -> Event {
    let (line, _) = s.at;
    let mut e = Event {
        line,
        id: s.span_id.clone().unwrap_or_else(|| line.to_string()),
        trace_id: s.trace_id.clone(),
        timestamp: s.start_ns.map(|ns| Timestamp(ns.div_euclid(1_000_000_000))),
        ..Event::default()
    };
    e.model = first_text(
        s,
        &[
            "gen_ai.request.model",
            "gen_ai.response.model",
            "llm.request.model",
            "llm.model_name",
            "model_name",
        ],
    )
    .or_else(|| {
        text(s, "llm.invocation_parameters")
            .and_then(|p| serde_json::from_str::<J>(&p).ok())
            .and_then(|p| p.get("model").and_then(J::as_str).map(str::to_string))
    });
    e.identity.id = first_text(s, &["user.id", "enduser.id", "gen_ai.user.id"]);
    e.identity.team = text(s, "user.team");
    e.identity.org = text(s, "user.org");
    e.agent = first_text(s, &["gen_ai.agent.name", "agent_name"]);
    e.project = first_text(s, &["project", "service.namespace"]);
    let m = &mut e.metadata;
    let mut put = |k: &str, v: Option<J>| {
        if let Some(v) = v {
            m.insert(k.to_string(), v);
        }
    };
    put(
        "provider",
        first_text(
            s,
            &[
                "gen_ai.provider.name",
                "gen_ai.system",
                "llm.provider",
                "llm.system",
            ],
        )
        .map(J::String),
    );
    put(
        "conversation_id",
        first_text(
            s,
            &[
                "gen_ai.conversation.id",
                "session.id",
                "traceloop.association.properties.session_id",
            ],
        )
        .map(J::String),
    );
    put("operation", operation(s).map(J::String));
    put(
        "span_name",
        (!s.name.is_empty()).then(|| J::String(s.name.clone())),
    );
    put("error", s.error.clone().map(J::String));
    put(
        "finish_reasons",
        get(s, "gen_ai.response.finish_reasons")
            .or_else(|| get(s, "llm.finish_reason"))
            .cloned()
            .map(|v| match v {
                J::String(one) => J::Array(vec![J::String(one)]),
                v => v,
            }),
    );
    for (k, v) in &s.attrs {
        if own_attribute(k) && matches!(v, J::String(_) | J::Number(_) | J::Bool(_)) {
            m.insert(k.clone(), v.clone());
        }
    }
    e
}

fn count(s: &SpanRec, keys: &[&str]) -> Option<i64> {
    keys.iter().find_map(|k| int(get(s, k))).map(|n| n.max(0))
}

/// The event of a model call (or of an agent span read on its own).
pub(crate) fn model_event(s: &SpanRec, x: &Exchange) -> Event {
    let mut e = base(s);
    e.input = messages::input_text(&x.input).map(Arc::from);
    e.output = messages::output_text(&x.output).map(Arc::from);
    let made_calls = x
        .output
        .iter()
        .any(|m| m.parts.iter().any(|p| matches!(p, Part::Call(_))));
    e.kind = Some(
        if e.output.is_some() || made_calls {
            "output"
        } else {
            "input"
        }
        .into(),
    );
    let input = count(
        s,
        &[
            "gen_ai.usage.input_tokens",
            "gen_ai.usage.prompt_tokens",
            "llm.usage.prompt_tokens",
            "llm.token_count.prompt",
        ],
    );
    let output = count(
        s,
        &[
            "gen_ai.usage.output_tokens",
            "gen_ai.usage.completion_tokens",
            "llm.usage.completion_tokens",
            "llm.token_count.completion",
        ],
    );
    if input.is_some() || output.is_some() {
        let (i, o) = (input.unwrap_or(0), output.unwrap_or(0));
        e.tokens = Tokens {
            input: i,
            output: o,
            total: count(
                s,
                &[
                    "gen_ai.usage.total_tokens",
                    "llm.usage.total_tokens",
                    "llm.token_count.total",
                ],
            )
            .unwrap_or(i.saturating_add(o)),
            given: true,
        };
    }
    e.cost_usd = ["gen_ai.usage.cost", "operation.cost", "llm.cost.total"]
        .iter()
        .find_map(|k| match get(s, k)? {
            J::Number(n) => Dec::parse(&n.to_string()),
            J::String(t) => Dec::parse(t),
            _ => None,
        })
        .filter(|d| !d.is_negative())
        .unwrap_or(Dec::ZERO);
    e.request_id = first_text(s, &["gen_ai.response.id", "llm.response.id"]).or_else(|| {
        text(s, "output.value")
            .and_then(|o| serde_json::from_str::<J>(&o).ok())
            .and_then(|o| o.get("id").and_then(J::as_str).map(str::to_string))
    });
    e
}

/// A tool span's call: its id, name, arguments and result.
pub(crate) fn tool_span(s: &SpanRec) -> (Call, J) {
    let value = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| get(s, k))
            .map_or(J::Null, messages::arguments)
    };
    let name = first_text(
        s,
        &["gen_ai.tool.name", "tool.name", "traceloop.entity.name"],
    )
    .or_else(|| s.name.strip_prefix("execute_tool ").map(str::to_string));
    let call = Call {
        id: first_text(s, &["gen_ai.tool.call.id", "tool_call.id"]),
        name,
        arguments: value(&[
            "gen_ai.tool.call.arguments",
            "input.value",
            "traceloop.entity.input",
        ]),
    };
    let result = value(&[
        "gen_ai.tool.call.result",
        "output.value",
        "traceloop.entity.output",
    ]);
    (call, result)
}

/// The event of one tool call, on the fields of the span that made it.
pub(crate) fn tool_event(mut e: Event, id: String, call: &Call, result: J) -> Event {
    e.id = id;
    e.input = None;
    e.output = None;
    e.tokens = Tokens::default();
    e.cost_usd = Dec::ZERO;
    e.request_id = None;
    e.kind = Some(
        if result.is_null() {
            "tool_input"
        } else {
            "tool_output"
        }
        .into(),
    );
    if let Some(c) = &call.id {
        e.metadata
            .insert("tool_call_id".into(), J::String(c.clone()));
    }
    e.tool = Some(Tool {
        name: call.name.clone(),
        parameters: call.arguments.clone(),
        result,
    });
    e
}

/// The attributes a details event gives that its span lacks.
pub(crate) fn fill_attributes(s: &mut SpanRec, from: &Map<String, J>) {
    for (k, v) in from {
        if k != "gen_ai.input.messages" && k != "gen_ai.output.messages" {
            s.attrs.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
}
