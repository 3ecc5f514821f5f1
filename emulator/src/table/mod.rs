//! A table: its definition, its items, its replicas and its capacity, composed.
//!
//! DynamoDB's table is four things here, each owning its own state:
//!
//! | part | type | owns |
//! | --- | --- | --- |
//! | definition | [`TableDefinition`] | keys, indexes, billing, stream, TTL, tags (public: commands read and change it) |
//! | item store | [`ItemStore`] | items, index entries, sizes, TTL schedule, item collections |
//! | replication | [`ReplicaSet`] | the write log, partitions (each with its hard-limit buckets), replica queues, versions, views, splits |
//! | capacity | [`TableCapacity`] | the table's own buckets (provisioned or on-demand) and its GSIs' |
//!
//! and its streams ([`TableStreams`]), which consume every committed change.
//!
//! Every write path (PutItem, UpdateItem, DeleteItem, batches, transactions, TTL expiry) goes
//! through [`Table::put`] and [`Table::delete`], which change the store and record the change
//! for the replicas in one step. [`Table::check_invariants`] checks the parts against each
//! other; debug builds run it after every operation.

pub mod catalog;

pub use catalog::Catalog;

use crate::capacity::{CapacityConfig, Consumed, Kind, TableCapacity};
use crate::error::{DynamoError, Result};
use crate::persistence::record::Entry;
use crate::persistence::Journal;
use crate::replication::{PartitionInfo, ReadView, ReplicaSet, ReplicationConfig};
use crate::storage::definition::initial_partitions;
use crate::storage::key::StoredKey;
use crate::storage::store::IndexEntry;
use crate::storage::{Found, IndexDefinition, ItemStore, ReadItem, TableDefinition, TableStatus};
use crate::stream::{Change, TableStreams};
use crate::value::{item_size, Item};
use std::ops::Bound;
use std::sync::Arc;
use std::time::Duration;

/// A table: definition and data.
#[derive(Debug)]
pub struct Table {
    /// What the table is; commands read it and change it (see [`Table::apply_throughput`] and
    /// [`Table::add_index`] for the changes the other parts must follow).
    pub def: TableDefinition,
    store: ItemStore,
    replicas: ReplicaSet,
    capacity: TableCapacity,
    streams: TableStreams,
    /// Seed of the replicas' RNG (persisted, so a recovered table draws what it drew).
    seed: u64,
    /// Where committed changes are recorded when the emulator persists.
    journal: Option<Arc<Journal>>,
    /// The point-in-time recovery history, while PITR is on.
    pitr: Option<crate::backup::PointInTime>,
    /// Contributor Insights' counts, while insights are on for the table.
    key_counts: parking_lot::Mutex<crate::capacity::insights::KeyCounts>,
}

/// The shared settings a new table draws on.
pub struct Environment {
    pub replication: Arc<ReplicationConfig>,
    /// Seed of the table's own RNG (drawn from the emulator's).
    pub seed: u64,
    pub capacity: Arc<CapacityConfig>,
    /// Item collection size limit for tables with LSIs (DynamoDB: 10 GB).
    pub collection_limit: u64,
    /// The journal, when the emulator persists (`--data-dir`).
    pub journal: Option<Arc<Journal>>,
}

impl Table {
    /// An empty table, created at `def.created_at`.
    pub fn new(def: TableDefinition, env: Environment) -> Table {
        let now = def.created_at;
        let mut t = Table {
            store: ItemStore::new(&def, env.collection_limit),
            replicas: ReplicaSet::new(
                initial_partitions(def.billing_mode, def.throughput),
                env.replication,
                env.seed,
                now,
            ),
            capacity: TableCapacity::new(
                &def.name,
                def.throughput_rates(),
                def.gsi_shares(),
                env.capacity,
                now,
            ),
            streams: TableStreams::default(),
            seed: env.seed,
            journal: env.journal,
            pitr: None,
            key_counts: Default::default(),
            def,
        };
        t.apply_stream(now);
        t
    }

