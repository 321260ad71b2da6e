//! OpenTelemetry GenAI traces (spec §7), read as real instrumentations
//! write them: OTLP/JSON lines of spans (`resourceSpans`, or one bare span
//! per line) and log records (`resourceLogs`), correlated by `spanId`.
//!
//! A file is read whole before its first event is handed out: a span's
//! content may be in log records exported after it, its tool calls'
//! results in a later span, and a tool's execution in a span of its own.
//! Every span that records a model call becomes one event; every tool
//! call one event of its own (from its `execute_tool` span where there is
//! one, else from the `tool_call` part that asked for it, with the result
//! sent back in a later turn). Whatever holds no GenAI content (metrics,
//! HTTP spans, other log records, agent spans whose model and tool calls
//! have spans of their own) is counted as skipped, by kind: never an
//! event.

mod any_value;
mod build;
mod events;
mod indexed;
mod messages;
mod records;

use std::collections::{BTreeSet, HashMap, HashSet};

use serde_json::Value as J;

pub(crate) use records::{Line, is_otel, read};

use self::build::{Exchange, Kind};
use self::messages::{Call, Reply};
use self::records::{LogRec, SpanRec};
use super::trace::Record;

/// Why a record was passed over.
pub mod skipped {
    pub const METRICS: &str = "metrics";
    pub const EMPTY_EXPORT: &str = "export with no spans or log records";
    pub const NO_GENAI_SPAN: &str = "span without GenAI attributes";
    pub const OTHER_SPAN: &str = "GenAI span no rule reads (retrieval, evaluation)";
    pub const COVERED_AGENT: &str = "agent span read through its model and tool spans";
    pub const NO_GENAI_LOG: &str = "log record that is no GenAI event";
}

/// The records of a trace read so far, put together by [`Assembly::finish`].
#[derive(Default)]
pub(crate) struct Assembly {
    spans: Vec<SpanRec>,
    logs: Vec<LogRec>,
    /// Records taken as they are (guardctl events, malformed lines), and
    /// skipped lines, by where they were read.
    ready: Vec<((usize, usize, usize), Record)>,
    /// Lines passed over whole: (line, why).
    passed: Vec<(usize, &'static str)>,
}

impl Assembly {
    /// An OTLP/JSON line.
    pub(crate) fn otel(&mut self, line: usize, v: &J) {
        self.read(line, read(v, line));
    }

    /// An OTLP/JSON line's records, read (on any thread) by [`read`].
    pub(crate) fn read(&mut self, line: usize, l: Line) {
        if l.metrics {
            self.passed.push((line, skipped::METRICS));
        } else if l.spans.is_empty() && l.logs.is_empty() {
            self.passed.push((line, skipped::EMPTY_EXPORT));
        }
        self.spans.extend(l.spans);
        self.logs.extend(l.logs);
    }

    /// A record of a line that is not OpenTelemetry.
    pub(crate) fn record(&mut self, line: usize, r: Record) {
        self.ready.push(((line, 0, 0), r));
    }

