//! `guardctl explain POLICY... --event JSON | --text TEXT --kind KIND |
//! --trace FILE --id ID`: the whole decision for one event, rule by rule,
//! with reasons, what each detector found (masked), source locations, the
//! polarity and runtime applied, and governance as simulate applies it
//! (with `--trace`, the spend and cap usage of every event before it). The
//! JSON form follows the KaireonAI debug trace (`ruleKey`, `ruleName`,
//! `severity`, `passed`, `reason`, `eventId`).

use crate::json::put;
use serde_json::json;

use super::{EXIT_OK, explain_views, load_policies, print};
use crate::cli::{ExplainArgs, Global};
use crate::engine::budget::Replay;
use crate::engine::evaluate::{Options, Outcome, Status, evaluate};
use crate::engine::event::Event;
use crate::engine::governance::{Facts, GovEvent, Governance};
use crate::engine::rules::{CRule, RuleSet};
use crate::engine::trace::{self, Record};
use crate::ir::Program;
use crate::ir::enums::Runtime;
use crate::lint::LintOptions;
use crate::render::Format;
use crate::simulate::{Exempt, excerpt, final_decision, rule_exemption};

/// The repository's `check_polarity` and where it comes from.
fn default_polarity(program: &crate::ir::Program) -> (&'static str, &'static str) {
    match program.check_polarity {
        Some(p) => (p.as_str(), "guardctl.toml"),
        None => ("pass", "the default"),
    }
}

fn event_from_args(args: &ExplainArgs) -> Result<Event, String> {
    if let Some(raw) = &args.event {
        let text = match raw.strip_prefix('@') {
            Some(path) => {
                std::fs::read_to_string(path).map_err(|e| format!("cannot read `{path}`: {e}"))?
            }
            None => raw.clone(),
        };
        let v =
            trace::json_value(text.as_bytes()).map_err(|e| format!("--event is not JSON: {e}"))?;
        return Event::from_json(v, 1);
    }
    let (Some(text), Some(kind)) = (&args.text, &args.kind) else {
        return Err(
            "give --event JSON, --text TEXT with --kind KIND, or --trace FILE --id ID".into(),
        );
    };
    let mut v = json!({"id": "explain", "kind": kind});
    match kind.as_str() {
        "input" => put(&mut v, "input", json!(text)),
        "output" => put(&mut v, "output", json!(text)),
        "tool_input" => put(&mut v, "tool", json!({"parameters": text})),
        "tool_output" => put(&mut v, "tool", json!({"result": text})),
        "handoff" => put(&mut v, "handoff", json!(text)),
        other => {
            return Err(format!(
                "--kind `{other}`: one of input, output, tool_input, tool_output, handoff"
            ));
        }
    }
    Event::from_json(v, 1)
}

/// The event and its governance, as simulate reaches it.
struct Placed {
    event: Event,
    gov: Vec<GovEvent>,
    standing: Vec<String>,
    /// With `--trace`: the file and how many events came before.
    context: Option<(String, usize)>,
    /// What the event is evaluated with: the fallbacks of the evaluation
    /// budgets spent before it.
    opts: Options,
}

/// Steps governance (and evaluation budgets, which need each event
/// evaluated) through a trace's events up to the one with `id`.
fn from_trace(
    program: &Program,
    set: &RuleSet,
    exempt: &Exempt<'_>,
    path: &std::path::Path,
    id: &str,
) -> Result<Placed, String> {
    let shown = path.display().to_string();
    let mut reader = trace::open(path).map_err(|e| format!("cannot read `{shown}`: {e}"))?;
    let mut gov = Governance::default();
    let mut replay = Replay::new(program, set);
    let mut before = 0usize;
    loop {
        let block = reader.block(1 << 20);
        if block.is_empty() {
            break;
        }
        for rec in block.records() {
            let Record::Event(e) = rec else { continue };
            let facts = Facts::of(program, &e);
            let mut g = gov.step_facts(program, &facts);
            let opts = replay.options(facts.timestamp);
            if replay.active() {
                let r = evaluate(set, exempt, &e, &opts);
                g.extend(replay.charge(facts.timestamp, &r.outcomes));
                replay.record(&e, &r.outcomes);
            }
            if e.id == id {
                return Ok(Placed {
                    standing: gov.standing(program, &facts),
                    event: *e,
                    gov: g,
                    context: Some((shown, before)),
                    opts,
                });
            }
            before += 1;
        }
    }
    Err(format!(
        "no event with id `{id}` in `{shown}` ({before} events read)"
    ))
}

