//! `simulate`: replays traces through a policy (and optionally a baseline
//! policy) and aggregates what would have happened. Events are read in
//! batches, evaluated in parallel, then folded in trace order (governance
//! is sequential by nature), so results are identical for any thread count
//! and memory stays flat in the size of the trace. What can be worked out
//! per event (per-rule counts, governance facts) is, on the evaluating
//! thread, so the fold reads little of what another core wrote.

pub mod mask;
mod pipeline;
pub mod unsimulated;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use crate::json::put;
use serde_json::{Value as J, json};

use crate::engine::budget::Replay;
use crate::engine::detect::Detectors;
use crate::engine::evaluate::{EventResult, Options, Outcome, PII, Status, evaluate};
use crate::engine::event::{Event, Tool};
use crate::engine::governance::{Facts, GovEvent, Governance, exempting};
use crate::engine::rules::{CRule, RuleSet};
use crate::engine::trace::Record;
use crate::ir::Program;
use crate::ir::enums::Action;
use crate::ir::values::Timestamp;
use pipeline::{Tally, Thread};

/// Per-rule counts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleStats {
    pub evaluated: usize,
    pub triggered: usize,
    pub unevaluated: usize,
    pub skipped: usize,
    pub by_action: BTreeMap<Action, usize>,
    /// Streaming rules: events where they triggered mid-stream.
    pub streaming_triggers: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Malformed {
    pub file: String,
    pub line: usize,
    /// Where the JSON breaks, when it is the JSON that does.
    pub column: Option<usize>,
    pub message: String,
}

