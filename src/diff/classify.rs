//! The classification table: given an object type, a field path and its old
//! and new effective values, is the change tighter, looser, neutral, a
//! reorder, or changed in a direction that cannot be decided? Each answer
//! comes with its reason in words. The README's "Diff classification"
//! section documents this table; keep them in step.

use serde_json::Value;

use super::implication::{Relation, relate};
use super::{Class, ObjectType};
use crate::cel::parse::parse;
use crate::ir::enums::{
    Action, CapAction, Combine, ExceptionStatus, FailMode, OnTimeout, PolicyStatus, RuleStatus,
    Severity, StreamInterval, Window,
};
use crate::ir::values::Timestamp;

pub type Verdict = (Class, String);

fn v(class: Class, reason: impl Into<String>) -> Verdict {
    (class, reason.into())
}

fn num(x: &Value) -> Option<f64> {
    x.as_f64()
}

fn text(x: &Value) -> Option<&str> {
    x.as_str()
}

/// Compares two ranks: a higher rank is `up`'s class.
fn by_rank(old: Option<u8>, new: Option<u8>, up: Class, what: &str) -> Verdict {
    let down = match up {
        Class::Tighter => Class::Looser,
        _ => Class::Tighter,
    };
    match (old, new) {
        (Some(o), Some(n)) if n > o => v(up, format!("{what} is more restrictive")),
        (Some(o), Some(n)) if n < o => v(down, format!("{what} is less restrictive")),
        (Some(_), Some(_)) => v(Class::Neutral, format!("{what} is as restrictive")),
        _ => v(Class::Changed, format!("{what} changed")),
    }
}

/// A numeric limit where lower is stricter (caps, budgets, thresholds).
/// `null` means "no limit".
fn limit(old: &Value, new: &Value, what: &str) -> Verdict {
    match (num(old), num(new)) {
        (Some(o), Some(n)) if n < o => v(Class::Tighter, format!("{what} lowered")),
        (Some(o), Some(n)) if n > o => v(Class::Looser, format!("{what} raised")),
        (Some(_), Some(_)) => v(Class::Neutral, format!("{what} unchanged")),
        (None, Some(_)) => v(Class::Tighter, format!("{what} introduced")),
        (Some(_), None) => v(Class::Looser, format!("{what} removed")),
        (None, None) => v(Class::Changed, format!("{what} changed")),
    }
}

/// A number where higher is stricter (sample rate, min approvals).
fn more_is_tighter(old: &Value, new: &Value, what: &str) -> Verdict {
    match (num(old), num(new)) {
        (Some(o), Some(n)) if n > o => v(Class::Tighter, format!("{what} raised")),
        (Some(o), Some(n)) if n < o => v(Class::Looser, format!("{what} lowered")),
        _ => v(Class::Changed, format!("{what} changed")),
    }
}

fn rank_of<T: Copy>(x: &Value, parse: fn(&str) -> Option<T>, rank: fn(T) -> u8) -> Option<u8> {
    text(x).and_then(parse).map(rank)
}

/// alert < require_approval < block.
fn cap_rank(a: CapAction) -> u8 {
    match a {
        CapAction::Alert => 0,
        CapAction::RequireApproval => 1,
        CapAction::Block => 2,
    }
}

fn action_rank(x: &Value) -> Option<u8> {
    rank_of(x, Action::from_name, Action::rank)
}

fn fail_mode(old: &Value, new: &Value) -> Verdict {
    let o = text(old).and_then(FailMode::from_name);
    let n = text(new).and_then(FailMode::from_name);
    match (o, n) {
        (Some(FailMode::Closed), Some(FailMode::Open)) => v(
            Class::Looser,
            "fail_mode closed → open: unevaluated checks now pass",
        ),
        (Some(FailMode::Open), Some(FailMode::Closed)) => v(
            Class::Tighter,
            "fail_mode open → closed: unevaluated checks now fail",
        ),
        _ => v(Class::Changed, "fail_mode changed"),
    }
}

