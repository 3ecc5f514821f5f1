//! Shards: the ordered record logs of one stream, one open shard per partition.
//!
//! DynamoDB writes the stream record of an item change into the shard of the item's partition,
//! so the records of one item are in order within a shard lineage. When a partition splits, its
//! shard closes and each half gets a child shard whose `ParentShardId` names it; shards also
//! close and hand over to a child after a few hours open. A consumer must read a parent to its
//! end before its children to see an item's changes in order.
//! See <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Streams.html>.

use crate::value::Item;
use std::collections::VecDeque;
use std::time::Duration;

/// What a change did to its item (a record's `eventName`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamEvent {
    /// A new item.
    Insert,
    /// An item replaced or updated.
    Modify,
    /// An item deleted (by a caller, or by TTL).
    Remove,
}

impl StreamEvent {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            StreamEvent::Insert => "INSERT",
            StreamEvent::Modify => "MODIFY",
            StreamEvent::Remove => "REMOVE",
        }
    }
}

/// One stream record, as the item change produced it (images are kept whatever the view
/// type; the view type decides what GetRecords returns).
#[derive(Debug, Clone)]
pub struct Record {
    /// Position in the stream: increasing across the stream, so within every shard.
    pub seq: u64,
    /// INSERT, MODIFY or REMOVE.
    pub event: StreamEvent,
    /// The item's key attributes.
    pub keys: Item,
    /// The item after the change (None for REMOVE).
    pub new: Option<Item>,
    /// The item before the change (None for INSERT).
    pub old: Option<Item>,
    /// When the change was committed, on the emulator's clock.
    pub at: Duration,
    /// When readers may see the record: streams are fed asynchronously, never out of order.
    pub visible_at: Duration,
    /// A deletion by TTL: the record names the DynamoDB service as its user identity.
    pub by_ttl: bool,
}

/// One shard of a stream.
#[derive(Debug, Clone)]
pub struct Shard {
    /// `shardId-<20 digits>-<8 hex>`.
    pub id: String,
    /// The shard this one continues (a split partition's, or the one that rolled over).
    pub parent: Option<String>,
    /// The first sequence number the shard may hold.
    pub start_seq: u64,
    /// The last sequence number it holds, once closed (no more records will come).
    pub end_seq: Option<u64>,
    /// When it opened, and when it closed.
    pub opened_at: Duration,
    /// When it closed (None while open).
    pub closed_at: Option<Duration>,
    /// Its retained records, oldest first.
    pub records: VecDeque<Record>,
    /// The last sequence number trimmed away (0: none yet).
    pub trimmed_through: u64,
}

impl Shard {
    /// An open shard whose records start at `start_seq`.
    pub fn open(id: String, parent: Option<String>, start_seq: u64, now: Duration) -> Shard {
        Shard {
            id,
            parent,
            start_seq,
            end_seq: None,
            opened_at: now,
            closed_at: None,
            records: VecDeque::new(),
            trimmed_through: 0,
        }
    }

    /// Closes the shard: its last record (or, if it has none, the position before its start)
    /// is its ending sequence number.
    pub fn close(&mut self, now: Duration) {
        if self.is_open() {
            let last = self
                .records
                .back()
                .map_or(self.start_seq.saturating_sub(1), |r| r.seq);
            self.end_seq = Some(last.max(self.start_seq));
            self.closed_at = Some(now);
        }
    }

    /// Whether the shard still takes records.
    pub fn is_open(&self) -> bool {
        self.end_seq.is_none()
    }

    /// Where TRIM_HORIZON starts: just after the last record trimmed away, and never before
    /// the shard's own start.
    pub fn horizon(&self) -> u64 {
        self.start_seq.max(self.trimmed_through + 1)
    }

    /// Whether a reader at `position` would have missed records that were trimmed.
    pub fn trimmed_at(&self, position: u64) -> bool {
        position <= self.trimmed_through
    }

    /// Drops records committed before `cutoff` (DynamoDB keeps 24 hours).
    pub fn trim(&mut self, cutoff: Duration) {
        while self.records.front().is_some_and(|r| r.at < cutoff) {
            if let Some(r) = self.records.pop_front() {
                self.trimmed_through = r.seq;
            }
        }
    }

    /// Records from `from` on that are visible at `now`, in order.
    pub fn visible_from(&self, from: u64, now: Duration) -> impl Iterator<Item = &Record> {
        let start = self.records.partition_point(|r| r.seq < from);
        self.records
            .range(start..)
            .take_while(move |r| r.visible_at <= now)
    }

    /// Whether a reader at `from` has read everything the closed shard will ever hold.
    pub fn exhausted_at(&self, from: u64) -> bool {
        self.end_seq.is_some_and(|e| from > e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(seq: u64, at: u64) -> Record {
        Record {
            seq,
            event: StreamEvent::Insert,
            keys: Item::new(),
            new: Some(Item::new()),
            old: None,
            at: Duration::from_secs(at),
            visible_at: Duration::from_secs(at),
            by_ttl: false,
        }
    }

    #[test]
    fn a_shard_reads_in_order_trims_by_age_and_closes_at_its_last_record() {
        let mut s = Shard::open("shardId-1".into(), None, 5, Duration::ZERO);
        for (seq, at) in [(5, 1), (7, 2), (9, 3)] {
            s.records.push_back(record(seq, at));
        }
        let seen: Vec<u64> = s
            .visible_from(6, Duration::from_secs(3))
            .map(|r| r.seq)
            .collect();
        assert_eq!(seen, [7, 9]);
        // Not yet visible at second 2.
        assert_eq!(s.visible_from(8, Duration::from_secs(2)).count(), 0);
        assert_eq!(s.horizon(), 5);
        s.trim(Duration::from_secs(2));
        assert_eq!(s.horizon(), 6);
        assert!(s.trimmed_at(5));
        assert!(!s.trimmed_at(6));
        s.close(Duration::from_secs(4));
        assert_eq!(s.end_seq, Some(9));
        assert!(!s.exhausted_at(9));
        assert!(s.exhausted_at(10));
        // An empty shard closes at its start.
        let mut e = Shard::open("shardId-2".into(), None, 12, Duration::ZERO);
        e.close(Duration::from_secs(1));
        assert_eq!(e.end_seq, Some(12));
        assert!(!e.exhausted_at(12));
        assert!(e.exhausted_at(13));
    }
}
