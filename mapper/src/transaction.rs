//! Transactions: writes committed all together or not at all (TransactWriteItems), and
//! consistent multi-item reads (TransactGetItems).

use crate::capacity::Consumed;
use crate::error::{service, CancelReason, Error, Result};
use crate::expr::Condition;
use crate::model::{from_raw, to_raw, Item, Key, Model};
use crate::update::Update;
use crate::write::{Tracked, Write};
use crate::Mapper;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{Get as TxGet, ReturnConsumedCapacity, TransactGetItem};

/// TransactWriteItems takes at most 100 actions, on distinct items.
pub const TRANSACTION_MAX: usize = 100;

/// A write transaction being collected; nothing is sent before [`commit`](Transaction::commit).
///
/// TransactWriteItems applies every action or none, at twice the write cost; no two actions
/// may touch the same item.
///
/// ```no_run
/// # use dynamodb_mapper::{Mapper, Model};
/// # #[derive(serde::Serialize, serde::Deserialize, Model)]
/// # #[dynamodb(table = "users", hash_key = "name")]
/// # struct User { name: String, age: u32 }
/// # async fn f(mapper: Mapper) -> dynamodb_mapper::Result<()> {
/// let f = User::fields();
/// mapper
///     .transaction()
///     .raise_on_conflict(true) // `bob` must not exist yet, `old` must still exist
///     .save(&User { name: "bob".into(), age: 30 })
///     .delete::<User>(User::key("old"))
///     // Checked, not written: the commit happens only while ann is still an adult.
///     .condition_check::<User>(User::key("ann"), f.age.ge(18u32))
///     .commit()
///     .await?;
/// # Ok(()) }
/// ```
pub struct Transaction<'a> {
    mapper: &'a Mapper,
    writes: Vec<Write>,
    raise: bool,
    token: Option<String>,
    error: Option<Error>,
}

impl<'a> Transaction<'a> {
    pub(crate) fn new(mapper: &'a Mapper) -> Self {
        Transaction {
            mapper,
            writes: Vec::new(),
            raise: false,
            token: None,
            error: None,
        }
    }

    fn push(mut self, w: Result<Write>) -> Self {
        match w {
            Ok(w) => self.writes.push(w),
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
        self
    }

    /// Conflict checking for the saves and deletes added after this call: new items must not
    /// exist, loaded items must be unchanged (models with a version attribute always check it).
    pub fn raise_on_conflict(mut self, on: bool) -> Self {
        self.raise = on;
        self
    }

    /// An idempotency token: DynamoDB applies a retried commit with the same token once.
    pub fn client_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Writes the whole item. With a version attribute, the stored version is checked and the
    /// written one bumped; the caller's copy keeps the old version (reload after the commit).
    pub fn save<M: Model>(self, item: &M) -> Self {
        let raise = self.raise;
        self.push(Write::save(item, raise, true, None).map(|(w, _)| w))
    }

    /// Writes what changed in a loaded item (nothing is added when nothing changed).
    pub fn save_changes<M: Model>(self, item: &Tracked<M>) -> Self {
        let raise = self.raise;
        match Write::changes(item, raise) {
            Ok(Some((w, _))) => self.push(Ok(w)),
            Ok(None) => self,
            Err(e) => self.push(Err(e)),
        }
    }

    /// Adds an update of an item.
    pub fn update<M: Model>(self, update: &Update<M>) -> Self {
        self.push(Write::update(update))
    }

    /// Adds a delete of an item.
    pub fn delete<M: Model>(self, key: Key) -> Self {
        let raise = self.raise;
        self.push(Write::delete::<M>(key, None, raise, true, None))
    }

    /// Deletes a loaded item, checking it is unchanged under raise_on_conflict.
    pub fn delete_tracked<M: Model>(self, item: &Tracked<M>) -> Self {
        let raise = self.raise;
        let w = Key::of::<M>(item.original())
            .and_then(|k| Write::delete::<M>(k, Some(item.original()), raise, true, None));
        self.push(w)
    }

    /// Deletes an item of a versioned model only if its version is still the one given.
    pub fn delete_item<M: Model>(self, item: &M) -> Self {
        let raise = self.raise;
        let w = to_raw(item).and_then(|raw| {
            let key = Key::of::<M>(&raw)?;
            Write::delete::<M>(
                key,
                Some(&raw),
                raise && M::VERSION_ATTRIBUTE.is_none(),
                true,
                None,
            )
        });
        self.push(w)
    }

    /// Commits only if the condition holds on an item the transaction does not write.
    pub fn condition_check<M: Model>(self, key: Key, condition: Condition) -> Self {
        self.push(Write::check::<M>(key, condition))
    }

    /// Sends the transaction (the same as [`Transaction::commit`] and as `.await` on it).
    pub async fn send(self) -> Result<()> {
        self.commit().await
    }

    /// Sends the transaction. On cancellation, `Error::TransactionCanceled` holds one reason per
    /// action, in the order they were added.
    pub async fn commit(self) -> Result<()> {
        if let Some(e) = self.error {
            return Err(e);
        }
        if self.writes.is_empty() {
            return Ok(());
        }
        let described: Vec<(String, String, bool)> = self
            .writes
            .iter()
            .map(|w| (w.table.to_string(), w.key.describe(), w.conflict))
            .collect();
        let items = self
            .writes
            .into_iter()
            .map(|w| w.transact(self.mapper))
            .collect::<Result<Vec<_>>>()?;
        let out = self
            .mapper
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .set_client_request_token(self.token)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await;
        match out {
            Ok(out) => {
                self.mapper
                    .ledger
                    .add(Consumed::write(out.consumed_capacity()));
                Ok(())
            }
            Err(e) => {
                if let Some(TransactWriteItemsError::TransactionCanceledException(t)) =
                    e.as_service_error()
                {
                    let reasons = t
                        .cancellation_reasons()
                        .iter()
                        .zip(described.iter().map(Some).chain(std::iter::repeat(None)))
                        .map(|(r, d)| reason(r, d))
                        .collect();
                    return Err(Error::TransactionCanceled(reasons));
                }
                Err(service(e))
            }
        }
    }
}

fn reason(
    r: &aws_sdk_dynamodb::types::CancellationReason,
    action: Option<&(String, String, bool)>,
) -> CancelReason {
    let (table, key, conflict) = action.cloned().unwrap_or_default();
    match r.code() {
        None | Some("None") => CancelReason::None,
        Some("ConditionalCheckFailed") if conflict => CancelReason::Conflict { table, key },
        Some("ConditionalCheckFailed") => CancelReason::ConditionFailed { table, key },
        Some("TransactionConflict") => CancelReason::TransactionConflict,
        Some("ThrottlingError") | Some("ProvisionedThroughputExceeded") => CancelReason::Throttled,
        Some("ValidationError") => CancelReason::Validation(r.message().unwrap_or_default().into()),
        Some(code) => CancelReason::Other {
            code: code.into(),
            message: r.message().unwrap_or_default().into(),
        },
    }
}

/// A consistent read of several items, possibly of different models, as of one moment.
///
/// Unlike a batch get, no write can fall between the reads (at twice the cost of strong reads);
/// the results come back by position, each decoded as the model asked for.
///
/// ```no_run
/// # use dynamodb_mapper::{Mapper, Model};
/// # #[derive(serde::Serialize, serde::Deserialize, Model)]
/// # #[dynamodb(table = "users", hash_key = "name")]
/// # struct User { name: String, age: u32 }
/// # async fn f(mapper: Mapper) -> dynamodb_mapper::Result<()> {
/// let items = mapper
///     .transact_get()
///     .get::<User>(User::key("ann"))
///     .get::<User>(User::key("bob"))
///     .await?;
/// let (ann, bob): (Option<User>, Option<User>) = (items.get(0)?, items.get(1)?);
/// # Ok(()) }
/// ```
pub struct TransactGet<'a> {
    mapper: &'a Mapper,
    gets: Vec<TransactGetItem>,
    error: Option<Error>,
}