/// Every candidate of one KaireonAI decision in a trace (its events with
/// this `request_id`), each decided on its own.
fn same_request(
    set: &RuleSet,
    exempt: &Exempt<'_>,
    path: &std::path::Path,
    request: &str,
) -> Result<Vec<(Event, crate::engine::evaluate::EventResult)>, u8> {
    let mut reader = trace::open(path).map_err(|_| super::EXIT_USAGE)?;
    let mut out = Vec::new();
    loop {
        let block = reader.block(1 << 20);
        if block.is_empty() {
            break;
        }
        for rec in block.records() {
            let Record::Event(e) = rec else { continue };
            if e.request_id.as_deref() == Some(request) {
                let r = evaluate(set, exempt, &e, &Options::default());
                out.push((*e, r));
            }
        }
    }
    Ok(out)
}

/// A finding's text, masked unless shown: letters and digits become `*`
/// but the last two.
pub(super) fn masked(text: &str, show: bool) -> String {
    if show {
        return text.to_string();
    }
    let n = text.chars().filter(|c| c.is_alphanumeric()).count();
    let mut seen = 0usize;
    text.chars()
        .map(|c| {
            if !c.is_alphanumeric() {
                return c;
            }
            seen += 1;
            if seen + 2 > n { c } else { '*' }
        })
        .collect()
}

/// What each finding of an outcome was: detector or pattern, span, text.
fn findings(
    rule: &CRule,
    o: &Outcome,
    e: &Event,
    show: bool,
) -> Vec<(String, usize, usize, String)> {
    o.hits
        .iter()
        .map(|h| {
            let (kind, name) = h.label(rule);
            let text = match h.field {
                "input" => e.input.as_deref(),
                "output" => e.output.as_deref(),
                _ => None,
            };
            let found: String = text
                .map(|t| {
                    t.chars()
                        .skip(h.start)
                        .take(h.end.saturating_sub(h.start))
                        .collect()
                })
                .unwrap_or_default();
            (
                format!("{kind} {name}"),
                h.start,
                h.end,
                masked(&found, show),
            )
        })
        .collect()
}

