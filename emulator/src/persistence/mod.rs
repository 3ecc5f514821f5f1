//! Opt-in persistence (`--data-dir`): every acknowledged change survives a restart and a
//! `kill -9`.
//!
//! DynamoDB is durable: a write it acknowledged is on disk in three availability zones. An
//! emulator that loses everything on restart cannot hold a test dataset between runs or test
//! crash recovery, which is why DynamoDB Local has `-dbPath` and dynalite `--path`.
//!
//! The mechanism is the design's change log made durable: the write path that feeds the
//! replicas and the streams ([`crate::table::Table::put`] and `delete`) appends one record per
//! committed change to a [`Journal`], and the request layers make the records durable
//! ([`Journal::commit`]) before the response leaves, so nothing is acknowledged that a crash
//! can take back. Concurrent requests share one `fsync` (group commit). The state lives in
//! memory as before; the disk holds a snapshot (written by [`compact`], from which a restart
//! loads) and the logs written since (which it replays). A hand-written log rather than an
//! embedded store (redb, fjall): the emulator's state is already an in-memory index, so a
//! key-value store would keep a second copy of every item and do on each write the page
//! updates an append-only log avoids; what a log needs (framing, checksums, a lock, a rename)
//! is small.
//!
//! Files in the directory: `LOCK` (held while an emulator has the directory open, so two
//! processes cannot interleave their writes), `snapshot` (replaced atomically: written to
//! `snapshot.tmp`, synced, renamed), `log-NNNNNNNN` (one per generation; a restart starts a
//! new one).

pub mod fixtures;
pub mod record;
pub mod recovery;

use parking_lot::Mutex;
use record::Entry;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub use recovery::{compact, open, CompactionReport, RecoveryReport};

/// When the journal's writes reach the disk itself, not just the operating system.
///
/// Every policy hands each committed change to the operating system before the response is
/// sent, so a crash of the emulator process (`kill -9`, a panic, an OOM kill) loses nothing
/// under any of them. They differ when the machine itself stops (power loss, kernel panic):
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsyncPolicy {
    /// `fsync` before every acknowledgement (requests in flight together share one): nothing
    /// acknowledged is ever lost. The default with a data directory.
    Always,
    /// `fsync` once a second: a machine crash loses at most the last second of writes.
    Interval,
    /// Never `fsync`: the operating system writes back when it likes (Linux: within about
    /// 30 s); a machine crash loses what it had not written.
    Never,
}

impl FsyncPolicy {
    /// `always`, `interval` or `never`.
    pub fn parse(s: &str) -> Option<FsyncPolicy> {
        match s {
            "always" => Some(FsyncPolicy::Always),
            "interval" => Some(FsyncPolicy::Interval),
            "never" => Some(FsyncPolicy::Never),
            _ => None,
        }
    }
}

/// Where and how the emulator persists.
#[derive(Debug, Clone)]
pub struct Persistence {
    /// The data directory (created if missing).
    pub dir: PathBuf,
    /// When writes reach the disk.
    pub fsync: FsyncPolicy,
    /// The logs are compacted into a new snapshot once they hold more than this many bytes and
    /// more than the last snapshot: a log never grows past about twice the live data.
    pub compact_after: u64,
}

impl Persistence {
    /// Persistence in `dir`, fsync `always`, compaction after 64 MB of log.
    pub fn new(dir: impl Into<PathBuf>) -> Persistence {
        Persistence {
            dir: dir.into(),
            fsync: FsyncPolicy::Always,
            compact_after: 64 * 1024 * 1024,
        }
    }
}

/// The durable change log of one emulator.
pub struct Journal {
    config: Persistence,
    /// Records appended and not yet written, with the sequence number of the last one.
    pending: Mutex<Pending>,
    /// The open log file; held while writing and syncing, so writes stay in append order.
    writer: Mutex<Writer>,
    /// Sequence number of the last record appended.
    appended: AtomicU64,
    /// Sequence number of the last record durable under the policy.
    durable: AtomicU64,
    /// Size of the last snapshot, for the compaction rule.
    snapshot_bytes: AtomicU64,
    /// Held while a compaction runs: one at a time.
    compaction: Mutex<()>,
    /// The last group id given out.
    groups: AtomicU64,
    /// Set when a write failed: records are no longer kept.
    broken: std::sync::atomic::AtomicBool,
    /// Held (locked) for the journal's lifetime.
    _lock: File,
}

#[derive(Default)]
struct Pending {
    buf: Vec<u8>,
    seq: u64,
}

