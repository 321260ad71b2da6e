//! Inputs → parsed files → IR → diagnostics. Resolves command-line paths
//! (directories are walked: hidden folders and `target/` skipped, YAML
//! without guardctl sections skipped), reads files, and runs the stages.
//! Every command that reads policies starts here.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diagnostic::{Diagnostic, sort_diagnostics};
use crate::ir::{self, Program};
use crate::lint::registry::Code;
use crate::lint::{LintOptions, lint};
use crate::source::{SourceFile, Span};
use crate::syntax::{self, FileKind, SyntaxFile};

/// A file to read: where it is and how it was named.
#[derive(Debug, Clone)]
pub struct Input {
    pub path: PathBuf,
    /// The name diagnostics print (the path as the user gave it or as found).
    pub display: String,
    pub kind: FileKind,
    /// Named explicitly (not found by walking a directory).
    pub explicit: bool,
}

/// Paths that could not be used at all (missing, unreadable): exit code 2.
#[derive(Debug, Default)]
pub struct InputErrors(pub Vec<Diagnostic>);

fn display(p: &Path) -> String {
    let s = p.to_string_lossy().to_string();
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

/// Expands paths into inputs, in a stable order.
pub fn discover(paths: &[PathBuf], errors: &mut InputErrors) -> Vec<Input> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let walker = walkdir::WalkDir::new(p)
                .sort_by_file_name()
                .into_iter()
                .filter_entry(|e| {
                    let name = e.file_name().to_string_lossy();
                    e.depth() == 0
                        || !(e.file_type().is_dir()
                            && (name.starts_with('.')
                                || name == "target"
                                || name == "node_modules"))
                });
            for entry in walker {
                let entry = match entry {
                    Ok(e) => e,
                    Err(e) => {
                        errors.0.push(Diagnostic::unlocated(
                            Code::Io,
                            format!("cannot read `{}`: {e}", p.display()),
                        ));
                        continue;
                    }
                };
                if !entry.file_type().is_file() {
                    continue;
                }
                let path = entry.path();
                let shown = display(path);
                let Some(kind) = FileKind::of_path(&shown) else {
                    continue;
                };
                out.push(Input {
                    path: path.to_path_buf(),
                    display: shown,
                    kind,
                    explicit: false,
                });
            }
        } else if p.is_file() || p.as_os_str() == "-" {
            let shown = display(p);
            // An explicit file of unknown extension is read as a policy file.
            let kind = FileKind::of_path(&shown).unwrap_or(FileKind::Policy);
            out.push(Input {
                path: p.clone(),
                display: shown,
                kind,
                explicit: true,
            });
        } else {
            errors.0.push(Diagnostic::unlocated(
                Code::Io,
                format!("no such file or directory: `{}`", p.display()),
            ));
        }
    }
    out
}

/// Reads one input's text.
pub fn read(input: &Input) -> Result<Arc<SourceFile>, Box<Diagnostic>> {
    let bytes = if input.path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf).map(|_| buf)
    } else {
        std::fs::read(&input.path)
    };
    let bytes = bytes.map_err(|e| {
        Diagnostic::unlocated(Code::Io, format!("cannot read `{}`: {e}", input.display))
    })?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(SourceFile::new(input.display.clone(), text)),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let valid = String::from_utf8_lossy(e.as_bytes().get(..at).unwrap_or(&[])).to_string();
            let file = SourceFile::new(input.display.clone(), valid);
            Err(Box::new(
                Diagnostic::new(Code::Io, &file, Span::point(at), "file is not valid UTF-8")
                    .with_help("policy files are UTF-8 text"),
            ))
        }
    }
}

/// Everything read from a set of paths.
pub struct Workspace {
    pub files: Vec<SyntaxFile>,
    pub program: Program,
    pub diagnostics: Vec<Diagnostic>,
    /// Files considered (including ones that failed to parse).
    pub file_count: usize,
}

impl Workspace {
    pub fn errors(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == crate::diagnostic::Severity::Error)
            .count()
    }
    pub fn warnings(&self) -> usize {
        self.diagnostics.len() - self.errors()
    }
}

