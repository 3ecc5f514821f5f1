//! The embedding API: start an emulator inside a test, or call it in-process without HTTP.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let emulator = dynamodb_emulator::Emulator::builder().seed(7).start().await?;
//! let endpoint = emulator.endpoint_url(); // point any AWS SDK here
//! # Ok(()) }
//! ```

use crate::clock::{Clock, DEFAULT_VIRTUAL_START};
use crate::engine::{Engine, Options};
use crate::error::DynamoError;
use crate::faults::FaultRule;
use crate::operations::{self, RequestContext};
use crate::persistence::{CompactionReport, FsyncPolicy, Persistence, RecoveryReport};
use crate::replication::{Consistency, LagModel};
use crate::server::{Credentials, ServerOptions, Timeouts};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// Configures an emulator before it starts.
#[derive(Debug, Clone)]
pub struct EmulatorBuilder {
    seed: u64,
    clock: Option<Clock>,
    options: Options,
    server: ServerOptions,
    addr: SocketAddr,
    persistence: Option<Persistence>,
    loads: Vec<(String, PathBuf)>,
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        EmulatorBuilder {
            seed: 0,
            clock: None,
            options: Options::default(),
            server: ServerOptions::default(),
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            persistence: None,
            loads: Vec::new(),
        }
    }
}

impl EmulatorBuilder {
    /// Seeds the emulator's random number generator (request ids, table ids, and in later
    /// versions replica choice and lag): the same seed gives the same answers.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Uses the given clock (see [`Clock`]); the default is real time.
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Uses a virtual clock starting at 2024-01-01T00:00:00Z that moves only when told.
    pub fn virtual_clock(self) -> Self {
        self.clock(Clock::virtual_at(DEFAULT_VIRTUAL_START))
    }

    /// Keeps tables CREATING/UPDATING for this long, so code that waits for ACTIVE is exercised.
    pub fn transient_status_delay(mut self, delay: Duration) -> Self {
        self.options.transient_status_delay = delay;
        self
    }

    /// How eventually consistent reads behave (default: [`Consistency::Realistic`]).
    pub fn consistency(mut self, c: Consistency) -> Self {
        self.options.replication.consistency = c;
        self
    }

    /// The lag of the replica that does not acknowledge writes.
    pub fn lag(mut self, lag: LagModel) -> Self {
        self.options.replication.table_lag = lag;
        self
    }

    /// The lag of global secondary indexes behind their table.
    pub fn gsi_lag(mut self, lag: LagModel) -> Self {
        self.options.replication.gsi_lag = lag;
        self
    }

    /// Partition size before a split (DynamoDB: 10 GB); small values make splits visible in
    /// small tests.
    pub fn partition_size(mut self, bytes: u64) -> Self {
        self.options.replication.partition_bytes = bytes;
        self
    }

    /// Adds `x-emulator-replica`, `x-emulator-stale` and `x-emulator-behind-ms` headers to
    /// read responses.
    pub fn debug_headers(mut self, on: bool) -> Self {
        self.options.debug_headers = on;
        self
    }

    /// Throttle requests past provisioned or on-demand capacity (default on); off behaves like
    /// DynamoDB Local.
    pub fn throttling(mut self, on: bool) -> Self {
        self.options.throttling = on;
        self
    }

    /// DynamoDB's quotas (tables per region, per-table and per-account throughput); the
    /// defaults are DynamoDB's.
    pub fn quotas(mut self, quotas: crate::capacity::Quotas) -> Self {
        self.options.quotas = quotas;
        self
    }

    /// Item collection size limit for tables with LSIs (DynamoDB: 10 GB); small values make the
    /// limit reachable in tests.
    pub fn item_collection_limit(mut self, bytes: u64) -> Self {
        self.options.item_collection_limit = bytes;
        self
    }

    /// Where ExportTableToPointInTime writes and ImportTable reads: DynamoDB's S3, as a
    /// directory ([`crate::ObjectStore::directory`], each bucket a subdirectory) or an S3-compatible
    /// endpoint ([`crate::ObjectStore::S3`]). Without one no bucket exists, so exports and imports
    /// end `FAILED` with `S3NoSuchBucket`.
    pub fn object_store(mut self, store: crate::ObjectStore) -> Self {
        self.options.object_store = store;
        self
    }

