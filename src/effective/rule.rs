//! Effective rules: every rule resolved through its layers, `kind: both`
//! split into its input and output halves, every default and provider
//! fallback applied once.

use std::sync::Arc;

use crate::ir::cond::Cond;
use crate::ir::enums::*;
use crate::ir::layers::resolve;
use crate::ir::values::{Dec, Duration};
use crate::ir::{Home, Owner, Policy, Program, Rule, When};
use crate::source::{SourceFile, Span};

/// Threshold of a model-tier rule when neither the rule nor its provider
/// gives one.
pub const DEFAULT_THRESHOLD: f64 = 0.5;
/// Streaming chunk size when the policy gives none.
pub const DEFAULT_CHUNK_SIZE: usize = 256;
/// Priority of a rule or policy that gives none (Kore's default).
pub const DEFAULT_PRIORITY: i64 = 100;
/// Re-asks when the rule gives no `max_reasks`.
pub const DEFAULT_MAX_REASKS: i64 = 2;

/// Default timeout of a tier when no policy gives one.
pub fn default_timeout(tier: Tier) -> Duration {
    Duration(match tier {
        Tier::Local => 100,
        Tier::Model => 3_000,
        Tier::Llm => 10_000,
    })
}

/// A policy's timeout for a tier: its own, else the tier's default (also
/// for rules that belong to no policy).
pub fn policy_timeout(policy: Option<&Policy>, tier: Tier) -> Duration {
    policy
        .and_then(|p| p.given_timeout(tier))
        .unwrap_or_else(|| default_timeout(tier))
}

/// One runtime rule with every value in force.
#[derive(Debug, Clone)]
pub struct ERule {
    /// Runtime id, as in the bundle (`policy/rule` or `policy/rule.input`).
    pub id: String,
    /// `rule` or `rule.input` / `rule.output`.
    pub name: String,
    /// The rule's key as written.
    pub rule: String,
    /// Index of the source rule in `Program::rules`.
    pub source: usize,
    /// `Program::rules` index of the wider rule this one overrides.
    pub overrides: Option<usize>,
    pub owner: Owner,
    pub layer: Scope,
    pub kind: Kind,
    pub tier: Tier,
    pub action: Action,
    pub severity: Severity,
    pub severity_actions: Vec<(Severity, Action)>,
    pub priority: i64,
    pub status: RuleStatus,
    pub message: String,
    pub patterns: Vec<String>,
    pub entities: Vec<Entity>,
    pub check: Option<String>,
    /// What `check` means: written by a policy, its `check_polarity`, else
    /// the repository's, else `pass`.
    pub polarity: Polarity,
    /// The CEL of `match` (a condition tree's preview): a violation
    /// predicate.
    pub matcher: Option<String>,
    pub match_tree: Option<Cond>,
    /// The CEL of `when` (a condition tree's preview).
    pub when: Option<String>,
    pub when_tree: Option<Cond>,
    /// The first provider named (the one a single-provider rule names).
    pub provider: Option<String>,
    /// The provider's object id, resolved narrowest first.
    pub provider_id: Option<String>,
    /// Every provider the rule names, in order (Orq evaluators): the rule
    /// triggers when any of them does.
    pub providers: Vec<EProvider>,
    /// `display_name` as given (see [`ERule::shown_name`]).
    pub display_name: Option<String>,
    pub description: Option<String>,
    /// Entity findings below it do not trigger the rule.
    pub min_severity: Option<Severity>,
    /// Where the rule is deployed: its policy's `runtime`, else the
    /// repository's, else `guardctl`.
    pub runtime: Runtime,
    /// The policy's `combine: strongest_severity`.
    pub strongest_severity: bool,
    /// The policy's `priority` (lower first), else 100.
    pub policy_priority: i64,
    /// What one evaluation by the provider costs (`cost_per_eval_usd`),
    /// charged to the policy's evaluation budget.
    pub eval_cost: Option<Dec>,
    pub category: Option<String>,
    /// Rule, then provider default, then [`DEFAULT_THRESHOLD`] for a
    /// model-tier rule; `None` where no provider scores the rule.
    pub threshold: Option<f64>,
    pub llm_check: Option<String>,
    pub fix_strategy: Option<FixStrategy>,
    pub fix_expression: Option<String>,
    pub max_reasks: i64,
    pub filter_min_length: Option<i64>,
    pub streaming: bool,
    /// The rule's interval, else its policy's, else `sentence`.
    pub streaming_interval: StreamInterval,
    pub chunk_size: usize,
    pub sample_rate: f64,
    pub timeout: Duration,
    pub tools: Option<Vec<String>>,
    pub deny_tools: Option<Vec<String>>,
    pub allow_domains: Vec<String>,
    pub deny_domains: Vec<String>,
    pub has_domains: bool,
    pub max_tokens: Option<i64>,
    pub fail_mode: FailMode,
    /// The policy's `streaming.early_termination`.
    pub early_termination: bool,
    /// The policy's `combine: first_match`.
    pub first_match: bool,
    /// Index in `Program::policies` of the owning (or overridden) policy.
    pub policy: Option<usize>,
    /// The events it applies to: its owner's home.
    pub applies: Home,
    pub file: Arc<SourceFile>,
    /// The rule's name key.
    pub span: Span,
}

