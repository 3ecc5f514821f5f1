//! Primary keys: schema, typed key values and their order.
//!
//! DynamoDB sorts sort keys by type: numbers numerically, strings and binaries by their bytes
//! (UTF-8 bytes for strings). Partition keys are not ordered; they are hashed to choose a
//! partition. See <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.Partitions.html>.

use crate::error::{DynamoError, Result};
use crate::value::{AttributeValue, Item, Number, ScalarType};
use md5::{Digest, Md5};
use std::cmp::Ordering;

/// A key attribute: its name and scalar type.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KeyAttribute {
    pub name: String,
    pub ty: ScalarType,
}

/// A table's or index's key schema: a partition (HASH) key and an optional sort (RANGE) key.
///
/// A global secondary index may have composite keys (DynamoDB, November 2025): up to four
/// partition-key attributes and up to four sort-key attributes. `hash` and `range` are the
/// first of each; `extra_hash` and `extra_range` the others, in schema order. With extras, a
/// side's value is a [`KeyValue::Tuple`] of the attributes' values: the partition is the
/// hash of all of them, and the sort order compares them left to right.
/// <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html>
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KeySchema {
    pub hash: KeyAttribute,
    pub range: Option<KeyAttribute>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra_hash: Vec<KeyAttribute>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra_range: Vec<KeyAttribute>,
}

/// The most attributes a GSI's partition key, and its sort key, may have.
pub const MAX_KEY_ATTRIBUTES: usize = 4;

/// A scalar key value. Values of one key attribute always have the same type.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyValue {
    B(Vec<u8>),
    N(Number),
    S(crate::value::Text),
    /// The values of a composite key's attributes, in schema order (compared left to right,
    /// a prefix before its extensions).
    Tuple(Vec<KeyValue>),
    /// Greater than every stored value: only ever used as the upper bound of a range seek, never
    /// stored (so a reverse Query can start from the end of a partition in O(log n)).
    #[doc(hidden)]
    Max,
}

impl KeyValue {
    pub fn to_attribute(&self) -> AttributeValue {
        match self {
            KeyValue::S(s) => AttributeValue::S(s.clone()),
            KeyValue::N(n) => AttributeValue::N(*n),
            KeyValue::B(b) => AttributeValue::B(b.clone()),
            KeyValue::Tuple(_) => unreachable!("a composite key is split into its attributes"),
            KeyValue::Max => unreachable!("the Max sentinel is never stored"),
        }
    }

    /// Whether this key value has the given scalar type.
    pub fn has_type(&self, ty: ScalarType) -> bool {
        matches!(
            (self, ty),
            (KeyValue::S(_), ScalarType::S)
                | (KeyValue::N(_), ScalarType::N)
                | (KeyValue::B(_), ScalarType::B)
        )
    }

    /// Converts a scalar attribute value (S, N or B) to a key value.
    pub fn from_scalar(v: &AttributeValue) -> Option<KeyValue> {
        Self::from_attribute(v)
    }

    fn from_attribute(v: &AttributeValue) -> Option<KeyValue> {
        match v {
            AttributeValue::S(s) => Some(KeyValue::S(s.clone())),
            AttributeValue::N(n) => Some(KeyValue::N(*n)),
            AttributeValue::B(b) => Some(KeyValue::B(b.clone())),
            _ => None,
        }
    }

    /// The partition-key hash: the first 64 bits of MD5 over `Outliers` and the value's bytes
    /// (UTF-8 for strings, the raw bytes for binaries, [`Number::key_bytes`] for numbers). It
    /// decides the partition an item lives in, the order Scan returns items in and the
    /// parallel-scan segment an item belongs to, and it is the service's own: under it Scan
    /// returns a table's items in the order DynamoDB does (dynalite's suite records that order
    /// from the service, and moto's AWS-verified scans agree). Stable across runs, platforms
    /// and versions, and uniform, so partitions fill evenly.
    ///
    /// [`Number::key_bytes`]: crate::value::Number::key_bytes
    pub fn stable_hash(&self) -> u64 {
        outliers_hash([self])
    }

    /// Adds the value's bytes to a hash: UTF-8 for strings, the raw bytes for binaries,
    /// [`Number::key_bytes`] for numbers.
    ///
    /// [`Number::key_bytes`]: crate::value::Number::key_bytes
    fn feed(&self, md5: &mut Md5) {
        match self {
            KeyValue::S(s) => md5.update(s.as_bytes()),
            KeyValue::N(n) => md5.update(n.key_bytes()),
            KeyValue::B(b) => md5.update(b),
            KeyValue::Tuple(vs) => vs.iter().for_each(|v| v.feed(md5)),
            KeyValue::Max => {}
        }
    }
}

