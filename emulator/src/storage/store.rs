//! The item store: a table's items, with everything DynamoDB derives from them kept in step.
//!
//! DynamoDB reports a table's size and item count, an index's size and item count, and, for a
//! table with local secondary indexes, the size of every item collection (limited to 10 GB);
//! its TTL process deletes items whose expiry time has passed. Every change of an item goes
//! through [`ItemStore::put`] or [`ItemStore::delete`], which update all of those at once, and
//! [`ItemStore::check_invariants`] recomputes them from the items. The store knows nothing of
//! replicas or capacity: those layers sit above it.

use super::definition::{IndexDefinition, TableDefinition};
use super::key::{IndexTie, KeyValue, StoredKey};
use super::stored::{KeyNames, KeyOrder, StoredItem};
use crate::error::{DynamoError, ErrorKind, Result};
use crate::value::packed::Names;
use crate::value::{item_size, page_size, Item};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::{Bound, RangeBounds};

/// DynamoDB adds 100 bytes of overhead per item to an index's size.
const INDEX_ITEM_OVERHEAD: u64 = 100;

/// An index entry: (index key, table key). Two items may share an index key, so the table key
/// makes each entry unique and orders equal index keys as DynamoDB does ([`IndexTie`]).
pub type IndexEntry = (StoredKey, IndexTie);

/// One secondary index's entries, in index order.
#[derive(Debug, Default, Clone)]
pub struct IndexEntries {
    entries: BTreeSet<IndexEntry>,
    size_bytes: u64,
}

impl IndexEntries {
    /// Entries in an index key range, in index order.
    pub fn range(
        &self,
        range: (Bound<IndexEntry>, Bound<IndexEntry>),
    ) -> std::collections::btree_set::Range<'_, IndexEntry> {
        self.entries.range(range)
    }

    /// Items in the index (DescribeTable's index `ItemCount`).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The index's size: each entry's projected item plus 100 bytes (`IndexSizeBytes`).
    pub fn size_bytes(&self) -> u64 {
        self.size_bytes
    }

    fn add(&mut self, idx: &IndexDefinition, def: &TableDefinition, key: &StoredKey, item: &Item) {
        if let Some(k) = idx.entry_key(item) {
            self.size_bytes += entry_bytes(idx, def, item);
            self.entries.insert((k, IndexTie::of(key.clone())));
        }
    }

    fn remove(
        &mut self,
        idx: &IndexDefinition,
        def: &TableDefinition,
        key: &StoredKey,
        item: &Item,
    ) {
        if let Some(k) = idx.entry_key(item) {
            if self.entries.remove(&(k, IndexTie::of(key.clone()))) {
                self.size_bytes = self.size_bytes.saturating_sub(entry_bytes(idx, def, item));
            }
        }
    }
}

/// What an item's entry adds to an index's size.
fn entry_bytes(idx: &IndexDefinition, def: &TableDefinition, item: &Item) -> u64 {
    item_size(&idx.project(item, &def.schema)) as u64 + INDEX_ITEM_OVERHEAD
}

/// One stored item, as a range of the store yields it: its key, size and attributes are
/// decoded when asked for (a page that only counts sizes or seeks keys decodes nothing else).
#[derive(Clone, Copy)]
pub struct Entry<'a> {
    stored: &'a StoredItem,
    names: &'a Names,
    key_names: &'a KeyNames,
}

impl<'a> Entry<'a> {
    /// The item's key.
    pub fn key(&self) -> StoredKey {
        self.stored.key()
    }

    /// The partition key's hash.
    pub fn token(&self) -> u64 {
        self.stored.token()
    }

    /// The item's size by DynamoDB's rules.
    pub fn size(&self) -> u64 {
        self.stored.size()
    }

    /// The item's size by a page's measure ([`crate::value::page_size`] with the table's sort
    /// key).
    pub fn page_size(&self) -> u64 {
        self.stored.page_size()
    }

    /// The item.
    pub fn item(&self) -> Item {
        self.stored.item(self.names, self.key_names)
    }
}

