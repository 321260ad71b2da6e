//! `guardctl lint [PATHS...]`: report every problem; exit 1 on errors (or
//! warnings with `--deny-warnings`).

use super::{color, exit_for, input_errors, print};
use crate::cli::{Global, PathsArgs};
use crate::lint::LintOptions;
use crate::render::{self, Summary};
use crate::workspace;

pub fn run(global: &Global, options: &LintOptions, args: &PathsArgs) -> u8 {
    let ws = match workspace::load(&args.paths(), options) {
        Ok(ws) => ws,
        Err(e) => return input_errors(global, &e.0),
    };
    super::skipped_notes(&ws);
    let summary = Summary::of(ws.file_count, &ws.diagnostics);
    print(&render::diagnostics(
        global.format,
        &ws.diagnostics,
        summary,
        color(global, false),
    ));
    exit_for(&ws.diagnostics, global.deny_warnings)
}
