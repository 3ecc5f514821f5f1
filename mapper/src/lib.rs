//! Typed models over `aws-sdk-dynamodb`: the same code runs against the emulator, DynamoDB Local
//! and AWS, only the client's endpoint differs.
//!
//! A model is a serde struct with `#[derive(Model)]` naming its table, key attributes and
//! (optionally) indexes, version attribute and schema version; items convert through
//! `serde_dynamo`.
//!
//! * The four access methods, as lazy streams that fetch a page only when needed:
//!   [`Mapper::get`] (eventual or `.consistent(true)`), [`Mapper::batch_get`] (any number of
//!   keys, chunked by 100, unprocessed keys retried with backoff), [`Mapper::query`] (typed sort
//!   key conditions, `.reverse()`, `.limit(n)`, `.filter`, `.project`, indexes through
//!   [`Mapper::query_index`]) and [`Mapper::scan`] (typed filters, parallel segments).
//! * The capacity every call consumed, summed over its pages, with an estimated price
//!   ([`ItemStream::consumed`], [`Mapper::consumed`]); `.max_rcu(n)` budgets that stop a stream
//!   cleanly and hand back the key to resume from.
//! * Writes that detect conflicting writers: `raise_on_conflict` compares the stored item with
//!   the one loaded ([`Tracked`]), or a version attribute does optimistic locking; loaded items
//!   save only what changed. Transactions ([`Mapper::transaction`], [`Mapper::transact_get`]).
//! * Typed keys: every model has one `key` function, each part of its field's type
//!   (`User::key("ann")`, `Post::key("intro", 3)`), taken by every request that takes a key.
//! * Polymorphic models: an enum tagged with `#[serde(tag = "kind")]` keeps several kinds of
//!   item in one table and decodes each as its own variant ([`Model::DISCRIMINATOR`]).
//! * Tables from models ([`Mapper::create_table`]), auto-increment keys, schema migrations.
//!
//! ```
//! use dynamodb_mapper::{Mapper, Model};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Debug, Serialize, Deserialize, Model)]
//! #[dynamodb(table = "posts", hash_key = "id", range_key = "revision")]
//! struct Post { id: String, revision: u32, body: String }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let emulator = dynamodb_emulator::Emulator::builder().start().await?;
//! let mapper = Mapper::for_endpoint(&emulator.endpoint_url());
//! mapper.create_table::<Post>().await?;
//! for revision in 1..=3 {
//!     let mut post = Post { id: "intro".into(), revision, body: format!("take {revision}") };
//!     mapper.save(&mut post).await?;
//! }
//! let latest = mapper.query::<Post>("intro").reverse().limit(1).consistent(true).first().await?;
//! assert_eq!(latest.map(|p| p.revision), Some(3));
//! let f = Post::fields();
//! let takes = mapper.scan::<Post>().consistent(true).filter(f.revision.ge(2u32)).collect().await?;
//! assert_eq!(takes.len(), 2);
//! assert!(mapper.consumed().read_units > 0.0);
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod batch_write;
mod capacity;
#[cfg(feature = "streams")]
mod change;
mod datetime;
mod error;
mod expr;
mod model;
mod names;
mod read;
mod statement;
mod stream;
mod table;
mod transaction;
mod update;
mod write;

pub use batch_write::{BatchWrite, BATCH_WRITE_MAX};
pub use capacity::{Consumed, Pricing};
#[cfg(feature = "streams")]
pub use change::{Change, ChangeKind};
pub use datetime::{Bytes, EpochSeconds, Iso8601};
pub use dynamodb_mapper_derive::Model;
pub use error::{CancelReason, Error, Result};
pub use expr::{
    attr, AttributeType, BinarySet, Condition, Field, NumberSet, Path, Size, StringSet,
};
pub use model::{
    IndexSpec, Item, Key, KeyAttribute, Model, Projection, ScalarType, COUNTER_ATTRIBUTE,
    SCHEMA_VERSION_ATTRIBUTE,
};
pub use names::TableNames;
pub use read::{BatchGet, Get, Query, Scan, BATCH_GET_MAX};
pub use serde_dynamo::{binary_set, number_set, string_set};
pub use statement::Statement;
pub use stream::{End, ItemStream, ParallelScan};
pub use table::{Billing, CreateTable};
/// The date-time crate [`Iso8601`] and [`EpochSeconds`] wrap.
pub use time;
pub use transaction::{TransactGet, TransactItems, Transaction, TRANSACTION_MAX};
pub use update::{Update, UpdateItem};
pub use write::{Delete, InsertAutoIncrement, Save, SaveChanges, Tracked};

use aws_sdk_dynamodb::Client;
use capacity::Ledger;
use serde::Serialize;

