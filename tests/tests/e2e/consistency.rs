//! The replication model through a real SDK client: eventual reads can be stale, strong reads
//! never are, staleness is bounded by the lag window, GSIs lag separately, and a fixed seed with
//! a virtual clock replays the same stale reads.

use aws_sdk_dynamodb::types::{BillingMode, KeyType, ProjectionType, ScalarAttributeType};
use dynamodb_emulator::Emulator;
use dynamodb_emulator::{Clock, DEFAULT_VIRTUAL_START};
use dynamodb_emulator::{Consistency, LagModel};
use dynamodb_test_support::*;
use std::time::Duration;

async fn get_v(env: &TestEnv, id: &str, consistent: bool) -> Option<String> {
    let out = env
        .client
        .get_item()
        .table_name("Docs")
        .key("id", s(id))
        .consistent_read(consistent)
        .send()
        .await
        .unwrap();
    out.item().map(|i| i["v"].as_s().unwrap().clone())
}

async fn put_v(env: &TestEnv, id: &str, v: &str) {
    env.client
        .put_item()
        .table_name("Docs")
        .item("id", s(id))
        .item("v", s(v))
        .send()
        .await
        .unwrap();
}

/// `Docs` keyed by `id`, with a GSI `byV` on `v` projecting everything.
async fn create_gsi_table(c: &aws_sdk_dynamodb::Client) {
    c.create_table()
        .table_name("Docs")
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(ks("id", KeyType::Hash))
        .attribute_definitions(ad("id", ScalarAttributeType::S))
        .attribute_definitions(ad("v", ScalarAttributeType::S))
        .global_secondary_indexes(gsi("byV", "v", ProjectionType::All).build().unwrap())
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn worst_case_eventual_reads_are_stale_strong_reads_are_not() {
    let env = start_with(
        Emulator::builder()
            .virtual_clock()
            .consistency(Consistency::WorstCase)
            .lag(LagModel::Fixed(Duration::from_millis(500))),
    )
    .await;
    create_table(&env.client, "Docs", "id", None).await;
    put_v(&env, "a", "v1").await;
    // Nothing older than the window yet: the item does not exist for an eventual read.
    assert_eq!(get_v(&env, "a", false).await, None);
    assert_eq!(get_v(&env, "a", true).await.as_deref(), Some("v1"));
    env.emulator.advance(Duration::from_millis(501));
    assert_eq!(get_v(&env, "a", false).await.as_deref(), Some("v1"));
    put_v(&env, "a", "v2").await;
    // The user story: after a write, an eventual read returns the old item, a strong read the new.
    assert_eq!(get_v(&env, "a", false).await.as_deref(), Some("v1"));
    assert_eq!(get_v(&env, "a", true).await.as_deref(), Some("v2"));
    // Query and Scan pages see the same stale view unless ConsistentRead is set.
    let scan = env.client.scan().table_name("Docs").send().await.unwrap();
    assert_eq!(scan.items()[0]["v"], s("v1"));
    let scan = env
        .client
        .scan()
        .table_name("Docs")
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    assert_eq!(scan.items()[0]["v"], s("v2"));
    // After the lag window, every replica has the write.
    env.emulator.advance(Duration::from_millis(500));
    assert_eq!(get_v(&env, "a", false).await.as_deref(), Some("v2"));
    // settle() applies pending writes at once.
    put_v(&env, "a", "v3").await;
    assert_eq!(get_v(&env, "a", false).await.as_deref(), Some("v2"));
    env.emulator.settle();
    assert_eq!(get_v(&env, "a", false).await.as_deref(), Some("v3"));
    // Deletes replicate too.
    env.client
        .delete_item()
        .table_name("Docs")
        .key("id", s("a"))
        .send()
        .await
        .unwrap();
    assert_eq!(get_v(&env, "a", false).await.as_deref(), Some("v3"));
    assert_eq!(get_v(&env, "a", true).await, None);
}

#[tokio::test]
async fn realistic_staleness_is_bounded_and_strong_reads_are_current() {
    let lag = Duration::from_millis(200);
    let env = start_with(
        Emulator::builder()
            .seed(42)
            .virtual_clock()
            .consistency(Consistency::Realistic)
            .lag(LagModel::Uniform {
                min: Duration::from_millis(50),
                max: lag,
            }),
    )
    .await;
    create_table(&env.client, "Docs", "id", None).await;
    let mut stale = 0;
    for round in 0..40 {
        let v = format!("v{round}");
        put_v(&env, "k", &v).await;
        for _ in 0..3 {
            assert_eq!(
                get_v(&env, "k", true).await.as_deref(),
                Some(v.as_str()),
                "strong reads are never stale"
            );
            let eventual = get_v(&env, "k", false).await;
            if eventual.as_deref() != Some(v.as_str()) {
                stale += 1;
                // Stale reads return the previous acknowledged version, never anything older:
                // the previous write is older than the lag bound.
                let prev = if round == 0 {
                    None
                } else {
                    Some(format!("v{}", round - 1))
                };
                assert_eq!(eventual, prev);
            }
        }
        // Past the lag bound every replica is current.
        env.emulator.advance(lag + Duration::from_millis(1));
        assert_eq!(get_v(&env, "k", false).await.as_deref(), Some(v.as_str()));
    }
    // One replica in three lags: some reads were stale, most were not.
    assert!(stale > 10 && stale < 80, "{stale} stale reads of 120");
}

/// The same seed and the same requests under a virtual clock give the same answers.
async fn transcript(seed: u64) -> Vec<Option<String>> {
    let env = start_with(
        Emulator::builder()
            .seed(seed)
            .virtual_clock()
            .consistency(Consistency::Realistic)
            .lag(LagModel::Exponential {
                mean: Duration::from_millis(30),
                max: Duration::from_millis(300),
            }),
    )
    .await;
    create_table(&env.client, "Docs", "id", None).await;
    let mut out = Vec::new();
    for i in 0..60 {
        let id = format!("k{}", i % 4);
        put_v(&env, &id, &format!("v{i}")).await;
        out.push(get_v(&env, &id, false).await);
        env.emulator.advance(Duration::from_millis(7 * (i % 5)));
        out.push(get_v(&env, &format!("k{}", (i + 1) % 4), false).await);
    }
    out
}

#[tokio::test]
async fn a_fixed_seed_replays_the_same_stale_reads() {
    let a = transcript(7).await;
    let b = transcript(7).await;
    assert_eq!(a, b);
    let c = transcript(8).await;
    assert_ne!(a, c, "another seed draws other lags and replicas");
}

#[tokio::test]
async fn global_secondary_indexes_lag_separately() {
    let env = start_with(
        Emulator::builder()
            .virtual_clock()
            .consistency(Consistency::Realistic)
            .lag(LagModel::Fixed(Duration::ZERO))
            .gsi_lag(LagModel::Fixed(Duration::from_secs(2))),
    )
    .await;
    let c = &env.client;
    create_gsi_table(c).await;
    put_v(&env, "a", "red").await;
    let by_v = |v: &'static str| {
        c.query()
            .table_name("Docs")
            .index_name("byV")
            .key_condition_expression("v = :v")
            .expression_attribute_values(":v", s(v))
            .send()
    };
    // The table's replicas have it (lag 0), the GSI does not yet.
    assert_eq!(get_v(&env, "a", false).await.as_deref(), Some("red"));
    assert_eq!(by_v("red").await.unwrap().count(), 0);
    env.emulator.advance(Duration::from_secs(2));
    assert_eq!(by_v("red").await.unwrap().count(), 1);
    // An update that moves the index key: the GSI shows the old entry until its lag passes.
    put_v(&env, "a", "blue").await;
    assert_eq!(by_v("red").await.unwrap().count(), 1);
    assert_eq!(by_v("blue").await.unwrap().count(), 0);
    env.emulator.advance(Duration::from_secs(2));
    assert_eq!(by_v("red").await.unwrap().count(), 0);
    assert_eq!(by_v("blue").await.unwrap().count(), 1);
}

