//! The four access methods: get, batch_get, query and scan.

use crate::capacity::Consumed;
use crate::error::{service, Error, Result};
use crate::expr::{Condition, Path, Placeholders};
use crate::model::{from_raw, value, Item, Key, Model};
use crate::stream::{ItemStream, Page, PageFuture, ParallelScan, Source};
use crate::write::Tracked;
use crate::Mapper;
use aws_sdk_dynamodb::config::AsyncSleep;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::scan::builders::ScanFluentBuilder;
use aws_sdk_dynamodb::types::Select;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, ReturnConsumedCapacity};
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::marker::PhantomData;
use std::time::Duration;

/// What one item of up to 4 KB costs at most: DynamoDB charges 1 RCU per 4 KB for a strong
/// read and half for an eventual one.
fn per_item(consistent: bool) -> f64 {
    if consistent {
        1.0
    } else {
        0.5
    }
}

fn projection(paths: &[Path], p: &mut Placeholders) -> Option<String> {
    (!paths.is_empty()).then(|| {
        paths
            .iter()
            .map(|path| p.path(path))
            .collect::<Vec<_>>()
            .join(", ")
    })
}

/// The options Query and Scan share: item limit, consistency, filter, projection, budget and
/// start key.
macro_rules! paged_read_options {
    () => {
        /// At most `n` items: passed to DynamoDB as `Limit`, so pages stay small (the latest
        /// revision of a post is `.reverse().limit(1)`: one item read, not the partition).
        pub fn limit(mut self, n: usize) -> Self {
            self.limit = Some(n);
            self
        }
        /// Strongly consistent: sees every write acknowledged before it, at twice the cost
        /// (not available on global secondary indexes).
        pub fn consistent(mut self, on: bool) -> Self {
            self.consistent = on;
            self
        }
        /// A FilterExpression: applied after the read, so filtered-out items still cost
        /// capacity (a Scan is charged for every item it reads, whatever the filter).
        pub fn filter(mut self, c: Condition) -> Self {
            self.filter = Some(match self.filter.take() {
                Some(old) => old.and(c),
                None => c,
            });
            self
        }
        /// Only these attributes.
        pub fn project(mut self, paths: impl IntoIterator<Item = impl Into<Path>>) -> Self {
            self.projection.extend(paths.into_iter().map(Into::into));
            self
        }
        /// Stop once this many read units are spent (see [`ItemStream::resume_key`]).
        pub fn max_rcu(mut self, units: f64) -> Self {
            self.budget = Some(units);
            self
        }
        /// Spend at most this many read units a second, on average, so a long read leaves
        /// the table's capacity to others (PynamoDB's `rate_limited_scan`): pages hold at most
        /// a second's worth of items, and the stream pauses after each page for as long as
        /// its units buy (the client's sleep; the emulator shows the cost in its capacity
        /// report). A parallel scan gives each segment its share.
        pub fn max_rcu_per_second(mut self, units: f64) -> Self {
            self.pace = Some(units);
            self
        }
        /// Continue where a stream stopped.
        pub fn start_from(mut self, key: Option<Item>) -> Self {
            self.start = key;
            self
        }
    };
}

/// `count()` for Query and Scan: DynamoDB counts (`Select=COUNT`), page by page to the end.
macro_rules! count_method {
    () => {
        /// How many items match, counted by DynamoDB (`Select=COUNT`) page by page to the end
        /// (from `.start_from` if given): no item comes back, but every item read is charged,
        /// filtered out or not, and the capacity goes to the mapper's total. The projection,
        /// limit and budget do not apply.
        pub async fn count(mut self) -> Result<u64> {
            self.projection.clear();
            let request = self.request()?.select(Select::Count);
            let mut start = self.start.take();
            let mut n = 0u64;
            loop {
                let out = request
                    .clone()
                    .set_exclusive_start_key(start)
                    .send()
                    .await
                    .map_err(service)?;
                self.mapper
                    .ledger
                    .add(Consumed::read(out.consumed_capacity()));
                n += out.count.max(0) as u64;
                match out.last_evaluated_key {
                    Some(k) if !k.is_empty() => start = Some(k),
                    _ => return Ok(n),
                }
            }
        }
    };
}