struct Writer {
    file: File,
    generation: u64,
    /// Bytes written to the logs since the last snapshot.
    log_bytes: u64,
    /// Sequence number of the last record written to the file.
    written: u64,
    /// Written but not yet synced.
    dirty: bool,
    /// Set by the first failed write: nothing can be made durable after it.
    failed: Option<String>,
}

impl Journal {
    /// Opens the journal of `config.dir` for appending: takes the directory's lock and starts
    /// log generation `generation`. Recovery ([`open`]) calls it after reading what is there.
    fn create(
        config: Persistence,
        lock: File,
        generation: u64,
        snapshot_bytes: u64,
        log_bytes: u64,
    ) -> io::Result<Journal> {
        let file = create_log(&config.dir, generation)?;
        Ok(Journal {
            config,
            pending: Mutex::new(Pending::default()),
            writer: Mutex::new(Writer {
                file,
                generation,
                log_bytes,
                written: 0,
                dirty: false,
                failed: None,
            }),
            appended: AtomicU64::new(0),
            durable: AtomicU64::new(0),
            snapshot_bytes: AtomicU64::new(snapshot_bytes),
            compaction: Mutex::new(()),
            groups: AtomicU64::new(now_nanos()),
            broken: std::sync::atomic::AtomicBool::new(false),
            _lock: lock,
        })
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.config.dir
    }

    /// Appends a record of a committed change. It becomes durable at the next
    /// [`Journal::commit`]; callers append under the lock that orders the change (the table's,
    /// or the catalog's for creations and deletions), so the log's order is commit order.
    pub fn append(&self, entry: &Entry<'_>) {
        if self.broken.load(Ordering::Relaxed) {
            // Nothing can be made durable any more (every request answers the write error):
            // keep no records that would only grow.
            return;
        }
        let mut frame = Vec::with_capacity(256);
        match GROUP.with(|g| g.get()) {
            Some((g, n)) => {
                GROUP.with(|c| c.set(Some((g, n + 1))));
                record::encode(&Entry::InGroup { g, record: entry }, &mut frame);
            }
            None => record::encode(entry, &mut frame),
        }
        let mut p = self.pending.lock();
        p.buf.extend_from_slice(&frame);
        p.seq += 1;
        self.appended.store(p.seq, Ordering::Release);
    }

    /// Makes the changes this thread records until the guard drops one group: recovery applies
    /// all of them or, if the group's end never reached the disk (a crash in the middle of a
    /// transaction's write), none. Nested groups are part of the outer one.
    pub fn group(&self) -> Group<'_> {
        let outer = GROUP.with(|g| g.get()).is_some();
        if !outer {
            let g = self.groups.fetch_add(1, Ordering::Relaxed) + 1;
            GROUP.with(|c| c.set(Some((g, 0))));
        }
        Group {
            journal: self,
            outer,
        }
    }

    /// Whether some appended record is not durable yet (cheap: two atomic loads).
    pub fn has_pending(&self) -> bool {
        self.durable.load(Ordering::Acquire) < self.appended.load(Ordering::Acquire)
    }

    /// Makes every record appended so far durable under the fsync policy: written to the log
    /// (and synced, under [`FsyncPolicy::Always`]). Requests committing at once share one
    /// write and one sync.
    pub fn commit(&self) -> io::Result<()> {
        let target = self.appended.load(Ordering::Acquire);
        if self.durable.load(Ordering::Acquire) >= target {
            return Ok(());
        }
        let mut w = self.writer.lock();
        if self.durable.load(Ordering::Acquire) >= target {
            return Ok(());
        }
        self.write_pending(&mut w)?;
        if self.config.fsync == FsyncPolicy::Always {
            self.sync(&mut w)?;
        }
        Ok(())
    }

    /// Writes the pending records to the log (the writer lock held).
    fn write_pending(&self, w: &mut Writer) -> io::Result<()> {
        if let Some(e) = &w.failed {
            return Err(io::Error::other(e.clone()));
        }
        let (buf, seq) = {
            let mut p = self.pending.lock();
            (std::mem::take(&mut p.buf), p.seq)
        };
        if let Err(e) = w.file.write_all(&buf) {
            self.broken.store(true, Ordering::Relaxed);
            return Err(w.fail(e));
        }
        w.log_bytes += buf.len() as u64;
        w.dirty = true;
        w.written = seq;
        if self.config.fsync != FsyncPolicy::Always {
            self.durable.store(seq, Ordering::Release);
        }
        Ok(())
    }

    fn sync(&self, w: &mut Writer) -> io::Result<()> {
        if w.dirty {
            if let Err(e) = w.file.sync_data() {
                self.broken.store(true, Ordering::Relaxed);
                return Err(w.fail(e));
            }
            w.dirty = false;
        }
        self.durable.store(w.written, Ordering::Release);
        Ok(())
    }

    /// Syncs what was written (the [`FsyncPolicy::Interval`] timer).
    pub fn sync_written(&self) -> io::Result<()> {
        let mut w = self.writer.lock();
        self.sync(&mut w)
    }

    /// Whether the logs have outgrown the rule for compaction.
    pub fn wants_compaction(&self) -> bool {
        let log = self.writer.lock().log_bytes;
        log > self.config.compact_after && log > self.snapshot_bytes.load(Ordering::Relaxed)
    }

    /// Starts a new log generation (everything before it written and synced) and returns its
    /// number: a snapshot taken after this covers every change in the older logs.
    fn rotate(&self) -> io::Result<u64> {
        let mut w = self.writer.lock();
        self.write_pending(&mut w)?;
        self.sync(&mut w)?;
        let next = w.generation + 1;
        w.file = create_log(&self.config.dir, next)?;
        w.generation = next;
        w.log_bytes = 0;
        Ok(next)
    }

    /// Notes a new snapshot's size.
    fn compacted(&self, snapshot_bytes: u64) {
        self.snapshot_bytes.store(snapshot_bytes, Ordering::Relaxed);
    }

    /// The fsync policy.
    pub fn policy(&self) -> FsyncPolicy {
        self.config.fsync
    }
}

