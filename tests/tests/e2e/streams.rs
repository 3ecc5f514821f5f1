//! DynamoDB Streams through a real `aws-sdk-dynamodbstreams` client on the same endpoint:
//! records of every write path, view types, iterators, retention, errors, disabling and
//! re-enabling, and shards that follow a partition split.

use aws_sdk_dynamodb::types::{
    AttributeValue, BillingMode, KeyType, Put, ScalarAttributeType, StreamSpecification,
    StreamViewType, TimeToLiveSpecification, TransactWriteItem, WriteRequest,
};
use aws_sdk_dynamodbstreams::types::{OperationType, Record, ShardIteratorType};
use dynamodb_emulator::{Consistency, Emulator, EmulatorBuilder};
use dynamodb_test_support::*;
use std::collections::HashMap;
use std::time::Duration;

type Streams = aws_sdk_dynamodbstreams::Client;

/// An emulator on a virtual clock whose stream records are readable at once.
fn strong() -> EmulatorBuilder {
    Emulator::builder()
        .consistency(Consistency::Strong)
        .throttling(false)
        .virtual_clock()
}

/// Creates table `name` (hash key `pk`) with a stream of `view`; returns the stream's ARN.
async fn table_with_stream(env: &TestEnv, name: &str, view: StreamViewType) -> String {
    let out = env
        .client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(ks("pk", KeyType::Hash))
        .attribute_definitions(ad("pk", ScalarAttributeType::S))
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(view)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    out.table_description()
        .and_then(|d| d.latest_stream_arn())
        .expect("a stream ARN")
        .to_string()
}

/// Every record of the stream, reading each shard from TRIM_HORIZON, parents before children.
async fn read_all(s: &Streams, arn: &str) -> Vec<Record> {
    let d = s.describe_stream().stream_arn(arn).send().await.unwrap();
    let shards = d.stream_description().unwrap().shards().to_vec();
    let mut done: Vec<String> = Vec::new();
    let mut out = Vec::new();
    while done.len() < shards.len() {
        for shard in &shards {
            let id = shard.shard_id().unwrap().to_string();
            let ready = shard.parent_shard_id().is_none_or(|p| {
                done.iter().any(|d| d == p) || !shards.iter().any(|s| s.shard_id() == Some(p))
            });
            if done.contains(&id) || !ready {
                continue;
            }
            let mut it = s
                .get_shard_iterator()
                .stream_arn(arn)
                .shard_id(&id)
                .shard_iterator_type(ShardIteratorType::TrimHorizon)
                .send()
                .await
                .unwrap()
                .shard_iterator()
                .map(str::to_string);
            // An open shard always hands out a next iterator: stop at the first empty page.
            while let Some(i) = it {
                let page = s.get_records().shard_iterator(i).send().await.unwrap();
                let empty = page.records().is_empty();
                out.extend(page.records().iter().cloned());
                it = page.next_shard_iterator().map(str::to_string);
                if empty {
                    break;
                }
            }
            done.push(id);
        }
    }
    out
}

fn key_of(r: &Record) -> String {
    match r
        .dynamodb()
        .and_then(|d| d.keys())
        .and_then(|k| k.get("pk"))
    {
        Some(aws_sdk_dynamodbstreams::types::AttributeValue::S(s)) => s.clone(),
        other => panic!("no pk in {other:?}"),
    }
}

fn item(pk: &str, v: &str) -> HashMap<String, AttributeValue> {
    HashMap::from([("pk".to_string(), s(pk)), ("v".to_string(), s(v))])
}