/// The first 64 bits of MD5 over `Outliers` and the values' bytes, in order: the service's hash
/// of a partition key alone ([`KeyValue::stable_hash`]) and of a whole table key ([`IndexTie`]).
/// A range-seek sentinel ([`KeyValue::Max`]) hashes above everything.
fn outliers_hash<'v>(values: impl IntoIterator<Item = &'v KeyValue>) -> u64 {
    let mut md5 = Md5::new();
    md5.update(b"Outliers");
    for v in values {
        if matches!(v, KeyValue::Max) {
            return u64::MAX;
        }
        v.feed(&mut md5);
    }
    let digest = md5.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

/// The position of an item in a table's ordered storage.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StoredKey {
    pub token: u64,
    pub hash: KeyValue,
    pub range: Option<KeyValue>,
}

impl StoredKey {
    /// Smaller than every stored key.
    pub fn min() -> StoredKey {
        StoredKey {
            token: 0,
            hash: KeyValue::B(Vec::new()),
            range: None,
        }
    }

    /// Greater than every stored key.
    pub fn max() -> StoredKey {
        StoredKey {
            token: u64::MAX,
            hash: KeyValue::Max,
            range: Some(KeyValue::Max),
        }
    }

    pub fn new(hash: KeyValue, range: Option<KeyValue>) -> StoredKey {
        StoredKey {
            token: hash.stable_hash(),
            hash,
            range,
        }
    }
}

impl Ord for StoredKey {
    fn cmp(&self, other: &Self) -> Ordering {
        self.token
            .cmp(&other.token)
            .then_with(|| self.hash.cmp(&other.hash))
            .then_with(|| self.range.cmp(&other.range))
    }
}

impl PartialOrd for StoredKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// An item's table key as a secondary index orders it among the entries that share one index key.
///
/// DynamoDB stores an index's items by index key and, within one index key, by a hash of the
/// item's whole table key: the same MD5 over `Outliers` as [`KeyValue::stable_hash`], fed the
/// partition key's bytes and then the sort key's. So a Query on a global index whose items share
/// their index key returns them in that hash order, not by table partition, and not sorted by
/// sort key (dynalite's suite records that order from the service: the items `(b, b)`, `(a, a)`,
/// `(c, e)`, `(e, a)`, `(d, a)`, `(c, d)` come back so).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IndexTie {
    /// The hash of the whole table key.
    pub order: u64,
    /// The item's table key.
    pub key: StoredKey,
}

impl IndexTie {
    pub fn of(key: StoredKey) -> IndexTie {
        let order = outliers_hash(std::iter::once(&key.hash).chain(key.range.as_ref()));
        IndexTie { order, key }
    }

    /// Before every entry of an index key.
    pub fn min() -> IndexTie {
        IndexTie {
            order: 0,
            key: StoredKey::min(),
        }
    }

    /// After every entry of an index key.
    pub fn max() -> IndexTie {
        IndexTie {
            order: u64::MAX,
            key: StoredKey::max(),
        }
    }
}

impl Ord for IndexTie {
    fn cmp(&self, other: &Self) -> Ordering {
        self.order
            .cmp(&other.order)
            .then_with(|| self.key.cmp(&other.key))
    }
}

impl PartialOrd for IndexTie {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl KeySchema {
    /// A key schema of one partition-key attribute and at most one sort-key attribute.
    pub fn simple(hash: KeyAttribute, range: Option<KeyAttribute>) -> KeySchema {
        KeySchema {
            hash,
            range,
            extra_hash: Vec::new(),
            extra_range: Vec::new(),
        }
    }

    /// Whether a side of the key has several attributes (a composite GSI key).
    pub fn is_composite(&self) -> bool {
        !self.extra_hash.is_empty() || !self.extra_range.is_empty()
    }

    /// The partition-key attributes, in schema order.
    pub fn hash_attributes(&self) -> impl Iterator<Item = &KeyAttribute> {
        std::iter::once(&self.hash).chain(self.extra_hash.iter())
    }

    /// The sort-key attributes, in schema order.
    pub fn range_attributes(&self) -> impl Iterator<Item = &KeyAttribute> {
        self.range.iter().chain(self.extra_range.iter())
    }