/// A page source over a Query or Scan request: the request with a start key and limit.
macro_rules! paged_source {
    ($name:ident, $builder:ty) => {
        struct $name($builder);

        impl Source for $name {
            fn fetch(&mut self, start: Option<Item>, limit: Option<i32>) -> PageFuture {
                let req = self
                    .0
                    .clone()
                    .set_exclusive_start_key(start)
                    .set_limit(limit);
                Box::pin(async move {
                    let out = req.send().await.map_err(service)?;
                    Ok(Page {
                        consumed: Consumed::read(out.consumed_capacity()),
                        next: out.last_evaluated_key,
                        items: out.items.unwrap_or_default(),
                    })
                })
            }
        }
    };
}

/// A GetItem being built.
///
/// `.await` it for the item, or `None`. The default read is eventually consistent (half the
/// cost), and may miss a write made just before it.
///
/// ```no_run
/// # use dynamodb_mapper::{Mapper, Model};
/// # #[derive(serde::Serialize, serde::Deserialize, Model)]
/// # #[dynamodb(table = "users", hash_key = "name")]
/// # struct User { name: String, age: u32 }
/// # async fn f(mapper: Mapper) -> dynamodb_mapper::Result<()> {
/// let ann: Option<User> = mapper.get::<User>(User::key("ann")).consistent(true).await?;
/// if let Some(ann) = ann {
///     println!("{} is {}", ann.name, ann.age);
/// }
/// // A projection the model cannot hold (it needs `age` too) is read raw.
/// let name_only = mapper.get::<User>(User::key("ann")).project(["name"]).send_raw().await?;
/// # Ok(()) }
/// ```
pub struct Get<'a, M> {
    mapper: &'a Mapper,
    key: Key,
    consistent: bool,
    projection: Vec<Path>,
    _m: PhantomData<fn() -> M>,
}

impl<'a, M: Model> Get<'a, M> {
    pub(crate) fn new(mapper: &'a Mapper, key: Key) -> Self {
        Get {
            mapper,
            key,
            consistent: false,
            projection: Vec::new(),
            _m: PhantomData,
        }
    }

    /// Strongly consistent: always sees the latest write, at twice the read cost. The default
    /// (eventual) read may miss a write made just before it.
    pub fn consistent(mut self, on: bool) -> Self {
        self.consistent = on;
        self
    }

    /// Only these attributes (the model must tolerate the missing ones, e.g. `#[serde(default)]`).
    pub fn project(mut self, paths: impl IntoIterator<Item = impl Into<Path>>) -> Self {
        self.projection.extend(paths.into_iter().map(Into::into));
        self
    }

    /// The raw item, or `None`.
    pub async fn send_raw(self) -> Result<Option<Item>> {
        let mut p = Placeholders::default();
        let projection = projection(&self.projection, &mut p);
        let out = self
            .mapper
            .client
            .get_item()
            .table_name(self.mapper.resolve(M::TABLE))
            .set_key(Some(self.key.item::<M>()?))
            .consistent_read(self.consistent)
            .set_projection_expression(projection)
            .set_expression_attribute_names(p.names())
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(service)?;
        self.mapper
            .ledger
            .add(Consumed::read(out.consumed_capacity()));
        Ok(out.item)
    }

    /// The item, or `None` when there is none.
    pub async fn send(self) -> Result<Option<M>> {
        self.send_raw().await?.map(from_raw).transpose()
    }

    /// The item with its stored form, for change-only saves and conflict checks.
    pub async fn send_tracked(self) -> Result<Option<Tracked<M>>> {
        self.send_raw().await?.map(Tracked::from_raw).transpose()
    }
}

/// `.await` on a get is `.send().await`: the item, or `None`.
impl<'a, M: Model + Send + 'a> std::future::IntoFuture for Get<'a, M> {
    type Output = Result<Option<M>>;
    type IntoFuture = crate::write::Boxed<'a, Option<M>>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// A sort-key condition.
