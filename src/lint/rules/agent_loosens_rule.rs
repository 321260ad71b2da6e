//! GC306: an agent rule that shares a tenant/project rule's name overrides
//! its fields, but may only tighten them: it must not disable the rule or
//! make its action, threshold or sample rate more permissive.

use crate::diagnostic::Diagnostic;
use crate::ir::enums::{RuleStatus, Scope};
use crate::ir::layers::policy_rules_by_name;
use crate::ir::{Owner, Program, Rule};
use crate::lint::registry::Code;
use crate::source::Span;

fn loosenings(agent: &Rule, base: &Rule) -> Vec<(Span, String)> {
    let mut out = Vec::new();
    if let Some(s) = &agent.status {
        if s.value != RuleStatus::Active && base.effective_status() == RuleStatus::Active {
            out.push((s.span, format!("sets status `{}`, disabling it", s.value)));
        }
    }
    if let Some(a) = &agent.action {
        let was = base.effective_action();
        if a.value.rank() < was.rank() {
            out.push((
                a.span,
                format!("weakens its action from `{was}` to `{}`", a.value),
            ));
        }
    }
    if let Some(t) = &agent.threshold {
        if let Some(b) = base.threshold.as_ref() {
            if t.value > b.value {
                out.push((
                    t.span,
                    format!("raises its threshold from {} to {}", b.value, t.value),
                ));
            }
        }
    }
    if let Some(s) = &agent.sample_rate {
        if s.value < base.effective_sample_rate() {
            out.push((
                s.span,
                format!(
                    "lowers its sample rate from {} to {}",
                    base.effective_sample_rate(),
                    s.value
                ),
            ));
        }
    }
    if let Some(sev) = &agent.severity {
        if sev.value.rank() < base.effective_severity().rank() {
            out.push((
                sev.span,
                format!(
                    "lowers its severity from `{}` to `{}`",
                    base.effective_severity(),
                    sev.value
                ),
            ));
        }
    }
    if let (Some(p), Some(bp)) = (&agent.patterns, &base.patterns) {
        if let Some(missing) = bp.iter().find(|x| !p.iter().any(|y| y.value == x.value)) {
            let span = p.first().map_or(agent.name.span, |x| x.span);
            out.push((span, format!("drops its pattern `{}`", missing.value)));
        }
    }
    if let (Some(e), Some(be)) = (&agent.entities, &base.entities) {
        if let Some(missing) = be.iter().find(|x| !e.iter().any(|y| y.value == x.value)) {
            let span = e.first().map_or(agent.name.span, |x| x.span);
            out.push((span, format!("drops its entity `{}`", missing.value)));
        }
    }
    out
}

pub fn check(p: &Program, out: &mut Vec<Diagnostic>) {
    let by_name = policy_rules_by_name(p);
    for agent in p
        .rules
        .iter()
        .filter(|r| matches!(r.owner, Owner::Agent(_)))
    {
        let bases = by_name
            .get(agent.name.value.as_str())
            .into_iter()
            .flatten()
            .filter_map(|&j| p.rules.get(j));
        for base in bases {
            if !matches!(
                base.layer,
                Scope::Tenant | Scope::Org | Scope::Project | Scope::Team
            ) {
                continue;
            }
            for (span, what) in loosenings(agent, base) {
                out.push(
                    Diagnostic::new(
                        Code::AgentLoosensRule,
                        &agent.file,
                        span,
                        format!("agent `{}` {what} on {} rule `{}`", agent.owner.name(), base.layer, base.name.value),
                    )
                    .with_related(
                        &base.file,
                        base.name.span,
                        format!("{} rule defined here (policy `{}`)", base.layer, base.owner.name()),
                    )
                    .with_help(
                        "agents may tighten tenant and project rules, never loosen them; change the policy instead, or add an exception with an expiry",
                    ),
                );
            }
        }
    }
}
