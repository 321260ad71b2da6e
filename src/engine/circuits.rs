//! Providers' circuit breakers (`circuit_breaker: {max_failures,
//! reset_timeout}`), replayed in trace order from recorded failures
//! (`errors.<provider>`, spec §7). An evaluation that fails after the
//! provider's retries counts; `max_failures` consecutive ones open the
//! circuit for `reset_timeout` from the event that tripped it, and while it
//! is open the provider is not asked (its rules are unevaluated and
//! `fail_mode` decides). After the reset the next evaluation is tried: an
//! answer closes the circuit, a failure opens it again. Without timestamps
//! a tripped circuit stays open for the rest of the trace.

use std::collections::BTreeMap;

use super::event::Event;
use super::outcome::{Outcome, Status};
use super::rules::RuleSet;
use crate::ir::Program;
use crate::ir::values::Timestamp;

#[derive(Debug, Clone, Copy)]
struct Breaker {
    max_failures: u64,
    reset_ms: u64,
}

#[derive(Debug, Clone, Copy, Default)]
struct State {
    consecutive: u64,
    /// Open until this instant (ms since the epoch); `i64::MAX` without a
    /// timestamp.
    open_until: Option<i64>,
}

/// The breakers of a program's providers and their state in a replay.
#[derive(Debug, Default)]
pub struct Circuits {
    breakers: BTreeMap<String, Breaker>,
    state: BTreeMap<String, State>,
}

fn millis(ts: Option<Timestamp>) -> Option<i64> {
    ts.map(|t| t.0.saturating_mul(1000))
}

impl Circuits {
    /// The providers (by object id) with a circuit breaker; `None` when no
    /// provider has one, so the engine does no circuit work.
    pub fn of(program: &Program) -> Option<Circuits> {
        let breakers: BTreeMap<String, Breaker> = program
            .providers
            .iter()
            .filter_map(|p| {
                let cb = p.circuit_breaker.as_ref()?;
                let max = cb.max_failures.as_ref().map_or(5, |m| m.value.max(1));
                let reset = cb.reset_timeout_ms.as_ref().map_or(30_000, |d| d.value.0);
                Some((
                    crate::effective::object_id(p),
                    Breaker {
                        max_failures: u64::try_from(max).unwrap_or(1),
                        reset_ms: reset,
                    },
                ))
            })
            .collect();
        (!breakers.is_empty()).then(|| Circuits {
            breakers,
            state: BTreeMap::new(),
        })
    }

    /// The providers whose circuit is open at `ts`.
    pub fn open(&self, ts: Option<Timestamp>) -> Vec<String> {
        let now = millis(ts);
        self.state
            .iter()
            .filter(|(_, s)| match (s.open_until, now) {
                (Some(until), Some(now)) => now < until,
                (Some(_), None) => true,
                (None, _) => false,
            })
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// Records an evaluated event: each provider with a breaker that one of
    /// its evaluated rules asked either failed (counted) or answered
    /// (the count starts again); a circuit that was open stays as it is.
    pub fn record(&mut self, set: &RuleSet, e: &Event, outcomes: &[Outcome]) {
        let now = millis(e.timestamp);
        let open = self.open(e.timestamp);
        let mut asked: BTreeMap<String, bool> = BTreeMap::new();
        for o in outcomes.iter().filter(|o| o.status != Status::Skipped) {
            let Some(rule) = set.rules.get(o.rule) else {
                continue;
            };
            let names = rule
                .provider
                .iter()
                .map(String::as_str)
                .chain(rule.more_providers.iter().map(|(p, _, _)| p.as_str()));
            for (name, (id, retries)) in names.zip(&rule.asked) {
                let Some(id) = id else { continue };
                if !self.breakers.contains_key(id) || open.contains(id) {
                    continue;
                }
                let failed = e.error(name).is_some_and(|err| err.failed(*retries));
                let slot = asked.entry(id.clone()).or_insert(false);
                *slot |= failed;
            }
        }
        for (id, failed) in asked {
            let Some(b) = self.breakers.get(&id).copied() else {
                continue;
            };
            let s = self.state.entry(id).or_default();
            if failed {
                s.consecutive = s.consecutive.saturating_add(1);
                if s.consecutive >= b.max_failures {
                    s.open_until = Some(now.map_or(i64::MAX, |n| {
                        n.saturating_add(i64::try_from(b.reset_ms).unwrap_or(i64::MAX))
                    }));
                    // Half-open after the reset: the next failure trips it again.
                    s.consecutive = b.max_failures.saturating_sub(1);
                }
            } else {
                *s = State::default();
            }
        }
    }
}