thread_local! {
    /// The group this thread's changes belong to, and how many it has recorded.
    static GROUP: std::cell::Cell<Option<(u64, u32)>> = const { std::cell::Cell::new(None) };
}

/// Group ids start from the wall clock's nanoseconds, so that ids of different runs on one
/// directory never meet (a group is matched by id across every log recovery reads). This is
/// an identifier, not an input of the emulator's behaviour.
fn now_nanos() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// An open group of changes (see [`Journal::group`]); dropping it ends the group.
pub struct Group<'j> {
    journal: &'j Journal,
    outer: bool,
}

impl Drop for Group<'_> {
    fn drop(&mut self) {
        if self.outer {
            return;
        }
        if let Some((g, n)) = GROUP.with(|c| c.take()) {
            if n > 0 {
                self.journal.append(&Entry::GroupEnd { g });
            }
        }
    }
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal")
            .field("dir", &self.config.dir)
            .field("fsync", &self.config.fsync)
            .finish_non_exhaustive()
    }
}

impl Drop for Journal {
    /// A clean shutdown leaves everything written and synced, whatever the policy.
    fn drop(&mut self) {
        let mut w = self.writer.lock();
        if self.write_pending(&mut w).is_ok() {
            let _ = self.sync(&mut w);
        }
    }
}

/// Runs the journal's background work for as long as the engine lives: the once-a-second
/// sync of [`FsyncPolicy::Interval`], and compaction when the logs have outgrown the rule.
pub fn maintain(engine: std::sync::Weak<crate::engine::Engine>) {
    std::thread::Builder::new()
        .name("dynamodb-emulator-journal".into())
        .spawn(move || loop {
            std::thread::sleep(MAINTENANCE_PERIOD);
            let Some(engine) = engine.upgrade() else {
                return;
            };
            let Some(journal) = &engine.journal else {
                return;
            };
            if journal.policy() == FsyncPolicy::Interval {
                if let Err(e) = journal.sync_written() {
                    eprintln!("dynamodb-emulator: {e}");
                }
            }
            if journal.wants_compaction() {
                if let Err(e) = compact(&engine) {
                    eprintln!("dynamodb-emulator: compaction failed: {e}");
                }
            }
        })
        .expect("a thread starts");
}

impl Writer {
    fn fail(&mut self, e: io::Error) -> io::Error {
        let msg = format!("the data directory cannot be written: {e}");
        self.failed = Some(msg.clone());
        io::Error::other(msg)
    }
}

/// The name of log generation `n`.
fn log_name(n: u64) -> String {
    format!("log-{n:08}")
}

fn create_log(dir: &Path, generation: u64) -> io::Result<File> {
    let file = OpenOptions::new()
        .create_new(true)
        .append(true)
        .open(dir.join(log_name(generation)))?;
    sync_dir(dir)?;
    Ok(file)
}

/// Makes a directory's entries (a new or renamed file) durable.
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// How often the maintenance thread wakes: the interval fsync and the compaction check.
pub const MAINTENANCE_PERIOD: Duration = Duration::from_secs(1);
