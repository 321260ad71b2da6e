//! `guardctl import --from RUNTIME FILE... [-o DIR]`: a runtime's JSON
//! into canonical policy text. Without `-o`, every file is printed after a
//! `# file: PATH` line; with it, each is written under DIR, atomically and
//! never over an existing file. What could not be mapped is reported on
//! stderr (with its JSON path) and makes the exit code 1.

use super::{EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, print, usage_error};
use crate::cli::{Global, ImportArgs};
use crate::ir::enums::Runtime;
use crate::targets::import::{Imported, render};

pub fn run(global: &Global, args: &ImportArgs) -> u8 {
    let Some(target) = Runtime::from_name(&args.from).and_then(crate::targets::target) else {
        return usage_error(global, &format!("no importer for `{}`", args.from));
    };
    let mut all = Imported::default();
    let mut problems = Vec::new();
    for path in &args.files {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                return usage_error(global, &format!("cannot read `{}`: {e}", path.display()));
            }
        };
        let doc: serde_json::Value = match serde_json::from_str(&text) {
            Ok(d) => d,
            Err(e) => {
                crate::errln!(
                    "{}:{}:{}: error: not JSON: {e}",
                    path.display(),
                    e.line(),
                    e.column()
                );
                return EXIT_FINDINGS;
            }
        };
        let mut one = Imported::default();
        target.import(&doc, &mut one);
        for (at, msg) in one.problems {
            problems.push(format!("{}#{at}: warning: {msg}", path.display()));
        }
        all.files.extend(one.files);
    }
    all.files.sort_by(|a, b| a.path.cmp(&b.path));
    let mut code = if problems.is_empty() {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    };
    for p in &problems {
        crate::errln!("{p}");
    }
    let mut rendered = Vec::new();
    for f in &all.files {
        match render(f) {
            Ok(text) => rendered.push((f.path.clone(), text, f.kind)),
            Err(diags) => {
                for d in diags {
                    crate::errln!("{}: error: {}", f.path, d.message);
                }
                code = EXIT_FINDINGS;
            }
        }
    }
    // What the import wrote must lint clean: what it could not map right
    // is said here, not found later.
    match super::lint_options(global) {
        Ok(options) => {
            let sources = rendered
                .iter()
                .map(|(path, text, kind)| {
                    (
                        crate::source::SourceFile::new(path.clone(), text.clone()),
                        *kind,
                        true,
                    )
                })
                .collect();
            let ws = crate::workspace::build(sources, Vec::new(), 0, &options);
            for d in ws
                .diagnostics
                .iter()
                .filter(|d| d.severity == crate::diagnostic::Severity::Error)
            {
                let (line, col, _, _) = d.position();
                crate::errln!(
                    "{}:{line}:{col}: error[{}]: {} (in the imported text)",
                    d.file_name(),
                    d.code.id(),
                    d.message
                );
                code = EXIT_FINDINGS;
            }
        }
        Err(msg) => return usage_error(global, &msg),
    }
    match &args.output {
        None => {
            for (path, text, _) in &rendered {
                print(&format!("# file: {path}\n{text}"));
            }
        }
        Some(dir) => {
            for (path, text, _) in &rendered {
                let target = dir.join(path);
                if target.exists() {
                    crate::errln!("error: `{}` exists: not overwritten", target.display());
                    code = EXIT_USAGE;
                    continue;
                }
                if let Some(parent) = target.parent() {
                    if let Err(e) = std::fs::create_dir_all(parent) {
                        return usage_error(
                            global,
                            &format!("cannot create `{}`: {e}", parent.display()),
                        );
                    }
                }
                if let Err(e) = crate::fsutil::write_atomic(&target, text.as_bytes()) {
                    return usage_error(
                        global,
                        &format!("cannot write `{}`: {e}", target.display()),
                    );
                }
            }
        }
    }
    code
}
