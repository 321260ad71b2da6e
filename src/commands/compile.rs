//! `guardctl compile [PATHS...] [--target RUNTIME] [-o FILE]`: the neutral
//! bundle or a runtime's own JSON, only when lint finds no errors and the
//! target can express everything. Diagnostics go to stderr, the output to
//! stdout or FILE (written atomically).

use std::io::Write;

use super::{EXIT_OK, color, exit_for, input_errors, no_guardrail_files, print};
use crate::cli::{CompileArgs, Global};
use crate::compile::{bundle, to_text};
use crate::fsutil::write_atomic;
use crate::ir::enums::Runtime;
use crate::lint::LintOptions;
use crate::render::{self, Summary};
use crate::targets::{Input, Target};
use crate::workspace;

fn schema_of(target: Option<&dyn Target>) -> &'static str {
    target.map_or(crate::compile::SCHEMA_JSON, |t| t.schema())
}

pub fn run(global: &Global, options: &LintOptions, args: &CompileArgs) -> u8 {
    let asked = args.target.as_deref().and_then(Runtime::from_name);
    if args.schema {
        print(schema_of(asked.and_then(crate::targets::target)));
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
    let runtime = asked
        .or_else(|| crate::effective::runtime::deployed(&ws.program))
        .unwrap_or(Runtime::Guardctl);
    let target = crate::targets::target(runtime);
    // What the target cannot express, beyond what lint reported for each
    // policy's own runtime (those are among the lint diagnostics).
    let mut diagnostics = ws.diagnostics.clone();
    let mut input = None;
    if let Some(t) = target {
        let i = Input::new(&ws.program);
        for r in crate::targets::refusals(t, &i) {
            if r.deployed != runtime {
                diagnostics.push(crate::lint::rules::inexpressible_on_runtime::diagnostic(
                    &r, runtime,
                ));
            }
        }
        input = Some(i);
    }
    crate::diagnostic::sort_diagnostics(&mut diagnostics);
    let code = exit_for(&diagnostics, global.deny_warnings);
    if !diagnostics.is_empty() {
        let summary = Summary::of(ws.file_count, &diagnostics);
        let text = render::diagnostics(global.format, &diagnostics, summary, color(global, true));
        let _ = std::io::stderr().write_all(text.as_bytes());
    }
    if code != EXIT_OK {
        let what: String = match target {
            Some(_) => format!("not compiling for {runtime}"),
            None => "not compiling".into(),
        };
        crate::errln!("error: {what}: lint found problems");
        return code;
    }
    if ws.file_count == 0 {
        return no_guardrail_files(&args.inputs.paths());
    }
    let text = match (target, &input) {
        (Some(t), Some(i)) => crate::targets::to_text(&t.compile(i)),
        _ => to_text(&bundle(&ws.program)),
    };
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
