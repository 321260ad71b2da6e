//! `guardctl fmt [--check] [PATHS...]`: rewrite files into the canonical
//! layout (atomically), or with `--check` print a unified diff and exit 1
//! for every file that is not formatted. Files with syntax errors are
//! reported and left alone. Standard input (`-`) is formatted to standard
//! output whole, as an editor's format-on-save expects.

use std::io::Write;

use super::{EXIT_FINDINGS, EXIT_OK, color, exit_for, input_errors, print};
use crate::cli::{FmtArgs, Global};
use crate::fmt::format_text;
use crate::fsutil::write_atomic;
use crate::render::{self, Summary};
use crate::syntax::looks_like_policy;
use crate::workspace::{InputErrors, discover, kind_of_read, read};

pub fn run(global: &Global, args: &FmtArgs) -> u8 {
    let mut errors = InputErrors::default();
    let inputs = discover(&args.inputs.paths(), &mut errors);
    if !errors.0.is_empty() {
        return input_errors(global, &errors.0);
    }
    let mut diags = Vec::new();
    let mut changed = Vec::new();
    let mut diff_text = String::new();
    // What `-` formats to (without `--check`).
    let mut stdout_text = String::new();
    let mut count = 0;
    for input in &inputs {
        let file = match read(input) {
            Ok(f) => f,
            Err(d) => {
                diags.push(*d);
                continue;
            }
        };
        let to_stdout = !args.check && input.path.as_os_str() == "-";
        let kind = kind_of_read(input, &file);
        if !looks_like_policy(&file.text, kind) {
            // Not ours to format: given back as it came.
            if to_stdout {
                stdout_text.push_str(&file.text);
            }
            continue;
        }
        count += 1;
        let formatted = match format_text(&file, kind) {
            Ok(t) => t,
            Err(d) => {
                diags.extend(d);
                continue;
            }
        };
        if to_stdout {
            stdout_text.push_str(&formatted);
        }
        if formatted == *file.text {
            continue;
        }
        changed.push(input.display.clone());
        if to_stdout {
            continue;
        }
        if args.check {
            let diff = similar::TextDiff::from_lines(&*file.text, &formatted);
            diff_text.push_str(
                &diff
                    .unified_diff()
                    .context_radius(3)
                    .header(&input.display, &format!("{} (formatted)", input.display))
                    .to_string(),
            );
        } else if let Err(e) = write_atomic(&input.path, formatted.as_bytes()) {
            return super::usage_error(global, &format!("cannot write `{}`: {e}", input.display));
        }
    }
    if !diags.is_empty() {
        crate::diagnostic::sort_diagnostics(&mut diags);
        let text = render::diagnostics(
            global.format,
            &diags,
            Summary::of(count, &diags),
            color(global, true),
        );
        let _ = std::io::stderr().write_all(text.as_bytes());
    }
    if global.format == crate::render::Format::Json && stdout_text.is_empty() {
        // One object: what was (or would be) reformatted, and the diff.
        print(&format!(
            "{}\n",
            serde_json::json!({
                "files": count,
                "check": args.check,
                "reformatted": changed,
                "diff": diff_text,
                "errors": diags.iter().filter(|d| d.severity == crate::diagnostic::Severity::Error).count(),
            })
        ));
        return match exit_for(&diags, false) {
            EXIT_OK if args.check && !changed.is_empty() => EXIT_FINDINGS,
            code => code,
        };
    }
    print(&diff_text);
    print(&stdout_text);
    let verb = if args.check {
        "would reformat"
    } else {
        "reformatted"
    };
    for c in &changed {
        crate::errln!("{verb} {c}");
    }
    crate::errln!("{} file(s) checked, {} {verb}", count, changed.len());
    match exit_for(&diags, false) {
        EXIT_OK if args.check && !changed.is_empty() => EXIT_FINDINGS,
        code => code,
    }
}
