//! Governance over a trace's timeline (spec §6): spend, tokens and
//! requests accumulate per scope; budget alert thresholds are crossed;
//! caps trip and their action applies to the rest of the window (unless an
//! approved, in-date exception covers the event); `require_approval`
//! resolves its chain's approvers (`budget_owner` from the budgets whose
//! scope matches); approval requests are counted per chain per day.
//! Events are processed in trace order; windows come from timestamps
//! (events without one share a single undated window).

use std::collections::BTreeMap;
use std::sync::Arc;

use super::event::Event;
use crate::ir::enums::{Action, CapAction, ExceptionStatus, OverspendAction, Window};
use crate::ir::values::{Dec, Timestamp, civil_from_days};
use crate::ir::{Exception, Home, Program, ScopeGlobs, TargetKind};

/// Whether an event falls in a scope (`org`, `team`, `project`,
/// `identity`, `agent`, `model`; values are globs). An empty scope is all.
pub fn scope_matches(scope: &ScopeGlobs, e: &Event) -> bool {
    scope.iter().all(|(k, glob)| {
        let field = match k.as_str() {
            "org" => e.identity.org.as_deref(),
            "team" => e.identity.team.as_deref(),
            "identity" => e.identity.id.as_deref(),
            "project" => e.project.as_deref(),
            "agent" => e.agent.as_deref(),
            "model" => e.model.as_deref(),
            _ => None,
        };
        field.is_some_and(|f| glob.matches(f))
    })
}

/// Whether an exception is in force for an event: approved, in its dates
/// (a date-only `expires` lasts through that day), scope matching.
pub fn exception_applies(x: &Exception, e: &Event) -> bool {
    if x.status.as_ref().map(|s| s.value) != Some(ExceptionStatus::Approved)
        || !x.home.covers(e)
        || !scope_matches(&x.scope_globs, e)
    {
        return false;
    }
    let Some(ts) = e.timestamp else {
        return x.starts.is_none() && x.expires.is_none();
    };
    crate::effective::exception_in_dates(x, ts)
}

/// The exception (if any) exempting `e` from the rule `name`.
pub fn exempting<'p>(program: &'p Program, name: &str, e: &Event) -> Option<&'p Exception> {
    program
        .rule_exceptions(name, e.project.as_deref())
        .into_iter()
        .filter_map(|xi| program.exceptions.get(xi))
        .find(|x| exception_applies(x, e))
}

/// The exception (if any) in force that exempts from cap `ci`: its target
/// resolves, from the exception's home, to that cap.
fn exempting_cap(
    program: &Program,
    ci: usize,
    in_force: impl Fn(usize) -> bool,
) -> Option<&Exception> {
    program
        .cap_exceptions(ci)
        .iter()
        .find(|&&xi| in_force(xi))
        .and_then(|&xi| program.exceptions.get(xi))
}

/// The Monday that starts the week of a day (1970-01-01 was a Thursday).
fn monday(days: i64) -> i64 {
    days - (days + 3).rem_euclid(7)
}

/// A window or period bucket as a number (hours, days or months since
/// the epoch; a week by its Monday), `None` for undated events: a cheap
/// key for the running totals, labelled by [`bucket`] only when reported.
fn bucket_key(ts: Option<Timestamp>, window: Window) -> Option<i64> {
    let t = ts?.0;
    let days = t.div_euclid(86_400);
    Some(match window {
        Window::Hour => t.div_euclid(3600),
        Window::Day => days,
        Window::Week => monday(days),
        Window::Month => {
            let (y, m, _) = civil_from_days(days);
            y * 12 + i64::from(m)
        }
    })
}

/// A window or period bucket: a label such as `2026-11-02`.
fn bucket(ts: Option<Timestamp>, window: Window) -> String {
    let Some(t) = ts else { return "undated".into() };
    let days = t.0.div_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    match window {
        Window::Hour => format!("{y:04}-{m:02}-{d:02}T{:02}", t.0.rem_euclid(86_400) / 3600),
        Window::Day => format!("{y:04}-{m:02}-{d:02}"),
        Window::Week => {
            let (y, m, d) = civil_from_days(monday(days));
            format!("week of {y:04}-{m:02}-{d:02}")
        }
        Window::Month => format!("{y:04}-{m:02}"),
    }
}

