//! `guardctl rule [CODE]`: the documentation of a diagnostic code.

use super::{EXIT_OK, EXIT_USAGE, print};
use crate::cli::{Global, RuleArgs};
use crate::ir::templates::{Check, TEMPLATES, Template};
use crate::lint::registry::{CODES, lookup};
use crate::render::Format;

fn entry(c: &crate::lint::registry::CodeInfo) -> serde_json::Value {
    serde_json::json!({"code": c.id, "name": c.name, "severity": c.severity.as_str(), "doc": c.doc})
}

/// What a template checks, as the rule would write it.
fn template_check(t: &Template) -> String {
    match &t.check {
        Check::Entities(e) => format!("entities: [{}]", e.join(", ")),
        Check::Patterns(p) => format!("patterns: {}", serde_json::json!(p)),
        Check::LlmCheck(q) => format!("llm_check: {}", serde_json::json!(q)),
    }
}

fn templates(global: &Global) -> u8 {
    if global.format == Format::Json {
        let all: Vec<serde_json::Value> = TEMPLATES
            .iter()
            .map(|t| {
                serde_json::json!({"name": t.name, "kind": t.kind, "action": t.action, "doc": t.doc, "check": template_check(t)})
            })
            .collect();
        print(&format!("{}\n", serde_json::Value::Array(all)));
        return EXIT_OK;
    }
    let mut out = String::new();
    for t in TEMPLATES {
        out.push_str(&format!(
            "{}  (Kore: kind {}, action {})\n    {}\n    {}\n",
            t.name,
            t.kind,
            t.action,
            t.doc,
            template_check(t)
        ));
    }
    print(&out);
    EXIT_OK
}

pub fn run(global: &Global, args: &RuleArgs) -> u8 {
    if args.templates {
        return templates(global);
    }
    if global.format == Format::Json {
        return match &args.code {
            None => {
                let all: Vec<serde_json::Value> = CODES.iter().map(entry).collect();
                print(&format!("{}\n", serde_json::Value::Array(all)));
                EXIT_OK
            }
            Some(code) => match lookup(code) {
                Some(c) => {
                    print(&format!("{}\n", entry(c)));
                    EXIT_OK
                }
                None => super::usage_error(
                    global,
                    &format!("unknown code `{code}`; `guardctl rule` lists them all"),
                ),
            },
        };
    }
    match &args.code {
        None => {
            let mut out = String::new();
            for c in CODES {
                out.push_str(&format!(
                    "{}  {:<8} {}\n",
                    c.id,
                    c.severity.as_str(),
                    c.name
                ));
            }
            print(&out);
            EXIT_OK
        }
        Some(code) => match lookup(code) {
            Some(c) => {
                print(&format!(
                    "{} {} ({})\n\n{}\n",
                    c.id,
                    c.name,
                    c.severity.as_str(),
                    c.doc
                ));
                EXIT_OK
            }
            None => {
                crate::errln!("error: unknown code `{code}`; `guardctl rule` lists them all");
                EXIT_USAGE
            }
        },
    }
}
