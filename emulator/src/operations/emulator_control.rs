//! The emulator's own control API, beside DynamoDB's and never inside its namespace:
//! `X-Amz-Target: Emulator.<Action>` with a JSON body. It lets non-Rust users do what the Rust
//! embedding API does: move the virtual clock, pick a consistency preset and lags, settle
//! replication, script stale reads, and inspect partitions and replicas.
//!
//! | Action | Body | Effect |
//! | --- | --- | --- |
//! | `AdvanceClock` | `{"Milliseconds": 1500}` | moves a virtual clock |
//! | `GetState` | `{}` | clock, preset, lags |
//! | `SetConsistency` | `{"Consistency": "worst-case", "Lag": "fixed:200ms", "GsiLag": "exponential:50ms"}` | changes replication settings |
//! | `Settle` | `{}` | applies every pending write on every replica |
//! | `ScriptStaleReads` | `{"TableName": "t", "Key": {...}, "Reads": 2}` | the next N eventual reads of the key are stale |
//! | `DescribePartitions` | `{"TableName": "t"}` | partitions (token ranges, items, bytes, burst buckets), replicas (applied positions, pending writes, how long until caught up), a provisioned table's burst |
//! | `CapacityReport` | `{}` or `{"TableName": "t"}` | units, throttles, items read vs returned, per-second series, cost (of every table, or of one) |
//! | `ContributorInsights` | `{"TableName": "t", "Limit": 10}` | with insights on: the most accessed and most throttled keys, counted exactly |
//! | `RequestLog` | `{"Reads": 100, "TableName": "t"}` | the last N requests (of one table, if named): operation, tables, outcome, replica, staleness, fault |
//! | `Reset` | `{}` | deletes every table |
//! | `Compact` | `{}` | with `--data-dir`: writes a snapshot and deletes the logs it covers |
//! | `InjectFaults` | `{"Faults": [{"Kind": "InternalServerError", "Operation": "PutItem", "Nth": 3}]}` | adds fault rules (see `faults`); answers their ids |
//! | `ListFaults` | `{}` | the rules, with how many requests each matched and hit |
//! | `ClearFaults` | `{"Id": 2}` or `{}` | removes one rule, or all |

use crate::engine::Engine;
use crate::error::{DynamoError, ErrorKind, Result};
use crate::replication::{lag::parse_duration, Consistency, LagModel};
use crate::value::attribute::{validate_map, WireValue};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;

/// The control actions, by name.
pub const ACTIONS: &[&str] = &[
    "AdvanceClock",
    "CapacityReport",
    "ClearFaults",
    "Compact",
    "ContributorInsights",
    "DescribePartitions",
    "GetState",
    "InjectFaults",
    "ListFaults",
    "RequestLog",
    "Reset",
    "ScriptStaleReads",
    "SetConsistency",
    "Settle",
];

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct ControlInput {
    milliseconds: Option<u64>,
    duration: Option<String>,
    consistency: Option<String>,
    lag: Option<String>,
    gsi_lag: Option<String>,
    table_name: Option<String>,
    key: Option<BTreeMap<String, WireValue>>,
    reads: Option<u32>,
    limit: Option<usize>,
    faults: Option<Vec<Value>>,
    id: Option<u64>,
}

fn bad(msg: impl Into<String>) -> DynamoError {
    DynamoError::validation(msg)
}

