//! Layering (spec §3): tenant, project and agent rules all apply; a rule
//! with the same name in a narrower layer overrides the wider one's fields
//! (fields it leaves out are inherited). This resolves every rule to its
//! effective definition.

use std::borrow::Cow;
use std::collections::HashMap;

use super::enums::Scope;
use super::model::{Owner, Program, Rule};

/// 0 = tenant/org, 1 = project/team, 2 = agent/identity.
pub fn layer_rank(scope: Scope) -> u8 {
    match scope {
        Scope::Tenant | Scope::Org => 0,
        Scope::Project | Scope::Team => 1,
        Scope::Agent | Scope::Identity => 2,
    }
}

/// A rule with inherited fields filled in (borrowed when it overrides
/// nothing, which is most rules).
#[derive(Debug, Clone)]
pub struct Resolved<'p> {
    pub rule: Cow<'p, Rule>,
    /// Index (into `Program::rules`) of the wider rule it overrides.
    pub overrides: Option<usize>,
}

macro_rules! overlay {
    ($narrow:expr, $wide:expr, [$($field:ident),+ $(,)?]) => {
        Rule {
            file: $narrow.file.clone(),
            name: $narrow.name.clone(),
            owner: $narrow.owner.clone(),
            layer: $narrow.layer,
            given: $narrow.given.union(&$wide.given).copied().collect(),
            $($field: $narrow.$field.clone().or_else(|| $wide.$field.clone()),)+
        }
    };
}

/// `narrow`'s fields, falling back to `wide`'s.
pub fn overlay(narrow: &Rule, wide: &Rule) -> Rule {
    overlay!(
        narrow,
        wide,
        [
            kind,
            check,
            matches,
            patterns,
            entities,
            provider,
            category,
            threshold,
            llm_check,
            display_name,
            description,
            min_severity,
            when,
            action,
            severity,
            severity_actions,
            message,
            priority,
            status,
            fix_strategy,
            fix_expression,
            max_reasks,
            filter_min_length,
            streaming,
            streaming_interval,
            sample_rate,
            timeout,
            tools,
            deny_tools,
            domains,
            max_tokens,
        ]
    )
}

/// Every rule, resolved, in `Program::rules` order.
pub fn resolve(program: &Program) -> Vec<Resolved<'_>> {
    let rank = |r: &Rule| layer_rank(r.layer);
    // Per name, the first policy rule of each layer: what a narrower rule
    // of that name overrides is the first of the narrowest wider layer,
    // found without looking at every rule of the name (thousands of
    // project policies may each define the same rule name).
    let mut by_name: HashMap<&str, [Option<usize>; 3]> = HashMap::new();
    for (j, w) in program.rules.iter().enumerate() {
        if matches!(w.owner, Owner::Policy(_)) {
            let slot = by_name.entry(w.name.value.as_str()).or_default();
            if let Some(first) = slot.get_mut(usize::from(rank(w))) {
                first.get_or_insert(j);
            }
        }
    }
    let mut out: Vec<Resolved> = program
        .rules
        .iter()
        .map(|r| Resolved {
            rule: Cow::Borrowed(r),
            overrides: None,
        })
        .collect();
    // Resolve widest first, so an agent rule inherits a project rule that
    // itself inherited from the tenant rule.
    let mut order: Vec<usize> = (0..program.rules.len()).collect();
    order.sort_by_key(|&i| program.rules.get(i).map_or(0, rank));
    for &i in &order {
        let Some(rule) = program.rules.get(i) else {
            continue;
        };
        let r = rank(rule);
        // The narrowest wider layer with this name wins (policy rules only).
        let base = by_name
            .get(rule.name.value.as_str())
            .and_then(|firsts| firsts.iter().take(usize::from(r)).rev().find_map(|j| *j));
        if let Some(j) = base {
            let wide = out.get(j).map(|w| w.rule.clone().into_owned());
            if let (Some(wide), Some(slot)) = (wide, out.get_mut(i)) {
                slot.rule = Cow::Owned(overlay(rule, &wide));
                slot.overrides = Some(j);
            }
        }
    }
    // A rule named for a built-in template that gives no check gets the
    // template's (after layering: an inherited check comes first).
    for slot in &mut out {
        if let Some(t) = super::templates::apply(&slot.rule) {
            slot.rule = Cow::Owned(t);
        }
    }
    out
}
