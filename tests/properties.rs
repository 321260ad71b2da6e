//! Property tests over generated input:
//! - fmt is idempotent and never changes meaning: compile(fmt(x)) == compile(x);
//! - every condition tree's CEL preview parses and passes the checker;
//! - no input, however broken, panics the pipeline, and every diagnostic
//!   points inside its file.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::sync::Arc;

use guardctl::compile::{bundle, without_locations};
use guardctl::fmt::format_text;
use guardctl::ir::values::Timestamp;
use guardctl::lint::LintOptions;
use guardctl::source::SourceFile;
use guardctl::syntax::FileKind;
use guardctl::workspace::build;
use proptest::prelude::*;

fn options() -> LintOptions {
    LintOptions {
        now: Timestamp::parse("2026-11-21").unwrap(),
    }
}

fn workspace(name: &str, text: &str, kind: FileKind) -> guardctl::workspace::Workspace {
    build(
        vec![(SourceFile::new(name, text.to_string()), kind, true)],
        Vec::new(),
        0,
        &options(),
    )
}

// ---- generated policy files -------------------------------------------------

#[derive(Debug, Clone, Copy)]
enum Quote {
    Plain,
    Single,
    Double,
    Literal,
    Folded,
}

#[derive(Debug, Clone)]
struct Style {
    indent: usize,
    flow_lists: bool,
    quote: Quote,
    comments: bool,
    blank_lines: bool,
}

#[derive(Debug, Clone)]
struct GenRule {
    name: String,
    kind: &'static str,
    action: &'static str,
    entities: Vec<&'static str>,
    check: Option<&'static str>,
    when: Option<(&'static str, &'static str, String)>,
    priority: Option<u32>,
    message: Option<String>,
}

