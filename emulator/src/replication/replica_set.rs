//! A table's replicas: the layer over its item store that decides what a read sees.
//!
//! The item store holds the leader's state. [`ReplicaSet`] records every write in a log (one
//! position per write), in the queues of the partition's followers (with a drawn lag) and of
//! the GSI feed, and keeps the versions a lagging reader may still need. A read first picks a
//! view ([`ReplicaSet::read_view`]: the leader, a replica, the worst case, or the GSI feed);
//! [`ReplicaSet::get`] and the range reads then resolve each key at the view's log position.
//! It also decides when partitions split: for size, for heat, and when throughput grows.

use super::partition::REPLICAS;
use super::{
    Consistency, LagModel, PartitionInfo, PartitionMap, ReadInfo, ReplicaInfo, ReplicationConfig,
    Settings, VersionChains,
};
use crate::storage::key::{IndexTie, StoredKey};
use crate::storage::store::IndexEntry;
use crate::storage::{Found, IndexDefinition, ItemStore, ReadItem};
use crate::value::Item;
use parking_lot::Mutex;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Bound;
use std::sync::Arc;
use std::time::Duration;

/// Partitions, replica queues and versions of one table.
#[derive(Debug)]
pub struct ReplicaSet {
    /// The write log position: one per write.
    lsn: u64,
    partitions: PartitionMap,
    versions: VersionChains,
    config: Arc<ReplicationConfig>,
    /// Replica choice and lag draws, seeded from the emulator's RNG when the table was created.
    rng: Mutex<ChaCha8Rng>,
    /// Scripted staleness: key → eventual reads still to serve stale.
    scripted: Mutex<HashMap<StoredKey, u32>>,
    /// When versions were last collected (by a write, or by a read through [`Self::wants_collect`]).
    collected_at: Duration,
}

/// How often reads alone make a table drop the versions no replica can see any more. Writes
/// collect as they go; without this, the last lag window of a bulk load (a second of writes
/// at the default lag) would keep its old versions until the next write, however long after.
const COLLECT_EVERY: Duration = Duration::from_millis(100);

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

/// The first key of a token: where a partition's key range starts.
fn token_start(token: u64) -> StoredKey {
    StoredKey {
        token,
        ..StoredKey::min()
    }
}

impl ReplicaSet {
    /// `partitions` partitions, their buckets full at `now`, drawing from an RNG seeded `seed`.
    pub fn new(
        partitions: usize,
        config: Arc<ReplicationConfig>,
        seed: u64,
        now: Duration,
    ) -> ReplicaSet {
        ReplicaSet {
            lsn: 0,
            partitions: PartitionMap::new(partitions, now),
            versions: VersionChains::default(),
            config,
            rng: Mutex::new(ChaCha8Rng::seed_from_u64(seed)),
            scripted: Mutex::new(HashMap::new()),
            collected_at: now,
        }
    }

    /// Whether old versions may be collectable at `now` and the last collection is
    /// [`COLLECT_EVERY`] old (cheap, under the read lock). Collecting changes no answer: it
    /// drops only versions no reader can be shown.
    pub fn wants_collect(&self, now: Duration) -> bool {
        !self.versions.is_empty() && now.saturating_sub(self.collected_at) >= COLLECT_EVERY
    }

    /// Drops the versions no reader can see at `now`.
    pub fn collect_now(&mut self, now: Duration) {
        let settings = self.config.settings();
        self.collect(now, &settings);
    }

    /// The partition holding `token` (for its buckets).
    pub fn partition(&self, token: u64) -> &super::partition::Partition {
        &self.partitions.parts[self.partitions.index_of(token)]
    }

    #[cfg(test)]
    pub(crate) fn partition_count(&self) -> usize {
        self.partitions.parts.len()
    }

    /// Keeps the partition's item count and bytes in step with a change of an item of
    /// `old` bytes (None: absent) into one of `new` bytes.
    pub fn resize(&mut self, token: u64, old: Option<u64>, new: Option<u64>) {
        let p = self.partitions.index_of(token);
        let part = &mut self.partitions.parts[p];
        if let Some(size) = old {
            part.bytes = part.bytes.saturating_sub(size);
            part.items = part.items.saturating_sub(1);
        }
        if let Some(size) = new {
            part.bytes += size;
            part.items += 1;
        }
    }

