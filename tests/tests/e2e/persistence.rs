//! Persistence (`--data-dir`) through real SDK clients: a `kill -9` under four concurrent
//! writers loses no acknowledged write, a clean restart keeps tables, indexes, streams, TTL,
//! tags and the virtual clock, deleted tables stay deleted, a torn tail is cut and reported,
//! corruption refuses to start, one directory has one emulator, compaction bounds the journal,
//! and fixtures load and export as DynamoDB JSON lines.
//!
//! The `kill -9` tests run the emulator in a child process: this test binary itself, started
//! on the ignored test [`child_emulator`], which serves an emulator on the data directory it
//! is given (the binary's `--data-dir` is the same builder call).

use aws_sdk_dynamodb::types::{
    AttributeValue, BillingMode, KeyType, Projection, ProjectionType, ProvisionedThroughput,
    ScalarAttributeType, Select, StreamSpecification, StreamViewType, Tag, TimeToLiveSpecification,
};
use dynamodb_emulator::{Consistency, Emulator, EmulatorBuilder, FsyncPolicy};
use dynamodb_test_support::*;
use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A fresh, empty directory under the system's temporary directory.
fn temp_dir(name: &str) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "dynamodb-emulator-{name}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const CHILD_DIR: &str = "E2E_EMULATOR_DATA_DIR";

/// Not a test: the emulator process of the `kill -9` tests (run by [`Server::start`]). It
/// serves an emulator (on the data directory in `E2E_EMULATOR_DATA_DIR`, if not empty),
/// prints its port, and serves until killed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the child process of the kill -9 tests"]
async fn child_emulator() {
    let Ok(dir) = std::env::var(CHILD_DIR) else {
        return;
    };
    let mut builder = Emulator::builder()
        .consistency(Consistency::Realistic)
        .throttling(false);
    if !dir.is_empty() {
        builder = builder.data_dir(&dir);
    }
    let emulator = builder.start().await.expect("the child emulator starts");
    if let Some(report) = emulator.recovery() {
        println!("RECOVERY={report}");
    }
    println!("ENDPOINT={}", emulator.endpoint_url());
    tokio::time::sleep(Duration::from_secs(600)).await;
}

/// An emulator in a child process.
struct Server {
    child: Child,
    endpoint: String,
    recovery: String,
}

impl Server {
    /// Starts an emulator process on `dir` (None: without a data directory).
    fn start(dir: Option<&Path>) -> Server {
        let child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--ignored",
                "--exact",
                "persistence::child_emulator",
                "--nocapture",
            ])
            .env(CHILD_DIR, dir.map(|d| d.to_str().unwrap()).unwrap_or(""))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Owned by a Server from here, so it is killed and waited for on every path.
        let mut server = Server {
            child,
            endpoint: String::new(),
            recovery: String::new(),
        };
        let stdout = server.child.stdout.take().unwrap();
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            if let Some(r) = line.strip_prefix("RECOVERY=") {
                server.recovery = r.to_string();
            }
            if let Some(e) = line.strip_prefix("ENDPOINT=") {
                server.endpoint = e.to_string();
                return server;
            }
        }
        panic!("the child emulator exited before printing its endpoint");
    }

    /// `kill -9`.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Table `orders` (hash `pk`) on demand, with GSI `by_g` on `g` (ALL).