enum Range {
    Cmp(&'static str, AttributeValue),
    Between(AttributeValue, AttributeValue),
    BeginsWith(AttributeValue),
}

/// A Query on one partition key, built step by step; `R` is the sort key's type, so a
/// date-time sort key is compared as a date-time.
///
/// Items come back in sort key order (numbers numerically: 10 after 9), highest first with
/// `.reverse()`.
///
/// ```no_run
/// # use dynamodb_mapper::{Mapper, Model};
/// # #[derive(serde::Serialize, serde::Deserialize, Model)]
/// # #[dynamodb(table = "posts", hash_key = "id", range_key = "revision")]
/// # struct Post { id: String, revision: u32, body: String }
/// # async fn f(mapper: Mapper) -> dynamodb_mapper::Result<()> {
/// // The latest revision: `first` sends Limit=1, so one item is read, not the partition.
/// let latest = mapper.query::<Post>("intro").reverse().first().await?;
/// // Sort key conditions take the sort key's type, u32 here.
/// let recent = mapper.query::<Post>("intro").ge(10u32).consistent(true).collect().await?;
/// // Filters apply after the read: the items they drop are charged too.
/// let f = Post::fields();
/// let drafts = mapper.query::<Post>("intro").filter(f.body.begins_with("TODO")).count().await?;
/// # Ok(()) }
/// ```
pub struct Query<'a, M, R> {
    mapper: &'a Mapper,
    index: Option<String>,
    hash_key: &'static str,
    range_key: Option<&'static str>,
    hash: AttributeValue,
    range: Option<Range>,
    forward: bool,
    limit: Option<usize>,
    consistent: bool,
    filter: Option<Condition>,
    projection: Vec<Path>,
    budget: Option<f64>,
    pace: Option<f64>,
    start: Option<Item>,
    error: Option<Error>,
    _m: PhantomData<fn() -> (M, R)>,
}

impl<'a, M: Model, R: Serialize> Query<'a, M, R> {
    pub(crate) fn new(
        mapper: &'a Mapper,
        index: Option<String>,
        keys: Result<(&'static str, Option<&'static str>)>,
        hash: Result<AttributeValue>,
    ) -> Self {
        let (mut error, (hash_key, range_key)) = match keys {
            Ok(k) => (None, k),
            Err(e) => (Some(e), (M::HASH_KEY, None)),
        };
        let hash = hash.unwrap_or_else(|e| {
            error.get_or_insert(e);
            AttributeValue::Null(true)
        });
        Query {
            mapper,
            index,
            hash_key,
            range_key,
            hash,
            range: None,
            forward: true,
            limit: None,
            consistent: false,
            filter: None,
            projection: Vec::new(),
            budget: None,
            pace: None,
            start: None,
            error,
            _m: PhantomData,
        }
    }

    fn range(mut self, r: Result<Range>) -> Self {
        match r {
            Ok(r) => self.range = Some(r),
            Err(e) => self.error = Some(e),
        }
        self
    }
    fn cmp(self, op: &'static str, v: impl Into<R>) -> Self {
        let r = value(v.into()).map(|v| Range::Cmp(op, v));
        self.range(r)
    }
    /// Sort key `= v`.
    pub fn eq(self, v: impl Into<R>) -> Self {
        self.cmp("=", v)
    }
    /// Sort key `< v`.
    pub fn lt(self, v: impl Into<R>) -> Self {
        self.cmp("<", v)
    }
    /// Sort key `<= v`.
    pub fn le(self, v: impl Into<R>) -> Self {
        self.cmp("<=", v)
    }
    /// Sort key `> v`.
    pub fn gt(self, v: impl Into<R>) -> Self {
        self.cmp(">", v)
    }
    /// Sort key `>= v`.
    pub fn ge(self, v: impl Into<R>) -> Self {
        self.cmp(">=", v)
    }
    /// Sort key `BETWEEN low AND high`.
    pub fn between(self, low: impl Into<R>, high: impl Into<R>) -> Self {
        let r = value(low.into()).and_then(|a| Ok(Range::Between(a, value(high.into())?)));
        self.range(r)
    }
    /// Sort keys starting with a prefix (strings and binary only).
    pub fn begins_with(self, prefix: impl Into<R>) -> Self {
        let r = value(prefix.into()).map(Range::BeginsWith);
        self.range(r)
    }
    /// Highest sort keys first.
    pub fn reverse(mut self) -> Self {
        self.forward = false;
        self
    }
    paged_read_options!();

