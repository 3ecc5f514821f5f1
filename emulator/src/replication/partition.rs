//! Partitions and their replicas.
//!
//! A table's partition-key hash space is cut into contiguous ranges, one per partition; a
//! partition splits in two when it outgrows its size. Each partition has three replicas: the
//! leader, which has every write, and two followers, each with a queue of the writes it has not
//! applied yet and when it will. Replicas apply writes in log order, so "what replica r sees at
//! time t" is one log position. Each partition also owns the token buckets of its hard limits
//! (3,000 RCU and 1,000 WCU per second): a split gives each half a copy, so a partition and its
//! capacity can never drift apart.

use crate::capacity::Buckets;
use parking_lot::Mutex;
use serde::Serialize;
use std::collections::VecDeque;
use std::time::Duration;

/// Replicas per partition, leader included.
pub const REPLICAS: usize = 3;

/// Writes a replica has not applied yet, with when it applies each.
#[derive(Debug, Clone, Default)]
pub struct ReplicaQueue {
    applied: u64,
    pending: VecDeque<(u64, Duration)>,
    /// The replica's stall process, under the `stalls` lag model.
    pub stall: super::lag::StallState,
}

impl ReplicaQueue {
    /// Adds a write; a replica applies writes in order, so it never becomes visible before the
    /// previous one.
    pub fn push(&mut self, lsn: u64, visible_at: Duration) {
        let at = self
            .pending
            .back()
            .map_or(visible_at, |(_, last)| visible_at.max(*last));
        self.pending.push_back((lsn, at));
    }

    /// The log position visible at `now`.
    pub fn position(&self, now: Duration) -> u64 {
        let n = self.pending.partition_point(|(_, at)| *at <= now);
        if n == 0 {
            self.applied
        } else {
            self.pending[n - 1].0
        }
    }

    /// Forgets writes applied by `now`.
    pub fn advance(&mut self, now: Duration) {
        while let Some((lsn, at)) = self.pending.front() {
            if *at > now {
                break;
            }
            self.applied = *lsn;
            self.pending.pop_front();
        }
        super::give_back(&mut self.pending);
    }

    /// Applies everything up to `lsn` now.
    pub fn settle(&mut self, lsn: u64) {
        self.pending.clear();
        super::give_back(&mut self.pending);
        self.applied = self.applied.max(lsn);
    }

    #[cfg(test)]
    fn pending(&self) -> usize {
        self.pending.len()
    }

    /// How long after `now` the replica will have applied every write it has been sent.
    pub fn behind_at(&self, now: Duration) -> Duration {
        self.pending
            .back()
            .map_or(Duration::ZERO, |(_, at)| at.saturating_sub(now))
    }

    /// Writes not yet applied at `now`.
    pub fn pending_at(&self, now: Duration) -> usize {
        self.pending.len() - self.pending.partition_point(|(_, at)| *at <= now)
    }
}

/// Commit times of recent writes, for worst-case reads ("nothing newer than the window").
#[derive(Debug, Clone, Default)]
pub struct CommitLog {
    base: u64,
    commits: VecDeque<(u64, Duration)>,
}

impl CommitLog {
    pub fn push(&mut self, lsn: u64, at: Duration) {
        self.commits.push_back((lsn, at));
    }

    /// The last position committed at or before `cutoff`.
    pub fn position_at(&self, cutoff: Option<Duration>) -> u64 {
        let Some(cutoff) = cutoff else {
            return self.base;
        };
        let n = self.commits.partition_point(|(_, at)| *at <= cutoff);
        if n == 0 {
            self.base
        } else {
            self.commits[n - 1].0
        }
    }

    /// Forgets commits older than `cutoff`.
    pub fn advance(&mut self, cutoff: Option<Duration>) {
        let Some(cutoff) = cutoff else { return };
        while let Some((lsn, at)) = self.commits.front() {
            if *at > cutoff {
                break;
            }
            self.base = *lsn;
            self.commits.pop_front();
        }
        super::give_back(&mut self.commits);
    }

    pub fn settle(&mut self, lsn: u64) {
        self.commits.clear();
        super::give_back(&mut self.commits);
        self.base = self.base.max(lsn);
    }

    /// Commit time of the first write after `pos`, if still known.
    pub fn first_after(&self, pos: u64) -> Option<Duration> {
        self.commits
            .iter()
            .find(|(l, _)| *l > pos)
            .map(|(_, at)| *at)
    }
}