    /// The per-connection header, body and idle timeouts of the HTTP server (defaults 10 s,
    /// 30 s and 60 s; see [`Timeouts`]).
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.server.timeouts = timeouts;
        self
    }

    /// Open connections at most (default 8,192); further clients wait to be accepted.
    pub fn max_connections(mut self, n: usize) -> Self {
        self.server.max_connections = n;
        self
    }

    /// How long a shutdown lets requests in flight finish (default 10 s).
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.server.shutdown_grace = grace;
        self
    }

    /// Serve the `Emulator.*` control API over HTTP (default on). Off, anyone who can reach
    /// the port can still use DynamoDB's API, but cannot move the clock, reset or inspect.
    pub fn control_api(mut self, on: bool) -> Self {
        self.server.control_api = on;
        self
    }

    /// Serve the web console at `GET /console` (default on): tables and items, partitions and
    /// replicas, live capacity, throttle and lag plots, the request log, and the control API's
    /// clock, presets and faults, in one page embedded in the binary (no network needed). It
    /// needs the control API, and is not served with [`credentials`](Self::credentials): a
    /// page in a browser cannot sign its requests.
    pub fn console(mut self, on: bool) -> Self {
        self.server.console = on;
        self
    }

    /// Require every HTTP request to be SigV4-signed by one of these keys (default: any
    /// request is accepted, signed or not).
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.server.credentials = Some(Arc::new(credentials));
        self
    }

    /// Accept this `Host` name while bound to loopback (besides `localhost` and IP literals).
    /// On loopback the server answers only those, so that a web page cannot reach it through
    /// DNS rebinding: a rebound request still names the page's domain in `Host`.
    pub fn allow_host(mut self, name: impl Into<String>) -> Self {
        self.server.allowed_hosts.push(name.into());
        self
    }

    /// Address to listen on (default `127.0.0.1:0`: a free port).
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Persists in `dir` (created if missing): what it holds is recovered at start, and every
    /// acknowledged change is durable there (see [`FsyncPolicy`]). Without it nothing touches
    /// the disk.
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        let dir = dir.into();
        match &mut self.persistence {
            Some(p) => p.dir = dir,
            None => self.persistence = Some(Persistence::new(dir)),
        }
        self
    }

    /// When journal writes reach the disk (default [`FsyncPolicy::Always`]); only with
    /// [`EmulatorBuilder::data_dir`].
    pub fn fsync(mut self, policy: FsyncPolicy) -> Self {
        if let Some(p) = &mut self.persistence {
            p.fsync = policy;
        }
        self
    }

    /// Compacts the journal once its logs exceed this many bytes (and the last snapshot's
    /// size); default 64 MB. Only with [`EmulatorBuilder::data_dir`].
    pub fn compact_after(mut self, bytes: u64) -> Self {
        if let Some(p) = &mut self.persistence {
            p.compact_after = bytes;
        }
        self
    }

    /// Loads `table`'s items from a file of DynamoDB JSON lines (the format of DynamoDB's S3
    /// export) at start; the table must exist (recovered from the data directory). All or
    /// nothing per file.
    pub fn load(mut self, table: impl Into<String>, file: impl Into<PathBuf>) -> Self {
        self.loads.push((table.into(), file.into()));
        self
    }

    /// Builds the emulator without a server, for in-process calls.
    ///
    /// # Panics
    /// If the data directory cannot be opened or a load fails; [`EmulatorBuilder::try_build`]
    /// returns the error instead.
    pub fn build(self) -> InProcess {
        self.try_build()
            .unwrap_or_else(|e| panic!("the emulator cannot start: {e}"))
    }

    /// Builds the emulator without a server; fails if the data directory cannot be opened
    /// (locked by another emulator, unreadable, corrupt) or a load fails.
    pub fn try_build(self) -> std::io::Result<InProcess> {
        Ok(InProcess {
            engine: self.engine()?,
        })
    }

    fn engine(&self) -> std::io::Result<Arc<Engine>> {
        for rule in &self.options.faults {
            crate::faults::Faults::new(0)
                .add(rule.clone(), Duration::ZERO)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.message))?;
        }
        let clock = self.clock.clone().unwrap_or_else(Clock::real);
        let engine = match &self.persistence {
            Some(p) => Engine::open(self.seed, clock, self.options.clone(), p.clone())?,
            None => Engine::new(self.seed, clock, self.options.clone()),
        };
        let engine = Arc::new(engine);
        if engine.journal.is_some() {
            crate::persistence::maintain(Arc::downgrade(&engine));
        }
        for (table, file) in &self.loads {
            let input = std::fs::File::open(file)
                .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", file.display())))?;
            crate::persistence::fixtures::load(&engine, table, std::io::BufReader::new(input))
                .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", file.display())))?;
        }
        Ok(engine)
    }

    /// Adds a fault rule active from the start (see [`FaultRule`]): repeat for several. An
    /// invalid rule (an unknown operation, a probability above 1) fails the build.
    pub fn fault(mut self, rule: FaultRule) -> Self {
        self.options.faults.push(rule);
        self
    }

    /// Starts the HTTP server. It stops when the returned [`Emulator`] is dropped.
    pub async fn start(self) -> std::io::Result<Emulator> {
        let listener = TcpListener::bind(self.addr).await?;
        let addr = listener.local_addr()?;
        let engine = self.engine()?;
        let (tx, rx) = watch::channel(false);
        let task = tokio::spawn(crate::server::serve(
            engine.clone(),
            listener,
            self.server.clone(),
            rx,
        ));
        Ok(Emulator {
            local: InProcess { engine },
            addr,
            shutdown: tx,
            task: Some(task),
        })
    }
}

