//! GC406 (error): a rule or policy uses something the runtime it is
//! deployed to cannot express (spec §8). Each target lists what it cannot
//! write ([`crate::targets::Target::refusals`]); lint reports those of
//! every policy's own `runtime:` (or `guardctl.toml`'s), and `compile
//! --target` those of the target it is asked for, so no check is silently
//! dropped or approximated on the way to production.

use crate::diagnostic::Diagnostic;
use crate::ir::Program;
use crate::ir::enums::Runtime;
use crate::lint::registry::Code;
use crate::targets::Refusal;

/// The diagnostic for one refusal on `runtime`.
pub fn diagnostic(r: &Refusal, runtime: Runtime) -> Diagnostic {
    Diagnostic::new(
        Code::InexpressibleOnRuntime,
        &r.file,
        r.span,
        format!(
            "{} uses {}, which runtime `{runtime}` cannot express",
            r.subject, r.feature
        ),
    )
    .with_help(r.why.clone())
}

pub fn check(p: &Program, out: &mut Vec<Diagnostic>) {
    for r in crate::targets::deployment_refusals(p) {
        out.push(diagnostic(&r, r.deployed));
    }
}
