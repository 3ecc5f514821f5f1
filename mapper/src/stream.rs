//! Lazy item streams: a page is fetched only when the items before it have been taken, and
//! the stream stops cleanly at an item limit or a read-capacity budget, keeping the key to
//! resume from.

use crate::capacity::{Consumed, Ledger};
use crate::error::{Error, Result};
use crate::model::{from_raw, is_counter, Item, Model};
use crate::write::Tracked;
use futures_core::Stream;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use aws_sdk_dynamodb::config::{AsyncSleep, SharedAsyncSleep, Sleep};

/// One response's worth of items.
pub(crate) struct Page {
    pub(crate) items: Vec<Item>,
    /// Where the next page starts; `None` when this was the last one.
    pub(crate) next: Option<Item>,
    pub(crate) consumed: Consumed,
}

pub(crate) type PageFuture = Pin<Box<dyn Future<Output = Result<Page>> + Send>>;

/// Fetches pages: Query and Scan from a start key, batches from their own queue of keys.
pub(crate) trait Source: Send {
    fn fetch(&mut self, start: Option<Item>, limit: Option<i32>) -> PageFuture;
}

/// `limit` lowered to `items` (rounded down, at least one item per page).
fn at_most(limit: Option<i32>, items: f64) -> Option<i32> {
    let items = items.floor().clamp(1.0, i32::MAX as f64) as i32;
    Some(limit.map_or(items, |l| l.min(items)))
}

/// Why a stream ended.
///
/// A read with a budget (`.max_rcu(n)`) ends with [`End::Budget`] when it is spent, and the
/// stream's [`resume_key`](ItemStream::resume_key) goes on from there later (a nightly export
/// in slices that leave capacity to the application, say).
///
/// ```no_run
/// # use dynamodb_mapper::{Mapper, Model};
/// # #[derive(serde::Serialize, serde::Deserialize, Model)]
/// # #[dynamodb(table = "users", hash_key = "name")]
/// # struct User { name: String, age: u32 }
/// # async fn f(mapper: Mapper) -> dynamodb_mapper::Result<()> {
/// use dynamodb_mapper::End;
/// let mut start = None;
/// loop {
///     let mut s = mapper.scan::<User>().max_rcu(50.0).start_from(start).stream();
///     while let Some(user) = s.try_next().await? {
///         println!("{}", user.name);
///     }
///     match s.end() {
///         Some(End::Budget) => start = s.resume_key().cloned(),
///         _ => break, // End::Complete: everything was read
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// Every item was read.
    Complete,
    /// The item limit was reached.
    Limit,
    /// The read budget (`max_rcu`) was spent: `resume_key` tells where to go on.
    Budget,
}

/// A lazy stream of items of model `M`: a `futures::Stream` of `Result<M>`, with
/// [`try_next`](ItemStream::try_next) and [`collect`](ItemStream::collect) helpers, the capacity
/// it consumed, and the key to resume from when it stopped early.
///
/// DynamoDB answers a query or scan a page (up to 1 MB) at a time; the stream asks for the next
/// page only when the items before it have been taken, so stopping early stops paying.
///
/// ```no_run
/// # use dynamodb_mapper::{Mapper, Model};
/// # #[derive(serde::Serialize, serde::Deserialize, Model)]
/// # #[dynamodb(table = "posts", hash_key = "id", range_key = "revision")]
/// # struct Post { id: String, revision: u32, body: String }
/// # async fn f(mapper: Mapper) -> dynamodb_mapper::Result<()> {
/// let mut s = mapper.query::<Post>("intro").stream();
/// while let Some(post) = s.try_next().await? {
///     if post.body.contains("published") {
///         break;
///     }
/// }
/// println!("{} pages: {}", s.consumed().requests, s.consumed());
/// # Ok(()) }
/// ```
pub struct ItemStream<M> {
    source: Box<dyn Source>,
    ledger: Ledger,
    buffer: VecDeque<Item>,
    pending: Option<(PageFuture, Option<Item>)>,
    next: Option<Item>,
    started: bool,
    end: Option<End>,
    error: Option<Error>,
    limit: Option<usize>,
    yielded: usize,
    /// The read budget and the most one item of up to 4 KB can cost.
    budget: Option<(f64, f64)>,
    /// Read units per second at most, the most one item can cost, and the client's sleep.
    pace: Option<(f64, f64, SharedAsyncSleep)>,
    /// The pause before the next page that keeps the stream within its pace.
    waiting: Option<Sleep>,
    consumed: Consumed,
    _m: std::marker::PhantomData<fn() -> M>,
}

impl<M: Model> ItemStream<M> {
    pub(crate) fn new(source: Box<dyn Source>, ledger: Ledger) -> Self {
        ItemStream {
            source,
            ledger,
            buffer: VecDeque::new(),
            pending: None,
            next: None,
            started: false,
            end: None,
            error: None,
            limit: None,
            yielded: 0,
            budget: None,
            pace: None,
            waiting: None,
            consumed: Consumed::default(),
            _m: std::marker::PhantomData,
        }
    }

