//! The typed IR: one struct per thing a guardrail UI shows, every field as
//! written (`Option` = not given) with its span. Defaults are applied by the
//! `effective_*` accessors, so lint can tell "not given" from "given as the
//! default" and compile emits effective values.

use std::sync::Arc;

use serde::Serialize;

use super::cel_source::Cel;
use super::cond::Cond;
use super::enums::*;
use super::home::Home;
use super::values::{Dec, Duration, Timestamp};
use crate::source::{SourceFile, Span, Spanned};

/// Who owns a rule: a policy (tenant/project/... layer) or an agent.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Owner {
    Policy(String),
    Agent(String),
}

impl Owner {
    pub fn name(&self) -> &str {
        match self {
            Owner::Policy(n) | Owner::Agent(n) => n,
        }
    }
}

/// `when`: a CEL string or a condition tree.
#[derive(Debug, Clone, PartialEq)]
pub enum When {
    Cel(Cel),
    Tree(Cond),
}

impl When {
    /// The CEL form (the preview for trees).
    pub fn to_cel(&self) -> String {
        match self {
            When::Cel(c) => c.text.clone(),
            When::Tree(t) => t.to_cel(),
        }
    }
}

/// Domain restriction: an allow-list and/or a deny-list.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Domains {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allow: Vec<Spanned<String>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deny: Vec<Spanned<String>>,
}

/// The keys that give a rule something to check.
pub const CHECK_KEYS: &[&str] = &[
    "check",
    "match",
    "patterns",
    "entities",
    "provider",
    "llm_check",
    "tools",
    "deny_tools",
    "domains",
    "max_tokens",
];

#[derive(Debug, Clone)]
pub struct Rule {
    pub file: Arc<SourceFile>,
    pub name: Spanned<String>,
    pub owner: Owner,
    /// The owning policy's scope; `Scope::Agent` for agent rules.
    pub layer: Scope,
    pub kind: Option<Spanned<Kind>>,
    pub check: Option<Cel>,
    /// `match`: a violation predicate (tree or CEL), one meaning everywhere.
    pub matches: Option<When>,
    pub patterns: Option<Vec<Spanned<String>>>,
    pub entities: Option<Vec<Spanned<Entity>>>,
    /// `provider`: one name, or several (Orq evaluators: the rule
    /// triggers when any of them does).
    pub provider: Option<Vec<Spanned<String>>>,
    pub category: Option<Spanned<String>>,
    pub threshold: Option<Spanned<f64>>,
    pub llm_check: Option<Spanned<String>>,
    /// `display_name`: the rule's name in a UI (KaireonAI `name`).
    pub display_name: Option<Spanned<String>>,
    pub description: Option<Spanned<String>>,
    /// `min_severity`: a detector finding below it does not trigger.
    pub min_severity: Option<Spanned<Severity>>,
    pub when: Option<When>,
    pub action: Option<Spanned<Action>>,
    pub severity: Option<Spanned<Severity>>,
    pub severity_actions: Option<Vec<(Spanned<Severity>, Spanned<Action>)>>,
    pub message: Option<Spanned<String>>,
    pub priority: Option<Spanned<i64>>,
    pub status: Option<Spanned<RuleStatus>>,
    pub fix_strategy: Option<Spanned<FixStrategy>>,
    pub fix_expression: Option<Cel>,
    pub max_reasks: Option<Spanned<i64>>,
    pub filter_min_length: Option<Spanned<i64>>,
    pub streaming: Option<Spanned<bool>>,
    pub streaming_interval: Option<Spanned<StreamInterval>>,
    pub sample_rate: Option<Spanned<f64>>,
    pub timeout: Option<Spanned<Duration>>,
    pub tools: Option<Vec<Spanned<String>>>,
    pub deny_tools: Option<Vec<Spanned<String>>>,
    pub domains: Option<Domains>,
    pub max_tokens: Option<Spanned<i64>>,
    /// Keys written in the source, valid or not: lets lint tell a missing
    /// field from one already reported as invalid.
    pub given: std::collections::BTreeSet<&'static str>,
}

