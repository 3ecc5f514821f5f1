//! `dynamodb-emulator`: the emulator as a standalone server.

use clap::Parser;
use dynamodb_emulator::Quotas;
use dynamodb_emulator::{Clock, DEFAULT_VIRTUAL_START};
use dynamodb_emulator::{Consistency, LagModel};
use dynamodb_emulator::{Credentials, Timeouts};
use dynamodb_emulator::{Emulator, FsyncPolicy};
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
    #[arg(long, default_value = "real", value_parser = clock)]
    clock: Clock,
    /// Milliseconds tables stay CREATING/UPDATING (DynamoDB Local's -delayTransientStatuses).
    #[arg(long, default_value_t = 0)]
    transient_status_delay_ms: u64,
    /// Eventually consistent reads: `strong` (always current, like DynamoDB Local),
    /// `realistic` (replicas lag), or `worst-case` (oldest state the lag window allows).
    #[arg(long, default_value = "realistic", value_parser = consistency)]
    consistency: Consistency,
    /// Replica lag: `stalls:5ms..1s/500ms` (the default: writes apply at once except during
    /// stalls of mean 5 ms, at most 1 s, one every 500 ms per replica), or per write
    /// `fixed:100ms`, `uniform:0ms..200ms`, `exponential:20ms`, `exponential:20ms..500ms`.
    #[arg(long, value_parser = lag)]
    lag: Option<LagModel>,
    /// Global secondary index lag, same syntax as --lag (default `stalls:20ms..1s/1s`).
    #[arg(long, value_parser = lag)]
    gsi_lag: Option<LagModel>,
    /// Partition size in bytes before a split (DynamoDB: 10 GB).
    #[arg(long)]
    partition_size: Option<u64>,
    /// Add x-emulator-replica / x-emulator-stale / x-emulator-behind-ms headers to reads.
    #[arg(long)]
    debug_headers: bool,
    /// Never throttle (DynamoDB Local's behaviour).
    #[arg(long)]
    no_throttling: bool,
    /// Tables per region (DynamoDB's default quota: 2,500).
    #[arg(long, default_value_t = 2500)]
    max_tables: usize,
    /// RCU and WCU a provisioned table or GSI may have (DynamoDB's default quota: 40,000).
    #[arg(long, default_value_t = 40_000)]
    table_throughput_quota: u64,
    /// RCU and WCU all provisioned tables may have together (DynamoDB's default quota: 80,000).
    #[arg(long, default_value_t = 80_000)]
    account_throughput_quota: u64,
    /// Close a connection whose request headers take longer than this (from their first byte).
    #[arg(long, default_value = "10s", value_parser = duration)]
    header_timeout: Duration,
    /// Close a connection whose request body takes longer than this (after the headers).
    #[arg(long, default_value = "30s", value_parser = duration)]
    body_timeout: Duration,
    /// Close a connection idle (no request under way) for longer than this.
    #[arg(long, default_value = "60s", value_parser = duration)]
    idle_timeout: Duration,
    /// Open connections at most; further clients wait to be accepted.
    #[arg(long, default_value_t = 8192)]
    max_connections: usize,
    /// On SIGTERM/SIGINT, how long requests in flight may take to finish.
    #[arg(long, default_value = "10s", value_parser = duration)]
    shutdown_grace: Duration,
    /// Require SigV4 signatures by this access key (`KEY:SECRET`; repeat for several keys).
    #[arg(long, value_name = "KEY:SECRET", value_parser = key_pair)]
    auth: Vec<(String, String)>,
    /// Do not serve the `Emulator.*` control API (clock, reset, inspection) over HTTP.
    #[arg(long)]
    no_control_api: bool,
    /// Do not serve the web console at `/console` (it needs the control API; it is off with
    /// --auth, since a browser page cannot sign requests).
    #[arg(long)]
    no_console: bool,
    /// Also accept this Host name while bound to loopback (repeatable); localhost and IP
    /// literals are always accepted.
    #[arg(long, value_name = "NAME")]
    allow_host: Vec<String>,
    /// Persist in this directory: its tables and items are recovered at start, and every
    /// acknowledged change survives a restart or a kill -9. Without it nothing touches the disk.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<std::path::PathBuf>,
    /// With --data-dir: `always` (fsync before every acknowledgement; the default), `interval`
    /// (once a second: a machine crash loses up to a second) or `never` (the OS decides). A
    /// crash of the emulator alone loses nothing under any of them.
    #[arg(long, default_value = "always", value_parser = fsync, requires = "data_dir")]
    fsync: FsyncPolicy,
    /// Load a table's items at start from DynamoDB JSON lines (the S3 export format,
    /// `{"Item": {...}}` per line); the table must exist (from --data-dir). Repeatable.
    /// `GET /emulator/export/TABLE` writes the same format.
    #[arg(long, value_name = "TABLE=FILE", value_parser = load)]
    load: Vec<(String, std::path::PathBuf)>,
    /// DynamoDB's S3 for ExportTableToPointInTime and ImportTable: `file:///DIR` (each bucket
    /// a subdirectory of DIR) or `http://HOST:PORT` (an S3-compatible endpoint, path-style,
    /// signed with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY for --s3-region). Without it no
    /// bucket exists and exports and imports fail with S3NoSuchBucket.
    #[arg(long, value_name = "URL")]
    s3: Option<String>,
    /// The region S3 requests are signed for.
    #[arg(long, default_value = "us-east-1", requires = "s3")]
    s3_region: String,
    /// Inject a fault (repeatable): the kind, then name=value filters and triggers, e.g.
    /// `InternalServerError,operation=PutItem,nth=3`,
    /// `ServiceUnavailable,operation=Query,table=T,probability=0.1,for=5s`,
    /// `ResetAfterApply,operation=UpdateItem,times=1`, `Latency=50ms,operation=TransactWriteItems`,
    /// `TransactionConflict,table=T,key-prefix=acct#`. Kinds: InternalServerError,
    /// ServiceUnavailable, Throttling, TransactionConflict, ResetBeforeApply, ResetAfterApply,
    /// Latency=DURATION. Probabilities draw from the --seed.
    #[arg(long, value_name = "SPEC")]
    fault: Vec<dynamodb_emulator::FaultRule>,
}