#[tokio::test]
async fn every_write_path_writes_one_record_in_order_and_no_ops_write_none() {
    let env = start_with(strong()).await;
    let c = &env.client;
    let arn = table_with_stream(&env, "Orders", StreamViewType::NewAndOldImages).await;
    let put = |pk: &str, v: &str| {
        c.put_item()
            .table_name("Orders")
            .set_item(Some(item(pk, v)))
    };
    put("a", "1").send().await.unwrap();
    put("a", "1").send().await.unwrap(); // the same item: no record
    c.update_item()
        .table_name("Orders")
        .key("pk", s("a"))
        .update_expression("SET v = :v")
        .expression_attribute_values(":v", s("2"))
        .send()
        .await
        .unwrap();
    c.delete_item()
        .table_name("Orders")
        .key("pk", s("a"))
        .send()
        .await
        .unwrap();
    c.delete_item() // nothing to delete: no record
        .table_name("Orders")
        .key("pk", s("a"))
        .send()
        .await
        .unwrap();
    c.batch_write_item()
        .request_items(
            "Orders",
            vec![WriteRequest::builder()
                .put_request(
                    aws_sdk_dynamodb::types::PutRequest::builder()
                        .set_item(Some(item("b", "1")))
                        .build()
                        .unwrap(),
                )
                .build()],
        )
        .send()
        .await
        .unwrap();
    c.transact_write_items()
        .transact_items(
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name("Orders")
                        .set_item(Some(item("c", "1")))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let st = streams_client_for(&env.emulator.endpoint_url());
    let records = read_all(&st, &arn).await;
    let mut by_key: HashMap<String, Vec<OperationType>> = HashMap::new();
    for r in &records {
        by_key
            .entry(key_of(r))
            .or_default()
            .push(r.event_name().unwrap().clone());
        assert_eq!(r.event_source(), Some("aws:dynamodb"));
        assert_eq!(r.event_version(), Some("1.1"));
        assert_eq!(r.aws_region(), Some("us-east-1"));
        assert_eq!(r.event_id().map(str::len), Some(32));
    }
    assert_eq!(
        by_key["a"],
        [
            OperationType::Insert,
            OperationType::Modify,
            OperationType::Remove
        ]
    );
    assert_eq!(by_key["b"], [OperationType::Insert]);
    assert_eq!(by_key["c"], [OperationType::Insert]);
    // NEW_AND_OLD_IMAGES: the MODIFY has both images, the INSERT only the new, the REMOVE
    // only the old.
    let a: Vec<&Record> = records.iter().filter(|r| key_of(r) == "a").collect();
    let d = |i: usize| a[i].dynamodb().unwrap();
    assert!(d(0).new_image().is_some() && d(0).old_image().is_none());
    assert!(d(1).new_image().is_some() && d(1).old_image().is_some());
    assert!(d(2).new_image().is_none() && d(2).old_image().is_some());
    // SizeBytes: the keys and the images, sized as DynamoDB sizes items: Keys {pk: "a"} is 3
    // bytes, NewImage {pk: "a", v: "1"} 5.
    assert_eq!(d(0).size_bytes(), Some(3 + 5));
    // The tables' ListStreams and DescribeTable name the same stream.
    let listed = st.list_streams().table_name("Orders").send().await.unwrap();
    assert_eq!(listed.streams()[0].stream_arn(), Some(arn.as_str()));
    assert_eq!(listed.streams()[0].table_name(), Some("Orders"));
}

#[tokio::test]
async fn the_view_type_decides_the_images() {
    let env = start_with(strong()).await;
    let st = streams_client_for(&env.emulator.endpoint_url());
    for (name, view, new, old) in [
        ("KeysOnly", StreamViewType::KeysOnly, false, false),
        ("NewImage", StreamViewType::NewImage, true, false),
        ("OldImage", StreamViewType::OldImage, false, true),
    ] {
        let arn = table_with_stream(&env, name, view).await;
        let put = |v: &str| {
            env.client
                .put_item()
                .table_name(name)
                .set_item(Some(item("k", v)))
        };
        put("1").send().await.unwrap();
        put("2").send().await.unwrap();
        let records = read_all(&st, &arn).await;
        let modify = records[1].dynamodb().unwrap();
        assert_eq!(modify.new_image().is_some(), new, "{name}");
        assert_eq!(modify.old_image().is_some(), old, "{name}");
        assert!(modify.keys().is_some(), "{name}");
        assert_eq!(
            modify.stream_view_type().map(|v| v.as_str()),
            Some(name_of(name))
        );
    }
}

fn name_of(table: &str) -> &'static str {
    match table {
        "KeysOnly" => "KEYS_ONLY",
        "NewImage" => "NEW_IMAGE",
        _ => "OLD_IMAGE",
    }
}

