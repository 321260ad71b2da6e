//! One event through a [`RuleSet`]: which rules apply (layer, kind,
//! `when`, status, sample rate), each rule's outcome with its reason, the
//! event's decision (the most restrictive action wins; `first_match`
//! policies take the first rule by priority), early termination, streaming
//! replay chunk by chunk, and redaction.

use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value as J;

use super::budget::{Fallback, LocalDetector, local_detector};
use super::detect::{Detectors, Finding, Match, ascii_lower, redact};
use super::event::Event;
use super::pattern_groups::Matched;
use super::rules::{CRule, RuleSet, SiteCheck};
use crate::cel::eval::{Host, eval, regex_match};
use crate::cel::value::{Key, Value};
use crate::ir::enums::Polarity;
use crate::ir::enums::{
    Action, Entity, FailMode, FixStrategy, Kind, RuleStatus, Severity, StreamInterval,
};

pub use super::outcome::{Check, Hit, Outcome, Status, What, Why};

#[derive(Debug, Clone)]
pub struct EventResult {
    pub line: usize,
    pub decision: Action,
    /// Every rule considered, in evaluation order.
    pub outcomes: Vec<Outcome>,
    pub redacted_input: Option<String>,
    pub redacted_output: Option<String>,
}

impl EventResult {
    pub fn fired(&self) -> impl Iterator<Item = &Outcome> {
        self.outcomes.iter().filter(|o| o.action.is_some())
    }
}

/// Deterministic sampling: whether an event falls in the first `rate`
/// share of events. It hangs on the event's id alone, so renaming a rule
/// or its policy (which `diff` calls neutral) samples the same events,
/// and raising a rate samples a superset of them.
fn sampled(event_id: &str, rate: f64) -> bool {
    if rate >= 1.0 {
        return true;
    }
    // FNV-1a, then a 64-bit finalizer (splitmix64's) so that ids that
    // differ in one last digit land far apart.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in event_id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^= h >> 31;
    ((h >> 11) as f64 / (1u64 << 53) as f64) < rate
}

/// The cell of each event variable CEL can read (a `match` compiles to
/// a switch on the length, where a search compared every name).
fn slot(name: &str) -> Option<usize> {
    Some(match name {
        "input" => 0,
        "output" => 1,
        "model" => 2,
        "project" => 3,
        "agent" => 4,
        "kind" => 5,
        "identity" => 6,
        "headers" => 7,
        "metadata" => 8,
        "tokens" => 9,
        "cost_usd" => 10,
        "session_turn_count" => 11,
        "tool_name" => 12,
        "tool_parameters" => 13,
        "tool_result" => 14,
        "handoff" => 15,
        "site" => 16,
        "offer" => 17,
        "customer" => 18,
        "channel" => 19,
        _ => return None,
    })
}

/// Event variables as CEL values, each built on first use (most rules
/// read one or two, and building `input` copies the whole text).
pub struct EventVars<'e> {
    event: &'e Event,
    cells: [OnceCell<Value>; 20],
}

impl<'e> EventVars<'e> {
    pub fn new(event: &'e Event) -> EventVars<'e> {
        EventVars {
            event,
            cells: Default::default(),
        }
    }

    pub fn get(&self, name: &str) -> Option<Value> {
        let Some(i) = slot(name) else {
            return self.member(name);
        };
        Some(
            self.cells
                .get(i)?
                .get_or_init(|| build_var(self.event, name))
                .clone(),
        )
    }
}

impl EventVars<'_> {
    /// `identity.team`, `tokens.total`, `metadata.channel`, ... read
    /// straight from the event instead of building the whole map to
    /// select one key of it; `None` where the map would have no such key.
    fn member(&self, name: &str) -> Option<Value> {
        let (root, key) = name.split_once('.')?;
        self.entry(root, key)
    }

    /// `root.key` (or `root[key]`) of a map variable, read straight from
    /// the event; `None` where the map would have no such key.
    pub fn entry(&self, root: &str, key: &str) -> Option<Value> {
        let e = self.event;
        Some(match (root, key) {
            ("identity", "id") => opt_str(&e.identity.id),
            ("identity", "team") => opt_str(&e.identity.team),
            ("identity", "org") => opt_str(&e.identity.org),
            ("identity", "roles") => roles(e),
            ("tokens", "input") => Value::Int(e.tokens.input),
            ("tokens", "output") => Value::Int(e.tokens.output),
            ("tokens", "total") => Value::Int(e.tokens.total),
            ("headers", k) => Value::str(e.headers.get(k)?),
            ("metadata", k) => Value::from_json(e.metadata.get(k)?),
            ("offer", k) => Value::from_json(e.offer.get(k)?),
            ("customer", k) => Value::from_json(e.customer.get(k)?),
            ("channel", k) => Value::from_json(e.channel.get(k)?),
            ("tool_parameters", k) => Value::from_json(e.tool.as_ref()?.parameters.get(k)?),
            ("tool_result", k) => Value::from_json(e.tool.as_ref()?.result.get(k)?),
            ("handoff", k) => Value::from_json(e.handoff.as_ref()?.get(k)?),
            _ => return None,
        })
    }
}

fn roles(e: &Event) -> Value {
    Value::List(Arc::new(
        e.identity.roles.iter().map(|r| Value::str(r)).collect(),
    ))
}

fn opt_str(s: &Option<String>) -> Value {
    s.as_deref().map_or(Value::Null, Value::str)
}

/// A shared text, shared again.
fn opt_text(s: &Option<Arc<str>>) -> Value {
    s.as_ref().map_or(Value::Null, |t| Value::Str(t.clone()))
}

fn map(entries: impl IntoIterator<Item = (String, Value)>) -> Value {
    Value::Map(Arc::new(
        entries
            .into_iter()
            .map(|(k, v)| (Key::Str(k.into()), v))
            .collect(),
    ))
}

fn json_map(m: &serde_json::Map<String, serde_json::Value>) -> Value {
    map(m.iter().map(|(k, v)| (k.clone(), Value::from_json(v))))
}

