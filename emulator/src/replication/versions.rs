//! Version chains: the older values of recently written items, kept only while some replica (or
//! the worst-case window) may still see them. The current value lives in the table itself.

use crate::storage::StoredKey;
use crate::value::{item_size, Item};
use std::collections::{BTreeMap, VecDeque};
use std::ops::RangeBounds;

/// One recorded write: its log position and the value the item had just before it.
#[derive(Debug, Clone)]
struct Version {
    lsn: u64,
    before: Option<Item>,
}

/// Older versions of items, by key.
#[derive(Debug, Default)]
pub struct VersionChains {
    chains: BTreeMap<StoredKey, VecDeque<Version>>,
    /// Every recorded version in log order, for garbage collection.
    log: VecDeque<(u64, StoredKey)>,
    bytes: usize,
}

impl VersionChains {
    /// Records that the write at `lsn` replaced `before` (None: the item did not exist).
    pub fn record(&mut self, key: &StoredKey, lsn: u64, before: Option<Item>) {
        self.bytes += before.as_ref().map(item_size).unwrap_or(0) + 64;
        self.chains
            .entry(key.clone())
            .or_default()
            .push_back(Version { lsn, before });
        self.log.push_back((lsn, key.clone()));
    }

    /// The value of `key` seen at log position `pos`, given its current value.
    pub fn at<'a>(
        &'a self,
        key: &StoredKey,
        pos: u64,
        current: Option<&'a Item>,
    ) -> Option<&'a Item> {
        match self.chains.get(key) {
            None => current,
            Some(chain) => match chain.iter().find(|v| v.lsn > pos) {
                Some(v) => v.before.as_ref(),
                None => current,
            },
        }
    }

    /// Log position of the latest recorded write to `key`.
    pub fn latest_write(&self, key: &StoredKey) -> Option<u64> {
        self.chains.get(key).and_then(|c| c.back()).map(|v| v.lsn)
    }

    /// Keys with versions in `range`, in key order: the keys a stale view may see differently.
    pub fn keys_in<'a>(
        &'a self,
        range: impl RangeBounds<StoredKey> + 'a,
    ) -> impl DoubleEndedIterator<Item = &'a StoredKey> + 'a {
        self.chains.range(range).map(|(k, _)| k)
    }

    /// Whether nothing is pending anywhere (every view is current).
    pub fn is_empty(&self) -> bool {
        self.chains.is_empty()
    }

    /// Drops versions no reader can see any more (written at or before `frontier`), keeping the
    /// latest version of keys `keep` names (scripted stale reads still need it).
    pub fn collect(&mut self, frontier: u64, keep: impl Fn(&StoredKey) -> bool) {
        while let Some((lsn, _)) = self.log.front() {
            if *lsn > frontier {
                break;
            }
            let (lsn, key) = self.log.pop_front().expect("checked");
            let Some(chain) = self.chains.get_mut(&key) else {
                continue;
            };
            if chain.len() == 1 && keep(&key) {
                continue;
            }
            if chain.front().is_some_and(|v| v.lsn == lsn) {
                let v = chain.pop_front().expect("checked");
                self.bytes = self
                    .bytes
                    .saturating_sub(v.before.as_ref().map(item_size).unwrap_or(0) + 64);
            }
            if chain.is_empty() {
                self.chains.remove(&key);
            }
        }
    }

    /// Drops every version (settle: every replica is current).
    pub fn clear(&mut self) {
        self.chains.clear();
        self.log.clear();
        self.bytes = 0;
    }

    /// Versions kept, and the bytes they hold (for the memory figures).
    pub fn stats(&self) -> (usize, usize) {
        (self.chains.values().map(VecDeque::len).sum(), self.bytes)
    }
}
