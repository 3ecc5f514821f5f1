//! DynamoDB Streams: every item change of a table with a stream, as an ordered record.
//!
//! A table's stream is a consumer of its write path: [`TableStreams::record`] is called once per
//! committed change (PutItem, UpdateItem, DeleteItem, batches, transactions, TTL deletions), and
//! a change that leaves the item as it was writes no record, as in DynamoDB. Records go to the
//! shard of the item's partition ([`shard`]); the shards follow the table's partitions, so a
//! partition split closes a shard and opens two children. Records are kept 24 hours on the
//! emulator's clock and become readable after the replication lag of the table's GSIs (the
//! stream is fed asynchronously, like they are), never out of order.
//! See <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Streams.html>.

pub mod iterator;
pub mod reader;
pub mod shard;

use crate::value::{item_size, Item};
use shard::{Record, Shard, StreamEvent};
use std::time::Duration;

/// How long DynamoDB keeps stream records.
pub const RETENTION: Duration = Duration::from_secs(24 * 3600);

/// How long a shard stays open before DynamoDB hands it over to a child (shards roll over
/// every few hours even without splits; four is what consumers observe).
pub const SHARD_LIFETIME: Duration = Duration::from_secs(4 * 3600);

/// What a record carries besides the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ViewType {
    /// Only the key attributes.
    KeysOnly,
    /// The item after the change.
    NewImage,
    /// The item before the change.
    OldImage,
    /// Both.
    NewAndOldImages,
}

impl ViewType {
    /// The view type from its wire name.
    pub fn parse(s: &str) -> Option<ViewType> {
        Some(match s {
            "KEYS_ONLY" => ViewType::KeysOnly,
            "NEW_IMAGE" => ViewType::NewImage,
            "OLD_IMAGE" => ViewType::OldImage,
            "NEW_AND_OLD_IMAGES" => ViewType::NewAndOldImages,
            _ => return None,
        })
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ViewType::KeysOnly => "KEYS_ONLY",
            ViewType::NewImage => "NEW_IMAGE",
            ViewType::OldImage => "OLD_IMAGE",
            ViewType::NewAndOldImages => "NEW_AND_OLD_IMAGES",
        }
    }

    /// Whether records carry the new image.
    pub fn new_image(self) -> bool {
        matches!(self, ViewType::NewImage | ViewType::NewAndOldImages)
    }

    /// Whether records carry the old image.
    pub fn old_image(self) -> bool {
        matches!(self, ViewType::OldImage | ViewType::NewAndOldImages)
    }
}

/// ENABLED while the table writes to it; DISABLED once the stream was turned off (it stays
/// readable for 24 hours).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamStatus {
    /// Records are written.
    Enabled,
    /// No more records; what was written stays readable until it ages out.
    Disabled,
}

impl StreamStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            StreamStatus::Enabled => "ENABLED",
            StreamStatus::Disabled => "DISABLED",
        }
    }
}

/// One stream of a table.
#[derive(Debug, Clone)]
pub struct Stream {
    /// `<table ARN>/stream/<label>`.
    pub arn: String,
    /// The creation time, ISO 8601 with milliseconds.
    pub label: String,
    /// What records carry.
    pub view: ViewType,
    /// Enabled or disabled.
    pub status: StreamStatus,
    /// When it was created.
    pub created_at: Duration,
    /// When it was disabled.
    pub disabled_at: Option<Duration>,
    /// Every shard still described, in creation order.
    pub shards: Vec<Shard>,
    /// The open shard of each partition: (the partition's first token, index in `shards`).
    open: Vec<(u64, usize)>,
    /// The next sequence number.
    next_seq: u64,
    /// Shards created so far (names them).
    created_shards: u64,
}

/// A write, as the stream sees it.
pub struct Change<'a> {
    /// The item's key attributes.
    pub keys: Item,
    /// The partition token of the item.
    pub token: u64,
    /// Before and after.
    pub old: Option<&'a Item>,
    /// After (None: deleted).
    pub new: Option<&'a Item>,
    /// A deletion by TTL.
    pub by_ttl: bool,
    /// Commit time.
    pub at: Duration,
    /// When it may be read.
    pub visible_at: Duration,
}