#[tokio::test]
async fn control_api_over_http_scripted_staleness_and_debug_headers() {
    let env = start_with(
        Emulator::builder()
            .virtual_clock()
            .consistency(Consistency::Strong)
            .debug_headers(true),
    )
    .await;
    create_table(&env.client, "Docs", "id", None).await;
    put_v(&env, "a", "v1").await;
    let url = env.emulator.endpoint_url();
    let post = |target: &'static str, body: String| {
        let u = url.clone();
        tokio::task::spawn_blocking(move || raw_post(&u, Some(target), body.as_bytes()))
    };
    // The next two eventual reads of "a" are stale, whatever the preset (under `strong`, which
    // keeps no history, the script must come before the write it hides).
    let (st, _, body) = post(
        "Emulator.ScriptStaleReads",
        r#"{"TableName":"Docs","Key":{"id":{"S":"a"}},"Reads":2}"#.into(),
    )
    .await
    .unwrap();
    assert_eq!(st, 200, "{}", String::from_utf8_lossy(&body));
    put_v(&env, "a", "v2").await;
    assert_eq!(
        get_v(&env, "a", true).await.as_deref(),
        Some("v2"),
        "strong reads are not scripted"
    );
    let (_, headers, body) = post(
        "DynamoDB_20120810.GetItem",
        r#"{"TableName":"Docs","Key":{"id":{"S":"a"}}}"#.into(),
    )
    .await
    .unwrap();
    assert!(String::from_utf8_lossy(&body).contains("v1"));
    let h = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(h("x-emulator-replica").as_deref(), Some("scripted"));
    assert_eq!(h("x-emulator-stale").as_deref(), Some("true"));
    assert_eq!(get_v(&env, "a", false).await.as_deref(), Some("v1"));
    assert_eq!(
        get_v(&env, "a", false).await.as_deref(),
        Some("v2"),
        "the script is used up"
    );
    // Other control actions.
    let (st, _, body) = post("Emulator.AdvanceClock", r#"{"Milliseconds":1500}"#.into())
        .await
        .unwrap();
    assert_eq!(st, 200);
    assert!(String::from_utf8_lossy(&body).contains("\"ClockMilliseconds\":1704067201500"));
    let (st, _, body) = post(
        "Emulator.SetConsistency",
        r#"{"Consistency":"worst-case","Lag":"fixed:1s"}"#.into(),
    )
    .await
    .unwrap();
    assert_eq!(st, 200, "{}", String::from_utf8_lossy(&body));
    put_v(&env, "a", "v3").await;
    assert_eq!(get_v(&env, "a", false).await.as_deref(), Some("v2"));
    let (st, _, body) = post(
        "Emulator.DescribePartitions",
        r#"{"TableName":"Docs"}"#.into(),
    )
    .await
    .unwrap();
    assert_eq!(st, 200);
    let text = String::from_utf8_lossy(&body);
    assert!(
        text.contains("\"Partitions\"") && text.contains("replica-2"),
        "{text}"
    );
    let (st, _, _) = post("Emulator.Settle", "{}".into()).await.unwrap();
    assert_eq!(st, 200);
    assert_eq!(get_v(&env, "a", false).await.as_deref(), Some("v3"));
    let (st, _, body) = post(
        "Emulator.SetConsistency",
        r#"{"Consistency":"sometimes"}"#.into(),
    )
    .await
    .unwrap();
    assert_eq!(st, 400);
    assert!(String::from_utf8_lossy(&body).contains("Unknown Consistency"));
}

