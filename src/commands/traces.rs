//! `guardctl traces show|convert`: the events of traces exactly as
//! guardctl reads them (spec §7), as guardctl JSONL, so a user sees what
//! the rules see: from an OpenTelemetry export, which spans and log
//! records became which events, and what was skipped. What was not read
//! (malformed lines, records with no GenAI content) is counted on
//! standard error.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, usage_error};
use crate::cli::{Global, TracesArgs, TracesCommand};
use crate::engine::event_json;
use crate::engine::trace::{self, Record};

/// What was read, beside the events.
#[derive(Default)]
struct Read {
    events: usize,
    malformed: Vec<String>,
    skipped: BTreeMap<&'static str, usize>,
    /// Lines with nothing but records of no GenAI content.
    empty_lines: Vec<String>,
}

pub fn run(global: &Global, args: &TracesArgs) -> u8 {
    match &args.command {
        TracesCommand::Show { traces, strict } => {
            let mut out = std::io::stdout().lock();
            let read = match write_events(traces, &mut out) {
                Ok(r) => r,
                Err(e) => return usage_error(global, &e),
            };
            let _ = out.flush();
            report(&read, *strict)
        }
        TracesCommand::Convert {
            traces,
            output,
            strict,
        } => {
            if let Err(e) = crate::fsutil::refuse_input(output, traces) {
                return usage_error(global, &e);
            }
            let mut buf = Vec::new();
            let read = match write_events(traces, &mut buf) {
                Ok(r) => r,
                Err(e) => return usage_error(global, &e),
            };
            let code = report(&read, *strict);
            if code != EXIT_OK {
                return code;
            }
            if let Err(e) = crate::fsutil::write_atomic(output, &buf) {
                eprintln!("error: cannot write `{}`: {e}", output.display());
                return EXIT_USAGE;
            }
            eprintln!("wrote {} events to {}", read.events, output.display());
            EXIT_OK
        }
    }
}

fn write_events(traces: &[PathBuf], out: &mut dyn Write) -> Result<Read, String> {
    let mut read = Read::default();
    for path in traces {
        let shown = shown(path);
        let mut reader = trace::open(path).map_err(|e| format!("cannot read `{shown}`: {e}"))?;
        loop {
            let block = reader.block(1 << 20);
            if block.is_empty() {
                break;
            }
            for rec in block.records() {
                match rec {
                    Record::Event(e) => {
                        read.events += 1;
                        let line = event_json::to_json(&e, Some(&shown));
                        writeln!(out, "{line}").map_err(|e| format!("cannot write: {e}"))?;
                    }
                    Record::Malformed {
                        line,
                        column,
                        message,
                    } => read.malformed.push(match column {
                        Some(c) => format!("{shown}:{line}:{c}: {message}"),
                        None => format!("{shown}:{line}: {message}"),
                    }),
                    Record::Skipped { line, kind, fatal } => {
                        *read.skipped.entry(kind).or_default() += 1;
                        if fatal {
                            read.empty_lines.push(format!("{shown}:{line}: {kind}"));
                        }
                    }
                }
            }
        }
    }
    Ok(read)
}

fn shown(path: &Path) -> String {
    if path.as_os_str() == "-" {
        "<stdin>".into()
    } else {
        path.display().to_string()
    }
}

/// Says on standard error what was not read; the exit code.
fn report(read: &Read, strict: bool) -> u8 {
    for m in &read.malformed {
        eprintln!("malformed: {m}");
    }
    let skipped: Vec<String> = read
        .skipped
        .iter()
        .map(|(k, n)| format!("{n} {k}"))
        .collect();
    eprintln!(
        "{} events, {} malformed lines{}",
        read.events,
        read.malformed.len(),
        if skipped.is_empty() {
            String::new()
        } else {
            format!(", skipped (no GenAI content): {}", skipped.join(", "))
        }
    );
    if strict {
        for l in &read.empty_lines {
            eprintln!("no GenAI content: {l}");
        }
        if !read.malformed.is_empty() || !read.empty_lines.is_empty() {
            eprintln!("error: --strict: every line must be an event or GenAI content");
            return EXIT_FINDINGS;
        }
    }
    EXIT_OK
}