impl Malformed {
    /// `file:line:column` (or `file:line`), as editors and CI logs link it.
    pub fn location(&self) -> String {
        match self.column {
            Some(c) => format!("{}:{}:{c}", self.file, self.line),
            None => format!("{}:{}", self.file, self.line),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Changed {
    pub id: String,
    pub line: usize,
    pub before: Action,
    pub after: Action,
    pub excerpt: String,
}

/// (threshold, events triggered, events with a recorded score).
pub type SweepPoint = (f64, usize, usize);

/// What a simulation found.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub events: usize,
    pub decisions: BTreeMap<Action, usize>,
    pub rules: BTreeMap<String, RuleStats>,
    pub malformed: Vec<Malformed>,
    pub malformed_count: usize,
    /// OpenTelemetry passed over because it holds no GenAI content
    /// (metrics, HTTP spans, other log records), by what it is.
    pub skipped: BTreeMap<&'static str, usize>,
    /// The first budget alerts, cap trips and spent evaluation budgets,
    /// with the event that caused them (every one is in `--events`).
    pub governance: Vec<(String, GovEvent)>,
    /// How many there were in all.
    pub governance_count: usize,
    /// Each object's alerts or trips, summarised: (kind, name) → tally.
    pub governance_objects: BTreeMap<(&'static str, String), GovObject>,
    /// Cap → events after its trip that it acted on.
    pub cap_applied: BTreeMap<String, usize>,
    /// Exception → events it exempted.
    pub exempted: BTreeMap<String, usize>,
    /// (chain, day) → approval requests.
    pub approvals: BTreeMap<(String, String), usize>,
    /// Day (or `undated`) → decisions.
    pub timeline: BTreeMap<String, BTreeMap<Action, usize>>,
    /// (before, after) → events, with `--baseline`.
    pub flips: Option<BTreeMap<(Action, Action), usize>>,
    pub changed: Vec<Changed>,
    pub changed_count: usize,
    /// With `--sweep`: the rule and its trigger counts per threshold.
    pub sweep: Option<(String, Vec<SweepPoint>)>,
    /// Top-level keys of event lines that are no event field → lines.
    pub unknown_fields: BTreeMap<String, usize>,
    /// Settings present in the policies that a trace cannot replay.
    pub not_simulated: Vec<unsimulated::Unsimulated>,
    /// The last event's day number and its `timeline` label.
    last_day: Option<(Option<i64>, String)>,
}

impl RuleStats {
    fn seen(&self) -> bool {
        self.evaluated + self.unevaluated + self.skipped > 0
    }

    fn absorb(&mut self, o: RuleStats) {
        self.evaluated += o.evaluated;
        self.triggered += o.triggered;
        self.unevaluated += o.unevaluated;
        self.skipped += o.skipped;
        self.streaming_triggers += o.streaming_triggers;
        for (a, n) in o.by_action {
            *self.by_action.entry(a).or_default() += n;
        }
    }
}

/// Per-rule counts of the events one thread evaluates, kept by that thread:
/// counting needs every outcome, adding up needs none.
#[derive(Default)]
struct RuleTally(Vec<RuleStats>);

impl RuleTally {
    fn count(&mut self, rules: usize, outcomes: &[Outcome]) {
        if self.0.len() < rules {
            self.0.resize(rules, RuleStats::default());
        }
        for o in outcomes {
            let Some(st) = self.0.get_mut(o.rule) else {
                continue;
            };
            match o.status {
                Status::Triggered => {
                    st.evaluated += 1;
                    st.triggered += 1;
                    if o.chunk.is_some() {
                        st.streaming_triggers += 1;
                    }
                }
                Status::Passed => st.evaluated += 1,
                Status::Unevaluated => st.unevaluated += 1,
                Status::Skipped => st.skipped += 1,
            }
            if let Some(a) = o.action {
                *st.by_action.entry(a).or_default() += 1;
            }
        }
    }
}

impl Tally for RuleTally {
    fn add(&mut self, other: RuleTally) {
        if self.0.len() < other.0.len() {
            self.0.resize(other.0.len(), RuleStats::default());
        }
        for (mine, theirs) in self.0.iter_mut().zip(other.0) {
            mine.absorb(theirs);
        }
    }
}

/// A trace record that is no event, as the fold sees it.
enum NotEvent {
    /// A malformed line, where its trace's name is not known yet.
    Malformed {
        line: usize,
        column: Option<usize>,
        message: String,
    },
    /// OpenTelemetry with no GenAI content: what it is, its line, and
    /// whether nothing else of that line is GenAI content.
    Skipped {
        kind: &'static str,
        line: usize,
        fatal: bool,
    },
}

/// One evaluated event as the fold sees it.
struct Evaluated {
    event: Box<Event>,
    /// Its outcomes are dropped where it was evaluated unless `--events`
    /// writes them.
    result: EventResult,
    /// With `--baseline`: the baseline's result and governance facts
    /// (boxed: most runs have none, and results are moved in bulk).
    baseline: Option<Box<(EventResult, Facts)>>,
    facts: Facts,
    sweep: Vec<Option<bool>>,
}

pub struct Config {
    pub traces: Vec<PathBuf>,
    pub strict: bool,
    pub show_matches: bool,
    pub sweep: Option<String>,
    pub threads: Option<usize>,
    /// Called with the number of events done (progress bars).
    pub progress: Option<Box<dyn Fn(usize) + Send + Sync>>,
}

/// An I/O or strict-mode failure.
#[derive(Debug)]
pub struct Fatal(pub String);

const KEEP_CHANGED: usize = 50;
const KEEP_MALFORMED: usize = 100;
/// Governance events a summary lists (the rest are counted per object).
pub const KEEP_GOVERNANCE: usize = 20;

/// What governance did with one object over the trace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GovObject {
    /// Alerts, trips or spent months.
    pub events: usize,
    /// The event of the first.
    pub first: String,
    /// Thresholds crossed (budgets) or months spent (evaluation budgets).
    pub notes: Vec<String>,
}

/// Exceptions that exempt an event from a rule (`rule/NAME`).
pub fn rule_exemption(program: &Program) -> impl Fn(&CRule, &Event) -> Option<String> + Sync + '_ {
    move |rule, e| {
        exempting(program, &rule.name, e)
            .map(|x| format!("exempted by exception `{}`", x.name.value))
    }
}

/// The start of the event's text (for a tool call without one, the
/// call) with PII masked (unless `show`), for reports.
pub fn excerpt(e: &Event, show: bool, found: &[String]) -> String {
    let call;
    let text = match (e.input.as_deref().or(e.output.as_deref()), &e.tool) {
        (Some(text), _) => text,
        // A tool call without text: what was called, with what (or what
        // it returned), masked like any text.
        (None, Some(t)) => {
            call = tool_call(t);
            &call
        }
        (None, None) => "",
    };
    if show {
        return text.chars().take(EXCERPT).collect();
    }
    let Some(d) = Detectors::get() else {
        return String::new();
    };
    // Matches are found in the whole text: a card number cut short by the
    // excerpt's end would no longer be one, and its first digits would
    // show. The excerpt then runs on to the end of any match it cuts, and
    // of any value a rule found (`found`) that it cuts.
    let mut spans: Vec<(usize, usize)> = d
        .entities(text, Some(&all_entities()))
        .iter()
        .map(|m| (m.start, m.end))
        .collect();
    spans.extend(mask::occurrences(text, found));
    let mut end = EXCERPT;
    while let Some(further) = spans
        .iter()
        .filter(|(s, e)| *s < end && *e > end)
        .map(|(_, e)| *e)
        .max()
    {
        end = further;
    }
    let head: String = text.chars().take(end).collect();
    mask::mask(&head, found)
}

/// Characters of an event's text an excerpt shows.
const EXCERPT: usize = 160;

/// `name(parameters)`, or `name -> result` for a call with a result, in
/// compact JSON with sorted keys.
fn tool_call(t: &Tool) -> String {
    let name = t.name.as_deref().unwrap_or("tool");
    match (&t.parameters, &t.result) {
        (p, J::Null) => format!(
            "{name}({})",
            if p.is_null() {
                String::new()
            } else {
                p.to_string()
            }
        ),
        (_, r) => format!("{name} -> {r}"),
    }
}

pub(crate) fn all_entities() -> Vec<crate::ir::enums::Entity> {
    let mut v = PII.to_vec();
    v.extend([
        crate::ir::enums::Entity::ApiKey,
        crate::ir::enums::Entity::PrivateKey,
        crate::ir::enums::Entity::Jwt,
    ]);
    v
}

/// One event's line in `--events` output.
pub fn event_json(set: &RuleSet, e: &Event, r: &EventResult, gov: &[GovEvent]) -> J {
    let id = &e.id;
    let fired: Vec<J> = r
        .fired()
        .filter_map(|o| {
            let rule = set.rules.get(o.rule)?;
            let matches: Vec<J> = o
                .hits
                .iter()
                .map(|h| {
                    let (key, name) = h.label(rule);
                    json!({key: name, "start": h.start, "end": h.end})
                })
                .collect();
            let mut f = json!({"rule": rule.id, "action": o.action, "severity": rule.severity, "message": rule.message, "reason": o.reason(set), "matches": matches});
            if let Some(c) = o.chunk {
                put(&mut f, "chunk", json!(c));
            }
            Some(f)
        })
        .collect();
    let unevaluated: Vec<J> = r
        .outcomes
        .iter()
        .filter(|o| o.status == Status::Unevaluated)
        .filter_map(|o| {
            set.rules
                .get(o.rule)
                .map(|rule| json!({"rule": rule.id, "reason": o.reason(set)}))
        })
        .collect();
    let decision = final_decision(r, gov);
    let mut out = json!({"id": id, "line": r.line, "decision": decision, "fired": fired, "unevaluated": unevaluated});
    // The ids that tie the event to its request and trace (spec §7).
    for (k, v) in [("request_id", &e.request_id), ("trace_id", &e.trace_id)] {
        if let Some(v) = v {
            put(&mut out, k, json!(v));
        }
    }
    if !gov.is_empty() {
        put(
            &mut out,
            "governance",
            J::Array(gov.iter().map(|g| J::String(g.describe())).collect()),
        );
    }
    if let Some(t) = &r.redacted_input {
        put(&mut out, "redacted_input", json!(t));
    }
    if let Some(t) = &r.redacted_output {
        put(&mut out, "redacted_output", json!(t));
    }
    out
}

/// The helpers for `threads` threads in all (all cores when unset): the
/// calling thread is one of them (it maps blocks like the helpers, and
/// folds), so the pool has one thread fewer. `None` for one thread: then
/// everything runs on the calling thread.
fn pool(threads: Option<usize>) -> Result<Option<rayon::ThreadPool>, Fatal> {
    let threads = match threads {
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, usize::from),
    };
    if threads <= 1 {
        return Ok(None);
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads - 1)
        .build()
        .map(Some)
        .map_err(|e| Fatal(e.to_string()))
}

