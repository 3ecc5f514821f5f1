//! Opening a data directory (recovery) and compacting it (snapshots).
//!
//! Recovery loads the snapshot, then replays the logs written after it, each change at its
//! own time, through the same [`Table`] methods the commands use: items, indexes, partitions
//! and streams come back as they were. What it chooses, since a restart is not a crash of
//! DynamoDB's:
//!
//! - replication is settled at the end: every replica has every recovered write (a pending
//!   version at the crash was acknowledged, so it is durable, and DynamoDB's replicas would
//!   have caught up by the time a restarted client asks);
//! - capacity buckets start as at the tables' creation and refill on the clock, so a restart
//!   does not throttle what was within the rates;
//! - a virtual clock resumes at the latest time the journal recorded, never earlier;
//! - a torn tail (the last log's last frame cut short or failing its checksum, with nothing
//!   intact after it: a write that was never acknowledged, under `fsync always`) is cut off
//!   and reported; damage anywhere else stops the start with where it is, rather than
//!   silently dropping acknowledged writes after it.

use super::record::{self, Entry, FrameReader, Next, Record};
use super::{sync_dir, Journal, Persistence};
use crate::engine::Engine;
use crate::table::catalog::TableRef;
use crate::table::Table;
use std::collections::{HashMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SNAPSHOT: &str = "snapshot";
const SNAPSHOT_TMP: &str = "snapshot.tmp";
const LOCK: &str = "LOCK";

/// What recovery found.
#[derive(Debug, Clone, Default)]
pub struct RecoveryReport {
    /// Tables recovered.
    pub tables: usize,
    /// Items recovered, all tables.
    pub items: usize,
    /// Journal records read (snapshot and logs).
    pub records: u64,
    /// Bytes read.
    pub bytes: u64,
    /// A torn tail cut off: the file, the offset it was cut at, and the bytes discarded.
    pub torn: Option<(PathBuf, u64, u64)>,
    /// Changes of groups (transactions, restores, loads) whose end never reached the disk:
    /// not applied, so no request is half there.
    pub unfinished: u64,
    /// How long recovery took (wall time: a measurement, not an input of the emulator).
    pub took: Duration,
}

impl std::fmt::Display for RecoveryReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "recovered {} tables, {} items from {} records ({:.1} MB) in {:.2} s",
            self.tables,
            self.items,
            self.records,
            self.bytes as f64 / 1e6,
            self.took.as_secs_f64()
        )?;
        if self.unfinished > 0 {
            write!(
                f,
                "; {} changes of unfinished transactions left out",
                self.unfinished
            )?;
        }
        if let Some((file, at, n)) = &self.torn {
            write!(
                f,
                "; torn tail: {n} bytes at offset {at} of {} discarded (a write never acknowledged)",
                file.display()
            )?;
        }
        Ok(())
    }
}

/// What a compaction wrote.
#[derive(Debug, Clone)]
pub struct CompactionReport {
    /// Tables in the snapshot.
    pub tables: usize,
    /// Items in the snapshot.
    pub items: usize,
    /// The snapshot's size.
    pub bytes: u64,
    /// How long it took (wall time).
    pub took: Duration,
}