/// An item a read found: still packed in the store, or decoded (an older version a replica
/// still shows, an index's projection). A page answers packed items from their bytes, and
/// decodes one only to filter or project it.
#[derive(Clone)]
pub enum ReadItem<'a> {
    /// The store's current item.
    Packed(Entry<'a>),
    /// An item outside the store, or already decoded.
    Decoded(Cow<'a, Item>),
}

impl ReadItem<'_> {
    /// The item's size by DynamoDB's rules.
    pub fn size(&self) -> u64 {
        match self {
            ReadItem::Packed(e) => e.size(),
            ReadItem::Decoded(i) => item_size(i) as u64,
        }
    }

    /// The item's size by a page's measure, `range_key` being the table's sort key.
    pub fn page_size(&self, range_key: Option<&str>) -> u64 {
        match self {
            ReadItem::Packed(e) => e.page_size(),
            ReadItem::Decoded(i) => page_size(i, range_key) as u64,
        }
    }

    /// The item, decoded, owned.
    pub fn into_owned(self) -> Item {
        match self {
            ReadItem::Packed(e) => e.item(),
            ReadItem::Decoded(i) => i.into_owned(),
        }
    }

    /// The item, decoded if it is not yet.
    pub fn item(&self) -> Cow<'_, Item> {
        match self {
            ReadItem::Packed(e) => Cow::Owned(e.item()),
            ReadItem::Decoded(i) => Cow::Borrowed(i),
        }
    }
}

/// An item a range of the table found, with its key (decoded only if asked for).
pub struct Found<'a> {
    /// The key, when the read already had it (an older version's).
    key: Option<StoredKey>,
    /// The item.
    pub item: ReadItem<'a>,
}

impl<'a> Found<'a> {
    /// The store's current item.
    pub fn packed(entry: Entry<'a>) -> Found<'a> {
        Found {
            key: None,
            item: ReadItem::Packed(entry),
        }
    }

    /// An item found at `key`.
    pub fn at(key: StoredKey, item: ReadItem<'a>) -> Found<'a> {
        Found {
            key: Some(key),
            item,
        }
    }

    /// The item's key.
    pub fn key(&self) -> Cow<'_, StoredKey> {
        match (&self.key, &self.item) {
            (Some(k), _) => Cow::Borrowed(k),
            (None, ReadItem::Packed(e)) => Cow::Owned(e.key()),
            (None, ReadItem::Decoded(_)) => unreachable!("a decoded item is found with its key"),
        }
    }

    /// The partition key's hash.
    pub fn token(&self) -> u64 {
        match (&self.key, &self.item) {
            (Some(k), _) => k.token,
            (None, ReadItem::Packed(e)) => e.token(),
            (None, ReadItem::Decoded(_)) => unreachable!("a decoded item is found with its key"),
        }
    }
}

impl serde::Serialize for ReadItem<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            ReadItem::Packed(e) => e.stored.json(e.names, e.key_names).serialize(s),
            ReadItem::Decoded(i) => i.serialize(s),
        }
    }
}

/// A bound of a range of keys, as the item set is searched.
fn as_order(b: Bound<&StoredKey>) -> Bound<&dyn KeyOrder> {
    b.map(|k| k as &dyn KeyOrder)
}

/// A table's items, index entries, sizes, TTL schedule and item collection sizes.
///
/// Items are kept packed ([`StoredItem`]): a B-tree of boxed byte strings ordered by key,
/// their top-level attribute names interned in one list per table. Reads decode the items they
/// return, so the store hands out owned items, never references into itself.
#[derive(Debug, Default)]
pub struct ItemStore {
    items: BTreeSet<StoredItem>,
    /// The attribute names the packed items refer to by number.
    names: Names,
    /// The key's attribute names (their values are packed once, in the key).
    key_names: KeyNames,
    /// Where an item is packed before it gets its own allocation.
    scratch: Vec<u8>,
    size_bytes: u64,
    /// Entries of every secondary index of the definition, by index name.
    indexes: BTreeMap<String, IndexEntries>,
    /// (expiry epoch seconds, key) for items whose TTL attribute is a number.
    ttl_schedule: BTreeSet<(u64, StoredKey)>,
    /// Tables with local secondary indexes: bytes per item collection (partition key), table
    /// items and LSI entries together.
    collections: HashMap<KeyValue, u64>,
    /// Item collection size limit (DynamoDB: 10 GB).
    collection_limit: u64,
}

impl ItemStore {
    /// An empty store for a table with the definition's indexes.
    pub fn new(def: &TableDefinition, collection_limit: u64) -> ItemStore {
        ItemStore {
            indexes: def
                .indexes()
                .map(|i| (i.name.clone(), IndexEntries::default()))
                .collect(),
            collection_limit,
            key_names: KeyNames::of(&def.schema),
            ..ItemStore::default()
        }
    }

