//! Page cost as a table grows: one table loaded in steps to 10⁴, 10⁵, 10⁶ and 10⁷ items (or the
//! sizes given), and at each size the time of a Query returning 100 items, of a 1 MB Scan page
//! from the start and of one from the middle of the table (ExclusiveStartKey), medians of
//! repeated runs; and how long each step of the load took (BatchWriteItem, in process).
//!
//! `cargo run --release -p dynamodb-emulator --example scale -- [sizes...]`

use dynamodb_emulator::{Clock, Consistency, Emulator, InProcess, DEFAULT_VIRTUAL_START};
use serde_json::Value;
use std::time::{Duration, Instant};

/// Item `i`: 100 items share the partition key "hot", the others spread over a tenth as many
/// partition keys as items, with a 150-byte payload (about 180 bytes each).
fn item(i: usize, spread: usize) -> String {
    let pk = if i < 100 {
        "hot".to_string()
    } else {
        format!("p{}", i % spread)
    };
    format!(
        r#"{{"PutRequest":{{"Item":{{"pk":{{"S":"{pk}"}},"sk":{{"N":"{i}"}},"payload":{{"S":"{}"}}}}}}}}"#,
        "x".repeat(150)
    )
}

/// Median time of `runs` calls.
fn median(emu: &InProcess, op: &str, body: &[u8], runs: usize) -> Duration {
    let mut t: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(emu.call(op, body).unwrap());
            start.elapsed()
        })
        .collect();
    t.sort();
    t[runs / 2]
}

fn main() {
    let sizes: Vec<usize> = {
        let given: Vec<usize> = std::env::args()
            .skip(1)
            .filter_map(|s| s.parse().ok())
            .collect();
        if given.is_empty() {
            vec![10_000, 100_000, 1_000_000, 10_000_000]
        } else {
            given
        }
    };
    // Costs of the operations, not DynamoDB's limits: strong reads, no throttling.
    let emu = Emulator::builder()
        .clock(Clock::virtual_at(DEFAULT_VIRTUAL_START))
        .consistency(Consistency::Strong)
        .throttling(false)
        .build();
    emu.call(
        "CreateTable",
        br#"{"TableName":"scale","BillingMode":"PAY_PER_REQUEST",
            "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],
            "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"N"}]}"#,
    )
    .unwrap();
    let spread = (sizes.iter().max().copied().unwrap_or(10_000) / 10).max(1);
    let query = br#"{"TableName":"scale","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"S":"hot"}}}"#;
    let scan = br#"{"TableName":"scale"}"#;
    println!("| items | load step | items/s | Query (100 items) | Scan 1 MB page, first | Scan 1 MB page, middle | partitions |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    let mut loaded = 0;
    let total = Instant::now();
    for &size in &sizes {
        let start = Instant::now();
        let mut batch = Vec::with_capacity(25);
        for i in loaded..size {
            batch.push(item(i, spread));
            if batch.len() == 25 || i + 1 == size {
                let body = format!(r#"{{"RequestItems":{{"scale":[{}]}}}}"#, batch.join(","));
                let answer: Value =
                    serde_json::from_slice(&emu.call("BatchWriteItem", body.as_bytes()).unwrap())
                        .unwrap();
                assert!(answer["UnprocessedItems"]
                    .as_object()
                    .is_none_or(|u| u.is_empty()));
                batch.clear();
            }
        }
        let step = start.elapsed();
        let rate = (size - loaded) as f64 / step.as_secs_f64();
        loaded = size;
        // A page from the middle of the table: start after the first key of a page half way.
        let first: Value = serde_json::from_slice(&emu.call("Scan", scan).unwrap()).unwrap();
        let mut start_key = first["LastEvaluatedKey"].clone();
        let pages = (size * 180 / 2) / 1_000_000;
        for _ in 1..pages.min(2_000) {
            let body = serde_json::json!({"TableName": "scale", "ExclusiveStartKey": start_key, "Select": "COUNT"});
            let v: Value =
                serde_json::from_slice(&emu.call("Scan", body.to_string().as_bytes()).unwrap())
                    .unwrap();
            if v["LastEvaluatedKey"].is_null() {
                break;
            }
            start_key = v["LastEvaluatedKey"].clone();
        }
        let middle =
            serde_json::json!({"TableName": "scale", "ExclusiveStartKey": start_key}).to_string();
        let q = median(&emu, "Query", query, 2001);
        // SCALE_SCAN_RUNS=N repeats the Scans N times (for a profiler; default 21).
        let runs = std::env::var("SCALE_SCAN_RUNS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(21);
        let s_first = median(&emu, "Scan", scan, runs);
        let s_middle = median(&emu, "Scan", middle.as_bytes(), runs);
        let parts = emu
            .control(
                "DescribePartitions",
                &serde_json::json!({"TableName": "scale"}),
            )
            .unwrap();
        let partitions = parts["Partitions"].as_array().map_or(0, Vec::len);
        println!(
            "| {size} | {:.1} s | {rate:.0} | {:.1} µs | {:.2} ms | {:.2} ms | {partitions} |",
            step.as_secs_f64(),
            q.as_secs_f64() * 1e6,
            s_first.as_secs_f64() * 1e3,
            s_middle.as_secs_f64() * 1e3,
        );
    }
    println!(
        "\nloaded {loaded} items in {:.1} s",
        total.elapsed().as_secs_f64()
    );
}