/// The entry point: a client, and the capacity its calls consumed. Clones share the total.
///
/// ```no_run
/// # use dynamodb_mapper::{Mapper, Model};
/// # #[derive(serde::Serialize, serde::Deserialize, Model)]
/// # #[dynamodb(table = "users", hash_key = "name")]
/// # struct User { name: String, age: u32 }
/// # async fn f() -> dynamodb_mapper::Result<()> {
/// // The emulator or DynamoDB Local; for AWS, `Mapper::new` over a client from the environment.
/// let mapper = Mapper::for_endpoint("http://localhost:8000");
/// mapper.create_table::<User>().await?;
/// mapper.save(&mut User { name: "ann".into(), age: 41 }).await?;
/// // An eventual read may miss the write just made; a consistent one cannot.
/// let ann = mapper.get::<User>(User::key("ann")).consistent(true).await?;
/// assert_eq!(ann.map(|u| u.age), Some(41));
/// println!("{}", mapper.consumed()); // "1 RCU, 1 WCU in 2 requests (~$0.000000750)"
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Mapper {
    client: Client,
    ledger: Ledger,
    names: TableNames,
    /// The mapper's own pauses (paced reads); the client's sleep when `None`.
    sleep: Option<aws_sdk_dynamodb::config::SharedAsyncSleep>,
}

impl Mapper {
    /// A mapper over an SDK client (pointed at AWS, DynamoDB Local or the emulator).
    pub fn new(client: Client) -> Mapper {
        Mapper {
            client,
            ledger: Ledger::default(),
            names: TableNames::default(),
            sleep: None,
        }
    }

    /// The same mapper pausing paced reads (`max_rcu_per_second`) with `sleep` instead of the
    /// client's: a test can record the pauses, or answer them at once, without touching the
    /// SDK's own timers.
    pub fn with_sleep(mut self, sleep: aws_sdk_dynamodb::config::SharedAsyncSleep) -> Mapper {
        self.sleep = Some(sleep);
        self
    }

    /// The sleep of the mapper's pauses: its own, or the client's.
    pub(crate) fn sleep_impl(&self) -> Option<aws_sdk_dynamodb::config::SharedAsyncSleep> {
        self.sleep
            .clone()
            .or_else(|| self.client.config().sleep_impl())
    }

    /// The same mapper sending every request to tables named by `names` (a prefix per test
    /// run, say, so that runs sharing an AWS account never meet). Clones share the capacity
    /// total.
    pub fn with_table_names(mut self, names: TableNames) -> Mapper {
        self.names = names;
        self
    }

    /// The name a declared table name is sent as ([`TableNames`]).
    pub fn resolve(&self, declared: &str) -> String {
        self.names.resolve(declared)
    }

    /// The name the model's table is sent as: for PartiQL statements, which name it in their
    /// text (`format!("SELECT * FROM \"{}\"", mapper.table_name::<User>())`).
    pub fn table_name<M: Model>(&self) -> String {
        self.resolve(M::TABLE)
    }

    /// A mapper on a local endpoint (the emulator, DynamoDB Local): region us-east-1 and fixed
    /// credentials, which such endpoints accept without checking. For AWS, build the client from
    /// the environment (`aws_config::load_from_env`) and use [`Mapper::new`].
    pub fn for_endpoint(url: &str) -> Mapper {
        use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
        Mapper::new(Client::from_conf(
            aws_sdk_dynamodb::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(Region::new("us-east-1"))
                .endpoint_url(url)
                .credentials_provider(Credentials::new("local", "local", None, None, "static"))
                .build(),
        ))
    }

    /// The SDK client, for what the mapper does not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The capacity consumed by every call of this mapper (and its clones) so far.
    pub fn consumed(&self) -> Consumed {
        self.ledger.total()
    }

    /// The capacity consumed so far, resetting the total to zero.
    pub fn take_consumed(&self) -> Consumed {
        self.ledger.take()
    }

