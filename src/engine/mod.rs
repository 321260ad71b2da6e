//! The evaluation engine: what a policy does to recorded traffic.
//! `trace` reads events (`event` builds them, `fast_line` reads the common
//! line shape quickly with `specials`' marks; `small_map` holds an event's
//! few headers, `scores` its recorded scores), `rules` compiles the IR into evaluation form,
//! `detect` holds the built-in detectors, `evaluate` decides one event
//! (`outcome` holds what each rule gave, and words why on demand;
//! `rewrite` the content passed on after redaction, filters and fixes), and
//! `governance` accumulates spend against budgets, caps and exceptions over
//! the trace's timeline, and `budget` what model checks cost each policy's
//! evaluation budget.

pub mod budget;
pub mod circuits;
pub mod detect;
pub mod evaluate;
pub mod event;
pub mod event_json;
mod fast_line;
pub mod gate;
pub mod governance;
pub mod normalize;
pub mod otel;
pub mod outcome;
pub mod pattern_groups;
mod phones;
pub mod rewrite;
pub mod rules;
pub mod scores;
mod sites;
pub mod small_map;
mod specials;
pub mod trace;
