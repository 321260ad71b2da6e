//! The evaluation form of a [`Program`]: every rule resolved through its
//! layers, `kind: both` split into its input and output halves, CEL parsed,
//! globs and patterns compiled. All patterns of all rules are compiled into
//! one multi-pattern automaton, so a text is scanned once whatever the
//! number of pattern rules.

use regex::Regex;
use regex_automata::meta;

use crate::cel::Expr;
use crate::compile::rule_ids;
use crate::ir::enums::*;
use crate::ir::layers::resolve;
use crate::ir::{Owner, Program, When};

/// A shell-style glob (`*`, `?`) matched against a whole string.
#[derive(Debug, Clone)]
pub struct Glob(String);

impl Glob {
    pub fn new(s: &str) -> Glob {
        Glob(s.to_string())
    }
    pub fn matches(&self, s: &str) -> bool {
        glob_match(self.0.as_bytes(), s.as_bytes())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether the glob `p` matches all of `s`.
pub fn glob_match(p: &[u8], s: &[u8]) -> bool {
    // Iterative matcher with backtracking to the last `*`.
    let (mut pi, mut si) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while si < s.len() {
        match p.get(pi) {
            Some(b'*') => {
                star = Some(pi);
                mark = si;
                pi += 1;
            }
            Some(&c) if c == b'?' || Some(&c) == s.get(si) => {
                pi += 1;
                si += 1;
            }
            _ => match star {
                Some(st) => {
                    pi = st + 1;
                    mark += 1;
                    si = mark;
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|c| *c == b'*'))
}

/// A rule ready to evaluate.
#[derive(Debug, Clone)]
pub struct CRule {
    /// Runtime id, as in the bundle (`policy/rule` or `policy/rule.input`).
    pub id: String,
    pub name: String,
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
    pub priority: i64,
    pub status: RuleStatus,
    pub message: String,
    pub check: Option<Expr>,
    pub when: Option<Expr>,
    /// Patterns: (index in the shared automaton, own regex, text).
    pub patterns: Vec<(usize, Regex, String)>,
    pub entities: Vec<Entity>,
    pub provider: Option<String>,
    pub category: Option<String>,
    pub threshold: f64,
    pub llm_check: bool,
    pub severity_actions: Vec<(Severity, Action)>,
    pub sample_rate: f64,
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
    /// The policy's `early_termination` (streaming) or `combine: first_match`.
    pub early_termination: bool,
    pub first_match: bool,
    /// Index in `Program::policies` of the owning (or overridden) policy.
    pub policy: Option<usize>,
    /// The events its owner covers.
    pub applies: Applies,
    /// `file:line:column` of the rule's name.
    pub location: String,
}

/// The events a rule's owner covers, resolved once from the owner and its
/// policy's status and scope.
#[derive(Debug, Clone, PartialEq)]
pub enum Applies {
    All,
    /// An inactive policy, or a project or agent policy naming none.
    Nothing,
    Agent(String),
    Project(String),
}

impl Applies {
    fn of(program: &Program, owner: &Owner, policy: Option<usize>) -> Applies {
        match owner {
            Owner::Agent(a) => Applies::Agent(a.clone()),
            Owner::Policy(_) => {
                let Some(p) = policy.and_then(|i| program.policies.get(i)) else {
                    return Applies::All;
                };
                if p.effective_status() != PolicyStatus::Active {
                    return Applies::Nothing;
                }
                match p.scope.value {
                    Scope::Project => p
                        .project
                        .as_ref()
                        .map_or(Applies::Nothing, |x| Applies::Project(x.value.clone())),
                    Scope::Agent => p
                        .agent
                        .as_ref()
                        .map_or(Applies::Nothing, |x| Applies::Agent(x.value.clone())),
                    _ => Applies::All,
                }
            }
        }
    }

    /// Whether the event is covered.
    pub fn covers(&self, e: &super::event::Event) -> bool {
        match self {
            Applies::All => true,
            Applies::Nothing => false,
            Applies::Agent(a) => e.agent.as_deref() == Some(a.as_str()),
            Applies::Project(p) => e.project.as_deref() == Some(p.as_str()),
        }
    }
}

/// All rules of a program in evaluation form.
pub struct RuleSet {
    pub rules: Vec<CRule>,
    /// Indices in `rules` of the rules that override a wider one.
    pub overriders: Vec<usize>,
    /// Every rule pattern in one automaton (`None` when there are none).
    pub patterns: Option<meta::Regex>,
}

fn parse_cel(text: &str) -> Option<Expr> {
    crate::cel::parse(text).ok()
}

impl RuleSet {
    /// Builds the rule set. The program must have linted without errors
    /// (CEL and regexes that do not compile are left out of their rules).
    pub fn build(program: &Program) -> RuleSet {
        let resolved = resolve(program);
        let mut rules = Vec::new();
        let mut all_patterns: Vec<String> = Vec::new();
        for (i, res) in resolved.iter().enumerate() {
            let r = &*res.rule;
            let policy_index = |rule: &crate::ir::Rule| match &rule.owner {
                Owner::Policy(p) => program.policies.iter().position(|x| &x.name.value == p),
                Owner::Agent(_) => None,
            };
            let policy = policy_index(r).or_else(|| {
                res.overrides
                    .and_then(|j| program.rules.get(j))
                    .and_then(policy_index)
            });
            let pol = policy.and_then(|p| program.policies.get(p));
            let provider = r.provider.as_ref().map(|p| p.value.clone());
            let prov = provider.as_ref().and_then(|p| program.provider(p));
            let tier = r.tier();
            let mut patterns = Vec::new();
            for p in r.patterns.iter().flatten() {
                if let Ok(re) = Regex::new(&p.value) {
                    patterns.push((all_patterns.len(), re, p.value.clone()));
                    all_patterns.push(p.value.clone());
                }
            }
            let streaming = pol.and_then(|p| p.streaming.as_ref());
            let base = CRule {
                id: String::new(),
                name: r.name.value.clone(),
                source: i,
                overrides: res.overrides,
                owner: r.owner.clone(),
                layer: r.layer,
                kind: Kind::Input,
                tier,
                action: r.effective_action(),
                severity: r.effective_severity(),
                priority: r.effective_priority(),
                status: r.effective_status(),
                message: r.effective_message(),
                check: r.check.as_ref().and_then(|c| parse_cel(&c.text)),
                when: r.when.as_ref().and_then(|w| match w {
                    When::Cel(c) => parse_cel(&c.text),
                    When::Tree(t) => parse_cel(&t.to_cel()),
                }),
                patterns,
                entities: r.entities.iter().flatten().map(|e| e.value).collect(),
                category: r.category.as_ref().map(|c| c.value.clone()).or_else(|| {
                    prov.and_then(|p| p.default_category.as_ref())
                        .map(|c| c.value.clone())
                }),
                threshold: r
                    .threshold
                    .as_ref()
                    .map(|t| t.value)
                    .or_else(|| {
                        prov.and_then(|p| p.default_threshold.as_ref())
                            .map(|t| t.value)
                    })
                    .unwrap_or(0.5),
                provider,
                llm_check: r.llm_check.is_some(),
                severity_actions: r
                    .severity_actions
                    .iter()
                    .flatten()
                    .map(|(s, a)| (s.value, a.value))
                    .collect(),
                sample_rate: r.effective_sample_rate(),
                tools: r
                    .tools
                    .as_ref()
                    .map(|t| t.iter().map(|g| Glob::new(&g.value)).collect()),
                deny_tools: r
                    .deny_tools
                    .as_ref()
                    .map(|t| t.iter().map(|g| Glob::new(&g.value)).collect()),
                allow_domains: r
                    .domains
                    .iter()
                    .flat_map(|d| d.allow.iter())
                    .map(|g| Glob::new(&g.value))
                    .collect(),
                deny_domains: r
                    .domains
                    .iter()
                    .flat_map(|d| d.deny.iter())
                    .map(|g| Glob::new(&g.value))
                    .collect(),
                has_domains: r.domains.is_some(),
                max_tokens: r.max_tokens.as_ref().map(|m| m.value),
                streaming: r.streaming.as_ref().is_some_and(|s| s.value),
                interval: r
                    .streaming_interval
                    .as_ref()
                    .map(|s| s.value)
                    .or_else(|| streaming.and_then(|s| s.interval.as_ref()).map(|i| i.value))
                    .unwrap_or(StreamInterval::Sentence),
                chunk_size: streaming
                    .and_then(|s| s.chunk_size.as_ref())
                    .map_or(256, |c| c.value.max(1) as usize),
                fail_mode: pol.map_or(FailMode::Open, |p| p.effective_fail_mode()),
                fix_strategy: r.fix_strategy.as_ref().map(|f| f.value),
                early_termination: streaming
                    .and_then(|s| s.early_termination.as_ref())
                    .is_some_and(|e| e.value),
                first_match: pol
                    .and_then(|p| p.combine.as_ref())
                    .is_some_and(|c| c.value == Combine::FirstMatch),
                policy,
                applies: Applies::of(program, &r.owner, policy),
                location: {
                    let (l, c) = r.file.line_col(r.name.span.start);
                    format!("{}:{l}:{c}", r.file.name)
                },
            };
            for (id, _, kind) in rule_ids(r) {
                rules.push(CRule {
                    id,
                    kind,
                    ..base.clone()
                });
            }
        }
        // Evaluation order: priority, then id (deterministic).
        rules.sort_by(|a, b| (a.priority, &a.id).cmp(&(b.priority, &b.id)));
        let patterns = if all_patterns.is_empty() {
            None
        } else {
            super::detect::overlapping(&all_patterns)
        };
        let overriders = (0..rules.len())
            .filter(|&i| rules.get(i).is_some_and(|r| r.overrides.is_some()))
            .collect();
        RuleSet {
            rules,
            overriders,
            patterns,
        }
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(Glob::new("wire_*").matches("wire_transfer"));
        assert!(!Glob::new("wire_*").matches("refund"));
        assert!(Glob::new("*.ngrok.io").matches("abc.ngrok.io"));
        assert!(Glob::new("gpt-4*").matches("gpt-4o"));
        assert!(Glob::new("a?c").matches("abc"));
        assert!(!Glob::new("a?c").matches("ac"));
        assert!(Glob::new("*").matches(""));
    }
}