#[tokio::test]
async fn partitions_split_as_the_table_grows() {
    let env = start_with(
        Emulator::builder()
            .consistency(Consistency::Strong)
            .partition_size(64 * 1024),
    )
    .await;
    create_table(&env.client, "Docs", "id", None).await;
    let before = env
        .emulator
        .control(
            "DescribePartitions",
            &serde_json::json!({"TableName": "Docs"}),
        )
        .unwrap();
    let n0 = before["Partitions"].as_array().unwrap().len();
    // 800 KB over 8 partitions of 64 KB: keys hash uniformly, so every partition outgrows its size.
    for i in 0..200 {
        env.client
            .put_item()
            .table_name("Docs")
            .item("id", s(&format!("k{i}")))
            .item("v", s(&"x".repeat(4000)))
            .send()
            .await
            .unwrap();
    }
    let after = env
        .emulator
        .control(
            "DescribePartitions",
            &serde_json::json!({"TableName": "Docs"}),
        )
        .unwrap();
    let parts = after["Partitions"].as_array().unwrap();
    assert!(parts.len() > n0, "{n0} -> {}", parts.len());
    let items: u64 = parts.iter().map(|p| p["ItemCount"].as_u64().unwrap()).sum();
    assert_eq!(items, 200);
    assert!(parts
        .iter()
        .all(|p| p["SizeBytes"].as_u64().unwrap() <= 64 * 1024 + 4100));
    // Splits do not change what reads see.
    let scan = env.client.scan().table_name("Docs").send().await.unwrap();
    assert_eq!(scan.count(), 200);
}

