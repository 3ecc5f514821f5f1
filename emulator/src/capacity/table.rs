//! A table's capacity: what it may spend, on top of its partitions' hard limits.
//!
//! A request is admitted when both the table and the partition it touches have capacity left.
//! The table's side is its provisioned throughput (with 300 s of burst, shared by every
//! partition: adaptive capacity), or, for an on-demand table, its per-second limits; each GSI
//! of a provisioned table with its own throughput has buckets of its own. The partition's side
//! is the partition's own buckets, which the replication layer keeps with each partition. A
//! request is charged after it ran, so one large request may leave a debt, as in DynamoDB.

use super::{Buckets, CapacityConfig, Consumed, Kind, Limit, OnDemandLimits};
use crate::error::{DynamoError, ErrorKind, Result};
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// The error a write gets when a GSI it must update has no write capacity left.
const GSI_THROTTLED: &str = "The level of configured provisioned throughput for one or more global secondary indexes of the table was exceeded. Consider increasing your provisioning level for the under-provisioned global secondary indexes with the UpdateTable API";
const PROVISIONED_THROTTLED: &str = "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.";
const ON_DEMAND_THROTTLED: &str = "Throughput exceeds the current capacity of your table or index. DynamoDB is automatically scaling your table or index so please try again shortly. If exceptions persist, check if you have a hot key: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html.";

/// The table-level buckets of one table, and where its usage is recorded.
#[derive(Debug)]
pub struct TableCapacity {
    /// The table's name in the usage report.
    table: String,
    /// The provisioned (RCU, WCU) per second; None for an on-demand table.
    rates: Option<(f64, f64)>,
    /// A provisioned table's own throughput, which every partition draws on.
    provisioned: Mutex<Buckets>,
    /// An on-demand table's per-second limits.
    on_demand: Mutex<OnDemandLimits>,
    /// The buckets of each GSI with its own provisioned throughput (one set per index: an
    /// index's own partitions are not modelled). A write that must update an index whose write
    /// bucket is in debt is throttled, as DynamoDB throttles base-table writes on an
    /// under-provisioned GSI; reads of the index draw on its read bucket.
    gsis: Mutex<BTreeMap<String, Buckets>>,
    config: Arc<CapacityConfig>,
}

impl TableCapacity {
    /// A new table's capacity, full at `now`: `rates` for a provisioned table (None:
    /// on-demand), and each provisioned GSI's (RCU, WCU).
    pub fn new(
        table: &str,
        rates: Option<(f64, f64)>,
        gsi_shares: BTreeMap<String, (f64, f64)>,
        config: Arc<CapacityConfig>,
        now: Duration,
    ) -> TableCapacity {
        config.usage.provision(table, rates);
        TableCapacity {
            table: table.to_string(),
            rates,
            provisioned: Mutex::new(Buckets::table(rates, now)),
            on_demand: Mutex::new(OnDemandLimits::new()),
            gsis: Mutex::new(
                gsi_shares
                    .into_iter()
                    .map(|(name, share)| (name, Buckets::new(Some(share), now)))
                    .collect(),
            ),
            config,
        }
    }

    /// A provisioned table's own buckets at `now` (its burst), None on demand.
    pub fn burst(&self, now: Duration) -> Option<super::throttle::BurstLevels> {
        self.rates?;
        self.provisioned.lock().levels(now)
    }

    /// Applies a throughput or billing change (UpdateTable), and the GSIs created, deleted or
    /// re-provisioned.
    pub fn reprovision(
        &mut self,
        rates: Option<(f64, f64)>,
        gsi_shares: BTreeMap<String, (f64, f64)>,
        now: Duration,
    ) {
        self.rates = rates;
        self.provisioned.lock().reprovision(rates, now);
        self.config.usage.provision(&self.table, rates);
        let mut gsi = self.gsis.lock();
        gsi.retain(|name, _| gsi_shares.contains_key(name));
        for (name, share) in gsi_shares {
            gsi.entry(name)
                .and_modify(|b| b.reprovision(Some(share), now))
                .or_insert_with(|| Buckets::new(Some(share), now));
        }
    }

    fn throttling(&self) -> bool {
        self.config.throttling()
    }

    /// The error a throttled request gets: the message differs for provisioned and on-demand
    /// tables.
    pub fn throttled(&self) -> DynamoError {
        DynamoError::new(
            ErrorKind::ProvisionedThroughputExceeded,
            if self.rates.is_some() {
                PROVISIONED_THROTTLED
            } else {
                ON_DEMAND_THROTTLED
            },
        )
    }