/// Reads and parses the traces without evaluating anything: the baseline
/// the benchmark compares end-to-end speed with. Returns (events,
/// malformed lines, skipped OpenTelemetry records).
pub fn parse_only(cfg: &Config) -> Result<(usize, usize, usize), Fatal> {
    let pool = pool(cfg.threads)?;
    let mut counts = [0usize; 3];
    pipeline::run(
        &cfg.traces,
        pool.as_ref(),
        |_| {
            |r, _: &mut ()| match r {
                Record::Event(_) => 0usize,
                Record::Malformed { .. } => 1,
                Record::Skipped { .. } => 2,
            }
        },
        |_, &kind| {
            if let Some(n) = counts.get_mut(kind) {
                *n += 1;
            }
            Ok(())
        },
    )?;
    let [events, malformed, other] = counts;
    Ok((events, malformed, other))
}

/// Whether an exception exempts an event from a rule, and which.
pub type Exempt<'a> = dyn Fn(&CRule, &Event) -> Option<String> + Sync + 'a;

/// What every thread that evaluates events reads and none writes.
struct Mapping<'a> {
    program: &'a Program,
    baseline: Option<&'a Program>,
    /// The rules as the calling thread compiled them, and the baseline's.
    set: &'a RuleSet,
    base_set: Option<&'a RuleSet>,
    exempt: &'a Exempt<'a>,
    base_exempt: Option<&'a Exempt<'a>>,
    opts: Options,
    /// The `--sweep` rule's index, and the thresholds it is tried at.
    sweep_rule: Option<usize>,
    thresholds: &'a [f64],
    keep_outcomes: bool,
    /// `--events` without `--show-matches`: rewritten content is masked.
    mask: bool,
    /// Evaluation budgets are replayed: events are counted, and may be
    /// evaluated again, in trace order (so their content is kept).
    replaying: bool,
}

