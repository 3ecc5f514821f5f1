//! What a stream costs: the bytes each retained record takes (a counting allocator, a table
//! with a NEW_AND_OLD_IMAGES stream against the same writes without one), and how fast
//! GetRecords reads, against a Scan of the same number of items in the same run.
//!
//! `cargo run --release -p dynamodb-emulator --example stream_cost -- [items]`

use dynamodb_emulator::{Consistency, Emulator, InProcess};
use serde_json::json;
use std::time::Instant;

#[path = "support/counting.rs"]
mod counting;
use counting::live;

/// A table of `n` items of about 100 bytes, each written then updated: `2n` changes. Returns
/// the emulator and the bytes it holds.
fn load(n: usize, stream: bool) -> (InProcess, isize) {
    let before = live();
    let emu = Emulator::builder()
        .virtual_clock()
        .consistency(Consistency::Strong)
        .throttling(false)
        .build();
    let mut create = json!({
        "TableName": "tbl",
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
    });
    if stream {
        create["StreamSpecification"] =
            json!({"StreamEnabled": true, "StreamViewType": "NEW_AND_OLD_IMAGES"});
    }
    emu.call_json("CreateTable", &create).unwrap();
    for round in 0..2 {
        for i in 0..n {
            let item = json!({"pk": {"S": format!("key-{i:08}")}, "v": {"S": format!("{round}{}", "x".repeat(80))}});
            emu.call_json("PutItem", &json!({"TableName": "tbl", "Item": item}))
                .unwrap();
        }
    }
    let bytes = live() - before;
    (emu, bytes)
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(50_000);
    let (plain, without) = load(n, false);
    let (emu, with) = load(n, true);
    let records = 2 * n;
    println!(
        "{records} records: {} bytes retained per record (NEW_AND_OLD_IMAGES, items of ~100 bytes; table alone {} bytes per item)",
        (with - without) / records as isize,
        without / n as isize
    );

    // Throughput: every record through GetRecords (1,000 a call) vs every item through Scan.
    let arn = emu
        .call_json("DescribeTable", &json!({"TableName": "tbl"}))
        .unwrap()["Table"]["LatestStreamArn"]
        .as_str()
        .unwrap()
        .to_string();
    let started = Instant::now();
    let d = emu
        .call_json("DescribeStream", &json!({ "StreamArn": arn }))
        .unwrap();
    let mut read = 0;
    for shard in d["StreamDescription"]["Shards"].as_array().unwrap() {
        let mut it = emu
            .call_json(
                "GetShardIterator",
                &json!({"StreamArn": arn, "ShardId": shard["ShardId"], "ShardIteratorType": "TRIM_HORIZON"}),
            )
            .unwrap()["ShardIterator"]
            .as_str()
            .map(str::to_string);
        while let Some(i) = it {
            let page = emu
                .call_json("GetRecords", &json!({ "ShardIterator": i, "Limit": 1000 }))
                .unwrap();
            let got = page["Records"].as_array().unwrap().len();
            read += got;
            it = if got == 0 {
                None
            } else {
                page["NextShardIterator"].as_str().map(str::to_string)
            };
        }
    }
    let stream_time = started.elapsed();
    assert_eq!(read, records);
    let started = Instant::now();
    let mut scanned = 0;
    let mut start: Option<serde_json::Value> = None;
    // Scan the table twice: as many items as the stream has records.
    for _ in 0..2 {
        loop {
            let mut req = json!({"TableName": "tbl"});
            if let Some(k) = &start {
                req["ExclusiveStartKey"] = k.clone();
            }
            let page = plain.call_json("Scan", &req).unwrap();
            scanned += page["Count"].as_u64().unwrap() as usize;
            start = page.get("LastEvaluatedKey").cloned();
            if start.is_none() {
                break;
            }
        }
    }
    let scan_time = started.elapsed();
    let per_sec = |k: usize, t: std::time::Duration| k as f64 / t.as_secs_f64();
    println!(
        "GetRecords: {:.0} records/s; Scan: {:.0} items/s; ratio {:.2}",
        per_sec(read, stream_time),
        per_sec(scanned, scan_time),
        per_sec(read, stream_time) / per_sec(scanned, scan_time)
    );
}
