//! `guardctl explain POLICY... --event JSON | --text TEXT --kind KIND`:
//! the decision trace for one event, rule by rule, with reasons and source
//! locations. The JSON form follows the KaireonAI debug trace
//! (`ruleKey`, `ruleName`, `severity`, `passed`, `reason`, `eventId`).

use crate::json::put;
use serde_json::json;

use super::{EXIT_OK, load_policies, print};
use crate::cli::{ExplainArgs, Global};
use crate::engine::evaluate::{Options, Status, evaluate};
use crate::engine::event::Event;
use crate::engine::governance::Governance;
use crate::engine::rules::RuleSet;
use crate::lint::LintOptions;
use crate::render::Format;
use crate::simulate::{excerpt, final_decision, rule_exemption};

fn event_from_args(args: &ExplainArgs) -> Result<Event, String> {
    if let Some(raw) = &args.event {
        let text = match raw.strip_prefix('@') {
            Some(path) => {
                std::fs::read_to_string(path).map_err(|e| format!("cannot read `{path}`: {e}"))?
            }
            None => raw.clone(),
        };
        let v = crate::engine::trace::json_value(text.as_bytes())
            .map_err(|e| format!("--event is not JSON: {e}"))?;
        return Event::from_json(v, 1);
    }
    let (Some(text), Some(kind)) = (&args.text, &args.kind) else {
        return Err("give --event JSON, or --text TEXT with --kind KIND".into());
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

pub fn run(global: &Global, options: &LintOptions, args: &ExplainArgs) -> u8 {
    let event = match event_from_args(args) {
        Ok(e) => e,
        Err(msg) => {
            return super::usage_error(global, &msg);
        }
    };
    let ws = match load_policies(global, options, &args.policies) {
        Ok(ws) => ws,
        Err(code) => return code,
    };
    let set = RuleSet::build(&ws.program);
    let exempt = rule_exemption(&ws.program);
    let r = evaluate(&set, &exempt, &event, &Options::default());
    let gov = Governance::default().step(&ws.program, &event);
    let decision = final_decision(&r, &gov);
    if global.format == Format::Json {
        let trace: Vec<serde_json::Value> = r
            .outcomes
            .iter()
            .filter_map(|o| {
                let rule = set.rules.get(o.rule)?;
                Some(json!({
                    "ruleKey": rule.id,
                    "ruleName": rule.name,
                    "severity": rule.severity,
                    "passed": o.status != Status::Triggered && o.action.is_none(),
                    "status": o.status.as_str(),
                    "action": o.action,
                    "message": o.action.map(|_| rule.message.as_str()),
                    "reason": o.reason(&set),
                    "chunk": o.chunk,
                    "eventId": event.id,
                    "source": rule.location,
                }))
            })
            .collect();
        let out = json!({
            "eventId": event.id,
            "decision": decision,
            "trace": trace,
            "governance": gov.iter().map(|g| g.describe()).collect::<Vec<_>>(),
            "redacted_input": r.redacted_input,
            "redacted_output": r.redacted_output,
        });
        print(&format!("{out}\n"));
        return EXIT_OK;
    }
    let mut o = format!(
        "event {}: {}\ndecision: {decision}\n\n",
        event.id,
        excerpt(&event, args.show_matches).replace('\n', " ")
    );
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
        o.push_str(&format!(
            "{mark} {:<40} {}{action}\n    {}\n",
            rule.id,
            out.status.as_str(),
            out.reason(&set),
        ));
        if out.action.is_some() {
            o.push_str(&format!("    message: {}\n", rule.message));
        }
        o.push_str(&format!("    at {}\n", rule.location));
    }
    if r.outcomes.is_empty() {
        o.push_str("no rule applies to this event\n");
    }
    for g in &gov {
        o.push_str(&format!("governance: {}\n", g.describe()));
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