impl<'a> TransactGet<'a> {
    pub(crate) fn new(mapper: &'a Mapper) -> Self {
        TransactGet {
            mapper,
            gets: Vec::new(),
            error: None,
        }
    }

    /// Adds the item with this key; its result is at the same position.
    pub fn get<M: Model>(mut self, key: Key) -> Self {
        let get = key.item::<M>().and_then(|k| {
            TxGet::builder()
                .table_name(self.mapper.resolve(M::TABLE))
                .set_key(Some(k))
                .build()
                .map_err(|e| Error::Expression(e.to_string()))
        });
        match get {
            Ok(g) => self.gets.push(TransactGetItem::builder().get(g).build()),
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
        self
    }

    /// Runs the transaction: all actions or none.
    pub async fn send(self) -> Result<TransactItems> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let out = self
            .mapper
            .client
            .transact_get_items()
            .set_transact_items(Some(self.gets))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(service)?;
        self.mapper
            .ledger
            .add(Consumed::read(out.consumed_capacity()));
        Ok(TransactItems(
            out.responses
                .unwrap_or_default()
                .into_iter()
                .map(|r| r.item)
                .collect(),
        ))
    }
}

/// The results of a [`TransactGet`], by position.
///
/// ```no_run
/// # use dynamodb_mapper::{Mapper, Model};
/// # #[derive(serde::Serialize, serde::Deserialize, Model)]
/// # #[dynamodb(table = "users", hash_key = "name")]
/// # struct User { name: String, age: u32 }
/// # async fn f(mapper: Mapper) -> dynamodb_mapper::Result<()> {
/// let items = mapper
///     .transact_get()
///     .get::<User>(User::key("ann"))
///     .get::<User>(User::key("nobody"))
///     .await?;
/// assert_eq!(items.len(), 2); // one result per get, in order
/// // A missing item is `None`, not an error.
/// assert!(items.get::<User>(1)?.is_none());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct TransactItems(Vec<Option<Item>>);

impl TransactItems {
    /// The item at `index` as model `M` (`None` when it does not exist).
    pub fn get<M: Model>(&self, index: usize) -> Result<Option<M>> {
        match self.0.get(index) {
            Some(Some(raw)) => from_raw(raw.clone()).map(Some),
            _ => Ok(None),
        }
    }
    /// Number of items read.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// Whether no item was read.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// `.await` on a transaction is `.commit().await` (or `.send().await`).
impl<'a> std::future::IntoFuture for Transaction<'a> {
    type Output = Result<()>;
    type IntoFuture = crate::write::Boxed<'a, ()>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.commit())
    }
}

/// `.await` on a transactional read is `.send().await`.
impl<'a> std::future::IntoFuture for TransactGet<'a> {
    type Output = Result<TransactItems>;
    type IntoFuture = crate::write::Boxed<'a, TransactItems>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}
