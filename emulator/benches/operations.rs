//! In-process operation throughput: the cost of the emulator itself, without HTTP.
//! Run: `cargo bench -p dynamodb-emulator --bench operations`.

use criterion::{criterion_group, criterion_main, Criterion};
use dynamodb_emulator::embed::InProcess;
use dynamodb_emulator::Emulator;
use std::hint::black_box;

fn setup(items: usize) -> InProcess {
    let emu = Emulator::builder().seed(1).build();
    emu.call(
        "CreateTable",
        br#"{"TableName":"bench","BillingMode":"PAY_PER_REQUEST",
            "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],
            "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}]}"#,
    )
    .unwrap();
    for i in 0..items {
        let body = format!(
            r#"{{"TableName":"bench","Item":{{"pk":{{"S":"user#{i}"}},"name":{{"S":"name {i}"}},"n":{{"N":"{i}"}},"tags":{{"SS":["a","b"]}}}}}}"#
        );
        emu.call("PutItem", body.as_bytes()).unwrap();
    }
    emu
}

fn operations(c: &mut Criterion) {
    let emu = setup(10_000);
    let get = br#"{"TableName":"bench","Key":{"pk":{"S":"user#4242"}}}"#;
    c.bench_function("in_process/GetItem", |b| {
        b.iter(|| black_box(emu.call("GetItem", black_box(get)).unwrap()))
    });
    let get_proj = br##"{"TableName":"bench","Key":{"pk":{"S":"user#4242"}},"ProjectionExpression":"#n, tags","ExpressionAttributeNames":{"#n":"name"}}"##;
    c.bench_function("in_process/GetItem+projection", |b| {
        b.iter(|| black_box(emu.call("GetItem", black_box(get_proj)).unwrap()))
    });
    let put = br#"{"TableName":"bench","Item":{"pk":{"S":"user#77"},"name":{"S":"someone"},"n":{"N":"77"},"tags":{"SS":["a","b"]}}}"#;
    c.bench_function("in_process/PutItem", |b| {
        b.iter(|| black_box(emu.call("PutItem", black_box(put)).unwrap()))
    });
    let update = br##"{"TableName":"bench","Key":{"pk":{"S":"user#78"}},"UpdateExpression":"SET #n = :n ADD hits :one","ConditionExpression":"attribute_not_exists(locked)","ExpressionAttributeNames":{"#n":"name"},"ExpressionAttributeValues":{":n":{"S":"x"},":one":{"N":"1"}}}"##;
    c.bench_function("in_process/UpdateItem", |b| {
        b.iter(|| black_box(emu.call("UpdateItem", black_box(update)).unwrap()))
    });
}

criterion_group!(benches, operations);
criterion_main!(benches);