/// An emulator without a server: operations run in the caller's thread.
#[derive(Clone)]
pub struct InProcess {
    engine: Arc<Engine>,
}

impl InProcess {
    /// Runs one operation: the same JSON the wire carries, in and out. An injected connection
    /// reset ([`crate::FaultKind::ResetBeforeApply`], [`crate::FaultKind::ResetAfterApply`]) has no wire
    /// answer; it comes back as an `InternalServerError` saying so (see
    /// [`InProcess::call_or_reset`]).
    pub fn call(&self, operation: &str, body: &[u8]) -> Result<Vec<u8>, DynamoError> {
        self.call_or_reset(operation, body).unwrap_or_else(|| {
            Err(DynamoError::new(
                crate::ErrorKind::InternalServer,
                "The connection was reset (an injected fault); the request may have been applied",
            ))
        })
    }

    /// Like [`InProcess::call`], with `None` where an injected fault resets the connection
    /// instead of answering (before or after the request was applied): what a transport
    /// reports as a dropped connection.
    pub fn call_or_reset(
        &self,
        operation: &str,
        body: &[u8],
    ) -> Option<Result<Vec<u8>, DynamoError>> {
        let reply = operations::dispatch(&self.engine, &RequestContext::default(), operation, body);
        if let Err(e) = self.engine.make_durable() {
            return Some(Err(e));
        }
        (!reply.reset).then_some(reply.result)
    }

    /// Adds a fault rule from now on; returns its id (see [`FaultRule`]).
    pub fn inject_fault(&self, rule: FaultRule) -> Result<u64, DynamoError> {
        self.engine.faults.add(rule, self.engine.clock.now())
    }

    /// Removes one fault rule, or every one (`None`); returns how many went.
    pub fn clear_faults(&self, id: Option<u64>) -> usize {
        self.engine.faults.clear(id)
    }