    /// The events, tool calls and skipped records, in trace order.
    pub(crate) fn finish(mut self) -> Vec<Record> {
        let mut out = std::mem::take(&mut self.ready);
        let mut skips: Vec<((usize, usize, usize), &'static str)> = self
            .passed
            .iter()
            .map(|&(line, why)| ((line, 0, 0), why))
            .collect();
        let mut contributed: BTreeSet<usize> = out.iter().map(|((l, _, _), _)| *l).collect();
        let log_lines = self.attach_logs(&mut skips);
        let spans = std::mem::take(&mut self.spans);
        let kinds: Vec<Kind> = spans.iter().map(build::kind).collect();
        let covered = covered_agents(&spans, &kinds);
        let exchanges: Vec<Option<Exchange>> = spans
            .iter()
            .zip(&kinds)
            .enumerate()
            .map(|(i, (s, k))| {
                let read = *k == Kind::Model || (*k == Kind::Agent && !covered.contains(&i));
                read.then(|| build::exchange(s))
            })
            .collect();
        let tools = Tools::of(&spans, &kinds, &exchanges);
        let mut emitted: HashSet<String> = HashSet::new();
        for (i, s) in spans.iter().enumerate() {
            let (line, seq) = s.at;
            let mut push = |sub: usize, e: crate::engine::event::Event| {
                out.push(((line, seq, sub), Record::Event(Box::new(e))));
            };
            let kind = kinds.get(i).copied().unwrap_or(Kind::None);
            match (kind, exchanges.get(i).and_then(Option::as_ref)) {
                (Kind::Model | Kind::Agent, Some(x)) => {
                    let e = build::model_event(s, x);
                    let base = e.clone();
                    push(0, e);
                    let mut sub = 0;
                    for (n, c) in build::calls(x).iter().enumerate() {
                        if let Some(id) = &c.id {
                            if tools.executed.contains_key(id) || !emitted.insert(id.clone()) {
                                continue;
                            }
                        }
                        let result =
                            c.id.as_ref()
                                .and_then(|id| tools.replies.get(id))
                                .map_or(J::Null, |r| r.result.clone());
                        let id = format!(
                            "{}/{}",
                            base.id,
                            c.id.clone().unwrap_or_else(|| format!("tool-{}", n + 1))
                        );
                        sub += 1;
                        push(sub, build::tool_event(base.clone(), id, c, result));
                    }
                    // A result whose call no span shows.
                    for r in build::replies(x) {
                        let Some(id) = &r.id else { continue };
                        if tools.executed.contains_key(id) || !emitted.insert(id.clone()) {
                            continue;
                        }
                        let call = Call {
                            id: r.id.clone(),
                            name: r.name.clone(),
                            arguments: J::Null,
                        };
                        sub += 1;
                        let eid = format!("{}/{id}", base.id);
                        push(sub, build::tool_event(base.clone(), eid, &call, r.result));
                    }
                    contributed.insert(line);
                }
                (Kind::Tool, _) => {
                    let (mut call, mut result) = build::tool_span(s);
                    if let Some(id) = &call.id {
                        emitted.insert(id.clone());
                        if let Some(asked) = tools.calls.get(id) {
                            if call.arguments.is_null() {
                                call.arguments = asked.arguments.clone();
                            }
                            if call.name.is_none() {
                                call.name.clone_from(&asked.name);
                            }
                        }
                        if result.is_null() {
                            if let Some(r) = tools.replies.get(id) {
                                result = r.result.clone();
                            }
                        }
                    }
                    let base = build::base(s);
                    let id = base.id.clone();
                    push(0, build::tool_event(base, id, &call, result));
                    contributed.insert(line);
                }
                (Kind::Agent, None) => skips.push(((line, seq, 0), skipped::COVERED_AGENT)),
                (Kind::Other, _) => skips.push(((line, seq, 0), skipped::OTHER_SPAN)),
                _ => skips.push(((line, seq, 0), skipped::NO_GENAI_SPAN)),
            }
        }
        // A log record's line holds GenAI content when its span became an
        // event.
        for (log_line, span_line) in log_lines {
            if contributed.contains(&span_line) {
                contributed.insert(log_line);
            }
        }
        out.extend(skips.into_iter().map(|(at, kind)| {
            let (line, _, _) = at;
            (
                at,
                Record::Skipped {
                    line,
                    kind,
                    fatal: !contributed.contains(&line),
                },
            )
        }));
        out.sort_by_key(|(at, _)| *at);
        out.into_iter().map(|(_, r)| r).collect()
    }

    /// Hands each GenAI log record to its span: the one its `spanId`
    /// names; for a record without one, the span its line's other records
    /// name, else the last model span before it. Records of spans not in
    /// the file become spans of their own. Returns (log line, span line)
    /// of each record handed over.
    fn attach_logs(
        &mut self,
        skips: &mut Vec<((usize, usize, usize), &'static str)>,
    ) -> Vec<(usize, usize)> {
        let mut by_id: HashMap<String, usize> = HashMap::new();
        for (i, s) in self.spans.iter().enumerate() {
            if let Some(id) = &s.span_id {
                by_id.entry(id.clone()).or_insert(i);
            }
        }
        let mut handed = Vec::new();
        let logs = std::mem::take(&mut self.logs);
        // The span each line's identified records name, if just one.
        let mut line_span: HashMap<usize, Option<usize>> = HashMap::new();
        for l in &logs {
            if let Some(i) = l.span_id.as_ref().and_then(|id| by_id.get(id)) {
                let (line, _) = l.at;
                let e = line_span.entry(line).or_insert(Some(*i));
                if *e != Some(*i) {
                    *e = None;
                }
            }
        }
        // The model spans by place in the file, kept as records make more
        // spans model spans: the last one before a record is a lookup, not
        // a pass over every span for each record without a `spanId`.
        let mut models: BTreeSet<((usize, usize), usize)> = self
            .spans
            .iter()
            .enumerate()
            .filter(|(_, s)| build::kind(s) == Kind::Model)
            .map(|(i, s)| (s.at, i))
            .collect();
        let mut orphans: HashMap<String, usize> = HashMap::new();
        for l in logs {
            let (line, seq) = l.at;
            let Some(said) = l.said else {
                skips.push(((line, seq, 0), skipped::NO_GENAI_LOG));
                continue;
            };
            let target = match &l.span_id {
                Some(id) => by_id.get(id).copied(),
                None => line_span
                    .get(&line)
                    .copied()
                    .flatten()
                    .or_else(|| models.range(..(l.at, 0)).next_back().map(|&(_, i)| i)),
            };
            let target = match target {
                Some(i) => i,
                None => {
                    // A record of a span not in the file: the span is made
                    // of its records (and the details event's attributes).
                    let key = l.span_id.clone().unwrap_or_else(|| format!("line {line}"));
                    match orphans.get(&key) {
                        Some(i) => *i,
                        None => {
                            let i = self.spans.len();
                            self.spans.push(SpanRec {
                                at: l.at,
                                trace_id: l.trace_id.clone(),
                                span_id: l.span_id.clone(),
                                parent: None,
                                name: String::new(),
                                start_ns: l.time_ns,
                                attrs: serde_json::Map::new(),
                                resource: l.resource.clone(),
                                said: Vec::new(),
                                error: None,
                            });
                            orphans.insert(key, i);
                            if let Some(id) = &l.span_id {
                                by_id.insert(id.clone(), i);
                            }
                            i
                        }
                    }
                }
            };
            if let Some(s) = self.spans.get_mut(target) {
                if said.name == events::DETAILS {
                    if let Some(a) = said.payload.as_object() {
                        build::fill_attributes(s, a);
                    }
                }
                s.said.push(said);
                handed.push((line, s.at.0));
                if build::kind(s) == Kind::Model {
                    models.insert((s.at, target));
                }
            }
        }
        // Spans made of records take their place by their first record.
        self.spans.sort_by_key(|s| s.at);
        handed
    }
}

/// Agent spans with a model or tool span beneath them.
fn covered_agents(spans: &[SpanRec], kinds: &[Kind]) -> HashSet<usize> {
    let by_id: HashMap<&str, usize> = spans
        .iter()
        .enumerate()
        .filter_map(|(i, s)| Some((s.span_id.as_deref()?, i)))
        .collect();
    let mut covered = HashSet::new();
    for (s, k) in spans.iter().zip(kinds) {
        if !matches!(k, Kind::Model | Kind::Tool) {
            continue;
        }
        // Bounded: a parent chain that loops ends after every span.
        let mut at = s.parent.as_deref();
        for _ in 0..spans.len() {
            let Some(i) = at.and_then(|p| by_id.get(p)) else {
                break;
            };
            if kinds.get(*i) == Some(&Kind::Agent) {
                covered.insert(*i);
            }
            at = spans.get(*i).and_then(|p| p.parent.as_deref());
        }
    }
    covered
}

/// The tool calls of a trace by id: those a tool span executed, those a
/// model asked for, and the results sent back.
struct Tools {
    executed: HashMap<String, usize>,
    calls: HashMap<String, Call>,
    replies: HashMap<String, Reply>,
}

impl Tools {
    fn of(spans: &[SpanRec], kinds: &[Kind], exchanges: &[Option<Exchange>]) -> Tools {
        let mut t = Tools {
            executed: HashMap::new(),
            calls: HashMap::new(),
            replies: HashMap::new(),
        };
        for (i, (s, k)) in spans.iter().zip(kinds).enumerate() {
            if *k == Kind::Tool {
                if let Some(id) = build::tool_span(s).0.id {
                    t.executed.entry(id).or_insert(i);
                }
            }
        }
        for x in exchanges.iter().flatten() {
            for c in build::calls(x) {
                if let Some(id) = c.id.clone() {
                    t.calls.entry(id).or_insert(c);
                }
            }
            for r in build::replies(x) {
                if let Some(id) = r.id.clone() {
                    t.replies.entry(id).or_insert(r);
                }
            }
        }
        t
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;
    use serde_json::json;

    fn s(v: &str) -> J {
        json!({"stringValue": v})
    }

    fn attrs(pairs: &[(&str, J)]) -> J {
        J::Array(
            pairs
                .iter()
                .map(|(k, v)| json!({"key": k, "value": v}))
                .collect(),
        )
    }

    fn events(lines: &[J]) -> Vec<Record> {
        let mut a = Assembly::default();
        for (i, l) in lines.iter().enumerate() {
            a.otel(i + 1, l);
        }
        a.finish()
    }

    fn only_events(rs: &[Record]) -> Vec<&crate::engine::event::Event> {
        rs.iter()
            .filter_map(|r| match r {
                Record::Event(e) => Some(&**e),
                _ => None,
            })
            .collect()
    }

    /// Log records exported without their spans make the events they
    /// describe; records of one span make one event.
    #[test]
    fn log_records_without_their_span() {
        let log = |span: &str, name: &str, body: J| json!({"traceId": "t1", "spanId": span, "eventName": name, "body": body});
        let kv = |pairs: &[(&str, J)]| json!({"kvlistValue": {"values": attrs(pairs)}});
        let line = json!({"resourceLogs": [{"scopeLogs": [{"logRecords": [
            log("a1", "gen_ai.user.message", kv(&[("content", s("hello"))])),
            log("a1", "gen_ai.choice", kv(&[("message", kv(&[("content", s("hi there"))]))])),
            log("b2", "gen_ai.user.message", kv(&[("content", s("second"))])),
            {"traceId": "t1", "spanId": "b2", "body": s("an application log line")},
        ]}]}]});
        let rs = events(&[line]);
        let evs = only_events(&rs);
        assert_eq!(evs.len(), 2);
        assert_eq!(evs[0].id, "a1");
        assert_eq!(evs[0].input.as_deref(), Some("hello"));
        assert_eq!(evs[0].output.as_deref(), Some("hi there"));
        assert_eq!(evs[1].input.as_deref(), Some("second"));
        assert!(rs.iter().any(|r| matches!(r, Record::Skipped { kind, fatal: false, .. } if *kind == skipped::NO_GENAI_LOG)));
    }

    /// A tool executed in its own span is one event, not one more for the
    /// `tool_call` part that asked for it.
    #[test]
    fn execute_tool_spans_and_tool_call_parts() {
        let out = r#"[{"role":"assistant","parts":[{"type":"reasoning","content":"let me think"},{"type":"tool_call","id":"c1","name":"refund","arguments":{"amount":20}},{"type":"tool_call","id":"c2","name":"lookup","arguments":"{\"q\":\"x\"}"}]}]"#;
        let line = json!({"resourceSpans": [{"scopeSpans": [{"spans": [
            {"traceId": "t", "spanId": "m1", "parentSpanId": "ag", "attributes": attrs(&[
                ("gen_ai.operation.name", s("chat")),
                ("gen_ai.input.messages", s(r#"[{"role":"user","parts":[{"type":"text","content":"refund me"}]}]"#)),
                ("gen_ai.output.messages", s(out)),
            ])},
            {"traceId": "t", "spanId": "x1", "parentSpanId": "ag", "name": "execute_tool refund", "attributes": attrs(&[
                ("gen_ai.operation.name", s("execute_tool")),
                ("gen_ai.tool.call.id", s("c1")),
                ("gen_ai.tool.call.result", s("{\"ok\":true}")),
            ])},
            {"traceId": "t", "spanId": "ag", "attributes": attrs(&[("gen_ai.operation.name", s("invoke_agent"))])},
        ]}]}]});
        let rs = events(&[line]);
        let evs = only_events(&rs);
        let ids: Vec<&str> = evs.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["m1", "m1/c2", "x1"]);
        // Reasoning is not the answer.
        assert_eq!(evs[0].output, None);
        let refund = evs[2].tool.as_ref().unwrap();
        assert_eq!(refund.name.as_deref(), Some("refund"));
        assert_eq!(refund.parameters, json!({"amount": 20}));
        assert_eq!(refund.result, json!({"ok": true}));
        assert_eq!(evs[1].tool.as_ref().unwrap().parameters, json!({"q": "x"}));
        assert!(
            rs.iter().any(
                |r| matches!(r, Record::Skipped { kind, .. } if *kind == skipped::COVERED_AGENT)
            )
        );
    }

    /// Spans and log records in different lines meet by `spanId`; the
    /// details event's attributes fill the span's.
    #[test]
    fn details_event_in_a_later_line() {
        let span = json!({"resourceSpans": [{"scopeSpans": [{"spans": [
            {"traceId": "t", "spanId": "m1", "attributes": attrs(&[("gen_ai.operation.name", s("chat"))])}
        ]}]}]});
        let msgs = json!({"arrayValue": {"values": [{"kvlistValue": {"values": attrs(&[
            ("role", s("user")),
            ("parts", json!({"arrayValue": {"values": [{"kvlistValue": {"values": attrs(&[("type", s("text")), ("content", s("q?"))])}}]}})),
        ])}}]}});
        let log = json!({"resourceLogs": [{"scopeLogs": [{"logRecords": [
            {"traceId": "t", "spanId": "m1", "eventName": events::DETAILS, "body": {}, "attributes": attrs(&[
                ("gen_ai.input.messages", msgs),
                ("gen_ai.request.model", s("gpt-x")),
                ("gen_ai.conversation.id", s("conv-1")),
            ])}
        ]}]}]});
        let metrics = json!({"resourceMetrics": []});
        let rs = events(&[span, log, metrics]);
        let evs = only_events(&rs);
        assert_eq!(evs.len(), 1);
        assert_eq!(evs[0].input.as_deref(), Some("q?"));
        assert_eq!(evs[0].model.as_deref(), Some("gpt-x"));
        assert_eq!(evs[0].metadata["conversation_id"], "conv-1");
        // The log line is content; the metrics line is not.
        let fatal: Vec<(usize, bool)> = rs
            .iter()
            .filter_map(|r| match r {
                Record::Skipped { line, fatal, .. } => Some((*line, *fatal)),
                _ => None,
            })
            .collect();
        assert_eq!(fatal, [(3, true)]);
    }
}