    /// Records a throttle and builds its error, which names the limit that was hit.
    fn reject(&self, op: &str, read: bool, limit: Limit, now: Duration) -> DynamoError {
        self.config
            .usage
            .throttled(&self.table, op, read, limit, now);
        let mut e = self.throttled();
        e.throttle = Some(limit.as_str());
        e
    }

    /// Whether a read or write on `partition` may proceed, or DynamoDB's throttling error: the
    /// table's throughput (provisioned with its burst, or on-demand) and the partition's hard
    /// limit must both have capacity left.
    pub fn admit(
        &self,
        op: &str,
        partition: &Mutex<Buckets>,
        kind: Kind,
        now: Duration,
    ) -> Result<()> {
        if !self.throttling() {
            return Ok(());
        }
        let table_ok = match self.rates {
            Some(_) => self.provisioned.lock().admit(kind, now),
            None => self.on_demand.lock().admit(kind, now),
        };
        let limit = if !table_ok {
            match self.rates {
                Some(_) => Limit::TableThroughput,
                None => Limit::OnDemandThroughput,
            }
        } else if !partition.lock().admit(kind, now) {
            Limit::Partition
        } else {
            return Ok(());
        };
        Err(self.reject(op, kind == Kind::Read, limit, now))
    }

    /// Whether the index writes of a change may proceed: every GSI with its own throughput that
    /// the change writes must have write capacity left, or the write is throttled.
    pub fn admit_index_writes(&self, op: &str, cost: &Consumed, now: Duration) -> Result<()> {
        if !self.throttling() || cost.gsis.is_empty() {
            return Ok(());
        }
        let mut gsi = self.gsis.lock();
        for (name, units) in &cost.gsis {
            if *units > 0.0
                && gsi
                    .get_mut(name)
                    .is_some_and(|b| !b.admit(Kind::Write, now))
            {
                drop(gsi);
                self.config
                    .usage
                    .throttled(&self.table, op, false, Limit::IndexThroughput, now);
                let mut e =
                    DynamoError::new(ErrorKind::ProvisionedThroughputExceeded, GSI_THROTTLED);
                e.throttle = Some(Limit::IndexThroughput.as_str());
                return Err(e);
            }
        }
        Ok(())
    }

    /// Admits a read of the table (`index` None or an LSI: the partition) or of a GSI with its
    /// own throughput (its bucket).
    pub fn admit_read(
        &self,
        op: &str,
        index: Option<&str>,
        partition: &Mutex<Buckets>,
        now: Duration,
    ) -> Result<()> {
        let gsi = index.and_then(|i| {
            self.gsis
                .lock()
                .get_mut(i)
                .map(|b| b.admit(Kind::Read, now))
        });
        match gsi {
            Some(ok) if ok || !self.throttling() => Ok(()),
            Some(_) => Err(self.reject(op, true, Limit::IndexThroughput, now)),
            None => self.admit(op, partition, Kind::Read, now),
        }
    }

    /// Charges a read like [`TableCapacity::admit_read`] admits it.
    pub fn charge_read(
        &self,
        op: &str,
        index: Option<&str>,
        partition: &Mutex<Buckets>,
        units: f64,
        now: Duration,
    ) {
        let charged = index.is_some_and(|i| {
            self.gsis
                .lock()
                .get_mut(i)
                .map(|b| b.charge(Kind::Read, units, now))
                .is_some()
        });
        // A read of an index is billed to the table, and reported per index as well.
        let idx: BTreeMap<String, f64> = index
            .map(|i| BTreeMap::from([(i.to_string(), units)]))
            .unwrap_or_default();
        if !charged {
            self.take(partition, Kind::Read, units, now);
        }
        self.config
            .usage
            .consumed(&self.table, op, true, units, &idx, now);
    }

    /// Takes `units` from `partition`'s buckets and the table's.
    fn take(&self, partition: &Mutex<Buckets>, kind: Kind, units: f64, now: Duration) {
        partition.lock().charge(kind, units, now);
        match self.rates {
            Some(_) => self.provisioned.lock().charge(kind, units, now),
            None => self.on_demand.lock().charge(kind, units, now),
        }
    }

    /// Charges `units` to `partition` and to the table.
    pub fn charge(
        &self,
        op: &str,
        partition: &Mutex<Buckets>,
        kind: Kind,
        units: f64,
        now: Duration,
    ) {
        self.take(partition, kind, units, now);
        self.config.usage.consumed(
            &self.table,
            op,
            kind == Kind::Read,
            units,
            &BTreeMap::new(),
            now,
        );
    }

