//! Inputs → parsed files → IR → diagnostics. Resolves command-line paths
//! (directories are walked by [`walk`]'s ignore rules, YAML
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

/// The name standard input (`-`) stands for (`--stdin-filename`), set once
/// by the command line: its kind and its name in diagnostics.
static STDIN_NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();

pub fn set_stdin_name(name: String) {
    let _ = STDIN_NAME.set(name);
}

/// The kind of a file read: as its name says, except standard input
/// without `--stdin-filename`, whose text decides: an `AGENT:` section (or
/// any other upper-case section no policy file has, as ABL's `GOAL:`)
/// makes it an agent file.
pub fn kind_of_read(input: &Input, file: &SourceFile) -> FileKind {
    if input.path.as_os_str() != "-" || STDIN_NAME.get().is_some() {
        return input.kind;
    }
    let mut agent = false;
    for line in file.text.lines() {
        let key_len = line
            .bytes()
            .take_while(|b| b.is_ascii_uppercase() || *b == b'_')
            .count();
        let (Some(key), Some(b':')) = (line.get(..key_len), line.as_bytes().get(key_len).copied())
        else {
            continue;
        };
        if key.is_empty() || key == "GUARDRAILS" {
            continue;
        }
        if syntax::POLICY_SECTIONS.contains(&key) {
            return FileKind::Policy;
        }
        agent = true;
    }
    if agent {
        FileKind::Agent
    } else {
        FileKind::Policy
    }
}

/// Every entry below `root` in name order, by the `ignore` crate's rules
/// (as ripgrep and ruff walk): `.gitignore` (inside a git repository or
/// not), `.ignore`, `.git/info/exclude` and the global git excludes are
/// honoured, hidden files and folders skipped, and `target/` and
/// `node_modules/` skipped even where no ignore file names them. The root
/// itself is always walked, whatever its name. This is the one walk every
/// command uses (lint, compile, fmt, simulate's policies, test's
/// `*.guardtest.yaml` files), so they all see the same files.
pub fn walk(root: &Path) -> impl Iterator<Item = Result<ignore::DirEntry, ignore::Error>> {
    ignore::WalkBuilder::new(root)
        .require_git(false)
        .sort_by_file_name(|a, b| a.cmp(b))
        .filter_entry(|e| {
            let name = e.file_name().to_string_lossy();
            e.depth() == 0
                || !(e.file_type().is_some_and(|t| t.is_dir())
                    && (name == "target" || name == "node_modules"))
        })
        .build()
}

/// An entry of [`walk`] that is a regular file (or a link to one).
pub fn is_file(entry: &ignore::DirEntry) -> bool {
    entry.file_type().is_some_and(|t| t.is_file())
}

