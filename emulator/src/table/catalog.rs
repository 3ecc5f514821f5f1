//! The table namespace of one emulator (DynamoDB: one per account and region; the emulator, like
//! DynamoDB Local in shared-db mode, keeps one for every caller).

use super::Table;
use crate::persistence::record::Entry;
use crate::persistence::Journal;
use parking_lot::RwLock;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A shared handle on one table.
pub type TableRef = Arc<RwLock<Table>>;

/// Deletes the items whose TTL has passed before a read (and drops old versions no replica
/// shows any more), taking the write lock only when there is something to do: reads then never
/// see an expired item, and never block each other otherwise.
pub fn expire_before_read(table: &TableRef, now: std::time::Duration) {
    if table.read().needs_upkeep(now) {
        table.write().upkeep(now);
    }
}

/// All tables, by name. Ordered, because ListTables returns names in order.
#[derive(Default)]
pub struct Catalog {
    tables: RwLock<BTreeMap<String, TableRef>>,
    /// Deleted tables whose streams are still readable: DynamoDB keeps a deleted table's
    /// stream (DISABLED) for 24 hours. Their items are gone.
    retired: RwLock<Vec<TableRef>>,
    /// Where creations and deletions are recorded when the emulator persists.
    journal: Option<Arc<Journal>>,
}

impl Catalog {
    pub fn get(&self, name: &str) -> Option<TableRef> {
        self.tables.read().get(table_name_of(name)).cloned()
    }

    /// Adds a table unless one of that name exists; returns false if it does. The creation is
    /// journalled before the table is visible, so no write to it can precede it in the log.
    pub fn insert(&self, table: Table) -> bool {
        let mut tables = self.tables.write();
        if tables.contains_key(&table.def.name) {
            return false;
        }
        table.journal_definition(table.def.created_at);
        tables.insert(table.def.name.clone(), Arc::new(RwLock::new(table)));
        true
    }

    /// Removes a table (DeleteTable at `now`). The deletion is journalled under the catalog's
    /// lock, so no one sees the table gone before its deletion is recorded; the table's id
    /// (which never changes) is read before, so no table lock is taken under the catalog's.
    pub fn remove(&self, name: &str, now: std::time::Duration) -> Option<TableRef> {
        let name = table_name_of(name);
        let candidate = self.tables.read().get(name).cloned()?;
        let id = candidate.read().def.id.clone();
        let mut tables = self.tables.write();
        if !tables.get(name).is_some_and(|t| Arc::ptr_eq(t, &candidate)) {
            // Replaced or removed meanwhile: the caller's table is no longer there.
            return None;
        }
        if let Some(j) = &self.journal {
            j.append(&Entry::Drop { id: &id, at: now });
        }
        tables.remove(name)
    }

    /// Records creations, deletions and resets in `journal` from now on.
    pub fn set_journal(&mut self, journal: Arc<Journal>) {
        self.journal = Some(journal);
    }

    pub fn len(&self) -> usize {
        self.tables.read().len()
    }

    /// Table names in order, starting after `after`.
    pub fn names_after(&self, after: Option<&str>) -> Vec<String> {
        let tables = self.tables.read();
        match after {
            Some(a) => tables
                .range::<str, _>((std::ops::Bound::Excluded(a), std::ops::Bound::Unbounded))
                .map(|(k, _)| k.clone())
                .collect(),
            None => tables.keys().cloned().collect(),
        }
    }

    pub fn all(&self) -> Vec<TableRef> {
        self.tables.read().values().cloned().collect()
    }

    /// Keeps a deleted table's streams readable (see [`Table::retire`]).
    pub fn retire(&self, table: TableRef, now: std::time::Duration) {
        table.write().retire(now);
        let mut retired = self.retired.write();
        retired.retain(|t| t.read().streams().readable(now).next().is_some());
        retired.push(table);
    }

    /// The deleted tables whose streams are still readable at `now`.
    pub fn retired(&self, now: std::time::Duration) -> Vec<TableRef> {
        self.retired
            .read()
            .iter()
            .filter(|t| t.read().streams().readable(now).next().is_some())
            .cloned()
            .collect()
    }

    pub fn clear(&self) {
        let mut tables = self.tables.write();
        self.retired.write().clear();
        tables.clear();
        if let Some(j) = &self.journal {
            j.append(&Entry::Reset);
        }
    }
}

/// The table a `TableName` member names: DynamoDB accepts the table's ARN
/// (`arn:aws:dynamodb:REGION:ACCOUNT:table/NAME`) wherever it takes a table name, since 2024
/// (the API reference's `TableName`: "You can also provide the Amazon Resource Name (ARN) of the
/// table"). Anything that is not a table ARN is the name itself.
pub fn table_name_of(name: &str) -> &str {
    if !name.starts_with("arn:") {
        return name;
    }
    match name.split_once(":table/") {
        Some((_, rest)) => rest.split('/').next().unwrap_or(rest),
        None => name,
    }
}