fn plain_safe(s: &str) -> bool {
    !s.is_empty()
        && s.trim() == s
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.ends_with(':')
        && !s.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@`".contains(c))
        && matches!(
            guardctl::syntax::scalar::resolve_plain(s),
            guardctl::syntax::Value::Str(_)
        )
}

fn scalar(s: &str, quote: Quote, indent: &str) -> String {
    match quote {
        Quote::Plain if plain_safe(s) => s.to_string(),
        Quote::Single if !s.contains('\n') => format!("'{}'", s.replace('\'', "''")),
        Quote::Literal if !s.is_empty() && !s.starts_with(' ') && !s.ends_with(' ') => {
            format!("|-\n{indent}{s}")
        }
        Quote::Folded
            if !s.is_empty() && !s.starts_with(' ') && !s.contains("  ") && !s.ends_with(' ') =>
        {
            format!(">-\n{indent}{s}")
        }
        _ => serde_json::to_string(s).unwrap(),
    }
}

fn list(items: &[String], flow: bool, pad: &str) -> String {
    if flow || items.is_empty() {
        format!(" [{}]", items.join(", "))
    } else {
        items.iter().map(|i| format!("\n{pad}- {i}")).collect()
    }
}

fn render(rules: &[GenRule], st: &Style) -> String {
    let one = " ".repeat(st.indent);
    let two = one.repeat(2);
    let three = one.repeat(3);
    let mut out = String::new();
    if st.comments {
        out.push_str("# generated policy\n");
    }
    out.push_str("POLICY:\n");
    out.push_str(&format!("{one}name: generated\n{one}scope: tenant\n"));
    if st.blank_lines {
        out.push('\n');
    }
    out.push_str("GUARDRAILS:\n");
    for r in rules {
        if st.comments {
            out.push_str(&format!("{one}# rule {}\n", r.name));
        }
        out.push_str(&format!("{one}{}:", r.name));
        out.push_str(if st.comments { "   # trailing\n" } else { "\n" });
        out.push_str(&format!("{two}kind: {}\n", r.kind));
        out.push_str(&format!("{two}action: {}\n", r.action));
        if !r.entities.is_empty() {
            let items: Vec<String> = r.entities.iter().map(|e| e.to_string()).collect();
            out.push_str(&format!(
                "{two}entities:{}\n",
                list(&items, st.flow_lists, &three)
            ));
        }
        if let Some(c) = r.check {
            out.push_str(&format!("{two}check: {}\n", scalar(c, st.quote, &three)));
        }
        if let Some((field, op, value)) = &r.when {
            let v = scalar(value, Quote::Double, &three);
            if st.flow_lists {
                out.push_str(&format!(
                    "{two}when: {{field: {field}, operator: {op}, value: {v}}}\n"
                ));
            } else {
                out.push_str(&format!(
                    "{two}when:\n{three}field: {field}\n{three}operator: {op}\n{three}value: {v}\n"
                ));
            }
        }
        if let Some(p) = r.priority {
            out.push_str(&format!("{two}priority: {p}\n"));
        }
        if let Some(m) = &r.message {
            out.push_str(&format!("{two}message: {}\n", scalar(m, st.quote, &three)));
        }
        if st.blank_lines {
            out.push('\n');
        }
    }
    out
}

fn gen_rule() -> impl Strategy<Value = GenRule> {
    (
        "[a-z][a-z0-9_]{0,8}",
        prop::sample::select(vec![
            "input",
            "output",
            "both",
            "tool_input",
            "tool_output",
            "handoff",
        ]),
        prop::sample::select(vec![
            "allow", "log", "alert", "warn", "redact", "mask", "block", "escalate",
        ]),
        prop::collection::vec(
            prop::sample::select(vec![
                "EMAIL_ADDRESS",
                "US_SSN",
                "CREDIT_CARD",
                "API_KEY",
                "JWT",
            ]),
            0..3,
        ),
        prop::option::of(prop::sample::select(vec![
            "!contains_pii(text)",
            "size(text) < 4000 && !text.contains('DROP TABLE')",
            "word_count(text) <= 500 || identity.team == 'ops'",
            "tool_parameters.amount <= 500",
        ])),
        prop::option::of((
            prop::sample::select(vec![
                "model",
                "identity.team",
                "headers.x-env",
                "metadata.channel",
            ]),
            prop::sample::select(vec!["eq", "neq", "starts_with", "contains"]),
            "[a-z0-9 :#'\"-]{1,12}",
        )),
        prop::option::of(0u32..500),
        prop::option::of("[a-zA-Z0-9 :#'\"!?.-]{0,30}"),
    )
        .prop_map(
            |(name, kind, action, mut entities, check, when, priority, message)| {
                entities.dedup();
                let check = if entities.is_empty() && check.is_none() {
                    Some("is_safe(text)")
                } else {
                    check
                };
                GenRule {
                    name,
                    kind,
                    action,
                    entities,
                    check,
                    when,
                    priority,
                    message,
                }
            },
        )
}

fn gen_style() -> impl Strategy<Value = Style> {
    (
        2usize..=4,
        any::<bool>(),
        prop::sample::select(vec![
            Quote::Plain,
            Quote::Single,
            Quote::Double,
            Quote::Literal,
            Quote::Folded,
        ]),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(indent, flow_lists, quote, comments, blank_lines)| Style {
            indent,
            flow_lists,
            quote,
            comments,
            blank_lines,
        })
}

fn gen_rules() -> impl Strategy<Value = Vec<GenRule>> {
    prop::collection::vec(gen_rule(), 1..6).prop_map(|mut v| {
        let mut seen = std::collections::HashSet::new();
        v.retain(|r| seen.insert(r.name.clone()));
        v
    })
}

fn fmt_properties(
    name: &str,
    text: &str,
    kind: FileKind,
    lint_clean: bool,
) -> Result<(), TestCaseError> {
    let file = SourceFile::new(name, text.to_string());
    let ws = workspace(name, text, kind);
    prop_assert!(
        !lint_clean || ws.errors() == 0,
        "generated file must lint clean: {:?}\n{}",
        ws.diagnostics
            .iter()
            .map(|d| d.message.clone())
            .collect::<Vec<_>>(),
        text
    );
    let once = format_text(&file, kind).map_err(|d| {
        TestCaseError::fail(format!(
            "fmt failed: {:?}\n{text}",
            d.iter().map(|d| &d.message).collect::<Vec<_>>()
        ))
    })?;
    let twice = format_text(&SourceFile::new(name, once.clone()), kind)
        .map_err(|_| TestCaseError::fail("fmt of fmt failed"))?;
    prop_assert_eq!(&once, &twice, "fmt is not idempotent");
    let before = bundle(&ws.program);
    let after = bundle(&workspace(name, &once, kind).program);
    prop_assert_eq!(&before["digest"], &after["digest"]);
    prop_assert_eq!(without_locations(&before), without_locations(&after));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn fmt_is_idempotent_and_keeps_meaning(rules in gen_rules(), st in gen_style()) {
        let text = render(&rules, &st);
        fmt_properties("gen.yaml", &text, FileKind::Policy, true)?;
    }

    #[test]
    fn fmt_keeps_meaning_of_agent_files(rules in gen_rules(), st in gen_style()) {
        let policy = render(&rules, &st);
        let guardrails = policy.split("GUARDRAILS:\n").nth(1).unwrap_or("");
        let text = format!("AGENT: Gen_Bot\nTOOLS:\n  lookup(id: string) -> {{ weird: [ }}\nGUARDRAILS:\n{guardrails}FLOW:\n  a -> b\n");
        fmt_properties("gen.abl", &text, FileKind::Agent, true)?;
    }
}

/// Layout noise a hand-edited file picks up: trailing spaces, runs of blank
/// lines, comment lines at any indentation, `\r\n` on some lines, a value
/// moved to the line after its key.
#[derive(Debug, Clone, Copy)]
enum Noise {
    TrailingSpaces(usize),
    BlankLines(usize),
    Comment(usize),
    Crlf,
    /// `key: value` becomes `key:` and the value on the next line.
    ValueDown,
}

fn gen_noise() -> impl Strategy<Value = Vec<(prop::sample::Index, Noise)>> {
    prop::collection::vec(
        (
            any::<prop::sample::Index>(),
            prop_oneof![
                (1usize..4).prop_map(Noise::TrailingSpaces),
                (1usize..4).prop_map(Noise::BlankLines),
                (0usize..9).prop_map(Noise::Comment),
                Just(Noise::Crlf),
                Just(Noise::ValueDown),
            ],
        ),
        1..8,
    )
}

fn add_noise(text: &str, noise: &[(prop::sample::Index, Noise)]) -> String {
    // (line, ends in `\r\n`)
    let mut lines: Vec<(String, bool)> = text.lines().map(|l| (l.to_string(), false)).collect();
    for (at, n) in noise {
        let i = at.index(lines.len());
        match *n {
            Noise::TrailingSpaces(k) => lines[i].0.push_str(&" ".repeat(k)),
            Noise::BlankLines(k) => {
                for _ in 0..k {
                    lines.insert(i, (String::new(), false));
                }
            }
            Noise::Comment(k) => lines.insert(i, (format!("{}# note", " ".repeat(k)), false)),
            Noise::Crlf => lines[i].1 = true,
            Noise::ValueDown => {
                let line = lines[i].0.clone();
                let indent = line.len() - line.trim_start().len();
                if let Some((key, value)) = line.split_once(": ") {
                    let simple = !key.trim_start().starts_with(['-', '#'])
                        && !value.starts_with(['|', '>', '#'])
                        && !value.trim().is_empty();
                    if simple {
                        lines[i].0 = format!("{key}:");
                        let down = format!("{}{value}", " ".repeat(indent + 2));
                        lines.insert(i + 1, (down, false));
                    }
                }
            }
        }
    }
    lines
        .iter()
        .map(|(l, crlf)| format!("{l}{}\n", if *crlf { "\r" } else { "" }))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Whatever layout noise does to a file, if it still reads without
    /// error, fmt formats it, keeps its meaning and is idempotent.
    #[test]
    fn fmt_keeps_meaning_under_layout_noise(
        rules in gen_rules(),
        st in gen_style(),
        noise in gen_noise(),
    ) {
        let text = add_noise(&render(&rules, &st), &noise);
        prop_assume!(workspace("noisy.yaml", &text, FileKind::Policy).errors() == 0);
        fmt_properties("noisy.yaml", &text, FileKind::Policy, true)?;
    }
}

#[test]
fn examples_format_idempotently_and_keep_meaning() {
    for entry in walkdir::WalkDir::new("examples").sort_by_file_name() {
        let e = entry.unwrap();
        let path = e.path().to_string_lossy().to_string();
        let Some(kind) = FileKind::of_path(&path) else {
            continue;
        };
        let text = std::fs::read_to_string(e.path()).unwrap();
        // Alone, an agent file may lack the policy its overrides inherit from.
        fmt_properties(&path, &text, kind, false).unwrap();
        // The shipped examples are already formatted.
        assert_eq!(
            format_text(&SourceFile::new(path.clone(), text.clone()), kind).unwrap(),
            text,
            "{path} is not formatted"
        );
    }
}

// ---- semantic diff ------------------------------------------------------------

/// Rules drawn from a pool of four names, so that two draws share rules
/// (modified), miss some (added, removed) and now and then hold one body
/// under two names (renamed).
fn gen_pool_rules() -> impl Strategy<Value = Vec<GenRule>> {
    prop::collection::vec((0usize..4, gen_rule()), 0..5).prop_map(|v| {
        let mut seen = std::collections::HashSet::new();
        v.into_iter()
            .filter(|(i, _)| seen.insert(*i))
            .map(|(i, mut r)| {
                r.name = format!("rule_{i}");
                r
            })
            .collect()
    })
}

/// `rules` rendered plainly and read.
fn plain_workspace(rules: &[GenRule]) -> guardctl::workspace::Workspace {
    let st = Style {
        indent: 2,
        flow_lists: false,
        quote: Quote::Double,
        comments: false,
        blank_lines: false,
    };
    workspace("p.yaml", &render(rules, &st), FileKind::Policy)
}

fn side(rules: &[GenRule]) -> guardctl::diff::Side {
    let ws = plain_workspace(rules);
    assert_eq!(ws.errors(), 0, "generated policy must lint clean");
    guardctl::diff::Side::of(&ws.program)
}

/// A change as seen from the other side: `old -> new` read backwards.
/// Objects are named by their name on the new side of the reversed diff.
fn mirrored(changes: &[guardctl::diff::Change]) -> Vec<String> {
    use guardctl::diff::{Class, What};
    let renamed: std::collections::HashMap<&str, &str> = changes
        .iter()
        .filter_map(|c| Some((c.object.as_str(), c.renamed_from.as_deref()?)))
        .collect();
    let mut v: Vec<String> = changes
        .iter()
        .map(|c| {
            let what = match c.what {
                What::Added => What::Removed,
                What::Removed => What::Added,
                w => w,
            };
            let class = match c.class {
                Class::Looser => Class::Tighter,
                Class::Tighter => Class::Looser,
                k => k,
            };
            let object = renamed.get(c.object.as_str()).copied().unwrap_or(&c.object);
            let from = c.renamed_from.as_ref().map(|_| c.object.clone());
            format!(
                "{:?} {object} {from:?} {:?} {what:?} {class:?} {} -> {}",
                c.object_type, c.field, c.new, c.old
            )
        })
        .collect();
    v.sort();
    v
}

fn plain(changes: &[guardctl::diff::Change]) -> Vec<String> {
    let mut v: Vec<String> = changes
        .iter()
        .map(|c| {
            format!(
                "{:?} {} {:?} {:?} {:?} {:?} {} -> {}",
                c.object_type, c.object, c.renamed_from, c.field, c.what, c.class, c.old, c.new
            )
        })
        .collect();
    v.sort();
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// A policy compared with itself has no changes, and the diff from B
    /// to A is the diff from A to B read backwards: every addition a
    /// removal, every tighter change a looser one, the same fields.
    #[test]
    fn diff_is_empty_on_itself_and_mirrors_when_reversed(
        a in gen_pool_rules(),
        b in gen_pool_rules(),
    ) {
        let (sa, sb) = (side(&a), side(&b));
        prop_assert!(guardctl::diff::diff(&sa, &sa).is_empty());
        let forward = guardctl::diff::diff(&sa, &sb);
        let backward = guardctl::diff::diff(&sb, &sa);
        prop_assert_eq!(mirrored(&forward), plain(&backward));
    }
}

/// The example policies with some `key: value` lines given another
/// value that key has somewhere in the examples, and some lines dropped:
/// edits that mostly still lint clean and touch every object type.
fn edited_example(which: usize, edits: &[(usize, usize, bool)]) -> String {
    let texts: Vec<String> = [
        "examples/policies/payments.yaml",
        "examples/policies/tenant.yaml",
    ]
    .iter()
    .map(|p| std::fs::read_to_string(p).unwrap())
    .collect();
    let scalar = regex::Regex::new(r"^(\s*-?\s*)([a-z_]+): (\S.*)$").unwrap();
    let mut values: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for line in texts.iter().flat_map(|t| t.lines()) {
        if let Some(c) = scalar.captures(line) {
            values
                .entry(c[2].to_string())
                .or_default()
                .push(c[3].to_string());
        }
    }
    let mut lines: Vec<String> = texts[which % texts.len()]
        .lines()
        .map(String::from)
        .collect();
    for (at, pick, drop) in edits {
        let i = at % lines.len();
        if *drop {
            lines.remove(i);
            continue;
        }
        let Some(c) = scalar.captures(&lines[i]) else {
            continue;
        };
        let choices = &values[&c[2]];
        lines[i] = format!("{}{}: {}", &c[1], &c[2], choices[pick % choices.len()]);
    }
    lines.iter().map(|l| format!("{l}\n")).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// The same on edits of the example policies, whose providers,
    /// budgets, caps, chains and exceptions the generated rules lack.
    #[test]
    fn diff_mirrors_on_edited_examples(
        which in 0usize..2,
        a in prop::collection::vec((0usize..1000, 0usize..1000, prop::bool::weighted(0.2)), 0..4),
        b in prop::collection::vec((0usize..1000, 0usize..1000, prop::bool::weighted(0.2)), 1..4),
    ) {
        let (ta, tb) = (edited_example(which, &a), edited_example(which, &b));
        let (wa, wb) = (workspace("a.yaml", &ta, FileKind::Policy), workspace("b.yaml", &tb, FileKind::Policy));
        prop_assume!(wa.errors() == 0 && wb.errors() == 0);
        let (sa, sb) = (guardctl::diff::Side::of(&wa.program), guardctl::diff::Side::of(&wb.program));
        prop_assert!(guardctl::diff::diff(&sa, &sa).is_empty());
        let forward = guardctl::diff::diff(&sa, &sb);
        let backward = guardctl::diff::diff(&sb, &sa);
        prop_assert_eq!(mirrored(&forward), plain(&backward), "\n--- a\n{}\n--- b\n{}", ta, tb);
    }
}

/// The shipped trace's events.
fn trace_events() -> Vec<guardctl::engine::event::Event> {
    use guardctl::engine::trace::{Record, parse_line};
    let text = std::fs::read("examples/traces/payments.jsonl").unwrap();
    text.split(|&b| b == b'\n')
        .enumerate()
        .filter(|(_, l)| !l.is_empty())
        .flat_map(|(i, l)| parse_line(i + 1, 0, l))
        .filter_map(|r| match r {
            Record::Event(e) => Some(*e),
            _ => None,
        })
        .collect()
}

/// The rank of each event's decision under `rules`.
fn decisions(rules: &[GenRule], events: &[guardctl::engine::event::Event]) -> Vec<u8> {
    program_decisions(&plain_workspace(rules).program, events)
}

fn program_decisions(
    program: &guardctl::ir::Program,
    events: &[guardctl::engine::event::Event],
) -> Vec<u8> {
    use guardctl::engine::evaluate::{Options, evaluate};
    let set = guardctl::engine::rules::RuleSet::build(program);
    events
        .iter()
        .map(|e| {
            evaluate(&set, &|_, _| None, e, &Options::default())
                .decision
                .rank()
        })
        .collect()
}

/// `a` with some fields of some rules taken from `other`, some rules
/// dropped, and some of `other` added: one-field edits as a pull request
/// makes them.
fn edited(a: &[GenRule], other: &[GenRule], edits: &[(usize, u8)]) -> Vec<GenRule> {
    let mut b = a.to_vec();
    for &(at, what) in edits {
        let Some(o) = other.get(at % other.len().max(1)).cloned() else {
            continue;
        };
        if b.is_empty() || what == 7 {
            if !b.iter().any(|r| r.name == o.name) {
                b.push(o);
            }
            continue;
        }
        let i = at % b.len();
        let r = &mut b[i];
        match what {
            0 => r.action = o.action,
            1 => r.entities = o.entities,
            2 => r.check = o.check,
            3 => r.when = o.when,
            4 => r.kind = o.kind,
            5 => r.message = o.message,
            _ => {
                b.remove(i);
            }
        }
        // A rule needs something to detect.
        if let Some(r) = b.get_mut(i) {
            if r.entities.is_empty() && r.check.is_none() {
                r.check = Some("is_safe(text)");
            }
        }
    }
    b
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// What `diff` calls tighter is tighter on real traffic: when every
    /// change is tighter or neutral, no event of the shipped trace gets a
    /// weaker decision; looser or neutral, no stronger one; all neutral,
    /// the very same.
    #[test]
    fn diff_classes_hold_on_the_trace(
        a in gen_pool_rules(),
        other in prop::collection::vec(gen_rule(), 1..4).prop_map(|v| {
            v.into_iter().enumerate().map(|(i, mut r)| { r.name = format!("rule_{}", i + 2); r }).collect::<Vec<_>>()
        }),
        edits in prop::collection::vec((any::<usize>(), 0u8..8), 1..3),
    ) {
        let b = edited(&a, &other, &edits);
        let changes = guardctl::diff::diff(&side(&a), &side(&b));
        let Some(tighter) = direction(&changes) else { return Err(TestCaseError::reject("mixed")) };
        let events = trace_events();
        decisions_move(tighter, &changes, &decisions(&a, &events), &decisions(&b, &events))?;
    }

    /// The same on edits of the example policies (thresholds, fail modes,
    /// providers, patterns, conditions).
    #[test]
    fn diff_classes_hold_on_edited_examples(
        which in 0usize..2,
        edits in prop::collection::vec((0usize..1000, 0usize..1000, prop::bool::weighted(0.2)), 1..3),
    ) {
        let (ta, tb) = (edited_example(which, &[]), edited_example(which, &edits));
        let (wa, wb) = (workspace("a.yaml", &ta, FileKind::Policy), workspace("b.yaml", &tb, FileKind::Policy));
        prop_assume!(wb.errors() == 0);
        let changes = guardctl::diff::diff(&guardctl::diff::Side::of(&wa.program), &guardctl::diff::Side::of(&wb.program));
        let Some(tighter) = direction(&changes) else { return Err(TestCaseError::reject("mixed")) };
        let events = trace_events();
        decisions_move(tighter, &changes, &program_decisions(&wa.program, &events), &program_decisions(&wb.program, &events))?;
    }
}

/// Whether every change is tighter or neutral (`Some(true)`), looser or
/// neutral (`Some(false)`), or neither.
fn direction(changes: &[guardctl::diff::Change]) -> Option<bool> {
    use guardctl::diff::Class;
    let only = |ok: Class| {
        changes
            .iter()
            .all(|c| c.class == ok || c.class == Class::Neutral)
    };
    if only(Class::Tighter) {
        Some(true)
    } else if only(Class::Looser) {
        Some(false)
    } else {
        None
    }
}

/// Decisions move only the way the changes say: up (or not at all) when
/// `tighter`, else down (or not at all).
fn decisions_move(
    tighter: bool,
    changes: &[guardctl::diff::Change],
    before: &[u8],
    after: &[u8],
) -> Result<(), TestCaseError> {
    let classes: Vec<String> = changes
        .iter()
        .map(|c| format!("{} {:?} {:?}", c.object, c.field, c.class))
        .collect();
    for (i, (x, y)) in before.iter().zip(after).enumerate() {
        prop_assert!(
            if tighter { y >= x } else { y <= x },
            "event {} went from rank {} to {} on changes {:?}",
            i + 1,
            x,
            y,
            classes
        );
    }
    Ok(())
}

// ---- condition trees ----------------------------------------------------------

fn gen_leaf() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec![
            "model",
            "identity.team",
            "identity.roles",
            "headers.x-env",
            "metadata.channel",
            "tokens.total",
            "cost_usd",
            "project",
            "agent",
            "kind",
        ]),
        prop::sample::select(vec![
            "eq",
            "neq",
            "gt",
            "gte",
            "lt",
            "lte",
            "in",
            "not_in",
            "contains",
            "starts_with",
            "ends_with",
            "matches",
            "exists",
        ]),
        "[a-z0-9 \"'\\\\.-]{0,8}",
        0i64..1000,
    )
        .prop_map(|(field, op, s, n)| {
            // Each operator on a field of a type it applies to (an
            // ill-typed leaf is a lint error, GC211).
            let field = match op {
                "gt" | "gte" | "lt" | "lte" if !matches!(field, "tokens.total" | "cost_usd") => {
                    "tokens.total"
                }
                "contains" | "starts_with" | "ends_with" | "matches"
                    if matches!(field, "tokens.total" | "cost_usd") =>
                {
                    "model"
                }
                "starts_with" | "ends_with" | "matches" if field == "identity.roles" => "model",
                _ => field,
            };
            let value = match op {
                "in" | "not_in" => format!("[{}, {}]", serde_json::to_string(&s).unwrap(), n),
                "gt" | "gte" | "lt" | "lte" => n.to_string(),
                "matches" => "'^[a-z]+$'".to_string(),
                "exists" => return format!("{{field: {field}, operator: exists}}"),
                _ => serde_json::to_string(&s).unwrap(),
            };
            format!("{{field: {field}, operator: {op}, value: {value}}}")
        })
}

fn gen_tree() -> impl Strategy<Value = String> {
    gen_leaf().prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 1..4)
                .prop_map(|v| format!("{{all: [{}]}}", v.join(", "))),
            prop::collection::vec(inner.clone(), 1..4)
                .prop_map(|v| format!("{{any: [{}]}}", v.join(", "))),
            inner.prop_map(|c| format!("{{not: {c}}}")),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn every_tree_has_a_valid_cel_preview(tree in gen_tree()) {
        let text = format!("GUARDRAILS:\n  r:\n    kind: input\n    check: \"is_safe(text)\"\n    when: {tree}\n");
        let ws = workspace("tree.yaml", &text, FileKind::Policy);
        prop_assert_eq!(ws.errors(), 0, "{:?}\n{}", ws.diagnostics.iter().map(|d| d.message.clone()).collect::<Vec<_>>(), text);
        let rule = ws.program.rules.first().unwrap();
        let cel = rule.when.as_ref().unwrap().to_cel();
        let ast = guardctl::cel::parse(&cel).map_err(|e| TestCaseError::fail(format!("preview `{cel}` does not parse: {}", e.message)))?;
        let problems = guardctl::cel::check::check(&ast);
        prop_assert!(problems.is_empty(), "preview `{}` fails the checker: {:?}", cel, problems);
    }
}

// ---- robustness ---------------------------------------------------------------

fn assert_well_formed(ws: &guardctl::workspace::Workspace) -> Result<(), TestCaseError> {
    for d in &ws.diagnostics {
        let Some(f) = &d.file else { continue };
        prop_assert!(
            d.span.start <= d.span.end && d.span.end <= f.text.len(),
            "span out of bounds: {:?} in {} bytes",
            d.span,
            f.text.len()
        );
        prop_assert!(
            f.text.is_char_boundary(d.span.start) && f.text.is_char_boundary(d.span.end),
            "span splits a character"
        );
    }
    Ok(())
}

fn mutate(base: &str, edits: &[(usize, u8, String)]) -> String {
    let mut s = base.to_string();
    for (pos, op, text) in edits {
        let mut at = pos % (s.len() + 1);
        while !s.is_char_boundary(at) {
            at -= 1;
        }
        match op % 3 {
            0 => s.insert_str(at, text),
            1 => {
                let mut end = (at + text.len()).min(s.len());
                while !s.is_char_boundary(end) {
                    end -= 1;
                }
                s.replace_range(at..end, "");
            }
            _ => {
                let mut end = (at + 1).min(s.len());
                while !s.is_char_boundary(end) {
                    end += 1;
                }
                s.replace_range(at..end, text);
            }
        }
    }
    s
}

fn example_texts() -> Vec<(String, FileKind)> {
    let mut v = Vec::new();
    for entry in walkdir::WalkDir::new("examples").sort_by_file_name() {
        let e = entry.unwrap();
        let path = e.path().to_string_lossy().to_string();
        if let Some(kind) = FileKind::of_path(&path) {
            v.push((std::fs::read_to_string(e.path()).unwrap(), kind));
        }
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn mutated_examples_never_panic(
        which in 0usize..4,
        edits in prop::collection::vec((any::<usize>(), any::<u8>(), "[ \\t\\n:#\\[\\]{}\"'|>&*!%@`,?a-z0-9é-]{0,6}"), 1..6),
    ) {
        let texts = example_texts();
        let (base, kind) = &texts[which % texts.len()];
        let text = mutate(base, &edits);
        let ws = workspace("m", &text, *kind);
        assert_well_formed(&ws)?;
        if ws.errors() == 0 {
            let _ = bundle(&ws.program);
        }
        let _ = format_text(&SourceFile::new("m", text.clone()), *kind);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "(GUARDRAILS:\\n|POLICY:\\n|AGENT: a\\n)?[ -~\\t\\n\\u{e9}\\u{1F600}]{0,200}") {
        for kind in [FileKind::Policy, FileKind::Agent] {
            let ws = workspace("a", &text, kind);
            assert_well_formed(&ws)?;
            let _ = format_text(&SourceFile::new("a", text.clone()), kind);
        }
    }

    #[test]
    fn arbitrary_cel_never_panics(text in "[ -~]{0,60}") {
        let _ = guardctl::cel::parse(&text).map(|e| guardctl::cel::check::check(&e));
    }

    /// Brackets, quotes, escapes and unary operators in any mix: what the
    /// pre-parse count takes for literal text must be literal text to the
    /// parser too, or real nesting would slip past the count and overflow
    /// the stack.
    #[test]
    fn bracket_and_quote_soup_never_overflows(
        tokens in prop::collection::vec(prop::sample::select(vec![
            "(", ")", "[", "]", "{", "}", "'", "\"", "'''", "\"\"\"", "\\", "`", "a", ".", "+",
            "-", "!", " ", "\n", "r", "b", "1", ",", "((((((((((", "!!!!!!!!!!",
        ]), 0..400),
    ) {
        let text: String = tokens.concat();
        let _ = guardctl::cel::parse(&text).map(|e| guardctl::cel::check::check(&e));
    }
}