/// Rules (or patterns) up to which a helper thread compiles its own copy
/// of the rule set.
const OWN_RULES_UP_TO: usize = 256;

/// One thread's evaluator. A helper thread evaluates with rules it
/// compiled itself (`own`, with the baseline's): evaluation clones the
/// rules' string constants and uses their regexes' search caches, and
/// shared ones would pass those counters and caches from core to core on
/// every event. The calling thread uses the rules it compiled already, and
/// so do helpers for a rule set larger than [`OWN_RULES_UP_TO`].
struct Mapper<'a> {
    own: Option<(RuleSet, Option<RuleSet>)>,
    shared: &'a Mapping<'a>,
}

impl<'a> Mapper<'a> {
    fn new(shared: &'a Mapping<'a>, thread: Thread) -> Mapper<'a> {
        // A large rule set is shared: compiling it again per thread costs
        // its whole memory again and more time than the caches' traffic
        // between cores costs on the events.
        let large = shared
            .set
            .rules
            .iter()
            .map(|r| r.patterns.len())
            .sum::<usize>()
            > OWN_RULES_UP_TO
            || shared.set.rules.len() > OWN_RULES_UP_TO;
        let own = (thread == Thread::Helper && !large).then(|| {
            (
                RuleSet::build(shared.program),
                shared.baseline.map(RuleSet::build),
            )
        });
        Mapper { own, shared }
    }

    /// Evaluates one trace record, counting its rule outcomes.
    fn map(&self, rec: Record, tally: &mut RuleTally) -> Result<Evaluated, NotEvent> {
        let m = self.shared;
        let (set, base_set) = match &self.own {
            Some((set, base)) => (set, base.as_ref()),
            None => (m.set, m.base_set),
        };
        let mut e = match rec {
            Record::Malformed {
                line,
                column,
                message,
            } => {
                return Err(NotEvent::Malformed {
                    line,
                    column,
                    message,
                });
            }
            Record::Skipped { line, kind, fatal } => {
                return Err(NotEvent::Skipped { kind, line, fatal });
            }
            Record::Event(e) => e,
        };
        let mut r = evaluate(set, m.exempt, &e, &m.opts);
        let b = match (base_set, m.base_exempt, m.baseline) {
            (Some(bs), Some(bx), Some(bp)) => {
                Some(Box::new((evaluate(bs, bx, &e, &m.opts), Facts::of(bp, &e))))
            }
            _ => None,
        };
        if !m.replaying {
            tally.count(set.rules.len(), &r.outcomes);
        }
        if m.mask {
            mask::mask_result(&mut r, &e);
        }
        // Sweep: does the rule trigger at each threshold (None: unevaluated)?
        let sweep = match m.sweep_rule {
            Some(ri) => {
                let score = r
                    .outcomes
                    .iter()
                    .find(|o| o.rule == ri)
                    .and_then(|o| o.score);
                m.thresholds
                    .iter()
                    .map(|t| score.map(|sc| sc >= *t))
                    .collect()
            }
            None => Vec::new(),
        };
        // Only a comparison shows the content (as excerpts).
        if b.is_none() && !m.replaying {
            e.drop_content();
        }
        if !m.keep_outcomes {
            r.outcomes = Vec::new();
        }
        Ok(Evaluated {
            facts: Facts::of(m.program, &e),
            event: e,
            result: r,
            baseline: b,
            sweep,
        })
    }
}

