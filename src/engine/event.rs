//! One guarded exchange from a trace (spec §7), read from a guardctl JSONL
//! line or an OpenTelemetry GenAI span. Every field is optional but `id`
//! (the line number stands in).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::Value as J;

use crate::ir::values::Timestamp;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Identity {
    pub id: Option<String>,
    pub team: Option<String>,
    pub org: Option<String>,
    pub roles: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tokens {
    pub input: i64,
    pub output: i64,
    pub total: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Tool {
    pub name: Option<String>,
    pub parameters: J,
    pub result: J,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Event {
    pub id: String,
    /// 1-based line in its trace file.
    pub line: usize,
    pub timestamp: Option<Timestamp>,
    pub kind: Option<String>,
    pub input: Option<String>,
    pub output: Option<String>,
    pub model: Option<String>,
    pub identity: Identity,
    pub project: Option<String>,
    pub agent: Option<String>,
    /// Lower-case names.
    pub headers: BTreeMap<String, String>,
    pub metadata: serde_json::Map<String, J>,
    pub tokens: Tokens,
    pub cost_usd: f64,
    pub tool: Option<Tool>,
    pub handoff: Option<J>,
    /// `scores.<provider>.<category>` (and `scores.llm.<rule>`), 0..1.
    pub scores: BTreeMap<String, BTreeMap<String, f64>>,
    pub chunks: Vec<String>,
    pub session_turn_count: i64,
}

fn opt_string(v: Option<&J>, field: &str) -> Result<Option<String>, String> {
    match v {
        None | Some(J::Null) => Ok(None),
        Some(J::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(format!(
            "`{field}` must be a string, not {}",
            kind_of(other)
        )),
    }
}

fn take_string(v: Option<J>, field: &str) -> Result<Option<String>, String> {
    match v {
        None | Some(J::Null) => Ok(None),
        Some(J::String(s)) => Ok(Some(s)),
        Some(other) => Err(format!(
            "`{field}` must be a string, not {}",
            kind_of(&other)
        )),
    }
}

fn kind_of(v: &J) -> &'static str {
    match v {
        J::Null => "null",
        J::Bool(_) => "a boolean",
        J::Number(_) => "a number",
        J::String(_) => "a string",
        J::Array(_) => "an array",
        J::Object(_) => "an object",
    }
}

fn int(v: Option<&J>, field: &str) -> Result<i64, String> {
    match v {
        None | Some(J::Null) => Ok(0),
        Some(J::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f as i64))
            .ok_or_else(|| format!("`{field}` is out of range")),
        Some(other) => Err(format!(
            "`{field}` must be a number, not {}",
            kind_of(other)
        )),
    }
}

impl Event {
    /// Reads a guardctl event object.
    /// Takes the JSON by value so the large strings (`input`, `output`)
    /// move into the event instead of being copied.
    pub fn from_json(v: J, line: usize) -> Result<Event, String> {
        let mut o = match v {
            J::Object(o) => o,
            other => {
                return Err(format!(
                    "an event must be a JSON object, not {}",
                    kind_of(&other)
                ));
            }
        };
        let mut e = Event {
            line,
            ..Event::default()
        };
        e.id = match o.get("id") {
            None | Some(J::Null) => line.to_string(),
            Some(J::String(s)) => s.clone(),
            Some(J::Number(n)) => n.to_string(),
            Some(other) => return Err(format!("`id` must be a string, not {}", kind_of(other))),
        };
        e.timestamp = match opt_string(o.get("timestamp"), "timestamp")? {
            Some(t) => Some(
                Timestamp::parse(&t).ok_or_else(|| format!("`timestamp` `{t}` is not RFC 3339"))?,
            ),
            None => None,
        };
        e.kind = opt_string(o.get("kind"), "kind")?;
        e.input = take_string(o.remove("input"), "input")?;
        e.output = take_string(o.remove("output"), "output")?;
        e.model = opt_string(o.get("model"), "model")?;
        e.project = opt_string(o.get("project"), "project")?;
        e.agent = opt_string(o.get("agent"), "agent")?;
        match o.get("identity") {
            None | Some(J::Null) => {}
            Some(J::Object(id)) => {
                e.identity.id = opt_string(id.get("id"), "identity.id")?;
                e.identity.team = opt_string(id.get("team"), "identity.team")?;
                e.identity.org = opt_string(id.get("org"), "identity.org")?;
                e.identity.roles = match id.get("roles") {
                    None | Some(J::Null) => Vec::new(),
                    Some(J::Array(a)) => a
                        .iter()
                        .map(|r| {
                            r.as_str()
                                .map(str::to_string)
                                .ok_or("`identity.roles` must hold strings".to_string())
                        })
                        .collect::<Result<_, _>>()?,
                    Some(other) => {
                        return Err(format!(
                            "`identity.roles` must be an array, not {}",
                            kind_of(other)
                        ));
                    }
                };
            }
            Some(other) => {
                return Err(format!(
                    "`identity` must be an object, not {}",
                    kind_of(other)
                ));
            }
        }
        match o.get("headers") {
            None | Some(J::Null) => {}
            Some(J::Object(h)) => {
                for (k, v) in h {
                    let v = match v {
                        J::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    e.headers.insert(k.to_lowercase(), v);
                }
            }
            Some(other) => {
                return Err(format!(
                    "`headers` must be an object, not {}",
                    kind_of(other)
                ));
            }
        }
        match o.get("metadata") {
            None | Some(J::Null) => {}
            Some(J::Object(m)) => e.metadata = m.clone(),
            Some(other) => {
                return Err(format!(
                    "`metadata` must be an object, not {}",
                    kind_of(other)
                ));
            }
        }
        match o.get("tokens") {
            None | Some(J::Null) => {}
            Some(J::Object(t)) => {
                e.tokens.input = int(t.get("input"), "tokens.input")?;
                e.tokens.output = int(t.get("output"), "tokens.output")?;
                e.tokens.total = match t.get("total") {
                    None | Some(J::Null) => e.tokens.input.saturating_add(e.tokens.output),
                    v => int(v, "tokens.total")?,
                };
            }
            Some(other) => {
                return Err(format!(
                    "`tokens` must be an object, not {}",
                    kind_of(other)
                ));
            }
        }
        e.cost_usd = match o.get("cost_usd") {
            None | Some(J::Null) => 0.0,
            Some(J::Number(n)) => n.as_f64().unwrap_or(0.0),
            Some(other) => {
                return Err(format!(
                    "`cost_usd` must be a number, not {}",
                    kind_of(other)
                ));
            }
        };
        match o.get("tool") {
            None | Some(J::Null) => {}
            Some(J::Object(t)) => {
                e.tool = Some(Tool {
                    name: opt_string(t.get("name"), "tool.name")?,
                    parameters: t.get("parameters").cloned().unwrap_or(J::Null),
                    result: t.get("result").cloned().unwrap_or(J::Null),
                })
            }
            Some(other) => return Err(format!("`tool` must be an object, not {}", kind_of(other))),
        }
        e.handoff = o.get("handoff").filter(|h| !h.is_null()).cloned();
        match o.get("scores") {
            None | Some(J::Null) => {}
            Some(J::Object(s)) => {
                for (provider, cats) in s {
                    let J::Object(cats) = cats else {
                        return Err(format!("`scores.{provider}` must be an object"));
                    };
                    let mut m = BTreeMap::new();
                    for (cat, score) in cats {
                        let Some(x) = score.as_f64().filter(|x| (0.0..=1.0).contains(x)) else {
                            return Err(format!(
                                "`scores.{provider}.{cat}` must be a number from 0 to 1"
                            ));
                        };
                        m.insert(cat.clone(), x);
                    }
                    e.scores.insert(provider.clone(), m);
                }
            }
            Some(other) => {
                return Err(format!(
                    "`scores` must be an object, not {}",
                    kind_of(other)
                ));
            }
        }
        match o.get("chunks") {
            None | Some(J::Null) => {}
            Some(J::Array(a)) => {
                e.chunks = a
                    .iter()
                    .map(|c| {
                        c.as_str()
                            .map(str::to_string)
                            .ok_or("`chunks` must hold strings".to_string())
                    })
                    .collect::<Result<_, _>>()?;
            }
            Some(other) => {
                return Err(format!("`chunks` must be an array, not {}", kind_of(other)));
            }
        }
        e.session_turn_count = int(o.get("session_turn_count"), "session_turn_count")?;
        Ok(e)
    }
}

/// The typed shape of a well-formed guardctl event line. Reading into it
/// skips building a JSON tree; any line it does not take (a wrong type, a
/// duplicate key, an OpenTelemetry span, a score out of range) goes through
/// [`Event::from_json`], which gives the precise message.
#[derive(Deserialize)]
struct Fast {
    id: Option<J>,
    timestamp: Option<String>,
    kind: Option<String>,
    input: Option<String>,
    output: Option<String>,
    model: Option<String>,
    project: Option<String>,
    agent: Option<String>,
    identity: Option<FastIdentity>,
    headers: Option<BTreeMap<String, J>>,
    metadata: Option<serde_json::Map<String, J>>,
    tokens: Option<FastTokens>,
    cost_usd: Option<f64>,
    tool: Option<FastTool>,
    handoff: Option<J>,
    scores: Option<BTreeMap<String, BTreeMap<String, f64>>>,
    chunks: Option<Vec<String>>,
    session_turn_count: Option<i64>,
    #[serde(rename = "resourceSpans")]
    resource_spans: Option<IgnoredAny>,
    #[serde(rename = "spanId")]
    span_id: Option<IgnoredAny>,
    #[serde(rename = "traceId")]
    trace_id: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct FastIdentity {
    id: Option<String>,
    team: Option<String>,
    org: Option<String>,
    roles: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct FastTokens {
    input: Option<i64>,
    output: Option<i64>,
    total: Option<i64>,
}

#[derive(Deserialize)]
struct FastTool {
    name: Option<String>,
    parameters: Option<J>,
    result: Option<J>,
}

impl Event {
    /// Reads a guardctl event line without a JSON tree, or `None` when
    /// the line needs the general path (see [`Fast`]).
    pub fn from_slice_fast(text: &[u8], line: usize) -> Option<Event> {
        let f: Fast = serde_json::from_slice(text).ok()?;
        if f.resource_spans.is_some() || f.span_id.is_some() || f.trace_id.is_some() {
            return None;
        }
        let id = match f.id {
            None | Some(J::Null) => line.to_string(),
            Some(J::String(s)) => s,
            Some(J::Number(n)) => n.to_string(),
            Some(_) => return None,
        };
        let timestamp = match f.timestamp {
            Some(t) => Some(Timestamp::parse(&t)?),
            None => None,
        };
        let identity = match f.identity {
            Some(i) => Identity {
                id: i.id,
                team: i.team,
                org: i.org,
                roles: i.roles.unwrap_or_default(),
            },
            None => Identity::default(),
        };
        let mut headers = BTreeMap::new();
        for (k, v) in f.headers.unwrap_or_default() {
            let v = match v {
                J::String(s) => s,
                other => other.to_string(),
            };
            headers.insert(k.to_lowercase(), v);
        }
        let tokens = match f.tokens {
            Some(t) => {
                let (input, output) = (t.input.unwrap_or(0), t.output.unwrap_or(0));
                Tokens {
                    input,
                    output,
                    total: t.total.unwrap_or(input.saturating_add(output)),
                }
            }
            None => Tokens::default(),
        };
        let scores = f.scores.unwrap_or_default();
        if scores
            .values()
            .flat_map(BTreeMap::values)
            .any(|x| !(0.0..=1.0).contains(x))
        {
            return None;
        }
        Some(Event {
            id,
            line,
            timestamp,
            kind: f.kind,
            input: f.input,
            output: f.output,
            model: f.model,
            identity,
            project: f.project,
            agent: f.agent,
            headers,
            metadata: f.metadata.unwrap_or_default(),
            tokens,
            cost_usd: f.cost_usd.unwrap_or(0.0),
            tool: f.tool.map(|t| Tool {
                name: t.name,
                parameters: t.parameters.unwrap_or(J::Null),
                result: t.result.unwrap_or(J::Null),
            }),
            handoff: f.handoff,
            scores,
            chunks: f.chunks.unwrap_or_default(),
            session_turn_count: f.session_turn_count.unwrap_or(0),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Values of every type, for every field.
    const VALUES: &[&str] = &[
        "null",
        "1",
        "-3",
        "2.5",
        "1e300",
        "18446744073709551615",
        "true",
        "\"x\"",
        "\"2026-11-01T04:36:54Z\"",
        "\"A\\u00e9\\n\"",
        "[]",
        "[\"a\",\"b\"]",
        "[1]",
        "{}",
        "{\"input\":3,\"output\":4}",
        "{\"input\":1.5}",
        "{\"id\":\"u\",\"roles\":[\"r\"]}",
        "{\"p\":{\"c\":0.4}}",
        "{\"p\":{\"c\":1.4}}",
        "{\"p\":3}",
        "{\"X-Env\":\"prod\",\"x-env\":2}",
        "{\"name\":\"refund\",\"parameters\":{\"amount\":5}}",
    ];
    const KEYS: &[&str] = &[
        "id",
        "timestamp",
        "kind",
        "input",
        "output",
        "model",
        "project",
        "agent",
        "identity",
        "headers",
        "metadata",
        "tokens",
        "cost_usd",
        "tool",
        "handoff",
        "scores",
        "chunks",
        "session_turn_count",
        "spanId",
        "traceId",
        "other",
    ];

    fn object() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            (
                proptest::sample::select(KEYS),
                proptest::sample::select(VALUES),
            ),
            0..12,
        )
        .prop_map(|kv| {
            let body: Vec<String> = kv.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
            format!("{{{}}}", body.join(","))
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        /// The typed path agrees with the general one on every line it takes.
        #[test]
        fn fast_path_agrees(text in object()) {
            if let Some(fast) = Event::from_slice_fast(text.as_bytes(), 7) {
                let v: J = serde_json::from_str(&text).unwrap();
                prop_assert_eq!(Ok(fast), Event::from_json(v, 7));
            }
        }
    }

    #[test]
    fn fast_path_takes_ordinary_events() {
        let line = br#"{"id":"e1","timestamp":"2026-11-01T04:36:54Z","kind":"input","input":"hi","identity":{"id":"u","roles":["a"]},"tokens":{"input":3,"output":4},"scores":{"moderation":{"hate":0.1}}}"#;
        let e = Event::from_slice_fast(line, 1).unwrap();
        assert_eq!(e.tokens.total, 7);
        assert_eq!(e.identity.roles, vec!["a".to_string()]);
        assert!(Event::from_slice_fast(br#"{"spanId":"a","traceId":"b"}"#, 1).is_none());
    }
}
