//! What evaluating one rule on one event gave: its status, action and
//! matches, and why. The why is kept as data and worded only when shown
//! ([`Outcome::reason`]): a simulation counts millions of outcomes and
//! prints few of them, and wording each as it is made cost more than
//! deciding it.

use std::sync::Arc;

use super::rules::{CRule, RuleSet};
use crate::ir::enums::{Action, Entity, RuleStatus};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Triggered,
    Unevaluated,
    Passed,
    /// Skipped: not applicable, not sampled, exempted, or after early termination.
    Skipped,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Triggered => "triggered",
            Status::Unevaluated => "unevaluated",
            Status::Passed => "passed",
            Status::Skipped => "skipped",
        }
    }
}

/// What a reported match is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum What {
    Entity(Entity),
    /// The rule's own pattern, by its index in `CRule::patterns`.
    Pattern(usize),
    Injection,
    Profanity,
    /// A URL host a domain list refuses.
    Domain,
}

/// A match reported for a fired rule (character offsets).
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub what: What,
    pub start: usize,
    pub end: usize,
    /// Which text: `input`, `output`, `tool_parameters`, `tool_result`, `handoff`.
    pub field: &'static str,
}

impl Hit {
    /// How the match is named in output: (`entity`, its name) or
    /// (`pattern`, the pattern's text, or `injection`, `profanity`,
    /// `domain`).
    pub fn label<'r>(&self, rule: &'r CRule) -> (&'static str, &'r str) {
        match self.what {
            What::Entity(e) => ("entity", e.as_str()),
            What::Pattern(i) => (
                "pattern",
                rule.patterns.get(i).map_or("?", |p| p.2.as_str()),
            ),
            What::Injection => ("pattern", "injection"),
            What::Profanity => ("pattern", "profanity"),
            What::Domain => ("pattern", "domain"),
        }
    }
}

