//! A table: its definition (keys, indexes, billing, TTL, tags) and its items.
//!
//! Every write path (PutItem, UpdateItem, DeleteItem, batches, transactions, TTL expiry) goes
//! through [`Table::put`] and [`Table::delete`], which keep the secondary indexes, the item count,
//! the table size and the TTL schedule in step with the items.

use super::key::{index_key_value, KeySchema, StoredKey};
use crate::value::{item_size, AttributeValue, Item, ScalarType};
use std::collections::{BTreeMap, BTreeSet};
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
    fn entry_key(&self, item: &Item) -> Option<StoredKey> {
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
        }
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

    /// Stores an item (replacing any previous one), maintaining indexes, size and TTL schedule.
    pub fn put(&mut self, key: StoredKey, item: Item) -> Option<Item> {
        let old = self.delete(&key);
        self.size_bytes += item_size(&item) as u64;
        let schema = &self.schema;
        for idx in self.gsis.iter_mut().chain(self.lsis.iter_mut()) {
            idx.add(&key, &item, schema);
        }
        if let Some(expiry) = self.expiry_of(&item) {
            self.ttl_schedule.insert((expiry, key.clone()));
        }
        self.items.insert(key, item);
        old
    }

    /// Removes an item, maintaining indexes, size and TTL schedule.
    pub fn delete(&mut self, key: &StoredKey) -> Option<Item> {
        let old = self.items.remove(key)?;
        self.size_bytes = self.size_bytes.saturating_sub(item_size(&old) as u64);
        let schema = &self.schema;
        for idx in self.gsis.iter_mut().chain(self.lsis.iter_mut()) {
            idx.remove(key, &old, schema);
        }
        if let Some(expiry) = self.expiry_of(&old) {
            self.ttl_schedule.remove(&(expiry, key.clone()));
        }
        Some(old)
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
            self.delete(&key);
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