impl Stream {
    /// A new stream of the table `table_arn`, created at `now`, with one open shard per
    /// partition (`partitions`: each partition's first token, in order).
    pub fn new(table_arn: &str, view: ViewType, partitions: &[u64], now: Duration) -> Stream {
        let label = crate::clock::iso8601(now);
        let mut s = Stream {
            arn: format!("{table_arn}/stream/{label}"),
            label,
            view,
            status: StreamStatus::Enabled,
            created_at: now,
            disabled_at: None,
            shards: Vec::new(),
            open: Vec::new(),
            next_seq: 1,
            created_shards: 0,
        };
        for &start in partitions {
            let i = s.open_shard(None, now);
            s.open.push((start, i));
        }
        s
    }

    /// `shardId-<creation time in ms, 20 digits>-<8 hex>`: unique within the stream and the
    /// same under the same seed and clock.
    fn shard_id(&mut self, now: Duration) -> String {
        self.created_shards += 1;
        let h = fnv(self.arn.as_bytes()) ^ self.created_shards.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        format!(
            "shardId-{:020}-{:08x}",
            now.as_millis(),
            (h ^ (h >> 32)) as u32
        )
    }

    fn open_shard(&mut self, parent: Option<String>, now: Duration) -> usize {
        let id = self.shard_id(now);
        self.shards
            .push(Shard::open(id, parent, self.next_seq, now));
        self.shards.len() - 1
    }

    /// Follows the table's partitions: the shard of every partition that split (its range now
    /// holds another partition's first token) closes, and each part gets a child shard.
    fn follow(&mut self, partitions: &[u64], now: Duration) {
        if self.open.len() == partitions.len() {
            return;
        }
        let mut open = Vec::with_capacity(partitions.len());
        let mut p = partitions.iter().peekable();
        for (k, &(start, shard)) in self.open.clone().iter().enumerate() {
            let end = self.open.get(k + 1).map(|(s, _)| *s);
            let parts: Vec<u64> =
                std::iter::from_fn(|| p.next_if(|t| end.is_none_or(|e| **t < e)).copied())
                    .collect();
            if parts.len() <= 1 {
                open.push((start, shard));
                continue;
            }
            self.shards[shard].close(now);
            let parent = self.shards[shard].id.clone();
            for t in parts {
                let i = self.open_shard(Some(parent.clone()), now);
                open.push((t, i));
            }
        }
        self.open = open;
    }

    /// Writes the record of `change` (none if the change left the item as it was), into the
    /// open shard of its partition.
    pub fn record(&mut self, change: Change<'_>, partitions: &[u64], now: Duration) {
        if self.status != StreamStatus::Enabled {
            return;
        }
        let event = match (change.old, change.new) {
            (None, Some(_)) => StreamEvent::Insert,
            (Some(o), Some(n)) if o == n => return,
            (Some(_), Some(_)) => StreamEvent::Modify,
            (Some(_), None) => StreamEvent::Remove,
            (None, None) => return,
        };
        self.follow(partitions, now);
        let k = self
            .open
            .partition_point(|(start, _)| *start <= change.token)
            .saturating_sub(1);
        let mut shard = self.open[k].1;
        if now.saturating_sub(self.shards[shard].opened_at) >= SHARD_LIFETIME {
            self.shards[shard].close(now);
            let parent = self.shards[shard].id.clone();
            shard = self.open_shard(Some(parent), now);
            self.open[k].1 = shard;
        }
        // Records of a shard become visible in order.
        let visible_at = self.shards[shard]
            .records
            .back()
            .map_or(change.visible_at, |r| r.visible_at.max(change.visible_at));
        let seq = self.next_seq;
        self.next_seq += 1;
        self.shards[shard].records.push_back(Record {
            seq,
            event,
            keys: change.keys,
            new: change.new.cloned(),
            old: change.old.cloned(),
            at: change.at,
            visible_at,
            by_ttl: change.by_ttl,
        });
        self.trim(now);
    }

