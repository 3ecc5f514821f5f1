//! What persistence costs, measured in one run: PutItem throughput from concurrent writers
//! in memory and under each fsync policy, and recovery time of a large dataset from the logs
//! and from a snapshot.
//!
//! Run: `cargo bench -p dynamodb-emulator --bench persistence` (a dataset of 256 MB; set
//! `PERSISTENCE_BENCH_MB=1024` for 1 GB). Data directories go under `target/`, on the same
//! disk as the build (a tmpfs would make fsync free).

use dynamodb_emulator::{Emulator, FsyncPolicy, InProcess};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const WRITERS: usize = 4;
const RUN: Duration = Duration::from_secs(3);

fn bench_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../target/persistence-bench")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.parent().unwrap()).unwrap();
    dir
}

fn builder() -> dynamodb_emulator::EmulatorBuilder {
    Emulator::builder()
        .seed(1)
        .throttling(false)
        .consistency(dynamodb_emulator::Consistency::Strong)
}

fn create(emu: &InProcess) {
    let body = r#"{"TableName":"bench","BillingMode":"PAY_PER_REQUEST",
        "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],
        "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}]}"#;
    emu.call("CreateTable", body.as_bytes()).unwrap();
}

/// PutItems per second from [`WRITERS`] threads for [`RUN`].
fn throughput(emu: &InProcess) -> f64 {
    create(emu);
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let threads: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (emu, stop, done) = (emu.clone(), stop.clone(), done.clone());
            std::thread::spawn(move || {
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let body = format!(
                        r#"{{"TableName":"bench","Item":{{"pk":{{"S":"w{w}-{i}"}},"name":{{"S":"name {i}"}},"n":{{"N":"{i}"}}}}}}"#
                    );
                    emu.call("PutItem", body.as_bytes()).unwrap();
                    i += 1;
                }
                done.fetch_add(i, Ordering::Relaxed);
            })
        })
        .collect();
    std::thread::sleep(RUN);
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is taken.
    println!("PutItem, {WRITERS} writer threads in process, {RUN:?} each:");
    let memory = throughput(&builder().build());
    println!(
        "  {:<28} {:>10.0}/s  1.00x",
        "memory only (no --data-dir)", memory
    );
    for (name, policy) in [
        ("never", FsyncPolicy::Never),
        ("interval", FsyncPolicy::Interval),
        ("always", FsyncPolicy::Always),
    ] {
        let dir = bench_dir(name);
        let emu = builder().data_dir(&dir).fsync(policy).build();
        let rate = throughput(&emu);
        println!(
            "  {:<28} {:>10.0}/s  {:.2}x of memory",
            format!("--data-dir --fsync {name}"),
            rate,
            rate / memory
        );
        drop(emu);
        let _ = std::fs::remove_dir_all(&dir);
    }

    let mb: usize = std::env::var("PERSISTENCE_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    let dir = bench_dir("recovery");
    let emu = builder()
        .data_dir(&dir)
        .fsync(FsyncPolicy::Never)
        .compact_after(u64::MAX)
        .build();
    create(&emu);
    // Items of about 1 KB by DynamoDB's size rules.
    let pad = "x".repeat(1000);
    let items = mb * 1024;
    let started = Instant::now();
    for i in 0..items {
        let body = format!(
            r#"{{"TableName":"bench","Item":{{"pk":{{"S":"item-{i:09}"}},"pad":{{"S":"{pad}"}}}}}}"#
        );
        emu.call("PutItem", body.as_bytes()).unwrap();
    }
    let load = started.elapsed();
    drop(emu);
    let log_bytes: u64 = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    println!(
        "\n{items} items of 1 KB ({:.0} MB on disk), written in {:.1} s ({:.0} items/s):",
        log_bytes as f64 / 1e6,
        load.as_secs_f64(),
        items as f64 / load.as_secs_f64()
    );
    let emu = builder().data_dir(&dir).build();
    let from_logs = emu.recovery().unwrap().clone();
    println!("  restart, replaying the logs:   {from_logs}");
    let compaction = emu.compact().unwrap().unwrap();
    println!(
        "  compaction: {:.0} MB snapshot in {:.2} s",
        compaction.bytes as f64 / 1e6,
        compaction.took.as_secs_f64()
    );
    drop(emu);
    let emu = builder().data_dir(&dir).build();
    let from_snapshot = emu.recovery().unwrap().clone();
    println!("  restart, loading the snapshot: {from_snapshot}");
    drop(emu);
    let _ = std::fs::remove_dir_all(&dir);
}