fn build_var(e: &Event, name: &str) -> Value {
    let tool = e.tool.as_ref();
    match name {
        "input" => opt_text(&e.input),
        "output" => opt_text(&e.output),
        "model" => opt_str(&e.model),
        "project" => opt_str(&e.project),
        "agent" => opt_str(&e.agent),
        "kind" => opt_str(&e.kind),
        "identity" => map([
            ("id".to_string(), opt_str(&e.identity.id)),
            ("team".to_string(), opt_str(&e.identity.team)),
            ("org".to_string(), opt_str(&e.identity.org)),
            ("roles".to_string(), roles(e)),
        ]),
        "headers" => map(e.headers.iter().map(|(k, v)| (k.clone(), Value::str(v)))),
        "metadata" => json_map(&e.metadata),
        "offer" => json_map(&e.offer),
        "customer" => json_map(&e.customer),
        "channel" => json_map(&e.channel),
        "site" => opt_str(&e.site),
        "tokens" => map([
            ("input".to_string(), Value::Int(e.tokens.input)),
            ("output".to_string(), Value::Int(e.tokens.output)),
            ("total".to_string(), Value::Int(e.tokens.total)),
        ]),
        "cost_usd" => Value::Double(e.cost_usd.to_f64()),
        "session_turn_count" => Value::Int(e.session_turn_count),
        "tool_name" => tool.map_or(Value::Null, |t| opt_str(&t.name)),
        "tool_parameters" => tool.map_or(Value::Null, |t| Value::from_json(&t.parameters)),
        "tool_result" => tool.map_or(Value::Null, |t| Value::from_json(&t.result)),
        "handoff" => e.handoff.as_ref().map_or(Value::Null, Value::from_json),
        _ => Value::Null,
    }
}

/// One text of an event and its detector results, computed on first use
/// and shared by every rule and CEL function that looks at it.
pub struct Scan {
    pub text: Arc<str>,
    pub field: &'static str,
    all: OnceCell<Vec<(usize, usize, Entity)>>,
    /// The text ASCII-lowercased, for the phrase and word lists.
    lower: OnceCell<Vec<u8>>,
    injection: OnceCell<bool>,
    profanity: OnceCell<bool>,
}

impl Scan {
    pub fn new(text: Arc<str>, field: &'static str) -> Scan {
        Scan {
            text,
            field,
            all: OnceCell::new(),
            lower: OnceCell::new(),
            injection: OnceCell::new(),
            profanity: OnceCell::new(),
        }
    }
    fn lower(&self) -> &[u8] {
        self.lower.get_or_init(|| ascii_lower(&self.text))
    }
    fn all(&self, d: &Detectors) -> &[(usize, usize, Entity)] {
        self.all.get_or_init(|| d.all_matches(&self.text))
    }
    pub fn entities(&self, d: &Detectors, wanted: Option<&[Entity]>) -> Vec<Match> {
        Detectors::resolve(&self.text, self.all(d), wanted)
    }
    fn injection(&self, d: &Detectors) -> bool {
        *self
            .injection
            .get_or_init(|| d.injection_in(&self.text, self.lower()))
    }
    fn safe(&self, d: &Detectors) -> bool {
        self.entities(d, None).is_empty()
            && !self.injection(d)
            && !*self
                .profanity
                .get_or_init(|| !d.profanity_in(&self.text, self.lower()).is_empty())
    }
}

/// The texts of one event, scanned lazily: input, output, tool parameters,
/// tool result, handoff.
struct Scans<'e> {
    event: &'e Event,
    cells: [OnceCell<Option<Scan>>; 5],
    /// No content: for rules that read none (see [`reads_no_content`]).
    empty: OnceCell<Scan>,
}

impl<'e> Scans<'e> {
    fn new(event: &'e Event) -> Self {
        Scans {
            event,
            cells: Default::default(),
            empty: OnceCell::new(),
        }
    }
    fn empty(&self) -> &Scan {
        self.empty.get_or_init(|| Scan::new("".into(), "none"))
    }
    fn get(&self, kind: Kind) -> Option<&Scan> {
        let slot = match kind {
            Kind::Input | Kind::Both => 0,
            Kind::Output => 1,
            Kind::ToolInput => 2,
            Kind::ToolOutput => 3,
            Kind::Handoff => 4,
        };
        self.cells
            .get(slot)?
            .get_or_init(|| content(self.event, kind).map(|(t, f)| Scan::new(t, f)))
            .as_ref()
    }
}

/// The CEL host for one rule on one event: event variables, the content
/// under evaluation, and the guardrail function library.
struct RuleHost<'a> {
    /// Built on first use: many rules never evaluate CEL.
    vars: &'a EventVars<'a>,
    event: &'a Event,
    scan: &'a Scan,
    chunk: Option<&'a str>,
    /// How this rule's model-tier or LLM-tier check falls back, when its
    /// policy's evaluation budget is spent.
    fallback: Option<Fallback>,
    /// Providers whose circuit breaker is open.
    open_circuits: &'a [String],
}

impl RuleHost<'_> {
    /// The cached scan when `v` is the text under evaluation.
    fn cached(&self, v: Option<&Value>) -> Option<&Scan> {
        match v {
            Some(Value::Str(s)) if Arc::ptr_eq(s, &self.scan.text) || **s == *self.scan.text => {
                Some(self.scan)
            }
            _ => None,
        }
    }
}

fn text_arg(args: &[Value], i: usize) -> Option<&str> {
    match args.get(i) {
        Some(Value::Str(s)) => Some(s),
        _ => None,
    }
}

fn entity_list(v: Option<&Value>) -> Result<Option<Vec<Entity>>, Value> {
    match v {
        None => Ok(None),
        Some(Value::List(items)) => {
            let mut out = Vec::new();
            for i in items.iter() {
                match i {
                    Value::Str(s) => match Entity::from_name(s) {
                        Some(e) => out.push(e),
                        None => return Err(Value::error(format!("unknown entity '{s}'"))),
                    },
                    _ => return Err(Value::error("entities must be strings")),
                }
            }
            Ok(Some(out))
        }
        Some(other) => Err(Value::error(format!(
            "entities must be a list, not {}",
            other.type_name()
        ))),
    }
}

/// Looks like source code: fences, or several code-shaped lines.
fn looks_like_code(text: &str) -> bool {
    if text.contains("```") {
        return true;
    }
    let markers = [
        "def ",
        "function ",
        "class ",
        "import ",
        "#include",
        "fn ",
        "=>",
        "};",
        "var ",
        "const ",
        "SELECT ",
        "</",
        "print(",
    ];
    text.lines()
        .filter(|l| {
            markers.iter().any(|m| l.contains(m))
                || l.trim_end().ends_with(';')
                || l.trim_end().ends_with('{')
        })
        .count()
        >= 2
}