    /// Names of the key attributes, partition key first.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.hash_attributes()
            .chain(self.range_attributes())
            .map(|a| a.name.as_str())
    }

    pub fn is_key_attribute(&self, name: &str) -> bool {
        self.names().any(|n| n == name)
    }

    /// One side's value from its attributes' values: the value itself for one attribute, a
    /// [`KeyValue::Tuple`] for several.
    fn compose(mut values: Vec<KeyValue>) -> KeyValue {
        if values.len() == 1 {
            values.pop().expect("one value")
        } else {
            KeyValue::Tuple(values)
        }
    }

    /// Extracts the primary key of a request's `Key` parameter, which must name exactly the key
    /// attributes with their types (DynamoDB: "The provided key element does not match the schema").
    pub fn key_from_request(&self, key: &Item) -> Result<StoredKey> {
        let mismatch =
            || DynamoError::validation("The provided key element does not match the schema");
        if key.len() != self.names().count() {
            return Err(mismatch());
        }
        let side = |attrs: Vec<&KeyAttribute>, role: KeyRole| -> Result<Vec<KeyValue>> {
            let values = attrs
                .iter()
                .map(|a| typed(key.get(&a.name).ok_or_else(mismatch)?, a, mismatch))
                .collect::<Result<Vec<_>>>()?;
            for (a, v) in attrs.iter().zip(&values) {
                check_key_value(&a.name, v, role)?;
            }
            Ok(values)
        };
        let hash = side(self.hash_attributes().collect(), KeyRole::Partition)?;
        let range = side(self.range_attributes().collect(), KeyRole::Sort)?;
        Ok(StoredKey::new(
            Self::compose(hash),
            (!range.is_empty()).then(|| Self::compose(range)),
        ))
    }

    /// Extracts the primary key of a full item (PutItem), with DynamoDB's messages for missing or
    /// mistyped key attributes.
    pub fn key_from_item(&self, item: &Item) -> Result<StoredKey> {
        let hash = self
            .hash_attributes()
            .map(|a| item_key(item, a, KeyRole::Partition))
            .collect::<Result<Vec<_>>>()?;
        let range = self
            .range_attributes()
            .map(|a| item_key(item, a, KeyRole::Sort))
            .collect::<Result<Vec<_>>>()?;
        Ok(StoredKey::new(
            Self::compose(hash),
            (!range.is_empty()).then(|| Self::compose(range)),
        ))
    }

    /// The key of an item in an index with this schema, if the item has every key attribute
    /// with its type (an index is sparse: an item lacking any of them is not in it).
    pub fn entry_key(&self, item: &Item) -> Option<StoredKey> {
        let hash = self
            .hash_attributes()
            .map(|a| index_key_value(item, a))
            .collect::<Option<Vec<_>>>()?;
        let range = self
            .range_attributes()
            .map(|a| index_key_value(item, a))
            .collect::<Option<Vec<_>>>()?;
        Some(StoredKey::new(
            Self::compose(hash),
            (!range.is_empty()).then(|| Self::compose(range)),
        ))
    }

    /// The key attributes of an item, as a `Key` map.
    /// The key attributes an item has (those of them it has), for checking as a key.
    pub fn key_of(&self, item: &Item) -> Item {
        self.names()
            .filter_map(|n| item.get(n).map(|v| (n.to_string(), v.clone())))
            .collect()
    }

    pub fn key_item(&self, key: &StoredKey) -> Item {
        fn split(v: &KeyValue) -> Vec<&KeyValue> {
            match v {
                KeyValue::Tuple(vs) => vs.iter().collect(),
                v => vec![v],
            }
        }
        let mut m = Item::new();
        for (a, v) in self.hash_attributes().zip(split(&key.hash)) {
            m.insert(a.name.clone(), v.to_attribute());
        }
        if let Some(r) = &key.range {
            for (a, v) in self.range_attributes().zip(split(r)) {
                m.insert(a.name.clone(), v.to_attribute());
            }
        }
        m
    }
}

fn typed(
    v: &AttributeValue,
    attr: &KeyAttribute,
    mismatch: impl Fn() -> DynamoError,
) -> Result<KeyValue> {
    match KeyValue::from_attribute(v) {
        Some(k) if v.scalar_type() == Some(attr.ty) => Ok(k),
        _ => Err(mismatch()),
    }
}

