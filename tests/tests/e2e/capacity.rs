//! Capacity through a real SDK client: consumed units by DynamoDB's rules, index breakdowns,
//! transactions, and throttling of provisioned and on-demand tables on the emulator's clock.

use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ProvisionedThroughput, PutRequest, ReturnConsumedCapacity, ScalarAttributeType,
    TransactWriteItem, Update, WriteRequest,
};
use aws_sdk_dynamodb::Client;
use dynamodb_emulator::Consistency;
use dynamodb_emulator::Emulator;
use dynamodb_test_support::*;
use std::time::Duration;

/// A client that does not retry, so throttling is visible to the test.
fn no_retry(env: &TestEnv) -> Client {
    let conf = env
        .client
        .config()
        .to_builder()
        .retry_config(RetryConfig::disabled())
        .build();
    Client::from_conf(conf)
}

async fn virtual_env() -> TestEnv {
    start_with(
        Emulator::builder()
            .virtual_clock()
            .consistency(Consistency::Strong),
    )
    .await
}

async fn provisioned(c: &Client, name: &str, rcu: i64, wcu: i64) {
    c.create_table()
        .table_name(name)
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("id")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("id")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .provisioned_throughput(
            ProvisionedThroughput::builder()
                .read_capacity_units(rcu)
                .write_capacity_units(wcu)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn read_and_write_units_follow_the_documented_rules() {
    let env = virtual_env().await;
    let c = &env.client;
    create_table(c, "Units", "id", None).await;
    // "id" + "a" + value: 3.9 KB and 4.1 KB items.
    let small = 3900 - 2 - 1;
    let large = 4200 - 2 - 1;
    for (id, len) in [("small", small), ("large", large)] {
        let out = c
            .put_item()
            .table_name("Units")
            .item("id", s(id))
            .item("a", s(&"x".repeat(len - id.len())))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .unwrap();
        // Writes: 1 KB units, rounded up.
        assert_eq!(
            out.consumed_capacity().unwrap().capacity_units(),
            Some(if id == "small" { 4.0 } else { 5.0 })
        );
    }
    let read = |id: &'static str, consistent: bool| {
        c.get_item()
            .table_name("Units")
            .key("id", s(id))
            .consistent_read(consistent)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
    };
    let units = |o: aws_sdk_dynamodb::operation::get_item::GetItemOutput| {
        o.consumed_capacity().unwrap().capacity_units().unwrap()
    };
    assert_eq!(units(read("small", true).await.unwrap()), 1.0);
    assert_eq!(units(read("large", true).await.unwrap()), 2.0);
    assert_eq!(
        units(read("small", false).await.unwrap()),
        0.5,
        "eventual reads cost half"
    );
    assert_eq!(units(read("large", false).await.unwrap()), 1.0);
    assert_eq!(
        units(read("missing", true).await.unwrap()),
        1.0,
        "a miss still costs one unit"
    );

    // A Query is charged for what it read, before the filter, rounded once per page.
    create_table(c, "Rows", "pk", Some(("sk", ScalarAttributeType::N))).await;
    for i in 0..40 {
        c.put_item()
            .table_name("Rows")
            .item("pk", s("p"))
            .item("sk", n(&i.to_string()))
            .item("tag", n(&(i % 40).to_string()))
            .item("pad", s(&"y".repeat(1000)))
            .send()
            .await
            .unwrap();
    }
    let out = c
        .query()
        .table_name("Rows")
        .key_condition_expression("pk = :p")
        .filter_expression("tag = :one")
        .expression_attribute_values(":p", s("p"))
        .expression_attribute_values(":one", n("1"))
        .consistent_read(true)
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    assert_eq!(out.count(), 1);
    // 40 items of ~1,016 bytes = ~40.6 KB read: 10 units of 4 KB, though one item is returned.
    assert_eq!(
        out.consumed_capacity().unwrap().capacity_units(),
        Some(10.0)
    );
    let out = c
        .scan()
        .table_name("Rows")
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.consumed_capacity().unwrap().capacity_units(),
        Some(5.0),
        "eventual: half"
    );
}