/// Whether any built-in detector fires on `text`.
pub fn is_safe(d: &Detectors, text: &str) -> bool {
    d.entities(text, None).is_empty() && {
        let lower = ascii_lower(text);
        !d.injection_in(text, &lower) && d.profanity_in(text, &lower).is_empty()
    }
}

impl Host for RuleHost<'_> {
    fn member(&self, root: &str, key: &str) -> Option<Value> {
        self.vars.entry(root, key)
    }

    fn var(&self, name: &str) -> Option<Value> {
        match name {
            "text" => Some(Value::Str(self.scan.text.clone())),
            "chunk" => Some(
                self.chunk
                    .map_or_else(|| Value::Str(self.scan.text.clone()), Value::str),
            ),
            _ => self.vars.get(name),
        }
    }

    fn call(&self, name: &str, args: &[Value]) -> Option<Value> {
        let d = Detectors::get()?;
        let text = text_arg(args, 0);
        let need_text = || Value::error(format!("{name} needs a string"));
        let cached = self.cached(args.first());
        let ents = |t: &str, wanted: Option<&[Entity]>| match cached {
            Some(scan) => scan.entities(d, wanted),
            None => d.entities(t, wanted),
        };
        Some(match name {
            "contains_pii" => match (text, entity_list(args.get(1))) {
                (Some(t), Ok(wanted)) => {
                    Value::Bool(!d.entities(t, wanted.as_deref().or(Some(PII))).is_empty())
                }
                (_, Err(e)) => e,
                (None, _) => need_text(),
            },
            "detect_pii" => match text {
                Some(t) => Value::List(Arc::new(
                    ents(t, Some(PII))
                        .into_iter()
                        .map(|m| {
                            let entity = match m.finding {
                                Finding::Entity(e) => e.as_str(),
                                _ => "",
                            };
                            map([
                                ("entity".to_string(), Value::str(entity)),
                                ("start".to_string(), Value::Int(m.start as i64)),
                                ("end".to_string(), Value::Int(m.end as i64)),
                                ("score".to_string(), Value::Double(1.0)),
                            ])
                        })
                        .collect(),
                )),
                None => need_text(),
            },
            "redact_pii" => match text {
                Some(t) => Value::str(&redact(t, &labels(&ents(t, Some(PII)), None))),
                None => need_text(),
            },
            "matches_pattern" | "not_matches_pattern" => match (text, text_arg(args, 1)) {
                (Some(t), Some(re)) => match regex_match(t, re) {
                    Value::Bool(b) => Value::Bool(if name == "matches_pattern" { b } else { !b }),
                    other => other,
                },
                _ => need_text(),
            },
            "contains_any" => {
                match (text, args.get(1)) {
                    (Some(t), Some(Value::List(words))) => {
                        let lower = t.to_lowercase();
                        Value::Bool(words.iter().any(
                            |w| matches!(w, Value::Str(s) if lower.contains(&s.to_lowercase())),
                        ))
                    }
                    _ => need_text(),
                }
            }
            "word_count" => text.map_or_else(need_text, |t| {
                Value::Int(t.split_whitespace().count() as i64)
            }),
            "sentence_count" => text.map_or_else(need_text, |t| {
                let n = t
                    .split(['.', '!', '?'])
                    .filter(|s| s.chars().any(char::is_alphanumeric))
                    .count();
                Value::Int(n as i64)
            }),
            "contains_url" => text.map_or_else(need_text, |t| {
                Value::Bool(!d.entities(t, Some(&[Entity::Url])).is_empty())
            }),
            "contains_email" => text.map_or_else(need_text, |t| {
                Value::Bool(!d.entities(t, Some(&[Entity::EmailAddress])).is_empty())
            }),
            "contains_code" => text.map_or_else(need_text, |t| Value::Bool(looks_like_code(t))),
            "contains_prompt_injection" => text.map_or_else(need_text, |t| {
                Value::Bool(cached.map_or_else(|| d.has_injection(t), |c| c.injection(d)))
            }),
            "is_safe" => text.map_or_else(need_text, |t| {
                Value::Bool(cached.map_or_else(|| is_safe(d, t), |c| c.safe(d)))
            }),
            "score" => match (text_arg(args, 0), text_arg(args, 1)) {
                (Some(p), Some(c)) => match self.event.scores.get(p, c) {
                    Some(s) => Value::Double(s),
                    None => Value::error(format!("no recorded score for {p}.{c}")),
                },
                _ => Value::error("score(provider, category) takes two strings"),
            },
            _ => return None,
        })
    }
}

/// The PII entities (secrets are detected only when named).
pub const PII: &[Entity] = &[
    Entity::EmailAddress,
    Entity::PhoneNumber,
    Entity::CreditCard,
    Entity::UsSsn,
    Entity::IbanCode,
    Entity::IpAddress,
    Entity::Url,
    Entity::UsBankNumber,
    Entity::Crypto,
    Entity::DateOfBirth,
];

/// Redaction labels: `<ENTITY>` or `<REDACTED:rule>`.
pub fn labels(matches: &[Match], rule: Option<&str>) -> Vec<(usize, usize, String)> {
    matches
        .iter()
        .map(|m| {
            let label = match &m.finding {
                Finding::Entity(e) => format!("<{}>", e.as_str()),
                _ => format!("<REDACTED:{}>", rule.unwrap_or("pattern")),
            };
            (m.start, m.end, label)
        })
        .collect()
}

/// The content a rule of `kind` evaluates, and its field name (the
/// event's own text when it holds one, so a scan does not copy it).
pub(crate) fn content(e: &Event, kind: Kind) -> Option<(Arc<str>, &'static str)> {
    let text = |s: String| Arc::from(s);
    match kind {
        Kind::Input | Kind::Both => e.input.clone().map(|t| (t, "input")),
        Kind::Output => e
            .output
            .clone()
            .map(|t| (t, "output"))
            .or_else(|| (!e.chunks.is_empty()).then(|| (text(e.chunks.concat()), "output"))),
        Kind::ToolInput => e
            .tool
            .as_ref()
            .filter(|t| t.name.is_some() || !t.parameters.is_null())
            .map(|t| (text(json_text(&t.parameters)), "tool_parameters")),
        Kind::ToolOutput => e
            .tool
            .as_ref()
            .filter(|t| !t.result.is_null())
            .map(|t| (text(json_text(&t.result)), "tool_result")),
        Kind::Handoff => e.handoff.as_ref().map(|h| (text(json_text(h)), "handoff")),
    }
}