fn fsync(s: &str) -> Result<FsyncPolicy, String> {
    FsyncPolicy::parse(s).ok_or_else(|| "use always, interval or never".into())
}

fn load(s: &str) -> Result<(String, std::path::PathBuf), String> {
    match s.split_once('=') {
        Some((t, f)) if !t.is_empty() && !f.is_empty() => Ok((t.to_string(), f.into())),
        _ => Err("use TABLE=FILE".into()),
    }
}

fn clock(s: &str) -> Result<Clock, String> {
    match s {
        "real" => Ok(Clock::real()),
        "virtual" => Ok(Clock::virtual_at(DEFAULT_VIRTUAL_START)),
        tick => match tick
            .strip_prefix("virtual:")
            .map(dynamodb_emulator::parse_duration)
        {
            Some(Some(d)) => Ok(Clock::virtual_with_tick(DEFAULT_VIRTUAL_START, d)),
            Some(None) => Err("use virtual:10ms (a tick per request)".into()),
            None => Err("use real, virtual or virtual:10ms".into()),
        },
    }
}

fn consistency(s: &str) -> Result<Consistency, String> {
    Consistency::parse(s).ok_or_else(|| "use strong, realistic or worst-case".into())
}

fn lag(s: &str) -> Result<LagModel, String> {
    LagModel::parse(s).ok_or_else(|| {
        "use stalls:5ms..1s/500ms, fixed:100ms, uniform:0ms..200ms or exponential:20ms (at most 3600s)"
            .into()
    })
}

fn duration(s: &str) -> Result<Duration, String> {
    dynamodb_emulator::parse_duration(s)
        .ok_or_else(|| format!("invalid duration {s}: use 500ms, 10s or a number of milliseconds"))
}

fn key_pair(s: &str) -> Result<(String, String), String> {
    Credentials::parse_pair(s).ok_or_else(|| "expected KEY:SECRET".to_string())
}

/// Resolves on SIGTERM or SIGINT (Ctrl-C), saying which.
async fn stop_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = tokio::signal::ctrl_c() => "SIGINT",
            },
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "SIGINT"
    }
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let mut builder = Emulator::builder()
        .consistency(args.consistency)
        .debug_headers(args.debug_headers)
        .throttling(!args.no_throttling)
        .quotas(Quotas {
            tables: args.max_tables,
            table_throughput: args.table_throughput_quota,
            account_throughput: args.account_throughput_quota,
        })
        .timeouts(Timeouts {
            header: args.header_timeout,
            body: args.body_timeout,
            idle: args.idle_timeout,
        })
        .max_connections(args.max_connections)
        .shutdown_grace(args.shutdown_grace)
        .control_api(!args.no_control_api)
        .console(!args.no_console);
    if !args.auth.is_empty() {
        let credentials = args
            .auth
            .iter()
            .fold(Credentials::new(), |c, (k, s)| c.with(k, s));
        builder = builder.credentials(credentials);
    }
    for host in &args.allow_host {
        builder = builder.allow_host(host);
    }
    if let Some(l) = args.lag {
        builder = builder.lag(l);
    }
    if let Some(l) = args.gsi_lag {
        builder = builder.gsi_lag(l);
    }
    if let Some(p) = args.partition_size {
        builder = builder.partition_size(p);
    }
    if let Some(dir) = &args.data_dir {
        builder = builder.data_dir(dir).fsync(args.fsync);
    }
    for (table, file) in &args.load {
        builder = builder.load(table, file);
    }
    for rule in &args.fault {
        builder = builder.fault(rule.clone());
    }
    if let Some(url) = &args.s3 {
        let env =
            |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.into());
        let (key, secret) = (
            env("AWS_ACCESS_KEY_ID", "test"),
            env("AWS_SECRET_ACCESS_KEY", "test"),
        );
        match dynamodb_emulator::ObjectStore::parse(url, &args.s3_region, (&key, &secret)) {
            Ok(store) => builder = builder.object_store(store),
            Err(e) => {
                eprintln!("dynamodb-emulator: --s3 {e}");
                std::process::exit(2);
            }
        }
    }
    let emulator = builder
        .seed(args.seed)
        .clock(args.clock)
        .transient_status_delay(Duration::from_millis(args.transient_status_delay_ms))
        .bind(SocketAddr::new(args.host, args.port))
        .start()
        .await;
    let emulator = match emulator {
        Ok(e) => e,
        Err(e) => {
            eprintln!(
                "dynamodb-emulator cannot start on {}:{}: {e}",
                args.host, args.port
            );
            std::process::exit(1);
        }
    };
    if let (Some(report), Some(dir)) = (emulator.recovery(), &args.data_dir) {
        eprintln!("dynamodb-emulator: {}: {report}", dir.display());
    }
    println!("dynamodb-emulator listening on {}", emulator.endpoint_url());
    let signal = stop_signal().await;
    eprintln!("dynamodb-emulator: {signal}: no new connections; finishing requests in flight");
    // Stop first (requests in flight finish), then report, so the summary counts them.
    let summary = emulator.in_process().clone();
    emulator.shutdown().await;
    print!("{}", summary.capacity_summary());
}
