//! One guarded exchange from a trace (spec §7), read from a guardctl JSONL
//! line or an OpenTelemetry GenAI span. Every field is optional but `id`
//! (the line number stands in).

use std::sync::Arc;

use serde_json::Value as J;

use super::scores::Scores;
use super::small_map::SmallMap;
use crate::ir::values::{Dec, Timestamp};

/// The fields an event may give (spec §7); a trace line's other fields
/// are passed over and counted.
pub const FIELDS: &[&str] = &[
    "id",
    "timestamp",
    "kind",
    "input",
    "output",
    "model",
    "identity",
    "project",
    "agent",
    "headers",
    "metadata",
    "tokens",
    "cost_usd",
    "tool",
    "handoff",
    "scores",
    "chunks",
    "session_turn_count",
    "request_id",
    "trace_id",
    "source",
    "site",
    "offer",
    "customer",
    "channel",
    "latency_ms",
    "errors",
];

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
    /// Whether the event records token usage at all (`max_tokens` is
    /// unevaluated on one that does not).
    pub given: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Tool {
    pub name: Option<String>,
    pub parameters: J,
    pub result: J,
}

/// A recorded provider failure (`errors.<provider>`, spec §7).
#[derive(Debug, Clone, PartialEq)]
pub enum ProviderError {
    /// This many attempts failed (a number, or `{attempts: N}`): with
    /// retries enough, a later attempt answered.
    Attempts(u64),
    /// Every attempt failed (a message, `true`, or `{message: ...}`).
    Failed(String),
}

impl ProviderError {
    /// Whether the evaluation failed after `retries` retries.
    pub fn failed(&self, retries: u64) -> bool {
        match self {
            ProviderError::Attempts(n) => *n > retries,
            ProviderError::Failed(_) => true,
        }
    }
}