fn corrupt(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

/// Opens `config.dir` for `engine` (a new engine, no tables yet): takes the directory's lock,
/// recovers what the directory holds, and journals every change from then on.
pub fn open(engine: &mut Engine, config: Persistence) -> io::Result<()> {
    let started = Instant::now();
    let dir = config.dir.clone();
    fs::create_dir_all(&dir)?;
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(LOCK))?;
    if let Err(e) = lock.try_lock() {
        return Err(match e {
            fs::TryLockError::WouldBlock => io::Error::new(
                io::ErrorKind::WouldBlock,
                format!(
                    "{} is in use by another emulator (its LOCK is held); one directory, one emulator",
                    dir.display()
                ),
            ),
            fs::TryLockError::Error(e) => e,
        });
    }
    let _ = fs::remove_file(dir.join(SNAPSHOT_TMP));
    let mut replay = Replay {
        engine,
        by_id: HashMap::new(),
        latest: Duration::ZERO,
        snapshot_at: Duration::ZERO,
        complete: HashSet::new(),
        report: RecoveryReport::default(),
    };
    let mut log_from = 1;
    let mut snapshot_bytes = 0;
    let snapshot = dir.join(SNAPSHOT);
    if snapshot.exists() {
        snapshot_bytes = fs::metadata(&snapshot)?.len();
        log_from = replay.snapshot(&snapshot)?;
    }
    let logs = logs_in(&dir)?;
    replay.complete = complete_groups(&logs, log_from)?;
    let mut log_bytes = 0;
    let mut last_generation = log_from.saturating_sub(1);
    for (i, &(generation, ref path)) in logs.iter().enumerate() {
        if generation < log_from {
            // Covered by the snapshot: a compaction stopped before deleting it.
            fs::remove_file(path)?;
            continue;
        }
        let len = fs::metadata(path)?.len();
        last_generation = generation;
        if len == 0 {
            // A run that changed nothing.
            fs::remove_file(path)?;
            continue;
        }
        log_bytes += len;
        replay.log(path, i + 1 == logs.len())?;
    }
    replay.finish();
    let mut report = replay.report;
    report.took = started.elapsed();
    let journal = Arc::new(Journal::create(
        config,
        lock,
        last_generation + 1,
        snapshot_bytes,
        log_bytes,
    )?);
    for t in engine.catalog.all() {
        t.write().set_journal(Some(journal.clone()));
    }
    engine.catalog.set_journal(journal.clone());
    engine.journal = Some(journal);
    engine.recovery = Some(report);
    Ok(())
}

/// The log files in `dir`, by generation.
fn logs_in(dir: &Path) -> io::Result<Vec<(u64, PathBuf)>> {
    let mut logs: Vec<(u64, PathBuf)> = fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let generation = name.strip_prefix("log-")?.parse().ok()?;
            Some((generation, e.path()))
        })
        .collect();
    logs.sort();
    Ok(logs)
}

/// Recovery's state: the engine being filled, and its tables by id (records name tables by
/// id, so a write to a deleted table never lands in a new table of the same name).
struct Replay<'e> {
    engine: &'e mut Engine,
    by_id: HashMap<String, TableRef>,
    latest: Duration,
    snapshot_at: Duration,
    /// The groups whose end is in the logs: their changes count, others' do not.
    complete: HashSet<u64>,
    report: RecoveryReport,
}

/// The groups that ended in the logs from generation `from` on (a first, cheap pass: only
/// GroupEnd payloads are read).
fn complete_groups(logs: &[(u64, PathBuf)], from: u64) -> io::Result<HashSet<u64>> {
    let mut complete = HashSet::new();
    for (_, path) in logs.iter().filter(|(g, _)| *g >= from) {
        let file = File::open(path)?;
        let mut frames = FrameReader::new(io::BufReader::with_capacity(1 << 20, file));
        while let Next::Frame(_) = frames.next()? {
            if let Some(g) = record::group_end(frames.payload()) {
                complete.insert(g);
            }
        }
    }
    Ok(complete)
}

