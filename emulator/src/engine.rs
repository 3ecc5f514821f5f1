//! The emulator's state: its tables, its clock and its seeded random number generator.
//!
//! The HTTP server and the in-process API are both thin shells over one [`Engine`].

use crate::clock::Clock;
use crate::replication::{ReplicationConfig, Settings};
use crate::table::Catalog;
use parking_lot::Mutex;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Options fixed when the emulator starts.
#[derive(Debug, Clone)]
pub struct Options {
    /// How long tables stay CREATING/UPDATING/DELETING (DynamoDB Local's `-delayTransientStatuses`).
    /// Zero (the default) makes transitions instant.
    pub transient_status_delay: Duration,
    /// Account id used in ARNs.
    pub account_id: String,
    /// DynamoDB's quotas: tables, per-table and per-account throughput.
    pub quotas: crate::capacity::Quotas,
    /// Initial replication settings (consistency preset, lags, partition size).
    pub replication: Settings,
    /// Add `x-emulator-*` debug headers (replica served, staleness) to responses.
    pub debug_headers: bool,
    /// Throttle requests past provisioned or on-demand capacity (off: DynamoDB Local's behaviour).
    pub throttling: bool,
    /// Item collection size limit for tables with local secondary indexes (DynamoDB: 10 GB).
    pub item_collection_limit: u64,
    /// Where exports are written and imports read (DynamoDB's S3).
    pub object_store: crate::object_store::ObjectStore,
    /// Fault rules active from the start (`--fault`, the builder's `fault`).
    pub faults: Vec<crate::faults::FaultRule>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            transient_status_delay: Duration::ZERO,
            account_id: "000000000000".into(),
            quotas: crate::capacity::Quotas::default(),
            replication: Settings::default(),
            debug_headers: false,
            throttling: true,
            item_collection_limit: 10 * 1024 * 1024 * 1024,
            object_store: Default::default(),
            faults: Vec::new(),
        }
    }
}

/// Everything an operation can touch.
pub struct Engine {
    pub catalog: Catalog,
    pub clock: Clock,
    pub options: Options,
    /// Replication settings shared by every table (consistency preset, lags).
    pub replication: Arc<ReplicationConfig>,
    /// Whether throttling is on.
    pub capacity: Arc<crate::capacity::CapacityConfig>,
    /// The last requests, with how their reads were served (for consoles and teaching reports).
    pub request_log: Mutex<std::collections::VecDeque<RequestLogEntry>>,
    /// Throughput each provisioned table reserves against the account quota.
    pub reservations: crate::capacity::Reservations,
    /// TransactWriteItems ClientRequestTokens seen in the last 10 minutes.
    pub idempotency: Mutex<HashMap<String, IdempotentEntry>>,
    /// The ClientRequestTokens of transactions in flight.
    pub tokens_in_flight: Mutex<std::collections::HashSet<String>>,
    /// On-demand backups.
    pub backups: crate::backup::Backups,
    /// Export and import jobs.
    pub jobs: crate::transfer::Jobs,
    /// The durable change log, when the emulator persists (`--data-dir`).
    pub journal: Option<Arc<crate::persistence::Journal>>,
    /// What recovery found when the emulator opened its data directory.
    pub recovery: Option<crate::persistence::RecoveryReport>,
    /// Injected faults: the rules and their own seeded RNG.
    pub faults: crate::faults::Faults,
    /// The items in-flight write transactions hold.
    pub locks: crate::transaction::ItemLocks,
    rng: Mutex<ChaCha8Rng>,
}

/// One entry of the request log.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RequestLogEntry {
    pub sequence: u64,
    pub clock_milliseconds: u64,
    pub operation: &'static str,
    /// The tables the request used (none when it failed before naming one it found).
    #[serde(skip_serializing_if = "LoggedTables::is_empty")]
    pub tables: LoggedTables,
    /// `ok`, or the error type.
    pub outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replica: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stale: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub behind_milliseconds: Option<u64>,
    /// The injected fault the request got (`faults::FaultKind::as_str`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault: Option<&'static str>,
}

/// The tables a logged request used. Most requests use one table with a short name, kept
/// inline without an allocation: the log is written on every request.
#[derive(Debug, Clone, Default)]
pub struct LoggedTables {
    first: Option<crate::value::Name>,
    more: Vec<crate::value::Name>,
}

impl LoggedTables {
    /// Adds a table, once.
    pub fn push(&mut self, name: &str) {
        match &self.first {
            None => self.first = Some(name.into()),
            Some(f) if f == name || self.more.iter().any(|m| m == name) => {}
            Some(_) => self.more.push(name.into()),
        }
    }

    /// Whether the request used no table.
    pub fn is_empty(&self) -> bool {
        self.first.is_none()
    }

    /// The tables, in the order the request used them.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.first
            .iter()
            .chain(self.more.iter())
            .map(|n| n.as_str())
    }
}

