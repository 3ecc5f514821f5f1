//! One client connection's timeouts: header read, body read and idle.
//!
//! A server that waits forever on a client can be starved by clients that never finish: a
//! "slowloris" sends its request headers a byte at a time, a stalled upload announces 16 MB and
//! sends half, an idle keep-alive connection holds a file descriptor for good. DynamoDB's
//! front ends (like any public HTTP server) close such connections; so does the emulator, with
//! three separate limits, because each phase of a connection has a different honest duration:
//!
//! | phase | starts | ends | limit |
//! | --- | --- | --- | --- |
//! | idle | connection accepted, or a response handed to the connection | the first byte of the next request | [`Timeouts::idle`] |
//! | head | that first byte | the request's headers parsed | [`Timeouts::header`] |
//! | body | headers parsed | body read to its end | [`Timeouts::body`] |
//! | handling | body read | response ready | none (operations are bounded, in-memory work) |
//!
//! [`Activity`] records the phase: the socket wrapper ([`TrackedIo`]) notices the first byte of
//! a request, the request handler marks the rest. [`Activity::expired`] resolves when the
//! current phase outlives its limit, and the connection is then dropped. These limits are wall
//! time on purpose: they protect the process, they are not part of the emulated service, so
//! they ignore the emulator's (possibly virtual) clock and never affect a response's bytes.

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio::time::Instant;

/// The three per-connection limits.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// From the first byte of a request to the end of its headers.
    pub header: Duration,
    /// From the end of the headers to the end of the body.
    pub body: Duration,
    /// With no request under way.
    pub idle: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            header: Duration::from_secs(10),
            body: Duration::from_secs(30),
            idle: Duration::from_secs(60),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Idle = 0,
    Head = 1,
    Body = 2,
    Handling = 3,
}

/// What a connection is doing and since when (packed in one atomic: phase in the low 2 bits,
/// milliseconds since the connection opened above them).
#[derive(Debug)]
pub struct Activity {
    opened: Instant,
    limits: Timeouts,
    state: AtomicU64,
    /// The deadline the watcher sleeps until, in milliseconds since `opened`.
    watching_until: AtomicU64,
    changed: Notify,
    /// An injected fault resets the connection instead of answering.
    resetting: std::sync::atomic::AtomicBool,
}

impl Activity {
    /// A connection that has just been accepted, with these limits: idle.
    pub fn new(limits: Timeouts) -> Activity {
        Activity {
            opened: Instant::now(),
            limits,
            state: AtomicU64::new(Phase::Idle as u64),
            watching_until: AtomicU64::new(u64::MAX),
            changed: Notify::new(),
            resetting: std::sync::atomic::AtomicBool::new(false),
        }
    }

    fn now_ms(&self) -> u64 {
        self.opened.elapsed().as_millis() as u64
    }

    fn load(&self) -> (Phase, u64) {
        let s = self.state.load(Ordering::Acquire);
        let phase = match s & 3 {
            0 => Phase::Idle,
            1 => Phase::Head,
            2 => Phase::Body,
            _ => Phase::Handling,
        };
        (phase, s >> 2)
    }

    fn packed(&self, phase: Phase) -> u64 {
        (self.now_ms() << 2) | phase as u64
    }

    /// Records a phase whose deadline is never earlier than the one the watcher may be
    /// sleeping on, so the watcher need not be woken: it re-reads the phase when it wakes.
    /// (Only the start of a request's head moves a deadline earlier: [`Self::bytes_arrived`].)
    fn set(&self, phase: Phase) {
        self.state.store(self.packed(phase), Ordering::Release);
    }

    /// Bytes arrived: if the connection was idle, a request has begun. The watcher is woken
    /// only if the head's deadline is earlier than the one it sleeps until (after an idle
    /// spell, not between the requests of a busy connection).
    fn bytes_arrived(&self) {
        let current = self.state.load(Ordering::Acquire);
        if current & 3 == Phase::Idle as u64
            && self
                .state
                .compare_exchange(
                    current,
                    self.packed(Phase::Head),
                    Ordering::AcqRel,
                    Ordering::Acquire,
                )
                .is_ok()
        {
            let head_deadline = self
                .now_ms()
                .saturating_add(self.limits.header.as_millis() as u64);
            if head_deadline < self.watching_until.load(Ordering::Acquire) {
                self.changed.notify_one();
            }
        }
    }

    /// The request's headers are parsed; its body is being read.
    pub fn reading_body(&self) {
        self.set(Phase::Body);
    }

    /// The body is read; the operation runs.
    pub fn handling(&self) {
        self.set(Phase::Handling);
    }

