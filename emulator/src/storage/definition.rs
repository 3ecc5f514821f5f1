//! What a table is, apart from its items: keys, attribute definitions, secondary indexes,
//! billing and throughput, stream, TTL, tags, class and protection.

use super::key::{KeySchema, StoredKey};
use crate::value::{AttributeValue, Item, ScalarType};
use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Throughput {
    pub read: u64,
    pub write: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Projection {
    pub ty: ProjectionType,
    pub non_key_attributes: Vec<String>,
}

/// A global or local secondary index: its key, its projection and, for a GSI of a provisioned
/// table, its own throughput. Its entries are in the item store.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct IndexDefinition {
    pub name: String,
    pub schema: KeySchema,
    pub projection: Projection,
    /// GSIs on provisioned tables have their own throughput.
    pub throughput: Option<Throughput>,
    pub status: TableStatus,
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
        }
    }

    /// The index entry for an item, if the item has the index's key attributes (sparse index).
    pub fn entry_key(&self, item: &Item) -> Option<StoredKey> {
        self.schema.entry_key(item)
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
}

/// Time to live settings: the attribute holding an expiry time in epoch seconds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TimeToLive {
    pub attribute: String,
    pub enabled: bool,
}

/// What a table is, apart from its items: its keys and attribute definitions, its indexes,
/// its billing and throughput (with the dates DescribeTable reports), its stream, TTL, tags,
/// class and protection. CreateTable builds it; UpdateTable, UpdateTimeToLive and the tagging
/// operations change it; DescribeTable reports it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TableDefinition {
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
    /// The view type of the enabled stream (None: no stream enabled).
    pub stream: Option<crate::stream::ViewType>,
    pub ttl: Option<TimeToLive>,
    pub tags: BTreeMap<String, String>,
    pub deletion_protection: bool,
    pub table_class: String,
    /// Resource-based policies attached to the table and its streams, by the resource's ARN.
    #[serde(default)]
    pub resource_policies: BTreeMap<String, ResourcePolicy>,
    /// Point-in-time recovery, when enabled: since when, and the recovery window in days.
    #[serde(default)]
    pub pitr: Option<(Duration, u32)>,
    /// What the table was restored from (DescribeTable's RestoreSummary): the source backup's
    /// ARN (None for a point-in-time restore), the source table's ARN, the restore time.
    #[serde(default)]
    pub restored_from: Option<(Option<String>, String, Duration)>,
    /// Contributor Insights settings, by index name (`""` for the table itself); absent
    /// where they were never configured.
    #[serde(default)]
    pub contributor_insights: BTreeMap<String, ContributorInsights>,
}

/// Contributor Insights on a table or index (UpdateContributorInsights).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ContributorInsights {
    pub enabled: bool,
    /// `ACCESSED_AND_THROTTLED_KEYS` or `THROTTLED_KEYS`.
    pub mode: String,
    /// When it was last enabled or disabled (the rules are named after it).
    pub updated_at: Duration,
}

/// A resource-based policy (PutResourcePolicy): the JSON document as given, and its revision
/// id, a millisecond timestamp (DynamoDB's revision ids are comparable: a later one is greater).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ResourcePolicy {
    pub document: String,
    pub revision: String,
}

impl TableDefinition {
    /// The status at `now`: transient statuses end when their delay has passed.
    pub fn status(&self, now: Duration) -> TableStatus {
        match self.transient_until {
            Some((status, until)) if now < until => status,
            _ => TableStatus::Active,
        }
    }

    /// Every secondary index, global ones first.
    pub fn indexes(&self) -> impl Iterator<Item = &IndexDefinition> {
        self.gsis.iter().chain(self.lsis.iter())
    }

    /// A secondary index by name.
    pub fn index(&self, name: &str) -> Option<&IndexDefinition> {
        self.indexes().find(|i| i.name == name)
    }