fn json_text(v: &J) -> String {
    match v {
        J::String(s) => s.clone(),
        J::Null => String::new(),
        other => other.to_string(),
    }
}

/// Score bands for `severity_actions`: [0, 0.2) low, [0.2, 0.5) medium,
/// [0.5, 0.8) high, [0.8, 1] critical.
pub fn band(score: f64) -> Severity {
    if score >= 0.8 {
        Severity::Critical
    } else if score >= 0.5 {
        Severity::High
    } else if score >= 0.2 {
        Severity::Medium
    } else {
        Severity::Low
    }
}

/// Hosts named in URLs in a scanned text.
fn url_hosts(d: &Detectors, scan: &Scan) -> Vec<(String, usize, usize)> {
    let urls = scan.entities(d, Some(&[Entity::Url]));
    if urls.is_empty() {
        return Vec::new();
    }
    let chars: Vec<char> = scan.text.chars().collect();
    urls.into_iter()
        .map(|m| {
            let url: String = chars
                .get(m.start..m.end)
                .map(|c| c.iter().collect())
                .unwrap_or_default();
            let rest = url.split_once("://").map_or(url.as_str(), |x| x.1);
            let host = rest
                .split(['/', '?', '#', ':'])
                .next()
                .unwrap_or("")
                .to_lowercase();
            (host, m.start, m.end)
        })
        .collect()
}

/// Evaluation settings.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Threshold override for one rule (sweeps): (rule index, threshold).
    pub threshold: Option<(usize, f64)>,
    /// Policies whose evaluation budget is spent, and how their checks
    /// that call a model fall back ([`super::budget`]).
    pub fallback: Vec<(usize, Fallback)>,
    /// Providers (object ids) whose circuit breaker is open: not called
    /// ([`super::circuits`]).
    pub open_circuits: Vec<String>,
}

impl Options {
    /// Whether the event is evaluated as without any (a replay changes
    /// nothing).
    pub fn is_plain(&self) -> bool {
        self.fallback.is_empty() && self.open_circuits.is_empty()
    }
}

/// Evaluates one event.
pub fn evaluate(
    set: &RuleSet,
    exempt: &dyn Fn(&CRule, &Event) -> Option<String>,
    e: &Event,
    opts: &Options,
) -> EventResult {
    let vars = EventVars::new(e);
    let Some(d) = Detectors::get() else {
        return EventResult {
            line: e.line,
            decision: Action::Allow,
            outcomes: Vec::new(),
            redacted_input: None,
            redacted_output: None,
        };
    };
    // Rules overridden by a narrower applicable rule do not run themselves
    // (seldom any: no allocation then).
    // Sorted, so each rule looks itself up in logarithmic time however
    // many agents override rules.
    let mut overridden: Vec<usize> = set
        .overriders
        .for_event(e)
        .filter_map(|i| set.rules.get(i))
        .filter(|r| r.applies.covers(e))
        .filter_map(|r| r.overrides)
        .collect();
    overridden.sort_unstable();
    let mut outcomes = Vec::with_capacity(set.rules.len());
    let scans = Scans::new(e);
    let mut pattern_sets: BTreeMap<&'static str, Matched> = BTreeMap::new();
    // The unapproved-site rule after which every rule is skipped (of its
    // policy's layer and narrower: a project's site list never lifts a
    // tenant rule).
    let mut terminated: Option<usize> = None;
    // Per policy, its `first_match` rule that acted: the policy's later
    // rules are skipped (other policies' rules still run).
    let mut first_matched: BTreeMap<Option<usize>, usize> = BTreeMap::new();
    // The approved-site rule that lets this event bypass every rule (of
    // its layer and narrower, as above).
    let mut bypassed: Option<usize> = None;
    // The earliest early-terminating trigger so far: (moment, rule).
    let mut stop: Option<(i64, usize)> = None;
    for (ri, rule) in set
        .by_home
        .applicable(e)
        .filter_map(|ri| Some((ri, set.rules.get(ri)?)))
    {
        let skip = |why: Why| Outcome {
            rule: ri,
            status: Status::Skipped,
            why,
            action: None,
            hits: Vec::new(),
            chunk: None,
            score: None,
            fixed: None,
        };
        if overridden.binary_search(&rule.source).is_ok() {
            continue;
        }
        // A site rule lifts the rules that stand for its layer or a narrower
        // one (an override stands for the widest rule it replaces).
        let lifted = |by: Option<usize>| {
            by.filter(|&b| set.rules.get(b).is_some_and(|s| s.floor <= rule.floor))
        };
        let site_stop = lifted(terminated);
        if let Some(site) = &rule.site {
            if let Some(by) = site_stop.or(lifted(bypassed)) {
                outcomes.push(skip(Why::Terminated(by)));
                continue;
            }
            let Some(out) = check_site(site, rule, ri, e) else {
                continue;
            };
            match site {
                SiteCheck::Unapproved(..) => terminated = Some(ri),
                SiteCheck::Bypass(..) => bypassed = Some(ri),
            }
            outcomes.push(out);
            continue;
        }
        if let Some(by) = lifted(bypassed) {
            outcomes.push(skip(Why::Bypassed(by)));
            continue;
        }
        // A rule whose only check is `match` (a decision constraint, such
        // as KaireonAI's on a candidate's offer) runs on events that carry
        // no content; every other rule needs its kind's content.
        let Some(scan) = scans
            .get(rule.kind)
            .or_else(|| reads_no_content(rule).then(|| scans.empty()))
        else {
            continue;
        };
        let (text, field) = (&*scan.text, scan.field);
        if rule.status != RuleStatus::Active {
            outcomes.push(skip(Why::Status(rule.status)));
            continue;
        }
        if let Some(by) = site_stop.or_else(|| first_matched.get(&rule.policy).copied()) {
            outcomes.push(skip(Why::Terminated(by)));
            continue;
        }
        let fallback = match rule.policy {
            Some(p) if rule.provider.is_some() || rule.llm_check => opts
                .fallback
                .iter()
                .find(|(q, _)| *q == p)
                .map(|(_, how)| *how),
            _ => None,
        };
        let host = RuleHost {
            vars: &vars,
            event: e,
            scan,
            chunk: None,
            fallback,
            open_circuits: &opts.open_circuits,
        };
        if let Some(w) = &rule.when {
            match eval(w, &host) {
                Value::Bool(true) => {}
                Value::Bool(false) => continue,
                Value::Error(msg) => {
                    outcomes.push(skip(Why::WhenErrored(msg)));
                    continue;
                }
                other => {
                    outcomes.push(skip(Why::WhenNotBool(other.type_name())));
                    continue;
                }
            }
        }
        if !sampled(&e.id, rule.sample_rate) {
            outcomes.push(skip(Why::NotSampled));
            continue;
        }
        if let Some(why) = exempt(rule, e) {
            outcomes.push(skip(Why::Exempt(why)));
            continue;
        }
        // Model checks turned off by a spent budget leave a rule with
        // nothing else to check skipped, not passed.
        if fallback == Some(Fallback::Off) && !has_local_checks(rule) {
            outcomes.push(skip(Why::BudgetSpent));
            continue;
        }
        // A rule that cannot act before the earliest early-terminating
        // trigger so far is not checked: [`terminate_early`] would skip it (`when`, sampling
        // and exceptions are known first, as they decide whether it counts).
        if let Some((at, by)) = stop {
            if (earliest(rule, e), ri) > (at, by) {
                outcomes.push(skip(Why::Terminated(by)));
                continue;
            }
        }
        let set_for_text = match (&set.patterns, rule.patterns.is_empty()) {
            (Some(all), false) => Some(
                pattern_sets
                    .entry(field)
                    .or_insert_with(|| all.matching(text)),
            ),
            _ => None,
        };
        let threshold = match opts.threshold {
            Some((i, t)) if i == ri => t,
            _ => rule.threshold,
        };
        let mut out = check_rule(d, rule, e, &host, set_for_text.as_deref(), threshold);
        out.rule = ri;
        // Streaming: replay the chunks at the rule's interval.
        if rule.streaming && rule.kind == Kind::Output && !e.chunks.is_empty() {
            if let Some(chunk) =
                first_streaming_trigger(d, rule, e, &vars, threshold, fallback, &opts.open_circuits)
            {
                out.chunk = Some(chunk);
                if out.status != Status::Triggered {
                    out.status = Status::Triggered;
                    out.action = Some(rule.action);
                    out.why = Why::Streaming(chunk);
                }
            }
        }
        if out.status == Status::Unevaluated && rule.fail_mode == FailMode::Closed {
            out.action = Some(Action::Block);
            out.why = Why::FailClosed(Box::new(std::mem::replace(&mut out.why, Why::AllPassed)));
        }
        if out.status == Status::Triggered {
            rewrite_limits(rule, &mut out, text, &host);
        }
        // A `first_match` policy's first rule that acts decides for it.
        if out.action.is_some() && rule.first_match {
            first_matched.entry(rule.policy).or_insert(ri);
        }
        if out.action.is_some() && rule.early_termination {
            let at = moment(rule, &out, None);
            if stop.is_none_or(|s| (at, ri) < s) {
                stop = Some((at, ri));
            }
        }
        outcomes.push(out);
    }
    if set.rules.iter().any(|r| r.early_termination) {
        terminate_early(set, &mut outcomes);
    }
    let decision = decide(set, &outcomes);
    let (redacted_input, redacted_output) = super::rewrite::rewritten(d, set, e, &outcomes);
    EventResult {
        line: e.line,
        decision,
        outcomes,
        redacted_input,
        redacted_output,
    }
}

