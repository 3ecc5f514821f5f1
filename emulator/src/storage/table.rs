//! A table: its definition (keys, indexes, billing, TTL, tags) and its items.
//!
//! Every write path (PutItem, UpdateItem, DeleteItem, batches, transactions, TTL expiry) goes
//! through [`Table::put`] and [`Table::delete`], which keep the secondary indexes, the item count,
//! the table size and the TTL schedule in step with the items.

use super::key::{index_key_value, KeySchema, StoredKey};
use crate::capacity::{Buckets, CapacityConfig, Consumed, Kind, Limit, OnDemandLimits};
use crate::error::{DynamoError, ErrorKind, Result};
use crate::replication::partition::REPLICAS;
use crate::replication::{
    Consistency, LagModel, PartitionInfo, PartitionMap, ReadInfo, ReplicaInfo, ReplicationConfig,
    VersionChains,
};
use crate::value::{item_size, AttributeValue, Item, ScalarType};
use parking_lot::Mutex;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Bound;
use std::sync::Arc;
use std::time::Duration;

/// DynamoDB adds 100 bytes of overhead per item to an index's size.
const INDEX_ITEM_OVERHEAD: u64 = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableStatus {
    Creating,
    Active,
    Updating,
    Deleting,
}

impl TableStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TableStatus::Creating => "CREATING",
            TableStatus::Active => "ACTIVE",
            TableStatus::Updating => "UPDATING",
            TableStatus::Deleting => "DELETING",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BillingMode {
    Provisioned,
    PayPerRequest,
}

impl BillingMode {
    pub fn as_str(self) -> &'static str {
        match self {
            BillingMode::Provisioned => "PROVISIONED",
            BillingMode::PayPerRequest => "PAY_PER_REQUEST",
        }
    }
}

/// Provisioned read and write capacity units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throughput {
    pub read: u64,
    pub write: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectionType {
    KeysOnly,
    Include,
    All,
}

impl ProjectionType {
    pub fn as_str(self) -> &'static str {
        match self {
            ProjectionType::KeysOnly => "KEYS_ONLY",
            ProjectionType::Include => "INCLUDE",
            ProjectionType::All => "ALL",
        }
    }
}

/// Which attributes an index copies from the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Projection {
    pub ty: ProjectionType,
    pub non_key_attributes: Vec<String>,
}

/// A global or local secondary index and its entries.
#[derive(Debug, Clone)]
pub struct IndexDefinition {
    pub name: String,
    pub schema: KeySchema,
    pub projection: Projection,
    /// GSIs on provisioned tables have their own throughput.
    pub throughput: Option<Throughput>,
    pub status: TableStatus,
    /// (index key, table key): duplicate index keys are allowed, so the table key disambiguates.
    pub entries: BTreeSet<(StoredKey, StoredKey)>,
    pub size_bytes: u64,
}

impl IndexDefinition {
    pub fn new(
        name: String,
        schema: KeySchema,
        projection: Projection,
        throughput: Option<Throughput>,
    ) -> Self {
        IndexDefinition {
            name,
            schema,
            projection,
            throughput,
            status: TableStatus::Active,
            entries: BTreeSet::new(),
            size_bytes: 0,
        }
    }

    /// The index entry for an item, if the item has the index's key attributes (sparse index).
    pub fn entry_key(&self, item: &Item) -> Option<StoredKey> {
        let hash = index_key_value(item, &self.schema.hash)?;
        let range = match &self.schema.range {
            Some(r) => Some(index_key_value(item, r)?),
            None => None,
        };
        Some(StoredKey::new(hash, range))
    }

