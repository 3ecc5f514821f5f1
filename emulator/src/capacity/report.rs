//! Running usage totals: what each table, index and operation consumed, what was throttled, how
//! much was read versus returned (the cost of filters and scans made visible), a per-second series
//! on the emulator's clock, and a money estimate from a price table.

use parking_lot::Mutex;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

/// Prices in US dollars (us-east-1, standard table class, published on-demand and provisioned
/// rates; set your own for other regions).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PriceTable {
    pub per_million_write_request_units: f64,
    pub per_million_read_request_units: f64,
    pub per_wcu_hour: f64,
    pub per_rcu_hour: f64,
}

impl Default for PriceTable {
    fn default() -> Self {
        PriceTable {
            per_million_write_request_units: 0.625,
            per_million_read_request_units: 0.125,
            per_wcu_hour: 0.00065,
            per_rcu_hour: 0.00013,
        }
    }
}

/// Totals for one operation kind on one table.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct OperationUsage {
    pub requests: u64,
    pub read_units: f64,
    pub write_units: f64,
    pub throttled: u64,
    /// Requests that lost to an in-flight transaction (TransactionConflictException, or a
    /// cancellation with a `TransactionConflict` reason), injected or real.
    #[serde(skip_serializing_if = "is_zero")]
    pub conflicts: u64,
    /// Injected faults, by kind (`InternalServerError`, `ResetAfterApply`, `Latency`, ...).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub faults: BTreeMap<&'static str, u64>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// One second of a table's usage.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Second {
    pub read_units: f64,
    pub write_units: f64,
    pub throttled: u64,
    /// The table's provisioned throughput during that second (provisioned tables only), so
    /// consumption can be read against it as CloudWatch's graphs do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provisioned_read_units: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provisioned_write_units: Option<f64>,
    /// Write units each secondary index consumed that second.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub index_write_units: BTreeMap<String, f64>,
    /// Read units that queries and scans of each index consumed that second (also counted
    /// in the table's `read_units`, as DynamoDB bills them to the table).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub index_read_units: BTreeMap<String, f64>,
}

/// Totals for one table.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TableUsage {
    pub read_units: f64,
    pub write_units: f64,
    pub throttled_reads: u64,
    pub throttled_writes: u64,
    /// Throttled requests by the limit that throttled them (`read/partition-limit`,
    /// `write/table-throughput`, ...): why, not just how often.
    pub throttled_by: BTreeMap<String, u64>,
    /// Items Query and Scan read (before filters) and returned (after): the cost of filtering.
    pub items_read: u64,
    pub items_returned: u64,
    pub bytes_read: u64,
    pub index_write_units: BTreeMap<String, f64>,
    /// Read units of queries and scans of each index (part of `read_units`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub index_read_units: BTreeMap<String, f64>,
    pub operations: BTreeMap<String, OperationUsage>,
    /// Keyed by whole seconds of the emulator's clock.
    pub series: BTreeMap<u64, Second>,
    /// The provisioned (RCU, WCU) now, for provisioned tables.
    #[serde(skip)]
    pub provisioned: Option<(f64, f64)>,
}

/// The series entry of second `s`, stamped with the provisioned throughput `p`.
fn second(series: &mut BTreeMap<u64, Second>, p: Option<(f64, f64)>, s: u64) -> &mut Second {
    let sec = series.entry(s).or_default();
    sec.provisioned_read_units = p.map(|p| p.0);
    sec.provisioned_write_units = p.map(|p| p.1);
    sec
}

/// The usage of every table.
#[derive(Debug, Default)]
pub struct Usage {
    tables: Mutex<BTreeMap<String, TableUsage>>,
    pub prices: Mutex<PriceTable>,
}

/// Maximum seconds kept in a table's series.
const MAX_SERIES: usize = 3600;

impl Usage {
    fn with<T>(&self, table: &str, f: impl FnOnce(&mut TableUsage) -> T) -> T {
        let mut t = self.tables.lock();
        // Look up first: allocating the key on every request would cost more than the rest.
        if !t.contains_key(table) {
            t.insert(table.to_string(), TableUsage::default());
        }
        f(t.get_mut(table).expect("inserted"))
    }

    /// Records a table's provisioned throughput (None: on-demand), for the series.
    pub fn provision(&self, table: &str, throughput: Option<(f64, f64)>) {
        self.with(table, |u| u.provisioned = throughput);
    }

    /// Records units consumed by operation `op`; `indexes` are the units of each index the
    /// request read (`read`) or wrote.
    pub fn consumed(
        &self,
        table: &str,
        op: &str,
        read: bool,
        units: f64,
        indexes: &BTreeMap<String, f64>,
        now: Duration,
    ) {
        self.with(table, |u| {
            let op = op_entry(&mut u.operations, op);
            let sec = second(&mut u.series, u.provisioned, now.as_secs());
            if read {
                u.read_units += units;
                op.read_units += units;
                sec.read_units += units;
            } else {
                u.write_units += units;
                op.write_units += units;
                sec.write_units += units;
            }
            let (total, this_second) = match read {
                true => (&mut u.index_read_units, &mut sec.index_read_units),
                false => (&mut u.index_write_units, &mut sec.index_write_units),
            };
            for (k, v) in indexes {
                *total.entry(k.clone()).or_default() += v;
                *this_second.entry(k.clone()).or_default() += v;
            }
            trim(&mut u.series);
        });
    }

