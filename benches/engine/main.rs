//! The cache engine's workload (see `workload.rs`) run natively.
//! Prints one JSON line per case (`side` = `native`); asserts nothing
//! about time. `bench/engine/run.sh` runs it beside the WebAssembly build
//! and TanStack Query and prints the comparison.
//!
//! Run: `cargo bench -p tidings --bench engine` (`BENCH_WARMUP` and
//! `BENCH_RUNS` override 3 and 15).

mod workload;

use std::process::ExitCode;
use std::time::Instant;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn main() -> ExitCode {
    let start = Instant::now();
    let now = move || start.elapsed().as_secs_f64() * 1e3;
    match workload::run(env_or("BENCH_WARMUP", 3), env_or("BENCH_RUNS", 15), &now) {
        Ok(figures) => {
            for figure in &figures {
                println!("{}", figure.json_line("native"));
            }
            ExitCode::SUCCESS
        }
        Err(wrong) => {
            eprintln!("engine bench: wrong result: {wrong}");
            ExitCode::FAILURE
        }
    }
}