/// One source after parsing and lowering on its own.
struct Parsed {
    file: Option<SyntaxFile>,
    program: Program,
    diagnostics: Vec<Diagnostic>,
    counted: bool,
}

/// Parses and lowers one source (independent of every other file).
fn parse_one(source: Arc<SourceFile>, kind: FileKind, explicit: bool) -> Parsed {
    let mut diagnostics = Vec::new();
    if !syntax::looks_like_policy(&source.text, kind) {
        if explicit {
            let what = match kind {
                FileKind::Agent => "`AGENT:` or `GUARDRAILS:`",
                FileKind::Policy => {
                    "POLICY, GUARDRAILS, PROVIDERS, BUDGETS, CAPS, APPROVAL_CHAINS or EXCEPTIONS"
                }
            };
            diagnostics.push(
                Diagnostic::new(
                    Code::NotPolicyFile,
                    &source,
                    Span::point(0),
                    format!("not a guardctl file: it has no section {what}"),
                )
                .with_help("sections are upper-case keywords followed by `:` in column 1"),
            );
        }
        return Parsed {
            file: None,
            program: Program::default(),
            diagnostics,
            counted: explicit,
        };
    }
    let file = syntax::parse_file(&source, kind, &mut diagnostics);
    // A file whose text could not be read as intended is reported with its
    // syntax errors only: lowering it would pile guesses on them.
    if diagnostics.iter().any(|d| d.code.is_syntax()) {
        return Parsed {
            file: None,
            program: Program::default(),
            diagnostics,
            counted: true,
        };
    }
    let (program, more) = ir::lower_file(&file);
    diagnostics.extend(more);
    Parsed {
        file: Some(file),
        program,
        diagnostics,
        counted: true,
    }
}

/// Parses and lowers sources (files from disk, stdin or git blobs) in
/// parallel, merging in input order so the result is the same for any
/// thread count. Returns the parsed files, the program, the diagnostics
/// and how many files counted (parsed, or named explicitly and rejected).
pub fn parse_sources(
    sources: Vec<(Arc<SourceFile>, FileKind, bool)>,
    mut diagnostics: Vec<Diagnostic>,
) -> (Vec<SyntaxFile>, Program, Vec<Diagnostic>, usize) {
    use rayon::prelude::*;
    let parsed: Vec<Parsed> = sources
        .into_par_iter()
        .map(|(s, k, e)| parse_one(s, k, e))
        .collect();
    let mut files = Vec::new();
    let mut program = Program::default();
    let mut counted = 0;
    for p in parsed {
        counted += usize::from(p.counted);
        files.extend(p.file);
        program.merge(p.program);
        diagnostics.extend(p.diagnostics);
    }
    program.reindex();
    (files, program, diagnostics, counted)
}

/// Reads, parses, lowers and lints `paths`.
pub fn load(paths: &[PathBuf], options: &LintOptions) -> Result<Workspace, InputErrors> {
    let mut errors = InputErrors::default();
    let inputs = discover(paths, &mut errors);
    if !errors.0.is_empty() {
        return Err(errors);
    }
    let mut sources = Vec::new();
    let mut diagnostics = Vec::new();
    let mut unreadable = 0;
    for input in &inputs {
        match read(input) {
            Ok(src) => sources.push((src, input.kind, input.explicit)),
            Err(d) if d.file.is_none() => errors.0.push(*d),
            Err(d) => {
                unreadable += 1;
                diagnostics.push(*d);
            }
        }
    }
    if !errors.0.is_empty() {
        return Err(errors);
    }
    Ok(build(sources, diagnostics, unreadable, options))
}

/// Runs parse → lower → lint over read sources. `unreadable` counts files
/// that could not be read (their diagnostics are in `diagnostics`).
pub fn build(
    sources: Vec<(Arc<SourceFile>, FileKind, bool)>,
    diagnostics: Vec<Diagnostic>,
    unreadable: usize,
    options: &LintOptions,
) -> Workspace {
    let (files, program, mut diagnostics, counted) = parse_sources(sources, diagnostics);
    let file_count = counted + unreadable;
    diagnostics.extend(lint(&program, options));
    sort_diagnostics(&mut diagnostics);
    Workspace {
        files,
        program,
        diagnostics,
        file_count,
    }
}