/// A CEL condition (`when`): narrower applies to fewer events (looser).
/// For `check` (the content must satisfy it to pass) the directions flip.
fn condition(old: &Value, new: &Value, is_check: bool) -> Verdict {
    let o = text(old).map(parse);
    let n = text(new).map(parse);
    let (o, n) = match (o, n) {
        (Some(Err(_)), _) | (_, Some(Err(_))) => {
            return v(
                Class::Changed,
                "condition changed (one side does not parse)",
            );
        }
        (o, n) => (o.and_then(Result::ok), n.and_then(Result::ok)),
    };
    let what = if is_check { "check" } else { "when" };
    match (relate(o.as_ref(), n.as_ref()), is_check) {
        (Relation::Equivalent, _) => v(Class::Neutral, format!("{what} is equivalent")),
        (Relation::Narrowed, false) => v(
            Class::Looser,
            "when narrowed: the rule applies to fewer events",
        ),
        (Relation::Widened, false) => v(
            Class::Tighter,
            "when widened: the rule applies to more events",
        ),
        (Relation::Narrowed, true) => v(Class::Tighter, "check narrowed: less content passes"),
        (Relation::Widened, true) => v(Class::Looser, "check widened: more content passes"),
        (Relation::Unknown, _) => v(
            Class::Changed,
            format!("{what} changed; neither version implies the other"),
        ),
    }
}

/// A violation predicate (`match`, or `check` under `check_polarity:
/// violation`): wider fires on more events (tighter).
fn violation_condition(old: &Value, new: &Value) -> Verdict {
    let (class, reason) = condition(old, new, false);
    let reason = match class {
        Class::Looser => "match narrowed: the rule fires on fewer events".to_string(),
        Class::Tighter => "match widened: the rule fires on more events".to_string(),
        _ => reason.replacen("when", "match", 1),
    };
    (class, reason)
}

fn rule_status(old: &Value, new: &Value) -> Verdict {
    let active = |x: &Value| text(x).and_then(RuleStatus::from_name) == Some(RuleStatus::Active);
    match (active(old), active(new)) {
        (true, false) => v(Class::Looser, "rule no longer active"),
        (false, true) => v(Class::Tighter, "rule now active"),
        _ => v(Class::Neutral, "inactive either way"),
    }
}

fn timestamp(x: &Value) -> Option<Timestamp> {
    text(x).and_then(Timestamp::parse)
}

/// Scope maps: a key added narrows what the object covers.
fn scope_key(ty: ObjectType, old: &Value, new: &Value) -> Verdict {
    // Narrower coverage loosens budgets and caps (they limit fewer events)
    // and tightens exceptions (they exempt fewer).
    let narrower = if ty == ObjectType::Exception {
        Class::Tighter
    } else {
        Class::Looser
    };
    let wider = if narrower == Class::Tighter {
        Class::Looser
    } else {
        Class::Tighter
    };
    match (old.is_null(), new.is_null()) {
        (true, false) => v(narrower, "scope narrowed: covers fewer events"),
        (false, true) => v(wider, "scope widened: covers more events"),
        _ => v(Class::Changed, "scope changed"),
    }
}

