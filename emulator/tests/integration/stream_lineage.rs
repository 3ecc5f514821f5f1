//! A property of DynamoDB Streams as the emulator models them: a consumer that reads every
//! shard to its end, parents before children, sees each change of each item exactly once and
//! in the order the changes were made, however the writes split the table's partitions.

use dynamodb_emulator::{AttributeValue, Consistency, Emulator, InProcess, LagModel, StreamEvent};
use proptest::prelude::*;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

#[derive(Debug, Clone)]
enum Op {
    /// Put key `k` with a value of `size` bytes.
    Put(u8, u16),
    /// Delete key `k`.
    Delete(u8),
    /// Move the clock (records become visible, stalls end).
    Advance(u16),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0u8..24, 1u16..900).prop_map(|(k, s)| Op::Put(k, s)),
        2 => (0u8..24).prop_map(Op::Delete),
        1 => (1u16..2000).prop_map(Op::Advance),
    ]
}

fn call(emu: &InProcess, op: &str, body: Value) -> Value {
    emu.call_json(op, &body)
        .unwrap_or_else(|e| panic!("{op} {body}: {e:?}"))
}

/// Every record, shard by shard in lineage order: (key, event, value) in the order read.
fn read_lineage(emu: &InProcess, arn: &str) -> Vec<(String, String, Option<String>)> {
    let mut shards: Vec<Value> = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut req = json!({ "StreamArn": arn });
        if let Some(a) = &after {
            req["ExclusiveStartShardId"] = json!(a);
        }
        let d = call(emu, "DescribeStream", req);
        shards.extend(
            d["StreamDescription"]["Shards"]
                .as_array()
                .unwrap()
                .iter()
                .cloned(),
        );
        after = d["StreamDescription"]["LastEvaluatedShardId"]
            .as_str()
            .map(str::to_string);
        if after.is_none() {
            break;
        }
    }
    let ids: HashSet<String> = shards
        .iter()
        .map(|s| s["ShardId"].as_str().unwrap().to_string())
        .collect();
    let mut done: HashSet<String> = HashSet::new();
    let mut out = Vec::new();
    while done.len() < shards.len() {
        for s in &shards {
            let id = s["ShardId"].as_str().unwrap().to_string();
            let parent_done = s["ParentShardId"]
                .as_str()
                .is_none_or(|p| done.contains(p) || !ids.contains(p));
            if done.contains(&id) || !parent_done {
                continue;
            }
            let mut it = call(
                emu,
                "GetShardIterator",
                json!({"StreamArn": arn, "ShardId": id, "ShardIteratorType": "TRIM_HORIZON"}),
            )["ShardIterator"]
                .as_str()
                .map(str::to_string);
            while let Some(i) = it {
                let page = call(emu, "GetRecords", json!({ "ShardIterator": i, "Limit": 7 }));
                let records = page["Records"].as_array().unwrap();
                for r in records {
                    let d = &r["dynamodb"];
                    out.push((
                        d["Keys"]["pk"]["S"].as_str().unwrap().to_string(),
                        r["eventName"].as_str().unwrap().to_string(),
                        d["NewImage"]["v"]["S"].as_str().map(str::to_string),
                    ));
                }
                it = if records.is_empty() {
                    None
                } else {
                    page["NextShardIterator"].as_str().map(str::to_string)
                };
            }
            done.insert(id);
        }
    }
    out
}

