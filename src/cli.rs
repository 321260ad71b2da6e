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
    /// Replay recorded traffic through a policy and report what it would do
    Simulate(SimulateArgs),
    /// Run policy test files (*.guardtest.yaml)
    Test(PathsArgs),
    /// Show the decision trace for one event
    Explain(ExplainArgs),
    /// Explain a diagnostic code, or list them all
    Rule(RuleArgs),
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Policy files or directories
    #[arg(required = true)]
    pub policies: Vec<PathBuf>,
    /// Trace files: guardctl JSONL or OTLP/JSON spans, gzip allowed, `-` for stdin
    #[arg(long, required = true, num_args = 1..)]
    pub traces: Vec<PathBuf>,
    /// Evaluate this policy too and report what the change flips
    #[arg(long, num_args = 1..)]
    pub baseline: Vec<PathBuf>,
    /// Write one JSON line per event here
    #[arg(long, value_name = "OUT.jsonl")]
    pub events: Option<PathBuf>,
    /// Trigger rate of a model-tier rule at thresholds 0.05..0.95
    #[arg(long, value_name = "RULE")]
    pub sweep: Option<String>,
    /// Exit 1 when an action's share of events exceeds PCT (e.g. block=0.5%)
    #[arg(long, value_name = "ACTION=PCT")]
    pub max_rate: Vec<String>,
    /// Write a self-contained HTML report
    #[arg(long, value_name = "FILE.html")]
    pub report: Option<PathBuf>,
    /// Treat a malformed trace line as fatal
    #[arg(long)]
    pub strict: bool,
    /// Show matched PII in excerpts (masked by default)
    #[arg(long)]
    pub show_matches: bool,
    /// Worker threads (default: one per core)
    #[arg(long)]
    pub threads: Option<usize>,
    /// Only read and parse the traces (benchmark baseline)
    #[arg(long, hide = true)]
    pub parse_only: bool,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Policy files or directories
    #[arg(required = true)]
    pub policies: Vec<PathBuf>,
    /// The event as JSON (or @FILE)
    #[arg(long, conflicts_with = "text")]
    pub event: Option<String>,
    /// Content to evaluate (with --kind)
    #[arg(long, requires = "kind")]
    pub text: Option<String>,
    /// The stage of --text: input, output, tool_input, tool_output, handoff
    #[arg(long)]
    pub kind: Option<String>,
    /// Show matched PII (masked by default)
    #[arg(long)]
    pub show_matches: bool,
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
