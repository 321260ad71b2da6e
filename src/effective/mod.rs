//! The effective model: what every object of a [`Program`] means once
//! defaults, provider fallbacks and layer inheritance are applied. It is
//! computed here and nowhere else; the bundle (`compile`), the engine
//! (`simulate`, `test`, `explain`) and `diff` (which compares bundles) all
//! read it, so a default can never mean one thing in the bundle and
//! another in a decision.
//!
//! ```text
//! typed IR (what the files say) ──effective──▶ ERule, exception windows
//!                                               ├─▶ compile (bundle JSON) ─▶ diff
//!                                               └─▶ engine::rules (regexes, CEL, globs)
//! ```

mod rule;
pub mod runtime;

pub use rule::{
    DEFAULT_CHUNK_SIZE, DEFAULT_PRIORITY, DEFAULT_THRESHOLD, EProvider, ERule, check_polarity,
    default_timeout, policy_timeout, rule_ids, rules,
};

use std::collections::BTreeMap;

use crate::ir::enums::OverspendAction;
use crate::ir::values::{Dec, Timestamp};
use crate::ir::{Exception, Home, Homed, Policy, ScopeMap};

/// `budget.overspend_action` where a policy's budget does not say: the
/// checks keep running and the spend is reported, the one fallback that
/// never weakens a check.
pub const DEFAULT_OVERSPEND: OverspendAction = OverspendAction::AlertOnly;

/// A policy's evaluation budget in force: its monthly limit and what
/// happens once the month's spend reaches it (`None` without a limit:
/// nothing is counted).
pub fn eval_budget(p: &Policy) -> Option<(Dec, OverspendAction)> {
    let b = p.budget.as_ref()?;
    let limit = b.monthly_limit_usd.as_ref()?.value;
    Some((limit, overspend_action(p)))
}

/// The overspend action of a policy's budget, defaulted.
pub fn overspend_action(p: &Policy) -> OverspendAction {
    p.budget
        .as_ref()
        .and_then(|b| b.overspend_action.as_ref())
        .map_or(DEFAULT_OVERSPEND, |a| a.value)
}

/// A governance object's id (bundle, diff): its name, prefixed with its
/// policy's name when it lives in a project's or agent's namespace, where
/// names are unique per home and not across the tenant (spec §3).
pub fn object_id<T: Homed>(x: &T) -> String {
    match (x.home(), x.policy()) {
        (Home::Tenant, _) | (_, None) => x.name().to_string(),
        (_, Some(p)) => format!("{p}/{}", x.name()),
    }
}

/// The events an object covers, as one scope: what it writes, and its
/// home's key (`project: payments`) where it does not write that key (a
/// written key that contradicts the home is GC307, it would never apply).
pub fn object_scope(scope: &ScopeMap, home: &Home) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = scope
        .iter()
        .map(|(k, v)| (k.value.clone(), v.value.clone()))
        .collect();
    if let Some((k, v)) = home.scope_key() {
        out.entry(k.to_string()).or_insert_with(|| v.to_string());
    }
    out
}

/// The last second (inclusive) an exception is in force: a date-only
/// `expires: 2026-11-30` lasts through that whole day (to
/// `2026-11-30T23:59:59Z`), a full timestamp to that second.
pub fn exception_end(x: &Exception) -> Option<Timestamp> {
    let exp = x.expires.as_ref()?;
    let date_only = x.file.slice(exp.span).trim_matches(['"', '\'']).len() == 10;
    Some(if date_only {
        Timestamp(exp.value.0.saturating_add(86_399))
    } else {
        exp.value
    })
}

/// Whether an exception's dates cover the instant `ts`.
pub fn exception_in_dates(x: &Exception, ts: Timestamp) -> bool {
    x.starts.as_ref().is_none_or(|s| ts.0 >= s.value.0)
        && exception_end(x).is_none_or(|end| ts.0 <= end.0)
}