/// Expands paths into inputs, in a stable order.
pub fn discover(paths: &[PathBuf], errors: &mut InputErrors) -> Vec<Input> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            for entry in walk(p) {
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
                if !is_file(&entry) {
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
            let shown = match STDIN_NAME.get() {
                Some(name) if p.as_os_str() == "-" => name.clone(),
                _ => display(p),
            };
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
    /// Files named explicitly that hold no guardctl section (a CI
    /// workflow, a compose file, `.pre-commit-config.yaml` itself): skipped,
    /// and said so in a note.
    pub skipped: Vec<String>,
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

/// One source after parsing and lowering on its own: what history keeps
/// per git blob, so a commit parses only the files it changed.
#[derive(Clone)]
pub struct Parsed {
    file: Option<SyntaxFile>,
    program: Program,
    diagnostics: Vec<Diagnostic>,
    counted: bool,
    /// The file's name, when it was named explicitly and skipped.
    skipped: Option<String>,
}

/// Parses and lowers one source (independent of every other file).
pub fn parse_one(source: Arc<SourceFile>, kind: FileKind, explicit: bool) -> Parsed {
    let mut diagnostics = Vec::new();
    if !syntax::looks_like_policy(&source.text, kind) {
        // Named explicitly (as pre-commit names every staged YAML file), a
        // file without sections is skipped with a note, unless a top-level
        // key is a near miss of a section name: then it was meant to be one.
        let near = if explicit {
            syntax::near_miss_section(&source.text, kind)
        } else {
            None
        };
        let skipped = (explicit && near.is_none()).then(|| source.name.clone());
        if let Some((span, key, section)) = near {
            diagnostics.push(
                Diagnostic::new(
                    Code::NotPolicyFile,
                    &source,
                    span,
                    format!("`{key}` is not a guardctl section"),
                )
                .with_help(format!(
                    "did you mean `{section}:`? sections are upper-case keywords followed by `:` in column 1; as written, nothing in this file is read"
                )),
            );
        }
        return Parsed {
            file: None,
            program: Program::default(),
            counted: !diagnostics.is_empty(),
            diagnostics,
            skipped,
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
            skipped: None,
        };
    }
    let (program, more) = ir::lower_file(&file);
    diagnostics.extend(more);
    Parsed {
        file: Some(file),
        program,
        diagnostics,
        counted: true,
        skipped: None,
    }
}

/// Parses and lowers sources (files from disk, stdin or git blobs) in
/// parallel, merging in input order so the result is the same for any
/// thread count. Returns the parsed files, the program, the diagnostics
/// and how many files counted (parsed, or named explicitly and rejected).
pub fn parse_sources(
    sources: Vec<(Arc<SourceFile>, FileKind, bool)>,
    diagnostics: Vec<Diagnostic>,
) -> Assembled {
    use rayon::prelude::*;
    let parsed: Vec<Parsed> = sources
        .into_par_iter()
        .map(|(s, k, e)| parse_one(s, k, e))
        .collect();
    assemble(parsed, diagnostics)
}

/// Parsed files, their program, the diagnostics, the files counted, and
/// the files named explicitly but skipped.
pub type Assembled = (
    Vec<SyntaxFile>,
    Program,
    Vec<Diagnostic>,
    usize,
    Vec<String>,
);

/// Merges parsed sources, in order, into one program.
pub fn assemble(parsed: Vec<Parsed>, mut diagnostics: Vec<Diagnostic>) -> Assembled {
    let mut files = Vec::new();
    let mut program = Program::default();
    let mut counted = 0;
    let mut skipped = Vec::new();
    for p in parsed {
        counted += usize::from(p.counted);
        skipped.extend(p.skipped);
        files.extend(p.file);
        program.merge(p.program);
        diagnostics.extend(p.diagnostics);
    }
    program.reindex();
    (files, program, diagnostics, counted, skipped)
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
            Ok(src) => {
                let kind = kind_of_read(input, &src);
                sources.push((src, kind, input.explicit));
            }
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
    let config = match crate::config::find(paths) {
        Some(path) => {
            let shown = std::env::current_dir()
                .ok()
                .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
                .unwrap_or_else(|| path.clone());
            let (config, diags) = crate::config::load(&path, &display(&shown));
            diagnostics.extend(diags);
            config
        }
        None => crate::config::Config::default(),
    };
    Ok(build_with(
        sources,
        diagnostics,
        unreadable,
        options,
        &config,
    ))
}

/// Runs parse → lower → lint over read sources. `unreadable` counts files
/// that could not be read (their diagnostics are in `diagnostics`).
pub fn build(
    sources: Vec<(Arc<SourceFile>, FileKind, bool)>,
    diagnostics: Vec<Diagnostic>,
    unreadable: usize,
    options: &LintOptions,
) -> Workspace {
    build_with(
        sources,
        diagnostics,
        unreadable,
        options,
        &crate::config::Config::default(),
    )
}

/// [`build`] with the repository's `guardctl.toml` settings.
pub fn build_with(
    sources: Vec<(Arc<SourceFile>, FileKind, bool)>,
    diagnostics: Vec<Diagnostic>,
    unreadable: usize,
    options: &LintOptions,
    config: &crate::config::Config,
) -> Workspace {
    let (files, mut program, mut diagnostics, counted, skipped) =
        parse_sources(sources, diagnostics);
    program.check_polarity = config.check_polarity;
    program.runtime = config.runtime;
    let file_count = counted + unreadable;
    diagnostics.extend(lint(&program, options));
    sort_diagnostics(&mut diagnostics);
    Workspace {
        files,
        program,
        diagnostics,
        file_count,
        skipped,
    }
}