/// A scalar field changed (`path` is normalised: `steps[].min_approvals`).
pub fn field(ty: ObjectType, path: &str, old: &Value, new: &Value) -> Verdict {
    use ObjectType as T;
    if path.starts_with("scope.") && matches!(ty, T::Budget | T::Cap | T::Exception) {
        return scope_key(ty, old, new);
    }
    match (ty, path) {
        (T::Rule, "action") => {
            by_rank(action_rank(old), action_rank(new), Class::Tighter, "action")
        }
        (T::Rule, p) if p.starts_with("severity_actions.") => by_rank(
            action_rank(old),
            action_rank(new),
            Class::Tighter,
            "band action",
        ),
        (T::Rule, "severity") => by_rank(
            rank_of(old, Severity::from_name, Severity::rank),
            rank_of(new, Severity::from_name, Severity::rank),
            Class::Tighter,
            "severity",
        ),
        (T::Rule, "threshold" | "providers[].threshold") => limit(old, new, "threshold"),
        (
            T::Rule,
            "providers[].name"
            | "providers[].id"
            | "providers[].category"
            | "providers[].evaluator_id",
        ) => v(Class::Changed, format!("{path} changed: scores may differ")),
        // Entity findings below `min_severity` do not trigger the rule.
        (T::Rule, "min_severity") => match (
            rank_of(old, Severity::from_name, Severity::rank),
            rank_of(new, Severity::from_name, Severity::rank),
        ) {
            (None, Some(_)) if old.is_null() => v(
                Class::Looser,
                "min_severity introduced: weaker findings no longer trigger",
            ),
            (Some(_), None) if new.is_null() => v(
                Class::Tighter,
                "min_severity removed: every finding triggers",
            ),
            (Some(o), Some(n)) if n > o => v(
                Class::Looser,
                "min_severity raised: weaker findings no longer trigger",
            ),
            (Some(o), Some(n)) if n < o => v(
                Class::Tighter,
                "min_severity lowered: weaker findings trigger",
            ),
            (Some(_), Some(_)) => v(Class::Neutral, "min_severity as strict"),
            _ => v(Class::Changed, "min_severity changed"),
        },
        (T::Rule, "when") => condition(old, new, false),
        (T::Rule, "check") => condition(old, new, true),
        (T::Rule, "match") => violation_condition(old, new),
        (T::Rule, "check_polarity") => v(
            Class::Changed,
            "check_polarity changed: what `check` means is inverted (content it passed now fires, and the reverse)",
        ),
        (T::Rule, "status") => rule_status(old, new),
        (T::Rule, "priority") => v(
            Class::Reorder,
            "priority changed: evaluation order, and which rule decides first",
        ),
        (T::Rule, "sample_rate") => more_is_tighter(old, new, "sample rate"),
        (T::Rule, "max_tokens") => limit(old, new, "token limit"),
        (T::Rule, "filter_min_length") => more_is_tighter(old, new, "filter minimum length"),
        (T::Rule | T::Policy, "fail_mode") => fail_mode(old, new),
        (
            T::Rule,
            "provider" | "provider_id" | "category" | "llm_check" | "kind" | "fix_strategy"
            | "fix_expression" | "tier",
        ) => v(Class::Changed, format!("{path} changed")),
        (T::Policy, "status") => {
            let active =
                |x: &Value| text(x).and_then(PolicyStatus::from_name) == Some(PolicyStatus::Active);
            match (active(old), active(new)) {
                (true, false) => v(Class::Looser, "policy no longer active: its rules stop"),
                (false, true) => v(Class::Tighter, "policy now active: its rules run"),
                _ => v(Class::Neutral, "inactive either way"),
            }
        }
        (T::Policy, "combine") => {
            let o = text(old).and_then(Combine::from_name);
            let n = text(new).and_then(Combine::from_name);
            match (o, n) {
                (Some(Combine::MostRestrictive), Some(Combine::FirstMatch)) => v(
                    Class::Looser,
                    "first match can decide on a milder action than the most restrictive",
                ),
                (Some(Combine::FirstMatch), Some(Combine::MostRestrictive)) => {
                    v(Class::Tighter, "the most restrictive action now decides")
                }
                _ => v(Class::Changed, "combine changed"),
            }
        }
        (T::Policy, "budget.monthly_limit_usd") => limit(old, new, "monthly model-check budget"),
        (T::Policy, "priority") => v(
            Class::Reorder,
            "policy priority changed: the order policies are evaluated in",
        ),
        (T::Policy, "approved_sites[].apply_policies") => match (old.as_bool(), new.as_bool()) {
            (Some(true), Some(false)) => v(
                Class::Looser,
                "apply_policies true → false: the site's events bypass the rules of this policy's layer and narrower ones",
            ),
            (Some(false), Some(true)) => v(
                Class::Tighter,
                "apply_policies false → true: the site's events are guarded again",
            ),
            _ => v(Class::Changed, "apply_policies changed"),
        },
        (T::Policy, "unapproved_tools[].action") => by_rank(
            action_rank(old),
            action_rank(new),
            Class::Tighter,
            "unapproved tool action",
        ),
        (T::Policy, "unapproved_tools[].severity") => v(
            Class::Changed,
            "unapproved tool severity changed: it is weighed against other rules' severities",
        ),
        (T::Policy, "approved_sites[].pattern" | "unapproved_tools[].pattern") => v(
            Class::Changed,
            format!("{path} changed: other sites are covered"),
        ),
        (T::Policy, "constitution[].principle" | "constitution[].weight") => v(
            Class::Changed,
            format!("{path} changed: the model's judgement may differ"),
        ),
        (
            T::Policy,
            "scope" | "project" | "agent" | "team" | "identity" | "budget.overspend_action",
        ) => v(
            Class::Changed,
            format!("{path} changed: who or what it covers"),
        ),
        (T::Provider, "default_threshold") => limit(old, new, "default threshold"),
        (
            T::Provider,
            "adapter" | "endpoint" | "model" | "hosting" | "auth_profile" | "default_category",
        ) => v(Class::Changed, format!("{path} changed: scores may differ")),
        (T::Budget, "daily_usd" | "weekly_usd" | "monthly_usd") => limit(old, new, path),
        (T::Cap, "limit_usd" | "limit_tokens" | "limit_requests") => limit(old, new, path),
        (T::Cap, "window") => by_rank(
            rank_of(old, Window::from_name, |w| w as u8),
            rank_of(new, Window::from_name, |w| w as u8),
            Class::Tighter,
            "a longer window (same limit)",
        ),
        (T::Cap, "action") => by_rank(
            rank_of(old, CapAction::from_name, cap_rank),
            rank_of(new, CapAction::from_name, cap_rank),
            Class::Tighter,
            "cap action",
        ),
        (T::Cap, "approval_chain") => v(Class::Changed, "approval chain changed"),
        (T::Chain, "steps[].min_approvals") => more_is_tighter(old, new, "approvals required"),
        (T::Chain, "on_timeout") => {
            let approve =
                |x: &Value| text(x).and_then(OnTimeout::from_name) == Some(OnTimeout::Approve);
            match (approve(old), approve(new)) {
                (false, true) => v(Class::Looser, "requests now approve themselves on timeout"),
                (true, false) => v(Class::Tighter, "requests no longer approve on timeout"),
                _ => v(Class::Changed, "on_timeout changed"),
            }
        }
        (T::Exception, "status") => {
            let approved = |x: &Value| {
                text(x).and_then(ExceptionStatus::from_name) == Some(ExceptionStatus::Approved)
            };
            match (approved(old), approved(new)) {
                (false, true) => v(Class::Looser, "exception now approved: it exempts events"),
                (true, false) => v(Class::Tighter, "exception no longer approved"),
                _ => v(Class::Neutral, "not in force either way"),
            }
        }
        (T::Exception, "expires") => match (timestamp(old), timestamp(new)) {
            (Some(o), Some(n)) if n > o => v(Class::Looser, "exception extended"),
            (Some(o), Some(n)) if n < o => v(Class::Tighter, "exception shortened"),
            (None, Some(_)) if old.is_null() => v(Class::Tighter, "exception now expires"),
            (Some(_), None) if new.is_null() => v(Class::Looser, "exception no longer expires"),
            _ => v(Class::Changed, "expiry changed"),
        },
        (T::Exception, "starts") => match (timestamp(old), timestamp(new)) {
            (Some(o), Some(n)) if n < o => v(Class::Looser, "exception starts earlier"),
            (Some(o), Some(n)) if n > o => v(Class::Tighter, "exception starts later"),
            (Some(_), None) if new.is_null() => v(Class::Looser, "exception starts at once"),
            (None, Some(_)) if old.is_null() => v(Class::Tighter, "exception has a start date"),
            _ => v(Class::Changed, "start changed"),
        },
        (T::Exception, p) if p.starts_with("target") => {
            v(Class::Changed, "exception now targets something else")
        }
        (T::Rule, "streaming") => match (old.as_bool(), new.as_bool()) {
            (Some(true), Some(false)) => v(
                Class::Looser,
                "streaming evaluation off: content is judged only when complete",
            ),
            (Some(false), Some(true)) => {
                v(Class::Tighter, "streaming evaluation on: judged mid-stream")
            }
            _ => v(Class::Changed, "streaming changed"),
        },
        (T::Rule, "streaming_interval") => by_rank(
            rank_of(old, StreamInterval::from_name, interval_rank),
            rank_of(new, StreamInterval::from_name, interval_rank),
            Class::Tighter,
            "the streaming interval",
        ),
        _ if neutral(ty, path) => v(Class::Neutral, format!("{path} does not change decisions")),
        // A field the table does not know is never assumed harmless.
        _ => v(
            Class::Changed,
            format!("{path} changed; its effect on decisions is not classified"),
        ),
    }
}

