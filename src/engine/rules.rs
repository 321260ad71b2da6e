//! The evaluation form of the effective model ([`crate::effective`]): CEL
//! parsed, globs and patterns compiled. All patterns of all rules are compiled into
//! one multi-pattern automaton, so a text is scanned once whatever the
//! number of pattern rules.

use std::collections::BTreeMap;

use super::pattern_groups::PatternGroups;
use regex::Regex;

use crate::cel::Expr;
use crate::ir::Home;
use crate::ir::enums::*;
use crate::ir::values::Dec;
use crate::ir::{Owner, Program};

pub use crate::glob::{Glob, glob_match};

/// A rule ready to evaluate.
#[derive(Debug, Clone)]
pub struct CRule {
    /// Runtime id, as in the bundle (`policy/rule` or `policy/rule.input`).
    pub id: String,
    pub name: String,
    /// `display_name`, where the rule gives one.
    pub display_name: Option<String>,
    /// Index of the source rule in `Program::rules`.
    pub source: usize,
    /// `Program::rules` index of the wider rule this one overrides.
    pub overrides: Option<usize>,
    pub owner: Owner,
    pub layer: Scope,
    /// The widest layer this rule stands for: its own, or that of the
    /// wider rules it overrides (0 tenant/org, 1 project/team, 2
    /// agent/identity). A site list of a narrower layer does not lift it.
    pub floor: u8,
    pub kind: Kind,
    pub tier: Tier,
    pub action: Action,
    pub severity: Severity,
    pub priority: i64,
    pub status: RuleStatus,
    pub message: String,
    pub check: Option<Expr>,
    /// What `check` means (spec §2 Polarity).
    pub polarity: Polarity,
    /// `match`: triggers when it holds.
    pub matcher: Option<Expr>,
    pub when: Option<Expr>,
    /// Patterns: (index in the shared automaton, own regex, text).
    pub patterns: Vec<(usize, Regex, String)>,
    /// Patterns whose regex cannot be built (lint reports them): the rule
    /// is unevaluated rather than passing without them.
    pub unbuildable: Vec<String>,
    pub entities: Vec<Entity>,
    /// Entity findings less severe do not trigger (`min_severity`).
    pub min_severity: Option<Severity>,
    pub provider: Option<String>,
    /// Every provider after the first, with its category and threshold:
    /// the rule triggers when any provider's score reaches its threshold.
    pub more_providers: Vec<(String, String, f64)>,
    /// Per provider (the first, then `more_providers`): its object id
    /// (the key of its circuit breaker) and its retries.
    pub asked: Vec<(Option<String>, u64)>,
    /// What one provider evaluation costs the policy's evaluation budget.
    pub eval_cost: Option<Dec>,
    pub category: Option<String>,
    pub threshold: f64,
    pub llm_check: bool,
    pub severity_actions: Vec<(Severity, Action)>,
    pub sample_rate: f64,
    /// The rule's timeout (a provider slower than it gives no answer).
    pub timeout: crate::ir::values::Duration,
    pub tools: Option<Vec<Glob>>,
    pub deny_tools: Option<Vec<Glob>>,
    pub allow_domains: Vec<Glob>,
    pub deny_domains: Vec<Glob>,
    pub has_domains: bool,
    pub max_tokens: Option<i64>,
    pub streaming: bool,
    pub interval: StreamInterval,
    pub chunk_size: usize,
    pub fail_mode: FailMode,
    pub fix_strategy: Option<FixStrategy>,
    pub fix_expression: Option<Expr>,
    pub filter_min_length: Option<i64>,
    /// The policy's `early_termination` (streaming) or `combine: first_match`.
    pub early_termination: bool,
    pub first_match: bool,
    /// The policy's `combine: strongest_severity`.
    pub strongest_severity: bool,
    /// The policy's `priority`: policies of lower priority run first.
    pub policy_priority: i64,
    /// Index in `Program::policies` of the owning (or overridden) policy.
    pub policy: Option<usize>,
    /// The events its owner covers.
    pub applies: Home,
    /// `file:line:column` of the rule's name.
    pub location: String,
    /// A policy's Shadow-AI site entry, checked on the event's `site`
    /// before every content rule (see [`SiteCheck`]).
    pub site: Option<SiteCheck>,
}

/// Kairro's extension config, as rules on the event's `site`.
#[derive(Debug, Clone)]
pub enum SiteCheck {
    /// `unapproved_tools`: a matching site gets the rule's action at once,
    /// and no other rule runs (short-circuit).
    Unapproved(Glob, String),
    /// `approved_sites` with `apply_policies: false`: a matching site
    /// bypasses every rule.
    Bypass(Glob, String),
}

impl Home {
    /// Whether the event is in this home.
    pub fn covers(&self, e: &super::event::Event) -> bool {
        match self {
            Home::Tenant => true,
            Home::Off(_) => false,
            Home::Agent(a) => e.agent.as_deref() == Some(a.as_str()),
            Home::Project(p) => e.project.as_deref() == Some(p.as_str()),
            Home::Team(t) => e.identity.team.as_deref() == Some(t.as_str()),
            Home::Identity(i) => e.identity.id.as_deref() == Some(i.as_str()),
        }
    }
}

