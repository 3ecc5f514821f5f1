//! Replication: partitions, replicas, replication lag and the consistency of reads.
//!
//! DynamoDB keeps every partition on three replicas. A write is acknowledged once the leader and
//! one follower have it; the third replica applies it a little later. A strongly consistent read
//! goes to the leader and always sees the latest write; an eventually consistent read (the
//! default) goes to any replica and may miss recent writes. Global secondary indexes are fed
//! asynchronously, so their reads can lag further. See
//! <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.ReadConsistency.html>.
//!
//! The model keeps no copy of the table per replica: every item has one chain of versions
//! ([`versions`]), every partition a queue of when each replica applies each write
//! ([`partition`]), and a read resolves "what does replica r see at time t" to a log position.
//! Lags are drawn from a seeded RNG and time comes from the emulator's clock, so the same
//! requests under the same seed and virtual clock give the same stale reads every run.

pub mod lag;
pub mod partition;
pub mod replica_set;
pub mod versions;

pub use lag::LagModel;
pub use partition::{PartitionInfo, PartitionMap, ReplicaInfo};
pub use replica_set::{ReadView, ReplicaSet};
pub use versions::VersionChains;

use parking_lot::RwLock;
use std::collections::VecDeque;
use std::time::Duration;

/// Gives back a queue's room once it holds a quarter of it or less: a bulk load fills the
/// replicas' queues for the length of the lag window, and a `VecDeque` keeps its high-water
/// capacity, which would otherwise stay with the table for good (about 200 bytes per item
/// loaded). Halving at a quarter keeps the cost amortised O(1) per entry.
pub(crate) fn give_back<T>(q: &mut VecDeque<T>) {
    const KEEP: usize = 64;
    if q.capacity() > KEEP && q.len() <= q.capacity() / 4 {
        q.shrink_to((q.len() * 2).max(KEEP));
    }
}

/// How eventually consistent reads behave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consistency {
    /// Every read is current, as DynamoDB Local behaves.
    Strong,
    /// Replicas lag by a drawn delay; an eventual read picks a replica at random (the default).
    Realistic,
    /// Every eventual read sees the oldest state the lag window allows: nothing written in the
    /// last `window` is visible. The setting for testing code paths that must survive staleness.
    WorstCase,
}

impl Consistency {
    /// A preset by name: `strong`, `realistic`, `worst-case`.
    pub fn parse(s: &str) -> Option<Consistency> {
        match s.to_ascii_lowercase().replace('_', "-").as_str() {
            "strong" => Some(Consistency::Strong),
            "realistic" => Some(Consistency::Realistic),
            "worst-case" | "worstcase" => Some(Consistency::WorstCase),
            _ => None,
        }
    }

    /// The preset's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Consistency::Strong => "strong",
            Consistency::Realistic => "realistic",
            Consistency::WorstCase => "worst-case",
        }
    }
}

/// Replication settings, shared by every table of an emulator and changeable at run time.
#[derive(Debug, Default)]
pub struct ReplicationConfig {
    inner: RwLock<Settings>,
}

/// The changeable part of [`ReplicationConfig`].
#[derive(Debug, Clone)]
pub struct Settings {
    pub consistency: Consistency,
    /// Lag of the follower that does not acknowledge a write.
    pub table_lag: LagModel,
    /// Lag of global secondary indexes behind their table.
    pub gsi_lag: LagModel,
    /// Largest partition before it splits (DynamoDB: 10 GB).
    pub partition_bytes: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            consistency: Consistency::Realistic,
            table_lag: LagModel::table_default(),
            gsi_lag: LagModel::gsi_default(),
            partition_bytes: 10 * 1024 * 1024 * 1024,
        }
    }
}

impl ReplicationConfig {
    pub fn new(settings: Settings) -> Self {
        ReplicationConfig {
            inner: RwLock::new(settings),
        }
    }

    pub fn settings(&self) -> Settings {
        self.inner.read().clone()
    }

    pub fn update(&self, f: impl FnOnce(&mut Settings)) {
        f(&mut self.inner.write());
    }
}

/// Which replica served a read and how stale it was: the emulator's debug headers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadInfo {
    /// `leader`, `replica-1`, `replica-2`, `worst-case`, `gsi`, or `scripted`.
    pub replica: &'static str,
    /// Whether the answer missed at least one acknowledged write.
    pub stale: bool,
    /// How far behind the leader the served view was.
    pub behind: Duration,
}