#[tokio::test]
async fn the_request_log_records_which_replica_served_each_read() {
    let env = start_with(
        Emulator::builder()
            .seed(5)
            .virtual_clock()
            .consistency(Consistency::WorstCase)
            .lag(LagModel::Fixed(Duration::from_secs(1))),
    )
    .await;
    create_table(&env.client, "Docs", "id", None).await;
    put_v(&env, "a", "v1").await;
    assert_eq!(get_v(&env, "a", false).await, None);
    assert_eq!(get_v(&env, "a", true).await.as_deref(), Some("v1"));
    let _ = env
        .client
        .get_item()
        .table_name("Nope")
        .key("id", s("a"))
        .send()
        .await;
    let log = env
        .emulator
        .control("RequestLog", &serde_json::json!({"Reads": 4}))
        .unwrap();
    let entries = log["Requests"].as_array().unwrap();
    assert_eq!(entries.len(), 4);
    assert_eq!(entries[0]["Operation"], "PutItem");
    assert_eq!(entries[1]["Operation"], "GetItem");
    assert_eq!(entries[1]["Replica"], "worst-case");
    assert_eq!(entries[1]["Stale"], true);
    assert_eq!(entries[2]["Replica"], "leader");
    assert_eq!(entries[2]["Stale"], false);
    assert_eq!(entries[3]["Outcome"], "ResourceNotFoundException");
    assert!(entries[3].get("Replica").is_none());
    // Each entry names the tables it used (none for a table that does not exist), and the
    // log and the capacity report can be asked for one table.
    assert_eq!(entries[0]["Tables"], serde_json::json!(["Docs"]));
    assert!(entries[3].get("Tables").is_none());
    let docs = env
        .emulator
        .control(
            "RequestLog",
            &serde_json::json!({"Reads": 100, "TableName": "Docs"}),
        )
        .unwrap();
    let docs = docs["Requests"].as_array().unwrap();
    assert!(docs.len() >= 3 && docs.iter().all(|e| e["Tables"][0] == "Docs"));
    let report = env
        .emulator
        .control("CapacityReport", &serde_json::json!({"TableName": "Docs"}))
        .unwrap();
    let tables = report["Tables"].as_object().unwrap();
    assert_eq!(tables.keys().collect::<Vec<_>>(), ["Docs"]);
    // The replicas that have not applied the write say how long until they will have.
    let parts = env
        .emulator
        .control(
            "DescribePartitions",
            &serde_json::json!({"TableName": "Docs"}),
        )
        .unwrap();
    let replicas: Vec<&serde_json::Value> = parts["Partitions"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["Replicas"].as_array().unwrap())
        .collect();
    assert!(replicas
        .iter()
        .any(|r| r["PendingWrites"] == 1 && r["BehindMilliseconds"].as_u64().unwrap() > 0));
    assert!(replicas
        .iter()
        .all(|r| r["PendingWrites"] != 0 || r["BehindMilliseconds"] == 0));
    let burst = &parts["Partitions"][0]["Burst"];
    assert_eq!(burst["WriteCapacity"], 2000.0, "1,000 WCU for two seconds");
}