    /// Records a write (the item stored at `key` was `before`) for the replicas: the leader and
    /// one follower have it at once, the other follower after a drawn lag, the GSI feed after
    /// its own lag; then splits the partition if it outgrew its size or ran hot. Returns when
    /// the asynchronous feeds (GSIs, the stream) have the write.
    pub fn record(
        &mut self,
        store: &ItemStore,
        key: &StoredKey,
        before: Option<Item>,
        now: Duration,
    ) -> Duration {
        self.lsn += 1;
        let lsn = self.lsn;
        let settings = self.config.settings();
        let scripted = self.scripted.lock().get(key).is_some_and(|n| *n > 0);
        if settings.consistency == Consistency::Strong && !scripted {
            self.settle();
            self.maybe_split(store, key.token, &settings, now);
            return now;
        }
        self.versions.record(key, lsn, before);
        let p = self.partitions.index_of(key.token);
        let fed = {
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
            now + gsi_lag
        };
        self.collect(now, &settings);
        self.maybe_split(store, key.token, &settings, now);
        fed
    }

    /// Each partition's first token, in order (a stream's shards follow them).
    pub fn partition_starts(&self) -> Vec<u64> {
        self.partitions.parts.iter().map(|p| p.start).collect()
    }

    /// Drops versions and queue entries no reader can see any more.
    fn collect(&mut self, now: Duration, settings: &Settings) {
        self.collected_at = now;
        let table_cutoff = now.checked_sub(settings.table_lag.window());
        let gsi_cutoff = now.checked_sub(settings.gsi_lag.window());
        // Only worst-case reads look back over the whole lag window; otherwise a version is
        // needed only until every replica (and the GSI feed) has applied the write after it,
        // which under the default lag is milliseconds, not the window's full second.
        let worst_case = settings.consistency == Consistency::WorstCase;
        let mut frontier = self.lsn;
        for part in &mut self.partitions.parts {
            for r in &mut part.replicas {
                r.advance(now);
                frontier = frontier.min(r.position(now));
            }
            part.commits.advance(table_cutoff);
            if worst_case {
                frontier = frontier.min(part.commits.position_at(table_cutoff));
            }
        }
        self.partitions.gsi_feed.advance(now);
        self.partitions.gsi_commits.advance(gsi_cutoff);
        frontier = frontier.min(self.partitions.gsi_feed.position(now));
        if worst_case {
            frontier = frontier.min(self.partitions.gsi_commits.position_at(gsi_cutoff));
        }
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

    /// Splits partitions until there are `needed` (DynamoDB splits partitions when throughput
    /// rises; it never merges them), cutting the widest token range in half each time.
    pub fn grow_to(&mut self, store: &ItemStore, needed: usize) {
        while self.partitions.parts.len() < needed {
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
            let (start, end) = self.partitions.range_of(i);
            let mid = start + width / 2;
            let lo = token_start(mid);
            let hi = match end {
                Some(e) => Bound::Excluded(token_start(e)),
                None => Bound::Unbounded,
            };
            let range = store.range((Bound::Included(lo), hi));
            let (mut bytes, mut items) = (0u64, 0u64);
            for e in range {
                bytes += e.size();
                items += 1;
            }
            self.partitions.split(i, mid, bytes, items);
        }
    }

    /// Splits the partition holding `token` when it outgrew the partition size, at its median
    /// item, or when it has been hot (half its hard limit or more) for a minute: DynamoDB
    /// splits for size and for heat, so a hot range of keys gets twice the capacity. A single
    /// hot key does not: the split point must fall between two distinct partition keys.
    fn maybe_split(&mut self, store: &ItemStore, token: u64, settings: &Settings, now: Duration) {
        let p = self.partitions.index_of(token);
        if self.partitions.parts[p].items < 2 {
            return;
        }
        if self.partitions.parts[p].bytes > settings.partition_bytes {
            self.split_at_median(store, p, |_, size| size);
            return;
        }
        let hot = self.partitions.parts[p].buckets.lock().hot_for_split(now);
        if hot && self.split_at_median(store, p, |_, _| 1) {
            self.partitions.parts[p].buckets.lock().cool();
            self.partitions.parts[p + 1].buckets.lock().cool();
        }
    }

    /// Splits partition `p` at the first token past half its weight (`weight` of each item:
    /// its bytes, or 1 to split by count), between two distinct tokens; whether it split.
    fn split_at_median(
        &mut self,
        store: &ItemStore,
        p: usize,
        weight: impl Fn(u64, u64) -> u64,
    ) -> bool {
        let (start, end) = self.partitions.range_of(p);
        let hi = match end {
            Some(e) => Bound::Excluded(token_start(e)),
            None => Bound::Unbounded,
        };
        let tokens: Vec<(u64, u64)> = store
            .range((Bound::Included(token_start(start)), hi))
            .map(|e| (e.token(), e.size()))
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
                return true;
            }
        }
        false
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
        let settings = self.config.settings();
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
                self.gsi_view(pos, consistent, now)
            }
            (_, true) => {
                let pos = self.partitions.gsi_feed.position(now);
                self.gsi_view(pos, consistent, now)
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

    fn gsi_view(&self, pos: u64, consistent: bool, now: Duration) -> ReadView {
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
            ViewKind::Replica(r) => Some(self.partition(token).replicas[r].position(now)),
            ViewKind::WorstCase(cutoff) => Some(self.partition(token).commits.position_at(cutoff)),
        }
    }

    /// An item as a view sees it, with scripted staleness; updates `view.info` for this key.
    pub fn get<'a>(
        &'a self,
        store: &'a ItemStore,
        view: &mut ReadView,
        key: &StoredKey,
        now: Duration,
    ) -> Option<ReadItem<'a>> {
        let at = |pos: u64| match self.versions.older(key, pos) {
            Some(before) => before.map(|b| ReadItem::Decoded(Cow::Borrowed(b))),
            None => store.entry(key).map(ReadItem::Packed),
        };
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
                    return at(latest - 1);
                }
            }
        }
        match self.position(view, key.token, now) {
            None => store.entry(key).map(ReadItem::Packed),
            Some(pos) => {
                let part = self.partition(key.token);
                match view.kind {
                    ViewKind::Replica(_) => {
                        view.info = self.info_for(
                            view.info.replica,
                            pos,
                            now,
                            part.commits.first_after(pos),
                        );
                    }
                    ViewKind::WorstCase(_) => {
                        view.info =
                            self.info_for("worst-case", pos, now, part.commits.first_after(pos));
                    }
                    ViewKind::Current | ViewKind::Gsi(_) => {}
                }
                view.info.stale = self.versions.latest_write(key).is_some_and(|l| l > pos);
                at(pos)
            }
        }
    }

    /// Items of a key range as a view sees them, in key order (reversed if asked).
    pub fn range<'a>(
        &'a self,
        store: &'a ItemStore,
        view: &ReadView,
        lo: Bound<StoredKey>,
        hi: Bound<StoredKey>,
        reverse: bool,
        now: Duration,
    ) -> Box<dyn Iterator<Item = Found<'a>> + 'a> {
        if matches!(view.kind, ViewKind::Current)
            || self
                .versions
                .keys_in((lo.clone(), hi.clone()))
                .next()
                .is_none()
        {
            let r = store.range((lo, hi)).map(Found::packed);
            return if reverse {
                Box::new(r.rev())
            } else {
                Box::new(r)
            };
        }
        // Union of current keys and keys with older versions, each at the view's position,
        // merged lazily: a page that stops after a few items reads only those.
        let items = store.range((lo.clone(), hi.clone())).map(|e| e.key());
        let versioned = self.versions.keys_in((lo, hi)).cloned();
        let keys: Box<dyn Iterator<Item = StoredKey> + 'a> = if reverse {
            Box::new(merge_sorted(items.rev(), versioned.rev(), true, |k| k))
        } else {
            Box::new(merge_sorted(items, versioned, false, |k| k))
        };
        let view = view.clone();
        Box::new(keys.filter_map(move |k| {
            let pos = self.position(&view, k.token, now)?;
            let v = match self.versions.older(&k, pos) {
                Some(before) => ReadItem::Decoded(Cow::Borrowed(before?)),
                None => ReadItem::Packed(store.entry(&k)?),
            };
            Some(Found::at(k, v))
        }))
    }

    /// Entries of a secondary index range as a view sees them: (index key, item), in index order
    /// (reversed if asked).
    #[allow(clippy::too_many_arguments)]
    pub fn index_range<'a>(
        &'a self,
        store: &'a ItemStore,
        view: &ReadView,
        idx: &'a IndexDefinition,
        lo: Bound<IndexEntry>,
        hi: Bound<IndexEntry>,
        reverse: bool,
        now: Duration,
    ) -> Box<dyn Iterator<Item = (StoredKey, ReadItem<'a>)> + 'a> {
        let Some(entries) = store.index(&idx.name) else {
            return Box::new(std::iter::empty());
        };
        if matches!(view.kind, ViewKind::Current) || self.versions.is_empty() {
            let r = entries.range((lo, hi));
            let it = r.filter_map(move |(ik, tk)| {
                store
                    .entry(&tk.key)
                    .map(|e| (ik.clone(), ReadItem::Packed(e)))
            });
            return if reverse {
                Box::new(it.rev())
            } else {
                Box::new(it)
            };
        }
        let in_range = |k: &IndexEntry| {
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
        let current = entries
            .range((lo.clone(), hi.clone()))
            .filter_map(move |(ik, tie)| {
                let tk = &tie.key;
                let v = match self.position(&view_now, tk.token, now) {
                    None => store.get(tk).map(Cow::Owned),
                    Some(pos) => self.versions.at(tk, pos, || store.get(tk)),
                }?;
                (idx.entry_key(&v).as_ref() == Some(ik)).then(|| ((ik.clone(), tie.clone()), v))
            });
        let mut past: Vec<(IndexEntry, Cow<'a, Item>)> = Vec::new();
        for tk in self.versions.keys_in(..) {
            let Some(pos) = self.position(view, tk.token, now) else {
                continue;
            };
            let Some(v) = self.versions.at(tk, pos, || store.get(tk)) else {
                continue;
            };
            let Some(ik) = idx.entry_key(&v) else {
                continue;
            };
            let current_ik = store.get(tk).and_then(|c| idx.entry_key(&c));
            if current_ik.as_ref() == Some(&ik) {
                continue;
            }
            let entry = (ik, IndexTie::of(tk.clone()));
            if in_range(&entry) {
                past.push((entry, v));
            }
        }
        past.sort_by(|a, b| a.0.cmp(&b.0));
        let merged: Box<dyn Iterator<Item = (IndexEntry, Cow<'a, Item>)> + 'a> = if reverse {
            Box::new(merge_sorted(
                current.rev(),
                past.into_iter().rev(),
                true,
                |e| &e.0,
            ))
        } else {
            Box::new(merge_sorted(current, past.into_iter(), false, |e| &e.0))
        };
        Box::new(merged.map(|((ik, _), v)| (ik, ReadItem::Decoded(v))))
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
                            behind_milliseconds: q.behind_at(now).as_millis() as u64,
                        })
                        .collect(),
                    burst: part.buckets.lock().levels(now),
                }
            })
            .collect()
    }

    /// Write log position, versions kept and their bytes (inspection and memory figures).
    pub fn stats(&self) -> (u64, usize, usize) {
        let (n, b) = self.versions.stats();
        (self.lsn, n, b)
    }

    // The state checker runs in debug builds only (and their tests).
    #[cfg(debug_assertions)]
    /// Checks each partition's item count and bytes against the store, and the version chains.
    pub fn check_invariants(&self, store: &ItemStore) -> std::result::Result<(), String> {
        let mut parts = vec![(0u64, 0u64); self.partitions.parts.len()];
        for e in store.iter() {
            let p = &mut parts[self.partitions.index_of(e.token())];
            p.0 += 1;
            p.1 += e.size();
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
        self.versions.check_invariants()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::KeyValue;

    #[test]
    fn merging_sorted_keys_keeps_the_order_and_each_key_once() {
        let keys: Vec<StoredKey> = (0..40)
            .map(|i| StoredKey::new(KeyValue::S(format!("k{i}").into()), None))
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