/// `errors.<provider>` of a line.
fn provider_error(v: &J, provider: &str) -> Result<Option<ProviderError>, String> {
    let bad = || {
        format!(
            "`errors.{provider}` must be a number of failed attempts, a message, true, or {{attempts, message}}"
        )
    };
    Ok(match v {
        J::Null | J::Bool(false) => None,
        J::Bool(true) => Some(ProviderError::Failed(String::new())),
        J::String(s) => Some(ProviderError::Failed(s.clone())),
        J::Number(n) => Some(ProviderError::Attempts(n.as_u64().ok_or_else(bad)?)),
        J::Object(m) => match (m.get("attempts"), m.get("message")) {
            (Some(a), _) => Some(ProviderError::Attempts(a.as_u64().ok_or_else(bad)?)),
            (None, Some(J::String(msg))) => Some(ProviderError::Failed(msg.clone())),
            (None, _) => Some(ProviderError::Failed(String::new())),
        },
        J::Array(_) => return Err(bad()),
    })
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Event {
    pub id: String,
    /// 1-based line in its trace file.
    pub line: usize,
    pub timestamp: Option<Timestamp>,
    pub kind: Option<String>,
    /// The texts are shared, not copied, by the scans and CEL values that
    /// read them.
    pub input: Option<Arc<str>>,
    pub output: Option<Arc<str>>,
    pub model: Option<String>,
    pub identity: Identity,
    pub project: Option<String>,
    pub agent: Option<String>,
    /// Lower-case names.
    pub headers: SmallMap<String>,
    pub metadata: serde_json::Map<String, J>,
    pub tokens: Tokens,
    /// Exact, from the number's text (spec §3: money is decimal).
    pub cost_usd: Dec,
    pub tool: Option<Tool>,
    pub handoff: Option<J>,
    /// `scores.<provider>.<category>` (and `scores.llm.<rule>`), 0..1.
    pub scores: Scores,
    pub chunks: Vec<String>,
    pub session_turn_count: i64,
    /// The request (a model response's id; KaireonAI's decision) and the
    /// distributed trace the event belongs to, kept in every output that
    /// names the event.
    pub request_id: Option<String>,
    pub trace_id: Option<String>,
    /// The host of the AI tool in use (Kairro's Shadow-AI checks).
    pub site: Option<String>,
    /// KaireonAI's decision objects: the candidate offer, the customer and
    /// the channel of one candidate event (`request_id` groups them).
    pub offer: serde_json::Map<String, J>,
    pub customer: serde_json::Map<String, J>,
    pub channel: serde_json::Map<String, J>,
    /// `latency_ms.<provider>`: how long each provider's evaluation took.
    pub latency_ms: Vec<(String, f64)>,
    /// `errors.<provider>`: a recorded provider failure.
    pub errors: Vec<(String, ProviderError)>,
    /// Top-level keys of the line that are no event field (spec §7): passed
    /// over, and counted in the report so a misspelt field is seen.
    pub unknown_fields: Vec<String>,
}

/// A header's name in lower case. Names are ASCII in practice, where the
/// ASCII mapping is the Unicode one at a fraction of its cost.
pub fn header_name(name: &str) -> String {
    if name.is_ascii() {
        name.to_ascii_lowercase()
    } else {
        name.to_lowercase()
    }
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
        Some(J::Number(n)) => match n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)) {
            Some(v) if v < 0 => Err(format!("`{field}` must not be negative, not {v}")),
            Some(v) => Ok(v),
            None => Err(format!("`{field}` is out of range")),
        },
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
            unknown_fields: o
                .keys()
                .filter(|k| !FIELDS.contains(&k.as_str()))
                .cloned()
                .collect(),
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
        e.input = take_string(o.remove("input"), "input")?.map(Arc::from);
        e.output = take_string(o.remove("output"), "output")?.map(Arc::from);
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
                    e.headers.insert(header_name(k), v);
                }
            }
            Some(other) => {
                return Err(format!(
                    "`headers` must be an object, not {}",
                    kind_of(other)
                ));
            }
        }
        for (key, slot) in [
            ("metadata", &mut e.metadata),
            ("offer", &mut e.offer),
            ("customer", &mut e.customer),
            ("channel", &mut e.channel),
        ] {
            match o.get(key) {
                None | Some(J::Null) => {}
                Some(J::Object(m)) => *slot = m.clone(),
                Some(other) => {
                    return Err(format!("`{key}` must be an object, not {}", kind_of(other)));
                }
            }
        }
        e.site = opt_string(o.get("site"), "site")?;
        match o.get("tokens") {
            None | Some(J::Null) => {}
            Some(J::Object(t)) => {
                e.tokens.given = true;
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
            None | Some(J::Null) => Dec::ZERO,
            // The shortest text that reads back as the same double: the
            // number as written for every amount of up to 15 digits.
            Some(J::Number(n)) => match Dec::parse(&n.to_string()) {
                Some(d) if !d.is_negative() => d,
                Some(_) => return Err("`cost_usd` must not be negative".into()),
                None => return Err(format!("`cost_usd` {n} is not an amount of money")),
            },
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
                    for (cat, score) in cats {
                        let Some(x) = score.as_f64().filter(|x| (0.0..=1.0).contains(x)) else {
                            return Err(format!(
                                "`scores.{provider}.{cat}` must be a number from 0 to 1"
                            ));
                        };
                        e.scores.insert(provider, cat, x);
                    }
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
        e.request_id = opt_string(o.get("request_id"), "request_id")?;
        e.trace_id = opt_string(o.get("trace_id"), "trace_id")?;
        match o.get("latency_ms") {
            None | Some(J::Null) => {}
            Some(J::Object(m)) => {
                for (k, v) in m {
                    let ms = v.as_f64().filter(|x| *x >= 0.0).ok_or_else(|| {
                        format!("`latency_ms.{k}` must be a number of milliseconds")
                    })?;
                    e.latency_ms.push((k.clone(), ms));
                }
            }
            Some(other) => {
                return Err(format!(
                    "`latency_ms` must be an object, not {}",
                    kind_of(other)
                ));
            }
        }
        match o.get("errors") {
            None | Some(J::Null) => {}
            Some(J::Object(m)) => {
                for (k, v) in m {
                    if let Some(err) = provider_error(v, k)? {
                        e.errors.push((k.clone(), err));
                    }
                }
            }
            Some(other) => {
                return Err(format!(
                    "`errors` must be an object, not {}",
                    kind_of(other)
                ));
            }
        }
        Ok(e)
    }
}

