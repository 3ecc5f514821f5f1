//! `dynamodb-conformance`: generated workloads against an endpoint and a reference.
//!
//! ```text
//! dynamodb-conformance [--endpoint URL] [--reference model|emulator] [--cases N] [--seed S]
//! ```
//! Without `--endpoint` the target is the emulator in-process and the reference the model. With
//! an endpoint (DynamoDB Local, or AWS behind a signing proxy) the reference defaults to the
//! emulator. Tables are created per case with unique names and deleted afterwards.

use clap::Parser;
use dynamodb_conformance::runner::{check, Reference};
use dynamodb_conformance::target::{Http, Local, Target};
use std::time::Instant;

#[derive(Parser)]
#[command(about = "Differential conformance runs against any DynamoDB-compatible endpoint")]
struct Args {
    /// Endpoint to test (default: the emulator in-process).
    #[arg(long)]
    endpoint: Option<String>,
    /// `model` or `emulator`.
    #[arg(long)]
    reference: Option<String>,
    #[arg(long, default_value_t = 200)]
    cases: u32,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Longest workload, in operations.
    #[arg(long, default_value_t = 30)]
    max_ops: usize,
}

fn main() {
    let args = Args::parse();
    let reference_name = args.reference.clone().unwrap_or_else(|| {
        if args.endpoint.is_some() {
            "emulator".into()
        } else {
            "model".into()
        }
    });
    let mut target: Box<dyn Target> = match &args.endpoint {
        Some(url) => Box::new(Http::connect(url).unwrap_or_else(|e| {
            eprintln!("cannot connect to {url}: {e}");
            std::process::exit(2)
        })),
        None => Box::new(Local::new()),
    };
    let mut emulator = Local::new();
    let reference = match reference_name.as_str() {
        "model" => Reference::Model,
        "emulator" => Reference::Target(&mut emulator),
        other => {
            eprintln!("unknown --reference {other}: use model or emulator");
            std::process::exit(2)
        }
    };
    let started = Instant::now();
    let name = target.name();
    let run = check(&mut *target, reference, args.cases, args.seed, args.max_ops);
    println!("target:    {name}");
    println!("reference: {reference_name}");
    println!("operations tried: {:?}", run.coverage.operations);
    println!("outcomes:         {:?}", run.coverage.outcomes);
    println!("index items:      {}", run.coverage.index_items);
    match run.failure {
        None => println!(
            "{} passed, 0 failed ({:.1} s)",
            run.cases,
            started.elapsed().as_secs_f64()
        ),
        Some(f) => {
            println!("difference found (shrunk to a minimal workload):\n{f}");
            println!("0 passed, 1 failed");
            std::process::exit(1);
        }
    }
}