/// One provider of a rule, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct EProvider {
    pub name: String,
    /// Its object id, resolved narrowest first (`None`: unknown, a lint error).
    pub id: Option<String>,
    /// The rule's category, else this provider's `default_category`.
    pub category: Option<String>,
    /// The rule's threshold, else this provider's `default_threshold`,
    /// else [`DEFAULT_THRESHOLD`].
    pub threshold: f64,
    /// The provider's `evaluator_id` (Orq).
    pub evaluator_id: Option<String>,
    /// The provider's `retry.max_retries` (0 without one): how many failed
    /// attempts an evaluation survives.
    pub retries: u64,
}

impl ERule {
    /// The name a UI shows: `display_name`, else the rule's key (the
    /// bundle writes this; `diff` reads it as naming, not deciding).
    pub fn shown_name(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.rule)
    }
}

/// A rule's runtime ids: `owner/name`, or two for `kind: both`.
pub fn rule_ids(rule: &Rule) -> Vec<(String, String, Kind)> {
    let owner = rule.owner.name();
    match rule.kind.as_ref().map(|k| k.value) {
        Some(Kind::Both) => vec![
            (
                format!("{owner}/{}.input", rule.name.value),
                format!("{}.input", rule.name.value),
                Kind::Input,
            ),
            (
                format!("{owner}/{}.output", rule.name.value),
                format!("{}.output", rule.name.value),
                Kind::Output,
            ),
        ],
        k => vec![(
            format!("{owner}/{}", rule.name.value),
            rule.name.value.clone(),
            k.unwrap_or(Kind::Input),
        )],
    }
}

fn strings(v: &Option<Vec<crate::source::Spanned<String>>>) -> Option<Vec<String>> {
    v.as_ref()
        .map(|t| t.iter().map(|g| g.value.clone()).collect())
}

/// What `rule`'s own `check` means: its policy's `check_polarity`, else
/// the repository's (`guardctl.toml`), else `pass` (spec §2 Polarity).
pub fn check_polarity(program: &Program, rule: &Rule) -> Polarity {
    let declared = match &rule.owner {
        Owner::Policy(p) => program
            .policy_position(p)
            .and_then(|i| program.policies.get(i))
            .and_then(|p| p.check_polarity.as_ref())
            .map(|c| c.value),
        Owner::Agent(_) => None,
    };
    declared
        .or(program.check_polarity)
        .unwrap_or(Polarity::Pass)
}