#[test]
fn deep_nesting_is_bounded() {
    let deep_flow = format!(
        "GUARDRAILS: {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let ws = workspace("deep", &deep_flow, FileKind::Policy);
    assert!(ws.errors() > 0);
    let deep_dash = format!("GUARDRAILS:\n  x: \n{}a\n", "- ".repeat(50_000));
    let ws = workspace("deep", &deep_dash, FileKind::Policy);
    assert!(ws.errors() > 0);
    let mut deep_block = String::from("GUARDRAILS:\n");
    for i in 1..5_000 {
        deep_block.push_str(&" ".repeat(i));
        deep_block.push_str("k:\n");
    }
    let ws = workspace("deep", &deep_block, FileKind::Policy);
    assert!(ws.errors() > 0);
    let deep_cel = format!(
        "GUARDRAILS:\n  r:\n    kind: input\n    check: \"{}true{}\"\n",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    let ws = workspace("deep", &deep_cel, FileKind::Policy);
    assert!(ws.errors() > 0);
    let unary = format!(
        "GUARDRAILS:\n  r:\n    kind: input\n    check: \"{}true\"\n",
        "!".repeat(10_000)
    );
    assert!(workspace("deep", &unary, FileKind::Policy).errors() > 0);
    let _: Arc<SourceFile> = SourceFile::new("x", "");
}

/// Flow nesting is judged on the collections themselves: brackets left
/// open in comments and quoted text are no nesting, 64 real levels are
/// accepted and 65 are not, and even the deepest real nesting the
/// pre-parse count lets through (1,024) parses on a test thread's stack.
#[test]
fn flow_nesting_is_judged_on_real_collections() {
    let messages = |text: &str| -> Vec<String> {
        let ws = workspace("flow", text, FileKind::Policy);
        ws.diagnostics.iter().map(|d| d.message.clone()).collect()
    };
    let open_in_text = format!(
        "{}GUARDRAILS:\n  r:\n    kind: input\n    message: \"{}\"\n    \
         patterns: [\"\\\\[INST\"]\n    action: block\n",
        "# a [ note\n".repeat(100),
        "[".repeat(200)
    );
    assert_eq!(messages(&open_in_text), Vec::<String>::new());
    let nested = |n: usize| {
        format!(
            "GUARDRAILS:\n  r:\n    kind: input\n    tools: {}{}\n    action: block\n",
            "[".repeat(n),
            "]".repeat(n)
        )
    };
    let too_deep = "flow collections nest more than 64 levels deep".to_string();
    assert!(!messages(&nested(64)).contains(&too_deep));
    assert!(messages(&nested(65)).contains(&too_deep));
    assert!(messages(&nested(1024)).contains(&too_deep));
    assert!(
        messages(&nested(1025))
            .iter()
            .any(|m| m.starts_with("more than 1024"))
    );
}

// ---- condition trees against their meaning -----------------------------------

/// A generated condition tree with the spec's meaning (§4) beside its
/// YAML: the reference the CEL preview is held to.
#[derive(Debug, Clone)]
enum T {
    All(Vec<T>),
    Any(Vec<T>),
    Not(Box<T>),
    Leaf(&'static str, &'static str, serde_json::Value),
}

const WORDS: &[&str] = &["a", "ab", "b", "prod", "test"];

fn gen_meaning_leaf() -> impl Strategy<Value = T> {
    use serde_json::json;
    let word = prop::sample::select(WORDS.to_vec());
    let string_field = prop::sample::select(vec![
        "model",
        "identity.team",
        "headers.x-env",
        "metadata.channel",
        "project",
        "kind",
    ]);
    let string_op = prop::sample::select(vec![
        "eq",
        "neq",
        "in",
        "not_in",
        "contains",
        "starts_with",
        "ends_with",
        "matches",
        "exists",
    ]);
    let strings =
        (string_field, string_op, word.clone(), word.clone()).prop_map(|(f, op, a, b)| {
            let v = match op {
                "in" | "not_in" => json!([a, b]),
                "matches" => json!(format!("^{a}")),
                _ => json!(a),
            };
            T::Leaf(f, op, v)
        });
    let roles = (prop::sample::select(vec!["contains", "exists"]), word)
        .prop_map(|(op, w)| T::Leaf("identity.roles", op, json!(w)));
    let numbers = (
        prop::sample::select(vec!["tokens.total", "cost_usd"]),
        prop::sample::select(vec!["eq", "neq", "gt", "gte", "lt", "lte", "in", "not_in"]),
        0i64..4,
    )
        .prop_map(|(f, op, n)| {
            let v = match op {
                "in" | "not_in" => json!([n, n + 1]),
                _ => json!(n),
            };
            T::Leaf(f, op, v)
        });
    prop_oneof![4 => strings, 1 => roles, 1 => numbers]
}

fn gen_meaning_tree() -> impl Strategy<Value = T> {
    gen_meaning_leaf().prop_recursive(3, 16, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 1..4).prop_map(T::All),
            prop::collection::vec(inner.clone(), 1..4).prop_map(T::Any),
            inner.prop_map(|c| T::Not(Box::new(c))),
        ]
    })
}

