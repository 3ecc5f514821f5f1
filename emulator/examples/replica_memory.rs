//! Memory of the replica model, measured with a counting allocator: the bytes a table of N items
//! takes, and the extra bytes when every item has a write no follower has applied yet (version
//! chains), against what one full copy per replica would take.
//!
//! `cargo run --release -p dynamodb-emulator --example replica_memory -- [items]`

use dynamodb_emulator::Emulator;
use dynamodb_emulator::{Clock, DEFAULT_VIRTUAL_START};
use dynamodb_emulator::{Consistency, LagModel};
use std::time::Duration;

#[path = "support/counting.rs"]
mod counting;
use counting::live;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let emu = Emulator::builder()
        .clock(Clock::virtual_at(DEFAULT_VIRTUAL_START))
        .consistency(Consistency::Realistic)
        .lag(LagModel::Fixed(Duration::from_secs(3600)))
        .gsi_lag(LagModel::Fixed(Duration::from_secs(3600)))
        .throttling(false)
        .build();
    emu.call(
        "CreateTable",
        br#"{"TableName":"mem","BillingMode":"PAY_PER_REQUEST","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}]}"#,
    )
    .unwrap();
    let put = |i: usize, v: &str| {
        let body = format!(
            r#"{{"TableName":"mem","Item":{{"pk":{{"S":"k{i}"}},"v":{{"S":"{v}"}},"n":{{"N":"{i}"}}}}}}"#
        );
        emu.call("PutItem", body.as_bytes()).unwrap();
    };
    for i in 0..n {
        put(i, &"a".repeat(100));
    }
    emu.settle();
    let base = live();
    // Every item rewritten; with an hour of lag and a frozen clock, every old version is pending.
    for i in 0..n {
        put(i, &"b".repeat(100));
    }
    let pending = live();
    emu.settle();
    let settled = live();
    let per_item = base as f64 / n as f64;
    let per_version = (pending - settled) as f64 / n as f64;
    println!("items: {n}");
    println!("table, settled:             {:>8.0} bytes/item", per_item);
    println!("pending version overhead:   {:>8.0} bytes/item with one unapplied write ({:.2}x the item's own footprint)", per_version, per_version / per_item);
    println!(
        "two full follower copies:   {:>8.0} bytes/item (baseline the version chains avoid)",
        2.0 * per_item
    );
    println!(
        "after settle:               {:>8.0} bytes/item",
        settled as f64 / n as f64
    );
}