    /// Records per-index write units for the usage report, and charges the GSIs that have their
    /// own throughput.
    pub fn record_index_writes(&self, op: &str, cost: &Consumed, now: Duration) {
        {
            let mut gsi = self.gsis.lock();
            for (name, units) in &cost.gsis {
                if let Some(b) = gsi.get_mut(name) {
                    b.charge(Kind::Write, *units, now);
                }
            }
        }
        let mut idx = cost.gsis.clone();
        idx.extend(cost.lsis.clone());
        if !idx.is_empty() {
            self.config
                .usage
                .consumed(&self.table, op, false, 0.0, &idx, now);
        }
    }

    /// Records a Query or Scan page for the usage report.
    pub fn record_page(&self, read: usize, returned: usize, bytes: usize) {
        self.config.usage.page(&self.table, read, returned, bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn a_provisioned_table_throttles_on_its_own_throughput_first() {
        let config = Arc::new(CapacityConfig::new(true));
        let cap = TableCapacity::new("t", Some((5.0, 5.0)), BTreeMap::new(), config, secs(0));
        let part = Mutex::new(Buckets::partition(secs(0)));
        // 300 s of burst at 5 WCU: 1,500 units, then the table is in debt.
        cap.admit("PutItem", &part, Kind::Write, secs(0))
            .expect("capacity");
        cap.charge("PutItem", &part, Kind::Write, 1_600.0, secs(0));
        let e = cap
            .admit("PutItem", &part, Kind::Write, secs(0))
            .unwrap_err();
        assert_eq!(e.throttle, Some(Limit::TableThroughput.as_str()));
        assert!(e
            .message
            .starts_with("The level of configured provisioned throughput for the table"));
        // Reads have their own bucket.
        cap.admit("GetItem", &part, Kind::Read, secs(0))
            .expect("read capacity");
    }

    #[test]
    fn an_on_demand_table_throttles_on_the_partition_limit() {
        let config = Arc::new(CapacityConfig::new(true));
        let cap = TableCapacity::new("t", None, BTreeMap::new(), config.clone(), secs(0));
        let part = Mutex::new(Buckets::partition(secs(0)));
        cap.charge("PutItem", &part, Kind::Write, 5_000.0, secs(0));
        let e = cap
            .admit("PutItem", &part, Kind::Write, secs(0))
            .unwrap_err();
        assert_eq!(e.throttle, Some(Limit::Partition.as_str()));
        assert!(e
            .message
            .starts_with("Throughput exceeds the current capacity"));
        // Another partition of the same table is not throttled.
        let other = Mutex::new(Buckets::partition(secs(0)));
        cap.admit("PutItem", &other, Kind::Write, secs(0))
            .expect("another partition");
        // With throttling off, nothing is.
        let off = TableCapacity::new(
            "t",
            None,
            BTreeMap::new(),
            Arc::new(CapacityConfig::new(false)),
            secs(0),
        );
        off.charge("PutItem", &part, Kind::Write, 5_000.0, secs(0));
        off.admit("PutItem", &part, Kind::Write, secs(0))
            .expect("throttling off");
    }

    #[test]
    fn an_under_provisioned_gsi_throttles_the_writes_that_touch_it() {
        let config = Arc::new(CapacityConfig::new(true));
        let shares = BTreeMap::from([("g".to_string(), (1.0, 1.0))]);
        let mut cap = TableCapacity::new("t", Some((1_000.0, 1_000.0)), shares, config, secs(0));
        let mut cost = Consumed::default();
        cost.gsis.insert("g".into(), 400.0);
        cap.admit_index_writes("PutItem", &cost, secs(0))
            .expect("burst left");
        cap.record_index_writes("PutItem", &cost, secs(0));
        let e = cap
            .admit_index_writes("PutItem", &cost, secs(0))
            .unwrap_err();
        assert_eq!(e.throttle, Some(Limit::IndexThroughput.as_str()));
        // A change that does not write the index is not throttled by it.
        cap.admit_index_writes("PutItem", &Consumed::default(), secs(0))
            .expect("no index write");
        // Deleting the GSI (UpdateTable) removes its buckets.
        cap.reprovision(Some((1_000.0, 1_000.0)), BTreeMap::new(), secs(1));
        cap.admit_index_writes("PutItem", &cost, secs(1))
            .expect("the index is gone");
    }
}
