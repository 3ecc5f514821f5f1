//! The embedding API: start an emulator inside a test, or call it in-process without HTTP.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let emulator = dynamodb_emulator::Emulator::builder().seed(7).start().await?;
//! let endpoint = emulator.endpoint_url(); // point any AWS SDK here
//! # Ok(()) }
//! ```

use crate::clock::{Clock, DEFAULT_VIRTUAL_START};
use crate::error::DynamoError;
use crate::operations::{self, RequestContext};
use crate::{Engine, Options};
use std::net::SocketAddr;
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
    addr: SocketAddr,
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        EmulatorBuilder {
            seed: 0,
            clock: None,
            options: Options::default(),
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
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

    /// Address to listen on (default `127.0.0.1:0`: a free port).
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Builds the emulator without a server, for in-process calls.
    pub fn build(self) -> InProcess {
        InProcess {
            engine: Arc::new(self.engine()),
        }
    }

    fn engine(&self) -> Engine {
        Engine::new(
            self.seed,
            self.clock.clone().unwrap_or_else(Clock::real),
            self.options.clone(),
        )
    }

    /// Starts the HTTP server. It stops when the returned [`Emulator`] is dropped.
    pub async fn start(self) -> std::io::Result<Emulator> {
        let listener = TcpListener::bind(self.addr).await?;
        let addr = listener.local_addr()?;
        let engine = Arc::new(self.engine());
        let (tx, rx) = watch::channel(false);
        let task = tokio::spawn(crate::server::serve(engine.clone(), listener, rx));
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
    /// Runs one operation: the same JSON the wire carries, in and out.
    pub fn call(&self, operation: &str, body: &[u8]) -> Result<Vec<u8>, DynamoError> {
        operations::dispatch(&self.engine, &RequestContext::default(), operation, body)
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

    /// The engine, for inspection and control.
    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// The emulator's clock (advance it when virtual).
    pub fn clock(&self) -> &Clock {
        &self.engine.clock
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
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    /// `http://127.0.0.1:<port>`: the endpoint URL to give an AWS SDK client.
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// In-process access to the same emulator (same tables) without HTTP.
    pub fn in_process(&self) -> &InProcess {
        &self.local
    }

    pub fn clock(&self) -> &Clock {
        self.local.clock()
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
