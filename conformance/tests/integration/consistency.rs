//! Consistency properties under the replication-lag model, against a model of the history of
//! each item: strong reads return the latest write; an eventual read returns a version that was
//! current at some moment of the last lag window (never anything older); a query of a global
//! secondary index (eventually consistent only) returns, for each item, a version current at
//! some moment of the index's own lag window; and the same seed and virtual clock give the same
//! transcript twice.

use dynamodb_emulator::Emulator;
use dynamodb_emulator::InProcess;
use dynamodb_emulator::{Clock, DEFAULT_VIRTUAL_START};
use dynamodb_emulator::{Consistency, LagModel};
use proptest::prelude::*;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Duration;

const WINDOW_MS: u64 = 300;
/// The index's lag window (DynamoDB's GSIs lag behind their table by their own replication).
const GSI_WINDOW_MS: u64 = 600;

#[derive(Debug, Clone)]
enum Step {
    Put(u8, u16),
    Delete(u8),
    Read(u8, bool),
    /// A Query of the GSI, which every item is in.
    ReadIndex,
    Advance(u16),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0u8..3, any::<u16>()).prop_map(|(k, v)| Step::Put(k, v)),
        1 => (0u8..3).prop_map(Step::Delete),
        5 => (0u8..3, any::<bool>()).prop_map(|(k, c)| Step::Read(k, c)),
        2 => Just(Step::ReadIndex),
        2 => (0u16..200).prop_map(Step::Advance),
    ]
}

fn emulator(seed: u64, consistency: Consistency) -> InProcess {
    let e = Emulator::builder()
        .seed(seed)
        .clock(Clock::virtual_at(DEFAULT_VIRTUAL_START))
        .consistency(consistency)
        .lag(LagModel::Uniform {
            min: Duration::ZERO,
            max: Duration::from_millis(WINDOW_MS),
        })
        .gsi_lag(LagModel::Uniform {
            min: Duration::ZERO,
            max: Duration::from_millis(GSI_WINDOW_MS),
        })
        .throttling(false)
        .build();
    e.call_json(
        "CreateTable",
        &json!({"TableName": "lag", "BillingMode": "PAY_PER_REQUEST",
                "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "S"},
                                         {"AttributeName": "g", "AttributeType": "S"}],
                "GlobalSecondaryIndexes": [{"IndexName": "byg",
                    "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"}}]}),
    )
    .unwrap();
    e
}

/// The values an eventual read may return at `now`: any version current at some moment of
/// [now - window, now]. The state before the first write (absent) counts as a version from
/// time 0.
fn allowed_within(versions: &[(u64, Option<u16>)], now: u64, window: u64) -> Vec<Option<u16>> {
    let mut states = vec![(0u64, None)];
    states.extend(versions.iter().cloned());
    let mut allowed = Vec::new();
    for (i, (_, v)) in states.iter().enumerate() {
        let superseded = states.get(i + 1).map(|(t, _)| *t);
        if superseded.is_none_or(|t| t + window >= now) {
            allowed.push(*v);
        }
    }
    allowed
}

/// Runs the steps; returns the transcript and checks every read against the history.
fn run(seed: u64, consistency: Consistency, steps: &[Step]) -> Result<Vec<Value>, String> {
    let e = emulator(seed, consistency);
    // Per key: (commit time in ms, value after the write; None = deleted), oldest first.
    let mut history: HashMap<u8, Vec<(u64, Option<u16>)>> = HashMap::new();
    let mut now = 0u64;
    let mut transcript = Vec::new();
    for s in steps {
        match s {
            Step::Put(k, v) => {
                e.call_json("PutItem", &json!({"TableName": "lag", "Item": {"k": {"S": k.to_string()}, "v": {"N": v.to_string()}, "g": {"S": "all"}}})).unwrap();
                history.entry(*k).or_default().push((now, Some(*v)));
            }
            Step::Delete(k) => {
                e.call_json(
                    "DeleteItem",
                    &json!({"TableName": "lag", "Key": {"k": {"S": k.to_string()}}}),
                )
                .unwrap();
                history.entry(*k).or_default().push((now, None));
            }
            Step::Advance(ms) => {
                e.advance(Duration::from_millis(*ms as u64));
                now += *ms as u64;
            }
            Step::ReadIndex => {
                let out = e
                    .call_json("Query", &json!({"TableName": "lag", "IndexName": "byg",
                        "KeyConditionExpression": "g = :g", "ExpressionAttributeValues": {":g": {"S": "all"}}}))
                    .unwrap();
                let mut got: HashMap<u8, u16> = HashMap::new();
                for item in out["Items"].as_array().unwrap() {
                    let k: u8 = item["k"]["S"].as_str().unwrap().parse().unwrap();
                    let v: u16 = item["v"]["N"].as_str().unwrap().parse().unwrap();
                    if got.insert(k, v).is_some() {
                        return Err(format!("index query at {now} ms returned {k} twice: {out}"));
                    }
                }
                transcript.push(out);
                for k in 0..3u8 {
                    let versions = history.get(&k).cloned().unwrap_or_default();
                    let allowed = allowed_within(&versions, now, GSI_WINDOW_MS);
                    let got = got.get(&k).copied();
                    if !allowed.contains(&got) {
                        return Err(format!("index read of {k} at {now} ms returned {got:?}; allowed {allowed:?}; history {versions:?}"));
                    }
                }
            }
            Step::Read(k, consistent) => {
                let out = e
                    .call_json("GetItem", &json!({"TableName": "lag", "Key": {"k": {"S": k.to_string()}}, "ConsistentRead": consistent}))
                    .unwrap();
                let got: Option<u16> = out
                    .get("Item")
                    .map(|i| i["v"]["N"].as_str().unwrap().parse().unwrap());
                transcript.push(out);
                let versions = history.get(k).cloned().unwrap_or_default();
                let latest = versions.last().and_then(|(_, v)| *v);
                if *consistent {
                    if got != latest {
                        return Err(format!(
                            "strong read of {k} at {now} ms returned {got:?}, latest is {latest:?}"
                        ));
                    }
                    continue;
                }
                let allowed = allowed_within(&versions, now, WINDOW_MS);
                if !allowed.contains(&got) {
                    return Err(format!("eventual read of {k} at {now} ms returned {got:?}; allowed {allowed:?}; history {versions:?}"));
                }
            }
        }
    }
    Ok(transcript)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(150))]

    #[test]
    fn reads_respect_the_lag_window(seed in any::<u64>(), steps in prop::collection::vec(step(), 1..60)) {
        for consistency in [Consistency::Realistic, Consistency::WorstCase] {
            let a = run(seed, consistency, &steps);
            prop_assert!(a.is_ok(), "{:?}: {}", consistency, a.unwrap_err());
            // Same seed, same clock: the same transcript.
            prop_assert_eq!(a.unwrap(), run(seed, consistency, &steps).unwrap());
        }
    }
}

/// The property is not vacuous: realistic runs do return stale values.
#[test]
fn stale_reads_happen() {
    let mut steps = Vec::new();
    for i in 0..100 {
        steps.push(Step::Put(0, i));
        steps.push(Step::Read(0, false));
        steps.push(Step::Advance(20));
    }
    let t = run(9, Consistency::Realistic, &steps).unwrap();
    let stale = t
        .iter()
        .enumerate()
        .filter(|(i, out)| {
            out.get("Item")
                .map(|it| it["v"]["N"].as_str().unwrap().to_string())
                != Some(i.to_string())
        })
        .count();
    assert!(stale > 10, "{stale} stale reads of 100");
}