    fn request(&self) -> Result<QueryFluentBuilder> {
        let mut p = Placeholders::default();
        let mut condition = format!("{} = {}", p.name(self.hash_key), p.value(self.hash.clone()));
        if let Some(range) = &self.range {
            let r = self.range_key.ok_or_else(|| {
                Error::Key(format!(
                    "{} has no sort key to put a condition on",
                    M::TABLE
                ))
            })?;
            let r = p.name(r);
            let clause = match range {
                Range::Cmp(op, v) => format!("{r} {op} {}", p.value(v.clone())),
                Range::Between(a, b) => format!(
                    "{r} BETWEEN {} AND {}",
                    p.value(a.clone()),
                    p.value(b.clone())
                ),
                Range::BeginsWith(v) => format!("begins_with({r}, {})", p.value(v.clone())),
            };
            condition.push_str(" AND ");
            condition.push_str(&clause);
        }
        let filter = self.filter.as_ref().map(|f| f.render(&mut p)).transpose()?;
        let projection = projection(&self.projection, &mut p);
        Ok(self
            .mapper
            .client
            .query()
            .table_name(self.mapper.resolve(M::TABLE))
            .set_index_name(self.index.clone())
            .key_condition_expression(condition)
            .set_filter_expression(filter)
            .set_projection_expression(projection)
            .set_expression_attribute_names(p.names())
            .set_expression_attribute_values(p.values())
            .scan_index_forward(self.forward)
            .consistent_read(self.consistent)
            .return_consumed_capacity(ReturnConsumedCapacity::Total))
    }

    /// The lazy stream of matching items.
    pub fn stream(mut self) -> ItemStream<M> {
        let ledger = self.mapper.ledger.clone();
        if let Some(e) = self.error.take() {
            return ItemStream::failed(e, ledger);
        }
        match self.request() {
            Ok(req) => ItemStream::new(Box::new(QuerySource(req)), ledger)
                .with_limit(self.limit)
                .with_budget(self.budget, per_item(self.consistent))
                .with_pace(
                    self.pace,
                    per_item(self.consistent),
                    self.mapper.sleep_impl(),
                )
                .with_start(self.start.take()),
            Err(e) => ItemStream::failed(e, ledger),
        }
    }

    /// Every matching item (up to the limit).
    pub async fn collect(self) -> Result<Vec<M>> {
        self.stream().collect().await
    }

    /// The first matching item.
    pub async fn first(self) -> Result<Option<M>> {
        self.limit(1).stream().try_next().await
    }

    count_method!();
}

paged_source!(QuerySource, QueryFluentBuilder);

/// A Scan of a table or index, built step by step.
///
/// A scan reads the whole table and is charged for every item it reads, whatever its filter
/// keeps; prefer a query (or an index) for anything asked often.
///
/// ```no_run
/// # use dynamodb_mapper::{Mapper, Model};
/// # #[derive(serde::Serialize, serde::Deserialize, Model)]
/// # #[dynamodb(table = "users", hash_key = "name")]
/// # struct User { name: String, age: u32 }
/// # async fn f(mapper: Mapper) -> dynamodb_mapper::Result<()> {
/// let f = User::fields();
/// let adults = mapper.scan::<User>().filter(f.age.ge(18u32)).collect().await?;
/// // Counted by DynamoDB (Select=COUNT): no item sent back, the same read units charged.
/// let how_many = mapper.scan::<User>().filter(f.age.ge(18u32)).count().await?;
/// // A large table read as four segments at once, each a scan of its share of the keys.
/// let all = mapper.scan::<User>().parallel(4).collect().await?;
/// # Ok(()) }
/// ```
pub struct Scan<'a, M> {
    mapper: &'a Mapper,
    index: Option<String>,
    limit: Option<usize>,
    consistent: bool,
    filter: Option<Condition>,
    projection: Vec<Path>,
    budget: Option<f64>,
    pace: Option<f64>,
    start: Option<Item>,
    segment: Option<(i32, i32)>,
    _m: PhantomData<fn() -> M>,
}

impl<'a, M: Model> Scan<'a, M> {
    pub(crate) fn new(mapper: &'a Mapper) -> Self {
        Scan {
            mapper,
            index: None,
            limit: None,
            consistent: false,
            filter: None,
            projection: Vec::new(),
            budget: None,
            pace: None,
            start: None,
            segment: None,
            _m: PhantomData,
        }
    }

    /// Scan a secondary index instead of the table.
    pub fn index(mut self, name: impl Into<String>) -> Self {
        self.index = Some(name.into());
        self
    }
    paged_read_options!();

    /// Only segment `segment` of `total` (DynamoDB's parallel scan splits the key space).
    pub fn segment(mut self, segment: u32, total: u32) -> Self {
        self.segment = Some((segment as i32, total as i32));
        self
    }