pub fn run(global: &Global, options: &LintOptions, args: &ExplainArgs) -> u8 {
    let ws = match load_policies(global, options, &args.policies) {
        Ok(ws) => ws,
        Err(code) => return code,
    };
    let set = RuleSet::build(&ws.program);
    let exempt = rule_exemption(&ws.program);
    let placed = match (&args.trace, &args.id) {
        (Some(path), Some(id)) => from_trace(&ws.program, &set, &exempt, path, id),
        _ => event_from_args(args).map(|event| {
            let facts = Facts::of(&ws.program, &event);
            let mut gov = Governance::default();
            let g = gov.step_facts(&ws.program, &facts);
            Placed {
                standing: gov.standing(&ws.program, &facts),
                event,
                gov: g,
                context: None,
                opts: Options::default(),
            }
        }),
    };
    let Placed {
        event,
        gov,
        standing,
        context,
        opts,
    } = match placed {
        Ok(p) => p,
        Err(msg) => return super::usage_error(global, &msg),
    };
    let mut r = evaluate(&set, &exempt, &event, &opts);
    if !args.show_matches {
        crate::simulate::mask::mask_result(&mut r, &event);
    }
    let decision = final_decision(&r, &gov);
    let runtime = crate::effective::runtime::deployed(&ws.program);
    let runtime_name = runtime.map_or("mixed", |r| r.as_str());
    let view = match runtime {
        Some(Runtime::Kairro) => {
            Some(("kairro", explain_views::kairro(&set, &r, &event, decision)))
        }
        Some(Runtime::Kaireon) => {
            let candidates = match (&args.trace, &event.request_id) {
                (Some(path), Some(req)) => match same_request(&set, &exempt, path, req) {
                    Ok(c) => c,
                    Err(code) => return code,
                },
                _ => vec![(event.clone(), evaluate(&set, &exempt, &event, &opts))],
            };
            Some((
                "kaireon",
                explain_views::kaireon(&set, &r, &event, &candidates),
            ))
        }
        _ => None,
    };
    if global.format == Format::Json {
        let trace: Vec<serde_json::Value> = r
            .outcomes
            .iter()
            .filter_map(|o| {
                let rule = set.rules.get(o.rule)?;
                let found: Vec<serde_json::Value> = findings(rule, o, &event, args.show_matches)
                    .into_iter()
                    .map(|(what, start, end, text)| json!({"found": what, "start": start, "end": end, "text": text}))
                    .collect();
                Some(json!({
                    "ruleKey": rule.id,
                    // The name the runtime's UI shows: `display_name`, else the key.
                    "ruleName": rule.display_name.as_deref().unwrap_or(&rule.name),
                    "severity": rule.severity,
                    "passed": o.status != Status::Triggered && o.action.is_none(),
                    "status": o.status.as_str(),
                    "action": o.action,
                    "message": o.action.map(|_| rule.message.as_str()),
                    "reason": o.reason(&set),
                    "matches": found,
                    "chunk": o.chunk,
                    "fail_mode": rule.fail_mode,
                    "check_polarity": (rule.check.is_some()).then(|| rule.polarity.as_str()),
                    "eventId": event.id,
                    "source": rule.location,
                }))
            })
            .collect();
        let out = json!({
            "eventId": event.id,
            "request_id": event.request_id,
            "trace_id": event.trace_id,
            "decision": decision,
            "rules_decision": r.decision,
            "polarity": default_polarity(&ws.program).0,
            "runtime": runtime_name,
            "trace": trace,
            "governance": gov.iter().map(GovEvent::describe).collect::<Vec<_>>(),
            "standing": standing,
            "context": context.as_ref().map(|(f, n)| json!({"trace": f, "events_before": n})),
            "unknown_fields": event.unknown_fields,
            "redacted_input": r.redacted_input,
            "redacted_output": r.redacted_output,
        });
        let mut out = out;
        if let (Some((key, v)), Some(m)) = (&view, out.as_object_mut()) {
            m.insert((*key).to_string(), v.clone());
        }
        print(&format!("{out}\n"));
        return EXIT_OK;
    }
    let mut o = format!(
        "event {}: {}\ndecision: {decision}",
        event.id,
        excerpt(
            &event,
            args.show_matches,
            &crate::simulate::mask::found_values(&r, &event)
        )
        .replace('\n', " ")
    );
    if decision != r.decision {
        o.push_str(&format!(" (rules: {}; governance decides)", r.decision));
    }
    let (polarity, from) = default_polarity(&ws.program);
    o.push_str(&format!(
        "\ncheck_polarity: {polarity} ({from}; a policy's own setting wins) · runtime: {runtime_name}\n"
    ));
    if let Some((file, n)) = &context {
        o.push_str(&format!(
            "from {file}, after {n} earlier event(s) in trace order\n"
        ));
    }
    if !event.unknown_fields.is_empty() {
        o.push_str(&format!(
            "unknown event fields (passed over): {}\n",
            event.unknown_fields.join(", ")
        ));
    }
    o.push('\n');
    for out in &r.outcomes {
        let Some(rule) = set.rules.get(out.rule) else {
            continue;
        };
        let mark = match (out.status, out.action) {
            (Status::Triggered, _) => "✖",
            (Status::Unevaluated, Some(_)) => "✖",
            (Status::Unevaluated, None) => "?",
            (Status::Passed, _) => "✔",
            (Status::Skipped, _) => "–",
        };
        let action = out.action.map_or(String::new(), |a| format!(" → {a}"));
        let polarity = match &rule.check {
            Some(_) => format!(" · check: {}", rule.polarity.as_str()),
            None => String::new(),
        };
        o.push_str(&format!(
            "{mark} {:<40} {}{action}{polarity}\n    {}\n",
            rule.id,
            out.status.as_str(),
            out.reason(&set),
        ));
        for (what, start, end, text) in findings(rule, out, &event, args.show_matches) {
            o.push_str(&format!("    found {what} at {start}..{end}: {text}\n"));
        }
        if out.action.is_some() {
            o.push_str(&format!("    message: {}\n", rule.message));
        }
        o.push_str(&format!("    at {}\n", rule.location));
    }
    if r.outcomes.is_empty() {
        o.push_str("no rule applies to this event\n");
    }
    if !gov.is_empty() || !standing.is_empty() {
        o.push_str("\ngovernance\n");
        for g in &gov {
            o.push_str(&format!("  {}\n", g.describe()));
        }
        for s in &standing {
            o.push_str(&format!("  {s}\n"));
        }
    }
    if let Some((key, v)) = &view {
        o.push('\n');
        o.push_str(&explain_views::human(key, v));
    }
    if let Some(t) = &r.redacted_input {
        o.push_str(&format!("\nredacted input: {t}\n"));
    }
    if let Some(t) = &r.redacted_output {
        o.push_str(&format!("\nredacted output: {t}\n"));
    }
    print(&o);
    EXIT_OK
}