    /// Drops records older than the retention period, and closed shards with nothing left
    /// that closed more than a retention period ago.
    pub fn trim(&mut self, now: Duration) {
        let Some(cutoff) = now.checked_sub(RETENTION) else {
            return;
        };
        for s in &mut self.shards {
            s.trim(cutoff);
        }
        let gone: Vec<usize> = (0..self.shards.len())
            .filter(|&i| {
                let s = &self.shards[i];
                s.records.is_empty() && s.closed_at.is_some_and(|c| c < cutoff)
            })
            .collect();
        if gone.is_empty() {
            return;
        }
        let mut kept = Vec::with_capacity(self.shards.len() - gone.len());
        let mut remap = vec![usize::MAX; self.shards.len()];
        for (i, s) in std::mem::take(&mut self.shards).into_iter().enumerate() {
            if !gone.contains(&i) {
                remap[i] = kept.len();
                kept.push(s);
            }
        }
        self.shards = kept;
        for (_, i) in &mut self.open {
            *i = remap[*i];
        }
    }

    /// Stops the stream: every open shard closes.
    pub fn disable(&mut self, now: Duration) {
        for &(_, i) in &self.open {
            self.shards[i].close(now);
        }
        self.open.clear();
        self.status = StreamStatus::Disabled;
        self.disabled_at = Some(now);
    }

    /// Whether the stream can still be read at `now`: DynamoDB keeps a disabled stream's
    /// records for 24 hours.
    pub fn readable(&self, now: Duration) -> bool {
        self.disabled_at
            .is_none_or(|d| now.saturating_sub(d) < RETENTION)
    }

    /// The next sequence number the stream will write.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// A shard by id.
    pub fn shard(&self, id: &str) -> Option<&Shard> {
        self.shards.iter().find(|s| s.id == id)
    }
}

/// The size DynamoDB counts for a record: its keys and the images it carries.
pub fn record_size(r: &Record, view: ViewType) -> usize {
    let mut n = item_size(&r.keys);
    if view.new_image() {
        n += r.new.as_ref().map_or(0, item_size);
    }
    if view.old_image() {
        n += r.old.as_ref().map_or(0, item_size);
    }
    n
}

/// The 64-bit FNV-1a hash (stable across runs and platforms).
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ *b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// A 32-hex-digit event id for the record at `seq` of the stream `arn`.
pub fn event_id(arn: &str, seq: u64) -> String {
    let a = fnv(arn.as_bytes()) ^ seq.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let b = fnv(&a.to_le_bytes()) ^ seq;
    format!("{a:016x}{b:016x}")
}

/// The wire form of a sequence number: 21 digits, so that string order is number order.
pub fn sequence_number(seq: u64) -> String {
    format!("1{seq:020}")
}

