//! In-process operation costs: the emulator itself, without HTTP.
//! Run: `cargo bench -p dynamodb-emulator --bench operations`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use dynamodb_emulator::Emulator;
use dynamodb_emulator::InProcess;
use dynamodb_emulator::{Clock, DEFAULT_VIRTUAL_START};
use dynamodb_emulator::{Consistency, LagModel};
use std::hint::black_box;
use std::time::Duration;

fn emulator(consistency: Consistency) -> InProcess {
    Emulator::builder()
        .seed(1)
        .clock(Clock::virtual_at(DEFAULT_VIRTUAL_START))
        .consistency(consistency)
        .lag(LagModel::Fixed(Duration::from_secs(3600)))
        // The cost of operations, not DynamoDB's limits: a frozen clock would throttle.
        .throttling(false)
        .build()
}

fn create(emu: &InProcess, range: bool) {
    let body = if range {
        r#"{"TableName":"bench","BillingMode":"PAY_PER_REQUEST",
            "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],
            "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"N"}]}"#
    } else {
        r#"{"TableName":"bench","BillingMode":"PAY_PER_REQUEST",
            "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],
            "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}]}"#
    };
    emu.call("CreateTable", body.as_bytes()).unwrap();
}

fn fill(emu: &InProcess, items: usize) {
    for i in 0..items {
        let body = format!(
            r#"{{"TableName":"bench","Item":{{"pk":{{"S":"user#{i}"}},"name":{{"S":"name {i}"}},"n":{{"N":"{i}"}},"tags":{{"SS":["a","b"]}}}}}}"#
        );
        emu.call("PutItem", body.as_bytes()).unwrap();
    }
}

fn item_operations(c: &mut Criterion) {
    let emu = emulator(Consistency::Strong);
    create(&emu, false);
    fill(&emu, 10_000);
    let get = br#"{"TableName":"bench","Key":{"pk":{"S":"user#4242"}}}"#;
    c.bench_function("in_process/GetItem", |b| {
        b.iter(|| black_box(emu.call("GetItem", black_box(get)).unwrap()))
    });
    let get_proj = br##"{"TableName":"bench","Key":{"pk":{"S":"user#4242"}},"ProjectionExpression":"#n, tags","ExpressionAttributeNames":{"#n":"name"}}"##;
    c.bench_function("in_process/GetItem+projection", |b| {
        b.iter(|| black_box(emu.call("GetItem", black_box(get_proj)).unwrap()))
    });
    // The same read as a PartiQL statement: parse, bind, plan, then the same Query command.
    let select =
        br#"{"Statement":"SELECT * FROM bench WHERE pk = ?","Parameters":[{"S":"user#4242"}]}"#;
    c.bench_function("in_process/ExecuteStatement(SELECT by key)", |b| {
        b.iter(|| black_box(emu.call("ExecuteStatement", black_box(select)).unwrap()))
    });
    let put = br#"{"TableName":"bench","Item":{"pk":{"S":"user#77"},"name":{"S":"someone"},"n":{"N":"77"},"tags":{"SS":["a","b"]}}}"#;
    c.bench_function("in_process/PutItem", |b| {
        b.iter(|| black_box(emu.call("PutItem", black_box(put)).unwrap()))
    });
    let update = br##"{"TableName":"bench","Key":{"pk":{"S":"user#78"}},"UpdateExpression":"SET #n = :n ADD hits :one","ConditionExpression":"attribute_not_exists(locked)","ExpressionAttributeNames":{"#n":"name"},"ExpressionAttributeValues":{":n":{"S":"x"},":one":{"N":"1"}}}"##;
    c.bench_function("in_process/UpdateItem", |b| {
        b.iter(|| black_box(emu.call("UpdateItem", black_box(update)).unwrap()))
    });
    c.bench_function("in_process/TransactWriteItems(2 updates)", |b| {
        b.iter(|| black_box(emu.call("TransactWriteItems", black_box(TRANSFER)).unwrap()))
    });
}

/// Two updates in one transaction: the item locks and the fault layer's transaction path.
const TRANSFER: &[u8] = br#"{"TransactItems":[
    {"Update":{"TableName":"bench","Key":{"pk":{"S":"user#1"}},"UpdateExpression":"ADD n :a","ExpressionAttributeValues":{":a":{"N":"-1"}}}},
    {"Update":{"TableName":"bench","Key":{"pk":{"S":"user#2"}},"UpdateExpression":"ADD n :a","ExpressionAttributeValues":{":a":{"N":"1"}}}}]}"#;

