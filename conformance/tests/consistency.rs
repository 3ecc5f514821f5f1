//! Consistency properties under the replication-lag model, against a model of the history of
//! each item: strong reads return the latest write; an eventual read returns a version that was
//! current at some moment of the last lag window (never anything older); and the same seed and
//! virtual clock give the same transcript twice.

use dynamodb_emulator::clock::{Clock, DEFAULT_VIRTUAL_START};
use dynamodb_emulator::embed::InProcess;
use dynamodb_emulator::replication::{Consistency, LagModel};
use dynamodb_emulator::Emulator;
use proptest::prelude::*;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Duration;

const WINDOW_MS: u64 = 300;

#[derive(Debug, Clone)]
enum Step {
    Put(u8, u16),
    Delete(u8),
    Read(u8, bool),
    Advance(u16),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0u8..3, any::<u16>()).prop_map(|(k, v)| Step::Put(k, v)),
        1 => (0u8..3).prop_map(Step::Delete),
        5 => (0u8..3, any::<bool>()).prop_map(|(k, c)| Step::Read(k, c)),
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
        .throttling(false)
        .build();
    e.call_json(
        "CreateTable",
        &json!({"TableName": "lag", "BillingMode": "PAY_PER_REQUEST",
                "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "S"}]}),
    )
    .unwrap();
    e
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
                e.call_json("PutItem", &json!({"TableName": "lag", "Item": {"k": {"S": k.to_string()}, "v": {"N": v.to_string()}}})).unwrap();
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
                // Allowed: any version current at some moment of [now - window, now]. The
                // state before the first write (absent) counts as a version from time 0.
                let mut allowed = Vec::new();
                let mut states = vec![(0u64, None)];
                states.extend(versions.iter().cloned());
                for (i, (_, v)) in states.iter().enumerate() {
                    let superseded = states.get(i + 1).map(|(t, _)| *t);
                    if superseded.is_none_or(|t| t + WINDOW_MS >= now) {
                        allowed.push(*v);
                    }
                }
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
