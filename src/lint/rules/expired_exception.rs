//! GC401 (warning): an exception past its `expires` date exempts nothing.

use crate::diagnostic::Diagnostic;
use crate::ir::Program;
use crate::ir::values::Timestamp;
use crate::lint::registry::Code;

pub fn check(p: &Program, now: Timestamp, out: &mut Vec<Diagnostic>) {
    for e in &p.exceptions {
        let Some(exp) = &e.expires else { continue };
        // A date-only `expires` lasts through that whole day.
        let text = e.file.slice(exp.span);
        let end = if text.trim_matches(['"', '\'']).len() == 10 {
            exp.value.0 + 86_400
        } else {
            exp.value.0
        };
        if end <= now.0 {
            out.push(
                Diagnostic::new(
                    Code::ExpiredException,
                    &e.file,
                    exp.span,
                    format!(
                        "exception `{}` expired on {}",
                        e.name.value,
                        exp.value.to_rfc3339().get(..10).unwrap_or("")
                    ),
                )
                .with_help("remove it, or renew it with a new `expires` date and approval"),
            );
        }
    }
}