    /// The request is answered by resetting the connection (an injected fault).
    pub fn reset(&self) {
        self.resetting.store(true, Ordering::Release);
    }

    /// Whether the request is answered by resetting the connection.
    pub fn is_resetting(&self) -> bool {
        self.resetting.load(Ordering::Acquire)
    }

    /// The response is handed to the connection; it is idle until the next request.
    pub fn idle(&self) {
        self.set(Phase::Idle);
    }

    /// Resolves once the current phase has lasted longer than its limit.
    ///
    /// Phase changes do not wake the watcher (that would cost a task wake-up per phase of every
    /// request) except the one that can bring a deadline forward, the first byte of a request.
    /// Every other change only moves the deadline later: Head → Body, Body → Handling, and
    /// Handling → Idle (while handling, the watcher checks back after the idle limit, and an
    /// idle deadline starts no earlier than that). On waking, the watcher re-reads the phase.
    pub async fn expired(&self) {
        let limits = self.limits;
        loop {
            let (phase, since) = self.load();
            let limit = match phase {
                Phase::Idle => limits.idle,
                Phase::Head => limits.header,
                Phase::Body => limits.body,
                // No limit: look again after the idle limit (the earliest an idle phase that
                // starts now could expire).
                Phase::Handling => limits.idle,
            };
            // While handling, count from now: the phase may last (a slow operation), and a
            // deadline in the past would make this loop spin.
            let from = if phase == Phase::Handling {
                self.now_ms().max(since)
            } else {
                since
            };
            let until = from.saturating_add(limit.as_millis() as u64);
            self.watching_until.store(until, Ordering::Release);
            let deadline = self.opened + Duration::from_millis(until);
            tokio::select! {
                _ = tokio::time::sleep_until(deadline) => {
                    if phase != Phase::Handling && self.load() == (phase, since) {
                        return;
                    }
                }
                _ = self.changed.notified() => {}
            }
        }
    }
}

/// A socket that tells its connection's [`Activity`] when request bytes arrive, and resets
/// the connection (a TCP RST, not a FIN) when it is dropped after [`Activity::reset`].
pub struct TrackedIo {
    inner: TcpStream,
    activity: std::sync::Arc<Activity>,
}

impl TrackedIo {
    /// Wraps `inner`, reporting to `activity`.
    pub fn new(inner: TcpStream, activity: std::sync::Arc<Activity>) -> Self {
        TrackedIo { inner, activity }
    }
}

impl Drop for TrackedIo {
    fn drop(&mut self) {
        if self.activity.is_resetting() {
            // A zero linger makes the close abortive: the peer reads ECONNRESET, as when a
            // front end or a load balancer drops a connection.
            let _ = self.inner.set_zero_linger();
        }
    }
}

impl AsyncRead for TrackedIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(result, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.bytes_arrived();
        }
        result
    }
}

impl AsyncWrite for TrackedIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn short() -> Timeouts {
        Timeouts {
            header: Duration::from_millis(40),
            body: Duration::from_millis(80),
            idle: Duration::from_millis(120),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn each_phase_has_its_own_limit() {
        let a = Activity::new(short());
        let t0 = tokio::time::Instant::now();
        a.expired().await;
        assert!(t0.elapsed() >= Duration::from_millis(120), "idle limit");

        let a = Activity::new(short());
        a.bytes_arrived();
        let t0 = tokio::time::Instant::now();
        a.expired().await;
        let e = t0.elapsed();
        assert!(e >= Duration::from_millis(40) && e < Duration::from_millis(120));
    }

    #[tokio::test(start_paused = true)]
    async fn handling_never_expires_and_activity_moves_the_deadline() {
        let a = std::sync::Arc::new(Activity::new(short()));
        a.handling();
        let waiter = {
            let a = a.clone();
            tokio::spawn(async move { a.expired().await })
        };
        tokio::time::sleep(Duration::from_secs(3600)).await;
        assert!(!waiter.is_finished());
        a.idle();
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(waiter.is_finished());
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_begun_after_an_idle_spell_gets_the_header_limit() {
        let a = std::sync::Arc::new(Activity::new(short()));
        let waiter = {
            let a = a.clone();
            tokio::spawn(async move { a.expired().await })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        let t0 = tokio::time::Instant::now();
        a.bytes_arrived();
        while !waiter.is_finished() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        // 40 ms of header limit from the first byte, not the 120 ms idle deadline.
        assert!(
            t0.elapsed() < Duration::from_millis(60),
            "{:?}",
            t0.elapsed()
        );
    }
}