/// Runs one control action.
pub fn control(engine: &Engine, action: &str, body: &[u8]) -> Result<Value> {
    let input: ControlInput = super::wire::from_json_or_empty(body)?;
    let table = |input: &ControlInput| -> Result<crate::table::catalog::TableRef> {
        let name = input
            .table_name
            .as_deref()
            .ok_or_else(|| bad("TableName is required"))?;
        engine
            .catalog
            .get(name)
            .ok_or_else(DynamoError::table_not_found)
    };
    match action {
        "AdvanceClock" => {
            let by = match (&input.milliseconds, &input.duration) {
                (Some(ms), _) => Duration::from_millis(*ms),
                (None, Some(d)) => {
                    parse_duration(d).ok_or_else(|| bad(format!("Invalid Duration: {d}")))?
                }
                _ => return Err(bad("Milliseconds or Duration is required")),
            };
            if !engine.clock.is_virtual() {
                return Err(bad(
                    "The clock is real time: start the emulator with a virtual clock to advance it",
                ));
            }
            engine.advance(by);
            Ok(state(engine))
        }
        "GetState" => Ok(state(engine)),
        "SetConsistency" => {
            let consistency = input
                .consistency
                .as_deref()
                .map(|c| {
                    Consistency::parse(c).ok_or_else(|| {
                        bad(format!(
                            "Unknown Consistency: {c} (strong, realistic, worst-case)"
                        ))
                    })
                })
                .transpose()?;
            let lag = input
                .lag
                .as_deref()
                .map(|l| {
                    LagModel::parse(l).ok_or_else(|| {
                        bad(format!(
                            "Invalid Lag: {l} (e.g. fixed:100ms; at most 3600s)"
                        ))
                    })
                })
                .transpose()?;
            let gsi_lag = input
                .gsi_lag
                .as_deref()
                .map(|l| {
                    LagModel::parse(l).ok_or_else(|| {
                        bad(format!(
                            "Invalid GsiLag: {l} (e.g. fixed:100ms; at most 3600s)"
                        ))
                    })
                })
                .transpose()?;
            engine.replication.update(|s| {
                if let Some(c) = consistency {
                    s.consistency = c;
                }
                if let Some(l) = lag {
                    s.table_lag = l;
                }
                if let Some(l) = gsi_lag {
                    s.gsi_lag = l;
                }
            });
            Ok(state(engine))
        }
        "Settle" => {
            engine.settle();
            Ok(state(engine))
        }
        "ScriptStaleReads" => {
            let t = table(&input)?;
            let key = validate_map(input.key.clone().ok_or_else(|| bad("Key is required"))?)?;
            let t = t.read();
            let key = t.def.schema.key_from_request(&key)?;
            t.script_stale_reads(key, input.reads.unwrap_or(1));
            Ok(json!({}))
        }
        "DescribePartitions" => {
            let t = table(&input)?;
            let t = t.read();
            let (lsn, versions, bytes) = t.replication_stats();
            let now = engine.clock.now();
            let mut out = json!({
                "TableName": t.def.name,
                "ClockMilliseconds": now.as_millis() as u64,
                "WritePosition": lsn,
                "VersionsKept": versions,
                "VersionBytes": bytes,
                "Partitions": t.describe_partitions(now),
            });
            if let Some(b) = t.burst(now) {
                out["TableBurst"] = json!(b);
            }
            Ok(out)
        }
        "CapacityReport" => Ok(engine.capacity.usage.report_of(input.table_name.as_deref())),
        "ContributorInsights" => {
            let t = table(&input)?;
            let t = t.read();
            let on = t
                .def
                .contributor_insights
                .get("")
                .is_some_and(|c| c.enabled);
            if !on {
                return Err(bad(format!(
                    "Contributor Insights are not enabled for table {} (UpdateContributorInsights)",
                    t.def.name
                )));
            }
            let mut out = t.key_report(input.limit.unwrap_or(10).min(1000));
            out["TableName"] = json!(t.def.name);
            Ok(out)
        }
        "RequestLog" => {
            let log = engine.request_log.lock();
            let last = input.reads.unwrap_or(100) as usize;
            let table = input.table_name.as_deref();
            let mut entries: Vec<_> = log
                .iter()
                .rev()
                .filter(|e| table.is_none_or(|t| e.tables.iter().any(|n| n == t)))
                .take(last)
                .cloned()
                .collect();
            entries.reverse();
            Ok(json!({ "Requests": entries }))
        }
        "Compact" => match crate::persistence::compact(engine) {
            Ok(Some(r)) => Ok(json!({
                "Tables": r.tables,
                "Items": r.items,
                "Bytes": r.bytes,
                "Milliseconds": r.took.as_millis() as u64,
            })),
            Ok(None) => Err(bad(
                "The emulator does not persist: start it with --data-dir",
            )),
            Err(e) => Err(DynamoError::new(
                ErrorKind::InternalServer,
                format!("Compaction failed: {e}"),
            )),
        },
        "InjectFaults" => {
            let specs = input.faults.ok_or_else(|| bad("Faults is required"))?;
            // All checked before any is added: a request with a bad rule adds none.
            let rules = specs
                .into_iter()
                .map(|v| {
                    let spec: crate::faults::RuleSpec = serde_json::from_value(v)
                        .map_err(|e| bad(format!("Invalid fault rule: {e}")))?;
                    crate::faults::FaultRule::try_from(spec)
                })
                .collect::<Result<Vec<_>>>()?;
            let now = engine.clock.now();
            let ids = rules
                .into_iter()
                .map(|r| engine.faults.add(r, now))
                .collect::<Result<Vec<_>>>()?;
            Ok(json!({ "FaultIds": ids }))
        }
        "ListFaults" => Ok(engine.faults.list(engine.clock.now())),
        "ClearFaults" => Ok(json!({ "Cleared": engine.faults.clear(input.id) })),
        "Reset" => {
            engine.catalog.clear();
            engine.reservations.clear();
            Ok(json!({}))
        }
        _ => Err(DynamoError::new(ErrorKind::UnknownOperation, "")),
    }
}

fn state(engine: &Engine) -> Value {
    let s = engine.replication.settings();
    json!({
        "ClockMilliseconds": engine.clock.now().as_millis() as u64,
        "VirtualClock": engine.clock.is_virtual(),
        "Consistency": s.consistency.as_str(),
        "Lag": s.table_lag.to_string(),
        "GsiLag": s.gsi_lag.to_string(),
    })
}
