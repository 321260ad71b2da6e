//! Cross-file checks on the whole [`Program`]: names that must resolve,
//! names that must be unique, layering rules, dates against `--now`.
//! Per-file checks (types, enums, CEL, regexes) happen while lowering;
//! this stage sees all files linted together. One file per check in
//! `rules/`, each named for the problem it reports.

pub mod registry;
pub mod rules;

use crate::diagnostic::Diagnostic;
use crate::ir::Program;
use crate::ir::values::Timestamp;

/// Settings that change what lint reports.
#[derive(Debug, Clone, Copy)]
pub struct LintOptions {
    /// "Now" for expiry checks.
    pub now: Timestamp,
}

/// Runs every cross-file check.
pub fn lint(program: &Program, options: &LintOptions) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    rules::duplicate_name::check(program, &mut out);
    rules::dangling_reference::check(program, &mut out);
    rules::incomplete_rule::check(program, &mut out);
    rules::several_active_policies::check(program, &mut out);
    rules::agent_loosens_rule::check(program, &mut out);
    rules::expired_exception::check(program, options.now, &mut out);
    rules::inactive_rule::check(program, &mut out);
    rules::dead_llm_check::check(program, &mut out);
    rules::suspect_check_polarity::check(program, &mut out);
    rules::scope_outside_home::check(program, &mut out);
    rules::inexpressible_on_runtime::check(program, &mut out);
    rules::never_takes_effect::check(program, &mut out);
    out
}
