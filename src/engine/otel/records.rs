//! The spans and log records of OTLP/JSON lines, with what guardctl reads
//! of them: ids, times, attributes (plain JSON), the resource's, and
//! their GenAI events. A line is an export (`resourceSpans`,
//! `resourceLogs`, `resourceMetrics`) or one bare span.

use serde_json::{Map, Value as J};

use super::any_value::{attributes, int, value};
use super::events;

/// A GenAI event of a span or a log record: its name and payload.
#[derive(Debug, Clone)]
pub(crate) struct Said {
    pub name: String,
    pub payload: J,
}

#[derive(Debug, Clone)]
pub(crate) struct SpanRec {
    /// Where it was read: line, then place among the line's records.
    pub at: (usize, usize),
    pub trace_id: Option<String>,
    pub span_id: Option<String>,
    pub parent: Option<String>,
    pub name: String,
    pub start_ns: Option<i64>,
    pub attrs: Map<String, J>,
    pub resource: Map<String, J>,
    /// GenAI span events, then the log records correlated to the span.
    pub said: Vec<Said>,
    /// The status message of a span that failed.
    pub error: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct LogRec {
    pub at: (usize, usize),
    pub trace_id: Option<String>,
    pub span_id: Option<String>,
    pub time_ns: Option<i64>,
    pub resource: Map<String, J>,
    /// `None` for a record that is no GenAI event.
    pub said: Option<Said>,
}

/// What one OTLP/JSON line holds.
#[derive(Debug, Default)]
pub(crate) struct Line {
    pub spans: Vec<SpanRec>,
    pub logs: Vec<LogRec>,
    pub metrics: bool,
}

/// Whether a JSON line is OpenTelemetry (an export, or a bare span).
pub(crate) fn is_otel(v: &J) -> bool {
    v.get("resourceSpans").is_some()
        || v.get("resourceLogs").is_some()
        || v.get("resourceMetrics").is_some()
        || (v.get("spanId").is_some() && v.get("traceId").is_some())
}

fn id(v: Option<&J>) -> Option<String> {
    v.and_then(J::as_str)
        .filter(|s| !s.is_empty() && s.bytes().any(|b| b != b'0'))
        .map(str::to_string)
}

fn list<'a>(v: &'a J, key: &str) -> impl Iterator<Item = &'a J> {
    v.get(key).and_then(J::as_array).into_iter().flatten()
}

/// The records of OTLP/JSON line `line`.
pub(crate) fn read(v: &J, line: usize) -> Line {
    let mut out = Line::default();
    let mut seq = 0usize;
    let mut next = || {
        seq += 1;
        (line, seq)
    };
    if v.get("resourceSpans").is_none() && v.get("spanId").is_some() {
        out.spans.push(span(v, Map::new(), next()));
        return out;
    }
    for r in list(v, "resourceSpans") {
        let resource = attributes(r.pointer("/resource/attributes"));
        for ss in list(r, "scopeSpans") {
            for s in list(ss, "spans") {
                out.spans.push(span(s, resource.clone(), next()));
            }
        }
    }
    for r in list(v, "resourceLogs") {
        let resource = attributes(r.pointer("/resource/attributes"));
        for sl in list(r, "scopeLogs") {
            for l in list(sl, "logRecords") {
                out.logs.push(log(l, resource.clone(), next()));
            }
        }
    }
    out.metrics = v.get("resourceMetrics").is_some();
    out
}

fn span(s: &J, resource: Map<String, J>, at: (usize, usize)) -> SpanRec {
    let said = list(s, "events")
        .filter_map(|e| {
            let name = e.get("name").and_then(J::as_str)?;
            if !events::known(name) {
                return None;
            }
            let a = attributes(e.get("attributes"));
            Some(Said {
                name: name.to_string(),
                payload: events::payload(J::Null, &a),
            })
        })
        .collect();
    let failed = s
        .pointer("/status/code")
        .is_some_and(|c| c.as_i64() == Some(2) || c.as_str() == Some("STATUS_CODE_ERROR"));
    SpanRec {
        at,
        trace_id: id(s.get("traceId")),
        span_id: id(s.get("spanId")),
        parent: id(s.get("parentSpanId")),
        name: s.get("name").and_then(J::as_str).unwrap_or("").to_string(),
        start_ns: int(s.get("startTimeUnixNano")),
        attrs: attributes(s.get("attributes")),
        resource,
        said,
        error: failed.then(|| {
            s.pointer("/status/message")
                .and_then(J::as_str)
                .unwrap_or("error")
                .to_string()
        }),
    }
}

fn log(l: &J, resource: Map<String, J>, at: (usize, usize)) -> LogRec {
    let a = attributes(l.get("attributes"));
    // The record's own field since OTLP 1.5; an attribute before it.
    let name = l
        .get("eventName")
        .and_then(J::as_str)
        .filter(|n| !n.is_empty())
        .or_else(|| a.get("event.name").and_then(J::as_str));
    let said = name.filter(|n| events::known(n)).map(|n| Said {
        name: n.to_string(),
        payload: events::payload(l.get("body").map_or(J::Null, value), &a),
    });
    LogRec {
        at,
        trace_id: id(l.get("traceId")),
        span_id: id(l.get("spanId")),
        time_ns: int(l.get("timeUnixNano")).or_else(|| int(l.get("observedTimeUnixNano"))),
        resource,
        said,
    }
}