#[tokio::test]
async fn iterators_sequence_numbers_retention_and_errors() {
    let env = start_with(strong()).await;
    let arn = table_with_stream(&env, "Tab", StreamViewType::KeysOnly).await;
    let st = streams_client_for(&env.emulator.endpoint_url());
    // Three writes of one key: one shard holds them all.
    for v in ["1", "2", "3"] {
        env.client
            .put_item()
            .table_name("Tab")
            .set_item(Some(item("k", v)))
            .send()
            .await
            .unwrap();
    }
    let records = read_all(&st, &arn).await;
    assert_eq!(records.len(), 3);
    let seqs: Vec<String> = records
        .iter()
        .map(|r| r.dynamodb().unwrap().sequence_number().unwrap().to_string())
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    assert!(seqs
        .iter()
        .all(|s| s.len() >= 21 && s.bytes().all(|b| b.is_ascii_digit())));
    // The key's shard: the one whose TRIM_HORIZON read finds its records.
    let d = st.describe_stream().stream_arn(&arn).send().await.unwrap();
    let mut shard = String::new();
    for candidate in d.stream_description().unwrap().shards() {
        let id = candidate.shard_id().unwrap();
        let it = st
            .get_shard_iterator()
            .stream_arn(&arn)
            .shard_id(id)
            .shard_iterator_type(ShardIteratorType::TrimHorizon)
            .send()
            .await
            .unwrap();
        let page = st
            .get_records()
            .shard_iterator(it.shard_iterator().unwrap())
            .send()
            .await
            .unwrap();
        if !page.records().is_empty() {
            shard = id.to_string();
        }
    }
    let iterator = |ty: ShardIteratorType, seq: Option<&str>| {
        st.get_shard_iterator()
            .stream_arn(&arn)
            .shard_id(&shard)
            .shard_iterator_type(ty)
            .set_sequence_number(seq.map(str::to_string))
            .send()
    };
    let count = |it: String| {
        let st = st.clone();
        async move {
            st.get_records()
                .shard_iterator(it)
                .send()
                .await
                .unwrap()
                .records()
                .len()
        }
    };
    let at = iterator(ShardIteratorType::AtSequenceNumber, Some(&seqs[1]))
        .await
        .unwrap();
    let after = iterator(ShardIteratorType::AfterSequenceNumber, Some(&seqs[1]))
        .await
        .unwrap();
    let latest = iterator(ShardIteratorType::Latest, None).await.unwrap();
    let limited = st
        .get_records()
        .shard_iterator(
            iterator(ShardIteratorType::TrimHorizon, None)
                .await
                .unwrap()
                .shard_iterator()
                .unwrap(),
        )
        .limit(1)
        .send()
        .await
        .unwrap();
    assert_eq!(limited.records().len(), 1);
    let next = limited.next_shard_iterator().unwrap().to_string();
    assert_eq!(count(at.shard_iterator().unwrap().into()).await, 2);
    assert_eq!(count(after.shard_iterator().unwrap().into()).await, 1);
    assert_eq!(count(latest.shard_iterator().unwrap().into()).await, 0);
    assert_eq!(count(next.clone()).await, 2);

    // Errors, each as the service answers it.
    let e = st.get_records().shard_iterator("garbage").send().await;
    Expected::containing("ValidationException", "ShardIterator").check("a garbled iterator", e);
    let e = st
        .get_records()
        .shard_iterator(&next)
        .limit(1001)
        .send()
        .await;
    Expected::containing("ValidationException", "Limit").check("limit 1001", e);
    let e = st.get_records().shard_iterator(&next).limit(0).send().await;
    Expected::containing("ValidationException", "'limit'").check("limit 0", e);
    let e = iterator(ShardIteratorType::AtSequenceNumber, None).await;
    Expected::containing("ValidationException", "SequenceNumber").check("AT without a number", e);
    let e = iterator(ShardIteratorType::TrimHorizon, Some(&seqs[0])).await;
    Expected::containing("ValidationException", "SequenceNumber").check("TRIM_HORIZON with one", e);
    let last = if arn.ends_with('0') { "1" } else { "0" };
    let missing = format!("{}{last}", &arn[..arn.len() - 1]);
    let e = st.describe_stream().stream_arn(&missing).send().await;
    Expected::error(
        "ResourceNotFoundException",
        &format!("Requested resource not found: Stream: {missing} not found"),
    )
    .check("an unknown stream", e);
    let e = st
        .get_shard_iterator()
        .stream_arn(&arn)
        .shard_id("shardId-00000000000000000000-00000000")
        .shard_iterator_type(ShardIteratorType::TrimHorizon)
        .send()
        .await;
    Expected::error(
        "ResourceNotFoundException",
        "Requested resource not found: Shard does not exist",
    )
    .check("an unknown shard", e);

    // Iterators expire after 15 minutes; records after 24 hours.
    env.emulator.clock().advance(Duration::from_secs(16 * 60));
    let e = st.get_records().shard_iterator(&next).send().await;
    Expected::containing("ExpiredIteratorException", "").check("an expired iterator", e);
    env.emulator.clock().advance(Duration::from_secs(24 * 3600));
    let e = iterator(ShardIteratorType::AtSequenceNumber, Some(&seqs[0])).await;
    Expected::error(
        "TrimmedDataAccessException",
        "The data you are trying to access has been trimmed",
    )
    .check("a trimmed sequence number", e);
    assert!(read_all(&st, &arn).await.is_empty());
}

