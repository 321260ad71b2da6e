//! GC402 (warning): a rule left `paused` or `draft` does not run.

use crate::diagnostic::Diagnostic;
use crate::ir::Program;
use crate::ir::enums::RuleStatus;
use crate::lint::registry::Code;

pub fn check(p: &Program, out: &mut Vec<Diagnostic>) {
    for r in &p.rules {
        let Some(s) = &r.status else { continue };
        if matches!(s.value, RuleStatus::Paused | RuleStatus::Draft) {
            out.push(
                Diagnostic::new(
                    Code::InactiveRule,
                    &r.file,
                    s.span,
                    format!("rule `{}` is `{}` and does not run", r.name.value, s.value),
                )
                .with_help("set `status: active`, or `archived` if it is retired"),
            );
        }
    }
}