    /// Type of an attribute named in AttributeDefinitions.
    pub fn attribute_type(&self, name: &str) -> Option<ScalarType> {
        self.attribute_definitions
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| *t)
    }

    /// A provisioned table's (RCU, WCU) per second; None for on-demand tables.
    pub fn throughput_rates(&self) -> Option<(f64, f64)> {
        match self.billing_mode {
            BillingMode::Provisioned => {
                Some((self.throughput.read as f64, self.throughput.write as f64))
            }
            BillingMode::PayPerRequest => None,
        }
    }

    /// The (RCU, WCU) of each GSI with its own throughput (provisioned tables only).
    pub fn gsi_shares(&self) -> BTreeMap<String, (f64, f64)> {
        self.gsis
            .iter()
            .filter_map(|g| match (self.billing_mode, g.throughput) {
                (BillingMode::Provisioned, Some(t)) => {
                    Some((g.name.clone(), (t.read as f64, t.write as f64)))
                }
                _ => None,
            })
            .collect()
    }

    /// The TTL expiry of an item: its TTL attribute as a number of epoch seconds. Items
    /// without it, or with a non-number, never expire (DynamoDB ignores them).
    pub fn expiry_of(&self, item: &Item) -> Option<u64> {
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

/// A definition for unit tests of the layers above.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;
    use crate::storage::key::KeyAttribute;
    use crate::value::Number;

    /// Keyed by `pk` (S) and `sk` (N), a KEYS_ONLY GSI on `g`, an ALL LSI on `l`, TTL on `ttl`.
    pub fn definition() -> TableDefinition {
        let attr = |name: &str, ty| KeyAttribute {
            name: name.into(),
            ty,
        };
        let projection = |ty| Projection {
            ty,
            non_key_attributes: Vec::new(),
        };
        TableDefinition {
            name: "t".into(),
            arn: "arn:aws:dynamodb:us-east-1:000000000000:table/t".into(),
            id: "id".into(),
            schema: KeySchema::simple(attr("pk", ScalarType::S), Some(attr("sk", ScalarType::N))),
            attribute_definitions: Vec::new(),
            billing_mode: BillingMode::PayPerRequest,
            throughput: Throughput { read: 0, write: 0 },
            created_at: Duration::ZERO,
            transient_until: None,
            last_increase: None,
            last_decrease: None,
            decreases_today: 0,
            billing_mode_changed_at: None,
            gsis: vec![IndexDefinition::new(
                "g".into(),
                KeySchema::simple(attr("g", ScalarType::S), None),
                projection(ProjectionType::KeysOnly),
                None,
            )],
            lsis: vec![IndexDefinition::new(
                "l".into(),
                KeySchema::simple(attr("pk", ScalarType::S), Some(attr("l", ScalarType::S))),
                projection(ProjectionType::All),
                None,
            )],
            resource_policies: BTreeMap::new(),
            pitr: None,
            restored_from: None,
            contributor_insights: BTreeMap::new(),
            stream: None,
            ttl: Some(TimeToLive {
                attribute: "ttl".into(),
                enabled: true,
            }),
            tags: BTreeMap::new(),
            deletion_protection: false,
            table_class: "STANDARD".into(),
        }
    }

    /// An item of the fixture table and its key: `extra` string attributes, a TTL if given.
    pub fn item(
        def: &TableDefinition,
        pk: &str,
        sk: u32,
        extra: &[(&str, &str)],
        ttl: Option<u64>,
    ) -> (StoredKey, Item) {
        let mut i = Item::new();
        i.insert("pk", AttributeValue::S(pk.into()));
        i.insert(
            "sk",
            AttributeValue::N(Number::parse(&sk.to_string()).expect("a number")),
        );
        for (k, v) in extra {
            i.insert(*k, AttributeValue::S((*v).into()));
        }
        if let Some(e) = ttl {
            i.insert(
                "ttl",
                AttributeValue::N(Number::parse(&e.to_string()).expect("a number")),
            );
        }
        let key = crate::storage::key::KeySchema::key_from_item(&def.schema, &i).expect("a key");
        (key, i)
    }
}