    /// A stream that yields this error first (a request that could not be built).
    pub(crate) fn failed(e: Error, ledger: Ledger) -> Self {
        struct Never;
        impl Source for Never {
            fn fetch(&mut self, _: Option<Item>, _: Option<i32>) -> PageFuture {
                Box::pin(async { Err(Error::Expression("unreachable".into())) })
            }
        }
        let mut s = Self::new(Box::new(Never), ledger);
        s.error = Some(e);
        s
    }

    pub(crate) fn with_limit(mut self, limit: Option<usize>) -> Self {
        self.limit = limit;
        self
    }
    /// A read budget: pages are sized so that items of up to 4 KB (costing at most
    /// `per_item` each) cannot overshoot it, and no page starts once it is spent.
    pub(crate) fn with_budget(mut self, budget: Option<f64>, per_item: f64) -> Self {
        self.budget = budget.map(|b| (b, per_item));
        self
    }
    /// A pace: at most `units_per_second` read units a second, on average (PynamoDB's
    /// `rate_limited_scan`). Pages are sized to at most a second's worth of items of up to 4 KB
    /// (`per_item` each), and after a page of `u` units the next waits `u / units_per_second`
    /// seconds on the client's sleep. Without a sleep in the client the stream fails at once.
    pub(crate) fn with_pace(
        mut self,
        units_per_second: Option<f64>,
        per_item: f64,
        sleep: Option<SharedAsyncSleep>,
    ) -> Self {
        if let Some(rate) = units_per_second {
            match sleep {
                Some(s) if rate > 0.0 && rate.is_finite() => self.pace = Some((rate, per_item, s)),
                Some(_) => {
                    self.error = Some(Error::Expression(format!(
                        "max_rcu_per_second must be a positive number, not {rate}"
                    )))
                }
                None => {
                    self.error = Some(Error::Expression(
                        "max_rcu_per_second needs a client with a sleep implementation".into(),
                    ))
                }
            }
        }
        self
    }
    pub(crate) fn with_start(mut self, start: Option<Item>) -> Self {
        self.next = start;
        self
    }

    /// The capacity consumed so far by this stream's requests.
    pub fn consumed(&self) -> Consumed {
        self.consumed
    }

    /// Why the stream ended (`None` while it has not).
    pub fn end(&self) -> Option<End> {
        if self.buffer.is_empty() {
            self.end
        } else {
            None
        }
    }

    /// Where to resume after a stream that stopped at its limit or budget: pass it to
    /// `.start_from(...)` of the same query or scan. `None` once everything was read.
    pub fn resume_key(&self) -> Option<&Item> {
        self.next.as_ref()
    }

    fn poll_raw(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Item>>> {
        if let Some(e) = self.error.take() {
            self.end = Some(End::Complete);
            return Poll::Ready(Some(Err(e)));
        }
        loop {
            if let Some(raw) = self.buffer.pop_front() {
                if is_counter(&raw) {
                    continue;
                }
                self.yielded += 1;
                return Poll::Ready(Some(Ok(raw)));
            }
            if self.end.is_some() {
                return Poll::Ready(None);
            }
            if self.pending.is_none() {
                if self.started && self.next.is_none() {
                    self.end = Some(End::Complete);
                    continue;
                }
                if self.limit.is_some_and(|l| self.yielded >= l) {
                    self.end = Some(End::Limit);
                    continue;
                }
                if self
                    .budget
                    .is_some_and(|(b, _)| self.started && self.consumed.read_units >= b)
                {
                    self.end = Some(End::Budget);
                    continue;
                }
                let mut limit = self
                    .limit
                    .map(|l| (l - self.yielded).min(i32::MAX as usize) as i32);
                // A budget and a pace each cap the page at the items their units buy.
                if let Some((b, per_item)) = self.budget {
                    limit = at_most(limit, (b - self.consumed.read_units) / per_item);
                }
                if let Some((rate, per_item, _)) = &self.pace {
                    limit = at_most(limit, rate / per_item);
                }
                if let Some(w) = self.waiting.as_mut() {
                    match Pin::new(w).poll(cx) {
                        Poll::Pending => return Poll::Pending,
                        Poll::Ready(()) => self.waiting = None,
                    }
                }
                let start = self.next.take();
                self.pending = Some((self.source.fetch(start.clone(), limit), start));
                self.started = true;
            }
            let (fut, _) = self.pending.as_mut().expect("a pending page");
            match fut.as_mut().poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => {
                    // Keep the page's start key so the caller can resume after an error.
                    let (_, start) = self.pending.take().expect("pending");
                    self.next = start;
                    self.end = Some(End::Complete);
                    return Poll::Ready(Some(Err(e)));
                }
                Poll::Ready(Ok(page)) => {
                    self.pending = None;
                    self.consumed += page.consumed;
                    self.ledger.add(page.consumed);
                    if let (Some((rate, _, sleep)), Some(_)) = (&self.pace, &page.next) {
                        let pause = page.consumed.read_units / rate;
                        if pause > 0.0 {
                            self.waiting = Some(sleep.sleep(Duration::from_secs_f64(pause)));
                        }
                    }
                    self.buffer.extend(page.items);
                    self.next = page.next;
                }
            }
        }
    }