#[tokio::test]
async fn index_writes_and_transactions_are_charged() {
    let env = virtual_env().await;
    let c = &env.client;
    c.create_table()
        .table_name("Idx")
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(ks("id", KeyType::Hash))
        .attribute_definitions(ad("id", ScalarAttributeType::S))
        .attribute_definitions(ad("g", ScalarAttributeType::S))
        .global_secondary_indexes(gsi("byG", "g", ProjectionType::KeysOnly).build().unwrap())
        .send()
        .await
        .unwrap();
    let out = c
        .put_item()
        .table_name("Idx")
        .item("id", s("a"))
        .item("g", s("red"))
        .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
        .send()
        .await
        .unwrap();
    let cc = out.consumed_capacity().unwrap();
    assert_eq!(cc.capacity_units(), Some(2.0));
    assert_eq!(cc.table().unwrap().capacity_units(), Some(1.0));
    assert_eq!(
        cc.global_secondary_indexes().unwrap()["byG"].capacity_units(),
        Some(1.0)
    );
    // Moving the index key is a delete plus a put on the index.
    let out = c
        .update_item()
        .table_name("Idx")
        .key("id", s("a"))
        .update_expression("SET g = :b")
        .expression_attribute_values(":b", s("blue"))
        .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.consumed_capacity()
            .unwrap()
            .global_secondary_indexes()
            .unwrap()["byG"]
            .capacity_units(),
        Some(2.0)
    );
    // A change to an attribute the index does not project costs the index nothing.
    let out = c
        .update_item()
        .table_name("Idx")
        .key("id", s("a"))
        .update_expression("SET extra = :o")
        .expression_attribute_values(":o", s("x"))
        .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
        .send()
        .await
        .unwrap();
    let cc = out.consumed_capacity().unwrap();
    assert_eq!(cc.capacity_units(), Some(1.0));
    assert!(cc.global_secondary_indexes().is_none());
    // Transactions cost twice.
    let out = c
        .transact_write_items()
        .transact_items(
            TransactWriteItem::builder()
                .update(
                    Update::builder()
                        .table_name("Idx")
                        .key("id", s("a"))
                        .update_expression("SET extra = :o")
                        .expression_attribute_values(":o", s("y"))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    assert_eq!(out.consumed_capacity()[0].capacity_units(), Some(2.0));
}

#[tokio::test]
async fn a_provisioned_table_throttles_after_its_burst_and_recovers() {
    let env = virtual_env().await;
    let c = no_retry(&env);
    provisioned(&c, "Prov", 5, 5).await;
    c.put_item()
        .table_name("Prov")
        .item("id", s("k"))
        .send()
        .await
        .unwrap();
    // 5 RCU keeps 300 s of burst: 1,500 strongly consistent reads of a small item, then throttled.
    let mut ok = 0;
    let err = loop {
        match c
            .get_item()
            .table_name("Prov")
            .key("id", s("k"))
            .consistent_read(true)
            .send()
            .await
        {
            Ok(_) => ok += 1,
            Err(e) => break e,
        }
        assert!(ok < 2000, "never throttled");
    };
    assert_eq!(ok, 1500);
    let (code, msg) = error_of(&err);
    assert_eq!(code, "ProvisionedThroughputExceededException");
    assert!(msg
        .starts_with("The level of configured provisioned throughput for the table was exceeded"));
    let raw = err.raw_response().unwrap();
    assert_eq!(raw.status().as_u16(), 400);
    // Writes have their own capacity.
    c.put_item()
        .table_name("Prov")
        .item("id", s("w"))
        .send()
        .await
        .unwrap();
    // The virtual clock refills 5 units a second.
    env.emulator.advance(Duration::from_secs(1));
    for _ in 0..5 {
        c.get_item()
            .table_name("Prov")
            .key("id", s("k"))
            .consistent_read(true)
            .send()
            .await
            .unwrap();
    }
    assert!(c
        .get_item()
        .table_name("Prov")
        .key("id", s("k"))
        .consistent_read(true)
        .send()
        .await
        .is_err());
    // Raising the throughput takes effect.
    c.update_table()
        .table_name("Prov")
        .provisioned_throughput(
            ProvisionedThroughput::builder()
                .read_capacity_units(100)
                .write_capacity_units(5)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    env.emulator.advance(Duration::from_secs(1));
    for _ in 0..50 {
        c.get_item()
            .table_name("Prov")
            .key("id", s("k"))
            .consistent_read(true)
            .send()
            .await
            .unwrap();
    }
    // The SDK's standard retry treats the error as throttling and retries with backoff.
    let retrying = env.client.clone();
    env.emulator.advance(Duration::from_secs(10));
    retrying
        .get_item()
        .table_name("Prov")
        .key("id", s("k"))
        .consistent_read(true)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn throttled_batch_work_comes_back_unprocessed_and_a_retry_loop_finishes_it() {
    let env = virtual_env().await;
    let c = no_retry(&env);
    provisioned(&c, "Batch", 5, 1).await;
    // 1 WCU = 300 units of burst; spend it with 15 items of 20 KB.
    let blob = "z".repeat(20 * 1024);
    for i in 0..15 {
        c.put_item()
            .table_name("Batch")
            .item("id", s(&format!("pre{i}")))
            .item("b", s(&blob))
            .send()
            .await
            .unwrap();
    }
    let mut pending: Vec<WriteRequest> = (0..20)
        .map(|i| {
            WriteRequest::builder()
                .put_request(
                    PutRequest::builder()
                        .item("id", s(&format!("k{i}")))
                        .item("b", s(&"q".repeat(100)))
                        .build()
                        .unwrap(),
                )
                .build()
        })
        .collect();
    let mut rounds = 0;
    let mut throttled_rounds = 0;
    while !pending.is_empty() {
        rounds += 1;
        assert!(rounds < 100);
        match c
            .batch_write_item()
            .request_items("Batch", pending.clone())
            .send()
            .await
        {
            Ok(out) => {
                pending = out
                    .unprocessed_items()
                    .and_then(|u| u.get("Batch"))
                    .cloned()
                    .unwrap_or_default();
            }
            Err(e) => {
                assert_eq!(error_of(&e).0, "ProvisionedThroughputExceededException");
                throttled_rounds += 1;
            }
        }
        env.emulator.advance(Duration::from_secs(1));
    }
    assert!(
        rounds > 1 && throttled_rounds > 0,
        "{rounds} rounds, {throttled_rounds} throttled"
    );
    let scan = c.scan().table_name("Batch").send().await;
    // The scan itself may be throttled by nothing here: reads have their own 5 RCU.
    assert_eq!(scan.unwrap().count(), 35);
}

#[tokio::test]
async fn on_demand_hot_partitions_are_throttled() {
    let env = virtual_env().await;
    let c = no_retry(&env);
    create_table(&c, "Hot", "id", None).await;
    // Every write goes to one key, so one partition: 1,000 WCU per second, sustained. At one
    // instant of a frozen clock the partition takes a brief spike of two seconds' worth.
    let mut ok = 0;
    loop {
        match c
            .put_item()
            .table_name("Hot")
            .item("id", s("hot"))
            .item("n", n(&ok.to_string()))
            .send()
            .await
        {
            Ok(_) => ok += 1,
            Err(e) => {
                let (code, msg) = error_of(&e);
                assert_eq!(code, "ProvisionedThroughputExceededException");
                assert!(msg.contains("hot key"), "{msg}");
                break;
            }
        }
        assert!(ok < 5000);
    }
    assert_eq!(ok, 2000);
    // Other keys, in other partitions, are not affected.
    let mut other_ok = 0;
    for i in 0..50 {
        if c.put_item()
            .table_name("Hot")
            .item("id", s(&format!("cold{i}")))
            .send()
            .await
            .is_ok()
        {
            other_ok += 1;
        }
    }
    assert!(other_ok >= 40, "{other_ok}");
    env.emulator.advance(Duration::from_secs(1));
    c.put_item()
        .table_name("Hot")
        .item("id", s("hot"))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn throttling_can_be_switched_off() {
    let env = start_with(
        Emulator::builder()
            .virtual_clock()
            .consistency(Consistency::Strong)
            .throttling(false),
    )
    .await;
    let c = no_retry(&env);
    provisioned(&c, "Off", 1, 1).await;
    for i in 0..2000 {
        c.put_item()
            .table_name("Off")
            .item("id", s(&format!("k{}", i % 3)))
            .send()
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn usage_report_shows_units_throttles_and_the_cost_of_filters() {
    let env = virtual_env().await;
    let c = no_retry(&env);
    provisioned(&c, "Report", 1, 1).await;
    for i in 0..20 {
        c.put_item()
            .table_name("Report")
            .item("id", s(&format!("k{i}")))
            .item("even", boolean(i % 2 == 0))
            .send()
            .await
            .unwrap();
    }
    let out = c
        .scan()
        .table_name("Report")
        .filter_expression("even = :t")
        .expression_attribute_values(":t", boolean(true))
        .send()
        .await
        .unwrap();
    assert_eq!(out.count(), 10);
    let report = env.emulator.capacity_report();
    let t = &report["Tables"]["Report"];
    assert_eq!(t["ItemsRead"], 20);
    assert_eq!(t["ItemsReturned"], 10);
    assert_eq!(t["WriteUnits"], 20.0);
    assert_eq!(t["Operations"]["PutItem"]["Requests"], 20);
    assert_eq!(t["Operations"]["Scan"]["ReadUnits"], 0.5);
    assert!(t["OnDemandCostUsd"].as_f64().unwrap() > 0.0);
    assert_eq!(t["Series"]["1704067200"]["WriteUnits"], 20.0);
    // Each second also shows the provisioned throughput it ran against.
    assert_eq!(t["Series"]["1704067200"]["ProvisionedWriteUnits"], 1.0);
    assert_eq!(t["Series"]["1704067200"]["ProvisionedReadUnits"], 1.0);
    // The same over the control API, and as the summary the binary prints on exit.
    let url = env.emulator.endpoint_url();
    let (st, _, body) =
        tokio::task::spawn_blocking(move || raw_post(&url, Some("Emulator.CapacityReport"), b"{}"))
            .await
            .unwrap();
    assert_eq!(st, 200);
    assert!(String::from_utf8_lossy(&body).contains("\"ItemsReturned\":10"));
    let summary = env.emulator.capacity_summary();
    assert!(summary.contains("Report: 0.5 RCU, 20.0 WCU"), "{summary}");
}

fn boolean(b: bool) -> aws_sdk_dynamodb::types::AttributeValue {
    aws_sdk_dynamodb::types::AttributeValue::Bool(b)
}

#[tokio::test]
async fn on_demand_tables_start_at_4000_wru_per_second_and_double_on_the_peak() {
    let env = virtual_env().await;
    let c = no_retry(&env);
    create_table(&c, "Grow", "id", None).await;
    // Distinct keys spread over the table's 8 partitions (1,000 WCU each, two seconds' worth
    // at once): the table's own limit of 4,000 WRU per second (two seconds' worth at once)
    // binds first.
    let mut ok = 0;
    let mut i = 0;
    loop {
        i += 1;
        match c
            .put_item()
            .table_name("Grow")
            .item("id", s(&format!("k{i}")))
            .send()
            .await
        {
            Ok(_) => ok += 1,
            Err(e) => {
                assert_eq!(error_of(&e).0, "ProvisionedThroughputExceededException");
                break;
            }
        }
        assert!(ok < 20_000);
    }
    assert_eq!(ok, 8000);
    // The next second the limit is twice the previous peak: 16,000.
    env.emulator.advance(Duration::from_secs(1));
    let mut ok = 0;
    loop {
        i += 1;
        if c.put_item()
            .table_name("Grow")
            .item("id", s(&format!("k{i}")))
            .send()
            .await
            .is_err()
        {
            break;
        }
        ok += 1;
        assert!(ok < 20_000);
    }
    assert!(ok > 8000, "{ok}");
}

#[tokio::test]
async fn lsi_reads_that_fetch_from_the_table_cost_more() {
    let env = virtual_env().await;
    let c = &env.client;
    c.create_table()
        .table_name("Lsi")
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("sk")
                .key_type(KeyType::Range)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("sk")
                .attribute_type(ScalarAttributeType::N)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("alt")
                .attribute_type(ScalarAttributeType::N)
                .build()
                .unwrap(),
        )
        .local_secondary_indexes(
            aws_sdk_dynamodb::types::LocalSecondaryIndex::builder()
                .index_name("byAlt")
                .key_schema(
                    KeySchemaElement::builder()
                        .attribute_name("pk")
                        .key_type(KeyType::Hash)
                        .build()
                        .unwrap(),
                )
                .key_schema(
                    KeySchemaElement::builder()
                        .attribute_name("alt")
                        .key_type(KeyType::Range)
                        .build()
                        .unwrap(),
                )
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::KeysOnly)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    for i in 0..4 {
        c.put_item()
            .table_name("Lsi")
            .item("pk", s("p"))
            .item("sk", n(&i.to_string()))
            .item("alt", n(&i.to_string()))
            .item("big", s(&"b".repeat(3000)))
            .send()
            .await
            .unwrap();
    }
    let query = |select: aws_sdk_dynamodb::types::Select| {
        c.query()
            .table_name("Lsi")
            .index_name("byAlt")
            .key_condition_expression("pk = :p")
            .expression_attribute_values(":p", s("p"))
            .select(select)
            .consistent_read(true)
            .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
            .send()
    };
    let keys_only = query(aws_sdk_dynamodb::types::Select::AllProjectedAttributes)
        .await
        .unwrap();
    let fetched = query(aws_sdk_dynamodb::types::Select::AllAttributes)
        .await
        .unwrap();
    assert_eq!(
        keys_only.consumed_capacity().unwrap().capacity_units(),
        Some(1.0)
    );
    // The index's entries are charged to the index (one unit), and the four ~3 KB items
    // fetched from the table to the table: ~12.2 KB, rounded once per page, 3 units. The two
    // are rounded apart, as dynalite's recorded bodies show (`Table: 3`, `index2: 1`, total 4).
    let units = |c: &aws_sdk_dynamodb::types::ConsumedCapacity| {
        (
            c.capacity_units(),
            c.table().and_then(|t| t.capacity_units()),
            c.local_secondary_indexes()
                .and_then(|m| m.get("byAlt"))
                .and_then(|i| i.capacity_units()),
        )
    };
    assert_eq!(
        units(keys_only.consumed_capacity().unwrap()),
        (Some(1.0), Some(0.0), Some(1.0))
    );
    assert_eq!(
        units(fetched.consumed_capacity().unwrap()),
        (Some(4.0), Some(3.0), Some(1.0))
    );
    assert!(fetched.items().iter().all(|i| i.contains_key("big")));
}

/// A global secondary index with its own provisioned throughput throttles the table's writes
/// that must update it once its burst is spent (DynamoDB's "back pressure" from an
/// under-provisioned GSI), leaves writes that do not touch it alone, and throttles its own
/// reads separately from the table's.
#[tokio::test]
async fn an_under_provisioned_gsi_throttles_the_writes_that_update_it() {
    let env = virtual_env().await;
    let c = no_retry(&env);
    let th = |r, w| {
        ProvisionedThroughput::builder()
            .read_capacity_units(r)
            .write_capacity_units(w)
            .build()
            .unwrap()
    };
    c.create_table()
        .table_name("Gsi")
        .key_schema(ks("id", KeyType::Hash))
        .attribute_definitions(ad("id", ScalarAttributeType::S))
        .attribute_definitions(ad("g", ScalarAttributeType::S))
        .provisioned_throughput(th(1000, 1000))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("byG")
                .key_schema(ks("g", KeyType::Hash))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::KeysOnly)
                        .build(),
                )
                .provisioned_throughput(th(1, 1))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    // 1 WCU keeps 300 s of burst: 300 small index writes, then the table's writes are throttled.
    let mut ok = 0;
    let err = loop {
        match c
            .put_item()
            .table_name("Gsi")
            .item("id", s(&format!("i{ok}")))
            .item("g", s("x"))
            .send()
            .await
        {
            Ok(_) => ok += 1,
            Err(e) => break e,
        }
        assert!(ok < 400, "never throttled");
    };
    assert_eq!(ok, 300);
    let (code, msg) = error_of(&err);
    assert_eq!(code, "ProvisionedThroughputExceededException");
    assert!(msg.starts_with(
        "The level of configured provisioned throughput for one or more global secondary indexes of the table was exceeded"
    ));
    // A write that does not touch the index is not held back.
    c.put_item()
        .table_name("Gsi")
        .item("id", s("plain"))
        .send()
        .await
        .unwrap();
    // In a batch the index-bound write comes back unprocessed.
    let out = c
        .batch_write_item()
        .request_items(
            "Gsi",
            vec![
                WriteRequest::builder()
                    .put_request(
                        PutRequest::builder()
                            .item("id", s("b1"))
                            .item("g", s("x"))
                            .build()
                            .unwrap(),
                    )
                    .build(),
                WriteRequest::builder()
                    .put_request(PutRequest::builder().item("id", s("b2")).build().unwrap())
                    .build(),
            ],
        )
        .send()
        .await
        .unwrap();
    assert_eq!(out.unprocessed_items().unwrap()["Gsi"].len(), 1);
    // In a transaction it cancels with ThrottlingError.
    let e = c
        .transact_write_items()
        .transact_items(
            TransactWriteItem::builder()
                .update(
                    Update::builder()
                        .table_name("Gsi")
                        .key("id", s("t1"))
                        .update_expression("SET g = :g")
                        .expression_attribute_values(":g", s("y"))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert!(format!("{e:?}").contains("ThrottlingError"), "{e:?}");
    // The index's reads have their own bucket: 1 RCU, 300 s of burst, eventually consistent
    // queries of under 4 KB cost 0.5: 600 of them, while the table's reads go on.
    let mut reads = 0;
    while c
        .query()
        .table_name("Gsi")
        .index_name("byG")
        .key_condition_expression("g = :g")
        .expression_attribute_values(":g", s("nothing"))
        .send()
        .await
        .is_ok()
    {
        reads += 1;
        assert!(reads < 700, "index reads never throttled");
    }
    assert_eq!(reads, 600);
    // The report counts those reads per index too, in total and per second.
    let report = env
        .emulator
        .control("CapacityReport", &serde_json::json!({"TableName": "Gsi"}))
        .unwrap();
    let gsi = &report["Tables"]["Gsi"];
    assert_eq!(gsi["IndexReadUnits"]["byG"], 300.0);
    let per_second: f64 = gsi["Series"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(|s| s["IndexReadUnits"]["byG"].as_f64())
        .sum();
    assert_eq!(per_second, 300.0);
    c.get_item()
        .table_name("Gsi")
        .key("id", s("i0"))
        .send()
        .await
        .unwrap();
    // A second refills one index write.
    env.emulator.advance(Duration::from_secs(1));
    c.put_item()
        .table_name("Gsi")
        .item("id", s("later"))
        .item("g", s("x"))
        .send()
        .await
        .unwrap();
}

/// A bulk load at a new on-demand table's warm throughput, then one 5 MB batch followed at once
/// by puts and a transaction: AWS takes all of it, and so must the default model (a few
/// UnprocessedItems are fine; a call rejected whole is not).
#[tokio::test]
async fn a_bulk_load_and_a_5_mb_batch_on_a_new_on_demand_table_are_not_throttled() {
    let env = start_with(Emulator::builder().seed(3).clock(
        dynamodb_emulator::Clock::virtual_with_tick(
            dynamodb_emulator::DEFAULT_VIRTUAL_START,
            Duration::from_millis(2),
        ),
    ))
    .await;
    let c = no_retry(&env);
    create_table(&c, "Bulk", "id", None).await;
    let blob = "x".repeat(10 * 1024 - 20);
    // 800 items of 10 KB, 25 at a time, as boto3's batch writer sends them.
    let mut pending: Vec<WriteRequest> = (0..800)
        .map(|i| {
            WriteRequest::builder()
                .put_request(
                    PutRequest::builder()
                        .item("id", s(&format!("k{i}")))
                        .item("b", s(&blob))
                        .build()
                        .unwrap(),
                )
                .build()
        })
        .collect();
    let (mut calls, mut unprocessed) = (0, 0);
    while !pending.is_empty() {
        calls += 1;
        let batch: Vec<WriteRequest> = pending.drain(..pending.len().min(25)).collect();
        let out = c
            .batch_write_item()
            .request_items("Bulk", batch)
            .send()
            .await
            .unwrap_or_else(|e| panic!("call {calls} rejected whole: {:?}", error_of(&e)));
        let left = out
            .unprocessed_items()
            .and_then(|u| u.get("Bulk"))
            .cloned()
            .unwrap_or_default();
        unprocessed += left.len();
        pending.extend(left);
    }
    assert!(
        unprocessed <= 40,
        "{unprocessed} items came back unprocessed"
    );
    create_table(&c, "Big", "id", None).await;
    let big = "y".repeat(200 * 1024 - 30);
    let batch: Vec<WriteRequest> = (0..25)
        .map(|i| {
            WriteRequest::builder()
                .put_request(
                    PutRequest::builder()
                        .item("id", s(&format!("b{i}")))
                        .item("b", s(&big))
                        .build()
                        .unwrap(),
                )
                .build()
        })
        .collect();
    let out = c
        .batch_write_item()
        .request_items("Big", batch)
        .send()
        .await
        .unwrap();
    assert!(out.unprocessed_items().is_none_or(|u| u.is_empty()));
    for i in 0..10 {
        c.put_item()
            .table_name("Big")
            .item("id", s(&format!("p{i}")))
            .send()
            .await
            .unwrap();
    }
    let put = |id: &str| {
        TransactWriteItem::builder()
            .put(
                aws_sdk_dynamodb::types::Put::builder()
                    .table_name("Big")
                    .item("id", s(id))
                    .build()
                    .unwrap(),
            )
            .build()
    };
    c.transact_write_items()
        .transact_items(put("t1"))
        .transact_items(put("t2"))
        .send()
        .await
        .unwrap();
}

/// What must keep biting: a small provisioned table throttles a tight loop once its 300 s of
/// burst are spent, and 10 KB writes to one key hit the partition's 1,000 WCU per second within
/// seconds; the report and the debug header say which limit.
#[tokio::test]
async fn sustained_overload_is_throttled_and_the_reason_is_reported() {
    let env = start_with(Emulator::builder().seed(5).debug_headers(true).clock(
        dynamodb_emulator::Clock::virtual_with_tick(
            dynamodb_emulator::DEFAULT_VIRTUAL_START,
            Duration::from_millis(1),
        ),
    ))
    .await;
    let c = no_retry(&env);
    provisioned(&c, "Small", 5, 5).await;
    let kb = "z".repeat(1024 - 20);
    let mut writes = 0;
    let err = loop {
        match c
            .put_item()
            .table_name("Small")
            .item("id", s(&format!("k{writes}")))
            .item("b", s(&kb))
            .send()
            .await
        {
            Ok(_) => writes += 1,
            Err(e) => break e,
        }
        assert!(writes < 4000, "never throttled");
    };
    let raw = err.raw_response().unwrap();
    assert_eq!(
        raw.headers().get("x-emulator-throttled"),
        Some("table-throughput")
    );
    create_table(&c, "Hot", "id", None).await;
    let ten_kb = "h".repeat(10 * 1024 - 20);
    let start = env.emulator.clock().now();
    let err = loop {
        match c
            .put_item()
            .table_name("Hot")
            .item("id", s("hot"))
            .item("b", s(&ten_kb))
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) => break e,
        }
        assert!(
            env.emulator.clock().now() - start < Duration::from_secs(60),
            "a hot key was never throttled"
        );
    };
    assert_eq!(
        err.raw_response()
            .unwrap()
            .headers()
            .get("x-emulator-throttled"),
        Some("partition-limit")
    );
    let report = env.emulator.capacity_report();
    assert_eq!(
        report["Tables"]["Small"]["ThrottledBy"]["write/table-throughput"],
        1
    );
    assert_eq!(
        report["Tables"]["Hot"]["ThrottledBy"]["write/partition-limit"],
        1
    );
}

/// A partition that runs at half its hard limit or more for a minute splits for heat, as
/// adaptive capacity splits hot partitions: a hot range of keys then has two partitions'
/// capacity.
#[tokio::test]
async fn a_partition_hot_for_a_minute_splits_for_heat() {
    // 25 writes of 1 KB every 40 virtual ms: 625 WCU a second, over half of 1,000.
    let env = start_with(Emulator::builder().seed(9).clock(
        dynamodb_emulator::Clock::virtual_with_tick(
            dynamodb_emulator::DEFAULT_VIRTUAL_START,
            Duration::from_millis(40),
        ),
    ))
    .await;
    let c = no_retry(&env);
    // 900 WCU provisioned: one partition.
    provisioned(&c, "Warm", 1, 900).await;
    let partitions = || {
        env.emulator
            .control(
                "DescribePartitions",
                &serde_json::json!({"TableName": "Warm"}),
            )
            .unwrap()["Partitions"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(partitions(), 1);
    let kb = "w".repeat(1000);
    let start = env.emulator.clock().now();
    let mut round = 0;
    while env.emulator.clock().now() - start < Duration::from_secs(62) {
        let batch: Vec<WriteRequest> = (0..25)
            .map(|i| {
                WriteRequest::builder()
                    .put_request(
                        PutRequest::builder()
                            .item("id", s(&format!("k{}", (round * 25 + i) % 400)))
                            .item("b", s(&kb))
                            .build()
                            .unwrap(),
                    )
                    .build()
            })
            .collect();
        c.batch_write_item()
            .request_items("Warm", batch)
            .send()
            .await
            .unwrap();
        round += 1;
        if round == 1250 {
            // 50 s in: hot, but not for long enough yet.
            assert_eq!(partitions(), 1);
        }
    }
    assert_eq!(partitions(), 2, "split for heat after a minute");
}
