//! The `guardctl` binary: parse arguments, run, exit with the code `run`
//! chose. Work runs on a thread with a large stack (deeply nested input is
//! bounded, but pest's recursion is frame-hungry), and a panic, which is
//! always a bug, becomes exit code 3 with a message instead of a crash:
//! the panic hook exits the process, so the code is the same whether the
//! build unwinds (tests) or aborts (release).

use std::process::ExitCode;

/// mimalloc: events are parsed on worker threads and freed on another, and
/// glibc's per-thread arenas then grow with the trace; mimalloc keeps the
/// memory flat (and allocation is a fifth of simulate's time). Built
/// without transparent huge pages (`no_thp`): the kernel then zeroes 4 KB
/// pages as they are touched instead of 2 MB ones, which at start-up and
/// in each thread's first heap cost up to a tenth of a run.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;
use guardctl::cli::Cli;
use guardctl::commands::{EXIT_INTERNAL, run};

/// Whether the raw arguments ask for JSON output (read before clap, so a
/// usage error can answer in the format asked for).
fn wants_json() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.windows(2).any(|w| {
        w.first().is_some_and(|a| a == "--format") && w.get(1).is_some_and(|b| b == "json")
    }) || args.iter().any(|a| a == "--format=json")
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind;
            let informational = matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            );
            if informational || !wants_json() {
                e.exit();
            }
            let message = e
                .kind()
                .as_str()
                .map_or_else(|| e.to_string(), str::to_string);
            let detail = e.render().to_string();
            guardctl::outln!(
                "{}",
                serde_json::json!({"error": {"kind": "usage", "message": message, "detail": detail.trim_end()}})
            );
            return ExitCode::from(guardctl::commands::EXIT_USAGE);
        }
    };
    std::panic::set_hook(Box::new(|info| {
        guardctl::errln!(
            "internal error: {info}\nthis is a bug in guardctl; please report it with the input that caused it"
        );
        std::process::exit(i32::from(EXIT_INTERNAL));
    }));
    let worker = std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(move || run(&cli));
    let code = match worker {
        Ok(handle) => handle.join().unwrap_or(EXIT_INTERNAL),
        Err(_) => EXIT_INTERNAL,
    };
    ExitCode::from(code)
}
