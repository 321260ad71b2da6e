//! `guardctl simulate POLICY... --traces FILE...`: what the policy would
//! have done to recorded traffic, with `--baseline` flips, `--sweep`,
//! `--events`, `--report` and `--max-rate` for CI.

use std::io::{IsTerminal, Write};

use super::{EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, load_policies, print};
use crate::cli::{Global, SimulateArgs};
use crate::ir::enums::Action;
use crate::lint::LintOptions;
use crate::render::{self, Format};
use crate::simulate::{self, Config};

/// `block=0.5%` → (block, 0.005).
fn parse_max_rate(s: &str) -> Result<(Action, f64), String> {
    let (a, p) = s
        .split_once('=')
        .ok_or_else(|| format!("--max-rate `{s}`: write ACTION=PCT, e.g. block=0.5%"))?;
    let action =
        Action::from_name(a.trim()).ok_or_else(|| format!("--max-rate: unknown action `{a}`"))?;
    let p = p.trim();
    let v = match p.strip_suffix('%') {
        Some(n) => n.trim().parse::<f64>().map(|x| x / 100.0),
        None => p.parse::<f64>(),
    }
    .map_err(|_| format!("--max-rate: `{p}` is not a percentage"))?;
    if !(0.0..=1.0).contains(&v) {
        return Err(format!("--max-rate: `{p}` is not between 0% and 100%"));
    }
    Ok((action, v))
}

/// `--traces` takes every path after it, so a policy path written after
/// it (`simulate --traces t.jsonl examples`) would be read as a trace; a
/// directory or a policy file among the traces is refused with the fix.
fn check_paths(args: &SimulateArgs) -> Result<(), String> {
    let policy_like = |p: &std::path::Path| {
        p.is_dir() || crate::syntax::FileKind::of_path(&p.to_string_lossy()).is_some()
    };
    if let Some(p) = args.traces.iter().find(|p| policy_like(p)) {
        return Err(format!(
            "`{}` after --traces is a policy path, not a trace: `--traces` takes every path after it, so write the policies first (`guardctl simulate POLICY... --traces FILE...`) or end the traces with `--`",
            p.display()
        ));
    }
    if args.policies.is_empty() {
        return Err("give the policy files or directories to simulate (`guardctl simulate POLICY... --traces FILE...`)".into());
    }
    Ok(())
}

pub fn run(global: &Global, options: &LintOptions, args: &SimulateArgs) -> u8 {
    if let Err(e) = check_paths(args) {
        return super::usage_error(global, &e.to_string());
    }
    let inputs: Vec<std::path::PathBuf> = args
        .policies
        .iter()
        .chain(&args.baseline)
        .chain(&args.traces)
        .cloned()
        .collect();
    for out in args.events.iter().chain(&args.report) {
        if let Err(msg) = crate::fsutil::refuse_input(out, &inputs) {
            return super::usage_error(global, &msg);
        }
    }
    let limits: Vec<(Action, f64)> = match args.max_rate.iter().map(|s| parse_max_rate(s)).collect()
    {
        Ok(v) => v,
        Err(e) => {
            return super::usage_error(global, &e.to_string());
        }
    };
    let ws = match load_policies(global, options, &args.policies) {
        Ok(ws) => ws,
        Err(code) => return code,
    };
    let base = if args.baseline.is_empty() {
        None
    } else {
        match load_policies(global, options, &args.baseline) {
            Ok(ws) => Some(ws),
            Err(code) => return code,
        }
    };
    let bar = std::io::stderr().is_terminal().then(|| {
        let b = indicatif::ProgressBar::new_spinner();
        b.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {human_pos} events  {per_sec}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        b
    });
    let progress_bar = bar.clone();
    let cfg = Config {
        traces: args.traces.clone(),
        strict: args.strict,
        show_matches: args.show_matches,
        sweep: args.sweep.clone(),
        threads: args.threads,
        progress: progress_bar.map(|b| {
            Box::new(move |n: usize| b.set_position(n as u64)) as Box<dyn Fn(usize) + Send + Sync>
        }),
    };
    if args.parse_only {
        return match simulate::parse_only(&cfg) {
            Ok((events, malformed, other)) => {
                print(&format!(
                    "parsed {events} events, {malformed} malformed lines, {other} other spans\n"
                ));
                EXIT_OK
            }
            Err(simulate::Fatal(msg)) => {
                crate::errln!("error: {msg}");
                EXIT_USAGE
            }
        };
    }
    let mut events_file = match &args.events {
        Some(p) => match crate::fsutil::Replacement::create(p) {
            Ok(f) => Some(f),
            Err(e) => {
                return super::usage_error(global, &format!("cannot write `{}`: {e}", p.display()));
            }
        },
        None => None,
    };
    let result = simulate::run(
        &ws.program,
        base.as_ref().map(|b| &b.program),
        &cfg,
        events_file.as_mut().map(|f| f as &mut dyn Write),
    );
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let summary = match result {
        Ok(s) => s,
        Err(simulate::Fatal(msg)) => {
            return super::usage_error(global, &msg);
        }
    };
    if let Some(f) = events_file {
        if let Err(e) = f.commit() {
            return super::usage_error(global, &format!("cannot write events: {e}"));
        }
    }
    match global.format {
        Format::Json => print(&format!("{}\n", render::simulate::json(&summary))),
        _ => print(&render::simulate::human(&summary)),
    }
    if let Some(path) = &args.report {
        let shown = |v: &[std::path::PathBuf]| v.iter().map(|p| p.display().to_string()).collect();
        let inputs = render::html::Inputs {
            policies: shown(&args.policies),
            baseline: shown(&args.baseline),
            traces: shown(&args.traces),
            digest: crate::compile::bundle(&ws.program)
                .get("digest")
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default()
                .to_string(),
            generated: generated_at(),
        };
        let html = render::html::report(&summary, &inputs);
        if let Err(e) = crate::fsutil::write_atomic(path, html.as_bytes()) {
            return super::usage_error(global, &format!("cannot write `{}`: {e}", path.display()));
        }
    }
    let mut code = EXIT_OK;
    // No evidence is not a pass: a gate over no events fails.
    if summary.events == 0 && !limits.is_empty() {
        crate::errln!(
            "max-rate: the traces hold no events ({} malformed line(s)), so no rate can be checked",
            summary.malformed_count
        );
        code = EXIT_FINDINGS;
    }
    for (action, max) in limits {
        let n = summary.decisions.get(&action).copied().unwrap_or(0);
        let rate = if summary.events == 0 {
            0.0
        } else {
            n as f64 / summary.events as f64
        };
        if rate > max {
            crate::errln!(
                "max-rate exceeded: {action} on {:.2}% of events (limit {:.2}%)",
                rate * 100.0,
                max * 100.0
            );
            code = EXIT_FINDINGS;
        }
    }
    code
}

/// When the report is made: `SOURCE_DATE_EPOCH` (seconds) when set, so a
/// report can be reproduced byte for byte, else now.
fn generated_at() -> String {
    let secs = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.trim().parse::<i64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
        });
    crate::ir::values::Timestamp(secs).to_rfc3339()
}