    /// The item stored at `key`, decoded.
    pub fn get(&self, key: &StoredKey) -> Option<Item> {
        self.items
            .get(key as &dyn KeyOrder)
            .map(|s| s.item(&self.names, &self.key_names))
    }

    /// The item stored at `key`, still packed.
    pub fn entry(&self, key: &StoredKey) -> Option<Entry<'_>> {
        let (names, key_names) = (&self.names, &self.key_names);
        self.items.get(key as &dyn KeyOrder).map(|stored| Entry {
            stored,
            names,
            key_names,
        })
    }

    /// Items in a key range, in key order.
    pub fn range(
        &self,
        range: impl RangeBounds<StoredKey>,
    ) -> impl DoubleEndedIterator<Item = Entry<'_>> + '_ {
        let bounds = (as_order(range.start_bound()), as_order(range.end_bound()));
        let (names, key_names) = (&self.names, &self.key_names);
        self.items
            .range::<dyn KeyOrder, _>(bounds)
            .map(move |stored| Entry {
                stored,
                names,
                key_names,
            })
    }

    /// Every item, in key order (snapshots, exports and the state checker).
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = Entry<'_>> + '_ {
        let (names, key_names) = (&self.names, &self.key_names);
        self.items.iter().map(move |stored| Entry {
            stored,
            names,
            key_names,
        })
    }

    /// Every item decoded with its key, in key order.
    pub fn items(&self) -> impl Iterator<Item = (StoredKey, Item)> + '_ {
        self.iter().map(|e| (e.key(), e.item()))
    }

    /// Items in the table (`ItemCount`).
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// The table's size: the sum of its items' sizes (`TableSizeBytes`).
    pub fn size_bytes(&self) -> u64 {
        self.size_bytes
    }

    /// One index's entries (None: no index of that name).
    pub fn index(&self, name: &str) -> Option<&IndexEntries> {
        self.indexes.get(name)
    }

    /// Stores an item, replacing any previous one; returns the previous item and its size (if
    /// any) and the new item's size, which the layers above account for.
    pub fn put(
        &mut self,
        def: &TableDefinition,
        key: &StoredKey,
        item: &Item,
    ) -> (Option<Item>, Option<u64>, u64) {
        let old = self.get(key);
        let (old_size, size) = self.replace(def, key, item, old.as_ref());
        (old, old_size, size)
    }

    /// [`ItemStore::put`] given the item stored at `key` as the caller just read it (`old`),
    /// so it is not decoded again; returns the previous item's size (if any) and the new one's.
    pub fn replace(
        &mut self,
        def: &TableDefinition,
        key: &StoredKey,
        item: &Item,
        old: Option<&Item>,
    ) -> (Option<u64>, u64) {
        let size = item_size(item) as u64;
        let range_key = def.schema.range.as_ref().map(|r| r.name.as_str());
        let page = page_size(item, range_key) as u64;
        let stored = StoredItem::new(
            key,
            item,
            (size, page),
            &mut self.names,
            &mut self.scratch,
            &self.key_names,
        );
        let previous = self.items.replace(stored);
        let old_size = previous.as_ref().map(StoredItem::size);
        if let Some(previous) = previous {
            // The caller's `old` is the stored item; only a caller that read none (it cannot
            // have) would make the store decode it.
            let decoded;
            let old = match old {
                Some(o) => o,
                None => {
                    decoded = previous.item(&self.names, &self.key_names);
                    &decoded
                }
            };
            debug_assert!(
                *old == previous.item(&self.names, &self.key_names),
                "a stale old item"
            );
            self.forget(def, key, old, previous.size());
        }
        self.size_bytes += size;
        if !def.lsis.is_empty() {
            *self.collections.entry(key.hash.clone()).or_default() += collection_bytes(def, item);
        }
        for idx in def.indexes() {
            if let Some(entries) = self.indexes.get_mut(&idx.name) {
                entries.add(idx, def, key, item);
            }
        }
        if let Some(expiry) = def.expiry_of(item) {
            self.ttl_schedule.insert((expiry, key.clone()));
        }
        (old_size, size)
    }

    /// Removes an item; returns it and its size.
    pub fn delete(&mut self, def: &TableDefinition, key: &StoredKey) -> Option<(Item, u64)> {
        let stored = self.items.take(key as &dyn KeyOrder)?;
        let size = stored.size();
        let old = stored.item(&self.names, &self.key_names);
        self.forget(def, key, &old, size);
        Some((old, size))
    }

    /// [`ItemStore::delete`] given the item stored at `key` as the caller just read it;
    /// returns its size (None: nothing was stored there).
    pub fn delete_known(
        &mut self,
        def: &TableDefinition,
        key: &StoredKey,
        old: &Item,
    ) -> Option<u64> {
        let stored = self.items.take(key as &dyn KeyOrder)?;
        debug_assert!(
            *old == stored.item(&self.names, &self.key_names),
            "a stale old item"
        );
        let size = stored.size();
        self.forget(def, key, old, size);
        Some(size)
    }

    /// Takes a removed item out of the sizes, indexes, item collections and TTL schedule.
    fn forget(&mut self, def: &TableDefinition, key: &StoredKey, old: &Item, size: u64) {
        self.size_bytes = self.size_bytes.saturating_sub(size);
        if !def.lsis.is_empty() {
            let c = collection_bytes(def, old);
            if let Some(total) = self.collections.get_mut(&key.hash) {
                *total = total.saturating_sub(c);
                if *total == 0 {
                    self.collections.remove(&key.hash);
                }
            }
        }
        for idx in def.indexes() {
            if let Some(entries) = self.indexes.get_mut(&idx.name) {
                entries.remove(idx, def, key, old);
            }
        }
        if let Some(expiry) = def.expiry_of(old) {
            self.ttl_schedule.remove(&(expiry, key.clone()));
        }
    }

    /// Forgets every item (a deleted table keeps only its streams).
    pub fn clear(&mut self) {
        self.items.clear();
        self.size_bytes = 0;
        self.indexes
            .values_mut()
            .for_each(|e| *e = IndexEntries::default());
        self.ttl_schedule.clear();
        self.collections.clear();
    }

    /// Builds the entries of an index the definition just gained (UpdateTable creating a GSI:
    /// DynamoDB backfills it from the existing items).
    pub fn add_index(&mut self, def: &TableDefinition, name: &str) {
        let Some(idx) = def.index(name) else { return };
        let mut entries = IndexEntries::default();
        for (k, item) in self.items() {
            entries.add(idx, def, &k, &item);
        }
        self.indexes.insert(name.to_string(), entries);
    }

    /// Forgets the entries of an index the definition no longer has.
    pub fn drop_index(&mut self, name: &str) {
        self.indexes.remove(name);
    }

    /// Rebuilds the TTL schedule after the definition's TTL settings changed.
    pub fn reschedule_ttl(&mut self, def: &TableDefinition) {
        let schedule = self
            .items()
            .filter_map(|(k, item)| def.expiry_of(&item).map(|e| (e, k)))
            .collect();
        self.ttl_schedule = schedule;
    }

    /// Whether some item's TTL has passed at `now_secs` (cheap: the schedule is ordered).
    pub fn has_expired(&self, now_secs: u64) -> bool {
        self.ttl_schedule
            .first()
            .is_some_and(|(e, _)| *e <= now_secs)
    }

    /// Takes the key of the item that expired first off the schedule, if its time has passed
    /// at `now_secs`; the caller deletes the item.
    pub fn pop_expired(&mut self, now_secs: u64) -> Option<StoredKey> {
        if !self.has_expired(now_secs) {
            return None;
        }
        self.ttl_schedule.pop_first().map(|(_, k)| k)
    }

    /// Checks that replacing `old` by `new` keeps the item collection within its limit (tables
    /// with LSIs only): `ItemCollectionSizeLimitExceededException` otherwise.
    pub fn check_collection(
        &self,
        def: &TableDefinition,
        key: &StoredKey,
        old: Option<&Item>,
        new: &Item,
    ) -> Result<()> {
        if def.lsis.is_empty() {
            return Ok(());
        }
        let current = self.collections.get(&key.hash).copied().unwrap_or(0);
        let after = current
            - old
                .map(|o| collection_bytes(def, o))
                .unwrap_or(0)
                .min(current)
            + collection_bytes(def, new);
        if after > self.collection_limit {
            return Err(DynamoError::new(
                ErrorKind::ItemCollectionSizeLimitExceeded,
                "Collection size exceeded.",
            ));
        }
        Ok(())
    }

    /// The size of the item collection of `key`'s partition key, in bytes.
    pub fn collection_size(&self, key: &StoredKey) -> u64 {
        self.collections.get(&key.hash).copied().unwrap_or(0)
    }

    // The state checker runs in debug builds only (and their tests).
    #[cfg(debug_assertions)]
    /// Checks that everything derived from the items still matches them: the table's size,
    /// each index's entries and size, the TTL schedule and the item collections. A failure is
    /// an emulator bug.
    pub fn check_invariants(&self, def: &TableDefinition) -> std::result::Result<(), String> {
        let size: u64 = self.items().map(|(_, i)| item_size(&i) as u64).sum();
        let range_key = def.schema.range.as_ref().map(|r| r.name.as_str());
        if let Some(e) = self.iter().find(|e| {
            e.size() != item_size(&e.item()) as u64
                || e.page_size() != page_size(&e.item(), range_key) as u64
        }) {
            return Err(format!("the item at {:?} keeps a wrong size", e.key()));
        }
        if size != self.size_bytes {
            return Err(format!(
                "TableSizeBytes is {}, the items sum to {size}",
                self.size_bytes
            ));
        }
        if self.indexes.len() != def.indexes().count() {
            return Err(format!(
                "the store has entries for {} indexes, the table defines {}",
                self.indexes.len(),
                def.indexes().count()
            ));
        }
        for idx in def.indexes() {
            let Some(have) = self.indexes.get(&idx.name) else {
                return Err(format!("index {} has no entries", idx.name));
            };
            let mut expected = IndexEntries::default();
            for (k, v) in self.items() {
                expected.add(idx, def, &k, &v);
            }
            if expected.entries != have.entries {
                return Err(format!(
                    "index {} has {} entries, its items give {}",
                    idx.name,
                    have.entries.len(),
                    expected.entries.len()
                ));
            }
            if expected.size_bytes != have.size_bytes {
                return Err(format!(
                    "index {} counts {} bytes, its entries hold {}",
                    idx.name, have.size_bytes, expected.size_bytes
                ));
            }
        }
        let schedule: BTreeSet<(u64, StoredKey)> = self
            .items()
            .filter_map(|(k, v)| def.expiry_of(&v).map(|e| (e, k)))
            .collect();
        if schedule != self.ttl_schedule {
            return Err(format!(
                "the TTL schedule has {} entries, the items give {}",
                self.ttl_schedule.len(),
                schedule.len()
            ));
        }
        if !def.lsis.is_empty() {
            let mut collections: HashMap<KeyValue, u64> = HashMap::new();
            for (k, v) in self.items() {
                *collections.entry(k.hash.clone()).or_default() += collection_bytes(def, &v);
            }
            if collections != self.collections {
                return Err("item collection sizes do not match their items".into());
            }
        }
        Ok(())
    }
}