/// Early termination (Kore: "stops evaluation on the first guardrail
/// trigger"): the first rule of an `early_termination` policy to act stops
/// every rule after it. "First" is in time: input rules act before the model
/// answers, a streaming rule at the chunk where it triggered, other output
/// rules once the answer is complete; rules at the same moment go in
/// evaluation order. Rules after the stop are skipped, and say by whom.
fn terminate_early(set: &RuleSet, outcomes: &mut [Outcome]) {
    let at = |o: &Outcome, stop: Option<i64>| {
        set.rules
            .get(o.rule)
            .map_or(i64::MAX, |r| moment(r, o, stop))
    };
    let first = outcomes
        .iter()
        .enumerate()
        .filter(|(_, o)| {
            o.action.is_some() && set.rules.get(o.rule).is_some_and(|r| r.early_termination)
        })
        .min_by_key(|(i, o)| (at(o, None), *i))
        .map(|(i, o)| (i, at(o, None), o.rule));
    let Some((first, when, by)) = first else {
        return;
    };
    for (i, o) in outcomes.iter_mut().enumerate() {
        if i != first && (at(o, Some(when)), i) > (when, first) && o.status != Status::Skipped {
            *o = Outcome {
                rule: o.rule,
                status: Status::Skipped,
                why: Why::Terminated(by),
                action: None,
                hits: Vec::new(),
                chunk: None,
                score: None,
                fixed: None,
            };
        }
    }
}

/// When a rule's outcome happened, for early termination: input rules
/// before the answer (-1), a streaming trigger at its chunk, other output
/// rules once the answer is complete (`i64::MAX`). A streaming rule that
/// did not trigger was evaluating alongside the one that stopped the
/// stream (`stop`).
fn moment(rule: &CRule, o: &Outcome, stop: Option<i64>) -> i64 {
    if matches!(rule.kind, Kind::Input | Kind::ToolInput) {
        return -1;
    }
    match (o.chunk, stop) {
        (Some(c), _) => i64::try_from(c).unwrap_or(i64::MAX),
        (None, Some(at)) if rule.streaming && o.status != Status::Skipped => at,
        _ => i64::MAX,
    }
}

/// The earliest moment a rule can act on `e`, known before evaluating it.
fn earliest(rule: &CRule, e: &Event) -> i64 {
    if matches!(rule.kind, Kind::Input | Kind::ToolInput) {
        -1
    } else if rule.streaming && rule.kind == Kind::Output && !e.chunks.is_empty() {
        0
    } else {
        i64::MAX
    }
}

