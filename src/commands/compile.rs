//! `guardctl compile [PATHS...] [-o FILE]`: the runtime bundle, only when
//! lint finds no errors. Diagnostics go to stderr, the bundle to stdout or
//! FILE (written atomically).

use std::io::Write;

use super::{EXIT_OK, color, exit_for, input_errors, no_guardrail_files, print};
use crate::cli::{CompileArgs, Global};
use crate::compile::{bundle, to_text};
use crate::fsutil::write_atomic;
use crate::lint::LintOptions;
use crate::render::{self, Summary};
use crate::workspace;

pub fn run(global: &Global, options: &LintOptions, args: &CompileArgs) -> u8 {
    if args.schema {
        print(crate::compile::SCHEMA_JSON);
        return EXIT_OK;
    }
    if let Some(out) = &args.output {
        if let Err(msg) = crate::fsutil::refuse_input(out, &args.inputs.paths()) {
            return super::usage_error(global, &msg);
        }
    }
    let ws = match workspace::load(&args.inputs.paths(), options) {
        Ok(ws) => ws,
        Err(e) => return input_errors(global, &e.0),
    };
    super::skipped_notes(&ws);
    let code = exit_for(&ws.diagnostics, global.deny_warnings);
    if !ws.diagnostics.is_empty() {
        let summary = Summary::of(ws.file_count, &ws.diagnostics);
        let text =
            render::diagnostics(global.format, &ws.diagnostics, summary, color(global, true));
        let _ = std::io::stderr().write_all(text.as_bytes());
    }
    if code != EXIT_OK {
        crate::errln!("error: not compiling: lint found problems");
        return code;
    }
    if ws.file_count == 0 {
        return no_guardrail_files(&args.inputs.paths());
    }
    let text = to_text(&bundle(&ws.program));
    match &args.output {
        Some(path) => {
            if let Err(e) = write_atomic(path, text.as_bytes()) {
                return super::usage_error(
                    global,
                    &format!("cannot write `{}`: {e}", path.display()),
                );
            }
        }
        None => print(&text),
    }
    EXIT_OK
}