#[tokio::test]
async fn disabling_closes_the_stream_and_enabling_starts_a_new_one() {
    let env = start_with(strong()).await;
    let c = &env.client;
    let first = table_with_stream(&env, "Tab", StreamViewType::NewImage).await;
    c.put_item()
        .table_name("Tab")
        .set_item(Some(item("k", "1")))
        .send()
        .await
        .unwrap();
    let spec = |on: bool, view: Option<StreamViewType>| {
        StreamSpecification::builder()
            .stream_enabled(on)
            .set_stream_view_type(view)
            .build()
            .unwrap()
    };
    let update = |spec: StreamSpecification| {
        c.update_table()
            .table_name("Tab")
            .stream_specification(spec)
            .send()
    };
    let e = update(spec(true, Some(StreamViewType::KeysOnly))).await;
    Expected::validation("Table already has an enabled stream: TableName: Tab")
        .check("enable twice", e);
    let e = update(spec(true, None)).await;
    Expected::validation(
        "One or more parameter values were invalid: If stream is being enabled then UpdateViewType is required",
    )
    .check("enable without a view type", e);
    update(spec(false, None)).await.unwrap();
    let e = update(spec(false, None)).await;
    Expected::validation("Table has no stream to disable: TableName: Tab")
        .check("disable twice", e);
    let e = c
        .update_table()
        .table_name("Tab")
        .stream_specification(spec(true, Some(StreamViewType::KeysOnly)))
        .attribute_definitions(ad("g", ScalarAttributeType::S))
        .global_secondary_index_updates(
            aws_sdk_dynamodb::types::GlobalSecondaryIndexUpdate::builder()
                .create(
                    aws_sdk_dynamodb::types::CreateGlobalSecondaryIndexAction::builder()
                        .index_name("byG")
                        .key_schema(ks("g", KeyType::Hash))
                        .projection(
                            aws_sdk_dynamodb::types::Projection::builder()
                                .projection_type(aws_sdk_dynamodb::types::ProjectionType::All)
                                .build(),
                        )
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await;
    Expected::validation(
        "One or more parameter values were invalid: You cannot create or delete index while changing stream status",
    )
    .check("a stream change with an index change", e);

    let st = streams_client_for(&env.emulator.endpoint_url());
    let d = st
        .describe_stream()
        .stream_arn(&first)
        .send()
        .await
        .unwrap();
    let d = d.stream_description().unwrap();
    assert_eq!(d.stream_status().map(|s| s.as_str()), Some("DISABLED"));
    assert!(d.shards().iter().all(|s| s
        .sequence_number_range()
        .unwrap()
        .ending_sequence_number()
        .is_some()));
    // What was written stays readable.
    assert_eq!(read_all(&st, &first).await.len(), 1);
    let t = c.describe_table().table_name("Tab").send().await.unwrap();
    let t = t.table().unwrap();
    assert!(t.stream_specification().is_none());
    assert_eq!(t.latest_stream_arn(), Some(first.as_str()));

    env.emulator.clock().advance(Duration::from_secs(1));
    update(spec(true, Some(StreamViewType::KeysOnly)))
        .await
        .unwrap();
    let t = c.describe_table().table_name("Tab").send().await.unwrap();
    let second = t.table().unwrap().latest_stream_arn().unwrap().to_string();
    assert_ne!(second, first);
    let listed = st.list_streams().table_name("Tab").send().await.unwrap();
    let arns: Vec<&str> = listed
        .streams()
        .iter()
        .filter_map(|s| s.stream_arn())
        .collect();
    assert_eq!(arns, [second.as_str(), first.as_str()], "newest first");

    // A deleted table's streams stay readable, DISABLED, for 24 hours.
    c.put_item()
        .table_name("Tab")
        .set_item(Some(item("k", "2")))
        .send()
        .await
        .unwrap();
    c.delete_table().table_name("Tab").send().await.unwrap();
    let d = st
        .describe_stream()
        .stream_arn(&second)
        .send()
        .await
        .unwrap();
    assert_eq!(
        d.stream_description()
            .unwrap()
            .stream_status()
            .map(|s| s.as_str()),
        Some("DISABLED")
    );
    assert_eq!(read_all(&st, &second).await.len(), 1);
    let listed = st.list_streams().send().await.unwrap();
    assert_eq!(listed.streams().len(), 2);
    env.emulator
        .clock()
        .advance(Duration::from_secs(24 * 3600 + 1));
    let e = st.describe_stream().stream_arn(&second).send().await;
    Expected::containing("ResourceNotFoundException", "Stream").check("a day after", e);
    assert!(st.list_streams().send().await.unwrap().streams().is_empty());
}

#[tokio::test]
async fn ttl_deletions_name_the_service_as_their_user() {
    let env = start_with(strong()).await;
    let c = &env.client;
    let arn = table_with_stream(&env, "Tab", StreamViewType::OldImage).await;
    c.update_time_to_live()
        .table_name("Tab")
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name("exp")
                .enabled(true)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let now = env.emulator.clock().now().as_secs();
    c.put_item()
        .table_name("Tab")
        .item("pk", s("k"))
        .item("exp", n(&(now + 10).to_string()))
        .send()
        .await
        .unwrap();
    c.delete_item()
        .table_name("Tab")
        .key("pk", s("gone"))
        .send()
        .await
        .unwrap();
    env.emulator.clock().advance(Duration::from_secs(11));
    // A read notices the expiry and deletes the item as DynamoDB's TTL process would.
    let got = c
        .get_item()
        .table_name("Tab")
        .key("pk", s("k"))
        .send()
        .await
        .unwrap();
    assert!(got.item().is_none());
    let st = streams_client_for(&env.emulator.endpoint_url());
    let records = read_all(&st, &arn).await;
    let remove = records
        .iter()
        .find(|r| r.event_name() == Some(&OperationType::Remove))
        .expect("the TTL deletion's record");
    let who = remove.user_identity().expect("a user identity");
    assert_eq!(who.principal_id(), Some("dynamodb.amazonaws.com"));
    assert_eq!(who.r#type(), Some("Service"));
    assert!(records[0].user_identity().is_none(), "a put names no one");
}

#[tokio::test]
async fn shards_follow_a_partition_split_and_a_lineage_reader_sees_every_record_in_order() {
    // Partitions of 8 KB: a provisioned table of 1 WCU starts with one partition, which the
    // writes below split.
    let env = start_with(strong().partition_size(8 * 1024)).await;
    let c = &env.client;
    c.create_table()
        .table_name("Tab")
        .key_schema(ks("pk", KeyType::Hash))
        .attribute_definitions(ad("pk", ScalarAttributeType::S))
        .provisioned_throughput(
            aws_sdk_dynamodb::types::ProvisionedThroughput::builder()
                .read_capacity_units(1)
                .write_capacity_units(1)
                .build()
                .unwrap(),
        )
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewImage)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let t = c.describe_table().table_name("Tab").send().await.unwrap();
    let arn = t.table().unwrap().latest_stream_arn().unwrap().to_string();
    let st = streams_client_for(&env.emulator.endpoint_url());
    let before = st.describe_stream().stream_arn(&arn).send().await.unwrap();
    assert_eq!(before.stream_description().unwrap().shards().len(), 1);
    // 40 keys, 5 versions each, 500 bytes a version: the table outgrows 8 KB and splits.
    let pad = "x".repeat(500);
    for version in 0..5 {
        for k in 0..40 {
            c.put_item()
                .table_name("Tab")
                .item("pk", s(&format!("k{k}")))
                .item("version", n(&version.to_string()))
                .item("pad", s(&pad))
                .send()
                .await
                .unwrap();
        }
    }
    let after = st.describe_stream().stream_arn(&arn).send().await.unwrap();
    let shards = after.stream_description().unwrap().shards();
    assert!(
        shards.len() >= 3,
        "a split opened children: {}",
        shards.len()
    );
    let closed: Vec<&str> = shards
        .iter()
        .filter(|s| {
            s.sequence_number_range()
                .unwrap()
                .ending_sequence_number()
                .is_some()
        })
        .map(|s| s.shard_id().unwrap())
        .collect();
    assert!(!closed.is_empty());
    assert!(shards
        .iter()
        .any(|s| s.parent_shard_id().is_some_and(|p| closed.contains(&p))));
    // Following the lineage, every key's five versions come once each, in order.
    let records = read_all(&st, &arn).await;
    assert_eq!(records.len(), 200);
    let mut seen: HashMap<String, Vec<String>> = HashMap::new();
    for r in &records {
        let v = match r.dynamodb().unwrap().new_image().unwrap().get("version") {
            Some(aws_sdk_dynamodbstreams::types::AttributeValue::N(v)) => v.clone(),
            other => panic!("{other:?}"),
        };
        seen.entry(key_of(r)).or_default().push(v);
    }
    assert_eq!(seen.len(), 40);
    for (k, versions) in seen {
        assert_eq!(versions, ["0", "1", "2", "3", "4"], "{k}");
    }
}