impl KeySchema {
    /// The key's attributes with their roles, partition key first.
    pub fn parts(&self) -> impl Iterator<Item = (&KeyAttribute, KeyRole)> {
        self.hash_attributes()
            .map(|a| (a, KeyRole::Partition))
            .chain(self.range_attributes().map(|r| (r, KeyRole::Sort)))
    }
}

/// One attribute of a key given in a request: present and of the schema's type (else `The
/// provided key element does not match the schema`), then not empty and not too long.
pub fn key_piece(key: &Item, attr: &KeyAttribute, role: KeyRole) -> Result<KeyValue> {
    let mismatch = || DynamoError::validation("The provided key element does not match the schema");
    let v = typed(key.get(&attr.name).ok_or_else(mismatch)?, attr, mismatch)?;
    check_key_value(&attr.name, &v, role)?;
    Ok(v)
}

/// Which part of a primary key a value is: they have different size limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRole {
    /// The partition (hash) key: 1 to 2,048 bytes.
    Partition,
    /// The sort (range) key: 1 to 1,024 bytes.
    Sort,
}

/// DynamoDB's largest partition key value, in bytes.
pub const MAX_PARTITION_KEY_BYTES: usize = 2048;
/// DynamoDB's largest sort key value, in bytes.
pub const MAX_SORT_KEY_BYTES: usize = 1024;

/// The bytes a key value counts against its limit: a string's UTF-8 length, a binary's
/// decoded length. Numbers (at most 21 bytes) never reach a limit.
pub fn key_value_bytes(v: &KeyValue) -> usize {
    match v {
        KeyValue::S(s) => s.len(),
        KeyValue::B(b) => b.len(),
        KeyValue::Tuple(vs) => vs.iter().map(key_value_bytes).max().unwrap_or(0),
        KeyValue::N(_) | KeyValue::Max => 0,
    }
}

/// A key value must not be empty and must fit its role's limit. The limits, and the messages
/// (one with DynamoDB's missing space in "limit of2048"), are the service's; see
/// <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html>.
pub fn check_key_value(name: &str, v: &KeyValue, role: KeyRole) -> Result<()> {
    let empty = match v {
        KeyValue::S(s) => s.is_empty(),
        KeyValue::B(b) => b.is_empty(),
        KeyValue::N(_) | KeyValue::Tuple(_) | KeyValue::Max => false,
    };
    if empty {
        let what = if matches!(v, KeyValue::S(_)) {
            "string"
        } else {
            "binary"
        };
        return Err(DynamoError::validation(format!(
            "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty {what} value. Key: {name}"
        )));
    }
    check_key_size(v, role)
}

/// The size half of [`check_key_value`], for values that are only compared with keys (a Query's
/// partition key value: no item could have one over the limit, and DynamoDB says so).
pub fn check_key_size(v: &KeyValue, role: KeyRole) -> Result<()> {
    let bytes = key_value_bytes(v);
    match role {
        KeyRole::Partition if bytes > MAX_PARTITION_KEY_BYTES => {
            Err(DynamoError::invalid_parameter(
                "Size of hashkey has exceeded the maximum size limit of2048 bytes",
            ))
        }
        KeyRole::Sort if bytes > MAX_SORT_KEY_BYTES => Err(DynamoError::invalid_parameter(
            "Aggregated size of all range keys has exceeded the size limit of 1024 bytes",
        )),
        _ => Ok(()),
    }
}

fn item_key(item: &Item, attr: &KeyAttribute, role: KeyRole) -> Result<KeyValue> {
    let v = item.get(&attr.name).ok_or_else(|| {
        DynamoError::invalid_parameter(format!("Missing the key {} in the item", attr.name))
    })?;
    if v.scalar_type() != Some(attr.ty) {
        return Err(DynamoError::invalid_parameter(format!(
            "Type mismatch for key {} expected: {} actual: {}",
            attr.name,
            attr.ty.as_str(),
            v.type_name()
        )));
    }
    let k = KeyValue::from_attribute(v).expect("scalar");
    check_key_value(&attr.name, &k, role)?;
    Ok(k)
}

/// The key value of an index key attribute in an item, if the item has it with the right type
/// (items without it are absent from the index: sparse indexes).
pub fn index_key_value(item: &Item, attr: &KeyAttribute) -> Option<KeyValue> {
    item.get(&attr.name)
        .filter(|v| v.scalar_type() == Some(attr.ty))
        .and_then(KeyValue::from_attribute)
}