impl Rule {
    /// Local when it has a local check, model with a provider, llm with an
    /// `llm_check`; `provider` wins over `llm_check`.
    pub fn tier(&self) -> Tier {
        if self.provider.is_some() {
            Tier::Model
        } else if self.llm_check.is_some() {
            Tier::Llm
        } else {
            Tier::Local
        }
    }

    /// The first provider named (the one a single-provider rule names).
    pub fn first_provider(&self) -> Option<&Spanned<String>> {
        self.provider.as_ref().and_then(|v| v.first())
    }

    /// Whether any check is written (valid or not).
    pub fn has_check(&self) -> bool {
        CHECK_KEYS.iter().any(|k| self.given.contains(k))
            || self.check.is_some()
            || self.matches.is_some()
            || self.patterns.is_some()
            || self.entities.is_some()
            || self.provider.is_some()
            || self.llm_check.is_some()
            || self.tools.is_some()
            || self.deny_tools.is_some()
            || self.domains.is_some()
            || self.max_tokens.is_some()
    }

    pub fn effective_status(&self) -> RuleStatus {
        self.status.as_ref().map_or(RuleStatus::Active, |s| s.value)
    }

    pub fn effective_priority(&self) -> i64 {
        self.priority
            .as_ref()
            .map_or(crate::effective::DEFAULT_PRIORITY, |p| p.value)
    }

    pub fn effective_sample_rate(&self) -> f64 {
        self.sample_rate.as_ref().map_or(1.0, |p| p.value)
    }

    pub fn effective_message(&self) -> String {
        self.message.as_ref().map_or_else(
            || format!("Guardrail: {}", self.name.value),
            |m| m.value.clone(),
        )
    }

