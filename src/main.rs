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

fn main() -> ExitCode {
    let cli = Cli::parse();
    std::panic::set_hook(Box::new(|info| {
        eprintln!(
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