impl Event {
    /// The recorded evaluation time of a provider, if any.
    pub fn latency(&self, provider: &str) -> Option<f64> {
        self.latency_ms
            .iter()
            .find(|(p, _)| p == provider)
            .map(|(_, ms)| *ms)
    }

    /// The recorded failure of a provider, if any.
    pub fn error(&self, provider: &str) -> Option<&ProviderError> {
        self.errors
            .iter()
            .find(|(p, _)| p == provider)
            .map(|(_, e)| e)
    }

    /// Drops what was exchanged (texts, chunks, tool payloads, handoff,
    /// metadata, scores) and keeps who, when, which model and what it
    /// cost: what governance and a run's summary read. Run where the event
    /// was evaluated, it frees the bulk of it on the thread that made it.
    pub fn drop_content(&mut self) {
        self.input = None;
        self.output = None;
        self.chunks = Vec::new();
        self.tool = None;
        self.handoff = None;
        self.metadata = serde_json::Map::new();
        self.scores = Scores::default();
        self.headers = SmallMap::default();
    }

    /// Reads a guardctl event line without a JSON tree, or `None` when
    /// the line needs the general path (see [`super::fast_line`]).
    pub fn from_slice_fast(text: &[u8], line: usize) -> Option<Event> {
        super::fast_line::read(text, line)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::engine::fast_line::tests::json_value;
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

    /// A value: one of `VALUES`, a generated number or string, or one
    /// wrapped in the shape a nested field expects.
    fn value() -> impl Strategy<Value = String> {
        let number = "-?(0|[1-9][0-9]{0,19})(\\.[0-9]{1,18})?([eE][+-]?[0-9]{1,3})?";
        let string = "\"([a-zé日 \\\\\"/:-]|\\\\[nt\"/\\\\]|\\\\u00[0-9a-f]{2}|\\\\ud83d\\\\ude00|\\\\ud800){0,12}\"";
        prop_oneof![
            6 => proptest::sample::select(VALUES).prop_map(str::to_string),
            2 => number,
            2 => string,
            1 => number.prop_map(|n| format!("{{\"p\":{{\"c\":{n}}}}}")),
            1 => number.prop_map(|n| format!("{{\"input\":{n},\"total\":{n}}}")),
            1 => string.prop_map(|s| format!("{{\"id\":{s},\"roles\":[{s}]}}")),
            1 => string.prop_map(|s| format!("{{{s}:{s}}}")),
            2 => json_value(),
            1 => (string, json_value()).prop_map(|(s, v)| format!("{{\"name\":{s},\"parameters\":{v}}}")),
        ]
    }

    fn object() -> impl Strategy<Value = String> {
        let ws = proptest::sample::select(&["", "", " ", "\t", " \r\n "][..]);
        proptest::collection::vec((proptest::sample::select(KEYS), value(), ws), 0..12).prop_map(
            |kv| {
                let body: Vec<String> = kv
                    .iter()
                    .map(|(k, v, w)| format!("{w}\"{k}\"{w}:{w}{v}{w}"))
                    .collect();
                format!("{{{}}}", body.join(","))
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        /// The fast reader agrees with the general one on every line it
        /// takes.
        #[test]
        fn fast_path_agrees(text in object()) {
            if let Some(fast) = Event::from_slice_fast(text.as_bytes(), 7) {
                let v: J = serde_json::from_str(&text).unwrap();
                let slow = Event::from_json(v, 7);
                prop_assert_eq!(Ok(fast), slow);
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
