//! Settings a trace cannot replay. A recorded event holds provider
//! latencies (`latency_ms`) and failures (`errors`), so model-tier
//! timeouts, retries and circuit breakers are replayed; it holds no local
//! or LLM-judge check latency, cache state, second answer or approver's
//! reply, so the settings that act on those are compiled for the runtime
//! but not simulated. Every one present in the policies is listed in the
//! report, with where it is written, so a simulation never reads as if it
//! had honoured them.

use std::sync::Arc;

use crate::ir::Program;
use crate::source::{SourceFile, Span};

/// One setting present but not simulated.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Unsimulated {
    /// `policy payments-safety: timeouts`.
    pub setting: String,
    /// `file:line:column`.
    pub at: String,
    pub why: &'static str,
}

const LATENCY: &str =
    "traces record provider latency (`latency_ms`), not a local or LLM-judge check's";
const STREAM_LATENCY: &str = "traces record no streaming latency";
const CONSTITUTION: &str = "principles guide Kore's LLM judge; a trace records its verdicts (`scores.llm`), not how it weighed them";
const CACHE: &str = "traces record no cache state";
const REASK: &str = "a re-asked answer is not in the trace";
const APPROVALS: &str = "traces record approval requests, not the approvers' replies";

fn at(file: &Arc<SourceFile>, span: Span) -> String {
    let (l, c) = file.line_col(span.start);
    format!("{}:{l}:{c}", file.name)
}

/// The settings of `program` that simulate does not replay, sorted.
pub fn unsimulated(program: &Program) -> Vec<Unsimulated> {
    let mut out = Vec::new();
    let mut put = |what: String, file: &Arc<SourceFile>, span: Span, why| {
        out.push(Unsimulated {
            setting: what,
            at: at(file, span),
            why,
        });
    };
    for p in &program.policies {
        let name = format!("policy {}", p.name.value);
        if let Some(t) = &p.timeouts {
            if let Some(s) = t.local.as_ref() {
                put(format!("{name}: timeouts.local"), &p.file, s.span, LATENCY);
            }
            if let Some(s) = t.llm.as_ref() {
                put(format!("{name}: timeouts.llm"), &p.file, s.span, LATENCY);
            }
        }
        if let Some(m) = p.streaming.as_ref().and_then(|s| s.max_latency.as_ref()) {
            put(
                format!("{name}: streaming.max_latency"),
                &p.file,
                m.span,
                STREAM_LATENCY,
            );
        }
        if let Some(c) = p.constitution.as_ref().and_then(|c| c.first()) {
            put(
                format!("{name}: constitution"),
                &p.file,
                c.principle.span,
                CONSTITUTION,
            );
        }
        if let Some(e) = p.caching.as_ref().and_then(|c| {
            c.enabled
                .as_ref()
                .map(|x| x.span)
                .or(c.ttl.as_ref().map(|x| x.span))
        }) {
            put(format!("{name}: caching"), &p.file, e, CACHE);
        }
    }
    for r in &program.rules {
        let name = format!("rule {}/{}", r.owner.name(), r.name.value);
        // A provider's evaluation time is replayed; a local or LLM check's is not.
        if let (Some(t), false) = (&r.timeout, r.provider.is_some()) {
            put(format!("{name}: timeout"), &r.file, t.span, LATENCY);
        }
        if let Some(m) = &r.max_reasks {
            put(format!("{name}: max_reasks"), &r.file, m.span, REASK);
        }
    }
    for c in &program.chains {
        let name = format!("approval chain {}", c.name.value);
        if let Some(t) = &c.timeout {
            put(format!("{name}: timeout"), &c.file, t.span, APPROVALS);
        }
        if let Some(o) = &c.on_timeout {
            put(format!("{name}: on_timeout"), &c.file, o.span, APPROVALS);
        }
        if let Some(m) = c.steps.iter().find_map(|s| s.min_approvals.as_ref()) {
            put(format!("{name}: min_approvals"), &c.file, m.span, APPROVALS);
        }
    }
    out.sort();
    out
}
