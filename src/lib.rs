//! guardctl: policy-as-code for AI guardrails.
//!
//! One data flow, left to right; each stage collects every problem it can:
//!
//! ```text
//! text ─syntax─▶ spanned tree ─ir::lower─▶ typed IR (Program) ─┬─▶ lint    ─▶ diagnostics
//! (files, git                                                   ├─▶ compile ─▶ bundle JSON
//!  revisions:                                                   ├─▶ fmt     ─▶ canonical text
//!  history)                                                     ├─▶ engine  ─▶ decisions (simulate)
//!                                                               └─▶ diff    ─▶ classified changes
//!                                                                              (log, audit trail)
//! ```
//!
//! `commands/` and `render/` sit on top: they read inputs, call the stages
//! and print. Nothing below them prints.

// The bundle's rule object is one `json!` literal of some forty fields.
#![recursion_limit = "256"]

/// `eprintln!` that never panics: with standard error closed, a message
/// is lost, never the run (or its exit code).
#[macro_export]
macro_rules! errln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($t)*);
    }};
}

/// `println!` that never panics on a closed pipe (`guardctl ... | head`).
#[macro_export]
macro_rules! outln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}

pub mod audit;
pub mod cel;
pub mod cli;
pub mod commands;
pub mod compile;
pub mod config;
pub mod diagnostic;
pub mod diff;
pub mod effective;
pub mod engine;
pub mod fmt;
pub mod fsutil;
pub mod glob;
pub mod history;
pub mod init;
pub mod ir;
pub mod json;
pub mod lint;
pub mod pattern;
pub mod render;
pub mod simulate;
pub mod source;
pub mod suggest;
pub mod syntax;
pub mod targets;
pub mod workspace;