#[tokio::test]
async fn raising_throughput_splits_partitions() {
    let env = start_with(Emulator::builder().consistency(Consistency::Strong)).await;
    let c = &env.client;
    c.create_table()
        .table_name("Grow")
        .key_schema(ks("id", KeyType::Hash))
        .attribute_definitions(ad("id", ScalarAttributeType::S))
        .provisioned_throughput(
            aws_sdk_dynamodb::types::ProvisionedThroughput::builder()
                .read_capacity_units(1000)
                .write_capacity_units(1000)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    for i in 0..100 {
        put_table(&env, "Grow", &format!("k{i}")).await;
    }
    let parts = |v: serde_json::Value| v["Partitions"].as_array().unwrap().len();
    // 1,000 RCU / 3,000 + 1,000 WCU / 1,000: two partitions.
    assert_eq!(
        parts(
            env.emulator
                .control(
                    "DescribePartitions",
                    &serde_json::json!({"TableName": "Grow"})
                )
                .unwrap()
        ),
        2
    );
    c.update_table()
        .table_name("Grow")
        .provisioned_throughput(
            aws_sdk_dynamodb::types::ProvisionedThroughput::builder()
                .read_capacity_units(1000)
                .write_capacity_units(10000)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let after = env
        .emulator
        .control(
            "DescribePartitions",
            &serde_json::json!({"TableName": "Grow"}),
        )
        .unwrap();
    assert_eq!(parts(after.clone()), 11);
    let items: u64 = after["Partitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["ItemCount"].as_u64().unwrap())
        .sum();
    assert_eq!(items, 100);
    assert_eq!(
        c.scan().table_name("Grow").send().await.unwrap().count(),
        100
    );
}

async fn put_table(env: &TestEnv, table: &str, id: &str) {
    env.client
        .put_item()
        .table_name(table)
        .item("id", s(id))
        .send()
        .await
        .unwrap();
}

/// The default preset as a client sees it, with time moving between requests as it does over a
/// network (1 ms a request here, on a virtual clock, so the run is reproducible): a read right
/// after a write is rarely stale, a GSI query right after a write rarely misses, and neither
/// happens a second later (calibrated to AWS, `docs/models.md`).
#[tokio::test]
async fn the_default_preset_is_rarely_stale_right_after_a_write() {
    let env = start_with(Emulator::builder().seed(11).clock(Clock::virtual_with_tick(
        DEFAULT_VIRTUAL_START,
        Duration::from_millis(1),
    )))
    .await;
    create_gsi_table(&env.client).await;
    let mut stale = 0;
    for i in 0..1000 {
        let v = format!("v{i}");
        put_v(&env, &format!("k{}", i % 10), &v).await;
        if get_v(&env, &format!("k{}", i % 10), false).await != Some(v) {
            stale += 1;
        }
    }
    assert!(
        (1..=20).contains(&stale),
        "{stale} of 1,000 reads were stale"
    );
    let mut missed = 0;
    for i in 0..200 {
        let v = format!("g{i}");
        put_v(&env, &format!("q{i}"), &v).await;
        let out = env
            .client
            .query()
            .table_name("Docs")
            .index_name("byV")
            .key_condition_expression("v = :v")
            .expression_attribute_values(":v", s(&v))
            .send()
            .await
            .unwrap();
        if out.count() != 1 {
            missed += 1;
        }
    }
    assert!(missed <= 10, "{missed} of 200 GSI queries missed the item");
    // A second after the last write every replica and the index have it.
    env.emulator.advance(Duration::from_secs(1));
    for i in 990..1000 {
        assert_eq!(
            get_v(&env, &format!("k{}", i % 10), false).await,
            Some(format!("v{i}"))
        );
    }
}