/// The rules that override a wider one, by the agent they apply to (an
/// event looks only at its own agent's) and the rest.
#[derive(Debug, Default)]
pub struct Overriders {
    pub by_agent: std::collections::HashMap<String, Vec<usize>>,
    pub other: Vec<usize>,
}

impl Overriders {
    /// The overriding rules that may apply to `e`.
    pub fn for_event<'a>(&'a self, e: &super::event::Event) -> impl Iterator<Item = usize> + 'a {
        let agent = e
            .agent
            .as_deref()
            .and_then(|a| self.by_agent.get(a))
            .map_or(&[][..], Vec::as_slice);
        agent.iter().chain(&self.other).copied()
    }
}

/// Rule indices by the events they apply to: tenant rules apply to all,
/// a project's or agent's rules to its events only, so an event looks at
/// its own rules and not at every project's.
#[derive(Debug, Default)]
pub struct ByHome {
    tenant: Vec<usize>,
    projects: std::collections::HashMap<String, Vec<usize>>,
    teams: std::collections::HashMap<String, Vec<usize>>,
    agents: std::collections::HashMap<String, Vec<usize>>,
    identities: std::collections::HashMap<String, Vec<usize>>,
}

impl ByHome {
    /// The rules that may apply to `e`, in evaluation order: the tenant's,
    /// its project's, team's, agent's and identity's lists merged (each is
    /// sorted), with no allocation per event.
    pub fn applicable(&self, e: &super::event::Event) -> Applicable<'_> {
        Applicable([
            &self.tenant,
            of(&self.projects, e.project.as_deref()),
            of(&self.teams, e.identity.team.as_deref()),
            of(&self.agents, e.agent.as_deref()),
            of(&self.identities, e.identity.id.as_deref()),
        ])
    }
}

/// The list under `key` (empty for none).
fn of<'a>(
    map: &'a std::collections::HashMap<String, Vec<usize>>,
    key: Option<&str>,
) -> &'a [usize] {
    key.and_then(|k| map.get(k)).map_or(&[][..], Vec::as_slice)
}

/// Sorted index lists merged in order (see [`ByHome::applicable`]).
pub struct Applicable<'a>([&'a [usize]; 5]);

impl Iterator for Applicable<'_> {
    type Item = usize;
    fn next(&mut self) -> Option<usize> {
        let (k, _) = self
            .0
            .iter()
            .enumerate()
            .filter_map(|(k, l)| l.first().map(|&x| (k, x)))
            .min_by_key(|&(_, x)| x)?;
        let list = self.0.get_mut(k)?;
        let (&head, rest) = list.split_first()?;
        *list = rest;
        Some(head)
    }
}

/// All rules of a program in evaluation form.
pub struct RuleSet {
    pub rules: Vec<CRule>,
    /// Indices in `rules` of the rules that override a wider one.
    pub overriders: Overriders,
    /// Indices in `rules` by the events they apply to.
    pub by_home: ByHome,
    /// Every rule pattern in shared automata (`None` when there are none).
    pub patterns: Option<PatternGroups>,
}

/// Per source rule, the widest layer it stands for: the smallest layer
/// rank along the chain of rules it overrides (an agent rule overriding a
/// project rule that overrides a tenant rule stands for the tenant's).
fn floors(program: &Program, rules: &[crate::effective::ERule]) -> BTreeMap<usize, u8> {
    use crate::ir::layers::layer_rank;
    let wider: BTreeMap<usize, usize> = rules
        .iter()
        .filter_map(|r| Some((r.source, r.overrides?)))
        .collect();
    rules
        .iter()
        .map(|r| {
            let mut floor = layer_rank(r.layer);
            let mut at = r.overrides;
            // Layers are three deep: a longer chain is no chain.
            for _ in 0..3 {
                let Some(w) = at else { break };
                if let Some(rule) = program.rules.get(w) {
                    floor = floor.min(layer_rank(rule.layer));
                }
                at = wider.get(&w).copied();
            }
            (r.source, floor)
        })
        .collect()
}

fn parse_cel(text: &str) -> Option<Expr> {
    crate::cel::parse(text).ok()
}

