//! Transaction conflicts: the item locks a write transaction holds while it is in flight.
//!
//! DynamoDB runs a TransactWriteItems in two phases: its coordinator first *prepares* every
//! item (checking conditions and marking the item as taken by the transaction), then commits
//! them all. While the transaction is in flight its items are taken, and the developer guide's
//! conflict rules follow
//! (<https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html#transaction-conflict-handling>):
//!
//! - a PutItem, UpdateItem or DeleteItem of a taken item fails with
//!   `TransactionConflictException`;
//! - a TransactWriteItems that includes a taken item is cancelled
//!   (`TransactionCanceledException`, reason `TransactionConflict` at that item's position);
//! - a TransactGetItems that reads a taken item is cancelled the same way.
//!
//! Reads outside transactions (GetItem, Query, Scan, BatchGetItem) never conflict: they see the
//! last committed item.
//!
//! The emulator applies a transaction under its tables' write locks, so in-flight means from
//! the moment the transaction has taken its items (after validation) until it has committed or
//! been cancelled. With real concurrency two overlapping requests genuinely race for the items;
//! the injected `Latency` fault ([`crate::faults`]) widens a transaction's window, and the
//! `TransactionConflict` fault makes a chosen request lose on a seeded schedule.

use crate::storage::StoredKey;
use parking_lot::Mutex;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The message DynamoDB gives a write that hits an item of an in-flight transaction, and the
/// `Message` of a `TransactionConflict` cancellation reason.
pub const ONGOING: &str = "Transaction is ongoing for the item";

/// The error of a single-item write that hits a taken item.
pub fn conflict() -> crate::error::DynamoError {
    crate::error::DynamoError::new(crate::error::ErrorKind::TransactionConflict, ONGOING)
}

/// The cancellation reason of a transaction's item that another transaction holds.
fn conflict_reason() -> serde_json::Value {
    serde_json::json!({"Code": "TransactionConflict", "Message": ONGOING})
}

/// The cancellation of a transaction some of whose items are taken (`conflicts`, per item in
/// request order).
pub fn cancelled(conflicts: &[bool]) -> crate::error::DynamoError {
    crate::error::DynamoError::transaction_canceled(
        conflicts
            .iter()
            .map(|c| match c {
                true => conflict_reason(),
                false => serde_json::json!({"Code": "None"}),
            })
            .collect(),
    )
}

/// Items taken by in-flight write transactions, by table name.
#[derive(Debug, Default)]
pub struct ItemLocks {
    taken: Mutex<HashMap<String, HashSet<StoredKey>>>,
    /// Items taken now: lets the common case (no transaction in flight) skip the mutex.
    count: AtomicUsize,
}

/// The items one transaction holds, released when it drops (committed or cancelled).
#[must_use = "the items are released when this drops"]
pub struct Held<'l> {
    locks: &'l ItemLocks,
    items: Vec<(String, StoredKey)>,
}

impl ItemLocks {
    /// Takes every item of a transaction, all or none. `Err` says, per item in request order,
    /// whether another transaction has it (the positions of its `TransactionConflict`
    /// reasons); nothing is taken then.
    pub fn take(&self, items: Vec<(String, StoredKey)>) -> Result<Held<'_>, Vec<bool>> {
        let mut taken = self.taken.lock();
        let conflicts: Vec<bool> = items
            .iter()
            .map(|(t, k)| taken.get(t).is_some_and(|keys| keys.contains(k)))
            .collect();
        if conflicts.iter().any(|c| *c) {
            return Err(conflicts);
        }
        for (t, k) in &items {
            if !taken.contains_key(t) {
                taken.insert(t.clone(), HashSet::new());
            }
            taken.get_mut(t).expect("inserted").insert(k.clone());
        }
        self.count.fetch_add(items.len(), Ordering::AcqRel);
        Ok(Held { locks: self, items })
    }

    /// Whether an in-flight transaction holds the item.
    pub fn is_taken(&self, table: &str, key: &StoredKey) -> bool {
        self.count.load(Ordering::Acquire) > 0
            && self
                .taken
                .lock()
                .get(table)
                .is_some_and(|keys| keys.contains(key))
    }

    /// A single-item write's check: `TransactionConflictException` if a transaction holds the
    /// item.
    pub fn check(&self, table: &str, key: &StoredKey) -> crate::error::Result<()> {
        match self.is_taken(table, key) {
            true => Err(conflict()),
            false => Ok(()),
        }
    }

    /// Per item, whether an in-flight transaction holds it (a TransactGetItems' check).
    pub fn taken_of<'k>(&self, items: impl Iterator<Item = (&'k str, &'k StoredKey)>) -> Vec<bool> {
        if self.count.load(Ordering::Acquire) == 0 {
            return items.map(|_| false).collect();
        }
        let taken = self.taken.lock();
        items
            .map(|(t, k)| taken.get(t).is_some_and(|keys| keys.contains(k)))
            .collect()
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        let mut taken = self.locks.taken.lock();
        for (t, k) in &self.items {
            if let Some(keys) = taken.get_mut(t) {
                keys.remove(k);
                if keys.is_empty() {
                    taken.remove(t);
                }
            }
        }
        self.locks
            .count
            .fetch_sub(self.items.len(), Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::KeyValue;

    fn key(s: &str) -> StoredKey {
        StoredKey {
            token: 1,
            hash: KeyValue::S(s.into()),
            range: None,
        }
    }

    #[test]
    fn a_taken_item_conflicts_until_its_transaction_ends() {
        let locks = ItemLocks::default();
        assert!(!locks.is_taken("t", &key("a")));
        let held = locks
            .take(vec![("t".into(), key("a")), ("u".into(), key("a"))])
            .unwrap_or_else(|_| panic!("free"));
        assert!(locks.is_taken("t", &key("a")));
        assert!(!locks.is_taken("t", &key("b")));
        let second = locks.take(vec![("t".into(), key("b")), ("u".into(), key("a"))]);
        assert_eq!(second.err(), Some(vec![false, true]));
        // The loser took nothing: b is still free.
        assert!(!locks.is_taken("t", &key("b")));
        drop(held);
        assert!(!locks.is_taken("u", &key("a")));
        assert_eq!(locks.count.load(Ordering::Acquire), 0);
        assert!(locks.taken.lock().is_empty());
    }
}