impl Replay<'_> {
    /// Loads a snapshot; returns the first log generation that follows it.
    fn snapshot(&mut self, path: &Path) -> io::Result<u64> {
        let mut log_from = None;
        self.frames(path, false, |replay, record| match (record, log_from) {
            (Record::Snapshot { log_from: g, at }, None) => {
                log_from = Some(g);
                replay.snapshot_at = at;
                replay.latest = replay.latest.max(at);
                Ok(())
            }
            (Record::Snapshot { .. }, Some(_)) => Err("a second snapshot header".into()),
            (_, None) => Err("a snapshot must start with its header".into()),
            (r, Some(_)) => replay.apply(r),
        })?;
        log_from.ok_or_else(|| corrupt(format!("{} is empty", path.display())))
    }

    fn log(&mut self, path: &Path, last: bool) -> io::Result<()> {
        self.frames(path, last, |replay, record| match record {
            Record::Snapshot { .. } | Record::Item { .. } => {
                Err("a snapshot record inside a log".into())
            }
            r => replay.apply(r),
        })
    }

    /// Reads every frame of a file, applying each record. A bad frame in the last log with
    /// nothing intact after it is a torn tail: cut off (the file truncated there) and
    /// reported. Anything else bad is an error naming the file and offset.
    fn frames(
        &mut self,
        path: &Path,
        last_log: bool,
        mut apply: impl FnMut(&mut Self, Record) -> Result<(), String>,
    ) -> io::Result<()> {
        let file = File::open(path)?;
        let len = file.metadata()?.len();
        let mut frames = FrameReader::new(io::BufReader::with_capacity(1 << 20, file));
        loop {
            let at = match frames.next()? {
                Next::End => break,
                Next::Bad(at) => at,
                Next::Frame(at) => match record::decode(frames.payload()) {
                    Ok(rec) => {
                        apply(self, rec).map_err(|e| {
                            corrupt(format!("{}: the record at byte {at}: {e}", path.display()))
                        })?;
                        self.report.records += 1;
                        continue;
                    }
                    // An intact frame that is no record: damage, judged as a bad frame.
                    Err(_) => at,
                },
            };
            // The error path only: what follows the bad frame, to tell a torn tail from
            // damage inside the journal.
            let mut rest = Vec::new();
            let mut file = File::open(path)?;
            file.seek(io::SeekFrom::Start(at))?;
            file.read_to_end(&mut rest)?;
            if let (true, None) = (last_log, record::intact_after(&rest, 0)) {
                let file = OpenOptions::new().write(true).open(path)?;
                file.set_len(at)?;
                file.sync_all()?;
                self.report.torn = Some((path.to_path_buf(), at, rest.len() as u64));
                break;
            }
            return Err(corrupt(format!(
                "{}: damaged record at byte {at}, followed by intact ones: the journal is \
                 corrupt, not torn. Refusing to start rather than drop the writes after \
                 it; move the directory away, or truncate the file to {at} bytes to keep \
                 only what precedes",
                path.display()
            )));
        }
        self.report.bytes += len;
        Ok(())
    }

    fn table(&self, id: &str) -> Option<TableRef> {
        self.by_id.get(id).cloned()
    }

    fn apply(&mut self, record: Record) -> Result<(), String> {
        match record {
            Record::Table {
                def,
                seed,
                stream_since,
                at,
            } => {
                self.latest = self.latest.max(at);
                if let Some(t) = self.table(&def.id) {
                    t.write().redefine(*def, stream_since, at);
                    return Ok(());
                }
                let mut def = *def;
                let view = def.stream.take();
                let created = def.created_at;
                let name = def.name.clone();
                let id = def.id.clone();
                let mut t = Table::new(def, self.engine.environment(seed));
                if view.is_some() {
                    t.def.stream = view;
                    t.apply_stream(stream_since.unwrap_or(created));
                }
                t.resume_pitr(at);
                // A table of the name with another id would be one whose deletion is not in
                // the journal (deletions are journalled under the catalog's lock, before any
                // re-creation can be): the journal's newer creation wins.
                self.engine.catalog.remove(&name, at);
                self.engine.catalog.insert(t);
                let t = self.engine.catalog.get(&name).expect("just inserted");
                self.by_id.insert(id, t);
            }
            Record::Drop { id, at } => {
                self.latest = self.latest.max(at);
                if let Some(t) = self.by_id.remove(&id) {
                    let name = t.read().def.name.clone();
                    // Only this table: a new one of the name may already be in its place.
                    let current = self.engine.catalog.get(&name);
                    if current.is_some_and(|c| Arc::ptr_eq(&c, &t)) {
                        self.engine.catalog.remove(&name, at);
                    }
                    if t.read().streams().latest().is_some() {
                        self.engine.catalog.retire(t, at);
                    }
                }
            }
            Record::Reset => {
                self.engine.catalog.clear();
                self.by_id.clear();
            }
            Record::Put { table, at, item } => {
                self.latest = self.latest.max(at);
                if let Some(t) = self.table(&table) {
                    let mut t = t.write();
                    let key = t.def.schema.key_from_item(&item).map_err(|e| e.message)?;
                    t.put(key, item, at);
                }
            }
            Record::Delete {
                table,
                at,
                key,
                ttl,
            } => {
                self.latest = self.latest.max(at);
                if let Some(t) = self.table(&table) {
                    let mut t = t.write();
                    let key = t.def.schema.key_from_item(&key).map_err(|e| e.message)?;
                    t.remove(&key, ttl, at);
                }
            }
            Record::Clock { at } => self.latest = self.latest.max(at),
            Record::Item { table, item } => {
                if let Some(t) = self.table(&table) {
                    let mut t = t.write();
                    let key = t.def.schema.key_from_item(&item).map_err(|e| e.message)?;
                    t.restore(key, item, self.snapshot_at);
                }
            }
            Record::InGroup { g, record } => {
                if self.complete.contains(&g) {
                    return self.apply(*record);
                }
                self.report.unfinished += 1;
            }
            Record::GroupEnd { g } => debug_assert!(self.complete.contains(&g)),
            Record::Snapshot { .. } => return Err("a snapshot header out of place".into()),
        }
        Ok(())
    }

    /// Settles replication, moves a virtual clock to the latest recorded time, and reserves
    /// the tables' throughput.
    fn finish(&mut self) {
        let engine = &*self.engine;
        engine.settle();
        let now = engine.clock.now();
        if engine.clock.is_virtual() && self.latest > now {
            engine.clock.advance(self.latest - now);
        }
        for t in engine.catalog.all() {
            let t = t.read();
            crate::operations::reserve_recovered(engine, &t.def);
            self.report.tables += 1;
            self.report.items += t.item_count();
        }
    }
}