impl RuleSet {
    /// Builds the rule set from the effective model. The program must
    /// have linted without errors (CEL and regexes that do not compile are
    /// left out of their rules).
    pub fn build(program: &Program) -> RuleSet {
        let globs = |v: &[String]| v.iter().map(|g| Glob::new(g)).collect::<Vec<_>>();
        let mut rules = Vec::new();
        let mut all_patterns: Vec<String> = Vec::new();
        let effective = crate::effective::rules(program);
        let floors = floors(program, &effective);
        for r in effective {
            let floor = floors.get(&r.source).copied().unwrap_or(0);
            let mut patterns = Vec::new();
            let mut unbuildable = Vec::new();
            for p in &r.patterns {
                match crate::pattern::build(p) {
                    Ok(re) => {
                        patterns.push((all_patterns.len(), re, p.clone()));
                        all_patterns.push(p.clone());
                    }
                    Err(msg) => unbuildable.push(format!("`{p}`: {msg}")),
                }
            }
            rules.push(CRule {
                location: {
                    let (l, c) = r.file.line_col(r.span.start);
                    format!("{}:{l}:{c}", r.file.name)
                },
                check: r.check.as_deref().and_then(parse_cel),
                polarity: r.polarity,
                matcher: r.matcher.as_deref().and_then(parse_cel),
                when: r.when.as_deref().and_then(parse_cel),
                patterns,
                unbuildable,
                threshold: r.threshold.unwrap_or(crate::effective::DEFAULT_THRESHOLD),
                llm_check: r.llm_check.is_some(),
                tools: r.tools.as_deref().map(globs),
                deny_tools: r.deny_tools.as_deref().map(globs),
                allow_domains: globs(&r.allow_domains),
                deny_domains: globs(&r.deny_domains),
                interval: r.streaming_interval,
                id: r.id,
                display_name: r.display_name,
                name: r.rule,
                source: r.source,
                overrides: r.overrides,
                owner: r.owner,
                layer: r.layer,
                floor,
                kind: r.kind,
                tier: r.tier,
                action: r.action,
                severity: r.severity,
                priority: r.priority,
                status: r.status,
                message: r.message,
                entities: r.entities,
                min_severity: r.min_severity,
                more_providers: r
                    .providers
                    .iter()
                    .skip(1)
                    .map(|p| {
                        (
                            p.name.clone(),
                            p.category.clone().unwrap_or_default(),
                            p.threshold,
                        )
                    })
                    .collect(),
                asked: r
                    .providers
                    .iter()
                    .map(|p| (p.id.clone(), p.retries))
                    .collect(),
                provider: r.provider,
                eval_cost: r.eval_cost,
                category: r.category,
                severity_actions: r.severity_actions,
                sample_rate: r.sample_rate,
                timeout: r.timeout,
                has_domains: r.has_domains,
                max_tokens: r.max_tokens,
                streaming: r.streaming,
                chunk_size: r.chunk_size,
                fail_mode: r.fail_mode,
                fix_strategy: r.fix_strategy,
                fix_expression: r.fix_expression.as_deref().and_then(parse_cel),
                filter_min_length: r.filter_min_length,
                early_termination: r.early_termination,
                first_match: r.first_match,
                strongest_severity: r.strongest_severity,
                policy_priority: r.policy_priority,
                policy: r.policy,
                applies: r.applies,
                site: None,
            });
        }
        rules.extend(super::sites::site_rules(program));
        // Evaluation order: the policy's priority, the rule's, then id
        // (deterministic). Site checks come first: they decide before any
        // content is read, the widest layer's first (the first that
        // matches lifts its own layer and narrower ones, site checks
        // included, so which one decides does not depend on priorities
        // across layers), within a layer unapproved tools before approved
        // sites, then by policy priority and list position.
        rules.sort_by(|a, b| {
            let key = |r: &CRule| {
                let (site, kind) = match &r.site {
                    Some(SiteCheck::Unapproved(..)) => (0, 0),
                    Some(SiteCheck::Bypass(..)) => (0, 1),
                    None => (1, 0),
                };
                let layer = if site == 0 { r.floor } else { 0 };
                (site, layer, kind, r.policy_priority, r.priority)
            };
            (key(a), &a.id).cmp(&(key(b), &b.id))
        });
        let patterns = if all_patterns.is_empty() {
            None
        } else {
            Some(PatternGroups::build(&all_patterns))
        };
        let mut overriders = Overriders::default();
        for (i, r) in rules.iter().enumerate() {
            if r.overrides.is_none() {
                continue;
            }
            match &r.applies {
                Home::Agent(a) => overriders.by_agent.entry(a.clone()).or_default().push(i),
                _ => overriders.other.push(i),
            }
        }
        let mut by_home = ByHome::default();
        for (i, r) in rules.iter().enumerate() {
            match &r.applies {
                Home::Tenant => by_home.tenant.push(i),
                Home::Project(p) => by_home.projects.entry(p.clone()).or_default().push(i),
                Home::Agent(a) => by_home.agents.entry(a.clone()).or_default().push(i),
                Home::Team(t) => by_home.teams.entry(t.clone()).or_default().push(i),
                Home::Identity(x) => by_home.identities.entry(x.clone()).or_default().push(i),
                Home::Off(_) => {}
            }
        }
        RuleSet {
            rules,
            overriders,
            by_home,
            patterns,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The merged lists come out in one ascending order, each index once.
    #[test]
    fn applicable_rules_merge_in_order() {
        let merged: Vec<usize> = Applicable([
            &[0, 3, 4, 9][..],
            &[1, 5][..],
            &[][..],
            &[2, 6, 7, 8][..],
            &[10][..],
        ])
        .collect();
        assert_eq!(merged, (0..11).collect::<Vec<_>>());
        assert_eq!(Applicable([&[][..]; 5]).count(), 0);
    }
}