/// What a triggered rule that rewrites content cannot do: a `filter` that
/// leaves less than `filter_min_length` characters blocks instead; a `fix`
/// whose strategy cannot repair this content (`truncate` with no finding to
/// cut at, a `fix_expression` that errs or gives no string)
/// blocks under `fail_mode: closed` and passes the content on unfixed
/// under `open`, saying so either way.
fn rewrite_limits(rule: &CRule, out: &mut Outcome, text: &str, host: &RuleHost<'_>) {
    let take_why = |out: &mut Outcome| Box::new(std::mem::replace(&mut out.why, Why::AllPassed));
    match out.action {
        Some(Action::Filter) => {
            let Some(min) = rule.filter_min_length else {
                return;
            };
            let left = super::rewrite::filtered_len(text, &out.hits);
            if i64::try_from(left).unwrap_or(i64::MAX) < min {
                out.why = Why::FilteredTooShort(take_why(out), left, min);
                out.action = Some(Action::Block);
            }
        }
        Some(Action::Fix) => {
            let failed: Option<Arc<str>> = match rule.fix_strategy {
                // Lint refuses it (GC109); the content passes unchanged.
                None => None,
                Some(FixStrategy::Truncate) if out.hits.is_empty() => {
                    Some("truncate needs a finding to cut at, and the check reports none".into())
                }
                Some(FixStrategy::Custom) => {
                    match rule.fix_expression.as_ref().map(|x| eval(x, host)) {
                        Some(Value::Str(t)) => {
                            out.fixed = Some(t);
                            None
                        }
                        Some(Value::Error(msg)) => {
                            Some(format!("fix_expression errored: {msg}").into())
                        }
                        Some(other) => Some(
                            format!(
                                "fix_expression gave {} instead of a string",
                                other.type_name()
                            )
                            .into(),
                        ),
                        None => Some("custom needs a fix_expression".into()),
                    }
                }
                Some(_) => None,
            };
            if let Some(msg) = failed {
                let closed = rule.fail_mode == FailMode::Closed;
                out.why = Why::Unfixable(take_why(out), msg, closed);
                if closed {
                    out.action = Some(Action::Block);
                }
            }
        }
        _ => {}
    }
}

/// Whether a rule's only check is `match`: it reads the event's fields,
/// never its content.
fn reads_no_content(rule: &CRule) -> bool {
    rule.matcher.is_some()
        && rule.check.is_none()
        && rule.patterns.is_empty()
        && rule.unbuildable.is_empty()
        && rule.entities.is_empty()
        && rule.provider.is_none()
        && !rule.llm_check
        && rule.tools.is_none()
        && rule.deny_tools.is_none()
        && !rule.has_domains
        && rule.max_tokens.is_none()
}

/// A site rule's outcome on the event (`None`: the site does not match).
fn check_site(site: &SiteCheck, rule: &CRule, ri: usize, e: &Event) -> Option<Outcome> {
    let host = super::sites::host(e.site.as_deref()?);
    let (glob, check, action) = match site {
        SiteCheck::Unapproved(g, p) => (
            g,
            Check::UnapprovedSite(host.clone(), p.clone()),
            Some(rule.action),
        ),
        SiteCheck::Bypass(g, p) => (g, Check::ApprovedSite(host.clone(), p.clone()), None),
    };
    glob.matches(&host).then(|| Outcome {
        rule: ri,
        status: if action.is_some() {
            Status::Triggered
        } else {
            Status::Passed
        },
        why: Why::Checks(vec![check]),
        action,
        hits: Vec::new(),
        chunk: None,
        score: None,
        fixed: None,
    })
}

/// The event's action. Each policy combines its own triggered rules: a
/// `first_match` policy's later rules were skipped once one acted, so its
/// one acting rule stands for it; the `strongest_severity` policies
/// (Kairro's runtime-wide rule) give the action of the most severe among
/// them (ties: the more restrictive). Between those and every other rule
/// the most restrictive action wins, so a narrower policy's combine never
/// cancels a wider one's block.
fn decide(set: &RuleSet, outcomes: &[Outcome]) -> Action {
    let mut strongest: Option<((u8, u8), Action)> = None;
    let mut most = Action::Allow;
    for o in outcomes {
        let (Some(a), Some(r)) = (o.action, set.rules.get(o.rule)) else {
            continue;
        };
        if r.strongest_severity {
            let key = (r.severity.rank(), a.rank());
            if strongest.is_none_or(|(k, _)| key > k) {
                strongest = Some((key, a));
            }
        } else if a.rank() > most.rank() {
            most = a;
        }
    }
    match strongest {
        Some((_, a)) if a.rank() > most.rank() => a,
        _ => most,
    }
}

fn hit(m: &Match, field: &'static str) -> Hit {
    let what = match &m.finding {
        Finding::Entity(ent) => What::Entity(*ent),
        Finding::Pattern(_, i) => What::Pattern(*i),
        Finding::Injection => What::Injection,
        Finding::Profanity => What::Profanity,
    };
    Hit {
        what,
        start: m.start,
        end: m.end,
        field,
    }
}