/// Writes a snapshot of the emulator's state and deletes the logs it covers, so the journal
/// stays about the size of the live data. Writers are held back only per table, while that
/// table is written out; changes made meanwhile go to the new log generation and replay
/// idempotently over the snapshot (each record is the whole item or a deletion). Stream
/// records and deleted tables' streams are not in snapshots: after a compaction a restart
/// keeps each enabled stream (its ARN and shards start again), not its older records.
pub fn compact(engine: &Engine) -> io::Result<Option<CompactionReport>> {
    let Some(journal) = &engine.journal else {
        return Ok(None);
    };
    let _one_at_a_time = journal.compaction.lock();
    let started = Instant::now();
    let dir = journal.dir().to_path_buf();
    let generation = journal.rotate()?;
    let now = engine.clock.now();
    let tmp = dir.join(SNAPSHOT_TMP);
    let mut out = BufWriter::with_capacity(1 << 20, File::create(&tmp)?);
    let mut buf = Vec::with_capacity(1 << 20);
    record::encode(
        &Entry::Snapshot {
            log_from: generation,
            at: now,
        },
        &mut buf,
    );
    let (mut tables, mut items, mut bytes) = (0, 0, 0u64);
    for table in engine.catalog.all() {
        let t = table.read();
        record::encode(&t.definition_entry(now), &mut buf);
        for item in t.items() {
            record::encode(
                &Entry::Item {
                    table: &t.def.id,
                    item: &item,
                },
                &mut buf,
            );
            items += 1;
            if buf.len() >= 1 << 20 {
                out.write_all(&buf)?;
                bytes += buf.len() as u64;
                buf.clear();
            }
        }
        tables += 1;
    }
    out.write_all(&buf)?;
    bytes += buf.len() as u64;
    let file = out.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    drop(file);
    fs::rename(&tmp, dir.join(SNAPSHOT))?;
    sync_dir(&dir)?;
    for (g, path) in logs_in(&dir)? {
        if g < generation {
            fs::remove_file(path)?;
        }
    }
    journal.compacted(bytes);
    Ok(Some(CompactionReport {
        tables,
        items,
        bytes,
        took: started.elapsed(),
    }))
}