async fn create_orders(client: &aws_sdk_dynamodb::Client) {
    client
        .create_table()
        .table_name("orders")
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(ks("pk", KeyType::Hash))
        .attribute_definitions(ad("pk", ScalarAttributeType::S))
        .attribute_definitions(ad("g", ScalarAttributeType::S))
        .global_secondary_indexes(gsi("by_g", "g", ProjectionType::All).build().unwrap())
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_under_four_writers_loses_no_acknowledged_write() {
    let dir = temp_dir("kill9");
    let server = Server::start(Some(&dir));
    let client = client_for(&server.endpoint);
    create_orders(&client).await;
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..4 {
        let client = client.clone();
        let stop = stop.clone();
        writers.push(tokio::spawn(async move {
            // (keys whose PutItem was acknowledged, acknowledged increments of the counter)
            let mut acked = Vec::new();
            let mut increments = 0u64;
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let pk = format!("w{w}-{n}");
                let put = client
                    .put_item()
                    .table_name("orders")
                    .item("pk", s(&pk))
                    .item("g", s(&format!("g{}", n % 10)))
                    .item("n", AttributeValue::N(n.to_string()))
                    .send()
                    .await;
                if put.is_err() {
                    break;
                }
                acked.push(pk);
                let add = client
                    .update_item()
                    .table_name("orders")
                    .key("pk", s(&format!("counter-{w}")))
                    .update_expression("ADD c :one")
                    .expression_attribute_values(":one", n_("1"))
                    .send()
                    .await;
                if add.is_err() {
                    break;
                }
                increments += 1;
                n += 1;
            }
            (acked, increments)
        }));
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.store(true, Ordering::Relaxed);
    server.kill();
    let mut acked = Vec::new();
    let mut increments = Vec::new();
    for w in writers {
        let (keys, incs) = w.await.unwrap();
        acked.extend(keys);
        increments.push(incs);
    }
    assert!(acked.len() > 100, "the writers wrote: {}", acked.len());
    println!(
        "kill -9 after 3 s: {} acknowledged puts and {} acknowledged increments",
        acked.len(),
        increments.iter().sum::<u64>()
    );

    let server = Server::start(Some(&dir));
    assert!(
        server.recovery.contains("recovered 1 tables"),
        "{}",
        server.recovery
    );
    let client = client_for(&server.endpoint);
    // Every acknowledged write, by strong reads.
    for pk in &acked {
        let got = client
            .get_item()
            .table_name("orders")
            .key("pk", s(pk))
            .consistent_read(true)
            .send()
            .await
            .unwrap();
        assert!(got.item.is_some(), "acknowledged {pk} lost");
    }
    for (w, incs) in increments.iter().enumerate() {
        let got = client
            .get_item()
            .table_name("orders")
            .key("pk", s(&format!("counter-{w}")))
            .consistent_read(true)
            .send()
            .await
            .unwrap();
        let c: u64 = match got.item.as_ref().and_then(|i| i.get("c")) {
            Some(AttributeValue::N(c)) => c.parse().unwrap(),
            _ => 0,
        };
        // An increment in flight at the kill may have been applied without its answer.
        assert!(
            c == *incs || c == incs + 1,
            "counter-{w}: {c} after {incs} acknowledged increments"
        );
    }
    // A full scan: the acknowledged items, at most one unacknowledged put per writer, the
    // four counters.
    let scanned: BTreeSet<String> = scan_keys(&client, None).await;
    let acked_set: BTreeSet<String> = acked.iter().cloned().collect();
    assert!(scanned.is_superset(&acked_set));
    assert!(scanned.len() <= acked.len() + 4 + 4, "{}", scanned.len());
    // The GSI answers with every item that has `g`.
    let mut in_index = BTreeSet::new();
    for g in 0..10 {
        let out = client
            .query()
            .table_name("orders")
            .index_name("by_g")
            .key_condition_expression("g = :g")
            .expression_attribute_values(":g", s(&format!("g{g}")))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .unwrap();
        for item in out {
            if let Some(AttributeValue::S(pk)) = item.get("pk") {
                in_index.insert(pk.clone());
            }
        }
    }
    assert!(in_index.is_superset(&acked_set));
    assert_eq!(
        in_index.len(),
        scanned.len() - 4,
        "the GSI holds every item with g"
    );
    // DescribeTable is intact.
    let table = client
        .describe_table()
        .table_name("orders")
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    assert_eq!(table.key_schema().len(), 1);
    assert_eq!(
        table.global_secondary_indexes()[0].index_name(),
        Some("by_g")
    );
    assert_eq!(table.item_count(), Some(scanned.len() as i64));
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

fn n_(v: &str) -> AttributeValue {
    AttributeValue::N(v.into())
}

/// The `pk` of every item of `orders` (or `table`), by a strongly consistent scan.
async fn scan_keys(client: &aws_sdk_dynamodb::Client, table: Option<&str>) -> BTreeSet<String> {
    client
        .scan()
        .table_name(table.unwrap_or("orders"))
        .consistent_read(true)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap()
        .into_iter()
        .filter_map(|i| match i.get("pk") {
            Some(AttributeValue::S(pk)) => Some(pk.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn without_a_data_directory_a_restart_starts_empty() {
    let server = Server::start(None);
    let client = client_for(&server.endpoint);
    create_orders(&client).await;
    server.kill();
    let server = Server::start(None);
    let client = client_for(&server.endpoint);
    let tables = client.list_tables().send().await.unwrap();
    assert!(tables.table_names().is_empty());
    assert!(server.recovery.is_empty(), "no recovery without --data-dir");
}

/// An emulator on `dir` with a virtual clock (the same seed every time).
fn on(dir: &Path) -> EmulatorBuilder {
    Emulator::builder()
        .consistency(Consistency::Strong)
        .throttling(false)
        .virtual_clock()
        .data_dir(dir)
}

/// Everything a client can observe of the emulator's state, to compare across a restart.
async fn observe(env: &TestEnv) -> serde_json::Value {
    let c = &env.client;
    let tables = c.list_tables().send().await.unwrap();
    let mut out = serde_json::json!({ "tables": tables.table_names() });
    for name in tables.table_names() {
        let d = c.describe_table().table_name(name).send().await.unwrap();
        let items = c
            .scan()
            .table_name(name)
            .consistent_read(true)
            .send()
            .await
            .unwrap();
        let ttl = c
            .describe_time_to_live()
            .table_name(name)
            .send()
            .await
            .unwrap();
        let arn = d.table().unwrap().table_arn().unwrap().to_string();
        let tags = c
            .list_tags_of_resource()
            .resource_arn(arn)
            .send()
            .await
            .unwrap();
        out[name] = serde_json::json!({
            "describe": format!("{:?}", d.table()),
            "items": format!("{:?}", sorted(items.items())),
            "ttl": format!("{:?}", ttl.time_to_live_description()),
            "tags": format!("{:?}", tags.tags()),
        });
    }
    out["clock"] = env
        .emulator
        .control("GetState", &serde_json::json!({}))
        .unwrap()["ClockMilliseconds"]
        .clone();
    out
}

fn sorted(items: &[HashMap<String, AttributeValue>]) -> Vec<Vec<(String, String)>> {
    let mut v: Vec<Vec<(String, String)>> = items
        .iter()
        .map(|i| {
            let mut kv: Vec<(String, String)> = i
                .iter()
                .map(|(k, v)| (k.clone(), format!("{v:?}")))
                .collect();
            kv.sort();
            kv
        })
        .collect();
    v.sort();
    v
}

/// Every record of a table's stream, shard by shard from the trim horizon.
async fn stream_records(endpoint: &str, stream_arn: &str) -> Vec<String> {
    let streams = streams_client_for(endpoint);
    let d = streams
        .describe_stream()
        .stream_arn(stream_arn)
        .send()
        .await
        .unwrap();
    let mut out = Vec::new();
    for shard in d.stream_description().unwrap().shards() {
        let it = streams
            .get_shard_iterator()
            .stream_arn(stream_arn)
            .shard_id(shard.shard_id().unwrap())
            .shard_iterator_type(aws_sdk_dynamodbstreams::types::ShardIteratorType::TrimHorizon)
            .send()
            .await
            .unwrap();
        let records = streams
            .get_records()
            .shard_iterator(it.shard_iterator().unwrap())
            .send()
            .await
            .unwrap();
        for r in records.records() {
            let image =
                |i: Option<&HashMap<String, aws_sdk_dynamodbstreams::types::AttributeValue>>| {
                    let mut kv: Vec<String> = i
                        .into_iter()
                        .flatten()
                        .map(|(k, v)| format!("{k}={v:?}"))
                        .collect();
                    kv.sort();
                    kv
                };
            let d = r.dynamodb().unwrap();
            out.push(format!(
                "{:?} {:?} {:?} {:?} {:?}",
                r.event_name(),
                d.sequence_number(),
                image(d.keys()),
                image(d.new_image()),
                image(d.old_image()),
            ));
        }
    }
    out
}

#[tokio::test]
async fn a_clean_restart_keeps_tables_items_indexes_streams_ttl_tags_and_the_clock() {
    let dir = temp_dir("restart");
    let env = start_with(on(&dir)).await;
    let c = &env.client;
    let created = c
        .create_table()
        .table_name("keep")
        .billing_mode(BillingMode::Provisioned)
        .provisioned_throughput(
            ProvisionedThroughput::builder()
                .read_capacity_units(5)
                .write_capacity_units(5)
                .build()
                .unwrap(),
        )
        .key_schema(ks("pk", KeyType::Hash))
        .key_schema(ks("sk", KeyType::Range))
        .attribute_definitions(ad("pk", ScalarAttributeType::S))
        .attribute_definitions(ad("sk", ScalarAttributeType::N))
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewAndOldImages)
                .build()
                .unwrap(),
        )
        .tags(Tag::builder().key("team").value("a").build().unwrap())
        .send()
        .await
        .unwrap();
    let stream_arn = created
        .table_description()
        .unwrap()
        .latest_stream_arn()
        .unwrap()
        .to_string();
    create_table(c, "gone", "pk", None).await;
    for i in 0..20 {
        c.put_item()
            .table_name("keep")
            .item("pk", s(&format!("p{}", i % 4)))
            .item("sk", n(&i.to_string()))
            .item("g", s(&format!("g{}", i % 3)))
            .item("exp", n(if i == 7 { "1704070800" } else { "99999999999" }))
            .send()
            .await
            .unwrap();
    }
    c.update_item()
        .table_name("keep")
        .key("pk", s("p1"))
        .key("sk", n("1"))
        .update_expression("SET extra = :x")
        .expression_attribute_values(":x", s("y"))
        .send()
        .await
        .unwrap();
    c.delete_item()
        .table_name("keep")
        .key("pk", s("p2"))
        .key("sk", n("2"))
        .send()
        .await
        .unwrap();
    // A GSI added later (backfilled), TTL enabled, a tag added, a table deleted.
    c.update_table()
        .table_name("keep")
        .attribute_definitions(ad("g", ScalarAttributeType::S))
        .global_secondary_index_updates(
            aws_sdk_dynamodb::types::GlobalSecondaryIndexUpdate::builder()
                .create(
                    aws_sdk_dynamodb::types::CreateGlobalSecondaryIndexAction::builder()
                        .index_name("by_g")
                        .key_schema(ks("g", KeyType::Hash))
                        .projection(
                            Projection::builder()
                                .projection_type(ProjectionType::KeysOnly)
                                .build(),
                        )
                        .provisioned_throughput(
                            ProvisionedThroughput::builder()
                                .read_capacity_units(2)
                                .write_capacity_units(2)
                                .build()
                                .unwrap(),
                        )
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    c.update_time_to_live()
        .table_name("keep")
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name("exp")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let arn = created.table_description().unwrap().table_arn().unwrap();
    c.tag_resource()
        .resource_arn(arn)
        .tags(Tag::builder().key("env").value("test").build().unwrap())
        .send()
        .await
        .unwrap();
    c.delete_table().table_name("gone").send().await.unwrap();
    // An hour passes: item 7's TTL (2024-01-01T01:00:00Z) expires.
    env.emulator.advance(Duration::from_secs(3600));
    c.get_item()
        .table_name("keep")
        .key("pk", s("p3"))
        .key("sk", n("7"))
        .send()
        .await
        .unwrap();
    let before = observe(&env).await;
    let records_before = stream_records(&env.emulator.endpoint_url(), &stream_arn).await;
    let by_g = |c: aws_sdk_dynamodb::Client| async move {
        c.query()
            .table_name("keep")
            .index_name("by_g")
            .key_condition_expression("g = :g")
            .expression_attribute_values(":g", s("g1"))
            .send()
            .await
            .unwrap()
            .count
    };
    let index_before = by_g(c.clone()).await;
    assert!(
        !before.to_string().contains("gone"),
        "the deleted table is gone"
    );
    assert_eq!(
        records_before.len(),
        20 + 1 + 1 + 1,
        "puts, update, delete, TTL expiry"
    );
    env.emulator.shutdown().await;

    let env = start_with(on(&dir)).await;
    let report = env.emulator.recovery().unwrap();
    assert_eq!((report.tables, report.torn.is_none()), (1, true));
    assert_eq!(observe(&env).await, before);
    assert_eq!(
        stream_records(&env.emulator.endpoint_url(), &stream_arn).await,
        records_before
    );
    assert_eq!(by_g(env.client.clone()).await, index_before);
    // The tables take writes after recovery; a deleted table's name can be used again.
    create_table(&env.client, "gone", "pk", None).await;
    env.client
        .put_item()
        .table_name("gone")
        .item("pk", s("new"))
        .send()
        .await
        .unwrap();
    env.emulator.shutdown().await;
    let env = start_with(on(&dir)).await;
    assert_eq!(scan_keys(&env.client, Some("gone")).await.len(), 1);
    env.emulator.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// The newest log file of a data directory.
fn last_log(dir: &Path) -> PathBuf {
    let mut logs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_str().unwrap().starts_with("log-"))
        .filter(|p| std::fs::metadata(p).unwrap().len() > 0)
        .collect();
    logs.sort();
    logs.pop().expect("a log with records")
}

fn put_json(pk: &str) -> serde_json::Value {
    serde_json::json!({"TableName": "orders", "Item": {"pk": {"S": pk}, "g": {"S": "x"}}})
}

fn create_json() -> serde_json::Value {
    serde_json::json!({
        "TableName": "orders",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST"
    })
}

fn count(emulator: &dynamodb_emulator::InProcess) -> u64 {
    emulator
        .call_json(
            "Scan",
            &serde_json::json!({"TableName": "orders", "Select": "COUNT", "ConsistentRead": true}),
        )
        .unwrap()["Count"]
        .as_u64()
        .unwrap()
}

#[test]
fn a_torn_tail_is_cut_and_reported_and_corruption_refuses_to_start() {
    let dir = temp_dir("torn");
    let emulator = on(&dir).build();
    emulator.call_json("CreateTable", &create_json()).unwrap();
    for i in 0..10 {
        emulator
            .call_json("PutItem", &put_json(&format!("k{i}")))
            .unwrap();
    }
    drop(emulator);
    // A write torn by a crash: the start of a frame, cut short.
    let log = last_log(&dir);
    let intact = std::fs::metadata(&log).unwrap().len();
    let mut bytes = std::fs::read(&log).unwrap();
    bytes.extend_from_slice(&[200, 0, 0, 0, 1, 2, 3, 4, b'{', b'"']);
    std::fs::write(&log, &bytes).unwrap();
    let emulator = on(&dir).build();
    let report = emulator.recovery().unwrap().clone();
    let (file, at, discarded) = report.torn.clone().expect("the torn tail is reported");
    assert_eq!((file, at, discarded), (log.clone(), intact, 10));
    assert!(
        report.to_string().contains("torn tail: 10 bytes"),
        "{report}"
    );
    assert_eq!(
        count(&emulator),
        10,
        "nothing but the torn record is dropped"
    );
    emulator.call_json("PutItem", &put_json("k10")).unwrap();
    drop(emulator);
    assert_eq!(count(&on(&dir).build()), 11);

    // Damage inside the journal, with intact records after it: refused, with where.
    let log = last_log(&dir);
    let mut bytes = std::fs::read(&log).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    std::fs::write(&log, &bytes).unwrap();
    let err = on(&dir)
        .try_build()
        .err()
        .expect("a corrupt journal is refused");
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    let msg = err.to_string();
    assert!(
        msg.contains("corrupt, not torn") && msg.contains("log-"),
        "{msg}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn one_directory_has_one_emulator() {
    let dir = temp_dir("lock");
    let first = on(&dir).build();
    let err = on(&dir).try_build().err().expect("the second is refused");
    assert!(
        err.to_string().contains("in use by another emulator"),
        "{err}"
    );
    drop(first);
    assert!(
        on(&dir).try_build().is_ok(),
        "the lock goes with the emulator"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum()
}

#[test]
fn compaction_bounds_the_journal_and_keeps_the_state() {
    let dir = temp_dir("compact");
    let emulator = on(&dir).compact_after(64 * 1024).build();
    emulator.call_json("CreateTable", &create_json()).unwrap();
    // 3,000 writes over 50 items: the log grows, the live data does not.
    for i in 0..3000 {
        let mut put = put_json(&format!("k{}", i % 50));
        put["Item"]["n"] = serde_json::json!({"N": i.to_string()});
        emulator.call_json("PutItem", &put).unwrap();
    }
    // Written whole, the 3,000 records are about 300 KB; the maintenance thread compacts once
    // the logs pass 64 KB (during the writes or within a second or two after them), so the
    // directory ends well under that.
    let written: u64 = 3000 * 100;
    let mut waited = 0;
    while !(dir.join("snapshot").exists() && dir_bytes(&dir) < written / 2) && waited < 50 {
        std::thread::sleep(Duration::from_millis(100));
        waited += 1;
    }
    let after = dir_bytes(&dir);
    assert!(
        after < written / 2,
        "compacted: {after} bytes for about {written} written"
    );
    assert!(dir.join("snapshot").exists());
    // And on demand, over the control API.
    let report = emulator.control("Compact", &serde_json::json!({})).unwrap();
    assert_eq!(report["Items"], 50);
    emulator.call_json("PutItem", &put_json("late")).unwrap();
    let scan = |e: &dynamodb_emulator::InProcess| {
        e.call_json(
            "Scan",
            &serde_json::json!({"TableName": "orders", "ConsistentRead": true}),
        )
        .unwrap()["Items"]
            .clone()
    };
    let items = scan(&emulator);
    drop(emulator);
    let emulator = on(&dir).build();
    assert_eq!(scan(&emulator), items);
    assert_eq!(emulator.recovery().unwrap().items, 51);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fixtures_export_and_load_as_dynamodb_json_lines() {
    let dir = temp_dir("fixtures");
    let env = start_with(on(&dir)).await;
    env.emulator
        .in_process()
        .call_json("CreateTable", &create_json())
        .unwrap();
    for i in 0..25 {
        env.client
            .put_item()
            .table_name("orders")
            .item("pk", s(&format!("k{i:02}")))
            .item(
                "nested",
                AttributeValue::M(HashMap::from([(
                    "l".into(),
                    AttributeValue::L(vec![n("1"), AttributeValue::Bool(true)]),
                )])),
            )
            .item("set", AttributeValue::Ss(vec!["a".into(), "b".into()]))
            .send()
            .await
            .unwrap();
    }
    let (status, headers, body) = raw_method(
        &env.emulator.endpoint_url(),
        "GET",
        "/emulator/export/orders",
        &[],
        b"",
    );
    assert_eq!(status, 200);
    assert!(headers
        .iter()
        .any(|(k, v)| k == "content-type" && v == "application/x-ndjson"));
    let text = String::from_utf8(body).unwrap();
    assert_eq!(text.lines().count(), 25);
    assert!(text.starts_with("{\"Item\":{"), "{text}");
    let (status, _, _) = raw_method(
        &env.emulator.endpoint_url(),
        "GET",
        "/emulator/export/nope",
        &[],
        b"",
    );
    assert_eq!(status, 400);
    let before = scan_keys(&env.client, None).await;
    env.emulator.shutdown().await;

    // Into another data directory: the table exists there, the fixture fills it at start.
    let file = dir.join("orders.json");
    std::fs::write(&file, &text).unwrap();
    let other = temp_dir("fixtures-into");
    let seeded = on(&other).build();
    seeded.call_json("CreateTable", &create_json()).unwrap();
    drop(seeded);
    let env = start_with(on(&other).load("orders", &file)).await;
    assert_eq!(scan_keys(&env.client, None).await, before);
    // A bad line: nothing loaded, the line named.
    let bad = dir.join("bad.json");
    std::fs::write(
        &bad,
        "{\"Item\":{\"pk\":{\"S\":\"ok\"}}}\n{\"Item\":{\"nopk\":{\"S\":\"x\"}}}\n",
    )
    .unwrap();
    let err = env
        .emulator
        .in_process()
        .load_items("orders", BufReader::new(std::fs::File::open(&bad).unwrap()))
        .unwrap_err();
    assert!(err.to_string().starts_with("line 2: "), "{err}");
    assert!(!scan_keys(&env.client, None).await.contains("ok"));
    env.emulator.shutdown().await;
    let err = on(&other).load("missing", &file).try_build().err().unwrap();
    assert!(
        err.to_string().contains("table missing does not exist"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&other);
}

#[tokio::test]
async fn the_replication_model_works_after_recovery() {
    let dir = temp_dir("models");
    let builder = || {
        Emulator::builder()
            .consistency(Consistency::Realistic)
            .throttling(false)
            .virtual_clock()
            .data_dir(&dir)
            .fsync(FsyncPolicy::Interval)
    };
    let env = start_with(builder()).await;
    create_orders(&env.client).await;
    env.client
        .put_item()
        .table_name("orders")
        .item("pk", s("a"))
        .item("v", n("1"))
        .send()
        .await
        .unwrap();
    env.emulator.shutdown().await;
    let env = start_with(builder()).await;
    env.client
        .put_item()
        .table_name("orders")
        .item("pk", s("a"))
        .item("v", n("2"))
        .send()
        .await
        .unwrap();
    env.emulator
        .control(
            "ScriptStaleReads",
            &serde_json::json!({"TableName": "orders", "Key": {"pk": {"S": "a"}}, "Reads": 1}),
        )
        .unwrap();
    let read = |consistent| {
        env.client
            .get_item()
            .table_name("orders")
            .key("pk", s("a"))
            .consistent_read(consistent)
            .send()
    };
    let stale = read(false).await.unwrap();
    assert_eq!(
        stale.item.unwrap()["v"],
        n("1"),
        "an eventual read can be stale after recovery"
    );
    let strong = read(true).await.unwrap();
    assert_eq!(strong.item.unwrap()["v"], n("2"));
    let count = env
        .client
        .scan()
        .table_name("orders")
        .select(Select::Count)
        .return_consumed_capacity(aws_sdk_dynamodb::types::ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    assert_eq!(count.count, 1);
    assert_eq!(count.consumed_capacity.unwrap().capacity_units, Some(0.5));
    env.emulator.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn policies_pitr_settings_and_composite_indexes_survive_a_restart() {
    use aws_sdk_dynamodb::types::PointInTimeRecoverySpecification;
    let dir = temp_dir("control-plane");
    let env = start_with(on(&dir)).await;
    let c = &env.client;
    c.create_table()
        .table_name("orders")
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(ks("pk", KeyType::Hash))
        .attribute_definitions(ad("pk", ScalarAttributeType::S))
        .attribute_definitions(ad("a", ScalarAttributeType::S))
        .attribute_definitions(ad("b", ScalarAttributeType::S))
        .global_secondary_indexes(
            aws_sdk_dynamodb::types::GlobalSecondaryIndex::builder()
                .index_name("by_ab")
                .key_schema(ks("a", KeyType::Hash))
                .key_schema(ks("b", KeyType::Hash))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let arn = "arn:aws:dynamodb:us-east-1:000000000000:table/orders".to_string();
    let revision = c
        .put_resource_policy()
        .resource_arn(&arn)
        .policy(r#"{"Version":"2012-10-17","Statement":[]}"#)
        .send()
        .await
        .unwrap()
        .revision_id
        .unwrap();
    c.update_continuous_backups()
        .table_name("orders")
        .point_in_time_recovery_specification(
            PointInTimeRecoverySpecification::builder()
                .point_in_time_recovery_enabled(true)
                .recovery_period_in_days(7)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    for i in 0..4 {
        c.put_item()
            .table_name("orders")
            .item("pk", s(&format!("k{i}")))
            .item("a", s("x"))
            .item("b", s(if i < 3 { "y" } else { "z" }))
            .send()
            .await
            .unwrap();
    }
    env.emulator.shutdown().await;

    let env = start_with(on(&dir)).await;
    let c = &env.client;
    let policy = c
        .get_resource_policy()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(policy.revision_id(), Some(revision.as_str()));
    let d = c
        .describe_continuous_backups()
        .table_name("orders")
        .send()
        .await
        .unwrap();
    let p = d
        .continuous_backups_description()
        .unwrap()
        .point_in_time_recovery_description()
        .unwrap();
    assert_eq!(
        p.point_in_time_recovery_status().unwrap().as_str(),
        "ENABLED"
    );
    assert_eq!(p.recovery_period_in_days(), Some(7));
    let q = c
        .query()
        .table_name("orders")
        .index_name("by_ab")
        .key_condition_expression("a = :a AND b = :b")
        .expression_attribute_values(":a", s("x"))
        .expression_attribute_values(":b", s("y"))
        .send()
        .await
        .unwrap();
    assert_eq!(q.count, 3, "the composite index is rebuilt");
    // PITR's history starts again from the recovered items.
    env.emulator.advance(Duration::from_secs(600));
    c.restore_table_to_point_in_time()
        .source_table_name("orders")
        .target_table_name("orders-copy")
        .use_latest_restorable_time(true)
        .send()
        .await
        .unwrap();
    assert_eq!(scan_keys(c, Some("orders-copy")).await.len(), 4);
    env.emulator.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_transaction_cut_by_a_crash_is_not_half_there() {
    let dir = temp_dir("half");
    let emulator = on(&dir).build();
    emulator.call_json("CreateTable", &create_json()).unwrap();
    emulator.call_json("PutItem", &put_json("before")).unwrap();
    let put =
        |pk: &str| serde_json::json!({"Put": {"TableName": "orders", "Item": {"pk": {"S": pk}}}});
    emulator
        .call_json(
            "TransactWriteItems",
            &serde_json::json!({"TransactItems": [put("t1"), put("t2"), put("t3")]}),
        )
        .unwrap();
    assert_eq!(count(&emulator), 4);
    drop(emulator);
    // The crash came after the transaction's three changes reached the disk, before its end.
    let log = last_log(&dir);
    let bytes = std::fs::read(&log).unwrap();
    let marker = b"{\"r\":\"GroupEnd\"";
    let end = bytes
        .windows(marker.len())
        .rposition(|w| w == marker)
        .expect("the group's end")
        - 8;
    std::fs::write(&log, &bytes[..end]).unwrap();
    let emulator = on(&dir).build();
    let report = emulator.recovery().unwrap().clone();
    assert_eq!(report.unfinished, 3, "{report}");
    assert!(report.torn.is_none());
    assert_eq!(
        count(&emulator),
        1,
        "none of the transaction, the write before it kept"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
