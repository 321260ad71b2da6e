//! Command-line interface (clap derive only; behaviour lives in `commands/`).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::render::Format;

#[derive(Debug, Parser)]
#[command(
    name = "guardctl",
    version,
    about = "Policy-as-code for AI guardrails: lint, format and compile guardrail policies",
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub struct Global {
    /// Output format for diagnostics
    #[arg(long, global = true, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Treat warnings as findings (exit 1)
    #[arg(long, global = true)]
    pub deny_warnings: bool,
    /// The date expiry checks compare against (RFC 3339; default: today)
    #[arg(long, global = true, value_name = "DATE")]
    pub now: Option<String>,
    /// Colour in human output (auto: only on a terminal, never with NO_COLOR)
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check policy and agent files for every mistake, before deployment
    Lint(PathsArgs),
    /// Write the runtime bundle JSON (refuses when lint finds errors)
    Compile(CompileArgs),
    /// Rewrite guardctl sections into the canonical layout
    Fmt(FmtArgs),
    /// Explain a diagnostic code, or list them all
    Rule(RuleArgs),
}

#[derive(Debug, Args)]
pub struct PathsArgs {
    /// Files or directories (default: the current directory)
    pub paths: Vec<PathBuf>,
}

impl PathsArgs {
    pub fn paths(&self) -> Vec<PathBuf> {
        if self.paths.is_empty() {
            vec![PathBuf::from(".")]
        } else {
            self.paths.clone()
        }
    }
}

#[derive(Debug, Args)]
pub struct CompileArgs {
    #[command(flatten)]
    pub inputs: PathsArgs,
    /// Write the bundle here instead of standard output
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print the bundle's JSON Schema and exit
    #[arg(long)]
    pub schema: bool,
}

#[derive(Debug, Args)]
pub struct FmtArgs {
    #[command(flatten)]
    pub inputs: PathsArgs,
    /// Do not write; print a diff and exit 1 when a file is not formatted
    #[arg(long)]
    pub check: bool,
}

#[derive(Debug, Args)]
pub struct RuleArgs {
    /// A code (`GC101`) or name (`unknown-key`); all codes when absent
    pub code: Option<String>,
}