/// The window or period of an event's time that a cap or budget counts
/// in. Its label (`2026-11-02T14`, `2026-11`) is made only when shown:
/// most are never shown, and a label costs a formatted string.
#[derive(Debug, Clone, Copy)]
pub struct Period {
    ts: Option<Timestamp>,
    window: Window,
}

impl Period {
    pub fn new(ts: Option<Timestamp>, window: Window) -> Self {
        Period { ts, window }
    }
}

/// Two periods are the same bucket of the same kind of window.
impl PartialEq for Period {
    fn eq(&self, o: &Self) -> bool {
        self.window == o.window && bucket_key(self.ts, self.window) == bucket_key(o.ts, o.window)
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&bucket(self.ts, self.window))
    }
}

impl serde::Serialize for Period {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Something governance did, attached to the event that caused it.
#[derive(Debug, Clone, PartialEq)]
pub enum GovEvent {
    BudgetAlert {
        budget: String,
        period: Period,
        threshold: Dec,
        spend: Dec,
        limit: Dec,
    },
    CapTripped {
        cap: Arc<str>,
        window: Period,
        usage: Dec,
        limit: Dec,
        action: CapAction,
        chain: Option<String>,
        approvers: Vec<String>,
    },
    /// A later event in a tripped window, subject to the cap's action.
    CapApplied {
        cap: Arc<str>,
        window: Period,
        action: CapAction,
    },
    Exempted {
        exception: String,
        target: String,
    },
    /// A policy's evaluation budget spent in this month by this event.
    EvalBudgetSpent {
        policy: String,
        period: Period,
        spend: Dec,
        limit: Dec,
        action: OverspendAction,
    },
}

impl GovEvent {
    /// The action this puts on the event, if any.
    pub fn action(&self) -> Option<Action> {
        match self {
            GovEvent::CapTripped { action, .. } | GovEvent::CapApplied { action, .. } => {
                Some(match action {
                    CapAction::Block => Action::Block,
                    CapAction::RequireApproval => Action::RequireApproval,
                    CapAction::Alert => Action::Alert,
                })
            }
            _ => None,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            GovEvent::BudgetAlert {
                budget,
                period,
                threshold,
                spend,
                limit,
            } => {
                format!(
                    "budget `{budget}` reached {}% of ${limit} in {period} (spend ${spend})",
                    threshold.saturating_mul(Dec::from_int(100)).round(0)
                )
            }
            GovEvent::CapTripped {
                cap,
                window,
                usage,
                limit,
                action,
                chain,
                approvers,
            } => {
                let mut s =
                    format!("cap `{cap}` tripped in {window}: {usage} > {limit}, action {action}");
                if let Some(c) = chain {
                    s.push_str(&format!(
                        ", approval chain `{c}` ({})",
                        approvers.join(", ")
                    ));
                }
                s
            }
            GovEvent::CapApplied {
                cap,
                window,
                action,
            } => format!("cap `{cap}` already tripped in {window}: {action}"),
            GovEvent::EvalBudgetSpent {
                policy,
                period,
                spend,
                limit,
                action,
            } => format!(
                "evaluation budget of policy `{policy}` spent in {period} (${spend} of ${limit}): {}",
                match action {
                    OverspendAction::AlertOnly => "model checks keep running (alert_only)",
                    OverspendAction::DisableModelChecks =>
                        "model checks off for the rest of the month (disable_model_checks)",
                    OverspendAction::Downgrade =>
                        "model checks fall back to local detectors for the rest of the month (downgrade)",
                }
            ),
            GovEvent::Exempted { exception, target } => {
                format!("exempted from {target} by exception `{exception}`")
            }
        }
    }
}

/// A set of indices: inline bits up to 64, else the sorted members (an
/// event is in few of many objects, and is stepped through those only).
#[derive(Debug, Clone)]
enum Bits {
    Small(u64),
    Sparse(Vec<u32>),
}

impl Bits {
    /// The members among `candidates` (each below `n`).
    fn of(
        n: usize,
        candidates: impl Iterator<Item = usize>,
        member: impl Fn(usize) -> bool,
    ) -> Bits {
        if n <= 64 {
            return Bits::Small(
                candidates
                    .filter(|&i| i < 64 && member(i))
                    .fold(0, |m, i| m | 1 << i),
            );
        }
        let mut v: Vec<u32> = candidates
            .filter(|&i| member(i))
            .filter_map(|i| u32::try_from(i).ok())
            .collect();
        v.sort_unstable();
        v.dedup();
        Bits::Sparse(v)
    }

