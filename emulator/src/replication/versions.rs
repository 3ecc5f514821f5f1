//! Version chains: the older values of recently written items, kept only while some replica (or
//! the worst-case window) may still see them. The current value lives in the table itself.

use crate::storage::StoredKey;
use crate::value::{item_size, Item};
use std::borrow::Cow;
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
    /// Versions past the frontier kept for scripted stale reads, collected once no longer
    /// needed.
    held: Vec<(u64, StoredKey)>,
    bytes: usize,
}

impl VersionChains {
    /// Records that the write at `lsn` replaced `before` (None: the item did not exist).
    pub fn record(&mut self, key: &StoredKey, lsn: u64, before: Option<Item>) {
        self.bytes += before.as_ref().map(item_size).unwrap_or(0) + 64;
        // Most chains hold one version: room for one, not a `VecDeque`'s default four.
        self.chains
            .entry(key.clone())
            .or_insert_with(|| VecDeque::with_capacity(1))
            .push_back(Version { lsn, before });
        self.log.push_back((lsn, key.clone()));
    }

    /// The value of `key` seen at log position `pos`, given how to read its current value
    /// (only read if no older version answers).
    pub fn at<'a>(
        &'a self,
        key: &StoredKey,
        pos: u64,
        current: impl FnOnce() -> Option<Item>,
    ) -> Option<Cow<'a, Item>> {
        match self.older(key, pos) {
            Some(before) => before.map(Cow::Borrowed),
            None => current().map(Cow::Owned),
        }
    }

    /// The older value of `key` a reader at log position `pos` sees (`Some(None)`: the item
    /// did not exist then), or `None` if it sees the current value.
    pub fn older<'a>(&'a self, key: &StoredKey, pos: u64) -> Option<Option<&'a Item>> {
        let chain = self.chains.get(key)?;
        chain
            .iter()
            .find(|v| v.lsn > pos)
            .map(|v| v.before.as_ref())
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

    // The state checker runs in debug builds only (and their tests).
    #[cfg(debug_assertions)]
    /// Checks the chains against the log: every chain's versions in increasing log order, the
    /// log in log order, and the same versions in both. A failure is an emulator bug.
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut counted = 0usize;
        for (key, chain) in &self.chains {
            if chain.is_empty() {
                return Err(format!("an empty version chain is kept for {key:?}"));
            }
            if chain
                .iter()
                .zip(chain.iter().skip(1))
                .any(|(a, b)| a.lsn >= b.lsn)
            {
                return Err(format!("the versions of {key:?} are out of log order"));
            }
            counted += chain.len();
        }
        if self
            .log
            .iter()
            .zip(self.log.iter().skip(1))
            .any(|(a, b)| a.0 >= b.0)
        {
            return Err("the version log is out of log order".into());
        }
        if counted != self.log.len() + self.held.len() {
            return Err(format!(
                "{counted} versions in the chains, {} in the log and {} held",
                self.log.len(),
                self.held.len()
            ));
        }
        Ok(())
    }

    /// Whether nothing is pending anywhere (every view is current).
    pub fn is_empty(&self) -> bool {
        self.chains.is_empty()
    }

    /// Drops versions no reader can see any more (written at or before `frontier`), keeping the
    /// latest version of keys `keep` names (scripted stale reads still need it) until they no
    /// longer do.
    pub fn collect(&mut self, frontier: u64, keep: impl Fn(&StoredKey) -> bool) {
        for (lsn, key) in std::mem::take(&mut self.held) {
            self.drop_or_hold(lsn, key, &keep);
        }
        while self.log.front().is_some_and(|(lsn, _)| *lsn <= frontier) {
            if let Some((lsn, key)) = self.log.pop_front() {
                self.drop_or_hold(lsn, key, &keep);
            }
        }
        super::give_back(&mut self.log);
    }

    /// Drops the version `lsn` of `key`, unless it is the key's only one and `keep` wants it.
    fn drop_or_hold(&mut self, lsn: u64, key: StoredKey, keep: &impl Fn(&StoredKey) -> bool) {
        let Some(chain) = self.chains.get_mut(&key) else {
            return;
        };
        if chain.len() == 1 && keep(&key) {
            self.held.push((lsn, key));
            return;
        }
        if let Some(i) = chain.iter().position(|v| v.lsn == lsn) {
            if let Some(v) = chain.remove(i) {
                self.bytes = self
                    .bytes
                    .saturating_sub(v.before.as_ref().map(item_size).unwrap_or(0) + 64);
            }
        }
        if chain.is_empty() {
            self.chains.remove(&key);
        }
    }

    /// Drops every version (settle: every replica is current).
    pub fn clear(&mut self) {
        self.chains.clear();
        self.log.clear();
        super::give_back(&mut self.log);
        self.held = Vec::new();
        self.bytes = 0;
    }

    /// Versions kept, and the bytes they hold (for the memory figures).
    pub fn stats(&self) -> (usize, usize) {
        (self.chains.values().map(VecDeque::len).sum(), self.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::KeyValue;

    #[test]
    fn versions_held_for_scripted_reads_are_collected_once_released() {
        let key = StoredKey::new(KeyValue::S("k".into()), None);
        let mut v = VersionChains::default();
        v.record(&key, 1, None);
        v.collect(5, |_| true);
        assert_eq!(v.stats().0, 1, "the only version is held");
        v.check_invariants()
            .expect("held versions are accounted for");
        v.record(&key, 6, Some(Item::new()));
        v.collect(10, |_| true);
        assert_eq!(v.stats().0, 1, "the older version goes, the newest is held");
        v.check_invariants().expect("consistent");
        v.collect(10, |_| false);
        assert!(v.is_empty(), "released once the scripted reads are done");
        v.check_invariants().expect("consistent");
    }
}