/// Runs every check of a rule on the host's text; it triggers when any does.
fn check_rule(
    d: &Detectors,
    rule: &CRule,
    e: &Event,
    host: &RuleHost<'_>,
    patterns: Option<&Matched>,
    threshold: f64,
) -> Outcome {
    let (text, field) = (&*host.scan.text, host.scan.field);
    let mut reasons: Vec<Check> = Vec::new();
    let mut unevaluated: Vec<Check> = Vec::new();
    let mut hits = Vec::new();
    let mut action = rule.action;
    let mut score = None;
    if let Some(c) = &rule.check {
        // What `check` means is the rule's declared polarity (spec §2).
        match (eval(c, host), rule.polarity) {
            (Value::Bool(false), Polarity::Pass) => reasons.push(Check::CheckFalse),
            (Value::Bool(true), Polarity::Violation) => reasons.push(Check::CheckTrue),
            (Value::Bool(_), _) => {}
            (Value::Error(msg), _) => unevaluated.push(Check::CheckErrored(msg)),
            (other, _) => unevaluated.push(Check::CheckNotBool(other.type_name())),
        }
    }
    if let Some(m) = &rule.matcher {
        match eval(m, host) {
            Value::Bool(true) => reasons.push(Check::Matched),
            Value::Bool(false) => {}
            Value::Error(msg) => unevaluated.push(Check::MatchErrored(msg)),
            other => unevaluated.push(Check::MatchNotBool(other.type_name())),
        }
    }
    if let Some(ps) = patterns {
        let chars = super::detect::CharIndex::new(text);
        for (pi, (shared, re, _)) in rule.patterns.iter().enumerate() {
            if !ps.contains(*shared) {
                continue;
            }
            let before = hits.len();
            for m in re.find_iter(text) {
                hits.push(Hit {
                    what: What::Pattern(pi),
                    start: chars.of(m.start()),
                    end: chars.of(m.end()),
                    field,
                });
            }
            if hits.len() > before {
                reasons.push(Check::Pattern(pi));
            }
        }
    }
    if let Some(p) = rule.unbuildable.first() {
        unevaluated.push(Check::PatternUnbuildable(p.as_str().into()));
    }
    if !rule.entities.is_empty() {
        let mut found = host.scan.entities(d, Some(&rule.entities));
        if let Some(min) = rule.min_severity {
            found.retain(|m| match &m.finding {
                Finding::Entity(ent) => ent.severity().rank() >= min.rank(),
                _ => true,
            });
        }
        if !found.is_empty() {
            let from = hits.len();
            hits.extend(found.iter().map(|m| hit(m, field)));
            reasons.push(Check::Found(from..hits.len()));
        }
    }
    if let Some(how) = host.fallback {
        if how == Fallback::Local {
            let local = rule
                .provider
                .as_ref()
                .and(rule.category.as_deref())
                .and_then(local_detector);
            match local {
                Some(det) => {
                    let from = hits.len();
                    let found = match det {
                        LocalDetector::Pii => host.scan.entities(d, None),
                        LocalDetector::Profanity => d.profanity_in(text, host.scan.lower()),
                        LocalDetector::PromptInjection => Vec::new(),
                    };
                    hits.extend(found.iter().map(|m| hit(m, field)));
                    if hits.len() > from
                        || (det == LocalDetector::PromptInjection && host.scan.injection(d))
                    {
                        reasons.push(Check::Downgraded(det));
                    }
                }
                None => unevaluated.push(Check::NoLocalTier),
            }
        }
    } else if let Some(p) = &rule.provider {
        // Every provider is asked (Orq's evaluators): the rule triggers
        // when any score reaches the threshold; it is unevaluated only when
        // none does and some score is missing.
        // The first provider's threshold may be swept (`--sweep`); the
        // others keep their own.
        let first = (
            p.as_str(),
            rule.category.as_deref().unwrap_or(""),
            threshold,
        );
        let all = std::iter::once(first).chain(
            rule.more_providers
                .iter()
                .map(|(p, c, t)| (p.as_str(), c.as_str(), *t)),
        );
        // A provider not asked (open circuit), failed after its retries
        // or slower than the rule's timeout gives no answer: the rule is
        // unevaluated unless another provider triggers it.
        let mut missing: Option<Check> = None;
        for (i, (p, cat, threshold)) in all.enumerate() {
            let (id, retries) = rule
                .asked
                .get(i)
                .map_or((None, 0), |(id, r)| (id.as_deref(), *r));
            if id.is_some_and(|id| host.open_circuits.iter().any(|o| o == id)) {
                missing.get_or_insert(Check::CircuitOpen(i));
                continue;
            }
            if let Some(err) = e.error(p).filter(|err| err.failed(retries)) {
                let why = match err {
                    super::event::ProviderError::Failed(m) => m.clone(),
                    super::event::ProviderError::Attempts(n) => {
                        format!("{n} failed attempts, {retries} retries")
                    }
                };
                missing.get_or_insert(Check::ProviderFailed(i, why));
                continue;
            }
            if let Some(ms) = e.latency(p).filter(|ms| *ms > rule.timeout.0 as f64) {
                missing.get_or_insert(Check::TimedOut(i, ms));
                continue;
            }
            match e.scores.get(p, cat) {
                Some(s) => {
                    score = Some(score.map_or(s, |x: f64| x.max(s)));
                    if s >= threshold {
                        reasons.push(if i == 0 {
                            Check::Score(s, threshold)
                        } else {
                            Check::OtherScore(i, s, threshold)
                        });
                        if let Some((_, a)) = rule
                            .severity_actions
                            .iter()
                            .find(|(sev, _)| *sev == band(s))
                        {
                            if a.rank() > action.rank() || i == 0 {
                                action = *a;
                            }
                        }
                    }
                }
                None => {
                    missing.get_or_insert(Check::NoScore(i));
                }
            }
        }
        if let (Some(c), true) = (missing, reasons.is_empty()) {
            unevaluated.push(c);
        }
    } else if rule.llm_check {
        match e.scores.get("llm", &rule.name) {
            Some(s) => {
                score = Some(s);
                if s >= threshold {
                    reasons.push(Check::Llm(s, threshold));
                }
            }
            None => unevaluated.push(Check::NoLlm),
        }
    }
    let tool = e.tool.as_ref().and_then(|t| t.name.as_deref());
    if let Some(allow) = &rule.tools {
        if let Some(t) = tool {
            if !allow.iter().any(|g| g.matches(t)) {
                reasons.push(Check::ToolNotAllowed(t.to_string()));
            }
        }
    }
    if let Some(deny) = &rule.deny_tools {
        if let Some(t) = tool {
            if let Some(g) = deny.iter().position(|g| g.matches(t)) {
                reasons.push(Check::ToolDenied(t.to_string(), g));
            }
        }
    }
    if rule.has_domains {
        for (host, s, end) in url_hosts(d, host.scan) {
            let denied = rule.deny_domains.iter().any(|g| g.matches(&host));
            let not_allowed = !rule.allow_domains.is_empty()
                && !rule.allow_domains.iter().any(|g| g.matches(&host));
            if denied || not_allowed {
                reasons.push(Check::Domain(host, denied));
                hits.push(Hit {
                    what: What::Domain,
                    start: s,
                    end,
                    field,
                });
            }
        }
    }
    if let Some(max) = rule.max_tokens {
        let n = match rule.kind {
            Kind::Output | Kind::ToolOutput => e.tokens.output,
            _ => e.tokens.input,
        };
        if !e.tokens.given {
            // Nothing to count: unevaluated, and `fail_mode` decides.
            unevaluated.push(Check::NoTokens);
        } else if n > max {
            reasons.push(Check::Tokens(n, max));
        }
    }
    let (status, why, action) = if !reasons.is_empty() {
        (Status::Triggered, Why::Checks(reasons), Some(action))
    } else if !unevaluated.is_empty() {
        (Status::Unevaluated, Why::Checks(unevaluated), None)
    } else {
        (Status::Passed, Why::AllPassed, None)
    };
    Outcome {
        rule: 0,
        status,
        why,
        action,
        hits,
        chunk: None,
        score,
        fixed: None,
    }
}