/// Runs the simulation. `events_out` receives one JSON line per event.
pub fn run(
    program: &Program,
    baseline: Option<&Program>,
    cfg: &Config,
    mut events_out: Option<&mut dyn Write>,
) -> Result<Summary, Fatal> {
    let set = RuleSet::build(program);
    let base_set = baseline.map(RuleSet::build);
    let exempt = rule_exemption(program);
    let base_exempt = baseline.map(rule_exemption);
    let sweep_rule = match &cfg.sweep {
        Some(name) => Some(
            set.rules
                .iter()
                .position(|r| &r.id == name || &r.name == name)
                .filter(|&i| set.rules.get(i).is_some_and(|r| r.provider.is_some() || r.llm_check))
                .ok_or_else(|| Fatal(format!("--sweep: no model-tier rule `{name}` (give a rule name or id with a provider or llm_check)")))?,
        ),
        None => None,
    };
    let thresholds: Vec<f64> = (1..=19).map(|i| f64::from(i) * 0.05).collect();
    let pool = pool(cfg.threads)?;
    let mut s = Summary {
        flips: baseline.map(|_| BTreeMap::new()),
        not_simulated: unsimulated::unsimulated(program),
        ..Summary::default()
    };
    let mut sweep_counts = vec![(0usize, 0usize); thresholds.len()];
    let mut gov = Governance::default();
    let mut base_gov = Governance::default();
    let mut replay = Replay::new(program, &set);
    let mut base_replay = match (baseline, base_set.as_ref()) {
        (Some(bp), Some(bs)) => Some(Replay::new(bp, bs)),
        _ => None,
    };
    let replaying = replay.active() || base_replay.as_ref().is_some_and(Replay::active);
    let mut fold_tally = RuleTally(Vec::new());
    let shared = Mapping {
        program,
        baseline,
        set: &set,
        base_set: base_set.as_ref(),
        exempt: &exempt,
        base_exempt: base_exempt.as_ref().map(|x| x as &Exempt),
        opts: Options::default(),
        sweep_rule,
        thresholds: &thresholds,
        // Each rule's outcomes are needed again for `--events`, for the
        // budget replay, and to mask what they found in changed events.
        keep_outcomes: events_out.is_some() || replaying || baseline.is_some(),
        mask: events_out.is_some() && !cfg.show_matches,
        replaying,
    };
    let mapper = |thread| {
        let mine = Mapper::new(&shared, thread);
        move |rec: Record, tally: &mut RuleTally| mine.map(rec, tally)
    };
    let tally = pipeline::run(&cfg.traces, pool.as_ref(), mapper, |name, item| {
        let Evaluated {
            event: e,
            result: r,
            baseline: b,
            facts,
            sweep: sw,
        } = match item {
            Err(NotEvent::Skipped { kind, line, fatal }) => {
                if cfg.strict && *fatal {
                    return Err(Fatal(format!(
                        "{name}:{line}: no GenAI content to replay ({kind}); --strict makes a skipped line fatal"
                    )));
                }
                *s.skipped.entry(kind).or_default() += 1;
                return Ok(());
            }
            Err(NotEvent::Malformed {
                line,
                column,
                message,
            }) => {
                let m = Malformed {
                    file: name.to_string(),
                    line: *line,
                    column: *column,
                    // A message may quote what the line holds.
                    message: if cfg.show_matches {
                        message.clone()
                    } else {
                        mask::mask(message, &[])
                    },
                };
                if cfg.strict {
                    return Err(Fatal(format!(
                        "{}: malformed trace line: {}",
                        m.location(),
                        m.message
                    )));
                }
                s.malformed_count += 1;
                if s.malformed.len() < KEEP_MALFORMED {
                    s.malformed.push(m);
                }
                return Ok(());
            }
            Ok(x) => x,
        };
        // A spent evaluation budget changes what the events after it are
        // evaluated with: known only here, in trace order.
        let again;
        let r = match replay.options(facts.timestamp) {
            o if o.is_plain() => r,
            o => {
                let mut r = evaluate(&set, &exempt, e, &o);
                if shared.mask {
                    mask::mask_result(&mut r, e);
                }
                again = r;
                &again
            }
        };
        if replaying {
            fold_tally.count(set.rules.len(), &r.outcomes);
        }
        let mut g = gov.step_facts(program, facts);
        g.extend(replay.charge(facts.timestamp, &r.outcomes));
        replay.record(e, &r.outcomes);
        fold(&mut s, e, facts.timestamp, r, &g);
        for (i, hit) in sw.iter().enumerate() {
            if let (Some(slot), Some(h)) = (sweep_counts.get_mut(i), hit) {
                slot.1 += 1;
                if *h {
                    slot.0 += 1;
                }
            }
        }
        if let (Some((b, base_facts)), Some(bp)) = (b.as_deref(), baseline) {
            let again;
            let b = match (&mut base_replay, base_set.as_ref(), base_exempt.as_ref()) {
                (Some(br), Some(bs), Some(bx)) => {
                    let o = br.options(base_facts.timestamp);
                    let b = if o.is_plain() {
                        b
                    } else {
                        again = evaluate(bs, bx, e, &o);
                        &again
                    };
                    let _ = br.charge(base_facts.timestamp, &b.outcomes);
                    br.record(e, &b.outcomes);
                    b
                }
                _ => b,
            };
            let bg = base_gov.step_facts(bp, base_facts);
            let before = final_decision(b, &bg);
            let after = final_decision(r, &g);
            if let Some(f) = s.flips.as_mut() {
                *f.entry((before, after)).or_default() += 1;
            }
            if before != after {
                s.changed_count += 1;
                if s.changed.len() < KEEP_CHANGED {
                    s.changed.push(Changed {
                        id: e.id.clone(),
                        line: e.line,
                        before,
                        after,
                        excerpt: excerpt(e, cfg.show_matches, &{
                            let mut f = mask::found_values(r, e);
                            f.extend(mask::found_values(b, e));
                            f
                        }),
                    });
                }
            }
        }
        if let Some(w) = events_out.as_deref_mut() {
            let line = event_json(&set, e, r, &g);
            writeln!(w, "{line}").map_err(|e| Fatal(format!("cannot write events: {e}")))?;
        }
        if let Some(p) = &cfg.progress {
            p(s.events);
        }
        Ok(())
    })?;
    s.approvals = gov.approvals(program);
    let tally = if replaying { fold_tally } else { tally };
    for (rule, st) in set.rules.iter().zip(tally.0) {
        if st.seen() {
            s.rules.entry(rule.id.clone()).or_default().absorb(st);
        }
    }
    if let Some(rule) = sweep_rule.and_then(|i| set.rules.get(i)) {
        s.sweep = Some((
            rule.id.clone(),
            thresholds
                .iter()
                .zip(&sweep_counts)
                .map(|(t, (hit, n))| (*t, *hit, *n))
                .collect(),
        ));
    }
    Ok(s)
}

