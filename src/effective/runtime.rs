//! Each runtime's defaults (spec §3, §8): where a policy is deployed
//! decides what a rule without an `action` does, the default severity and
//! the default `fail_mode`. Everything that reads a default (the bundle,
//! every target, the engine, diff) gets it from here.
//!
//! | runtime | no `action` given | default severity | default fail_mode | default combine |
//! |---|---|---|---|---|
//! | `kairro` | high/critical/hard → block, medium/soft → warn, else allow | medium | closed | strongest_severity |
//! | `kaireon` | hard → block, else warn | hard | open | most_restrictive |
//! | `guardctl`, `kore`, `orq` | hard → block, else warn | medium | open | most_restrictive |

use crate::ir::enums::{Action, Combine, FailMode, Runtime, Severity};
use crate::ir::{Policy, Program, Rule, UnapprovedTool};

use super::rule::DEFAULT_PRIORITY;

/// Where a policy's rules are deployed: its own `runtime`, else the
/// repository's (`guardctl.toml`), else `guardctl`. Agent rules (no
/// policy) take the repository's.
pub fn of(program: &Program, policy: Option<&Policy>) -> Runtime {
    policy
        .and_then(|p| p.runtime.as_ref())
        .map(|r| r.value)
        .or(program.runtime)
        .unwrap_or(Runtime::Guardctl)
}

/// The runtime every policy (and every governance object outside a
/// policy) is deployed to (the repository's when there is no policy), or
/// `None` when they differ.
pub fn deployed(program: &Program) -> Option<Runtime> {
    // Governance objects in a file without a policy go where the
    // repository deploys (no runtime target carries them).
    let unowned = program.budgets.iter().any(|b| b.policy.is_none())
        || program.caps.iter().any(|c| c.policy.is_none())
        || program.chains.iter().any(|c| c.policy.is_none())
        || program.exceptions.iter().any(|e| e.policy.is_none());
    let repository = program.runtime.unwrap_or(Runtime::Guardctl);
    let mut all = program
        .policies
        .iter()
        .map(|p| of(program, Some(p)))
        .chain(unowned.then_some(repository));
    let first = all
        .next()
        .unwrap_or_else(|| program.runtime.unwrap_or(Runtime::Guardctl));
    all.all(|r| r == first).then_some(first)
}

/// A rule's severity: as written, else the runtime's default.
pub fn severity(runtime: Runtime, rule: &Rule) -> Severity {
    match &rule.severity {
        Some(s) => s.value,
        None if runtime == Runtime::Kaireon => Severity::Hard,
        None => Severity::Medium,
    }
}

/// A rule's action: as written, else what its severity means on its
/// runtime.
pub fn action(runtime: Runtime, rule: &Rule) -> Action {
    if let Some(a) = &rule.action {
        return a.value;
    }
    fallback(runtime, severity(runtime, rule))
}

/// The action a severity stands for on a runtime, where no action is
/// written (Kairro's severity fallback; KaireonAI's and Kore's hard/soft).
pub fn fallback(runtime: Runtime, severity: Severity) -> Action {
    match (runtime, severity) {
        (_, Severity::Hard) => Action::Block,
        (Runtime::Kairro, Severity::High | Severity::Critical) => Action::Block,
        (Runtime::Kairro, Severity::Medium | Severity::Soft) => Action::Warn,
        (Runtime::Kairro, Severity::Low | Severity::Safe) => Action::Allow,
        _ => Action::Warn,
    }
}

/// An unapproved tool's severity and action in force: as written, else
/// `high`, and the action that severity stands for on the runtime.
pub fn unapproved_tool(runtime: Runtime, tool: &UnapprovedTool) -> (Action, Severity) {
    let severity = tool.severity.as_ref().map_or(Severity::High, |s| s.value);
    let action = tool
        .action
        .as_ref()
        .map_or_else(|| fallback(runtime, severity), |a| a.value);
    (action, severity)
}

/// A policy's `fail_mode`: as written, else closed on Kairro (which
/// blocks what it cannot evaluate) and open elsewhere.
pub fn fail_mode(runtime: Runtime, policy: Option<&Policy>) -> FailMode {
    match policy.and_then(|p| p.fail_mode.as_ref()) {
        Some(f) => f.value,
        None if runtime == Runtime::Kairro => FailMode::Closed,
        None => FailMode::Open,
    }
}

/// A policy's `fail_mode` in force, on its own runtime.
pub fn policy_fail_mode(program: &Program, policy: &Policy) -> FailMode {
    fail_mode(of(program, Some(policy)), Some(policy))
}

/// How a policy's triggered rules combine: as written, else Kairro's
/// "strongest severity wins" on Kairro and the most restrictive action
/// elsewhere.
pub fn combine(runtime: Runtime, policy: Option<&Policy>) -> Combine {
    match policy.and_then(|p| p.combine.as_ref()) {
        Some(c) => c.value,
        None if runtime == Runtime::Kairro => Combine::StrongestSeverity,
        None => Combine::MostRestrictive,
    }
}

/// A policy's `priority`, else the default.
pub fn policy_priority(policy: &Policy) -> i64 {
    policy
        .priority
        .as_ref()
        .map_or(DEFAULT_PRIORITY, |p| p.value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kairro_falls_back_by_severity() {
        let k = Runtime::Kairro;
        assert_eq!(fallback(k, Severity::Critical), Action::Block);
        assert_eq!(fallback(k, Severity::High), Action::Block);
        assert_eq!(fallback(k, Severity::Medium), Action::Warn);
        assert_eq!(fallback(k, Severity::Low), Action::Allow);
        assert_eq!(fallback(k, Severity::Safe), Action::Allow);
    }

    #[test]
    fn elsewhere_only_hard_blocks() {
        for rt in [
            Runtime::Guardctl,
            Runtime::Kore,
            Runtime::Orq,
            Runtime::Kaireon,
        ] {
            assert_eq!(fallback(rt, Severity::Hard), Action::Block);
            assert_eq!(fallback(rt, Severity::Critical), Action::Warn);
            assert_eq!(fallback(rt, Severity::Soft), Action::Warn);
        }
    }
}