/// token (earliest) < sentence < chunk_size: an earlier interval judges
/// a stream sooner, and stops it sooner.
fn interval_rank(i: StreamInterval) -> u8 {
    match i {
        StreamInterval::Token => 2,
        StreamInterval::Sentence => 1,
        StreamInterval::ChunkSize => 0,
    }
}

/// Fields that name, describe or route without changing any decision.
fn neutral(ty: ObjectType, path: &str) -> bool {
    use ObjectType as T;
    let root = path.split(['.', '[']).next().unwrap_or(path);
    match ty {
        T::Rule => matches!(
            root,
            "id" | "name"
                | "rule"
                | "policy"
                | "agent"
                | "layer"
                | "overrides"
                | "message"
                | "description"
                | "display_name"
        ),
        T::Policy => matches!(
            root,
            "name" | "description" | "implicit" | "type" | "caching"
        ),
        // `id` and `policy` name the object; where it applies is in `scope`.
        T::Provider => matches!(
            root,
            "id" | "name" | "policy" | "cost_per_eval_usd" | "supported_categories"
        ),
        T::Budget | T::Cap | T::Chain => matches!(root, "id" | "name" | "policy"),
        T::Exception => matches!(root, "id" | "name" | "policy" | "reason" | "approved_by"),
        T::Agent => matches!(root, "name"),
    }
}

