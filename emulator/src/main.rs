//! `dynamodb-emulator`: the emulator as a standalone server.

use clap::Parser;
use dynamodb_emulator::clock::{Clock, DEFAULT_VIRTUAL_START};
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
    /// `real` time, or `virtual` (starts at 2024-01-01T00:00:00Z and moves only when told).
    #[arg(long, default_value = "real")]
    clock: String,
    /// Milliseconds tables stay CREATING/UPDATING (DynamoDB Local's -delayTransientStatuses).
    #[arg(long, default_value_t = 0)]
    transient_status_delay_ms: u64,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let clock = match args.clock.as_str() {
        "real" => Clock::real(),
        "virtual" => Clock::virtual_at(DEFAULT_VIRTUAL_START),
        other => {
            eprintln!("unknown --clock {other}: use real or virtual");
            std::process::exit(2);
        }
    };
    let emulator = Emulator::builder()
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
    emulator.shutdown().await;
}
