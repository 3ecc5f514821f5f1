//! Memory of point-in-time recovery's history, measured with a counting allocator: the bytes
//! a table of N items takes, what turning PITR on adds (one copy of the items, the history's
//! base), what N updates inside the window add (each change keeps the new item), and what is
//! left once the window has passed them (they fold into the base).
//!
//! `cargo run --release -p dynamodb-emulator --example pitr_memory -- [items]`

use dynamodb_emulator::Emulator;
use dynamodb_emulator::{Clock, Consistency, DEFAULT_VIRTUAL_START};
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
        .consistency(Consistency::Strong)
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
    let pitr = |days: u32| {
        let body = format!(
            r#"{{"TableName":"mem","PointInTimeRecoverySpecification":{{"PointInTimeRecoveryEnabled":true,"RecoveryPeriodInDays":{days}}}}}"#
        );
        emu.call("UpdateContinuousBackups", body.as_bytes())
            .unwrap();
    };
    let start = live();
    for i in 0..n {
        put(i, "first version");
    }
    let table = live() - start;
    let per = |b: isize| b as f64 / n as f64;
    println!(
        "{n} items: table {:.1} MB ({:.0} B/item)",
        table as f64 / 1e6,
        per(table)
    );
    let before = live();
    pitr(1);
    let base = live() - before;
    println!(
        "PITR on: +{:.1} MB ({:.0} B/item: the history's base, one copy of the items)",
        base as f64 / 1e6,
        per(base)
    );
    let before = live();
    for i in 0..n {
        emu.advance(Duration::from_millis(1));
        put(i, "second version");
    }
    let changes = live() - before;
    println!(
        "{n} updates inside the window: +{:.1} MB ({:.0} B/change: the new item and its key)",
        changes as f64 / 1e6,
        per(changes)
    );
    // A day and a write later, every update is older than the window and folds into the base.
    emu.advance(Duration::from_secs(86_400 + 60));
    put(0, "third version");
    let folded = live() - before;
    println!(
        "after the 1-day window passed them: +{:.1} MB over PITR's base ({:.0} B/item)",
        folded as f64 / 1e6,
        per(folded)
    );
}