/// One partition: a range of the hash space, its replicas, its size and its hard limits.
#[derive(Debug)]
pub struct Partition {
    /// First token of the range (inclusive); the range ends where the next partition starts.
    pub start: u64,
    pub replicas: [ReplicaQueue; REPLICAS],
    pub commits: CommitLog,
    pub bytes: u64,
    pub items: u64,
    /// The partition's hard limits and heat. Reads take a table's lock shared, and admitting a
    /// read spends tokens, so the buckets have their own lock.
    pub buckets: Mutex<Buckets>,
}

impl Clone for Partition {
    fn clone(&self) -> Partition {
        Partition {
            start: self.start,
            replicas: self.replicas.clone(),
            commits: self.commits.clone(),
            bytes: self.bytes,
            items: self.items,
            buckets: Mutex::new(self.buckets.lock().clone()),
        }
    }
}

impl Partition {
    fn new(start: u64, now: Duration) -> Partition {
        Partition {
            start,
            replicas: Default::default(),
            commits: CommitLog::default(),
            bytes: 0,
            items: 0,
            buckets: Mutex::new(Buckets::partition(now)),
        }
    }
}

/// Every partition of a table, plus the feed that updates its global secondary indexes.
#[derive(Debug, Clone)]
pub struct PartitionMap {
    pub parts: Vec<Partition>,
    /// Global secondary indexes apply table writes through one asynchronous feed.
    pub gsi_feed: ReplicaQueue,
    pub gsi_commits: CommitLog,
}

impl PartitionMap {
    /// `count` partitions splitting the hash space evenly, their buckets full at `now`.
    pub fn new(count: usize, now: Duration) -> PartitionMap {
        let count = count.max(1) as u128;
        let parts = (0..count)
            .map(|i| Partition::new(((i << 64) / count) as u64, now))
            .collect();
        PartitionMap {
            parts,
            gsi_feed: ReplicaQueue::default(),
            gsi_commits: CommitLog::default(),
        }
    }

    /// The partition holding `token`.
    pub fn index_of(&self, token: u64) -> usize {
        self.parts
            .partition_point(|p| p.start <= token)
            .saturating_sub(1)
    }

    /// The token range of partition `i`: `[start, end)`, `end` None for the last.
    pub fn range_of(&self, i: usize) -> (u64, Option<u64>) {
        (self.parts[i].start, self.parts.get(i + 1).map(|p| p.start))
    }

    /// Splits partition `i` at `token`: the new partition starts with the same replica state,
    /// and each half has a partition's own hard limits, starting where the whole was.
    pub fn split(&mut self, i: usize, token: u64, bytes_right: u64, items_right: u64) {
        let mut right = self.parts[i].clone();
        right.start = token;
        right.bytes = bytes_right;
        right.items = items_right;
        let left = &mut self.parts[i];
        left.bytes = left.bytes.saturating_sub(bytes_right);
        left.items = left.items.saturating_sub(items_right);
        self.parts.insert(i + 1, right);
    }
}

/// What the inspection API shows of a partition.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PartitionInfo {
    pub index: usize,
    pub token_start: String,
    pub token_end: Option<String>,
    pub item_count: u64,
    pub size_bytes: u64,
    pub replicas: Vec<ReplicaInfo>,
    /// The partition's hard-limit buckets (3,000 RCU / 1,000 WCU per second).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub burst: Option<crate::capacity::BurstLevels>,
}

/// What the inspection API shows of a replica.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReplicaInfo {
    pub name: String,
    pub applied_position: u64,
    pub pending_writes: usize,
    /// How long until it has applied every write sent to it.
    pub behind_milliseconds: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replicas_apply_in_order() {
        let mut q = ReplicaQueue::default();
        q.push(1, Duration::from_millis(50));
        q.push(2, Duration::from_millis(10)); // cannot overtake write 1
        assert_eq!(q.position(Duration::from_millis(5)), 0);
        assert_eq!(q.position(Duration::from_millis(20)), 0);
        assert_eq!(q.position(Duration::from_millis(50)), 2);
        q.advance(Duration::from_millis(50));
        assert_eq!(q.pending(), 0);
        assert_eq!(q.position(Duration::ZERO), 2);
    }

    #[test]
    fn partitions_cover_the_hash_space() {
        let m = PartitionMap::new(4, Duration::ZERO);
        assert_eq!(m.index_of(0), 0);
        assert_eq!(m.index_of(u64::MAX), 3);
        assert_eq!(m.index_of(1 << 62), 1);
        assert_eq!(m.range_of(3).1, None);
    }
}