    fn request(&self) -> Result<ScanFluentBuilder> {
        let mut p = Placeholders::default();
        let filter = self.filter.as_ref().map(|f| f.render(&mut p)).transpose()?;
        let projection = projection(&self.projection, &mut p);
        Ok(self
            .mapper
            .client
            .scan()
            .table_name(self.mapper.resolve(M::TABLE))
            .set_index_name(self.index.clone())
            .set_filter_expression(filter)
            .set_projection_expression(projection)
            .set_expression_attribute_names(p.names())
            .set_expression_attribute_values(p.values())
            .consistent_read(self.consistent)
            .set_segment(self.segment.map(|s| s.0))
            .set_total_segments(self.segment.map(|s| s.1))
            .return_consumed_capacity(ReturnConsumedCapacity::Total))
    }

    /// The results as a lazy stream: the next page is fetched when the current one runs out.
    pub fn stream(mut self) -> ItemStream<M> {
        let ledger = self.mapper.ledger.clone();
        match self.request() {
            Ok(req) => ItemStream::new(Box::new(ScanSource(req)), ledger)
                .with_limit(self.limit)
                .with_budget(self.budget, per_item(self.consistent))
                .with_pace(
                    self.pace,
                    per_item(self.consistent),
                    self.mapper.sleep_impl(),
                )
                .with_start(self.start.take()),
            Err(e) => ItemStream::failed(e, ledger),
        }
    }

    count_method!();

    /// The table read by `total` segments at once; a budget or limit applies to each segment.
    pub fn parallel(self, total: u32) -> ParallelScan<M> {
        let segments = (0..total.max(1))
            .map(|i| {
                Scan {
                    mapper: self.mapper,
                    index: self.index.clone(),
                    limit: self.limit,
                    consistent: self.consistent,
                    filter: self.filter.clone(),
                    projection: self.projection.clone(),
                    budget: self.budget,
                    pace: self.pace.map(|p| p / total.max(1) as f64),
                    start: None,
                    segment: None,
                    _m: PhantomData,
                }
                .segment(i, total.max(1))
                .stream()
            })
            .collect();
        ParallelScan::new(segments)
    }

    /// Every result, fetching all pages.
    pub async fn collect(self) -> Result<Vec<M>> {
        self.stream().collect().await
    }
}

paged_source!(ScanSource, ScanFluentBuilder);

/// BatchGetItem takes at most 100 keys per request.
pub const BATCH_GET_MAX: usize = 100;

/// How often unprocessed keys are retried before giving up.
const BATCH_ATTEMPTS: u32 = 10;

/// A BatchGetItem over any number of keys.
///
/// The keys are sent 100 per request, each key once, and the keys DynamoDB leaves unprocessed
/// (when a request hits its 16 MB or throughput limits) are retried with backoff.
///
/// ```no_run
/// # use dynamodb_mapper::{Mapper, Model};
/// # #[derive(serde::Serialize, serde::Deserialize, Model)]
/// # #[dynamodb(table = "users", hash_key = "name")]
/// # struct User { name: String, age: u32 }
/// # async fn f(mapper: Mapper) -> dynamodb_mapper::Result<()> {
/// let keys = ["ann", "bob", "cy", "ann"].map(User::key);
/// let users = mapper.batch_get::<User>(keys).consistent(true).collect().await?;
/// // Missing keys are simply absent, and the order is DynamoDB's, not the keys'.
/// assert!(users.len() <= 3);
/// # Ok(()) }
/// ```
pub struct BatchGet<'a, M> {
    mapper: &'a Mapper,
    keys: Result<Vec<Item>>,
    consistent: bool,
    projection: Vec<Path>,
    budget: Option<f64>,
    _m: PhantomData<fn() -> M>,
}

impl<'a, M: Model> BatchGet<'a, M> {
    pub(crate) fn new(mapper: &'a Mapper, keys: impl IntoIterator<Item = Key>) -> Self {
        // DynamoDB rejects a batch naming the same key twice: ask once.
        let mut seen = Vec::new();
        let keys = keys
            .into_iter()
            .map(|k| k.item::<M>())
            .collect::<Result<Vec<_>>>()
            .map(|ks| {
                ks.into_iter()
                    .filter(|k| {
                        let dup = seen.contains(k);
                        if !dup {
                            seen.push(k.clone());
                        }
                        !dup
                    })
                    .collect()
            });
        BatchGet {
            mapper,
            keys,
            consistent: false,
            projection: Vec::new(),
            budget: None,
            _m: PhantomData,
        }
    }