    /// Like [`InProcess::call`] with `serde_json` values.
    pub fn call_json(
        &self,
        operation: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, DynamoError> {
        let out = self.call(
            operation,
            &serde_json::to_vec(body).expect("a JSON value serialises"),
        )?;
        Ok(serde_json::from_slice(&out).expect("the emulator writes valid JSON"))
    }

    /// A reader of `table`'s enabled stream, from its oldest record: typed records, each
    /// once, parents' shards before their children's (what a Lambda-style consumer sees,
    /// without HTTP).
    pub fn stream_reader(&self, table: &str) -> Result<crate::StreamReader, DynamoError> {
        crate::StreamReader::new(self.engine.clone(), table)
    }

    /// The emulator's clock (advance it when virtual).
    pub fn clock(&self) -> &Clock {
        &self.engine.clock
    }

    /// What recovery found in the data directory (None without one).
    pub fn recovery(&self) -> Option<&RecoveryReport> {
        self.engine.recovery.as_ref()
    }

    /// Compacts the data directory now: a new snapshot, the logs it covers deleted (None
    /// without a data directory).
    pub fn compact(&self) -> std::io::Result<Option<CompactionReport>> {
        crate::persistence::compact(&self.engine)
    }

    /// Writes `table`'s items as DynamoDB JSON lines (`{"Item": ...}` per line); returns how
    /// many.
    pub fn export_table(&self, table: &str, out: impl std::io::Write) -> std::io::Result<usize> {
        crate::persistence::fixtures::export(&self.engine, table, out)
    }

    /// Loads DynamoDB JSON lines into `table` (all or nothing); returns how many items.
    pub fn load_items(&self, table: &str, input: impl std::io::BufRead) -> std::io::Result<usize> {
        crate::persistence::fixtures::load(&self.engine, table, input)
    }

    /// Moves a virtual clock forward (replication, TTL and idempotency windows follow it).
    pub fn advance(&self, by: Duration) {
        self.engine.advance(by);
        let _ = self.engine.make_durable();
    }

    /// Switches the consistency preset at run time.
    pub fn set_consistency(&self, c: Consistency) {
        self.engine.replication.update(|s| s.consistency = c);
    }

    /// Applies every pending replicated write now: every replica becomes current.
    pub fn settle(&self) {
        self.engine.settle();
    }

    /// Units consumed, throttles, items read vs returned, a per-second series and a cost
    /// estimate, per table and operation.
    pub fn capacity_report(&self) -> serde_json::Value {
        self.engine.capacity.usage.report()
    }

    /// The same as a readable summary.
    pub fn capacity_summary(&self) -> String {
        self.engine.capacity.usage.summary()
    }

    /// Runs a control action with JSON: the same actions as `X-Amz-Target: Emulator.<Action>`
    /// over HTTP (`AdvanceClock`, `GetState`, `SetConsistency`, `Settle`, `ScriptStaleReads`,
    /// `DescribePartitions`, `CapacityReport`, `RequestLog`, ...; the README lists them).
    pub fn control(
        &self,
        action: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, DynamoError> {
        let result = crate::operations::emulator_control::control(
            &self.engine,
            action,
            &serde_json::to_vec(body).expect("JSON"),
        );
        self.engine.make_durable()?;
        result
    }
}

/// A running emulator. Dropping it shuts the server down.
pub struct Emulator {
    local: InProcess,
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Emulator {
    /// An emulator to configure: seed, clock, consistency, lag, throttling, quotas, port.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    /// `http://127.0.0.1:<port>`: the endpoint URL to give an AWS SDK client.
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address the HTTP server listens on (its port was chosen by the OS when asked for 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// In-process access to the same emulator (same tables) without HTTP.
    pub fn in_process(&self) -> &InProcess {
        &self.local
    }

    /// The emulator's clock: a virtual clock can be advanced from the test.
    pub fn clock(&self) -> &Clock {
        self.local.clock()
    }

    /// A reader of `table`'s enabled stream (see [`InProcess::stream_reader`]).
    pub fn stream_reader(&self, table: &str) -> Result<crate::StreamReader, DynamoError> {
        self.local.stream_reader(table)
    }

    /// Moves a virtual clock forward.
    pub fn advance(&self, by: Duration) {
        self.local.advance(by);
    }

    /// Switches the consistency preset at run time.
    pub fn set_consistency(&self, c: Consistency) {
        self.local.set_consistency(c);
    }

    /// Applies every pending replicated write now.
    pub fn settle(&self) {
        self.local.settle();
    }

    /// See [`InProcess::inject_fault`].
    pub fn inject_fault(&self, rule: FaultRule) -> Result<u64, DynamoError> {
        self.local.inject_fault(rule)
    }

    /// See [`InProcess::clear_faults`].
    pub fn clear_faults(&self, id: Option<u64>) -> usize {
        self.local.clear_faults(id)
    }

    /// See [`InProcess::recovery`].
    pub fn recovery(&self) -> Option<&RecoveryReport> {
        self.local.recovery()
    }

    /// See [`InProcess::capacity_report`].
    pub fn capacity_report(&self) -> serde_json::Value {
        self.local.capacity_report()
    }

    /// See [`InProcess::capacity_summary`].
    pub fn capacity_summary(&self) -> String {
        self.local.capacity_summary()
    }

    /// Runs a control action with JSON (the same as `X-Amz-Target: Emulator.<Action>`).
    pub fn control(
        &self,
        action: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, DynamoError> {
        self.local.control(action, body)
    }

    /// Stops the server and waits for it.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}
