//! GC401 (warning): an exception past its `expires` date exempts nothing.

use crate::diagnostic::Diagnostic;
use crate::ir::Program;
use crate::ir::values::Timestamp;
use crate::lint::registry::Code;

pub fn check(p: &Program, now: Timestamp, out: &mut Vec<Diagnostic>) {
    for e in &p.exceptions {
        let (Some(exp), Some(end)) = (&e.expires, crate::effective::exception_end(e)) else {
            continue;
        };
        if end.0 < now.0 {
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