impl T {
    fn yaml(&self) -> String {
        let group = |k: &str, items: &[T]| {
            let parts: Vec<String> = items.iter().map(T::yaml).collect();
            format!("{{{k}: [{}]}}", parts.join(", "))
        };
        match self {
            T::All(items) => group("all", items),
            T::Any(items) => group("any", items),
            T::Not(inner) => format!("{{not: {}}}", inner.yaml()),
            T::Leaf(f, "exists", _) => format!("{{field: {f}, operator: exists}}"),
            T::Leaf(f, op, v) => format!("{{field: {f}, operator: {op}, value: {v}}}"),
        }
    }

    /// The spec's meaning: a leaf on a field the event does not carry is
    /// false, except `neq` and `not_in`, which are true.
    fn holds(&self, event: &serde_json::Value) -> bool {
        match self {
            T::All(items) => items.iter().all(|t| t.holds(event)),
            T::Any(items) => items.iter().any(|t| t.holds(event)),
            T::Not(inner) => !inner.holds(event),
            T::Leaf(field, op, want) => {
                let mut v = event;
                for part in field.split('.') {
                    v = &v[part];
                }
                let v = match (*field, v) {
                    ("tokens.total", serde_json::Value::Null) => &serde_json::json!(0),
                    ("cost_usd", serde_json::Value::Null) => &serde_json::json!(0),
                    ("identity.roles", serde_json::Value::Null) => &serde_json::json!([]),
                    _ => v,
                };
                let carried = match v {
                    serde_json::Value::Null => false,
                    serde_json::Value::Array(a) => !a.is_empty() || *op != "exists",
                    _ => true,
                };
                if !carried {
                    return matches!(*op, "neq" | "not_in");
                }
                let num = |x: &serde_json::Value| x.as_f64();
                let s = v.as_str().unwrap_or("");
                let w = want.as_str().unwrap_or("");
                match *op {
                    "eq" => num(v).zip(num(want)).map_or(v == want, |(a, b)| a == b),
                    "neq" => num(v).zip(num(want)).map_or(v != want, |(a, b)| a != b),
                    "gt" => num(v).unwrap() > num(want).unwrap(),
                    "gte" => num(v).unwrap() >= num(want).unwrap(),
                    "lt" => num(v).unwrap() < num(want).unwrap(),
                    "lte" => num(v).unwrap() <= num(want).unwrap(),
                    "in" | "not_in" => {
                        let found = want
                            .as_array()
                            .unwrap()
                            .iter()
                            .any(|x| num(x).zip(num(v)).map_or(x == v, |(a, b)| a == b));
                        found == (*op == "in")
                    }
                    "contains" => match v {
                        serde_json::Value::Array(a) => a.iter().any(|x| x == want),
                        _ => s.contains(w),
                    },
                    "starts_with" => s.starts_with(w),
                    "ends_with" => s.ends_with(w),
                    "matches" => regex::Regex::new(w).unwrap().is_match(s),
                    "exists" => true,
                    other => panic!("operator {other}"),
                }
            }
        }
    }
}