    /// Follows the definition's stream specification: a stream starts when one is enabled
    /// (with a new ARN, even if an earlier stream of the table is still readable), and the
    /// enabled stream stops when it is disabled.
    pub fn apply_stream(&mut self, now: Duration) {
        match (self.def.stream, self.streams.is_enabled()) {
            (Some(view), false) => {
                let starts = self.replicas.partition_starts();
                self.streams.enable(&self.def.arn, view, &starts, now);
            }
            (None, true) => self.streams.disable(now),
            _ => {}
        }
    }

    /// What is left of a deleted table: its streams, disabled, readable for 24 hours. The
    /// items and their history go.
    pub fn retire(&mut self, now: Duration) {
        self.streams.disable(now);
        self.store.clear();
        self.replicas.settle();
    }

    // ----- contributor insights -----

    /// Counts an item access for Contributor Insights, when they are on for the table.
    pub fn count_access(&self, key: &StoredKey, throttled: bool) {
        if self
            .def
            .contributor_insights
            .get("")
            .is_some_and(|c| c.enabled && (throttled || c.mode != "THROTTLED_KEYS"))
        {
            self.key_counts.lock().record(key, throttled);
        }
    }

    /// The top `limit` keys of each of Contributor Insights' counters.
    pub fn key_report(&self, limit: usize) -> serde_json::Value {
        self.key_counts
            .lock()
            .report(limit, self.def.schema.range_attributes().next().is_some())
    }

    /// Starts the counts afresh (insights were enabled).
    pub fn reset_key_counts(&self) {
        *self.key_counts.lock() = Default::default();
    }

    // ----- persistence -----

    /// Records the table's definition as it is now (after a creation or any change to it) in
    /// the journal, if the emulator persists.
    pub fn journal_definition(&self, now: Duration) {
        if let Some(j) = &self.journal {
            j.append(&self.definition_entry(now));
        }
    }