/// Fields whose lists are sets: each element added or removed is its own
/// change. `allow` is true for allow-lists, where an added element loosens.
pub fn set_field(ty: ObjectType, path: &str) -> Option<bool> {
    use ObjectType as T;
    match (ty, path) {
        (T::Rule, "patterns" | "entities" | "deny_tools" | "domains.deny") => Some(false),
        (T::Rule, "tools" | "domains.allow") => Some(true),
        (T::Provider, "supported_categories") => Some(false),
        (T::Budget, "alert_at") => Some(false),
        (T::Chain, "steps[].approvers") => Some(false),
        (T::Agent, "rules") => Some(false),
        _ => None,
    }
}

/// An element added to (or removed from) a set field.
pub fn element(ty: ObjectType, path: &str, added: bool, value: &Value) -> Verdict {
    use ObjectType as T;
    let shown = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let (what, tighter_when_added) = match (ty, path) {
        (T::Rule, "patterns") => ("pattern", Some(true)),
        (T::Rule, "entities") => ("entity", Some(true)),
        (T::Rule, "deny_tools") => ("denied tool", Some(true)),
        (T::Rule, "domains.deny") => ("denied domain", Some(true)),
        (T::Rule, "tools") => ("allowed tool", Some(false)),
        (T::Rule, "domains.allow") => ("allowed domain", Some(false)),
        (T::Budget, "alert_at") => ("alert threshold", Some(true)),
        (T::Chain, "steps[].approvers") => ("approver", None),
        (T::Agent, "rules") => ("agent rule", None),
        _ => ("value", None),
    };
    let verb = if added { "added" } else { "removed" };
    let reason = format!("{what} `{shown}` {verb}");
    match tighter_when_added {
        Some(t) if t == added => v(Class::Tighter, reason),
        Some(_) => v(Class::Looser, reason),
        None => v(Class::Neutral, reason),
    }
}

/// An allow-list appearing or disappearing as a whole.
pub fn allow_list(introduced: bool, path: &str) -> Verdict {
    if introduced {
        v(
            Class::Tighter,
            format!("{path} allow-list introduced: only listed values pass"),
        )
    } else {
        v(
            Class::Looser,
            format!("{path} allow-list removed: anything passes"),
        )
    }
}

/// A list element (an approval step) added or removed by position.
pub fn step(ty: ObjectType, path: &str, added: bool, value: &Value) -> Verdict {
    use ObjectType as T;
    let verb = if added { "added" } else { "removed" };
    let pattern = value.get("pattern").and_then(Value::as_str).unwrap_or("");
    let tighter_if = |tighter: bool| {
        if tighter {
            Class::Tighter
        } else {
            Class::Looser
        }
    };
    match (ty, path) {
        (T::Chain, _) => v(tighter_if(added), format!("approval step {verb}")),
        // A site approved without policies bypasses every rule; one
        // approved with them changes nothing.
        (T::Policy, "approved_sites") => {
            if value.get("apply_policies").and_then(Value::as_bool) == Some(false) {
                v(
                    tighter_if(!added),
                    format!(
                        "approved site `{pattern}` without policies {verb}: its events bypass the rules of this policy's layer and narrower ones"
                    ),
                )
            } else {
                v(
                    Class::Neutral,
                    format!("approved site `{pattern}` {verb}: its events are still guarded"),
                )
            }
        }
        // An unapproved tool gives its action at once and stops the other
        // rules: `block` is the strictest answer, anything milder may stop a
        // stricter rule.
        (T::Policy, "unapproved_tools") => {
            if value.get("action").and_then(Value::as_str) == Some(Action::Block.as_str()) {
                v(
                    tighter_if(added),
                    format!("unapproved tool `{pattern}` {verb}: its events are blocked"),
                )
            } else {
                v(
                    Class::Changed,
                    format!(
                        "unapproved tool `{pattern}` {verb}: its action replaces every other rule's on its sites"
                    ),
                )
            }
        }
        (T::Policy, "constitution") => v(
            Class::Changed,
            format!("constitution principle {verb}: the model's judgement may differ"),
        ),
        (_, _) => v(Class::Changed, format!("element {verb}")),
    }
}

