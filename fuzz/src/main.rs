//! `dynamodb-fuzz`: runs the fuzz harness and prints what it found.

use clap::Parser;
use dynamodb_fuzz::{run, Config};
use std::time::Duration;

/// Fuzzes the emulator in process with generated, then mutated, requests.
#[derive(Parser, Debug)]
#[command(about)]
struct Args {
    /// Requests to send.
    #[arg(long, default_value_t = 1_000_000)]
    requests: u64,
    /// Seed of the generator (the same seed sends the same requests).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Requests between resets of the emulator's tables.
    #[arg(long, default_value_t = 5_000)]
    reset_every: u64,
    /// Seconds after which one request counts as a hang.
    #[arg(long, default_value_t = 10)]
    hang_after: u64,
    /// Expressions to parse alone, after the requests.
    #[arg(long, default_value_t = 100_000)]
    expressions: u64,
    /// Persist in a directory under this one and check, before every reset, that the
    /// recovered emulator shows what the live one showed.
    #[arg(long, value_name = "DIR")]
    persist: Option<std::path::PathBuf>,
}

fn main() {
    let a = Args::parse();
    let report = run(&Config {
        requests: a.requests,
        seed: a.seed,
        reset_every: a.reset_every.max(1),
        hang_after: Duration::from_secs(a.hang_after),
        expressions: a.expressions,
        persist: a.persist,
    });
    println!(
        "{} requests and {} expressions in {:.1?} ({:.0} requests/s); slowest request {:?} ({})",
        report.requests,
        report.expressions,
        report.elapsed,
        report.requests as f64 / report.elapsed.as_secs_f64(),
        report.slowest.0,
        report.slowest.1
    );
    for (outcome, n) in &report.outcomes {
        println!("  {outcome}: {n}");
    }
    if report.failures.is_empty() {
        println!("no panic, hang or internal error");
    } else {
        for f in &report.failures {
            println!("FAILED {}: {}\n  body: {}", f.target, f.problem, f.body);
        }
        std::process::exit(1);
    }
}