    fn has(&self, i: usize) -> bool {
        match self {
            Bits::Small(w) => i < 64 && w >> i & 1 == 1,
            Bits::Sparse(v) => u32::try_from(i).is_ok_and(|i| v.binary_search(&i).is_ok()),
        }
    }

    /// The members, ascending.
    fn iter(&self) -> Box<dyn Iterator<Item = usize> + '_> {
        match self {
            Bits::Small(w) => {
                let w = *w;
                Box::new((0..64).filter(move |i| w >> i & 1 == 1))
            }
            Bits::Sparse(v) => Box::new(v.iter().map(|&i| i as usize)),
        }
    }
}

/// What governance reads of an event, worked out where the event is
/// evaluated (any thread): the budgets, caps and exceptions that cover
/// it, and its time, cost and tokens. Governance runs in trace order on
/// one thread, and reads these few words instead of the event's strings.
#[derive(Debug, Clone)]
pub struct Facts {
    pub timestamp: Option<Timestamp>,
    cost_usd: Dec,
    tokens: i64,
    /// Budgets and caps whose scope matches.
    budgets: Bits,
    caps: Bits,
    /// Exceptions to caps in force for the event (approved, in date, in
    /// scope); only caps consult them here, rules at evaluation.
    exceptions: Bits,
}

impl Facts {
    pub fn of(program: &Program, e: &Event) -> Facts {
        let (budgets, caps, exceptions) = (&program.budgets, &program.caps, &program.exceptions);
        Facts {
            timestamp: e.timestamp,
            cost_usd: e.cost_usd,
            tokens: e.tokens.total,
            budgets: Bits::of(
                budgets.len(),
                program.budget_projects.candidates(e.project.as_deref()),
                |i| {
                    budgets
                        .get(i)
                        .is_some_and(|b| b.home.covers(e) && scope_matches(&b.scope_globs, e))
                },
            ),
            caps: Bits::of(
                caps.len(),
                program.cap_projects.candidates(e.project.as_deref()),
                |i| {
                    caps.get(i)
                        .is_some_and(|c| c.home.covers(e) && scope_matches(&c.scope_globs, e))
                },
            ),
            exceptions: Bits::of(
                exceptions.len(),
                program.exception_projects.candidates(e.project.as_deref()),
                |i| {
                    exceptions.get(i).is_some_and(|x| {
                        x.target
                            .as_ref()
                            .is_some_and(|t| t.value.0 == TargetKind::Cap)
                            && exception_applies(x, e)
                    })
                },
            ),
        }
    }
}

