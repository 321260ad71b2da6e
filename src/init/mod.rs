//! `guardctl init [--runtime RUNTIME] [DIR]`: a starter policy repository
//! for one runtime (spec §8): `guardctl.toml` naming the runtime, a
//! baseline, a narrower policy, a policy test file and a pre-commit
//! configuration, each chosen so that the repository lints, tests and
//! compiles clean for its target. Existing files are never overwritten.
//!
//! Where a runtime has no tenant layer or no projects the starter says so:
//! Kore's guardrail policies are per project (its baseline is the
//! project's policy and the agent's guardrails); Kairro's narrower policy
//! is a team's, and its baseline is its documented default policies.

mod starters;

use crate::ir::enums::Runtime;

/// The starter files of a runtime: (path, text).
pub fn files(runtime: Runtime) -> Vec<(&'static str, &'static str)> {
    let mut out = vec![(".pre-commit-config.yaml", starters::PRE_COMMIT)];
    out.extend_from_slice(match runtime {
        Runtime::Guardctl => starters::GUARDCTL,
        Runtime::Kore => starters::KORE,
        Runtime::Kaireon => starters::KAIREON,
        Runtime::Orq => starters::ORQ,
        Runtime::Kairro => starters::KAIRRO,
    });
    out
}