/// A sequence number from its wire form.
pub fn parse_sequence_number(s: &str) -> Option<u64> {
    let digits = s.strip_prefix('1')?;
    if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The streams of one table: the current one (enabled or not) last.
#[derive(Debug, Clone, Default)]
pub struct TableStreams {
    streams: Vec<Stream>,
}

impl TableStreams {
    /// The enabled stream, if any.
    pub fn enabled(&self) -> Option<&Stream> {
        self.streams
            .last()
            .filter(|s| s.status == StreamStatus::Enabled)
    }

    /// The latest stream, enabled or not (DescribeTable's `LatestStreamArn`).
    pub fn latest(&self) -> Option<&Stream> {
        self.streams.last()
    }

    /// Every stream still readable at `now`, oldest first: the enabled one, and those
    /// disabled less than 24 hours ago.
    pub fn readable(&self, now: Duration) -> impl DoubleEndedIterator<Item = &Stream> {
        self.streams.iter().filter(move |s| s.readable(now))
    }

    /// A readable stream by ARN.
    pub fn get(&self, arn: &str, now: Duration) -> Option<&Stream> {
        self.readable(now).find(|s| s.arn == arn)
    }

    /// A readable stream by ARN, its records older than the retention period trimmed first:
    /// what every read of a stream sees.
    pub fn trimmed(&mut self, arn: &str, now: Duration) -> Option<&Stream> {
        let s = self
            .streams
            .iter_mut()
            .find(|s| s.arn == arn && s.readable(now))?;
        s.trim(now);
        Some(s)
    }

    /// The enabled stream, to change it.
    fn enabled_mut(&mut self) -> Option<&mut Stream> {
        self.streams
            .last_mut()
            .filter(|s| s.status == StreamStatus::Enabled)
    }

    /// Starts a new stream (CreateTable or UpdateTable enabling one).
    pub fn enable(&mut self, table_arn: &str, view: ViewType, partitions: &[u64], now: Duration) {
        self.streams
            .push(Stream::new(table_arn, view, partitions, now));
    }

    /// Stops the enabled stream (UpdateTable disabling it).
    pub fn disable(&mut self, now: Duration) {
        if let Some(s) = self.enabled_mut() {
            s.disable(now);
        }
    }

    /// Records a change in the enabled stream, if any.
    pub fn record(&mut self, change: Change<'_>, partitions: &[u64], now: Duration) {
        if let Some(s) = self.enabled_mut() {
            s.record(change, partitions, now);
        }
        self.streams.retain(|s| s.readable(now));
    }

    /// Whether a change must be recorded at all (a stream is enabled).
    pub fn is_enabled(&self) -> bool {
        self.enabled().is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::AttributeValue;

    fn item(v: &str) -> Item {
        Item::from([("pk".to_string(), AttributeValue::S(v.into()))])
    }

    fn change<'a>(old: Option<&'a Item>, new: Option<&'a Item>, token: u64, at: u64) -> Change<'a> {
        Change {
            keys: item("k"),
            token,
            old,
            new,
            by_ttl: false,
            at: Duration::from_secs(at),
            visible_at: Duration::from_secs(at),
        }
    }

    #[test]
    fn records_name_the_change_and_a_no_op_writes_none() {
        let mut s = Stream::new("arn:t", ViewType::NewAndOldImages, &[0], Duration::ZERO);
        let (a, b) = (item("a"), item("b"));
        s.record(change(None, Some(&a), 1, 1), &[0], Duration::from_secs(1));
        s.record(
            change(Some(&a), Some(&a), 1, 2),
            &[0],
            Duration::from_secs(2),
        );
        s.record(
            change(Some(&a), Some(&b), 1, 3),
            &[0],
            Duration::from_secs(3),
        );
        s.record(change(Some(&b), None, 1, 4), &[0], Duration::from_secs(4));
        let events: Vec<(u64, &str)> = s.shards[0]
            .records
            .iter()
            .map(|r| (r.seq, r.event.as_str()))
            .collect();
        assert_eq!(events, [(1, "INSERT"), (2, "MODIFY"), (3, "REMOVE")]);
    }

    #[test]
    fn a_split_closes_the_shard_and_opens_two_children() {
        let mut s = Stream::new("arn:t", ViewType::KeysOnly, &[0, 1 << 63], Duration::ZERO);
        let a = item("a");
        s.record(
            change(None, Some(&a), 5, 1),
            &[0, 1 << 63],
            Duration::from_secs(1),
        );
        // The first partition splits at 1 << 62.
        let parts = [0, 1 << 62, 1 << 63];
        s.record(
            change(None, Some(&a), (1 << 62) + 1, 2),
            &parts,
            Duration::from_secs(2),
        );
        assert_eq!(s.shards.len(), 4);
        let parent = s.shards[0].id.clone();
        assert_eq!(s.shards[0].end_seq, Some(1));
        assert_eq!(s.shards[2].parent.as_deref(), Some(parent.as_str()));
        assert_eq!(s.shards[3].parent.as_deref(), Some(parent.as_str()));
        // The record went to the child holding its token; the other partition's shard stays.
        assert_eq!(s.shards[3].records.len(), 1);
        assert!(s.shards[1].is_open());
        // Shards roll over after their lifetime.
        let later = Duration::from_secs(2) + SHARD_LIFETIME;
        s.record(change(None, Some(&a), 7, later.as_secs()), &parts, later);
        assert!(!s.shards[2].is_open());
        assert_eq!(s.shards[4].parent, Some(s.shards[2].id.clone()));
    }

    #[test]
    fn records_age_out_and_sequence_numbers_round_trip() {
        let mut s = Stream::new("arn:t", ViewType::KeysOnly, &[0], Duration::ZERO);
        let a = item("a");
        s.record(change(None, Some(&a), 1, 1), &[0], Duration::from_secs(1));
        s.trim(Duration::from_secs(2) + RETENTION);
        assert!(s.shards[0].records.is_empty());
        assert_eq!(parse_sequence_number(&sequence_number(42)), Some(42));
        assert_eq!(sequence_number(42).len(), 21);
        assert_eq!(parse_sequence_number("42"), None);
        assert_eq!(event_id("arn:t", 1).len(), 32);
    }
}
