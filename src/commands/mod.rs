//! One file per subcommand: read inputs, call the stages, render, and
//! return the exit code. [`run`] owns the mapping from outcomes to codes:
//! 0 clean, 1 findings, 2 usage or I/O problem, 3 internal error.

mod audit;
mod compile;
mod diff;
mod explain;
mod explain_views;
mod fmt;
mod import;
mod init;
mod lint;
mod log;
mod rule;
mod simulate;
mod test;
mod traces;

use std::io::Write;

use crate::cli::{Cli, ColorChoice, Command, Global};
use crate::diagnostic::Diagnostic;
use crate::ir::values::Timestamp;
use crate::lint::LintOptions;
use crate::render::{self, Summary};

pub const EXIT_OK: u8 = 0;
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
pub const EXIT_INTERNAL: u8 = 3;

/// Runs a parsed command line.
pub fn run(cli: &Cli) -> u8 {
    if let Some(name) = &cli.global.stdin_filename {
        crate::workspace::set_stdin_name(name.clone());
    }
    let options = match lint_options(&cli.global) {
        Ok(o) => o,
        Err(msg) => {
            return usage_error(&cli.global, &msg);
        }
    };
    if cli.global.format == crate::render::Format::Markdown
        && !matches!(cli.command, Command::Diff(_))
    {
        return usage_error(
            &cli.global,
            "`--format markdown` is for `diff`; use human, plain or json here",
        );
    }
    match &cli.command {
        Command::Diff(args) => diff::run(&cli.global, &options, args),
        Command::Log(args) => log::run(&cli.global, args),
        Command::Audit(args) => audit::run(&cli.global, args),
        Command::Lint(args) => lint::run(&cli.global, &options, args),
        Command::Compile(args) => compile::run(&cli.global, &options, args),
        Command::Fmt(args) => fmt::run(&cli.global, args),
        Command::Rule(args) => rule::run(&cli.global, args),
        Command::Simulate(args) => simulate::run(&cli.global, &options, args),
        Command::Test(args) => test::run(&cli.global, &options, args),
        Command::Explain(args) => explain::run(&cli.global, &options, args),
        Command::Traces(args) => traces::run(&cli.global, args),
        Command::Import(args) => import::run(&cli.global, args),
        Command::Init(args) => init::run(&cli.global, args),
    }
}

fn lint_options(global: &Global) -> Result<LintOptions, String> {
    let now = match &global.now {
        Some(s) => Timestamp::parse(s).ok_or_else(|| {
            format!("--now `{s}` is not an RFC 3339 date (2026-11-30 or 2026-11-30T18:00:00Z)")
        })?,
        None => Timestamp::now(),
    };
    Ok(LintOptions { now })
}

/// The exit code for a set of diagnostics: 3 when any is an internal
/// error, 1 for errors (or warnings with `--deny-warnings`), else 0.
pub fn exit_for(diags: &[Diagnostic], deny_warnings: bool) -> u8 {
    use crate::diagnostic::Severity;
    if diags
        .iter()
        .any(|d| d.code == crate::lint::registry::Code::Internal)
    {
        EXIT_INTERNAL
    } else if diags
        .iter()
        .any(|d| d.severity == Severity::Error || deny_warnings)
    {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}

/// Whether colour is on for output going to stdout or stderr.
pub fn color(global: &Global, stderr: bool) -> bool {
    match global.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => render::use_color(stderr),
    }
}

/// Prints input errors (missing files) and returns the usage exit code.
pub fn input_errors(global: &Global, errors: &[Diagnostic]) -> u8 {
    let text = render::diagnostics(
        global.format,
        errors,
        Summary::of(0, errors),
        color(global, true),
    );
    let _ = std::io::stderr().write_all(text.as_bytes());
    EXIT_USAGE
}

/// Reports that `paths` hold no guardrail file and returns the usage exit
/// code. Commands whose output stands for a policy (compile, simulate,
/// explain, test) refuse to run on none: an empty bundle or an all-allow
/// simulation from a mistyped path would read as a real answer.
pub fn no_guardrail_files(paths: &[std::path::PathBuf]) -> u8 {
    let shown: Vec<String> = paths.iter().map(|p| format!("`{}`", p.display())).collect();
    crate::errln!(
        "error: no guardrail files under {}: policy files are *.yaml, *.yml or *.guard with \
         a section such as GUARDRAILS: or POLICY:, agent files *.abl or *.agent.yaml",
        shown.join(", ")
    );
    EXIT_USAGE
}

/// Loads policies for the engine: lint must find no errors (they are
/// printed to stderr) and at least one guardrail file. `Err` is the exit
/// code.
pub fn load_policies(
    global: &Global,
    options: &LintOptions,
    paths: &[std::path::PathBuf],
) -> Result<crate::workspace::Workspace, u8> {
    let ws = match crate::workspace::load(paths, options) {
        Ok(ws) => ws,
        Err(e) => return Err(input_errors(global, &e.0)),
    };
    skipped_notes(&ws);
    let code = exit_for(&ws.diagnostics, false);
    if !ws.diagnostics.is_empty() {
        let text = render::diagnostics(
            global.format,
            &ws.diagnostics,
            Summary::of(ws.file_count, &ws.diagnostics),
            color(global, true),
        );
        let _ = std::io::stderr().write_all(text.as_bytes());
    }
    if code != EXIT_OK {
        crate::errln!("error: the policy has errors; fix them first (guardctl lint)");
        return Err(code);
    }
    if ws.file_count == 0 {
        return Err(no_guardrail_files(paths));
    }
    Ok(ws)
}

/// Says on stderr which explicitly named files were skipped for holding
/// no guardctl section (a closed stderr is ignored).
pub fn skipped_notes(ws: &crate::workspace::Workspace) {
    let mut err = std::io::stderr().lock();
    for name in &ws.skipped {
        let _ = writeln!(
            err,
            "note: skipped `{name}`: it holds no guardctl section (POLICY, GUARDRAILS, ...; AGENT or GUARDRAILS in agent files)"
        );
    }
}

/// A usage or I/O error: `error: MESSAGE` on stderr, or with `--format json`
/// `{"error": {"message"}}` on stdout; exit 2.
pub fn usage_error(global: &Global, message: &str) -> u8 {
    if global.format == crate::render::Format::Json {
        print(&format!(
            "{}\n",
            serde_json::json!({"error": {"message": message}})
        ));
    } else {
        crate::errln!("error: {message}");
    }
    EXIT_USAGE
}

/// Writes text to stdout; a closed pipe is not an error worth a panic.
pub fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}
