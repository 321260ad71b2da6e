//! `guardctl rule [CODE]`: the documentation of a diagnostic code.

use super::{EXIT_OK, EXIT_USAGE, print};
use crate::cli::RuleArgs;
use crate::lint::registry::{CODES, lookup};

pub fn run(args: &RuleArgs) -> u8 {
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
                eprintln!("error: unknown code `{code}`; `guardctl rule` lists them all");
                EXIT_USAGE
            }
        },
    }
}
