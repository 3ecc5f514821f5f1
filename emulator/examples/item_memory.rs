//! Memory per item, component by component, against the item's size by DynamoDB's rules: the
//! item representation alone, then a table loaded through PutItem at the default settings
//! (real time, replication model on: each write leaves a pending version until the replicas
//! apply it, milliseconds later), then settled, then with a global secondary index.
//!
//! Counted three ways: bytes asked of the allocator, the chunks glibc's malloc hands out for
//! them (headers and rounding), and the process's RSS.
//!
//! `cargo run --release -p dynamodb-emulator --example item_memory -- [items]`

use dynamodb_emulator::{Emulator, Item};
use serde_json::Value;

#[path = "support/counting.rs"]
mod counting;
use counting::{chunks, live, rss};

/// A small item: a string key, a name, an e-mail, a number and a boolean, about 64 bytes.
fn item_json(i: usize) -> String {
    format!(
        r#"{{"pk":{{"S":"user#{i:08}"}},"name":{{"S":"name {i:06}"}},"email":{{"S":"u{i:07}@ex.com"}},"n":{{"N":"{}"}},"ok":{{"BOOL":true}}}}"#,
        i % 100_000
    )
}

#[derive(Clone, Copy)]
struct Sample {
    live: isize,
    chunks: isize,
    rss: isize,
}

fn sample() -> Sample {
    Sample {
        live: live(),
        chunks: chunks(),
        rss: rss(),
    }
}

fn row(what: &str, from: Sample, to: Sample, n: usize, size: f64) {
    let per = |a: isize, b: isize| (b - a) as f64 / n as f64;
    let chunk = per(from.chunks, to.chunks);
    println!(
        "| {what} | {:.0} | {chunk:.0} | {:.0} | {:.1}x |",
        per(from.live, to.live),
        per(from.rss, to.rss),
        chunk / size
    );
}

fn load(gsi: bool, n: usize) -> (dynamodb_emulator::InProcess, f64) {
    // The binary's defaults (real time, so replicas catch up as the load goes on) but for
    // throttling, which a load this fast would meet.
    let emu = Emulator::builder().throttling(false).build();
    let index = if gsi {
        r#","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"email","AttributeType":"S"}],
           "GlobalSecondaryIndexes":[{"IndexName":"by_email","KeySchema":[{"AttributeName":"email","KeyType":"HASH"}],"Projection":{"ProjectionType":"KEYS_ONLY"}}]"#
    } else {
        r#","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}]"#
    };
    let create = format!(
        r#"{{"TableName":"mem","BillingMode":"PAY_PER_REQUEST","KeySchema":[{{"AttributeName":"pk","KeyType":"HASH"}}]{index}}}"#
    );
    emu.call("CreateTable", create.as_bytes()).unwrap();
    for i in 0..n {
        let body = format!(r#"{{"TableName":"mem","Item":{}}}"#, item_json(i));
        emu.call("PutItem", body.as_bytes()).unwrap();
    }
    let d: Value = serde_json::from_slice(
        &emu.call("DescribeTable", br#"{"TableName":"mem"}"#)
            .unwrap(),
    )
    .unwrap();
    let size = d["Table"]["TableSizeBytes"].as_f64().unwrap() / n as f64;
    (emu, size)
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(200_000);
    if std::env::args().nth(2).as_deref() == Some("--table-only") {
        // For a heap profiler: the settled table and nothing else left at exit.
        let (emu, _) = load(false, n);
        emu.settle();
        std::mem::forget(emu);
        return;
    }
    println!("{n} items; bytes per item\n");
    println!("| | asked | malloc chunks | RSS | chunks / DynamoDB size |");
    println!("| --- | --- | --- | --- | --- |");

    let before = sample();
    let items: Vec<Item> = (0..n)
        .map(|i| serde_json::from_str(&item_json(i)).unwrap())
        .collect();
    let parsed = sample();
    let packed: Vec<Box<[u8]>> = items.iter().map(dynamodb_emulator::packed::pack).collect();
    let packed_at = sample();
    drop(packed);
    drop(items);

    let start = sample();
    let (emu, size) = load(false, n);
    let loaded = sample();
    row("the items alone (`Vec<Item>`)", before, parsed, n, size);
    row(
        "the same items packed (`packed::pack`, a `Vec<Box<[u8]>>`)",
        parsed,
        packed_at,
        n,
        size,
    );
    row("a table, loaded (pending versions)", start, loaded, n, size);
    // Past the lag window, one read drops what no replica can show any more.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    emu.call(
        "GetItem",
        br#"{"TableName":"mem","Key":{"pk":{"S":"user#00000001"}}}"#,
    )
    .unwrap();
    let later = sample();
    row("a second later, after one read", start, later, n, size);
    emu.settle();
    let settled = sample();
    row("the same, settled", start, settled, n, size);
    drop(emu);

    let start = sample();
    let (emu, gsi_size) = load(true, n);
    emu.settle();
    let settled = sample();
    row(
        "a table with a KEYS_ONLY GSI, settled",
        start,
        settled,
        n,
        gsi_size,
    );
    println!("\nDynamoDB size per item (TableSizeBytes / ItemCount): {size:.1} bytes");
}