/// Why a rule came out as it did.
#[derive(Debug, Clone, PartialEq)]
pub enum Why {
    AllPassed,
    /// The rule is not active.
    Status(RuleStatus),
    WhenErrored(Arc<str>),
    /// `when` gave a value of this type.
    WhenNotBool(&'static str),
    /// Left out by the rule's `sample_rate`.
    NotSampled,
    /// An exception's wording.
    Exempt(String),
    /// Skipped after the rule at this index terminated early.
    Terminated(usize),
    /// The event's site is approved without policies: the site rule at
    /// this index let it bypass every rule.
    Bypassed(usize),
    /// Its only checks call a model, and its policy's evaluation budget
    /// is spent (`overspend_action: disable_model_checks`).
    BudgetSpent,
    /// The checks that triggered, or else those that could not be
    /// evaluated.
    Checks(Vec<Check>),
    /// Triggered only while its stream was replayed, at this chunk.
    Streaming(usize),
    /// Unevaluated, and the rule fails closed.
    FailClosed(Box<Why>),
    /// Filtered to this many characters, below `filter_min_length`: blocked.
    FilteredTooShort(Box<Why>, usize, i64),
    /// The fix could not be applied (why), and whether fail_mode closed blocked.
    Unfixable(Box<Why>, Arc<str>, bool),
}

/// One check of a rule that triggered or could not be evaluated.
#[derive(Debug, Clone, PartialEq)]
pub enum Check {
    /// `check` is false under `check_polarity: pass`.
    CheckFalse,
    /// `check` is true under `check_polarity: violation`.
    CheckTrue,
    /// `match` holds.
    Matched,
    MatchErrored(Arc<str>),
    MatchNotBool(&'static str),
    CheckErrored(Arc<str>),
    /// `check` gave a value of this type.
    CheckNotBool(&'static str),
    /// The rule's pattern at this index matched.
    Pattern(usize),
    /// Entities found: the outcome's hits in this range.
    Found(std::ops::Range<usize>),
    /// The provider score and the threshold it reached.
    Score(f64, f64),
    /// Another provider's (the rule's `more_providers[i - 1]`) score and
    /// the threshold it reached.
    OtherScore(usize, f64, f64),
    /// No score recorded for the provider at this index (0: the first).
    NoScore(usize),
    /// The provider at this index took this long (ms), past the rule's
    /// timeout (`latency_ms`).
    TimedOut(usize, f64),
    /// The provider at this index failed, and why (`errors`, after its
    /// retries).
    ProviderFailed(usize, String),
    /// The provider at this index was not asked: its circuit breaker is
    /// open after consecutive failures.
    CircuitOpen(usize),
    /// The LLM verdict and the threshold it reached.
    Llm(f64, f64),
    NoLlm,
    /// `max_tokens` on an event that records no token counts.
    NoTokens,
    /// A pattern whose regex cannot be built, and why.
    PatternUnbuildable(Arc<str>),
    /// The policy's evaluation budget is spent (`downgrade`) and this
    /// local detector stood in for the provider and found something.
    Downgraded(super::budget::LocalDetector),
    /// The budget is spent (`downgrade`) and no local detector covers the
    /// check's category (or an LLM verdict).
    NoLocalTier,
    ToolNotAllowed(String),
    /// The tool and the index of the `deny_tools` glob that refused it.
    ToolDenied(String, usize),
    /// The event's site (first) matched an unapproved-tool pattern (second).
    UnapprovedSite(String, String),
    /// The event's site (first) matched an approved site without policies.
    ApprovedSite(String, String),
    /// A URL host and whether it is denied (or else not allowed).
    Domain(String, bool),
    /// Tokens used and the rule's `max_tokens`.
    Tokens(i64, i64),
}

#[derive(Debug, Clone)]
pub struct Outcome {
    /// Index into `RuleSet::rules`.
    pub rule: usize,
    pub status: Status,
    pub why: Why,
    /// The action taken when triggered (severity bands may change it), or
    /// the fail-closed block of an unevaluated rule.
    pub action: Option<Action>,
    pub hits: Vec<Hit>,
    /// For streaming rules: the chunk (0-based) where it first triggered.
    pub chunk: Option<usize>,
    /// Recorded score used, for sweeps.
    pub score: Option<f64>,
    /// The repaired content of a `fix_strategy: custom` fix.
    pub fixed: Option<Arc<str>>,
}

impl Outcome {
    /// The outcome's reason in words.
    pub fn reason(&self, set: &RuleSet) -> String {
        let mut out = String::new();
        if let Some(rule) = set.rules.get(self.rule) {
            self.word(&self.why, rule, set, &mut out);
        }
        out
    }

    fn word(&self, why: &Why, rule: &CRule, set: &RuleSet, out: &mut String) {
        use std::fmt::Write;
        // Writing to a `String` cannot fail.
        let _ = match why {
            Why::AllPassed => write!(out, "all checks passed"),
            Why::Status(s) => write!(out, "status is {s}"),
            Why::WhenErrored(msg) => write!(
                out,
                "`when` could not be evaluated ({msg}); the rule does not apply"
            ),
            Why::WhenNotBool(t) => write!(out, "`when` gave {t} instead of a boolean"),
            Why::NotSampled => write!(out, "not sampled (sample_rate {})", rule.sample_rate),
            Why::Exempt(text) => write!(out, "{text}"),
            Why::Terminated(by) => write!(
                out,
                "skipped: early termination after `{}`",
                set.rules.get(*by).map_or("?", |r| r.id.as_str())
            ),
            Why::Bypassed(by) => write!(
                out,
                "skipped: the event's site is approved without policies (`{}`)",
                set.rules.get(*by).map_or("?", |r| r.id.as_str())
            ),
            Why::BudgetSpent => write!(
                out,
                "skipped: its policy's evaluation budget is spent and its only checks call a model (overspend_action: disable_model_checks)"
            ),
            Why::Checks(checks) => {
                for (i, c) in checks.iter().enumerate() {
                    if i > 0 {
                        out.push_str("; ");
                    }
                    self.word_check(c, rule, out);
                }
                Ok(())
            }
            Why::Streaming(chunk) => write!(out, "triggered while streaming, at chunk {chunk}"),
            Why::FailClosed(inner) => {
                self.word(inner, rule, set, out);
                write!(out, "; fail_mode closed blocks")
            }
            Why::FilteredTooShort(inner, left, min) => {
                self.word(inner, rule, set, out);
                write!(
                    out,
                    "; filtered content is {left} characters, below filter_min_length {min}: blocked"
                )
            }
            Why::Unfixable(inner, msg, closed) => {
                self.word(inner, rule, set, out);
                let then = if *closed {
                    "fail_mode closed blocks"
                } else {
                    "the content passes unfixed (fail_mode open)"
                };
                write!(out, "; the fix cannot be applied ({msg}): {then}")
            }
        };
    }

    fn word_check(&self, c: &Check, rule: &CRule, out: &mut String) {
        use std::fmt::Write;
        let provider = rule.provider.as_deref().unwrap_or("");
        let category = rule.category.as_deref().unwrap_or("");
        let _ = match c {
            Check::CheckFalse => write!(out, "check is false (check_polarity: pass)"),
            Check::CheckTrue => write!(out, "check is true (check_polarity: violation)"),
            Check::Matched => write!(out, "match holds"),
            Check::MatchErrored(msg) => write!(out, "match errored: {msg}"),
            Check::MatchNotBool(t) => write!(out, "match gave {t} instead of a boolean"),
            Check::CheckErrored(msg) => write!(out, "check errored: {msg}"),
            Check::CheckNotBool(t) => write!(out, "check gave {t} instead of a boolean"),
            Check::Pattern(i) => write!(
                out,
                "pattern `{}` matched",
                rule.patterns.get(*i).map_or("?", |p| p.2.as_str())
            ),
            Check::Found(range) => {
                let mut names: Vec<&str> = self
                    .hits
                    .get(range.clone())
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|h| match h.what {
                        What::Entity(e) => Some(e.as_str()),
                        _ => None,
                    })
                    .collect();
                names.dedup();
                write!(out, "found {}", names.join(", "))
            }
            Check::Score(s, t) => write!(out, "{provider}.{category} score {s} >= {t}"),
            Check::OtherScore(i, s, t) => {
                let (p, c) = other_provider(rule, *i);
                write!(out, "{p}.{c} score {s} >= {t}")
            }
            Check::NoScore(0) => write!(out, "no recorded score for {provider}.{category}"),
            Check::TimedOut(i, ms) => write!(
                out,
                "{} took {ms}ms, past the rule's timeout of {}ms",
                provider_name(rule, *i),
                rule.timeout.0
            ),
            Check::ProviderFailed(i, why) if why.is_empty() => {
                write!(out, "{} failed", provider_name(rule, *i))
            }
            Check::ProviderFailed(i, why) => {
                write!(out, "{} failed: {why}", provider_name(rule, *i))
            }
            Check::CircuitOpen(i) => write!(
                out,
                "{}'s circuit breaker is open: not asked",
                provider_name(rule, *i)
            ),
            Check::NoScore(i) => {
                let (p, c) = other_provider(rule, *i);
                write!(out, "no recorded score for {p}.{c}")
            }
            Check::Llm(s, t) => write!(out, "LLM judge verdict {s} >= {t}"),
            Check::NoLlm => write!(out, "no recorded LLM verdict scores.llm.{}", rule.name),
            Check::NoTokens => write!(out, "no token counts recorded for max_tokens"),
            Check::PatternUnbuildable(why) => write!(out, "pattern cannot be built: {why}"),
            Check::Downgraded(det) => write!(
                out,
                "evaluation budget spent: the local {} stood in for {provider}.{category} and found it",
                det.name()
            ),
            Check::NoLocalTier => write!(
                out,
                "evaluation budget spent: no local detector stands in for this check (overspend_action: downgrade)"
            ),
            Check::ToolNotAllowed(t) => write!(out, "tool `{t}` is not allowed"),
            Check::ToolDenied(t, g) => write!(
                out,
                "tool `{t}` is denied by `{}`",
                rule.deny_tools
                    .as_ref()
                    .and_then(|d| d.get(*g))
                    .map_or("?", |g| g.as_str())
            ),
            Check::Domain(host, denied) => write!(
                out,
                "domain `{host}` is {}",
                if *denied { "denied" } else { "not allowed" }
            ),
            Check::Tokens(n, max) => write!(out, "{n} tokens > max_tokens {max}"),
            Check::UnapprovedSite(site, p) => {
                write!(out, "site `{site}` is an unapproved AI tool (`{p}`)")
            }
            Check::ApprovedSite(site, p) => {
                write!(
                    out,
                    "site `{site}` is approved without policies (`{p}`): bypassed"
                )
            }
        };
    }
}

/// The name of the provider at index `i` (0: the first).
fn provider_name(rule: &CRule, i: usize) -> &str {
    if i == 0 {
        rule.provider.as_deref().unwrap_or("?")
    } else {
        other_provider(rule, i).0
    }
}

/// The provider at index `i` (1 and up) of a several-provider rule, and
/// its category.
fn other_provider(rule: &CRule, i: usize) -> (&str, &str) {
    rule.more_providers
        .get(i.wrapping_sub(1))
        .map_or(("?", "?"), |(p, c, _)| (p.as_str(), c.as_str()))
}