    /// Strongly consistent reads. DynamoDB's BatchGetItem does support them, per table (the
    /// Python dynamodb-mapper said otherwise); eventual reads stay the default.
    pub fn consistent(mut self, on: bool) -> Self {
        self.consistent = on;
        self
    }
    /// Return only these attributes (a ProjectionExpression).
    pub fn project(mut self, paths: impl IntoIterator<Item = impl Into<Path>>) -> Self {
        self.projection.extend(paths.into_iter().map(Into::into));
        self
    }
    /// Stop paging once this many read units were consumed.
    pub fn max_rcu(mut self, units: f64) -> Self {
        self.budget = Some(units);
        self
    }

    /// The items found, chunk by chunk of 100 keys, in no particular order (as DynamoDB).
    pub fn stream(self) -> ItemStream<M> {
        let ledger = self.mapper.ledger.clone();
        let keys = match self.keys {
            Ok(k) => k,
            Err(e) => return ItemStream::failed(e, ledger),
        };
        let mut p = Placeholders::default();
        let projection = projection(&self.projection, &mut p);
        let chunks: VecDeque<Vec<Item>> = keys.chunks(BATCH_GET_MAX).map(|c| c.to_vec()).collect();
        let more = !chunks.is_empty();
        let source = BatchSource {
            mapper: self.mapper.clone(),
            table: self.mapper.resolve(M::TABLE),
            chunks,
            consistent: self.consistent,
            projection,
            names: p.names(),
        };
        let s = ItemStream::new(Box::new(source), ledger)
            .with_budget(self.budget, per_item(self.consistent));
        if more {
            s
        } else {
            s.with_limit(Some(0))
        }
    }

    /// Every result, fetching all pages.
    pub async fn collect(self) -> Result<Vec<M>> {
        self.stream().collect().await
    }
}

struct BatchSource {
    mapper: Mapper,
    /// The table's name as sent (the mapper's [`crate::TableNames`] applied).
    table: String,
    chunks: VecDeque<Vec<Item>>,
    consistent: bool,
    projection: Option<String>,
    names: Option<HashMap<String, String>>,
}

impl Source for BatchSource {
    fn fetch(&mut self, _: Option<Item>, _: Option<i32>) -> PageFuture {
        let chunk = self.chunks.pop_front().unwrap_or_default();
        let more = !self.chunks.is_empty();
        let client = self.mapper.client.clone();
        let sleep = client.config().sleep_impl();
        let (table, consistent) = (self.table.clone(), self.consistent);
        let (projection, names) = (self.projection.clone(), self.names.clone());
        Box::pin(async move {
            let mut items = Vec::new();
            let mut consumed = Consumed::default();
            let mut keys = chunk;
            let mut attempt = 0;
            while !keys.is_empty() {
                let request = KeysAndAttributes::builder()
                    .set_keys(Some(keys))
                    .consistent_read(consistent)
                    .set_projection_expression(projection.clone())
                    .set_expression_attribute_names(names.clone())
                    .build()
                    .map_err(|e| Error::Expression(e.to_string()))?;
                let out = client
                    .batch_get_item()
                    .request_items(&table, request)
                    .return_consumed_capacity(ReturnConsumedCapacity::Total)
                    .send()
                    .await
                    .map_err(service)?;
                consumed += Consumed::read(out.consumed_capacity());
                if let Some(mut r) = out.responses {
                    items.extend(r.remove(&table).unwrap_or_default());
                }
                keys = out
                    .unprocessed_keys
                    .and_then(|mut u| u.remove(&table))
                    .map(|k| k.keys)
                    .unwrap_or_default();
                if !keys.is_empty() {
                    attempt += 1;
                    if attempt >= BATCH_ATTEMPTS {
                        return Err(Error::Unprocessed {
                            table: table.clone(),
                            remaining: keys.len(),
                        });
                    }
                    // Exponential backoff, as AWS advises for unprocessed keys: 50 ms, 100 ms,
                    // ... capped at 5 s.
                    if let Some(s) = &sleep {
                        let ms = (50u64 << attempt.min(7)).min(5000);
                        s.sleep(Duration::from_millis(ms)).await;
                    }
                }
            }
            Ok(Page {
                items,
                next: more.then(HashMap::new),
                consumed,
            })
        })
    }
}
