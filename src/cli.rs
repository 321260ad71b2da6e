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
    /// The file name standard input (`-`) stands for: its kind (`*.abl` is
    /// an agent file) and its name in diagnostics
    #[arg(long, global = true, value_name = "NAME")]
    pub stdin_filename: Option<String>,
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
    /// What a policy change does: semantic changes, classified tighter or looser
    Diff(DiffArgs),
    /// The history of one rule, cap, budget ... (or of every policy) across commits
    Log(LogArgs),
    /// The audit trail: export policy changes as hash-chained JSON lines, verify, seal
    Audit(AuditArgs),
    /// Traces as guardctl reads them: print the events the rules see, or convert them to guardctl JSONL
    Traces(TracesArgs),
    /// Turn a runtime's own JSON (what its API returns) into policy files
    Import(ImportArgs),
    /// Write a starter policy repository for a runtime (never over a file)
    Init(InitArgs),
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The runtime the repository deploys to
    #[arg(long, value_name = "RUNTIME", default_value = "guardctl", value_parser = ["guardctl", "kore", "kaireon", "orq", "kairro"])]
    pub runtime: String,
    /// Where to write it (created if missing)
    #[arg(default_value = ".")]
    pub dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The runtime the JSON comes from
    #[arg(long, value_name = "RUNTIME", value_parser = ["kore", "kaireon", "orq", "kairro"])]
    pub from: String,
    /// JSON files: a list of the runtime's objects, or one
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Write each policy file into this directory (never over an existing
    /// file) instead of printing them
    #[arg(short, long, value_name = "DIR")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct TracesArgs {
    #[command(subcommand)]
    pub command: TracesCommand,
}

#[derive(Debug, Subcommand)]
pub enum TracesCommand {
    /// Print each event as guardctl read it (guardctl JSONL, one line per event, with its source line)
    Show {
        /// Trace files (guardctl JSONL or OpenTelemetry OTLP/JSON; gzip accepted; `-` is stdin)
        #[arg(required = true)]
        traces: Vec<PathBuf>,
        /// Exit 1 on a malformed line, or on a line with no GenAI content
        #[arg(long)]
        strict: bool,
    },
    /// Write the events to one guardctl JSONL file
    Convert {
        /// Trace files (guardctl JSONL or OpenTelemetry OTLP/JSON; gzip accepted; `-` is stdin)
        #[arg(required = true)]
        traces: Vec<PathBuf>,
        /// The file to write (replaced atomically)
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
        /// Exit 1 (and write nothing) on a malformed line, or on a line with no GenAI content
        #[arg(long)]
        strict: bool,
    },
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// OLD NEW (two files or two directories); with --base, the paths to compare (default: .)
    pub paths: Vec<PathBuf>,
    /// Compare against this git revision (policy files read from git objects)
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,
    /// The revision to compare (default: the files on disk, uncommitted changes included)
    #[arg(long, value_name = "REV", requires = "base")]
    pub head: Option<String>,
    /// Exit 1 when a change of these classes is found: looser, tighter, reorder, changed, neutral, any
    #[arg(long, value_name = "CLASS", value_delimiter = ',')]
    pub fail_on: Vec<String>,
    /// Replay these traces through both versions and show what the change flips
    #[arg(long, num_args = 1..)]
    pub traces: Vec<PathBuf>,
    /// Show matched PII in changed-event excerpts (masked by default)
    #[arg(long)]
    pub show_matches: bool,
}

#[derive(Debug, Args)]
pub struct LogArgs {
    /// A rule, policy, cap, budget, chain, exception or provider name (or full id)
    pub name: Option<String>,
    /// Only policy files under these paths (default: the current directory)
    #[arg(long = "path", short = 'p', value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Walk the history of this revision
    #[arg(long, value_name = "REV", default_value = "HEAD")]
    pub rev: String,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub command: AuditCommand,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Write every semantic policy change in git history as hash-chained JSON lines
    Export {
        /// Start after this revision (default: from the first commit)
        #[arg(long, value_name = "REV")]
        since: Option<String>,
        /// Write here instead of standard output
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Only policy files under these paths (default: the current directory)
        #[arg(long = "path", short = 'p', value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Export the history of this revision
        #[arg(long, value_name = "REV", default_value = "HEAD")]
        rev: String,
    },
    /// Recompute the chain and name the first entry altered, removed or reordered
    Verify {
        /// An exported audit file
        file: PathBuf,
        /// A sealed anchor the chain must still pass through
        #[arg(long, value_name = "HASH")]
        anchor: Option<String>,
    },
    /// Verify, then print the anchor (the last entry's hash) to store elsewhere
    Seal {
        /// An exported audit file
        file: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Policy files or directories
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
    /// Worker threads, 1 to 256 (default: one per core)
    // Bounded: each thread keeps up to three 256 KB blocks in flight, and
    // a mistyped count of thousands would exhaust memory or the process's
    // thread limit before reading a line.
    #[arg(long, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=256))]
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
    #[arg(long, conflicts_with_all = ["text", "trace"])]
    pub event: Option<String>,
    /// A recorded trace: explain its event `--id`, with the governance
    /// (spend, caps, exceptions) of the events before it, as simulate
    /// applies it
    #[arg(long, value_name = "FILE", requires = "id", conflicts_with = "text")]
    pub trace: Option<PathBuf>,
    /// The id of the event of `--trace` to explain
    #[arg(long, requires = "trace")]
    pub id: Option<String>,
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
    /// Write the output here instead of standard output
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print the output's JSON Schema (the bundle's, or the target's) and exit
    #[arg(long)]
    pub schema: bool,
    /// The runtime to compile for: kore, kaireon, orq, kairro, or guardctl
    /// (the neutral bundle). Default: the runtime every policy is deployed
    /// to (`runtime:`, `guardctl.toml`), else the neutral bundle
    #[arg(long, value_name = "RUNTIME", value_parser = ["guardctl", "kore", "kaireon", "orq", "kairro"])]
    pub target: Option<String>,
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
    /// List the built-in rule templates (a rule named for one, with no check, gets its check)
    #[arg(long, conflicts_with = "code")]
    pub templates: bool,
}
