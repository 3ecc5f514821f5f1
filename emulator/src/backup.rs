//! Backups: on-demand backups (CreateBackup) and point-in-time recovery's history.
//!
//! An on-demand backup is a table's definition and items as they were when it was taken.
//! Point-in-time recovery lets a table be restored as it was at any second of its recovery
//! window (35 days by default): the emulator keeps, for a table with PITR on, the state at the
//! start of the window and every committed change since, on its own clock, fed by the same
//! change path as the replicas and streams ([`crate::table::Table::put`] and `remove`). A
//! restore replays the changes up to the chosen time over that base; changes older than the
//! window fold into the base as the clock moves, so the history holds at most the window's
//! changes and one copy of the items.
//! <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Point-in-time-recovery.html>

use crate::storage::key::StoredKey;
use crate::storage::TableDefinition;
use crate::value::Item;
use parking_lot::Mutex;
use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

/// A day.
pub const DAY: Duration = Duration::from_secs(86_400);

/// DynamoDB's newest restorable time lags the present by about five minutes.
pub const RESTORE_LAG: Duration = Duration::from_secs(300);

/// An on-demand backup.
#[derive(Debug, Clone)]
pub struct Backup {
    pub arn: String,
    pub name: String,
    pub created_at: Duration,
    /// The table's definition when the backup was taken.
    pub def: TableDefinition,
    /// Its items, in key order.
    pub items: Vec<Item>,
    /// Bytes of the items by DynamoDB's size rules.
    pub size: u64,
}

/// The emulator's backups, by ARN.
#[derive(Debug, Default)]
pub struct Backups {
    backups: Mutex<BTreeMap<String, Backup>>,
}

impl Backups {
    /// Keeps a backup.
    pub fn insert(&self, b: Backup) {
        self.backups.lock().insert(b.arn.clone(), b);
    }

    /// A backup by ARN.
    pub fn get(&self, arn: &str) -> Option<Backup> {
        self.backups.lock().get(arn).cloned()
    }

    /// Removes a backup.
    pub fn remove(&self, arn: &str) -> Option<Backup> {
        self.backups.lock().remove(arn)
    }

    /// Every backup's summary fields, by creation time, then ARN.
    pub fn list(&self) -> Vec<Backup> {
        let mut all: Vec<Backup> = self
            .backups
            .lock()
            .values()
            .map(|b| Backup {
                arn: b.arn.clone(),
                name: b.name.clone(),
                created_at: b.created_at,
                def: b.def.clone(),
                items: Vec::new(),
                size: b.size,
            })
            .collect();
        all.sort_by(|a, b| (a.created_at, &a.arn).cmp(&(b.created_at, &b.arn)));
        all
    }
}

/// A table's point-in-time history: the state at `base_at`, and every change after it.
#[derive(Debug, Clone, Default)]
pub struct PointInTime {
    base_at: Duration,
    base: BTreeMap<StoredKey, Item>,
    changes: VecDeque<(Duration, StoredKey, Option<Item>)>,
}

impl PointInTime {
    /// A history starting at `now` from the table's current items.
    pub fn starting(now: Duration, items: impl Iterator<Item = (StoredKey, Item)>) -> Self {
        PointInTime {
            base_at: now,
            base: items.collect(),
            changes: VecDeque::new(),
        }
    }

    /// The earliest time it can restore to.
    pub fn earliest(&self) -> Duration {
        self.base_at
    }

    /// Records a committed change (the item is now `new`), then folds what is older than
    /// `window` into the base.
    pub fn record(&mut self, at: Duration, key: StoredKey, new: Option<Item>, window: Duration) {
        self.changes.push_back((at, key, new));
        let horizon = at.saturating_sub(window);
        while self.changes.front().is_some_and(|(t, ..)| *t < horizon) {
            let (t, key, new) = self.changes.pop_front().expect("checked");
            match new {
                Some(item) => self.base.insert(key, item),
                None => self.base.remove(&key),
            };
            self.base_at = self.base_at.max(t);
        }
        if horizon > self.base_at {
            self.base_at = horizon;
        }
        // A burst of changes that has folded away gives its room back.
        if self.changes.capacity() > 64 && self.changes.capacity() > 4 * self.changes.len() {
            self.changes.shrink_to(2 * self.changes.len());
        }
    }

    /// An item as a snapshot holds it (loaded, not changed): part of the base.
    pub fn restore(&mut self, key: StoredKey, item: Item) {
        self.base.insert(key, item);
    }

    /// The items as they were at `at` (every change at or before it applied), in key order.
    pub fn state_at(&self, at: Duration) -> Vec<Item> {
        let mut state = self.base.clone();
        for (t, key, new) in &self.changes {
            if *t > at {
                break;
            }
            match new {
                Some(item) => state.insert(key.clone(), item.clone()),
                None => state.remove(key),
            };
        }
        state.into_values().collect()
    }

    /// What changed in `[from, to)` (DynamoDB's ExportFromTime is inclusive, ExportToTime
    /// exclusive), by key in key order: the item at `from` (if any), the
    /// item at `to` (if any) and when the last of its changes happened. An incremental
    /// export writes this.
    pub fn changes_between(&self, from: Duration, to: Duration) -> Vec<Change> {
        let mut state: BTreeMap<&StoredKey, &Item> = self.base.iter().collect();
        let mut changed: BTreeMap<&StoredKey, Change> = BTreeMap::new();
        for (t, key, new) in &self.changes {
            if *t >= to {
                break;
            }
            if *t < from {
                match new {
                    Some(item) => state.insert(key, item),
                    None => state.remove(key),
                };
                continue;
            }
            let c = changed.entry(key).or_insert_with(|| Change {
                old: state.get(key).map(|i| (*i).clone()),
                new: None,
                at: *t,
            });
            c.new = new.clone();
            c.at = *t;
        }
        changed.into_values().collect()
    }
}

/// One item's change over an interval (see [`PointInTime::changes_between`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub old: Option<Item>,
    pub new: Option<Item>,
    pub at: Duration,
}