/// Whether a rule checks anything besides a provider or an LLM verdict.
fn has_local_checks(rule: &CRule) -> bool {
    rule.check.is_some()
        || rule.matcher.is_some()
        || !rule.patterns.is_empty()
        || !rule.entities.is_empty()
        || rule.tools.is_some()
        || rule.deny_tools.is_some()
        || rule.has_domains
        || rule.max_tokens.is_some()
}

/// Chunk boundaries at the rule's interval, as prefix lengths of `chunks`.
fn boundaries(chunks: &[String], interval: StreamInterval, size: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut len = 0usize;
    let mut since = 0usize;
    for (i, c) in chunks.iter().enumerate() {
        len += c.len();
        since += c.chars().count();
        let at = match interval {
            StreamInterval::Token => true,
            StreamInterval::Sentence => {
                c.trim_end().ends_with(['.', '!', '?']) || i + 1 == chunks.len()
            }
            StreamInterval::ChunkSize => since >= size || i + 1 == chunks.len(),
        };
        if at {
            out.push((i, len));
            since = 0;
        }
    }
    out
}

fn first_streaming_trigger(
    d: &Detectors,
    rule: &CRule,
    e: &Event,
    vars: &EventVars<'_>,
    threshold: f64,
    fallback: Option<Fallback>,
    open: &[String],
) -> Option<usize> {
    let all: String = e.chunks.concat();
    let mut last = 0;
    for (i, end) in boundaries(&e.chunks, rule.interval, rule.chunk_size) {
        let seen = all.get(..end)?;
        let chunk = all.get(last..end)?;
        last = end;
        let prefix = Scan::new(seen.into(), "output");
        let host = RuleHost {
            vars,
            event: e,
            scan: &prefix,
            chunk: Some(chunk),
            fallback,
            open_circuits: open,
        };
        let out = check_rule(d, rule, e, &host, None, threshold);
        // Pattern rules: scan the prefix directly.
        let pattern_hit = rule.patterns.iter().any(|(_, re, _)| re.is_match(seen));
        if out.status == Status::Triggered || pattern_hit {
            return Some(i);
        }
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// Sampling takes about `rate` of the events, and a higher rate takes
    /// every event a lower one took.
    #[test]
    fn sampling_takes_its_share_and_grows_with_the_rate() {
        let ids: Vec<String> = (0..20_000).map(|i| format!("evt-{i}")).collect();
        let rates = [0.0, 0.05, 0.1, 0.25, 0.5, 0.9, 1.0];
        for w in rates.windows(2) {
            let (lo, hi) = (w[0], w[1]);
            for id in &ids {
                assert!(!sampled(id, lo) || sampled(id, hi), "{id}: {lo} then {hi}");
            }
        }
        for rate in rates {
            let share = ids.iter().filter(|id| sampled(id, rate)).count() as f64 / ids.len() as f64;
            assert!((share - rate).abs() < 0.01, "rate {rate}: share {share}");
        }
    }

    /// A member read straight from the event equals selecting it from the
    /// variable's map; a key the map lacks is left to the map path.
    #[test]
    fn members_match_their_maps() {
        let line = br#"{"id":"e","identity":{"id":"u","team":"t","roles":["a","b"]},"tokens":{"input":2},"headers":{"X-Env":"prod"},"metadata":{"channel":"web","n":3},"tool":{"name":"refund","parameters":{"amount":5,"to":{"iban":"x"}},"result":{"ok":true}}}"#;
        let e = Event::from_slice_fast(line, 1).unwrap();
        let vars = EventVars::new(&e);
        for name in [
            "identity.id",
            "identity.team",
            "identity.org",
            "identity.roles",
            "tool_parameters.amount",
            "tool_parameters.to",
            "tool_result.ok",
            "tokens.input",
            "tokens.output",
            "tokens.total",
            "headers.x-env",
            "metadata.channel",
            "metadata.n",
        ] {
            let (root, key) = name.split_once('.').unwrap();
            let map = vars.get(root).unwrap();
            let Value::Map(m) = map else {
                panic!("{root} is not a map")
            };
            assert_eq!(
                format!("{:?}", vars.get(name)),
                format!("{:?}", m.get(&Key::Str(key.into()))),
                "{name}"
            );
        }
        assert!(vars.get("metadata.missing").is_none());
        assert!(vars.get("headers.missing").is_none());
        assert!(vars.get("tool_parameters.missing").is_none());
    }

    /// `root["key"]` read through the host gives what indexing the built
    /// map gives, and a comprehension variable of the same name hides it.
    #[test]
    fn indexed_members_match_their_maps() {
        let line = br#"{"id":"e","input":"hi","headers":{"X-Env":"prod"},"metadata":{"n":3}}"#;
        let e = Event::from_slice_fast(line, 1).unwrap();
        let vars = EventVars::new(&e);
        let scan = Scan::new("hi".into(), "input");
        let host = RuleHost {
            vars: &vars,
            event: &e,
            scan: &scan,
            chunk: None,
            fallback: None,
            open_circuits: &[],
        };
        let run = |src: &str| format!("{:?}", eval(&crate::cel::parse::parse(src).unwrap(), &host));
        for (src, want) in [
            (r#"headers["x-env"] == "prod""#, "Bool(true)"),
            (r#"metadata["n"] == 3"#, "Bool(true)"),
            (
                r#"[{"x-env": "a"}].exists(headers, headers["x-env"] == "a")"#,
                "Bool(true)",
            ),
        ] {
            assert_eq!(run(src), want, "{src}");
        }
        // Keys the event lacks go the general way, to its error.
        for src in [r#"headers["X-Env"]"#, r#"metadata["missing"]"#] {
            assert!(run(src).starts_with("Error"), "{src}: {}", run(src));
        }
    }
}