    /// The attributes of `item` this index holds, with the table's key schema.
    pub fn project(&self, item: &Item, table_schema: &KeySchema) -> Item {
        match self.projection.ty {
            ProjectionType::All => item.clone(),
            _ => item
                .iter()
                .filter(|(k, _)| {
                    table_schema.is_key_attribute(k)
                        || self.schema.is_key_attribute(k)
                        || self.projection.non_key_attributes.iter().any(|n| n == *k)
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }

    fn add(&mut self, table_key: &StoredKey, item: &Item, table_schema: &KeySchema) {
        if let Some(k) = self.entry_key(item) {
            self.size_bytes +=
                item_size(&self.project(item, table_schema)) as u64 + INDEX_ITEM_OVERHEAD;
            self.entries.insert((k, table_key.clone()));
        }
    }

    fn remove(&mut self, table_key: &StoredKey, item: &Item, table_schema: &KeySchema) {
        if let Some(k) = self.entry_key(item) {
            if self.entries.remove(&(k, table_key.clone())) {
                let size =
                    item_size(&self.project(item, table_schema)) as u64 + INDEX_ITEM_OVERHEAD;
                self.size_bytes = self.size_bytes.saturating_sub(size);
            }
        }
    }
}

/// Time to live settings: the attribute holding an expiry time in epoch seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeToLive {
    pub attribute: String,
    pub enabled: bool,
}

/// A table: definition and data.
#[derive(Debug)]
pub struct Table {
    pub name: String,
    pub arn: String,
    pub id: String,
    pub schema: KeySchema,
    pub attribute_definitions: Vec<(String, ScalarType)>,
    pub billing_mode: BillingMode,
    pub throughput: Throughput,
    pub created_at: Duration,
    /// Until when the table reports CREATING (or UPDATING), when transitions are delayed.
    pub transient_until: Option<(TableStatus, Duration)>,
    pub last_increase: Option<Duration>,
    pub last_decrease: Option<Duration>,
    pub decreases_today: u64,
    pub billing_mode_changed_at: Option<Duration>,
    pub gsis: Vec<IndexDefinition>,
    pub lsis: Vec<IndexDefinition>,
    pub stream: Option<String>,
    pub ttl: Option<TimeToLive>,
    pub tags: BTreeMap<String, String>,
    pub deletion_protection: bool,
    pub table_class: String,
    pub items: BTreeMap<StoredKey, Item>,
    pub size_bytes: u64,
    /// (expiry epoch seconds, key) for items whose TTL attribute is a number.
    ttl_schedule: BTreeSet<(u64, StoredKey)>,
    /// Replication: the write log position, partitions with their replicas, older versions.
    lsn: u64,
    partitions: PartitionMap,
    versions: VersionChains,
    replication: Arc<ReplicationConfig>,
    /// Replica choice and lag draws, seeded from the emulator's RNG when the table was created.
    rng: Mutex<ChaCha8Rng>,
    /// Scripted staleness: key → eventual reads still to serve stale.
    scripted: Mutex<HashMap<StoredKey, u32>>,
    /// Each partition's hard limits, one set per partition.
    buckets: Mutex<Vec<Buckets>>,
    /// A provisioned table's own throughput, which every partition draws on (adaptive
    /// capacity); empty for on-demand tables.
    provisioned: Mutex<Buckets>,
    /// On-demand tables' own per-second limits.
    on_demand: Mutex<OnDemandLimits>,
    /// The buckets of each global secondary index with its own provisioned throughput (one set
    /// per index: an index's own partitions are not modelled). A write that must update an
    /// index whose write bucket is in debt is throttled, as DynamoDB throttles base-table
    /// writes on an under-provisioned GSI; reads of the index draw on its read bucket.
    gsi_buckets: Mutex<BTreeMap<String, Buckets>>,
    /// Tables with local secondary indexes: bytes per item collection (partition key), table
    /// items and LSI entries together, limited to 10 GB.
    collections: HashMap<super::KeyValue, u64>,
    pub collection_limit: u64,
    capacity: Arc<CapacityConfig>,
}

/// Everything CreateTable decides about a new table.
pub struct TableSpec {
    pub name: String,
    pub arn: String,
    pub id: String,
    pub schema: KeySchema,
    pub attribute_definitions: Vec<(String, ScalarType)>,
    pub billing_mode: BillingMode,
    pub throughput: Throughput,
    pub created_at: Duration,
    pub gsis: Vec<IndexDefinition>,
    pub lsis: Vec<IndexDefinition>,
    pub stream: Option<String>,
    pub tags: BTreeMap<String, String>,
    pub deletion_protection: bool,
    pub table_class: String,
    pub replication: Arc<ReplicationConfig>,
    /// Seed of the table's own RNG (drawn from the emulator's).
    pub seed: u64,
    pub capacity: Arc<CapacityConfig>,
    /// Item collection size limit for tables with LSIs (DynamoDB: 10 GB).
    pub collection_limit: u64,
}

/// The most partitions throughput alone gives a table. At DynamoDB's default quotas a table
/// needs at most 54 (40,000 RCU and 40,000 WCU); the cap keeps raised quotas from turning one
/// request into an unbounded allocation (beyond it, a partition serves more than DynamoDB's
/// per-partition share).
pub const MAX_THROUGHPUT_PARTITIONS: usize = 1024;

/// Partitions a table starts with: DynamoDB's rule of thumb of 3,000 RCU and 1,000 WCU per
/// partition (on-demand tables start sized for 12,000 RCU and 4,000 WCU), at most
/// [`MAX_THROUGHPUT_PARTITIONS`].
pub fn initial_partitions(billing: BillingMode, t: Throughput) -> usize {
    let (r, w) = match billing {
        BillingMode::PayPerRequest => (12_000, 4_000),
        BillingMode::Provisioned => (t.read, t.write),
    };
    ((r as f64 / 3000.0 + w as f64 / 1000.0).ceil() as usize).clamp(1, MAX_THROUGHPUT_PARTITIONS)
}

/// Two sequences sorted by `key` merged in order (descending with `desc`); an element whose
/// key is in both comes once, from `a`. Lazy, so a page that stops early reads no further.
fn merge_sorted<T, K: Ord + ?Sized>(
    a: impl Iterator<Item = T>,
    b: impl Iterator<Item = T>,
    desc: bool,
    key: impl Fn(&T) -> &K,
) -> impl Iterator<Item = T> {
    let (mut a, mut b) = (a.peekable(), b.peekable());
    std::iter::from_fn(move || match (a.peek(), b.peek()) {
        (None, None) => None,
        (Some(_), None) => a.next(),
        (None, Some(_)) => b.next(),
        (Some(x), Some(y)) => {
            let order = key(x).cmp(key(y));
            match if desc { order.reverse() } else { order } {
                std::cmp::Ordering::Less => a.next(),
                std::cmp::Ordering::Greater => b.next(),
                std::cmp::Ordering::Equal => {
                    b.next();
                    a.next()
                }
            }
        }
    })
}

/// Where a read is served from.
#[derive(Debug, Clone)]
pub struct ReadView {
    kind: ViewKind,
    /// A strongly consistent read: never scripted stale.
    consistent: bool,
    /// What the debug headers report.
    pub info: ReadInfo,
}

#[derive(Debug, Clone, Copy)]
enum ViewKind {
    /// The leader: every write.
    Current,
    /// Replica `r` of each partition, at its applied position.
    Replica(usize),
    /// Only writes committed at or before the cutoff (None: nothing recent at all).
    WorstCase(Option<Duration>),
    /// The global secondary index feed at a position.
    Gsi(u64),
}

impl Table {
    pub fn new(spec: TableSpec) -> Table {
        Table {
            name: spec.name,
            arn: spec.arn,
            id: spec.id,
            schema: spec.schema,
            attribute_definitions: spec.attribute_definitions,
            billing_mode: spec.billing_mode,
            throughput: spec.throughput,
            created_at: spec.created_at,
            transient_until: None,
            last_increase: None,
            last_decrease: None,
            decreases_today: 0,
            billing_mode_changed_at: None,
            gsis: spec.gsis,
            lsis: spec.lsis,
            stream: spec.stream,
            ttl: None,
            tags: spec.tags,
            deletion_protection: spec.deletion_protection,
            table_class: spec.table_class,
            items: BTreeMap::new(),
            size_bytes: 0,
            ttl_schedule: BTreeSet::new(),
            lsn: 0,
            partitions: PartitionMap::new(initial_partitions(spec.billing_mode, spec.throughput)),
            versions: VersionChains::default(),
            replication: spec.replication,
            rng: Mutex::new(ChaCha8Rng::seed_from_u64(spec.seed)),
            scripted: Mutex::new(HashMap::new()),
            buckets: Mutex::new(Vec::new()),
            provisioned: Mutex::new(Buckets::table(None, spec.created_at)),
            on_demand: Mutex::new(OnDemandLimits::new()),
            gsi_buckets: Mutex::new(BTreeMap::new()),
            collections: HashMap::new(),
            collection_limit: spec.collection_limit,
            capacity: spec.capacity,
        }
        .with_buckets(spec.created_at)
    }

    fn with_buckets(self, now: Duration) -> Table {
        let n = self.partitions.parts.len();
        *self.buckets.lock() = (0..n).map(|_| Buckets::partition(now)).collect();
        *self.provisioned.lock() = Buckets::table(self.throughput_rates(), now);
        *self.gsi_buckets.lock() = self
            .gsi_shares()
            .map(|(name, share)| (name, Buckets::new(Some(share), now)))
            .collect();
        self.capacity
            .usage
            .provision(&self.name, self.throughput_rates());
        self
    }

    /// The (RCU, WCU) of each GSI with its own throughput (provisioned tables only).
    fn gsi_shares(&self) -> impl Iterator<Item = (String, (f64, f64))> + '_ {
        self.gsis
            .iter()
            .filter_map(move |g| match (self.billing_mode, g.throughput) {
                (BillingMode::Provisioned, Some(t)) => {
                    Some((g.name.clone(), (t.read as f64, t.write as f64)))
                }
                _ => None,
            })
    }

    /// A provisioned table's (RCU, WCU) per second (None: on-demand).
    fn throughput_rates(&self) -> Option<(f64, f64)> {
        match self.billing_mode {
            BillingMode::Provisioned => {
                Some((self.throughput.read as f64, self.throughput.write as f64))
            }
            BillingMode::PayPerRequest => None,
        }
    }

    /// Splits partitions until there are as many as the provisioned throughput needs (DynamoDB
    /// splits partitions when throughput rises; it never merges them).
    pub fn grow_for_throughput(&mut self, now: Duration) {
        let needed = initial_partitions(self.billing_mode, self.throughput);
        while self.partitions.parts.len() < needed {
            // Split the widest token range in half.
            let n = self.partitions.parts.len();
            let (i, width) = (0..n)
                .map(|i| {
                    let (start, end) = self.partitions.range_of(i);
                    (i, end.unwrap_or(u64::MAX) - start)
                })
                .max_by_key(|(_, w)| *w)
                .expect("a table has partitions");
            if width < 2 {
                break;
            }
            let (start, _) = self.partitions.range_of(i);
            let mid = start + width / 2;
            let lo = StoredKey {
                token: mid,
                ..StoredKey::min()
            };
            let hi = self.partitions.range_of(i).1.map(|e| StoredKey {
                token: e,
                ..StoredKey::min()
            });
            let (mut bytes, mut items) = (0u64, 0u64);
            let range = match hi {
                Some(h) => self.items.range(lo..h),
                None => self.items.range(lo..),
            };
            for (_, v) in range {
                bytes += item_size(v) as u64;
                items += 1;
            }
            self.partitions.split(i, mid, bytes, items);
            // Each half has a partition's own hard limits, starting where the whole was.
            let mut buckets = self.buckets.lock();
            let copy = buckets[i].clone();
            buckets.insert(i + 1, copy);
        }
        self.reprovision(now);
    }

    /// Applies a throughput or billing change to every partition's buckets, and to the
    /// indexes' (GSIs created, deleted or re-provisioned included).
    pub fn reprovision(&self, now: Duration) {
        self.provisioned
            .lock()
            .reprovision(self.throughput_rates(), now);
        self.capacity
            .usage
            .provision(&self.name, self.throughput_rates());
        let shares: BTreeMap<String, (f64, f64)> = self.gsi_shares().collect();
        let mut gsi = self.gsi_buckets.lock();
        gsi.retain(|name, _| shares.contains_key(name));
        for (name, share) in shares {
            gsi.entry(name)
                .and_modify(|b| b.reprovision(Some(share), now))
                .or_insert_with(|| Buckets::new(Some(share), now));
        }
    }

    /// Whether a read or write on the partition holding `token` may proceed, or DynamoDB's
    /// throttling error: the table's throughput (provisioned with its burst, or on-demand) and
    /// the partition's hard limit must both have capacity left.
    pub fn admit(&self, op: &str, token: u64, kind: Kind, now: Duration) -> Result<()> {
        if !self.capacity.throttling() {
            return Ok(());
        }
        let table_ok = match self.billing_mode {
            BillingMode::Provisioned => self.provisioned.lock().admit(kind, now),
            BillingMode::PayPerRequest => self.on_demand.lock().admit(kind, now),
        };
        let limit = if !table_ok {
            match self.billing_mode {
                BillingMode::Provisioned => Limit::TableThroughput,
                BillingMode::PayPerRequest => Limit::OnDemandThroughput,
            }
        } else if !self.buckets.lock()[self.partitions.index_of(token)].admit(kind, now) {
            Limit::PartitionLimit
        } else {
            return Ok(());
        };
        self.capacity
            .usage
            .throttled(&self.name, op, kind == Kind::Read, limit, now);
        let mut e = self.throttled();
        e.throttle = Some(limit);
        Err(e)
    }

    /// Whether the index writes of a change may proceed: every GSI with its own throughput that
    /// the change writes must have write capacity left, or the write is throttled.
    pub fn admit_index_writes(&self, op: &str, cost: &Consumed, now: Duration) -> Result<()> {
        if !self.capacity.throttling() || cost.gsis.is_empty() {
            return Ok(());
        }
        let mut gsi = self.gsi_buckets.lock();
        for (name, units) in &cost.gsis {
            if *units > 0.0
                && gsi
                    .get_mut(name)
                    .is_some_and(|b| !b.admit(Kind::Write, now))
            {
                self.capacity
                    .usage
                    .throttled(&self.name, op, false, Limit::IndexThroughput, now);
                let mut e = DynamoError::new(
                    ErrorKind::ProvisionedThroughputExceeded,
                    "The level of configured provisioned throughput for one or more global secondary indexes of the table was exceeded. Consider increasing your provisioning level for the under-provisioned global secondary indexes with the UpdateTable API",
                );
                e.throttle = Some(Limit::IndexThroughput);
                return Err(e);
            }
        }
        Ok(())
    }

    /// Admits a read of the table (`index` None or an LSI: the table's partition) or of a GSI
    /// with its own throughput (its bucket).
    pub fn admit_read(
        &self,
        op: &str,
        index: Option<&str>,
        token: u64,
        now: Duration,
    ) -> Result<()> {
        if let Some(b) = index.and_then(|i| {
            self.gsi_buckets
                .lock()
                .get_mut(i)
                .map(|b| b.admit(Kind::Read, now))
        }) {
            if b || !self.capacity.throttling() {
                return Ok(());
            }
            self.capacity
                .usage
                .throttled(&self.name, op, true, Limit::IndexThroughput, now);
            let mut e = self.throttled();
            e.throttle = Some(Limit::IndexThroughput);
            return Err(e);
        }
        self.admit(op, token, Kind::Read, now)
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
        let charged = index.is_some_and(|i| {
            self.gsi_buckets
                .lock()
                .get_mut(i)
                .map(|b| b.charge(Kind::Read, units, now))
                .is_some()
        });
        if charged {
            self.capacity
                .usage
                .consumed(&self.name, op, true, units, &BTreeMap::new(), now);
        } else {
            self.charge(op, token, Kind::Read, units, now);
        }
    }

    /// The error a throttled request gets.
    pub fn throttled(&self) -> DynamoError {
        DynamoError::new(
            ErrorKind::ProvisionedThroughputExceeded,
            match self.billing_mode {
                BillingMode::Provisioned => "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.",
                BillingMode::PayPerRequest => "Throughput exceeds the current capacity of your table or index. DynamoDB is automatically scaling your table or index so please try again shortly. If exceptions persist, check if you have a hot key: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html.",
            },
        )
    }

    /// Charges `units` to the partition holding `token`.
    pub fn charge(&self, op: &str, token: u64, kind: Kind, units: f64, now: Duration) {
        let p = self.partitions.index_of(token);
        self.buckets.lock()[p].charge(kind, units, now);
        match self.billing_mode {
            BillingMode::Provisioned => self.provisioned.lock().charge(kind, units, now),
            BillingMode::PayPerRequest => self.on_demand.lock().charge(kind, units, now),
        }
        self.capacity.usage.consumed(
            &self.name,
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
            let mut gsi = self.gsi_buckets.lock();
            for (name, units) in &cost.gsis {
                if let Some(b) = gsi.get_mut(name) {
                    b.charge(Kind::Write, *units, now);
                }
            }
        }
        let mut idx = cost.gsis.clone();
        idx.extend(cost.lsis.clone());
        if !idx.is_empty() {
            self.capacity
                .usage
                .consumed(&self.name, op, false, 0.0, &idx, now);
        }
    }

    /// Records a Query or Scan page for the usage report.
    pub fn record_page(&self, read: usize, returned: usize, bytes: usize) {
        self.capacity.usage.page(&self.name, read, returned, bytes);
    }

    /// Write units an item change costs on each secondary index: an entry added or removed is
    /// one write of the projected size; a changed entry with the same key is one write; a moved
    /// entry (its index key changed) is a delete plus a put; an untouched entry costs nothing.
    pub fn index_write_cost(&self, old: Option<&Item>, new: Option<&Item>) -> Consumed {
        let mut c = Consumed::default();
        for (idx, global) in self
            .gsis
            .iter()
            .map(|i| (i, true))
            .chain(self.lsis.iter().map(|i| (i, false)))
        {
            let o = old.and_then(|i| idx.entry_key(i).map(|k| (k, idx.project(i, &self.schema))));
            let n = new.and_then(|i| idx.entry_key(i).map(|k| (k, idx.project(i, &self.schema))));
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

    /// The status at `now`: transient statuses end when their delay has passed.
    pub fn status(&self, now: Duration) -> TableStatus {
        match self.transient_until {
            Some((status, until)) if now < until => status,
            _ => TableStatus::Active,
        }
    }

    pub fn item_count(&self) -> usize {
        self.items.len()
    }

    pub fn get(&self, key: &StoredKey) -> Option<&Item> {
        self.items.get(key)
    }

    /// Stores an item (replacing any previous one) as of `now`, maintaining indexes, size, TTL
    /// schedule and replication.
    pub fn put(&mut self, key: StoredKey, item: Item, now: Duration) -> Option<Item> {
        let old = self.unlink(&key);
        self.link(key.clone(), item);
        self.replicate(&key, old.clone(), now);
        old
    }

    /// Removes an item as of `now`, maintaining indexes, size, TTL schedule and replication.
    pub fn delete(&mut self, key: &StoredKey, now: Duration) -> Option<Item> {
        let old = self.unlink(key)?;
        self.replicate(key, Some(old.clone()), now);
        Some(old)
    }

    fn link(&mut self, key: StoredKey, item: Item) {
        let size = item_size(&item) as u64;
        if !self.lsis.is_empty() {
            let c = self.collection_bytes(&item);
            *self.collections.entry(key.hash.clone()).or_default() += c;
        }
        self.size_bytes += size;
        let p = self.partitions.index_of(key.token);
        self.partitions.parts[p].bytes += size;
        self.partitions.parts[p].items += 1;
        let schema = &self.schema;
        for idx in self.gsis.iter_mut().chain(self.lsis.iter_mut()) {
            idx.add(&key, &item, schema);
        }
        if let Some(expiry) = self.expiry_of(&item) {
            self.ttl_schedule.insert((expiry, key.clone()));
        }
        self.items.insert(key, item);
    }

    fn unlink(&mut self, key: &StoredKey) -> Option<Item> {
        let old = self.items.remove(key)?;
        let size = item_size(&old) as u64;
        if !self.lsis.is_empty() {
            let c = self.collection_bytes(&old);
            if let Some(total) = self.collections.get_mut(&key.hash) {
                *total = total.saturating_sub(c);
                if *total == 0 {
                    self.collections.remove(&key.hash);
                }
            }
        }
        self.size_bytes = self.size_bytes.saturating_sub(size);
        let p = self.partitions.index_of(key.token);
        let part = &mut self.partitions.parts[p];
        part.bytes = part.bytes.saturating_sub(size);
        part.items = part.items.saturating_sub(1);
        let schema = &self.schema;
        for idx in self.gsis.iter_mut().chain(self.lsis.iter_mut()) {
            idx.remove(key, &old, schema);
        }
        if let Some(expiry) = self.expiry_of(&old) {
            self.ttl_schedule.remove(&(expiry, key.clone()));
        }
        Some(old)
    }

    /// Records a write for the replicas: the leader and one follower have it at once, the other
    /// follower after a drawn lag, the GSI feed after its own lag.
    fn replicate(&mut self, key: &StoredKey, before: Option<Item>, now: Duration) {
        self.lsn += 1;
        let lsn = self.lsn;
        let settings = self.replication.settings();
        let scripted = self.scripted.lock().get(key).is_some_and(|n| *n > 0);
        if settings.consistency == Consistency::Strong && !scripted {
            self.settle();
            self.maybe_split(key.token, &settings, now);
            return;
        }
        self.versions.record(key, lsn, before);
        let p = self.partitions.index_of(key.token);
        {
            let mut rng = self.rng.lock();
            let part = &mut self.partitions.parts[p];
            part.replicas[0].push(lsn, now);
            if let LagModel::Stalls { .. } = settings.table_lag {
                // Both followers get the write; it is acknowledged once the faster has it.
                let mut lags = [Duration::ZERO; REPLICAS];
                for (r, lag) in lags.iter_mut().enumerate().skip(1) {
                    *lag = settings
                        .table_lag
                        .lag(&mut part.replicas[r].stall, now, &mut rng);
                }
                let sync = if lags[1] <= lags[2] { 1 } else { 2 };
                lags[sync] = Duration::ZERO;
                for (r, lag) in lags.iter().enumerate().skip(1) {
                    part.replicas[r].push(lsn, now + *lag);
                }
            } else {
                let sync = rng.gen_range(1..REPLICAS);
                for r in 1..REPLICAS {
                    let lag = if r == sync {
                        Duration::ZERO
                    } else {
                        settings.table_lag.draw(&mut rng)
                    };
                    part.replicas[r].push(lsn, now + lag);
                }
            }
            part.commits.push(lsn, now);
            let gsi_lag = settings
                .gsi_lag
                .lag(&mut self.partitions.gsi_feed.stall, now, &mut rng);
            self.partitions.gsi_feed.push(lsn, now + gsi_lag);
            self.partitions.gsi_commits.push(lsn, now);
        }
        self.collect(now, &settings);
        self.maybe_split(key.token, &settings, now);
    }

    /// Drops versions and queue entries no reader can see any more.
    fn collect(&mut self, now: Duration, settings: &crate::replication::Settings) {
        let table_cutoff = now.checked_sub(settings.table_lag.window());
        let gsi_cutoff = now.checked_sub(settings.gsi_lag.window());
        let mut frontier = self.lsn;
        for part in &mut self.partitions.parts {
            for r in &mut part.replicas {
                r.advance(now);
                frontier = frontier.min(r.position(now));
            }
            part.commits.advance(table_cutoff);
            frontier = frontier.min(part.commits.position_at(table_cutoff));
        }
        self.partitions.gsi_feed.advance(now);
        self.partitions.gsi_commits.advance(gsi_cutoff);
        frontier = frontier
            .min(self.partitions.gsi_feed.position(now))
            .min(self.partitions.gsi_commits.position_at(gsi_cutoff));
        let scripted = self.scripted.lock();
        self.versions
            .collect(frontier, |k| scripted.get(k).is_some_and(|n| *n > 0));
    }

    /// Applies every pending write on every replica now (the emulator's `settle`).
    pub fn settle(&mut self) {
        let lsn = self.lsn;
        for part in &mut self.partitions.parts {
            for r in &mut part.replicas {
                r.settle(lsn);
            }
            part.commits.settle(lsn);
        }
        self.partitions.gsi_feed.settle(lsn);
        self.partitions.gsi_commits.settle(lsn);
        let scripted = self.scripted.lock();
        if scripted.values().all(|n| *n == 0) {
            drop(scripted);
            self.versions.clear();
        } else {
            self.versions
                .collect(lsn, |k| scripted.get(k).is_some_and(|n| *n > 0));
        }
    }

    /// Splits a partition that outgrew the partition size, at its median item.
    /// Splits the partition holding `token` when it outgrew its size, or when it has been hot
    /// (half its hard limit or more) for a minute: DynamoDB splits for size and for heat, so a
    /// hot range of keys gets twice the capacity. A single hot key does not: the split point
    /// must fall between two distinct partition keys.
    fn maybe_split(&mut self, token: u64, settings: &crate::replication::Settings, now: Duration) {
        let p = self.partitions.index_of(token);
        if self.partitions.parts[p].items < 2 {
            return;
        }
        if self.partitions.parts[p].bytes > settings.partition_bytes {
            self.split_at_median(p, |_, size| size);
            return;
        }
        let hot = self.buckets.lock()[p].hot_for_split(now);
        if hot && self.split_at_median(p, |_, _| 1) {
            let mut buckets = self.buckets.lock();
            buckets[p].cool();
            buckets[p + 1].cool();
        }
    }

    /// Splits partition `p` at the first token past half its weight (`weight` of each item:
    /// its bytes, or 1 to split by count), between two distinct tokens; whether it split.
    fn split_at_median(&mut self, p: usize, weight: impl Fn(u64, u64) -> u64) -> bool {
        let (start, end) = self.partitions.range_of(p);
        let lo = StoredKey {
            token: start,
            ..StoredKey::min()
        };
        let hi = match end {
            Some(e) => Bound::Excluded(StoredKey {
                token: e,
                ..StoredKey::min()
            }),
            None => Bound::Unbounded,
        };
        let tokens: Vec<(u64, u64)> = self
            .items
            .range((Bound::Included(lo), hi))
            .map(|(k, v)| (k.token, item_size(v) as u64))
            .collect();
        let total: u64 = tokens.iter().map(|(t, size)| weight(*t, *size)).sum();
        let half = total / 2;
        let mut acc = 0;
        for (i, (t, size)) in tokens.iter().enumerate() {
            acc += weight(*t, *size);
            if acc >= half && i + 1 < tokens.len() && tokens[i + 1].0 > *t {
                let split_at = tokens[i + 1].0;
                let right: Vec<&(u64, u64)> =
                    tokens.iter().filter(|(tk, _)| *tk >= split_at).collect();
                let bytes_right = right.iter().map(|(_, s)| s).sum();
                self.partitions
                    .split(p, split_at, bytes_right, right.len() as u64);
                // Each half has a partition's own hard limits, starting where the whole was.
                let mut buckets = self.buckets.lock();
                let copy = buckets[p].clone();
                buckets.insert(p + 1, copy);
                return true;
            }
        }
        false
    }

    /// Checks that everything derived from the items still matches them: the table's size,
    /// each partition's item count and bytes, each index's entries and size, the TTL schedule,
    /// the item collections, one set of token buckets per partition, and the version chains.
    /// Debug builds run it after every operation (TigerBeetle's state checker, in miniature),
    /// so a test that breaks bookkeeping fails at the request that broke it, not at some
    /// later read that happens to notice. A failure is an emulator bug.
    pub fn check_invariants(&self) -> std::result::Result<(), String> {
        let size: u64 = self.items.values().map(|i| item_size(i) as u64).sum();
        if size != self.size_bytes {
            return Err(format!(
                "TableSizeBytes is {}, the items sum to {size}",
                self.size_bytes
            ));
        }
        let mut parts = vec![(0u64, 0u64); self.partitions.parts.len()];
        for (k, v) in &self.items {
            let p = &mut parts[self.partitions.index_of(k.token)];
            p.0 += 1;
            p.1 += item_size(v) as u64;
        }
        for (i, (items, bytes)) in parts.into_iter().enumerate() {
            let p = &self.partitions.parts[i];
            if (p.items, p.bytes) != (items, bytes) {
                return Err(format!(
                    "partition {i} counts {} items of {} bytes, it holds {items} of {bytes}",
                    p.items, p.bytes
                ));
            }
        }
        for idx in self.gsis.iter().chain(self.lsis.iter()) {
            let mut entries = BTreeSet::new();
            let mut bytes = 0u64;
            for (k, v) in &self.items {
                if let Some(ik) = idx.entry_key(v) {
                    entries.insert((ik, k.clone()));
                    bytes += item_size(&idx.project(v, &self.schema)) as u64 + INDEX_ITEM_OVERHEAD;
                }
            }
            if entries != idx.entries {
                return Err(format!(
                    "index {} has {} entries, its items give {}",
                    idx.name,
                    idx.entries.len(),
                    entries.len()
                ));
            }
            if bytes != idx.size_bytes {
                return Err(format!(
                    "index {} counts {} bytes, its entries hold {bytes}",
                    idx.name, idx.size_bytes
                ));
            }
        }
        let schedule: BTreeSet<(u64, StoredKey)> = self
            .items
            .iter()
            .filter_map(|(k, v)| self.expiry_of(v).map(|e| (e, k.clone())))
            .collect();
        if schedule != self.ttl_schedule {
            return Err(format!(
                "the TTL schedule has {} entries, the items give {}",
                self.ttl_schedule.len(),
                schedule.len()
            ));
        }
        if !self.lsis.is_empty() {
            let mut collections: HashMap<super::KeyValue, u64> = HashMap::new();
            for (k, v) in &self.items {
                *collections.entry(k.hash.clone()).or_default() += self.collection_bytes(v);
            }
            if collections != self.collections {
                return Err("item collection sizes do not match their items".into());
            }
        }
        let buckets = self.buckets.lock().len();
        if buckets != self.partitions.parts.len() {
            return Err(format!(
                "{buckets} sets of token buckets for {} partitions",
                self.partitions.parts.len()
            ));
        }
        self.versions.check_invariants()
    }

    /// What an item adds to its item collection: its own size and its LSI entries.
    fn collection_bytes(&self, item: &Item) -> u64 {
        let entries: u64 = self
            .lsis
            .iter()
            .filter(|i| i.entry_key(item).is_some())
            .map(|i| item_size(&i.project(item, &self.schema)) as u64 + INDEX_ITEM_OVERHEAD)
            .sum();
        item_size(item) as u64 + entries
    }

    /// Checks that replacing `old` by `new` keeps the item collection within its limit (tables
    /// with LSIs only): `ItemCollectionSizeLimitExceededException` otherwise.
    pub fn check_collection(&self, key: &StoredKey, old: Option<&Item>, new: &Item) -> Result<()> {
        if self.lsis.is_empty() {
            return Ok(());
        }
        let current = self.collections.get(&key.hash).copied().unwrap_or(0);
        let after = current
            - old
                .map(|o| self.collection_bytes(o))
                .unwrap_or(0)
                .min(current)
            + self.collection_bytes(new);
        if after > self.collection_limit {
            return Err(DynamoError::new(
                ErrorKind::ItemCollectionSizeLimitExceeded,
                "Collection size exceeded.",
            ));
        }
        Ok(())
    }

    /// `ItemCollectionMetrics` for a write to `key` (tables with LSIs only): the collection key
    /// and DynamoDB's size estimate range in GB.
    pub fn collection_metrics(&self, key: &StoredKey) -> Option<serde_json::Value> {
        if self.lsis.is_empty() {
            return None;
        }
        let gb = self.collections.get(&key.hash).copied().unwrap_or(0) as f64 / (1u64 << 30) as f64;
        let low = gb.floor();
        Some(serde_json::json!({
            "ItemCollectionKey": { self.schema.hash.name.clone(): key.hash.to_attribute() },
            "SizeEstimateRangeGB": [low, low + 1.0],
        }))
    }

    /// Makes the next `reads` eventually consistent reads of `key` return the version before
    /// its latest write. Under the `strong` preset, which keeps no history, only writes made
    /// after the script keep the version it needs; other presets keep versions for their lag
    /// window, so a write just before the script works too.
    pub fn script_stale_reads(&self, key: StoredKey, reads: u32) {
        let mut scripted = self.scripted.lock();
        if reads == 0 {
            scripted.remove(&key);
        } else {
            scripted.insert(key, reads);
        }
    }

    // ----- reads -----

    /// Chooses where a read is served from: the leader for strongly consistent reads, else by
    /// the consistency preset (a random replica, or the worst-case window), or the GSI feed.
    pub fn read_view(&self, consistent: bool, gsi: bool, now: Duration) -> ReadView {
        let settings = self.replication.settings();
        let leader = || ReadView {
            kind: ViewKind::Current,
            consistent,
            info: ReadInfo {
                replica: "leader",
                ..Default::default()
            },
        };
        if consistent
            || settings.consistency == Consistency::Strong
            || self.versions.is_empty() && !gsi
        {
            return leader();
        }
        match (settings.consistency, gsi) {
            (Consistency::WorstCase, false) => ReadView {
                kind: ViewKind::WorstCase(now.checked_sub(settings.table_lag.window())),
                consistent,
                info: ReadInfo {
                    replica: "worst-case",
                    ..Default::default()
                },
            },
            (Consistency::WorstCase, true) => {
                let pos = self
                    .partitions
                    .gsi_commits
                    .position_at(now.checked_sub(settings.gsi_lag.window()));
                ReadView {
                    kind: ViewKind::Gsi(pos),
                    consistent,
                    info: self.info_for(
                        "gsi",
                        pos,
                        now,
                        self.partitions.gsi_commits.first_after(pos),
                    ),
                }
            }
            (_, true) => {
                let pos = self.partitions.gsi_feed.position(now);
                ReadView {
                    kind: ViewKind::Gsi(pos),
                    consistent,
                    info: self.info_for(
                        "gsi",
                        pos,
                        now,
                        self.partitions.gsi_commits.first_after(pos),
                    ),
                }
            }
            _ => {
                let r = self.rng.lock().gen_range(0..REPLICAS);
                ReadView {
                    kind: ViewKind::Replica(r),
                    consistent,
                    info: ReadInfo {
                        replica: ["leader", "replica-1", "replica-2"][r],
                        ..Default::default()
                    },
                }
            }
        }
    }

    fn info_for(
        &self,
        replica: &'static str,
        pos: u64,
        now: Duration,
        first_missed: Option<Duration>,
    ) -> ReadInfo {
        ReadInfo {
            replica,
            stale: pos < self.lsn,
            behind: if pos < self.lsn {
                first_missed
                    .map(|t| now.saturating_sub(t))
                    .unwrap_or_default()
            } else {
                Duration::ZERO
            },
        }
    }

    /// The log position a view sees for the partition holding `token` (None: current).
    fn position(&self, view: &ReadView, token: u64, now: Duration) -> Option<u64> {
        match view.kind {
            ViewKind::Current => None,
            ViewKind::Gsi(pos) => Some(pos),
            ViewKind::Replica(r) => {
                let part = &self.partitions.parts[self.partitions.index_of(token)];
                Some(part.replicas[r].position(now))
            }
            ViewKind::WorstCase(cutoff) => {
                let part = &self.partitions.parts[self.partitions.index_of(token)];
                Some(part.commits.position_at(cutoff))
            }
        }
    }

    /// GetItem through a view, with scripted staleness; updates `view.info` for this key.
    pub fn get_in(&self, view: &mut ReadView, key: &StoredKey, now: Duration) -> Option<&Item> {
        let current = self.items.get(key);
        if !view.consistent {
            let mut scripted = self.scripted.lock();
            if let Some(n) = scripted.get_mut(key).filter(|n| **n > 0) {
                *n -= 1;
                if *n == 0 {
                    scripted.remove(key);
                }
                if let Some(latest) = self.versions.latest_write(key) {
                    view.info = ReadInfo {
                        replica: "scripted",
                        stale: true,
                        behind: Duration::ZERO,
                    };
                    return self.versions.at(key, latest - 1, current);
                }
            }
        }
        match self.position(view, key.token, now) {
            None => current,
            Some(pos) => {
                let part = &self.partitions.parts[self.partitions.index_of(key.token)];
                if let ViewKind::Replica(r) = view.kind {
                    view.info =
                        self.info_for(view.info.replica, pos, now, part.commits.first_after(pos));
                    let _ = r;
                } else if let ViewKind::WorstCase(_) = view.kind {
                    view.info =
                        self.info_for("worst-case", pos, now, part.commits.first_after(pos));
                }
                view.info.stale = self.versions.latest_write(key).is_some_and(|l| l > pos);
                self.versions.at(key, pos, current)
            }
        }
    }

    /// Items of a key range as a view sees them, in key order (reversed if asked).
    pub fn range_in<'a>(
        &'a self,
        view: &ReadView,
        lo: Bound<StoredKey>,
        hi: Bound<StoredKey>,
        reverse: bool,
        now: Duration,
    ) -> Box<dyn Iterator<Item = (&'a StoredKey, &'a Item)> + 'a> {
        if matches!(view.kind, ViewKind::Current)
            || self
                .versions
                .keys_in((lo.clone(), hi.clone()))
                .next()
                .is_none()
        {
            let r = self.items.range((lo, hi));
            return if reverse {
                Box::new(r.rev())
            } else {
                Box::new(r)
            };
        }
        // Union of current keys and keys with older versions, each at the view's position,
        // merged lazily: a page that stops after a few items reads only those.
        let items = self.items.range((lo.clone(), hi.clone())).map(|(k, _)| k);
        let versioned = self.versions.keys_in((lo, hi));
        let keys: Box<dyn Iterator<Item = &'a StoredKey> + 'a> = if reverse {
            Box::new(merge_sorted(items.rev(), versioned.rev(), true, |k| *k))
        } else {
            Box::new(merge_sorted(items, versioned, false, |k| *k))
        };
        let view = view.clone();
        Box::new(keys.filter_map(move |k| {
            let pos = self.position(&view, k.token, now)?;
            self.versions.at(k, pos, self.items.get(k)).map(|v| (k, v))
        }))
    }

    /// Entries of a secondary index range as a view sees them: (index key, item), in index order
    /// (reversed if asked).
    pub fn index_range_in<'a>(
        &'a self,
        view: &ReadView,
        idx: &'a IndexDefinition,
        lo: Bound<(StoredKey, StoredKey)>,
        hi: Bound<(StoredKey, StoredKey)>,
        reverse: bool,
        now: Duration,
    ) -> Box<dyn Iterator<Item = (StoredKey, &'a Item)> + 'a> {
        if matches!(view.kind, ViewKind::Current) || self.versions.is_empty() {
            let r = idx.entries.range((lo, hi));
            let items = &self.items;
            let it = r.filter_map(move |(ik, tk)| items.get(tk).map(|v| (ik.clone(), v)));
            return if reverse {
                Box::new(it.rev())
            } else {
                Box::new(it)
            };
        }
        let in_range = |k: &(StoredKey, StoredKey)| {
            (match &lo {
                Bound::Included(l) => k >= l,
                Bound::Excluded(l) => k > l,
                Bound::Unbounded => true,
            }) && (match &hi {
                Bound::Included(h) => k <= h,
                Bound::Excluded(h) => k < h,
                Bound::Unbounded => true,
            })
        };
        // Entries as they are now, kept if the view sees the same version (lazily, so a page
        // reads only what it returns); plus entries that only exist in the past (the item
        // changed its index key, or was deleted, since), found among the recent versions. The
        // two are disjoint: a key is in the first only if the view sees its current index key.
        let view_now = view.clone();
        let current = idx
            .entries
            .range((lo.clone(), hi.clone()))
            .filter_map(move |(ik, tk)| {
                let v = match self.position(&view_now, tk.token, now) {
                    None => self.items.get(tk),
                    Some(pos) => self.versions.at(tk, pos, self.items.get(tk)),
                }?;
                (idx.entry_key(v).as_ref() == Some(ik)).then(|| ((ik.clone(), tk.clone()), v))
            });
        let mut past: Vec<((StoredKey, StoredKey), &'a Item)> = Vec::new();
        for tk in self.versions.keys_in(..) {
            let Some(pos) = self.position(view, tk.token, now) else {
                continue;
            };
            let Some(v) = self.versions.at(tk, pos, self.items.get(tk)) else {
                continue;
            };
            let Some(ik) = idx.entry_key(v) else { continue };
            let current_ik = self.items.get(tk).and_then(|c| idx.entry_key(c));
            if current_ik.as_ref() == Some(&ik) {
                continue;
            }
            let entry = (ik, tk.clone());
            if in_range(&entry) {
                past.push((entry, v));
            }
        }
        past.sort_by(|a, b| a.0.cmp(&b.0));
        let merged: Box<dyn Iterator<Item = ((StoredKey, StoredKey), &'a Item)> + 'a> = if reverse {
            Box::new(merge_sorted(
                current.rev(),
                past.into_iter().rev(),
                true,
                |e| &e.0,
            ))
        } else {
            Box::new(merge_sorted(current, past.into_iter(), false, |e| &e.0))
        };
        Box::new(merged.map(|((ik, _), v)| (ik, v)))
    }

    /// Partitions and replicas, for the inspection API.
    pub fn describe_partitions(&self, now: Duration) -> Vec<PartitionInfo> {
        (0..self.partitions.parts.len())
            .map(|i| {
                let (start, end) = self.partitions.range_of(i);
                let part = &self.partitions.parts[i];
                PartitionInfo {
                    index: i,
                    token_start: format!("{start:016x}"),
                    token_end: end.map(|e| format!("{e:016x}")),
                    item_count: part.items,
                    size_bytes: part.bytes,
                    replicas: part
                        .replicas
                        .iter()
                        .enumerate()
                        .map(|(r, q)| ReplicaInfo {
                            name: if r == 0 {
                                "leader".into()
                            } else {
                                format!("replica-{r}")
                            },
                            applied_position: q.position(now),
                            pending_writes: q.pending_at(now),
                        })
                        .collect(),
                }
            })
            .collect()
    }

    /// Write log position, versions kept and their bytes (inspection and memory figures).
    pub fn replication_stats(&self) -> (u64, usize, usize) {
        let (n, b) = self.versions.stats();
        (self.lsn, n, b)
    }

    /// The TTL expiry of an item: its TTL attribute as a number of epoch seconds. Items without it,
    /// or with a non-number, never expire (DynamoDB ignores them).
    fn expiry_of(&self, item: &Item) -> Option<u64> {
        let ttl = self.ttl.as_ref().filter(|t| t.enabled)?;
        match item.get(&ttl.attribute)? {
            AttributeValue::N(n) if !n.is_negative() => {
                let s = n.to_string();
                let whole = s.split('.').next().unwrap_or("0");
                whole.parse::<u64>().ok()
            }
            _ => None,
        }
    }

    /// Whether some item's TTL has passed at `now` (cheap: the schedule is ordered by expiry).
    pub fn has_expired_items(&self, now: Duration) -> bool {
        self.ttl_schedule
            .first()
            .is_some_and(|(e, _)| *e <= now.as_secs())
    }

    /// Rebuilds the TTL schedule after TTL settings change.
    pub fn reschedule_ttl(&mut self) {
        let mut schedule = BTreeSet::new();
        for (k, item) in &self.items {
            if let Some(e) = self.expiry_of(item) {
                schedule.insert((e, k.clone()));
            }
        }
        self.ttl_schedule = schedule;
    }

    /// Deletes every item whose TTL time has passed at `now`, as DynamoDB's background TTL
    /// process does (here exactly at expiry, so tests are deterministic). Returns how many.
    pub fn expire(&mut self, now: Duration) -> usize {
        let now_secs = now.as_secs();
        let mut n = 0;
        while let Some((expiry, key)) = self.ttl_schedule.first().cloned() {
            if expiry > now_secs {
                break;
            }
            self.ttl_schedule.pop_first();
            self.delete(&key, now);
            n += 1;
        }
        n
    }

    /// Fills a new index from the existing items (UpdateTable creating a GSI).
    pub fn backfill(&mut self, index: &mut IndexDefinition) {
        for (k, item) in &self.items {
            index.add(k, item, &self.schema);
        }
    }

    pub fn index(&self, name: &str) -> Option<&IndexDefinition> {
        self.gsis
            .iter()
            .chain(self.lsis.iter())
            .find(|i| i.name == name)
    }

    /// Type of an attribute named in AttributeDefinitions.
    pub fn attribute_type(&self, name: &str) -> Option<ScalarType> {
        self.attribute_definitions
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| *t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::key::{KeyAttribute, KeyValue};
    use crate::value::Number;

    /// A table keyed by `pk` (S) and `sk` (N), with a GSI on `g` (KEYS_ONLY) and an LSI on `l`
    /// (ALL), a TTL on `ttl`, under the realistic replication preset, partitions of 2 KB.
    fn table() -> Table {
        let attr = |name: &str, ty| KeyAttribute {
            name: name.into(),
            ty,
        };
        let schema = KeySchema {
            hash: attr("pk", ScalarType::S),
            range: Some(attr("sk", ScalarType::N)),
        };
        let projection = |ty| Projection {
            ty,
            non_key_attributes: Vec::new(),
        };
        let gsi = IndexDefinition::new(
            "g".into(),
            KeySchema {
                hash: attr("g", ScalarType::S),
                range: None,
            },
            projection(ProjectionType::KeysOnly),
            None,
        );
        let lsi = IndexDefinition::new(
            "l".into(),
            KeySchema {
                hash: attr("pk", ScalarType::S),
                range: Some(attr("l", ScalarType::S)),
            },
            projection(ProjectionType::All),
            None,
        );
        let replication = ReplicationConfig::new(crate::replication::Settings {
            partition_bytes: 2048,
            ..Default::default()
        });
        let mut t = Table::new(TableSpec {
            name: "t".into(),
            arn: "arn:aws:dynamodb:us-east-1:000000000000:table/t".into(),
            id: "id".into(),
            schema,
            attribute_definitions: Vec::new(),
            billing_mode: BillingMode::PayPerRequest,
            throughput: Throughput { read: 0, write: 0 },
            created_at: Duration::ZERO,
            gsis: vec![gsi],
            lsis: vec![lsi],
            stream: None,
            tags: BTreeMap::new(),
            deletion_protection: false,
            table_class: "STANDARD".into(),
            replication: Arc::new(replication),
            seed: 7,
            capacity: Arc::new(CapacityConfig::new(true)),
            collection_limit: u64::MAX,
        });
        t.ttl = Some(TimeToLive {
            attribute: "ttl".into(),
            enabled: true,
        });
        t
    }

    fn item(pk: &str, sk: u32, extra: &[(&str, &str)], ttl: Option<u64>) -> (StoredKey, Item) {
        let mut i = Item::new();
        i.insert("pk".into(), AttributeValue::S(pk.into()));
        i.insert(
            "sk".into(),
            AttributeValue::N(Number::parse(&sk.to_string()).expect("a number")),
        );
        for (k, v) in extra {
            i.insert((*k).into(), AttributeValue::S((*v).into()));
        }
        if let Some(e) = ttl {
            i.insert(
                "ttl".into(),
                AttributeValue::N(Number::parse(&e.to_string()).expect("a number")),
            );
        }
        let key = KeySchema::key_from_item(&table().schema, &i).expect("a key");
        (key, i)
    }

    #[test]
    fn every_write_keeps_sizes_indexes_ttl_and_collections_in_step() {
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
            let (key, i) = item(&pk, n % 11, &extra, (n % 5 == 0).then_some(100 + n as u64));
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
        assert!(t.partitions.parts.len() > 1, "the table split");
        // TTL expiry deletes through the same path.
        assert!(t.expire(Duration::from_secs(200)) > 0);
        t.check_invariants().expect("after TTL expiry");
        t.settle();
        t.check_invariants().expect("after settling");
    }

    #[test]
    fn the_checker_notices_broken_bookkeeping() {
        let mut t = table();
        let (key, i) = item("a", 1, &[("g", "x")], None);
        t.put(key, i, Duration::from_secs(1));
        t.check_invariants().expect("consistent");
        t.size_bytes += 1;
        assert!(t.check_invariants().unwrap_err().contains("TableSizeBytes"));
        t.size_bytes -= 1;
        t.gsis[0].entries.clear();
        assert!(t.check_invariants().unwrap_err().contains("index g"));
    }

    #[test]
    fn merging_sorted_keys_keeps_the_order_and_each_key_once() {
        let keys: Vec<StoredKey> = (0..40)
            .map(|i| StoredKey::new(KeyValue::S(format!("k{i}")), None))
            .collect();
        let mut sorted = keys.clone();
        sorted.sort();
        let a: Vec<&StoredKey> = sorted.iter().step_by(2).collect();
        let b: Vec<&StoredKey> = sorted.iter().step_by(3).collect();
        let mut expected: Vec<&StoredKey> = a.iter().chain(b.iter()).copied().collect();
        expected.sort();
        expected.dedup();
        let up: Vec<&StoredKey> =
            merge_sorted(a.iter().copied(), b.iter().copied(), false, |k| *k).collect();
        assert_eq!(up, expected);
        let down: Vec<&StoredKey> = merge_sorted(
            a.iter().rev().copied(),
            b.iter().rev().copied(),
            true,
            |k| *k,
        )
        .collect();
        expected.reverse();
        assert_eq!(down, expected);
        assert_eq!(
            merge_sorted(std::iter::empty(), b.iter().copied(), false, |k| *k).count(),
            b.len()
        );
    }
}