    /// Where the rule is defined (its name key).
    pub fn span(&self) -> Span {
        self.name.span
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Timeouts {
    pub local: Option<Spanned<Duration>>,
    pub model: Option<Spanned<Duration>>,
    pub llm: Option<Spanned<Duration>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Streaming {
    pub enabled: Option<Spanned<bool>>,
    pub interval: Option<Spanned<StreamInterval>>,
    pub chunk_size: Option<Spanned<i64>>,
    pub max_latency: Option<Spanned<Duration>>,
    pub early_termination: Option<Spanned<bool>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Caching {
    pub enabled: Option<Spanned<bool>>,
    pub ttl: Option<Spanned<Duration>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyBudget {
    pub monthly_limit_usd: Option<Spanned<Dec>>,
    pub overspend_action: Option<Spanned<OverspendAction>>,
}

#[derive(Debug, Clone)]
pub struct Policy {
    pub file: Arc<SourceFile>,
    pub name: Spanned<String>,
    /// False for the policy implied by a file with rules but no `POLICY:`.
    pub explicit: bool,
    pub description: Option<Spanned<String>>,
    pub policy_type: Option<Spanned<PolicyType>>,
    pub scope: Spanned<Scope>,
    pub project: Option<Spanned<String>>,
    pub agent: Option<Spanned<String>>,
    pub status: Option<Spanned<PolicyStatus>>,
    pub default: Option<Spanned<bool>>,
    pub fail_mode: Option<Spanned<FailMode>>,
    pub timeouts: Option<Timeouts>,
    pub streaming: Option<Streaming>,
    pub caching: Option<Caching>,
    pub budget: Option<PolicyBudget>,
    pub combine: Option<Spanned<Combine>>,
    pub check_polarity: Option<Spanned<Polarity>>,
    pub runtime: Option<Spanned<Runtime>>,
    /// Order among policies of one scope, lower first (Kairro).
    pub priority: Option<Spanned<i64>>,
    /// `team: NAME` of a `scope: team` policy.
    pub team: Option<Spanned<String>>,
    /// `identity: ID` of a `scope: identity` policy.
    pub identity: Option<Spanned<String>>,
    pub approved_sites: Option<Vec<ApprovedSite>>,
    pub unapproved_tools: Option<Vec<UnapprovedTool>>,
    pub constitution: Option<Vec<Principle>>,
}

/// An AI site users may use (Kairro Shadow AI); `apply_policies: false`
/// lets its events bypass every rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApprovedSite {
    pub pattern: Spanned<String>,
    pub apply_policies: Option<Spanned<bool>>,
}

impl ApprovedSite {
    /// `apply_policies` defaults to true: an approved site is still guarded.
    pub fn applies_policies(&self) -> bool {
        self.apply_policies.as_ref().is_none_or(|a| a.value)
    }
}

/// A site or tool that gets an action at once, before any rule runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnapprovedTool {
    pub pattern: Spanned<String>,
    pub action: Option<Spanned<Action>>,
    pub severity: Option<Spanned<Severity>>,
}

/// A constitution principle for Kore's LLM-tier checks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Principle {
    pub principle: Spanned<String>,
    pub weight: Option<Spanned<f64>>,
}

impl Policy {
    /// The policy a file with rules but no `POLICY:` stands for: tenant
    /// wide, every setting defaulted.
    pub fn implicit(file: Arc<SourceFile>, name: Spanned<String>) -> Policy {
        let span = name.span;
        Policy {
            file,
            name,
            explicit: false,
            description: None,
            policy_type: None,
            scope: Spanned::new(Scope::Tenant, span),
            project: None,
            agent: None,
            status: None,
            default: None,
            fail_mode: None,
            timeouts: None,
            streaming: None,
            caching: None,
            budget: None,
            combine: None,
            check_polarity: None,
            runtime: None,
            priority: None,
            team: None,
            identity: None,
            approved_sites: None,
            unapproved_tools: None,
            constitution: None,
        }
    }

    pub fn effective_status(&self) -> PolicyStatus {
        self.status
            .as_ref()
            .map_or(PolicyStatus::Active, |s| s.value)
    }
    /// The policy's own timeout for a tier, if it gives one
    /// (`effective::policy_timeout` applies the defaults).
    pub fn given_timeout(&self, tier: Tier) -> Option<Duration> {
        let t = self.timeouts.as_ref()?;
        let given = match tier {
            Tier::Local => t.local.as_ref(),
            Tier::Model => t.model.as_ref(),
            Tier::Llm => t.llm.as_ref(),
        };
        given.map(|d| d.value)
    }
}

#[derive(Debug, Clone)]
pub struct Agent {
    pub file: Arc<SourceFile>,
    pub name: Spanned<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CircuitBreaker {
    pub max_failures: Option<Spanned<i64>>,
    pub reset_timeout_ms: Option<Spanned<Duration>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Retry {
    pub max_retries: Option<Spanned<i64>>,
    pub backoff: Option<Spanned<Backoff>>,
    pub base_ms: Option<Spanned<Duration>>,
}

#[derive(Debug, Clone)]
pub struct Provider {
    pub file: Arc<SourceFile>,
    pub name: Spanned<String>,
    /// The policy defined in the same file, if any.
    pub policy: Option<String>,
    /// Where it applies and whose namespace its name is in (set by [`Program::reindex`]).
    pub home: Home,
    pub adapter: Option<Spanned<Adapter>>,
    pub hosting: Option<Spanned<Hosting>>,
    pub endpoint: Option<Spanned<String>>,
    pub model: Option<Spanned<String>>,
    pub auth_profile: Option<Spanned<String>>,
    pub default_category: Option<Spanned<String>>,
    pub default_threshold: Option<Spanned<f64>>,
    pub supported_categories: Option<Vec<Spanned<String>>>,
    pub circuit_breaker: Option<CircuitBreaker>,
    pub retry: Option<Retry>,
    pub cost_per_eval_usd: Option<Spanned<Dec>>,
    /// `evaluator_id`: the Orq evaluator this provider stands for.
    pub evaluator_id: Option<Spanned<String>>,
}

/// A scope over `org`, `team`, `project`, `identity`, `agent`, `model`
/// (values may be globs). Sorted by key.
pub type ScopeMap = Vec<(Spanned<String>, Spanned<String>)>;

/// A scope's keys and compiled globs, matched against every event.
pub type ScopeGlobs = Vec<(String, crate::glob::Glob)>;

/// Compiles a scope's globs once, where it is read.
pub fn scope_globs(scope: &ScopeMap) -> ScopeGlobs {
    scope
        .iter()
        .map(|(k, v)| (k.value.clone(), crate::glob::Glob::new(&v.value)))
        .collect()
}

#[derive(Debug, Clone)]
pub struct Budget {
    pub file: Arc<SourceFile>,
    pub name: Spanned<String>,
    /// The policy defined in the same file, if any.
    pub policy: Option<String>,
    /// Where it applies and whose namespace its name is in (set by [`Program::reindex`]).
    pub home: Home,
    pub scope: ScopeMap,
    pub scope_globs: ScopeGlobs,
    pub daily_usd: Option<Spanned<Dec>>,
    pub weekly_usd: Option<Spanned<Dec>>,
    pub monthly_usd: Option<Spanned<Dec>>,
    pub owner: Option<Spanned<String>>,
    pub alert_at: Option<Vec<Spanned<Dec>>>,
}

#[derive(Debug, Clone)]
pub struct Cap {
    pub file: Arc<SourceFile>,
    pub name: Spanned<String>,
    /// The policy defined in the same file, if any.
    pub policy: Option<String>,
    /// Where it applies and whose namespace its name is in (set by [`Program::reindex`]).
    pub home: Home,
    pub scope: ScopeMap,
    pub scope_globs: ScopeGlobs,
    pub window: Option<Spanned<Window>>,
    pub limit_usd: Option<Spanned<Dec>>,
    pub limit_tokens: Option<Spanned<i64>>,
    pub limit_requests: Option<Spanned<i64>>,
    pub action: Option<Spanned<CapAction>>,
    pub approval_chain: Option<Spanned<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    pub approvers: Vec<Spanned<String>>,
    pub min_approvals: Option<Spanned<i64>>,
}

#[derive(Debug, Clone)]
pub struct Chain {
    pub file: Arc<SourceFile>,
    pub name: Spanned<String>,
    /// The policy defined in the same file, if any.
    pub policy: Option<String>,
    /// Where it applies and whose namespace its name is in (set by [`Program::reindex`]).
    pub home: Home,
    pub steps: Vec<Step>,
    pub timeout: Option<Spanned<Duration>>,
    pub on_timeout: Option<Spanned<OnTimeout>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    Cap,
    Rule,
}

#[derive(Debug, Clone)]
pub struct Exception {
    pub file: Arc<SourceFile>,
    pub name: Spanned<String>,
    /// The policy defined in the same file, if any.
    pub policy: Option<String>,
    /// Where it applies and whose namespace its name is in (set by [`Program::reindex`]).
    pub home: Home,
    pub target: Option<Spanned<(TargetKind, String)>>,
    pub scope: ScopeMap,
    pub scope_globs: ScopeGlobs,
    pub starts: Option<Spanned<Timestamp>>,
    pub expires: Option<Spanned<Timestamp>>,
    pub reason: Option<Spanned<String>>,
    pub status: Option<Spanned<ExceptionStatus>>,
    pub approved_by: Option<Spanned<String>>,
}

/// Everything read from the files given together: one policy repository.
#[derive(Debug, Clone, Default)]
pub struct Program {
    pub policies: Vec<Policy>,
    pub agents: Vec<Agent>,
    pub rules: Vec<Rule>,
    pub providers: Vec<Provider>,
    pub budgets: Vec<Budget>,
    pub caps: Vec<Cap>,
    pub chains: Vec<Chain>,
    pub exceptions: Vec<Exception>,
    /// The repository's `check_polarity` (`guardctl.toml`), for checks
    /// of policies that declare none and of agent files.
    pub check_polarity: Option<Polarity>,
    /// The repository's `runtime` (`guardctl.toml`), for policies that
    /// name none and for agent files.
    pub runtime: Option<Runtime>,
    /// Name → first index, rebuilt by [`Program::reindex`].
    policy_index: std::collections::HashMap<String, usize>,
    /// (home, name) → first index, for narrowest-first lookups.
    provider_index: Names,
    cap_index: Names,
    chain_index: Names,
    /// Each exception's `target: cap/NAME` resolved to a cap index.
    exception_caps: Vec<Option<usize>>,
    /// The exceptions naming each rule (`rule/NAME`) and each cap, in
    /// file order: an event's rule or cap looks at its own, not at all.
    rule_exceptions: std::collections::HashMap<String, super::project_index::ProjectIndex>,
    cap_exceptions: Vec<Vec<usize>>,
    /// Budgets, caps and cap exceptions by the project they are confined to.
    pub budget_projects: super::project_index::ProjectIndex,
    pub cap_projects: super::project_index::ProjectIndex,
    pub exception_projects: super::project_index::ProjectIndex,
}

type Names = std::collections::HashMap<(Home, String), usize>;

/// A governance object: named, and homed by the policy of its file.
pub trait Homed {
    fn name(&self) -> &str;
    fn policy(&self) -> Option<&str>;
    fn home(&self) -> &Home;
    fn set_home(&mut self, home: Home);
}

/// Where a definition is written: its file and name key.
pub trait Located {
    fn location(&self) -> (&Arc<SourceFile>, Span);
}

macro_rules! homed {
    ($($t:ty),+) => {$(
        impl Homed for $t {
            fn name(&self) -> &str {
                &self.name.value
            }
            fn policy(&self) -> Option<&str> {
                self.policy.as_deref()
            }
            fn home(&self) -> &Home {
                &self.home
            }
            fn set_home(&mut self, home: Home) {
                self.home = home;
            }
        }
        impl Located for $t {
            fn location(&self) -> (&Arc<SourceFile>, Span) {
                (&self.file, self.name.span)
            }
        }
    )+};
}

homed!(Provider, Budget, Cap, Chain, Exception);

/// Sets each object's home from its policy, and indexes it by (home, name).
fn home_all<T: Homed>(
    items: &mut [T],
    policies: &[Policy],
    policy_index: &std::collections::HashMap<String, usize>,
    index: Option<&mut Names>,
) {
    for it in items.iter_mut() {
        let policy = it
            .policy()
            .and_then(|p| policy_index.get(p))
            .and_then(|&i| policies.get(i));
        it.set_home(Home::of(policy));
    }
    if let Some(index) = index {
        index.clear();
        for (i, it) in items.iter().enumerate() {
            index
                .entry((it.home().clone(), it.name().to_string()))
                .or_insert(i);
        }
    }
}

/// The first of `items` named `name` in one of `from`'s lookup homes.
fn lookup<'a, T>(items: &'a [T], index: &Names, name: &str, from: &Home) -> Option<(usize, &'a T)> {
    from.lookup_order()
        .find_map(|h| index.get(&(h.clone(), name.to_string())))
        .and_then(|&i| items.get(i).map(|x| (i, x)))
}

impl Program {
    /// Appends another program's definitions (call [`Program::reindex`] after).
    pub fn merge(&mut self, other: Program) {
        self.policies.extend(other.policies);
        self.agents.extend(other.agents);
        self.rules.extend(other.rules);
        self.providers.extend(other.providers);
        self.budgets.extend(other.budgets);
        self.caps.extend(other.caps);
        self.chains.extend(other.chains);
        self.exceptions.extend(other.exceptions);
    }

    /// Rebuilds the name indexes after the lists change (lowering does it).
    pub fn reindex(&mut self) {
        self.policy_index.clear();
        for (i, p) in self.policies.iter().enumerate() {
            self.policy_index.entry(p.name.value.clone()).or_insert(i);
        }
        let (pol, idx) = (&self.policies, &self.policy_index);
        home_all(
            &mut self.providers,
            pol,
            idx,
            Some(&mut self.provider_index),
        );
        home_all(&mut self.budgets, pol, idx, None);
        home_all(&mut self.caps, pol, idx, Some(&mut self.cap_index));
        home_all(&mut self.chains, pol, idx, Some(&mut self.chain_index));
        home_all(&mut self.exceptions, pol, idx, None);
        let caps: Vec<Option<usize>> = self
            .exceptions
            .iter()
            .map(|x| match &x.target {
                Some(t) if t.value.0 == TargetKind::Cap => {
                    self.cap(&t.value.1, &x.home).map(|(i, _)| i)
                }
                _ => None,
            })
            .collect();
        self.cap_exceptions = vec![Vec::new(); self.caps.len()];
        let mut by_rule: std::collections::HashMap<String, Vec<usize>> =
            std::collections::HashMap::new();
        for (xi, x) in self.exceptions.iter().enumerate() {
            match (&x.target, caps.get(xi).copied().flatten()) {
                (_, Some(ci)) => {
                    if let Some(v) = self.cap_exceptions.get_mut(ci) {
                        v.push(xi);
                    }
                }
                (Some(t), None) if t.value.0 == TargetKind::Rule => {
                    by_rule.entry(t.value.1.clone()).or_default().push(xi)
                }
                _ => {}
            }
        }
        // Per rule, by project: an event looks at the exceptions to a rule
        // that can cover its project, not at every project's.
        let xs = &self.exceptions;
        self.rule_exceptions = by_rule
            .into_iter()
            .map(|(name, ids)| {
                let ix = super::project_index::ProjectIndex::of(
                    ids.iter()
                        .filter_map(|&i| xs.get(i).map(|x| (i, &x.home, &x.scope_globs))),
                );
                (name, ix)
            })
            .collect();
        self.exception_caps = caps;
        use super::project_index::ProjectIndex;
        self.budget_projects =
            ProjectIndex::build(self.budgets.iter().map(|b| (&b.home, &b.scope_globs)));
        self.cap_projects =
            ProjectIndex::build(self.caps.iter().map(|c| (&c.home, &c.scope_globs)));
        self.exception_projects =
            ProjectIndex::build(self.exceptions.iter().map(|x| (&x.home, &x.scope_globs)));
    }

    /// The exceptions (by index) whose target is the rule `name` and that
    /// may cover an event of `project`, in file order.
    pub fn rule_exceptions(&self, name: &str, project: Option<&str>) -> Vec<usize> {
        let mut v: Vec<usize> = self
            .rule_exceptions
            .get(name)
            .map(|ix| ix.candidates(project).collect())
            .unwrap_or_default();
        v.sort_unstable();
        v
    }

    /// The exceptions (by index) whose target resolves to cap `ci`.
    pub fn cap_exceptions(&self, ci: usize) -> &[usize] {
        self.cap_exceptions.get(ci).map_or(&[], Vec::as_slice)
    }

    /// The cap an exception's `target: cap/NAME` resolves to (from the
    /// exception's home), by index.
    pub fn exception_cap(&self, exception: usize) -> Option<usize> {
        self.exception_caps.get(exception).copied().flatten()
    }
    /// The index of the policy `name` (the first of that name).
    pub fn policy_position(&self, name: &str) -> Option<usize> {
        self.policy_index.get(name).copied()
    }
    pub fn policy(&self, name: &str) -> Option<&Policy> {
        self.policy_index
            .get(name)
            .and_then(|&i| self.policies.get(i))
    }
    /// The provider a reference from `from` means (narrowest first).
    /// The provider a reference from `from` means: one of the files', else
    /// one of Kore's tenant registry ([`super::registry_providers`]).
    pub fn provider(&self, name: &str, from: &Home) -> Option<&Provider> {
        lookup(&self.providers, &self.provider_index, name, from)
            .map(|x| x.1)
            .or_else(|| super::registry_providers::find(name))
    }
    /// The cap (and its index) a reference from `from` means.
    pub fn cap(&self, name: &str, from: &Home) -> Option<(usize, &Cap)> {
        lookup(&self.caps, &self.cap_index, name, from)
    }
    /// The approval chain a reference from `from` means.
    pub fn chain(&self, name: &str, from: &Home) -> Option<&Chain> {
        lookup(&self.chains, &self.chain_index, name, from).map(|x| x.1)
    }
    /// The home of a rule: its policy's, or its agent's.
    pub fn rule_home(&self, rule: &Rule) -> Home {
        match &rule.owner {
            Owner::Policy(p) => Home::of(self.policy(p)),
            Owner::Agent(a) => Home::Agent(a.clone()),
        }
    }
    /// The policy a rule belongs to (none for agent rules).
    pub fn policy_of(&self, rule: &Rule) -> Option<&Policy> {
        match &rule.owner {
            Owner::Policy(p) => self.policy(p),
            Owner::Agent(_) => None,
        }
    }
}