    /// The next item, fetching a page if needed; `None` at the end.
    pub async fn try_next(&mut self) -> Result<Option<M>> {
        std::future::poll_fn(|cx| self.poll_raw(cx))
            .await
            .map(|r| r.and_then(from_raw::<M>))
            .transpose()
    }

    /// The next item, remembering its stored form for conflict checks and change-only saves.
    pub async fn try_next_tracked(&mut self) -> Result<Option<Tracked<M>>> {
        std::future::poll_fn(|cx| self.poll_raw(cx))
            .await
            .map(|r| r.and_then(Tracked::from_raw))
            .transpose()
    }

    /// The next raw item (for projections that a model cannot hold).
    pub async fn try_next_raw(&mut self) -> Result<Option<Item>> {
        std::future::poll_fn(|cx| self.poll_raw(cx))
            .await
            .transpose()
    }

    /// Every remaining item.
    pub async fn collect(mut self) -> Result<Vec<M>> {
        let mut out = Vec::new();
        while let Some(m) = self.try_next().await? {
            out.push(m);
        }
        Ok(out)
    }

    /// Every remaining item, with the stream (for `consumed`, `end` and `resume_key`).
    pub async fn collect_with_stream(mut self) -> Result<(Vec<M>, Self)> {
        let mut out = Vec::new();
        while let Some(m) = self.try_next().await? {
            out.push(m);
        }
        Ok((out, self))
    }
}

impl<M: Model> Stream for ItemStream<M> {
    type Item = Result<M>;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<M>>> {
        self.get_mut()
            .poll_raw(cx)
            .map(|o| o.map(|r| r.and_then(from_raw::<M>)))
    }
}

/// Several scan segments read concurrently (DynamoDB's parallel scan): items arrive from
/// whichever segment has them.
///
/// One scan reads the table's key space in order, one page at a time; `parallel(n)` gives each
/// of `n` segments its own share to read concurrently, so a large table is read up to `n`
/// times faster (and its capacity spent as much faster).
///
/// ```no_run
/// # use dynamodb_mapper::{Mapper, Model};
/// # #[derive(serde::Serialize, serde::Deserialize, Model)]
/// # #[dynamodb(table = "users", hash_key = "name")]
/// # struct User { name: String, age: u32 }
/// # async fn f(mapper: Mapper) -> dynamodb_mapper::Result<()> {
/// let mut s = mapper.scan::<User>().parallel(4);
/// let mut adults = 0;
/// while let Some(user) = s.try_next().await? {
///     adults += usize::from(user.age >= 18);
/// }
/// println!("{adults} adults; {}", s.consumed()); // at least one request per segment
/// # Ok(()) }
/// ```
pub struct ParallelScan<M> {
    segments: Vec<ItemStream<M>>,
    turn: usize,
}

impl<M: Model> ParallelScan<M> {
    pub(crate) fn new(segments: Vec<ItemStream<M>>) -> Self {
        ParallelScan { segments, turn: 0 }
    }

    /// The capacity consumed by all segments.
    pub fn consumed(&self) -> Consumed {
        self.segments
            .iter()
            .fold(Consumed::default(), |a, s| a + s.consumed())
    }

    /// The next item, fetching the next page when needed; `None` at the end.
    pub async fn try_next(&mut self) -> Result<Option<M>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx))
            .await
            .transpose()
    }

    /// Every remaining item.
    pub async fn collect(mut self) -> Result<Vec<M>> {
        let mut out = Vec::new();
        while let Some(m) = self.try_next().await? {
            out.push(m);
        }
        Ok(out)
    }
}

impl<M: Model> Stream for ParallelScan<M> {
    type Item = Result<M>;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<M>>> {
        let this = self.get_mut();
        let n = this.segments.len();
        let mut all_done = true;
        for i in 0..n {
            let k = (this.turn + i) % n;
            let s = &mut this.segments[k];
            if s.end.is_some() && s.buffer.is_empty() && s.error.is_none() {
                continue;
            }
            match Pin::new(s).poll_next(cx) {
                Poll::Ready(Some(item)) => {
                    this.turn = (k + 1) % n;
                    return Poll::Ready(Some(item));
                }
                Poll::Ready(None) => {}
                Poll::Pending => all_done = false,
            }
        }
        if all_done {
            Poll::Ready(None)
        } else {
            Poll::Pending
        }
    }
}