fn check(seed: u64, ops: &[Op]) -> Result<(), TestCaseError> {
    let emu = Emulator::builder()
        .seed(seed)
        .virtual_clock()
        .consistency(Consistency::Realistic)
        .gsi_lag(LagModel::Exponential {
            mean: Duration::from_millis(30),
            max: Duration::from_millis(300),
        })
        .throttling(false)
        .partition_size(6 * 1024)
        .build();
    let created = call(
        &emu,
        "CreateTable",
        json!({
            "TableName": "lineage",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
            "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "NEW_IMAGE"},
        }),
    );
    let arn = created["TableDescription"]["LatestStreamArn"]
        .as_str()
        .unwrap()
        .to_string();
    // The in-process reader polls as the clock moves; it must end with the same records.
    let mut reader = emu.stream_reader("lineage").unwrap();
    let mut polled = Vec::new();
    // What each key's records must be: its changes in order (no record for a no-op).
    let mut expected: BTreeMap<String, Vec<(String, Option<String>)>> = BTreeMap::new();
    let mut current: BTreeMap<String, String> = BTreeMap::new();
    for (n, op) in ops.iter().enumerate() {
        match op {
            Op::Put(k, size) => {
                let key = format!("k{k}");
                // The value changes on every put but one in four, which repeats the item.
                let v = if n % 4 == 3 {
                    current
                        .get(&key)
                        .cloned()
                        .unwrap_or_else(|| "x".repeat(*size as usize))
                } else {
                    format!("{n}{}", "x".repeat(*size as usize))
                };
                call(
                    &emu,
                    "PutItem",
                    json!({"TableName": "lineage", "Item": {"pk": {"S": key}, "v": {"S": v}}}),
                );
                let event = match current.insert(key.clone(), v.clone()) {
                    None => Some("INSERT"),
                    Some(old) if old == v => None,
                    Some(_) => Some("MODIFY"),
                };
                if let Some(e) = event {
                    expected.entry(key).or_default().push((e.into(), Some(v)));
                }
            }
            Op::Delete(k) => {
                let key = format!("k{k}");
                call(
                    &emu,
                    "DeleteItem",
                    json!({"TableName": "lineage", "Key": {"pk": {"S": key}}}),
                );
                if current.remove(&key).is_some() {
                    expected
                        .entry(key)
                        .or_default()
                        .push(("REMOVE".into(), None));
                }
            }
            Op::Advance(ms) => {
                emu.advance(Duration::from_millis(*ms as u64));
                polled.extend(reader.poll().unwrap());
            }
        }
    }
    // Past every lag: all records are readable.
    emu.advance(Duration::from_secs(5));
    polled.extend(reader.poll().unwrap());
    prop_assert!(
        reader.poll().unwrap().is_empty(),
        "nothing is returned twice"
    );
    let mut typed: BTreeMap<String, Vec<(String, Option<String>)>> = BTreeMap::new();
    for r in polled {
        let text = |v: Option<&AttributeValue>| match v {
            Some(AttributeValue::S(s)) => Some(s.to_string()),
            _ => None,
        };
        let event = match r.event {
            StreamEvent::Insert => "INSERT",
            StreamEvent::Modify => "MODIFY",
            StreamEvent::Remove => "REMOVE",
        };
        typed
            .entry(text(r.keys.get("pk")).unwrap())
            .or_default()
            .push((
                event.into(),
                text(r.new_image.as_ref().and_then(|i| i.get("v"))),
            ));
    }
    prop_assert_eq!(&typed, &expected);
    let mut seen: BTreeMap<String, Vec<(String, Option<String>)>> = BTreeMap::new();
    for (key, event, v) in read_lineage(&emu, &arn) {
        seen.entry(key).or_default().push((event, v));
    }
    prop_assert_eq!(seen, expected);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn a_lineage_reader_sees_every_change_once_and_in_order(
        seed in any::<u64>(),
        ops in proptest::collection::vec(op(), 1..160),
    ) {
        check(seed, &ops)?;
    }
}

#[test]
fn the_writes_of_the_property_do_split_partitions() {
    // 120 distinct keys of 800 bytes: about 96 KB in partitions of 6 KB.
    let ops: Vec<Op> = (0..120).map(|k| Op::Put((k % 24) as u8, 800)).collect();
    check(1, &ops).unwrap();
    let emu = Emulator::builder()
        .virtual_clock()
        .throttling(false)
        .partition_size(6 * 1024)
        .build();
    call(
        &emu,
        "CreateTable",
        json!({
            "TableName": "lineage",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
            "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "KEYS_ONLY"},
        }),
    );
    for k in 0..24 {
        call(
            &emu,
            "PutItem",
            json!({"TableName": "lineage", "Item": {"pk": {"S": format!("k{k}")}, "v": {"S": "x".repeat(800)}}}),
        );
    }
    let arn = call(&emu, "DescribeTable", json!({"TableName": "lineage"}))["Table"]
        ["LatestStreamArn"]
        .as_str()
        .unwrap()
        .to_string();
    let d = call(&emu, "DescribeStream", json!({ "StreamArn": arn }));
    let shards = d["StreamDescription"]["Shards"].as_array().unwrap();
    assert!(
        shards
            .iter()
            .filter(|s| s["ParentShardId"].is_string())
            .count()
            >= 2,
        "the table split: {shards:?}"
    );
}