impl serde::Serialize for LoggedTables {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

/// Entries the request log keeps.
pub const REQUEST_LOG_SIZE: usize = 10_000;

/// A remembered transaction: what it asked (canonical JSON without the token), when, and what
/// it answered.
#[derive(Debug, Clone)]
pub struct IdempotentEntry {
    pub fingerprint: String,
    pub at: Duration,
    pub response: serde_json::Value,
}

impl Engine {
    pub fn new(seed: u64, clock: Clock, options: Options) -> Engine {
        let faults = crate::faults::Faults::new(seed);
        for rule in &options.faults {
            // The builder and the CLI have checked them.
            let _ = faults.add(rule.clone(), clock.now());
        }
        Engine {
            faults,
            locks: Default::default(),
            replication: Arc::new(ReplicationConfig::new(options.replication.clone())),
            capacity: Arc::new(crate::capacity::CapacityConfig::new(options.throttling)),
            catalog: Catalog::default(),
            clock,
            options,
            reservations: Default::default(),
            idempotency: Mutex::new(HashMap::new()),
            tokens_in_flight: Default::default(),
            request_log: Mutex::new(std::collections::VecDeque::new()),
            backups: Default::default(),
            jobs: Default::default(),
            journal: None,
            recovery: None,
            rng: Mutex::new(ChaCha8Rng::seed_from_u64(seed)),
        }
    }

    /// An engine that persists in `persistence.dir`: what the directory holds is recovered
    /// first (see [`crate::persistence::open`]), then every change is journalled.
    pub fn open(
        seed: u64,
        clock: Clock,
        options: Options,
        persistence: crate::persistence::Persistence,
    ) -> std::io::Result<Engine> {
        let mut engine = Engine::new(seed, clock, options);
        crate::persistence::open(&mut engine, persistence)?;
        Ok(engine)
    }

    /// What a new table of this emulator draws on, with its replicas' RNG seeded by `seed`.
    pub fn environment(&self, seed: u64) -> crate::table::Environment {
        crate::table::Environment {
            replication: self.replication.clone(),
            seed,
            capacity: self.capacity.clone(),
            collection_limit: self.options.item_collection_limit,
            journal: self.journal.clone(),
        }
    }

    /// Makes the changes this thread journals until the guard drops one all-or-nothing group
    /// (a transaction's, a restore's, a load's); nothing without a data directory.
    pub fn journal_group(&self) -> Option<crate::persistence::Group<'_>> {
        self.journal.as_ref().map(|j| j.group())
    }

    /// Moves a virtual clock forward, journalling where it now is.
    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
        if let Some(j) = &self.journal {
            j.append(&crate::persistence::record::Entry::Clock {
                at: self.clock.now(),
            });
        }
    }

    /// Makes the changes journalled so far durable before a response is sent (nothing to do
    /// without a data directory). A failure becomes the request's InternalServerError: its
    /// change is in memory but could not be made durable, so it must not be acknowledged.
    pub fn make_durable(&self) -> crate::error::Result<()> {
        match &self.journal {
            Some(j) if j.has_pending() => j.commit().map_err(|e| {
                crate::error::DynamoError::new(
                    crate::error::ErrorKind::InternalServer,
                    format!("The change could not be persisted: {e}"),
                )
            }),
            _ => Ok(()),
        }
    }

    /// Runs `f` with the seeded RNG: the only source of randomness in the emulator.
    pub fn with_rng<T>(&self, f: impl FnOnce(&mut ChaCha8Rng) -> T) -> T {
        f(&mut self.rng.lock())
    }

    /// A request id in DynamoDB's format: 52 upper-case letters and digits, from the seeded RNG.
    pub fn request_id(&self) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        self.with_rng(|r| {
            (0..52)
                .map(|_| ALPHABET[r.gen_range(0..ALPHABET.len())] as char)
                .collect()
        })
    }

    /// Appends to the request log (bounded; the oldest entries go first).
    pub fn log_request(
        &self,
        operation: &'static str,
        tables: LoggedTables,
        outcome: &'static str,
        read: Option<&crate::replication::ReadInfo>,
        fault: Option<&'static str>,
    ) {
        let mut log = self.request_log.lock();
        let sequence = log.back().map_or(1, |e| e.sequence + 1);
        log.push_back(RequestLogEntry {
            sequence,
            clock_milliseconds: self.clock.now().as_millis() as u64,
            operation,
            tables,
            outcome,
            replica: read.map(|r| r.replica),
            stale: read.map(|r| r.stale),
            behind_milliseconds: read.map(|r| r.behind.as_millis() as u64),
            fault,
        });
        if log.len() > REQUEST_LOG_SIZE {
            log.pop_front();
        }
    }

    /// Applies every pending replicated write on every table now.
    pub fn settle(&self) {
        for t in self.catalog.all() {
            t.write().settle();
        }
    }

    /// A UUID (version 4 layout) from the seeded RNG, for TableId.
    pub fn uuid(&self) -> String {
        let b: [u8; 16] = self.with_rng(|r| r.gen());
        format!(
            "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-4{:01x}{:02x}-{:01x}{:01x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
            b[0], b[1], b[2], b[3], b[4], b[5], b[6] & 0xf, b[7], 8 | (b[8] & 0x3), b[8] >> 4, b[9],
            b[10], b[11], b[12], b[13], b[14], b[15]
        )
    }
}
