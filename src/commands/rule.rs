//! `guardctl rule [CODE]`: the documentation of a diagnostic code.

use super::{EXIT_OK, EXIT_USAGE, print};
use crate::cli::{Global, RuleArgs};
use crate::lint::registry::{CODES, lookup};
use crate::render::Format;

fn entry(c: &crate::lint::registry::CodeInfo) -> serde_json::Value {
    serde_json::json!({"code": c.id, "name": c.name, "severity": c.severity.as_str(), "doc": c.doc})
}

pub fn run(global: &Global, args: &RuleArgs) -> u8 {
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