/// Every rule of the program in effect, in `Program::rules` order (the
/// two halves of a `kind: both` rule one after the other).
pub fn rules(program: &Program) -> Vec<ERule> {
    let policy_index = |rule: &Rule| match &rule.owner {
        Owner::Policy(p) => program.policy_position(p),
        Owner::Agent(_) => None,
    };
    let mut out = Vec::new();
    for (i, res) in resolve(program).iter().enumerate() {
        let r = &*res.rule;
        // An agent rule that overrides a policy rule runs under that
        // policy's settings (fail_mode, timeouts, streaming).
        let policy = policy_index(r).or_else(|| {
            res.overrides
                .and_then(|j| program.rules.get(j))
                .and_then(policy_index)
        });
        let pol: Option<&Policy> = policy.and_then(|p| program.policies.get(p));
        let provider = r.first_provider().map(|p| p.value.clone());
        // Resolved narrowest first from the home of the rule that writes
        // the provider: this one, or (inherited) the rule it overrides.
        let wider = res.overrides.and_then(|j| program.rules.get(j));
        let writer = match program.rules.get(i) {
            Some(own) if own.provider.is_some() => own,
            _ => wider.unwrap_or(r),
        };
        let writer_home = program.rule_home(writer);
        let prov = provider
            .as_ref()
            .and_then(|p| program.provider(p, &writer_home));
        let providers: Vec<EProvider> = r
            .provider
            .iter()
            .flatten()
            .map(|name| {
                let found = program.provider(&name.value, &writer_home);
                EProvider {
                    name: name.value.clone(),
                    id: found.map(super::object_id),
                    category: r.category.as_ref().map(|c| c.value.clone()).or_else(|| {
                        found
                            .and_then(|p| p.default_category.as_ref())
                            .map(|c| c.value.clone())
                    }),
                    threshold: r.threshold.as_ref().map_or_else(
                        || {
                            found
                                .and_then(|p| p.default_threshold.as_ref())
                                .map_or(DEFAULT_THRESHOLD, |t| t.value)
                        },
                        |t| t.value,
                    ),
                    evaluator_id: found
                        .and_then(|p| p.evaluator_id.as_ref())
                        .map(|e| e.value.clone()),
                    retries: found
                        .and_then(|p| p.retry.as_ref())
                        .and_then(|r| r.max_retries.as_ref())
                        .map_or(0, |m| u64::try_from(m.value).unwrap_or(0)),
                }
            })
            .collect();
        let runtime = super::runtime::of(program, pol);
        let check_writer = match program.rules.get(i) {
            Some(own) if own.check.is_some() => own,
            _ => wider.unwrap_or(r),
        };
        let polarity = check_polarity(program, check_writer);
        let tier = r.tier();
        let streaming = pol.and_then(|p| p.streaming.as_ref());
        let threshold = r.threshold.as_ref().map(|t| t.value).or_else(|| {
            (tier == Tier::Model).then(|| {
                prov.and_then(|p| p.default_threshold.as_ref())
                    .map_or(DEFAULT_THRESHOLD, |t| t.value)
            })
        });
        let base = ERule {
            id: String::new(),
            name: String::new(),
            rule: r.name.value.clone(),
            source: i,
            overrides: res.overrides,
            owner: r.owner.clone(),
            layer: r.layer,
            kind: Kind::Input,
            tier,
            action: super::runtime::action(runtime, r),
            severity: super::runtime::severity(runtime, r),
            severity_actions: r
                .severity_actions
                .iter()
                .flatten()
                .map(|(s, a)| (s.value, a.value))
                .collect(),
            priority: r.effective_priority(),
            status: r.effective_status(),
            message: r.effective_message(),
            patterns: r
                .patterns
                .iter()
                .flatten()
                .map(|p| p.value.clone())
                .collect(),
            entities: r.entities.iter().flatten().map(|e| e.value).collect(),
            check: r.check.as_ref().map(|c| c.text.clone()),
            polarity,
            matcher: r.matches.as_ref().map(When::to_cel),
            match_tree: match &r.matches {
                Some(When::Tree(t)) => Some(t.clone()),
                _ => None,
            },
            when: r.when.as_ref().map(When::to_cel),
            when_tree: match &r.when {
                Some(When::Tree(t)) => Some(t.clone()),
                _ => None,
            },
            category: r.category.as_ref().map(|c| c.value.clone()).or_else(|| {
                prov.and_then(|p| p.default_category.as_ref())
                    .map(|c| c.value.clone())
            }),
            threshold,
            provider,
            provider_id: prov.map(super::object_id),
            providers,
            display_name: r.display_name.as_ref().map(|d| d.value.clone()),
            description: r.description.as_ref().map(|d| d.value.clone()),
            min_severity: r.min_severity.as_ref().map(|m| m.value),
            runtime,
            strongest_severity: super::runtime::combine(runtime, pol) == Combine::StrongestSeverity,
            policy_priority: pol.map_or(DEFAULT_PRIORITY, super::runtime::policy_priority),
            eval_cost: prov
                .and_then(|p| p.cost_per_eval_usd.as_ref())
                .map(|c| c.value),
            llm_check: r.llm_check.as_ref().map(|l| l.value.clone()),
            fix_strategy: r.fix_strategy.as_ref().map(|f| f.value),
            fix_expression: r.fix_expression.as_ref().map(|c| c.text.clone()),
            max_reasks: r
                .max_reasks
                .as_ref()
                .map_or(DEFAULT_MAX_REASKS, |m| m.value),
            filter_min_length: r.filter_min_length.as_ref().map(|m| m.value),
            // A policy's `streaming.enabled: false` turns its rules'
            // streaming evaluation off; without it, each rule decides.
            streaming: r.streaming.as_ref().is_some_and(|s| s.value)
                && streaming
                    .and_then(|s| s.enabled.as_ref())
                    .is_none_or(|e| e.value),
            streaming_interval: r
                .streaming_interval
                .as_ref()
                .map(|s| s.value)
                .or_else(|| streaming.and_then(|s| s.interval.as_ref()).map(|i| i.value))
                .unwrap_or(StreamInterval::Sentence),
            chunk_size: streaming
                .and_then(|s| s.chunk_size.as_ref())
                .map_or(DEFAULT_CHUNK_SIZE, |c| {
                    usize::try_from(c.value.max(1)).unwrap_or(DEFAULT_CHUNK_SIZE)
                }),
            sample_rate: r.effective_sample_rate(),
            timeout: r
                .timeout
                .as_ref()
                .map(|t| t.value)
                .unwrap_or_else(|| policy_timeout(pol, tier)),
            tools: strings(&r.tools),
            deny_tools: strings(&r.deny_tools),
            allow_domains: r
                .domains
                .iter()
                .flat_map(|d| d.allow.iter())
                .map(|g| g.value.clone())
                .collect(),
            deny_domains: r
                .domains
                .iter()
                .flat_map(|d| d.deny.iter())
                .map(|g| g.value.clone())
                .collect(),
            has_domains: r.domains.is_some(),
            max_tokens: r.max_tokens.as_ref().map(|m| m.value),
            fail_mode: super::runtime::fail_mode(runtime, pol),
            early_termination: streaming
                .and_then(|s| s.early_termination.as_ref())
                .is_some_and(|e| e.value),
            first_match: super::runtime::combine(runtime, pol) == Combine::FirstMatch,
            policy,
            applies: program.rule_home(r),
            file: r.file.clone(),
            span: r.name.span,
        };
        for (id, name, kind) in rule_ids(r) {
            out.push(ERule {
                id,
                name,
                kind,
                ..base.clone()
            });
        }
    }
    out
}
