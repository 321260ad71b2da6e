//! A policy's evaluation budget (`budget: {monthly_limit_usd,
//! overspend_action}`): what its rules' model-tier checks cost, each
//! provider answer charged at the provider's `cost_per_eval_usd`, summed
//! exactly per calendar month (UTC) in trace order. Once a month's spend
//! reaches the limit the budget is spent for the rest of that month, and
//! the policy's model-tier and LLM-tier checks fall back as its
//! `overspend_action` says ([`Fallback`]); `alert_only` only reports it.

use std::collections::BTreeMap;

use super::governance::{GovEvent, Period};
use super::outcome::Outcome;
use super::rules::RuleSet;
use crate::ir::Program;
use crate::ir::enums::{OverspendAction, Window};
use crate::ir::values::{Dec, Timestamp};

/// How a spent budget changes a policy's checks that call a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    /// `disable_model_checks`: they are not run; the rule's local checks
    /// still are, and a rule with none left is skipped.
    Off,
    /// `downgrade`: the local detector of the rule's category stands in
    /// for the provider (see [`local_detector`]); where there is none the
    /// check is unevaluated and `fail_mode` decides.
    Local,
}

/// The built-in detector a downgraded model-tier check of this category
/// falls back to, if guardctl has one.
pub fn local_detector(category: &str) -> Option<LocalDetector> {
    match category.to_ascii_lowercase().replace('-', "_").as_str() {
        "pii" | "personal_data" | "privacy" => Some(LocalDetector::Pii),
        "prompt_injection" | "injection" | "jailbreak" | "prompt_attack" => {
            Some(LocalDetector::PromptInjection)
        }
        "profanity" | "obscenity" => Some(LocalDetector::Profanity),
        _ => None,
    }
}

/// A local detector a downgraded check uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalDetector {
    Pii,
    PromptInjection,
    Profanity,
}

impl LocalDetector {
    pub fn name(self) -> &'static str {
        match self {
            LocalDetector::Pii => "PII entities",
            LocalDetector::PromptInjection => "prompt-injection heuristics",
            LocalDetector::Profanity => "profanity list",
        }
    }
}

/// The evaluation budgets of a program's policies, as the engine applies
/// them.
pub struct EvalBudgets {
    /// Per policy index: name, limit and overspend action.
    limits: Vec<Option<(String, Dec, OverspendAction)>>,
}

/// Spend so far: per policy, the month it is in and what it has spent.
#[derive(Debug, Default, Clone)]
pub struct BudgetState {
    months: BTreeMap<usize, (Period, Dec)>,
}

impl EvalBudgets {
    /// The budgets that can be charged at all (a policy with a limit and a
    /// rule whose provider has a cost); `None` when there is none, so the
    /// engine does no budget work.
    pub fn of(program: &Program, set: &RuleSet) -> Option<EvalBudgets> {
        // One pass over the rules, not one per policy.
        let mut charged = vec![false; program.policies.len()];
        for r in set.rules.iter().filter(|r| r.eval_cost.is_some()) {
            if let Some(slot) = r.policy.and_then(|p| charged.get_mut(p)) {
                *slot = true;
            }
        }
        let limits: Vec<_> = program
            .policies
            .iter()
            .zip(&charged)
            .map(|(p, &charged)| {
                let (limit, action) = crate::effective::eval_budget(p)?;
                charged.then(|| (p.name.value.clone(), limit, action))
            })
            .collect();
        limits
            .iter()
            .any(Option::is_some)
            .then_some(EvalBudgets { limits })
    }

    /// The policies whose budget is spent in the month of `ts` and whose
    /// checks fall back, with how.
    pub fn fallbacks(&self, st: &BudgetState, ts: Option<Timestamp>) -> Vec<(usize, Fallback)> {
        let month = Period::new(ts, Window::Month);
        st.months
            .iter()
            .filter_map(|(&p, (m, spend))| {
                let (_, limit, action) = self.limits.get(p)?.as_ref()?;
                let how = match action {
                    OverspendAction::AlertOnly => return None,
                    OverspendAction::DisableModelChecks => Fallback::Off,
                    OverspendAction::Downgrade => Fallback::Local,
                };
                (*m == month && spend >= limit).then_some((p, how))
            })
            .collect()
    }

    /// Charges the provider answers among `outcomes` (a recorded score is
    /// an answer) to their policies' budgets; a budget that this event
    /// spends is reported once.
    pub fn charge(
        &self,
        st: &mut BudgetState,
        set: &RuleSet,
        ts: Option<Timestamp>,
        outcomes: &[Outcome],
    ) -> Vec<GovEvent> {
        let month = Period::new(ts, Window::Month);
        let mut out = Vec::new();
        for o in outcomes.iter().filter(|o| o.score.is_some()) {
            let Some(rule) = set.rules.get(o.rule) else {
                continue;
            };
            let (Some(p), Some(cost)) = (rule.policy, rule.eval_cost) else {
                continue;
            };
            let Some(Some((name, limit, action))) = self.limits.get(p) else {
                continue;
            };
            let slot = st.months.entry(p).or_insert((month, Dec::ZERO));
            if slot.0 != month {
                *slot = (month, Dec::ZERO);
            }
            let before = slot.1;
            slot.1 = before.saturating_add(cost);
            if before < *limit && slot.1 >= *limit {
                out.push(GovEvent::EvalBudgetSpent {
                    policy: name.clone(),
                    period: month,
                    spend: slot.1,
                    limit: *limit,
                    action: *action,
                });
            }
        }
        out
    }
}

/// The evaluation budgets of one program as a trace is replayed in order:
/// which fallbacks an event is evaluated under, and what its answers cost.
pub struct Replay<'a> {
    set: &'a RuleSet,
    budgets: Option<EvalBudgets>,
    state: BudgetState,
    /// Providers' circuit breakers, replayed from recorded failures.
    circuits: Option<super::circuits::Circuits>,
}

impl<'a> Replay<'a> {
    pub fn new(program: &Program, set: &'a RuleSet) -> Replay<'a> {
        Replay {
            set,
            budgets: EvalBudgets::of(program, set),
            state: BudgetState::default(),
            circuits: super::circuits::Circuits::of(program),
        }
    }

    /// Whether any budget can be charged or any circuit trip (else events
    /// need no replay).
    pub fn active(&self) -> bool {
        self.budgets.is_some() || self.circuits.is_some()
    }

    /// The options an event at `ts` is evaluated with: the fallbacks of
    /// the budgets spent by the events before it.
    pub fn options(&self, ts: Option<Timestamp>) -> super::evaluate::Options {
        super::evaluate::Options {
            fallback: self
                .budgets
                .as_ref()
                .map(|b| b.fallbacks(&self.state, ts))
                .unwrap_or_default(),
            open_circuits: self
                .circuits
                .as_ref()
                .map(|c| c.open(ts))
                .unwrap_or_default(),
            ..Default::default()
        }
    }

    /// Records an evaluated event's provider failures and answers in the
    /// circuit breakers.
    pub fn record(&mut self, e: &super::event::Event, outcomes: &[Outcome]) {
        if let Some(c) = &mut self.circuits {
            c.record(self.set, e, outcomes);
        }
    }

    /// Charges an evaluated event's provider answers.
    pub fn charge(&mut self, ts: Option<Timestamp>, outcomes: &[Outcome]) -> Vec<GovEvent> {
        match &self.budgets {
            Some(b) => b.charge(&mut self.state, self.set, ts, outcomes),
            None => Vec::new(),
        }
    }
}
