//! `dynamodb-emulator`: the emulator as a standalone server.

use clap::Parser;
use dynamodb_emulator::clock::{Clock, DEFAULT_VIRTUAL_START};
use dynamodb_emulator::replication::{Consistency, LagModel};
use dynamodb_emulator::Emulator;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// An in-memory DynamoDB emulator speaking DynamoDB's JSON wire protocol.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Port to listen on; 0 picks a free one (printed on start).
    #[arg(long, default_value_t = 8000)]
    port: u16,
    /// Seed of the emulator's random number generator.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// `real` time, `virtual` (starts at 2024-01-01T00:00:00Z and moves only when told), or
    /// `virtual:10ms` (also moves by that much on every request).
    #[arg(long, default_value = "real")]
    clock: String,
    /// Milliseconds tables stay CREATING/UPDATING (DynamoDB Local's -delayTransientStatuses).
    #[arg(long, default_value_t = 0)]
    transient_status_delay_ms: u64,
    /// Eventually consistent reads: `strong` (always current, like DynamoDB Local),
    /// `realistic` (replicas lag), or `worst-case` (oldest state the lag window allows).
    #[arg(long, default_value = "realistic")]
    consistency: String,
    /// Replica lag: `fixed:100ms`, `uniform:0ms..200ms`, `exponential:20ms` or `exponential:20ms..500ms`.
    #[arg(long)]
    lag: Option<String>,
    /// Global secondary index lag, same syntax as --lag.
    #[arg(long)]
    gsi_lag: Option<String>,
    /// Partition size in bytes before a split (DynamoDB: 10 GB).
    #[arg(long)]
    partition_size: Option<u64>,
    /// Add x-emulator-replica / x-emulator-stale / x-emulator-behind-ms headers to reads.
    #[arg(long)]
    debug_headers: bool,
    /// Never throttle (DynamoDB Local's behaviour).
    #[arg(long)]
    no_throttling: bool,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let clock = match args.clock.as_str() {
        "real" => Clock::real(),
        "virtual" => Clock::virtual_at(DEFAULT_VIRTUAL_START),
        tick if tick.starts_with("virtual:") => {
            match dynamodb_emulator::replication::lag::parse_duration(&tick[8..]) {
                Some(d) => Clock::virtual_with_tick(DEFAULT_VIRTUAL_START, d),
                None => {
                    eprintln!("invalid --clock {tick}: use virtual:10ms");
                    std::process::exit(2);
                }
            }
        }
        other => {
            eprintln!("unknown --clock {other}: use real or virtual");
            std::process::exit(2);
        }
    };
    let Some(consistency) = Consistency::parse(&args.consistency) else {
        eprintln!(
            "unknown --consistency {}: use strong, realistic or worst-case",
            args.consistency
        );
        std::process::exit(2);
    };
    let lag = |flag: &str, v: &Option<String>| -> Option<LagModel> {
        v.as_ref().map(|s| {
            LagModel::parse(s).unwrap_or_else(|| {
                eprintln!(
                    "invalid {flag} {s}: use fixed:100ms, uniform:0ms..200ms or exponential:20ms"
                );
                std::process::exit(2);
            })
        })
    };
    let mut builder = Emulator::builder()
        .consistency(consistency)
        .debug_headers(args.debug_headers)
        .throttling(!args.no_throttling);
    if let Some(l) = lag("--lag", &args.lag) {
        builder = builder.lag(l);
    }
    if let Some(l) = lag("--gsi-lag", &args.gsi_lag) {
        builder = builder.gsi_lag(l);
    }
    if let Some(p) = args.partition_size {
        builder = builder.partition_size(p);
    }
    let emulator = builder
        .seed(args.seed)
        .clock(clock)
        .transient_status_delay(Duration::from_millis(args.transient_status_delay_ms))
        .bind(SocketAddr::new(args.host, args.port))
        .start()
        .await;
    let emulator = match emulator {
        Ok(e) => e,
        Err(e) => {
            eprintln!("cannot listen on {}:{}: {e}", args.host, args.port);
            std::process::exit(1);
        }
    };
    println!("dynamodb-emulator listening on {}", emulator.endpoint_url());
    let _ = tokio::signal::ctrl_c().await;
    print!("{}", emulator.capacity_summary());
    emulator.shutdown().await;
}