    /// The journal record of the table's definition.
    pub fn definition_entry(&self, now: Duration) -> Entry<'_> {
        Entry::Table {
            def: &self.def,
            seed: self.seed,
            stream_since: self.streams.enabled().map(|s| s.created_at),
            at: now,
        }
    }

    /// Starts recording changes in `journal` (after recovery has loaded the table).
    pub fn set_journal(&mut self, journal: Option<Arc<Journal>>) {
        self.journal = journal;
    }

    /// Takes a recovered definition (a journal record of a change to this table): the other
    /// parts follow it as they followed the command that made it (new GSIs backfilled, dropped
    /// ones removed, partitions and buckets re-provisioned, the stream started or stopped, the
    /// TTL schedule rebuilt).
    pub fn redefine(
        &mut self,
        def: TableDefinition,
        stream_since: Option<Duration>,
        now: Duration,
    ) {
        // An index of the same name with another key or projection is another index: dropped
        // and rebuilt.
        let same = |a: &IndexDefinition, b: &IndexDefinition| {
            a.name == b.name && a.schema == b.schema && a.projection == b.projection
        };
        let dropped: Vec<String> = self
            .def
            .gsis
            .iter()
            .filter(|g| !def.gsis.iter().any(|n| same(n, g)))
            .map(|g| g.name.clone())
            .collect();
        for name in &dropped {
            self.drop_index(name);
        }
        for g in &def.gsis {
            if self.def.index(&g.name).is_none() {
                self.add_index(g.clone());
            }
        }
        self.def = def;
        let restarted = self.streams.enabled().map(|s| s.created_at) != stream_since;
        if restarted && self.streams.is_enabled() {
            // Disabled and enabled again since: a new stream.
            self.streams.disable(stream_since.unwrap_or(now));
        }
        self.apply_stream(stream_since.unwrap_or(now));
        self.apply_throughput(now);
        self.store.reschedule_ttl(&self.def);
        self.resume_pitr(now);
    }

    /// The table's streams.
    pub fn streams(&self) -> &TableStreams {
        &self.streams
    }

    /// The table's streams, to trim them as the clock moves.
    pub fn streams_mut(&mut self) -> &mut TableStreams {
        &mut self.streams
    }

    // ----- definition changes the other parts follow -----

    /// Follows a change of the definition's billing mode or throughput, or of its GSIs'
    /// throughput: partitions split until there are as many as the throughput needs (DynamoDB
    /// never merges them), and the buckets take the new rates.
    pub fn apply_throughput(&mut self, now: Duration) {
        let needed = initial_partitions(self.def.billing_mode, self.def.throughput);
        self.replicas.grow_to(&self.store, needed);
        self.capacity
            .reprovision(self.def.throughput_rates(), self.def.gsi_shares(), now);
    }

    /// Adds a global secondary index, backfilled from the existing items.
    pub fn add_index(&mut self, index: IndexDefinition) {
        let name = index.name.clone();
        self.def.gsis.push(index);
        self.store.add_index(&self.def, &name);
    }

    /// Removes a global secondary index and its entries.
    pub fn drop_index(&mut self, name: &str) {
        self.def.gsis.retain(|g| g.name != name);
        self.store.drop_index(name);
    }

    /// Follows a change of the TTL settings: the schedule is rebuilt, and what expired goes.
    pub fn apply_ttl(&mut self, now: Duration) {
        self.store.reschedule_ttl(&self.def);
        self.expire(now);
    }

    // ----- items -----

    /// The status at `now`.
    pub fn status(&self, now: Duration) -> TableStatus {
        self.def.status(now)
    }

    pub fn item_count(&self) -> usize {
        self.store.len()
    }

    /// The table's size in bytes (`TableSizeBytes`).
    pub fn size_bytes(&self) -> u64 {
        self.store.size_bytes()
    }

    /// An index's (item count, size in bytes), as DescribeTable reports them.
    pub fn index_size(&self, name: &str) -> (usize, u64) {
        self.store
            .index(name)
            .map_or((0, 0), |e| (e.len(), e.size_bytes()))
    }

    /// The current item (the leader's).
    pub fn get(&self, key: &StoredKey) -> Option<Item> {
        self.store.get(key)
    }

    /// Stores an item (replacing any previous one) as of `now`, maintaining indexes, sizes, the
    /// TTL schedule and the replicas.
    pub fn put(&mut self, key: StoredKey, item: Item, now: Duration) -> Option<Item> {
        let old = self.store.get(&key);
        self.replace(key, item, old, now)
    }

    /// [`Table::put`] when the caller has just read the item stored at `key` (`old`): the
    /// store need not decode it again.
    pub fn replace(
        &mut self,
        key: StoredKey,
        item: Item,
        old: Option<Item>,
        now: Duration,
    ) -> Option<Item> {
        let (old_size, new_size) = self.store.replace(&self.def, &key, &item, old.as_ref());
        self.replicas.resize(key.token, old_size, Some(new_size));
        let fed = self.replicas.record(&self.store, &key, old.clone(), now);
        self.stream_change(&key, old.as_ref(), Some(&item), false, fed, now);
        if let Some(j) = &self.journal {
            j.append(&Entry::Put {
                table: &self.def.id,
                at: now,
                item: &item,
            });
        }
        self.pitr_record(key, Some(item), now);
        old
    }

    /// Hands a committed change of `key` (to `new`) to the point-in-time history, if PITR is
    /// on.
    fn pitr_record(&mut self, key: StoredKey, new: Option<Item>, now: Duration) {
        if let (Some(h), Some((_, days))) = (&mut self.pitr, self.def.pitr) {
            h.record(now, key, new, crate::backup::DAY * days);
        }
    }

    /// Turns point-in-time recovery on (from the items as they are at `now`) with a window of
    /// `days`, or off (`None`: the history goes).
    pub fn set_pitr(&mut self, days: Option<u32>, now: Duration) {
        match (days, self.def.pitr) {
            (Some(d), Some((since, _))) => self.def.pitr = Some((since, d)),
            (Some(d), None) => {
                self.def.pitr = Some((now, d));
                let items = self.store.items();
                self.pitr = Some(crate::backup::PointInTime::starting(now, items));
            }
            (None, _) => {
                self.def.pitr = None;
                self.pitr = None;
            }
        }
    }

    /// Follows the definition's PITR setting after recovery: a history starting at `at` from
    /// the items as they are (what was before it is not in the journal's snapshot), or none.
    pub fn resume_pitr(&mut self, at: Duration) {
        match (self.def.pitr.is_some(), self.pitr.is_some()) {
            (true, false) => {
                let items = self.store.items();
                self.pitr = Some(crate::backup::PointInTime::starting(at, items));
            }
            (false, true) => self.pitr = None,
            _ => {}
        }
    }

    /// The point-in-time history, while PITR is on.
    pub fn pitr(&self) -> Option<&crate::backup::PointInTime> {
        self.pitr.as_ref()
    }

    /// Stores an item as a snapshot holds it: like [`Table::put`], but no stream record and
    /// no journal record (it is not a change, only state being loaded back).
    pub fn restore(&mut self, key: StoredKey, item: Item, now: Duration) {
        if let Some(h) = &mut self.pitr {
            h.restore(key.clone(), item.clone());
        }
        let (old, old_size, new_size) = self.store.put(&self.def, &key, &item);
        self.replicas.resize(key.token, old_size, Some(new_size));
        self.replicas.record(&self.store, &key, old, now);
    }

    /// Every item (the leader's), in key order, decoded.
    pub fn items(&self) -> impl Iterator<Item = Item> + '_ {
        self.store.iter().map(|e| e.item())
    }

    /// Hands a committed change of `key` (the item was `old`; it is now the store's) to the
    /// enabled stream, if any.
    fn stream_change(
        &mut self,
        key: &StoredKey,
        old: Option<&Item>,
        new: Option<&Item>,
        by_ttl: bool,
        fed: Duration,
        now: Duration,
    ) {
        if !self.streams.is_enabled() {
            return;
        }
        let starts = self.replicas.partition_starts();
        let change = Change {
            keys: self.def.schema.key_item(key),
            token: key.token,
            old,
            new,
            by_ttl,
            at: now,
            visible_at: fed,
        };
        self.streams.record(change, &starts, now);
    }

    /// Removes an item as of `now`, maintaining indexes, sizes, the TTL schedule and the
    /// replicas.
    #[cfg(test)]
    pub fn delete(&mut self, key: &StoredKey, now: Duration) -> Option<Item> {
        self.remove(key, false, now)
    }

    /// [`Table::delete`] when the caller has just read the item stored at `key` (`old`).
    pub fn delete_known(
        &mut self,
        key: &StoredKey,
        old: Option<Item>,
        now: Duration,
    ) -> Option<Item> {
        let old = old?;
        let size = self.store.delete_known(&self.def, key, &old)?;
        self.removed(key, old, size, false, now)
    }

    /// Removes an item as of `now`; `by_ttl` when DynamoDB's TTL process removes it (the
    /// stream record says so).
    pub fn remove(&mut self, key: &StoredKey, by_ttl: bool, now: Duration) -> Option<Item> {
        let (old, size) = self.store.delete(&self.def, key)?;
        self.removed(key, old, size, by_ttl, now)
    }

    /// What follows the removal of `old` (`size` bytes) from the store: replicas, stream,
    /// journal, point-in-time history.
    fn removed(
        &mut self,
        key: &StoredKey,
        old: Item,
        size: u64,
        by_ttl: bool,
        now: Duration,
    ) -> Option<Item> {
        self.replicas.resize(key.token, Some(size), None);
        let fed = self
            .replicas
            .record(&self.store, key, Some(old.clone()), now);
        self.stream_change(key, Some(&old), None, by_ttl, fed, now);
        if let Some(j) = &self.journal {
            j.append(&Entry::Delete {
                table: &self.def.id,
                at: now,
                key: &self.def.schema.key_item(key),
                ttl: by_ttl,
            });
        }
        self.pitr_record(key.clone(), None, now);
        Some(old)
    }

    /// Whether some item's TTL has passed at `now`, or old versions may be collectable (cheap).
    pub fn needs_upkeep(&self, now: Duration) -> bool {
        self.store.has_expired(now.as_secs()) || self.replicas.wants_collect(now)
    }

    /// What a read finds to do before it reads: TTL deletions due, and versions no replica can
    /// show any more.
    pub fn upkeep(&mut self, now: Duration) {
        self.expire(now);
        if self.replicas.wants_collect(now) {
            self.replicas.collect_now(now);
        }
    }

    /// Deletes every item whose TTL time has passed at `now`, as DynamoDB's background TTL
    /// process does (here exactly at expiry, so tests are deterministic). Returns how many.
    pub fn expire(&mut self, now: Duration) -> usize {
        let mut n = 0;
        while let Some(key) = self.store.pop_expired(now.as_secs()) {
            self.remove(&key, true, now);
            n += 1;
        }
        n
    }

    /// Checks that replacing `old` by `new` keeps the item collection within its limit.
    pub fn check_collection(&self, key: &StoredKey, old: Option<&Item>, new: &Item) -> Result<()> {
        self.store.check_collection(&self.def, key, old, new)
    }

    /// `ItemCollectionMetrics` for a write to `key` (tables with LSIs only): the collection key
    /// and DynamoDB's size estimate range in GB.
    pub fn collection_metrics(&self, key: &StoredKey) -> Option<serde_json::Value> {
        if self.def.lsis.is_empty() {
            return None;
        }
        let gb = self.store.collection_size(key) as f64 / (1u64 << 30) as f64;
        let low = gb.floor();
        Some(serde_json::json!({
            "ItemCollectionKey": { self.def.schema.hash.name.clone(): key.hash.to_attribute() },
            "SizeEstimateRangeGB": [low, low + 1.0],
        }))
    }

    // ----- reads through the replicas -----

    /// Chooses where a read is served from (see [`ReplicaSet::read_view`]).
    pub fn read_view(&self, consistent: bool, gsi: bool, now: Duration) -> ReadView {
        self.replicas.read_view(consistent, gsi, now)
    }

    /// An item as a view sees it.
    pub fn get_in(
        &self,
        view: &mut ReadView,
        key: &StoredKey,
        now: Duration,
    ) -> Option<ReadItem<'_>> {
        self.replicas.get(&self.store, view, key, now)
    }

    /// Items of a key range as a view sees them, in key order (reversed if asked).
    pub fn range_in<'a>(
        &'a self,
        view: &ReadView,
        lo: Bound<StoredKey>,
        hi: Bound<StoredKey>,
        reverse: bool,
        now: Duration,
    ) -> Box<dyn Iterator<Item = Found<'a>> + 'a> {
        self.replicas.range(&self.store, view, lo, hi, reverse, now)
    }

    /// Entries of a secondary index range as a view sees them, in index order.
    pub fn index_range_in<'a>(
        &'a self,
        view: &ReadView,
        idx: &'a IndexDefinition,
        lo: Bound<IndexEntry>,
        hi: Bound<IndexEntry>,
        reverse: bool,
        now: Duration,
    ) -> Box<dyn Iterator<Item = (StoredKey, ReadItem<'a>)> + 'a> {
        self.replicas
            .index_range(&self.store, view, idx, lo, hi, reverse, now)
    }

    /// Applies every pending write on every replica now.
    pub fn settle(&mut self) {
        self.replicas.settle();
    }

    /// Makes the next `reads` eventually consistent reads of `key` stale (see
    /// [`ReplicaSet::script_stale_reads`]).
    pub fn script_stale_reads(&self, key: StoredKey, reads: u32) {
        self.replicas.script_stale_reads(key, reads);
    }

    /// Partitions and replicas, for the inspection API.
    pub fn describe_partitions(&self, now: Duration) -> Vec<PartitionInfo> {
        self.replicas.describe_partitions(now)
    }

    /// A provisioned table's own burst buckets at `now`.
    pub fn burst(&self, now: Duration) -> Option<crate::capacity::BurstLevels> {
        self.capacity.burst(now)
    }

    /// Write log position, versions kept and their bytes.
    pub fn replication_stats(&self) -> (u64, usize, usize) {
        self.replicas.stats()
    }

    // ----- capacity -----

    /// Admits a read or write of the partition holding `token` (see [`TableCapacity::admit`]).
    pub fn admit(&self, op: &str, token: u64, kind: Kind, now: Duration) -> Result<()> {
        let part = self.replicas.partition(token);
        self.capacity.admit(op, &part.buckets, kind, now)
    }

    /// Admits the GSI writes of a change.
    pub fn admit_index_writes(&self, op: &str, cost: &Consumed, now: Duration) -> Result<()> {
        self.capacity.admit_index_writes(op, cost, now)
    }

    /// Admits a read of the table or of one of its indexes.
    pub fn admit_read(
        &self,
        op: &str,
        index: Option<&str>,
        token: u64,
        now: Duration,
    ) -> Result<()> {
        let part = self.replicas.partition(token);
        self.capacity.admit_read(op, index, &part.buckets, now)
    }

    /// Charges a read like [`Table::admit_read`] admits it.
    pub fn charge_read(
        &self,
        op: &str,
        index: Option<&str>,
        token: u64,
        units: f64,
        now: Duration,
    ) {
        let part = self.replicas.partition(token);
        self.capacity
            .charge_read(op, index, &part.buckets, units, now);
    }

    /// Charges `units` to the partition holding `token` and to the table.
    pub fn charge(&self, op: &str, token: u64, kind: Kind, units: f64, now: Duration) {
        let part = self.replicas.partition(token);
        self.capacity.charge(op, &part.buckets, kind, units, now);
    }

    /// Records per-index write units, charging the GSIs with their own throughput.
    pub fn record_index_writes(&self, op: &str, cost: &Consumed, now: Duration) {
        self.capacity.record_index_writes(op, cost, now);
    }

    /// Records a Query or Scan page for the usage report.
    pub fn record_page(&self, read: usize, returned: usize, bytes: usize) {
        self.capacity.record_page(read, returned, bytes);
    }

    /// The error a throttled request gets.
    pub fn throttled(&self) -> DynamoError {
        self.capacity.throttled()
    }

    /// Write units an item change costs on each secondary index: an entry added or removed is
    /// one write of the projected size; a changed entry with the same key is one write; a moved
    /// entry (its index key changed) is a delete plus a put; an untouched entry costs nothing.
    pub fn index_write_cost(&self, old: Option<&Item>, new: Option<&Item>) -> Consumed {
        let mut c = Consumed::default();
        let schema = &self.def.schema;
        for (idx, global) in self
            .def
            .gsis
            .iter()
            .map(|i| (i, true))
            .chain(self.def.lsis.iter().map(|i| (i, false)))
        {
            let o = old.and_then(|i| idx.entry_key(i).map(|k| (k, idx.project(i, schema))));
            let n = new.and_then(|i| idx.entry_key(i).map(|k| (k, idx.project(i, schema))));
            let units = match (&o, &n) {
                (None, None) => 0.0,
                (Some((_, a)), None) => crate::capacity::write_units(item_size(a)),
                (None, Some((_, b))) => crate::capacity::write_units(item_size(b)),
                (Some((ka, a)), Some((kb, b))) => {
                    if ka != kb {
                        crate::capacity::write_units(item_size(a))
                            + crate::capacity::write_units(item_size(b))
                    } else if a != b {
                        crate::capacity::write_units(item_size(a).max(item_size(b)))
                    } else {
                        0.0
                    }
                }
            };
            if units > 0.0 {
                let map = if global { &mut c.gsis } else { &mut c.lsis };
                *map.entry(idx.name.clone()).or_default() += units;
            }
        }
        c
    }

    // The state checker runs in debug builds only (and their tests).
    #[cfg(debug_assertions)]
    /// Checks that the parts agree: the store's derived state against its items, the
    /// partitions' counts against the store, and the version chains. Debug builds run it after
    /// every operation (TigerBeetle's state checker, in miniature), so a test that breaks
    /// bookkeeping fails at the request that broke it, not at some later read that happens to
    /// notice. A failure is an emulator bug.
    pub fn check_invariants(&self) -> std::result::Result<(), String> {
        self.store.check_invariants(&self.def)?;
        self.replicas.check_invariants(&self.store)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::definition::fixtures::item;
    use crate::storage::definition::{BillingMode, Throughput};

    /// A table keyed by `pk` (S) and `sk` (N), with a GSI on `g` (KEYS_ONLY) and an LSI on `l`
    /// (ALL), a TTL on `ttl`, under the realistic replication preset, partitions of 2 KB.
    fn table() -> Table {
        let def = crate::storage::definition::fixtures::definition();
        let replication = ReplicationConfig::new(crate::replication::Settings {
            partition_bytes: 2048,
            ..Default::default()
        });
        Table::new(
            def,
            Environment {
                replication: Arc::new(replication),
                seed: 7,
                capacity: Arc::new(CapacityConfig::new(true)),
                collection_limit: u64::MAX,
                journal: None,
            },
        )
    }

    #[test]
    fn every_write_keeps_the_parts_in_step() {
        let mut t = table();
        let mut now = Duration::from_secs(1);
        for n in 0..60u32 {
            now += Duration::from_millis(7);
            let pk = format!("p{}", n % 7);
            let g = format!("g{}", n % 3);
            let l = "x".repeat((n as usize * 13) % 90);
            let extra: Vec<(&str, &str)> = match n % 4 {
                0 => vec![("g", &g), ("l", &l)],
                1 => vec![("g", &g)],
                2 => vec![("l", &l)],
                _ => vec![],
            };
            let (key, i) = item(
                &t.def,
                &pk,
                n % 11,
                &extra,
                (n % 5 == 0).then_some(100 + n as u64),
            );
            if n % 6 == 5 {
                t.delete(&key, now);
            } else {
                t.put(key, i, now);
            }
            t.check_invariants()
                .unwrap_or_else(|e| panic!("after write {n}: {e}"));
        }
        assert!(t.item_count() > 0);
        // Partitions of 2 KB: the writes above split the table.
        assert!(t.replicas.partition_count() > 1, "the table split");
        // TTL expiry deletes through the same path.
        assert!(t.expire(Duration::from_secs(200)) > 0);
        t.check_invariants().expect("after TTL expiry");
        t.settle();
        t.check_invariants().expect("after settling");
    }

    #[test]
    fn a_throughput_increase_splits_partitions_and_keeps_the_counts() {
        let mut t = table();
        for n in 0..20 {
            let (key, i) = item(&t.def, &format!("p{n}"), n, &[], None);
            t.put(key, i, Duration::from_secs(1));
        }
        let before = t.replicas.partition_count();
        t.def.billing_mode = BillingMode::Provisioned;
        t.def.throughput = Throughput {
            read: 30_000,
            write: 10_000,
        };
        t.apply_throughput(Duration::from_secs(2));
        assert!(t.replicas.partition_count() >= 20.max(before));
        t.check_invariants().expect("after the splits");
        // A GSI added later is backfilled; dropping it leaves consistent bookkeeping.
        let mut h = t.def.gsis[0].clone();
        h.name = "h".into();
        t.add_index(h);
        assert_eq!(t.index_size("h"), t.index_size("g"));
        t.drop_index("h");
        t.check_invariants().expect("after the index changes");
    }

    #[test]
    fn the_checker_notices_partition_counts_that_drift() {
        let mut t = table();
        let (key, i) = item(&t.def, "a", 1, &[("g", "x")], None);
        t.put(key.clone(), i, Duration::from_secs(1));
        t.check_invariants().expect("consistent");
        t.replicas.resize(key.token, None, Some(10));
        assert!(t.check_invariants().unwrap_err().contains("partition"));
    }
}