/// The fault layer when a rule is configured but matches nothing (another table): every
/// request's body is read for its targets. With no rule at all the layer is one atomic load
/// (compare `in_process/*` with the commit before the layer: BENCHMARKS.md).
fn faults(c: &mut Criterion) {
    let emu = emulator(Consistency::Strong);
    create(&emu, false);
    fill(&emu, 10_000);
    emu.inject_fault(
        dynamodb_emulator::FaultRule::new(dynamodb_emulator::FaultKind::Throttling).table("other"),
    )
    .unwrap();
    let mut group = c.benchmark_group("faults/a_rule_matching_nothing");
    let get = br#"{"TableName":"bench","Key":{"pk":{"S":"user#4242"}}}"#;
    group.bench_function("GetItem", |b| {
        b.iter(|| black_box(emu.call("GetItem", black_box(get)).unwrap()))
    });
    let put = br#"{"TableName":"bench","Item":{"pk":{"S":"user#77"},"name":{"S":"someone"},"n":{"N":"77"},"tags":{"SS":["a","b"]}}}"#;
    group.bench_function("PutItem", |b| {
        b.iter(|| black_box(emu.call("PutItem", black_box(put)).unwrap()))
    });
    group.bench_function("TransactWriteItems(2 updates)", |b| {
        b.iter(|| black_box(emu.call("TransactWriteItems", black_box(TRANSFER)).unwrap()))
    });
    group.finish();
}

/// Eventual GetItem with the replica model (pending versions on the key, a replica drawn per
/// read) against the `strong` preset on the same data.
fn replica_model(c: &mut Criterion) {
    let mut group = c.benchmark_group("eventual_GetItem");
    for consistency in [
        Consistency::Strong,
        Consistency::Realistic,
        Consistency::WorstCase,
    ] {
        let emu = emulator(consistency);
        create(&emu, false);
        fill(&emu, 10_000);
        // Rewrite a thousand items: with an hour of lag and a frozen clock they all stay pending.
        fill(&emu, 1_000);
        let get = br#"{"TableName":"bench","Key":{"pk":{"S":"user#420"}}}"#;
        group.bench_function(consistency.as_str(), |b| {
            b.iter(|| black_box(emu.call("GetItem", black_box(get)).unwrap()))
        });
    }
    group.finish();
}

/// Query of 100 items and a 1 MB Scan page, on tables of 10k and 1M items: the page cost must not
/// grow with the table.
fn pages(c: &mut Criterion) {
    let mut group = c.benchmark_group("pages");
    group.sample_size(20);
    for total in [10_000usize, 1_000_000] {
        let emu = emulator(Consistency::Strong);
        create(&emu, true);
        // One hot partition of 100 items, the rest spread over many partition keys.
        for i in 0..total {
            let (pk, sk) = if i < 100 {
                ("hot".to_string(), i)
            } else {
                (format!("p{}", i % (total / 10)), i)
            };
            let body = format!(
                r#"{{"TableName":"bench","Item":{{"pk":{{"S":"{pk}"}},"sk":{{"N":"{sk}"}},"payload":{{"S":"{}"}}}}}}"#,
                "x".repeat(150)
            );
            emu.call("PutItem", body.as_bytes()).unwrap();
        }
        let query = br#"{"TableName":"bench","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"S":"hot"}}}"#;
        group.bench_with_input(BenchmarkId::new("Query100", total), &total, |b, _| {
            b.iter(|| black_box(emu.call("Query", black_box(query)).unwrap()))
        });
        let scan = br#"{"TableName":"bench"}"#;
        group.bench_with_input(BenchmarkId::new("Scan1MB", total), &total, |b, _| {
            b.iter(|| black_box(emu.call("Scan", black_box(scan)).unwrap()))
        });
    }
    group.finish();
}

/// The packed item form against cloning an `Item`: what reading a packed store would cost
/// per item over today's clone of a stored item.
fn packing(c: &mut Criterion) {
    let item: dynamodb_emulator::Item = serde_json::from_str(
        r#"{"pk":{"S":"user#00000001"},"name":{"S":"name 000001"},"email":{"S":"u0000001@ex.com"},"n":{"N":"1"},"ok":{"BOOL":true}}"#,
    )
    .unwrap();
    let packed = dynamodb_emulator::packed::pack(&item);
    let mut group = c.benchmark_group("packed");
    group.bench_function("clone an Item", |b| b.iter(|| black_box(&item).clone()));
    group.bench_function("pack", |b| {
        b.iter(|| dynamodb_emulator::packed::pack(black_box(&item)))
    });
    group.bench_function("unpack", |b| {
        b.iter(|| dynamodb_emulator::packed::unpack(black_box(&packed)))
    });
    group.finish();
}

criterion_group!(
    benches,
    item_operations,
    replica_model,
    pages,
    faults,
    packing
);
criterion_main!(benches);