/// What an item adds to its item collection: its own size and its LSI entries.
fn collection_bytes(def: &TableDefinition, item: &Item) -> u64 {
    let entries: u64 = def
        .lsis
        .iter()
        .filter(|i| i.entry_key(item).is_some())
        .map(|i| entry_bytes(i, def, item))
        .sum();
    item_size(item) as u64 + entries
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::definition::fixtures::{definition, item};
    use crate::storage::definition::TableStatus;
    use crate::value::{AttributeValue, Number};

    #[test]
    fn sizes_and_counts_follow_puts_replacements_and_deletes() {
        let def = definition();
        let mut s = ItemStore::new(&def, u64::MAX);
        let (k, a) = item(&def, "p", 1, &[("g", "x")], None);
        assert!(s.put(&def, &k, &a).0.is_none());
        assert_eq!(s.len(), 1);
        assert_eq!(s.size_bytes(), item_size(&a) as u64);
        let g = s.index("g").expect("the GSI");
        assert_eq!(g.len(), 1);
        // KEYS_ONLY of an item with only key attributes: all of it, plus 100 bytes.
        assert_eq!(g.size_bytes(), item_size(&a) as u64 + 100);
        // The LSI is sparse: no `l`, no entry.
        assert_eq!(s.index("l").expect("the LSI").len(), 0);
        // A replacement without `g` leaves the GSI.
        let (_, b) = item(&def, "p", 1, &[("l", "y")], None);
        assert_eq!(s.put(&def, &k, &b).0, Some(a));
        assert_eq!(s.index("g").map(IndexEntries::len), Some(0));
        assert_eq!(s.index("l").map(IndexEntries::len), Some(1));
        assert_eq!(s.size_bytes(), item_size(&b) as u64);
        assert_eq!(
            s.collection_size(&k),
            item_size(&b) as u64 * 2 + 100,
            "the item and its ALL-projected LSI entry"
        );
        assert_eq!(s.delete(&def, &k).map(|(i, _)| i), Some(b));
        assert_eq!(s.len(), 0);
        assert_eq!((s.size_bytes(), s.collection_size(&k)), (0, 0));
        s.check_invariants(&def).expect("consistent");
    }

    #[test]
    fn the_ttl_schedule_orders_items_by_expiry() {
        let def = definition();
        let mut s = ItemStore::new(&def, u64::MAX);
        for (sk, ttl) in [(1, "300"), (2, "100"), (3, "not a number")] {
            let (k, mut i) = item(&def, "p", sk, &[], None);
            let v = match Number::parse(ttl) {
                Ok(n) => AttributeValue::N(n),
                Err(_) => AttributeValue::S(ttl.into()),
            };
            i.insert("ttl", v);
            s.put(&def, &k, &i);
        }
        assert!(!s.has_expired(99));
        assert!(s.has_expired(100));
        let first = s.pop_expired(100).expect("sk 2 expired");
        assert_eq!(first, item(&def, "p", 2, &[], None).0);
        s.delete(&def, &first);
        assert_eq!(s.pop_expired(299), None);
        // TTL off: nothing is scheduled.
        let mut off = def.clone();
        off.ttl = None;
        s.reschedule_ttl(&off);
        assert!(!s.has_expired(u64::MAX));
        s.check_invariants(&off).expect("consistent");
    }

    #[test]
    fn item_collections_are_limited() {
        let def = definition();
        let (k, i) = item(&def, "p", 1, &[("l", "v")], None);
        let limit = collection_bytes(&def, &i);
        let mut s = ItemStore::new(&def, limit);
        s.check_collection(&def, &k, None, &i)
            .expect("exactly at the limit");
        s.put(&def, &k, &i);
        // Replacing the item by itself keeps the collection's size.
        s.check_collection(&def, &k, Some(&i), &i)
            .expect("a replacement");
        let (k2, i2) = item(&def, "p", 2, &[], None);
        let e = s.check_collection(&def, &k2, None, &i2).unwrap_err();
        assert_eq!(e.kind, ErrorKind::ItemCollectionSizeLimitExceeded);
        // Another partition key is another collection.
        let (k3, i3) = item(&def, "q", 1, &[], None);
        s.check_collection(&def, &k3, None, &i3)
            .expect("its own collection");
    }

    #[test]
    fn a_new_index_is_backfilled_and_a_dropped_one_forgotten() {
        let mut def = definition();
        let mut s = ItemStore::new(&def, u64::MAX);
        for n in 0..5 {
            let (k, i) = item(
                &def,
                "p",
                n,
                &[("h", if n % 2 == 0 { "even" } else { "odd" })],
                None,
            );
            s.put(&def, &k, &i);
        }
        let mut h = def.gsis[0].clone();
        h.name = "h".into();
        h.schema.hash.name = "h".into();
        def.gsis.push(h);
        assert!(
            s.check_invariants(&def).is_err(),
            "the new index has no entries yet"
        );
        s.add_index(&def, "h");
        assert_eq!(s.index("h").map(IndexEntries::len), Some(5));
        s.check_invariants(&def).expect("backfilled");
        def.gsis.retain(|g| g.name != "h");
        s.drop_index("h");
        s.check_invariants(&def).expect("dropped");
        assert!(def.gsis.iter().all(|g| g.status == TableStatus::Active));
    }

    #[test]
    fn the_checker_notices_broken_bookkeeping() {
        let def = definition();
        let mut s = ItemStore::new(&def, u64::MAX);
        let (k, i) = item(&def, "a", 1, &[("g", "x")], None);
        s.put(&def, &k, &i);
        s.check_invariants(&def).expect("consistent");
        s.size_bytes += 1;
        assert!(s
            .check_invariants(&def)
            .unwrap_err()
            .contains("TableSizeBytes"));
        s.size_bytes -= 1;
        s.indexes.get_mut("g").expect("the GSI").entries.clear();
        assert!(s.check_invariants(&def).unwrap_err().contains("index g"));
    }
}
