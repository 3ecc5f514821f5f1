//! Reading a table's stream in-process, as typed records, the way a consumer must read it on
//! AWS: every shard to its end, a parent before its children, each record once.

pub use super::shard::StreamEvent;
use crate::engine::Engine;
use crate::error::{DynamoError, ErrorKind, Result};
use crate::value::Item;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

/// One stream record, typed. Images are present as the stream's view type asks.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamRecord {
    /// INSERT, MODIFY or REMOVE.
    pub event: StreamEvent,
    /// The item's key attributes.
    pub keys: Item,
    /// The item after the change (NEW_IMAGE and NEW_AND_OLD_IMAGES streams).
    pub new_image: Option<Item>,
    /// The item before the change (OLD_IMAGE and NEW_AND_OLD_IMAGES streams).
    pub old_image: Option<Item>,
    /// The record's sequence number, as GetRecords writes it.
    pub sequence_number: String,
    /// When the change was committed, on the emulator's clock (since the Unix epoch).
    pub created_at: Duration,
    /// Whether DynamoDB's TTL process made the change (a REMOVE).
    pub by_ttl: bool,
}

/// A cursor over one table's current stream. [`StreamReader::poll`] returns the records that
/// became readable since the last call, shard lineage respected: the records of one item come
/// in the order its changes were made.
pub struct StreamReader {
    engine: Arc<Engine>,
    table: String,
    arn: String,
    /// The next sequence number to read in each shard started.
    positions: HashMap<String, u64>,
    /// Shards read to their end.
    done: HashSet<String>,
}

impl StreamReader {
    pub(crate) fn new(engine: Arc<Engine>, table: &str) -> Result<StreamReader> {
        let t = engine.catalog.get(table).ok_or_else(|| {
            DynamoError::new(
                ErrorKind::ResourceNotFound,
                format!("Requested resource not found: Table: {table} not found"),
            )
        })?;
        let arn = t
            .read()
            .streams()
            .enabled()
            .map(|s| s.arn.clone())
            .ok_or_else(|| {
                DynamoError::validation(format!("Table {table} has no enabled stream"))
            })?;
        Ok(StreamReader {
            engine,
            table: table.to_string(),
            arn,
            positions: HashMap::new(),
            done: HashSet::new(),
        })
    }

    /// The stream's ARN.
    pub fn arn(&self) -> &str {
        &self.arn
    }

    /// Every record readable now that this reader has not returned yet.
    pub fn poll(&mut self) -> Result<Vec<StreamRecord>> {
        let now = self.engine.clock.now();
        let table = self.engine.catalog.get(&self.table).ok_or_else(|| {
            DynamoError::new(ErrorKind::ResourceNotFound, "The table was deleted")
        })?;
        let mut t = table.write();
        let stream = t
            .streams_mut()
            .trimmed(&self.arn, now)
            .ok_or_else(|| DynamoError::new(ErrorKind::ResourceNotFound, "The stream is gone"))?;
        let view = stream.view;
        let ids: HashSet<&str> = stream.shards.iter().map(|s| s.id.as_str()).collect();
        let mut out = Vec::new();
        // Shards are in creation order, so a parent comes before its children: one pass reads
        // each shard whose parent is finished (or trimmed away).
        for shard in &stream.shards {
            if self.done.contains(&shard.id) {
                continue;
            }
            let parent_done = shard
                .parent
                .as_deref()
                .is_none_or(|p| self.done.contains(p) || !ids.contains(p));
            if !parent_done {
                continue;
            }
            let from = *self
                .positions
                .entry(shard.id.clone())
                .or_insert_with(|| shard.horizon());
            let mut next = from.max(shard.horizon());
            for r in shard.visible_from(next, now) {
                out.push(StreamRecord {
                    event: r.event,
                    keys: r.keys.clone(),
                    new_image: r.new.clone().filter(|_| view.new_image()),
                    old_image: r.old.clone().filter(|_| view.old_image()),
                    sequence_number: super::sequence_number(r.seq),
                    created_at: r.at,
                    by_ttl: r.by_ttl,
                });
                next = r.seq + 1;
            }
            self.positions.insert(shard.id.clone(), next);
            if shard.exhausted_at(next) {
                self.done.insert(shard.id.clone());
            }
        }
        Ok(out)
    }
}