    /// Writes many items (BatchWriteItem, 25 per request, unprocessed items retried with
    /// backoff); `.delete(keys)` adds deletes to the same batches. Unconditional: refused for
    /// models with a version attribute.
    pub fn batch_save<'i, M: Model + 'i>(
        &self,
        items: impl IntoIterator<Item = &'i M>,
    ) -> BatchWrite<'_, M> {
        BatchWrite::new(self).save(items)
    }

    /// Deletes many items by key (BatchWriteItem, 25 per request); `.save(items)` adds puts.
    pub fn batch_delete<M: Model>(&self, keys: impl IntoIterator<Item = Key>) -> BatchWrite<'_, M> {
        BatchWrite::new(self).delete(keys)
    }

    /// Reads one item by key (GetItem).
    pub fn get<M: Model>(&self, key: Key) -> Get<'_, M> {
        Get::new(self, key)
    }

    /// Reads many items by key (BatchGetItem, 100 keys per request).
    pub fn batch_get<M: Model>(&self, keys: impl IntoIterator<Item = Key>) -> BatchGet<'_, M> {
        BatchGet::new(self, keys)
    }

    /// Queries one partition of the table; sort key conditions take the sort key field's type.
    pub fn query<M: Model>(&self, hash: impl Into<M::HashKey>) -> Query<'_, M, M::RangeKey> {
        Query::new(
            self,
            None,
            Ok((M::HASH_KEY, M::RANGE_KEY)),
            model::value(hash.into()),
        )
    }

    /// Queries one partition of a secondary index declared on the model; `R` is the type of the
    /// index's sort key (`()` without one).
    pub fn query_index<M: Model, R: Serialize>(
        &self,
        index: &str,
        hash: impl Serialize,
    ) -> Query<'_, M, R> {
        let keys = M::indexes()
            .into_iter()
            .find(|i| i.name == index)
            .map(|i| {
                let h = i.hash_key.map(|h| h.0).unwrap_or(M::HASH_KEY);
                (h, i.range_key.map(|r| r.0))
            })
            .ok_or_else(|| Error::Key(format!("{} declares no index `{index}`", M::TABLE)));
        Query::new(self, Some(index.to_string()), keys, model::value(hash))
    }

    /// Scans the whole table (or, with `.index(...)`, an index).
    pub fn scan<M: Model>(&self) -> Scan<'_, M> {
        Scan::new(self)
    }

    /// Writes a whole item (PutItem). With a version attribute, the stored version must match
    /// the item's and the item's version is bumped.
    pub fn save<'a, M: Model>(&'a self, item: &'a mut M) -> Save<'a, M> {
        Save {
            mapper: self,
            item,
            raise: false,
            version_check: true,
            condition: None,
        }
    }

    /// Writes only what changed in a loaded item (UpdateItem).
    pub fn save_changes<'a, M: Model>(&'a self, item: &'a mut Tracked<M>) -> SaveChanges<'a, M> {
        SaveChanges {
            mapper: self,
            item,
            raise: false,
        }
    }

    /// Deletes an item by key.
    pub fn delete<M: Model>(&self, key: Key) -> Delete<'_, M> {
        Delete::new(self, Ok(key), None)
    }

    /// Deletes an item; with a version attribute, only if the stored version is the item's.
    pub fn delete_item<M: Model>(&self, item: &M) -> Delete<'_, M> {
        let (key, original) = match model::to_raw(item) {
            Ok(raw) => (Key::of::<M>(&raw), M::VERSION_ATTRIBUTE.map(|_| raw)),
            Err(e) => (Err(e), None),
        };
        Delete::new(self, key, original)
    }

    /// Deletes a loaded item; `.raise_on_conflict(true)` checks it is unchanged.
    pub fn delete_tracked<'a, M: Model>(&'a self, item: &Tracked<M>) -> Delete<'a, M> {
        Delete::new(
            self,
            Key::of::<M>(item.original()),
            Some(item.original().clone()),
        )
    }

    /// Applies a partial update (UpdateItem); awaiting it gives the whole item as it is now.
    pub fn update<M: Model>(&self, update: Update<M>) -> UpdateItem<'_, M> {
        UpdateItem {
            mapper: self,
            update,
        }
    }

    /// Saves a new item under the next number of the table's counter (an atomic UpdateItem ADD
    /// on the counter item, as the Python dynamodb-mapper's autoincrement_int did); awaiting it
    /// sets the item's hash key and gives the number.
    pub fn insert_auto_increment<'a, M: Model + Sync>(
        &'a self,
        item: &'a mut M,
    ) -> InsertAutoIncrement<'a, M> {
        InsertAutoIncrement { mapper: self, item }
    }

    /// A PartiQL statement whose items decode as `M`, e.g.
    /// `mapper.statement::<Post>("SELECT * FROM \"posts\" WHERE id = ?").param("intro")`.
    pub fn statement<M: Model>(&self, text: impl Into<String>) -> Statement<'_, M> {
        Statement::new(self, text)
    }

    /// Collects writes to commit atomically.
    pub fn transaction(&self) -> Transaction<'_> {
        Transaction::new(self)
    }

    /// Reads several items consistently as of one moment.
    pub fn transact_get(&self) -> TransactGet<'_> {
        TransactGet::new(self)
    }

    /// Creates the model's table (keys, indexes, billing) and waits until it is ACTIVE.
    pub fn create_table<M: Model>(&self) -> CreateTable<'_, M> {
        CreateTable::new(self)
    }
}