    /// Counts a request of operation `op` (once per request, whatever it consumed).
    pub fn request(&self, table: &str, op: &str) {
        self.with(table, |u| op_entry(&mut u.operations, op).requests += 1);
    }

    /// Counts a request of operation `op` that lost to an in-flight transaction.
    pub fn conflict(&self, table: &str, op: &str) {
        self.with(table, |u| op_entry(&mut u.operations, op).conflicts += 1);
    }

    /// Counts a fault of `kind` injected into a request of operation `op`.
    pub fn fault(&self, table: &str, op: &str, kind: &'static str) {
        self.with(table, |u| {
            *op_entry(&mut u.operations, op)
                .faults
                .entry(kind)
                .or_default() += 1
        });
    }

    /// Records a request of operation `op` throttled by `limit`.
    pub fn throttled(&self, table: &str, op: &str, read: bool, limit: super::Limit, now: Duration) {
        self.with(table, |u| {
            if read {
                u.throttled_reads += 1;
            } else {
                u.throttled_writes += 1;
            }
            let key = format!("{}/{}", if read { "read" } else { "write" }, limit.as_str());
            *u.throttled_by.entry(key).or_default() += 1;
            op_entry(&mut u.operations, op).throttled += 1;
            second(&mut u.series, u.provisioned, now.as_secs()).throttled += 1;
            trim(&mut u.series);
        });
    }

    /// Records a Query or Scan page: items read and returned, bytes read.
    pub fn page(&self, table: &str, read: usize, returned: usize, bytes: usize) {
        self.with(table, |u| {
            u.items_read += read as u64;
            u.items_returned += returned as u64;
            u.bytes_read += bytes as u64;
        });
    }

    /// Everything, as JSON, with the money estimate.
    pub fn report(&self) -> serde_json::Value {
        self.report_of(None)
    }

    /// The report of one table only (`Some(name)`), or of every table: a page polling one
    /// table each second need not copy every table's hour of series.
    pub fn report_of(&self, only: Option<&str>) -> serde_json::Value {
        let prices = self.prices.lock().clone();
        let tables = self.tables.lock();
        let mut out = serde_json::Map::new();
        for (name, u) in tables
            .iter()
            .filter(|(n, _)| only.is_none_or(|o| o == n.as_str()))
        {
            let mut v = serde_json::to_value(u).unwrap_or_default();
            v["OnDemandCostUsd"] = serde_json::json!(
                u.read_units / 1e6 * prices.per_million_read_request_units
                    + u.write_units / 1e6 * prices.per_million_write_request_units
            );
            out.insert(name.clone(), v);
        }
        serde_json::json!({ "Tables": out, "Prices": prices })
    }

    /// A readable summary (printed by the binary when it stops).
    pub fn summary(&self) -> String {
        let prices = self.prices.lock().clone();
        let tables = self.tables.lock();
        let mut s = String::from("capacity used (emulated DynamoDB costs)\n");
        for (name, u) in tables.iter() {
            // `+ 0.0`: the empty float sum is -0.0, which would print as "-0.0".
            let idx: f64 = u.index_write_units.values().sum::<f64>() + 0.0;
            let cost = u.read_units / 1e6 * prices.per_million_read_request_units
                + u.write_units / 1e6 * prices.per_million_write_request_units;
            let _ = writeln!(
                s,
                                "  {name}: {:.1} RCU, {:.1} WCU ({:.1} of them on indexes), throttled {} reads / {} writes, \
                 query/scan read {} items and returned {}, on-demand cost ${:.6}",
                u.read_units, u.write_units, idx, u.throttled_reads, u.throttled_writes, u.items_read, u.items_returned, cost
            );
            for (op, o) in &u.operations {
                if !op.is_empty() {
                    let _ = write!(
                        s,
                        "    {op}: {} requests, {:.1} RCU, {:.1} WCU, {} throttled",
                        o.requests, o.read_units, o.write_units, o.throttled
                    );
                    if o.conflicts > 0 {
                        let _ = write!(s, ", {} transaction conflicts", o.conflicts);
                    }
                    for (kind, n) in &o.faults {
                        let _ = write!(s, ", {n} injected {kind}");
                    }
                    s.push('\n');
                }
            }
        }
        s
    }
}

/// The usage of operation `op`, created on first use.
fn op_entry<'a>(ops: &'a mut BTreeMap<String, OperationUsage>, op: &str) -> &'a mut OperationUsage {
    if !ops.contains_key(op) {
        ops.insert(op.to_string(), OperationUsage::default());
    }
    ops.get_mut(op).expect("inserted")
}

fn trim(series: &mut BTreeMap<u64, Second>) {
    while series.len() > MAX_SERIES {
        series.pop_first();
    }
}
