//! GetItem through the SDK three ways, in one run: the socketless client, the same client over
//! HTTP to the emulator's own server, and the emulator called directly (no SDK).
//! Run: `cargo bench -p dynamodb-emulator-sdk --bench sdk_paths`.

use aws_sdk_dynamodb::types::AttributeValue;
use criterion::{criterion_group, criterion_main, Criterion};
use dynamodb_emulator::{Consistency, Emulator};
use std::hint::black_box;

fn paths(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = rt
        .block_on(
            Emulator::builder()
                .consistency(Consistency::Strong)
                .throttling(false)
                .start(),
        )
        .unwrap();
    let in_process = dynamodb_emulator_sdk::client(&server);
    let http = dynamodb_test_support::client_for(&server.endpoint_url());
    rt.block_on(async {
        dynamodb_test_support::create_table(&in_process, "bench", "pk", None).await;
        for i in 0..1000 {
            in_process
                .put_item()
                .table_name("bench")
                .item("pk", AttributeValue::S(format!("k{i}")))
                .item("v", AttributeValue::S("x".repeat(100)))
                .send()
                .await
                .unwrap();
        }
    });
    let get = |client: &aws_sdk_dynamodb::Client| {
        client
            .get_item()
            .table_name("bench")
            .key("pk", AttributeValue::S("k42".into()))
            .send()
    };
    c.bench_function("sdk/GetItem socketless", |b| {
        b.iter(|| black_box(rt.block_on(get(&in_process)).unwrap()))
    });
    c.bench_function("sdk/GetItem over HTTP", |b| {
        b.iter(|| black_box(rt.block_on(get(&http)).unwrap()))
    });
    let raw = server.in_process().clone();
    let body = br#"{"TableName":"bench","Key":{"pk":{"S":"k42"}}}"#;
    c.bench_function("sdk/GetItem no SDK (InProcess::call)", |b| {
        b.iter(|| black_box(raw.call("GetItem", black_box(body)).unwrap()))
    });
}

criterion_group!(benches, paths);
criterion_main!(benches);