/// An event that carries each field or not.
fn gen_meaning_event() -> impl Strategy<Value = serde_json::Value> {
    let word = || prop::option::of(prop::sample::select(WORDS.to_vec()));
    (
        (word(), word(), word(), word()),
        (word(), word()),
        prop::option::of(prop::collection::vec(
            prop::sample::select(WORDS.to_vec()),
            0..3,
        )),
        prop::option::of(0i64..5),
        prop::option::of(prop::sample::select(vec![0.0, 0.5, 1.0, 2.0, 3.5])),
    )
        .prop_map(
            |((model, team, env, channel), (project, kind), roles, total, cost)| {
                let mut e = serde_json::json!({"id": "e", "input": "hello"});
                let m = e.as_object_mut().unwrap();
                let mut put = |k: &str, v: Option<serde_json::Value>| {
                    if let Some(v) = v {
                        m.insert(k.into(), v);
                    }
                };
                put("model", model.map(|x| x.into()));
                put("project", project.map(|x| x.into()));
                put("kind", kind.map(|x| x.into()));
                put("cost_usd", cost.map(|x| x.into()));
                put("tokens", total.map(|t| serde_json::json!({"total": t})));
                put("headers", env.map(|x| serde_json::json!({"x-env": x})));
                put(
                    "metadata",
                    channel.map(|x| serde_json::json!({"channel": x})),
                );
                let mut identity = serde_json::Map::new();
                if let Some(t) = team {
                    identity.insert("team".into(), t.into());
                }
                if let Some(r) = roles {
                    identity.insert("roles".into(), r.into());
                }
                if !identity.is_empty() {
                    put("identity", Some(identity.into()));
                }
                e
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Tree = CEL: the engine, which evaluates a tree through its CEL
    /// preview, gives the spec's answer on events with and without each
    /// field (spec §4: missing fields).
    #[test]
    fn cel_preview_means_what_the_tree_means(tree in gen_meaning_tree(), event in gen_meaning_event()) {
        // `check: "false"` fails on every event where `when` holds.
        let text = format!(
            "GUARDRAILS:\n  r:\n    kind: input\n    check: \"false\"\n    action: block\n    when: {}\n",
            tree.yaml()
        );
        let ws = workspace("tree.yaml", &text, FileKind::Policy);
        prop_assert_eq!(ws.errors(), 0, "{:?}\n{}", ws.diagnostics.iter().map(|d| d.message.clone()).collect::<Vec<_>>(), text);
        let line = serde_json::to_vec(&event).unwrap();
        let parsed = guardctl::engine::event::Event::from_json(event.clone(), 1).unwrap();
        let fast = guardctl::engine::event::Event::from_slice_fast(&line, 1);
        let decided = program_decisions(&ws.program, std::slice::from_ref(&parsed));
        let cel = ws.program.rules[0].when.as_ref().unwrap().to_cel();
        prop_assert_eq!(
            decided[0] == guardctl::ir::enums::Action::Block.rank(),
            tree.holds(&event),
            "tree {}\npreview {}\nevent {}", tree.yaml(), cel, event
        );
        if let Some(f) = fast {
            prop_assert_eq!(f, parsed);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    /// The CEL printer the targets write with: a tree's preview, parsed and
    /// printed, parses back to the same text and decides every event as
    /// the tree does.
    #[test]
    fn printed_cel_means_what_it_was(tree in gen_meaning_tree(), event in gen_meaning_event()) {
        let preview = {
            let text = format!(
                "GUARDRAILS:\n  r:\n    kind: input\n    check: \"false\"\n    action: block\n    when: {}\n",
                tree.yaml()
            );
            let ws = workspace("tree.yaml", &text, FileKind::Policy);
            ws.program.rules[0].when.as_ref().unwrap().to_cel()
        };
        let printed = guardctl::cel::print::print(&guardctl::cel::parse(&preview).unwrap());
        let again = guardctl::cel::print::print(&guardctl::cel::parse(&printed).unwrap());
        prop_assert_eq!(&again, &printed);
        let quoted = serde_json::to_string(&printed).unwrap();
        let text = format!(
            "GUARDRAILS:\n  r:\n    kind: input\n    check: \"false\"\n    action: block\n    when: {quoted}\n"
        );
        let ws = workspace("printed.yaml", &text, FileKind::Policy);
        prop_assert_eq!(ws.errors(), 0, "{}", text);
        let parsed = guardctl::engine::event::Event::from_json(event.clone(), 1).unwrap();
        let decided = program_decisions(&ws.program, std::slice::from_ref(&parsed));
        prop_assert_eq!(
            decided[0] == guardctl::ir::enums::Action::Block.rank(),
            tree.holds(&event),
            "printed {}\nevent {}", printed, event
        );
    }
}