/// An event's decision: its rules' decision and any governance action,
/// the most restrictive winning.
pub fn final_decision(r: &EventResult, g: &[GovEvent]) -> Action {
    g.iter()
        .filter_map(GovEvent::action)
        .chain([r.decision])
        .max_by_key(|a| a.rank())
        .unwrap_or(r.decision)
}

fn fold(s: &mut Summary, e: &Event, ts: Option<Timestamp>, r: &EventResult, g: &[GovEvent]) {
    s.events += 1;
    for k in &e.unknown_fields {
        *s.unknown_fields.entry(k.clone()).or_default() += 1;
    }
    let decision = final_decision(r, g);
    *s.decisions.entry(decision).or_default() += 1;
    // Events come in time order mostly: the day's label is made once per
    // run of events on that day.
    let day = ts.map(|t| t.0.div_euclid(86_400));
    if s.last_day.as_ref().is_none_or(|(d, _)| *d != day) {
        let label = ts.map_or_else(
            || "undated".to_string(),
            |t| t.to_rfc3339().get(..10).unwrap_or("").to_string(),
        );
        s.last_day = Some((day, label));
    }
    if let Some((_, label)) = &s.last_day {
        let per_day = match s.timeline.get_mut(label) {
            Some(m) => m,
            None => s.timeline.entry(label.clone()).or_default(),
        };
        *per_day.entry(decision).or_default() += 1;
    }
    for ev in g {
        match ev {
            // Counted under a name already held: no copy of it per event.
            GovEvent::CapApplied { cap, .. } => match s.cap_applied.get_mut(&**cap) {
                Some(n) => *n += 1,
                None => {
                    s.cap_applied.insert(cap.to_string(), 1);
                }
            },
            GovEvent::Exempted { exception, .. } => {
                *s.exempted.entry(exception.clone()).or_default() += 1
            }
            other => {
                let (kind, name, note) = match other {
                    GovEvent::BudgetAlert {
                        budget, threshold, ..
                    } => (
                        "budget",
                        budget.clone(),
                        Some(format!(
                            "{}%",
                            threshold
                                .saturating_mul(crate::ir::values::Dec::from_int(100))
                                .round(0)
                        )),
                    ),
                    GovEvent::CapTripped { cap, .. } => ("cap", cap.to_string(), None),
                    GovEvent::EvalBudgetSpent { policy, period, .. } => (
                        "evaluation budget",
                        policy.clone(),
                        Some(period.to_string()),
                    ),
                    _ => ("other", String::new(), None),
                };
                let o = s.governance_objects.entry((kind, name)).or_default();
                if o.events == 0 {
                    o.first = e.id.clone();
                }
                o.events += 1;
                if let Some(n) = note {
                    if !o.notes.contains(&n) {
                        o.notes.push(n);
                    }
                }
                s.governance_count += 1;
                if s.governance.len() < KEEP_GOVERNANCE {
                    s.governance.push((e.id.clone(), other.clone()));
                }
            }
        }
    }
}