/// A whole object added or removed.
pub fn object(ty: ObjectType, added: bool, body: &Value) -> Verdict {
    use ObjectType as T;
    let status = |k: &str| body.get(k).and_then(Value::as_str).unwrap_or("");
    let in_force = match ty {
        T::Rule => status("status") == "active",
        T::Policy => status("status") == "active",
        T::Exception => status("status") == "approved",
        T::Budget | T::Cap => true,
        T::Provider | T::Chain | T::Agent => false,
    };
    let name = ty.as_str();
    let verb = if added { "added" } else { "removed" };
    if !in_force {
        let why = match ty {
            T::Provider | T::Chain | T::Agent => "decisions change only through what uses it",
            _ => "not in force",
        };
        return v(Class::Neutral, format!("{name} {verb}; {why}"));
    }
    // Adding a rule, policy, budget or cap enforces more; adding an
    // approved exception exempts more.
    let tighter = (ty == T::Exception) != added;
    if tighter {
        v(Class::Tighter, format!("{name} {verb}"))
    } else {
        v(Class::Looser, format!("{name} {verb}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn actions_and_limits() {
        let t = |p, o, n| field(ObjectType::Rule, p, &o, &n).0;
        assert_eq!(t("action", json!("warn"), json!("block")), Class::Tighter);
        assert_eq!(t("action", json!("block"), json!("mask")), Class::Looser);
        assert_eq!(t("action", json!("mask"), json!("redact")), Class::Neutral);
        assert_eq!(t("threshold", json!(0.6), json!(0.4)), Class::Tighter);
        assert_eq!(t("when", json!("a"), json!("a && b")), Class::Looser);
        assert_eq!(t("check", json!("a"), json!("a && b")), Class::Tighter);
        assert_eq!(t("when", json!(null), json!("a")), Class::Looser);
        assert_eq!(t("priority", json!(1), json!(2)), Class::Reorder);
        assert_eq!(t("status", json!("active"), json!("paused")), Class::Looser);
        assert_eq!(
            t("fail_mode", json!("closed"), json!("open")),
            Class::Looser
        );
        let c = |p, o, n| field(ObjectType::Cap, p, &o, &n).0;
        assert_eq!(c("limit_usd", json!(5), json!(10)), Class::Looser);
        assert_eq!(c("window", json!("hour"), json!("day")), Class::Tighter);
        assert_eq!(c("scope.team", json!(null), json!("x")), Class::Looser);
        let e = |p, o, n| field(ObjectType::Exception, p, &o, &n).0;
        assert_eq!(
            e(
                "expires",
                json!("2026-01-01T00:00:00Z"),
                json!("2026-02-01T00:00:00Z")
            ),
            Class::Looser
        );
        assert_eq!(e("scope.team", json!(null), json!("x")), Class::Tighter);
    }

    #[test]
    fn objects_and_elements() {
        let rule = json!({"status": "active"});
        assert_eq!(object(ObjectType::Rule, true, &rule).0, Class::Tighter);
        assert_eq!(object(ObjectType::Rule, false, &rule).0, Class::Looser);
        let exc = json!({"status": "approved"});
        assert_eq!(object(ObjectType::Exception, true, &exc).0, Class::Looser);
        let add = |p, a| element(ObjectType::Rule, p, a, &json!("X")).0;
        assert_eq!(add("entities", false), Class::Looser);
        assert_eq!(add("tools", true), Class::Looser);
        assert_eq!(add("deny_tools", true), Class::Tighter);
    }
}