/// A budget's limits that are set: (period label, window, limit).
fn limits(b: &crate::ir::Budget) -> impl Iterator<Item = (&'static str, Window, Dec)> + '_ {
    [
        ("daily", Window::Day, &b.daily_usd),
        ("weekly", Window::Week, &b.weekly_usd),
        ("monthly", Window::Month, &b.monthly_usd),
    ]
    .into_iter()
    .filter_map(|(label, window, limit)| limit.as_ref().map(|l| (label, window, l.value)))
}

/// Accumulated governance state over a trace.
#[derive(Default)]
pub struct Governance {
    /// (budget, period label, period) → spend.
    spend: BTreeMap<(usize, &'static str, Option<i64>), Dec>,
    /// (cap, window) → usage, and whether it has tripped.
    usage: BTreeMap<(usize, Option<i64>), (Dec, bool)>,
    /// (cap, day) → approval requests, with a time in that day to label
    /// it by; merged by chain in [`Governance::approvals`].
    requests: BTreeMap<(usize, Option<i64>), (usize, Option<Timestamp>)>,
    /// Each cap's name, shared by the events it puts out.
    cap_names: Vec<Option<Arc<str>>>,
}

impl Governance {
    /// Approval requests per chain per day.
    pub fn approvals(&self, program: &Program) -> BTreeMap<(String, String), usize> {
        let mut out = BTreeMap::new();
        for (&(ci, _), &(n, ts)) in &self.requests {
            let chain = program.caps.get(ci).and_then(|c| c.approval_chain.as_ref());
            if let Some(chain) = chain {
                *out.entry((chain.value.clone(), bucket(ts, Window::Day)))
                    .or_default() += n;
            }
        }
        out
    }

    fn cap_name(&mut self, ci: usize, name: &str) -> Arc<str> {
        if self.cap_names.len() <= ci {
            self.cap_names.resize(ci + 1, None);
        }
        match self.cap_names.get_mut(ci) {
            Some(slot) => slot.get_or_insert_with(|| name.into()).clone(),
            None => name.into(),
        }
    }

    /// Where the event stands after its step: each budget and cap that
    /// covers it with its usage in the event's period or window, and each
    /// exception to a cap in force for it (for `explain`).
    pub fn standing(&self, program: &Program, e: &Facts) -> Vec<String> {
        let mut out = Vec::new();
        for (bi, b) in e
            .budgets
            .iter()
            .filter_map(|i| Some((i, program.budgets.get(i)?)))
        {
            for (label, window, limit) in limits(b) {
                let key = (bi, label, bucket_key(e.timestamp, window));
                let spend = self.spend.get(&key).copied().unwrap_or(Dec::ZERO);
                out.push(format!(
                    "budget `{}`: ${spend} of ${limit} {label} in {}",
                    crate::effective::object_id(b),
                    Period::new(e.timestamp, window)
                ));
            }
        }
        for (ci, c) in e
            .caps
            .iter()
            .filter_map(|i| Some((i, program.caps.get(i)?)))
        {
            let window = c.window.as_ref().map_or(Window::Day, |w| w.value);
            let key = (ci, bucket_key(e.timestamp, window));
            let (usage, tripped) = self.usage.get(&key).copied().unwrap_or((Dec::ZERO, false));
            let (unit, limit) = match (&c.limit_usd, &c.limit_tokens, &c.limit_requests) {
                (Some(l), _, _) => ("USD", l.value),
                (None, Some(l), _) => ("tokens", Dec::from_int(l.value)),
                (None, None, Some(l)) => ("requests", Dec::from_int(l.value)),
                _ => continue,
            };
            let state = if tripped { ", tripped" } else { "" };
            out.push(format!(
                "cap `{}`: {usage} of {limit} {unit} in {}{state}",
                crate::effective::object_id(c),
                Period::new(e.timestamp, window)
            ));
        }
        for (_, x) in e
            .exceptions
            .iter()
            .filter_map(|i| Some((i, program.exceptions.get(i)?)))
        {
            {
                out.push(format!(
                    "exception `{}` in force for this event",
                    crate::effective::object_id(x)
                ));
            }
        }
        out
    }

    /// Processes the next event; returns what happened to it.
    pub fn step(&mut self, program: &Program, e: &Event) -> Vec<GovEvent> {
        self.step_facts(program, &Facts::of(program, e))
    }

    /// [`Governance::step`] from the event's facts.
    pub fn step_facts(&mut self, program: &Program, e: &Facts) -> Vec<GovEvent> {
        let mut out = Vec::new();
        for (bi, b) in e
            .budgets
            .iter()
            .filter_map(|i| Some((i, program.budgets.get(i)?)))
        {
            if e.cost_usd <= Dec::ZERO {
                continue;
            }
            for (label, window, limit) in limits(b) {
                let key = (bi, label, bucket_key(e.timestamp, window));
                let spend = self.spend.entry(key).or_insert(Dec::ZERO);
                let before = *spend;
                let after = before.saturating_add(e.cost_usd);
                *spend = after;
                let mut cross = |t: Dec| {
                    let at = t.saturating_mul(limit);
                    if before < at && after >= at {
                        out.push(GovEvent::BudgetAlert {
                            budget: b.name.value.clone(),
                            period: Period::new(e.timestamp, window),
                            threshold: t,
                            spend: after,
                            limit,
                        });
                    }
                };
                match &b.alert_at {
                    Some(at) => at.iter().for_each(|t| cross(t.value)),
                    None => cross(Dec::ONE),
                }
            }
        }
        for (ci, c) in e
            .caps
            .iter()
            .filter_map(|i| Some((i, program.caps.get(i)?)))
        {
            let window_kind = c.window.as_ref().map_or(Window::Day, |w| w.value);
            let (amount, limit) = if let Some(l) = &c.limit_usd {
                (e.cost_usd, l.value)
            } else if let Some(l) = &c.limit_tokens {
                (Dec::from_int(e.tokens), Dec::from_int(l.value))
            } else if let Some(l) = &c.limit_requests {
                (Dec::ONE, Dec::from_int(l.value))
            } else {
                continue;
            };
            let key = (ci, bucket_key(e.timestamp, window_kind));
            let (usage, tripped) = self.usage.entry(key).or_insert((Dec::ZERO, false));
            *usage = usage.saturating_add(amount);
            let usage = *usage;
            if usage <= limit {
                continue;
            }
            if let Some(x) = exempting_cap(program, ci, |xi| e.exceptions.has(xi)) {
                out.push(GovEvent::Exempted {
                    exception: x.name.value.clone(),
                    target: format!("cap/{}", c.name.value),
                });
                continue;
            }
            let first = !std::mem::replace(tripped, true);
            let action = c.action.as_ref().map_or(CapAction::Block, |a| a.value);
            if action == CapAction::RequireApproval && c.approval_chain.is_some() {
                let day = (ci, bucket_key(e.timestamp, Window::Day));
                self.requests.entry(day).or_insert((0, e.timestamp)).0 += 1;
            }
            let cap = self.cap_name(ci, &c.name.value);
            let window = Period::new(e.timestamp, window_kind);
            if first {
                let chain = c.approval_chain.as_ref().map(|x| x.value.clone());
                let approvers = chain
                    .as_deref()
                    .map(|ch| approvers_of(program, ch, &c.home, |bi| e.budgets.has(bi)))
                    .unwrap_or_default();
                out.push(GovEvent::CapTripped {
                    cap,
                    window,
                    usage,
                    limit,
                    action,
                    chain,
                    approvers,
                });
            } else {
                out.push(GovEvent::CapApplied {
                    cap,
                    window,
                    action,
                });
            }
        }
        out
    }
}

/// A chain's approvers for an event, `budget_owner` resolved to the owners
/// of the budgets whose scope matches the event (narrowest scope first).
/// `chain` is resolved from `from`, the home of the cap that names it.
pub fn approvers(program: &Program, chain: &str, from: &Home, e: &Event) -> Vec<String> {
    approvers_of(program, chain, from, |bi| {
        program
            .budgets
            .get(bi)
            .is_some_and(|b| b.home.covers(e) && scope_matches(&b.scope_globs, e))
    })
}

/// [`approvers`], given which budgets (by index) cover the event.
fn approvers_of(
    program: &Program,
    chain: &str,
    from: &Home,
    covers: impl Fn(usize) -> bool,
) -> Vec<String> {
    let Some(c) = program.chain(chain, from) else {
        return Vec::new();
    };
    let mut owners: Vec<(usize, String)> = program
        .budgets
        .iter()
        .enumerate()
        .filter(|(bi, _)| covers(*bi))
        .map(|(_, b)| b)
        .filter_map(|b| {
            b.owner.as_ref().map(|o| {
                let narrow = b.scope.len() + usize::from(b.home.scope_key().is_some());
                (usize::MAX - narrow, o.value.clone())
            })
        })
        .collect();
    owners.sort();
    let mut out = Vec::new();
    for step in &c.steps {
        for a in &step.approvers {
            if a.value == "budget_owner" {
                out.extend(owners.iter().map(|(_, o)| o.clone()));
            } else {
                out.push(a.value.clone());
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|x| seen.insert(x.clone()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A set of any size holds exactly its members, inline or not.
    #[test]
    fn bits_hold_their_members() {
        for n in [0, 1, 63, 64, 65, 130] {
            let member = |i: usize| i % 3 == 0 || i == 64;
            let bits = Bits::of(n, 0..n, member);
            assert_eq!(matches!(bits, Bits::Small(_)), n <= 64, "{n}");
            for i in 0..n + 70 {
                assert_eq!(bits.has(i), i < n && member(i), "{n}: {i}");
            }
            let listed: Vec<usize> = bits.iter().collect();
            let want: Vec<usize> = (0..n).filter(|&i| member(i)).collect();
            assert_eq!(listed, want, "{n}");
        }
    }
}
