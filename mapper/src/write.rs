//! Writes: whole-item saves, change-only saves of loaded items, deletes and updates, with
//! conflict detection (raise_on_conflict, or a version attribute for optimistic locking).

use crate::capacity::Consumed;
use crate::error::{conditional, service, Error, Result};
use crate::expr::{attr, Condition, Placeholders};
use crate::model::{from_raw, to_raw, Item, Key, Model};
use crate::update::Update;
use crate::Mapper;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete as TxDelete, Put, ReturnConsumedCapacity, ReturnValue,
    ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update as TxUpdate,
};
use std::future::{Future, IntoFuture};
use std::ops::{Deref, DerefMut};
use std::pin::Pin;

/// An item loaded through the mapper, with the stored form it was loaded from: saving it sends
/// only what changed, and conflict checking compares the stored item with that form.
///
/// Load one with [`Get::send_tracked`](crate::Get::send_tracked) or
/// [`ItemStream::try_next_tracked`](crate::ItemStream::try_next_tracked); it derefs to the
/// model.
///
/// ```no_run
/// # use dynamodb_mapper::{Mapper, Model};
/// # #[derive(serde::Serialize, serde::Deserialize, Model)]
/// # #[dynamodb(table = "users", hash_key = "name")]
/// # struct User { name: String, age: u32 }
/// # async fn f(mapper: Mapper) -> dynamodb_mapper::Result<()> {
/// let loaded = mapper.get::<User>(User::key("ann")).consistent(true).send_tracked().await?;
/// let Some(mut ann) = loaded else { return Ok(()) };
/// ann.age += 1;
/// // Sends `age` alone, and only if the stored item is still the one loaded (Error::Conflict).
/// mapper.save_changes(&mut ann).raise_on_conflict(true).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Tracked<M> {
    item: M,
    original: Item,
}

impl<M: Model> Tracked<M> {
    pub(crate) fn from_raw(raw: Item) -> Result<Self> {
        Ok(Tracked {
            item: from_raw(raw.clone())?,
            original: raw,
        })
    }
    /// The stored form the item was loaded from (or last saved as).
    pub fn original(&self) -> &Item {
        &self.original
    }
    /// The model value.
    pub fn into_inner(self) -> M {
        self.item
    }
}

impl<M> Deref for Tracked<M> {
    type Target = M;
    fn deref(&self) -> &M {
        &self.item
    }
}

impl<M> DerefMut for Tracked<M> {
    fn deref_mut(&mut self) -> &mut M {
        &mut self.item
    }
}

/// One prepared write: sent alone, or as one action of a transaction.
pub(crate) struct Write {
    pub(crate) table: &'static str,
    pub(crate) key: Key,
    kind: Kind,
    condition: Option<String>,
    placeholders: Placeholders,
    /// Whether the condition is a conflict check the mapper wrote.
    pub(crate) conflict: bool,
}

enum Kind {
    Put(Item),
    Update(Item, String),
    Delete(Item),
    Check(Item),
}

fn render(conditions: Vec<Condition>, p: &mut Placeholders) -> Result<Option<String>> {
    Condition::all(conditions).map(|c| c.render(p)).transpose()
}

/// The version stored in a raw item: missing, NULL or 0 mean "never saved".
fn version_of(raw: &Item, attribute: &str) -> Result<i64> {
    match raw.get(attribute) {
        None | Some(AttributeValue::Null(_)) => Ok(0),
        Some(AttributeValue::N(n)) => n.parse().map_err(|_| {
            Error::Key(format!(
                "version attribute `{attribute}` is not an integer: {n}"
            ))
        }),
        Some(other) => Err(Error::Key(format!(
            "version attribute `{attribute}` is not a number: {other:?}"
        ))),
    }
}

/// Bumps the version in `raw` and, when `check`, adds the version check to `conditions`;
/// returns whether the write is version-checked.
fn versioned<M: Model>(
    current: &Item,
    raw: &mut Item,
    conditions: &mut Vec<Condition>,
    check: bool,
) -> Result<bool> {
    let Some(v) = M::VERSION_ATTRIBUTE else {
        return Ok(false);
    };
    let n = version_of(current, v)?;
    if check {
        conditions.push(version_is(v, n));
    }
    raw.insert(v.to_string(), AttributeValue::N((n + 1).to_string()));
    Ok(check)
}

/// The stored version is `n` (0: the item was never saved).
fn version_is(attribute: &str, n: i64) -> Condition {
    if n == 0 {
        attr(attribute).not_exists()
    } else {
        attr(attribute).eq(n)
    }
}

/// raise_on_conflict on an item that was read: every attribute still equals its stored form
/// (in name order, so the expression is the same for the same item).
fn unchanged(original: &Item) -> Vec<Condition> {
    let mut names: Vec<&String> = original.keys().collect();
    names.sort();
    names
        .into_iter()
        .map(|name| Condition::equals_raw(attr(name.as_str()), original[name].clone()))
        .collect()
}

/// Equal up to the order of set elements (DynamoDB returns sets in its own order).
pub(crate) fn same(a: &AttributeValue, b: &AttributeValue) -> bool {
    use AttributeValue as A;
    let sorted = |v: &[String]| {
        let mut v = v.to_vec();
        v.sort();
        v
    };
    match (a, b) {
        (A::Ss(x), A::Ss(y)) | (A::Ns(x), A::Ns(y)) => sorted(x) == sorted(y),
        (A::N(x), A::N(y)) => {
            x == y || x.parse::<f64>().ok() == y.parse::<f64>().ok() && x.parse::<f64>().is_ok()
        }
        (A::L(x), A::L(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b)),
        (A::M(x), A::M(y)) => {
            x.len() == y.len() && x.iter().all(|(k, a)| y.get(k).is_some_and(|b| same(a, b)))
        }
        _ => a == b,
    }
}

impl Write {
    pub(crate) fn save<M: Model>(
        item: &M,
        raise: bool,
        version_check: bool,
        user: Option<Condition>,
    ) -> Result<(Write, Item)> {
        let mut raw = to_raw(item)?;
        let key = Key::of::<M>(&raw)?;
        let mut conditions = Vec::new();
        let current = raw.clone();
        let versioned = versioned::<M>(&current, &mut raw, &mut conditions, version_check)?;
        if raise && !versioned {
            conditions.push(attr(M::HASH_KEY).not_exists());
        }
        conditions.extend(user);
        let mut placeholders = Placeholders::default();
        let condition = render(conditions, &mut placeholders)?;
        Ok((
            Write {
                table: M::TABLE,
                key,
                kind: Kind::Put(raw.clone()),
                condition,
                placeholders,
                conflict: raise || versioned,
            },
            raw,
        ))
    }

    /// The changes of a loaded item as an UpdateItem; `None` when nothing changed and nothing
    /// is to be checked.
    pub(crate) fn changes<M: Model>(
        tracked: &Tracked<M>,
        raise: bool,
    ) -> Result<Option<(Write, Item)>> {
        let mut raw = to_raw(&tracked.item)?;
        let key = Key::of::<M>(&raw)?;
        if key != Key::of::<M>(&tracked.original)? {
            return Err(Error::Key(format!(
                "the key of a loaded {} item changed: save it as a new item",
                M::TABLE
            )));
        }
        let is_key = |k: &str| k == M::HASH_KEY || Some(k) == M::RANGE_KEY;
        let mut changed: Vec<String> = raw
            .iter()
            .filter(|(k, v)| !is_key(k) && tracked.original.get(*k).is_none_or(|o| !same(o, v)))
            .map(|(k, _)| k.clone())
            .collect();
        let mut removed: Vec<String> = tracked
            .original
            .keys()
            .filter(|k| !is_key(k) && !raw.contains_key(*k))
            .cloned()
            .collect();
        if changed.is_empty() && removed.is_empty() {
            // Nothing to save (a conflict check alone would need a write that changes nothing).
            return Ok(None);
        }
        let mut conditions = Vec::new();
        let versioned = versioned::<M>(&tracked.original, &mut raw, &mut conditions, true)?;
        if let Some(v) = M::VERSION_ATTRIBUTE {
            if !changed.iter().any(|c| c == v) {
                changed.push(v.to_string());
            }
        }
        if raise && !versioned {
            conditions.extend(unchanged(&tracked.original));
        }
        changed.sort();
        removed.sort();
        let mut update = Update::<M>::new(key.clone());
        for k in changed {
            let v = raw[&k].clone();
            update = update.set_raw(attr(k), v);
        }
        for k in removed {
            update = update.remove(attr(k));
        }
        let mut placeholders = Placeholders::default();
        let expression = update.render(&mut placeholders)?;
        let condition = render(conditions, &mut placeholders)?;
        Ok(Some((
            Write {
                table: M::TABLE,
                key: key.clone(),
                kind: Kind::Update(key.item::<M>()?, expression),
                condition,
                placeholders,
                conflict: raise || versioned,
            },
            raw,
        )))
    }

    pub(crate) fn update<M: Model>(update: &Update<M>) -> Result<Write> {
        let update = update.versioned();
        let mut placeholders = Placeholders::default();
        let expression = update.render(&mut placeholders)?;
        let condition = render(
            update.condition.iter().cloned().collect(),
            &mut placeholders,
        )?;
        Ok(Write {
            table: M::TABLE,
            key: update.key.clone(),
            kind: Kind::Update(update.key.item::<M>()?, expression),
            condition,
            placeholders,
            conflict: false,
        })
    }

    /// A delete; `original` is the item as read, for conflict checks.
    pub(crate) fn delete<M: Model>(
        key: Key,
        original: Option<&Item>,
        raise: bool,
        version_check: bool,
        user: Option<Condition>,
    ) -> Result<Write> {
        let mut conditions = Vec::new();
        let mut conflict = false;
        if let (Some(v), Some(o), true) = (M::VERSION_ATTRIBUTE, original, version_check) {
            conditions.push(version_is(v, version_of(o, v)?));
            conflict = true;
        }
        if raise {
            conflict = true;
            match original {
                Some(o) => conditions.extend(unchanged(o)),
                None => conditions.push(attr(M::HASH_KEY).exists()),
            }
        }
        conditions.extend(user);
        let mut placeholders = Placeholders::default();
        let condition = render(conditions, &mut placeholders)?;
        Ok(Write {
            table: M::TABLE,
            kind: Kind::Delete(key.item::<M>()?),
            key,
            condition,
            placeholders,
            conflict,
        })
    }

    pub(crate) fn check<M: Model>(key: Key, condition: Condition) -> Result<Write> {
        let mut placeholders = Placeholders::default();
        let condition = Some(condition.render(&mut placeholders)?);
        Ok(Write {
            table: M::TABLE,
            kind: Kind::Check(key.item::<M>()?),
            key,
            condition,
            placeholders,
            conflict: false,
        })
    }

    /// Sends the write alone; returns the new item for updates.
    pub(crate) async fn send(self, mapper: &Mapper) -> Result<Option<Item>> {
        let (table, conflict, key) = (self.table, self.conflict, self.key.describe());
        let fail = |e: Error| conditional(e, conflict, table, &key);
        let names = self.placeholders.names();
        let values = self.placeholders.values();
        let (consumed, item) = match self.kind {
            Kind::Put(item) => {
                // A conflict-checked save asks for the item as it is when the check fails: if
                // that is exactly the item this save wrote, the check failed on the save's own
                // write (applied by an attempt whose answer was lost, then retried by the
                // SDK), and the save succeeded. (A stale save that would store exactly the item
                // that is there succeeds the same way: it changes nothing.)
                let written = conflict.then(|| item.clone());
                let out = mapper
                    .client
                    .put_item()
                    .table_name(mapper.resolve(table))
                    .set_item(Some(item))
                    .set_condition_expression(self.condition)
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .return_consumed_capacity(ReturnConsumedCapacity::Total)
                    .set_return_values_on_condition_check_failure(
                        conflict.then_some(ReturnValuesOnConditionCheckFailure::AllOld),
                    )
                    .send()
                    .await;
                match out {
                    Ok(out) => (Consumed::write(out.consumed_capacity()), None),
                    Err(e) if written.is_some() && stored_item(&e) == written.as_ref() => {
                        (Consumed::write(None), None)
                    }
                    Err(e) => return Err(fail(service(e))),
                }
            }
            Kind::Update(k, expression) => {
                let out = mapper
                    .client
                    .update_item()
                    .table_name(mapper.resolve(table))
                    .set_key(Some(k))
                    .update_expression(expression)
                    .set_condition_expression(self.condition)
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .return_values(ReturnValue::AllNew)
                    .return_consumed_capacity(ReturnConsumedCapacity::Total)
                    .send()
                    .await
                    .map_err(|e| fail(service(e)))?;
                (Consumed::write(out.consumed_capacity()), out.attributes)
            }
            Kind::Delete(k) => {
                let out = mapper
                    .client
                    .delete_item()
                    .table_name(mapper.resolve(table))
                    .set_key(Some(k))
                    .set_condition_expression(self.condition)
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .return_consumed_capacity(ReturnConsumedCapacity::Total)
                    .send()
                    .await
                    .map_err(|e| fail(service(e)))?;
                (Consumed::write(out.consumed_capacity()), None)
            }
            Kind::Check(_) => {
                return Err(Error::Expression(
                    "a condition check only exists inside a transaction".into(),
                ))
            }
        };
        mapper.ledger.add(consumed);
        Ok(item)
    }

    /// The write as one action of TransactWriteItems.
    pub(crate) fn transact(self, mapper: &Mapper) -> Result<TransactWriteItem> {
        let table = mapper.resolve(self.table);
        let names = self.placeholders.names();
        let values = self.placeholders.values();
        let bad = |e: aws_sdk_dynamodb::error::BuildError| Error::Expression(e.to_string());
        let item = match self.kind {
            Kind::Put(item) => TransactWriteItem::builder().put(
                Put::builder()
                    .table_name(&table)
                    .set_item(Some(item))
                    .set_condition_expression(self.condition)
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .build()
                    .map_err(bad)?,
            ),
            Kind::Update(key, expression) => TransactWriteItem::builder().update(
                TxUpdate::builder()
                    .table_name(&table)
                    .set_key(Some(key))
                    .update_expression(expression)
                    .set_condition_expression(self.condition)
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .build()
                    .map_err(bad)?,
            ),
            Kind::Delete(key) => TransactWriteItem::builder().delete(
                TxDelete::builder()
                    .table_name(&table)
                    .set_key(Some(key))
                    .set_condition_expression(self.condition)
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .build()
                    .map_err(bad)?,
            ),
            Kind::Check(key) => TransactWriteItem::builder().condition_check(
                ConditionCheck::builder()
                    .table_name(&table)
                    .set_key(Some(key))
                    .set_condition_expression(self.condition)
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .build()
                    .map_err(bad)?,
            ),
        };
        Ok(item.build())
    }
}

/// What every request builder of the mapper turns into when awaited: one way to finish a
/// request (`.await`, or `.send().await`, which is the same).
pub(crate) type Boxed<'a, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

/// A whole-item save (PutItem); `.await` it.
///
/// PutItem replaces the whole stored item, so attributes the model does not know are lost;
/// [`Mapper::save_changes`] writes only what changed in a loaded item.
///
/// ```no_run
/// # use dynamodb_mapper::{Mapper, Model};
/// # #[derive(serde::Serialize, serde::Deserialize, Model)]
/// # #[dynamodb(table = "users", hash_key = "name")]
/// # struct User { name: String, age: u32 }
/// # async fn f(mapper: Mapper) -> dynamodb_mapper::Result<()> {
/// let mut ann = User { name: "ann".into(), age: 41 };
/// // Create-only: Error::Conflict if an item with this key exists.
/// match mapper.save(&mut ann).raise_on_conflict(true).await {
///     Err(e) if e.is_conflict() => println!("ann is taken"),
///     other => other?,
/// }
/// // Or a condition of your own: never lower a stored age (else Error::ConditionFailed).
/// ann.age = 42;
/// mapper.save(&mut ann).condition(User::fields().age.lt(42u32)).await?;
/// # Ok(()) }
/// ```
pub struct Save<'a, M> {
    pub(crate) mapper: &'a Mapper,
    pub(crate) item: &'a mut M,
    pub(crate) raise: bool,
    pub(crate) version_check: bool,
    pub(crate) condition: Option<Condition>,
}

impl<M: Model> Save<'_, M> {
    /// Fail with `Error::Conflict` if an item with this key already exists.
    pub fn raise_on_conflict(mut self, on: bool) -> Self {
        self.raise = on;
        self
    }
    /// For a model with a version attribute: `false` writes whatever version is stored (an
    /// administrative overwrite; PynamoDB's `add_version_condition=False`). The item's own
    /// version is still bumped and written, so anyone holding another version conflicts on
    /// their next checked save.
    pub fn check_version(mut self, on: bool) -> Self {
        self.version_check = on;
        self
    }
    /// Only if this condition holds on the stored item.
    pub fn condition(mut self, c: Condition) -> Self {
        self.condition = Some(c);
        self
    }
}

impl<'a, M: Model + Sync> IntoFuture for Save<'a, M> {
    type Output = Result<()>;
    type IntoFuture = Boxed<'a, ()>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let (write, raw) =
                Write::save(&*self.item, self.raise, self.version_check, self.condition)?;
            write.send(self.mapper).await?;
            if M::VERSION_ATTRIBUTE.is_some() {
                *self.item = serde_dynamo::from_item(raw)?;
            }
            Ok(())
        })
    }
}

/// A change-only save of a loaded item (UpdateItem); `.await` it.
///
/// An item that did not change sends nothing (and costs nothing).
///
/// ```no_run
/// # use dynamodb_mapper::{Mapper, Model};
/// # #[derive(serde::Serialize, serde::Deserialize, Model)]
/// # #[dynamodb(table = "users", hash_key = "name")]
/// # struct User { name: String, age: u32 }
/// # async fn f(mapper: Mapper) -> dynamodb_mapper::Result<()> {
/// let mut users = mapper.scan::<User>().stream();
/// while let Some(mut user) = users.try_next_tracked().await? {
///     if user.age < 18 {
///         user.age = 18; // an UpdateItem of `age` alone, whatever else the item holds
///     }
///     mapper.save_changes(&mut user).await?;
/// }
/// # Ok(()) }
/// ```
pub struct SaveChanges<'a, M> {
    pub(crate) mapper: &'a Mapper,
    pub(crate) item: &'a mut Tracked<M>,
    pub(crate) raise: bool,
}

impl<M: Model> SaveChanges<'_, M> {
    /// Fail with `Error::Conflict` unless the stored item still equals the one loaded.
    pub fn raise_on_conflict(mut self, on: bool) -> Self {
        self.raise = on;
        self
    }
}

impl<'a, M: Model + Sync> IntoFuture for SaveChanges<'a, M> {
    type Output = Result<()>;
    type IntoFuture = Boxed<'a, ()>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let Some((write, raw)) = Write::changes(&*self.item, self.raise)? else {
                return Ok(());
            };
            let stored = write.send(self.mapper).await?;
            if M::VERSION_ATTRIBUTE.is_some() {
                self.item.item = serde_dynamo::from_item(raw.clone())?;
            }
            self.item.original = stored.unwrap_or(raw);
            Ok(())
        })
    }
}

/// A DeleteItem; `.await` it.
///
/// DeleteItem succeeds whether or not the item exists; `.raise_on_conflict(true)` makes a
/// missing item (or, for [`Mapper::delete_tracked`], a changed one) an `Error::Conflict`.
///
/// ```no_run
/// # use dynamodb_mapper::{Mapper, Model};
/// # #[derive(serde::Serialize, serde::Deserialize, Model)]
/// # #[dynamodb(table = "users", hash_key = "name")]
/// # struct User { name: String, age: u32 }
/// # async fn f(mapper: Mapper) -> dynamodb_mapper::Result<()> {
/// mapper.delete::<User>(User::key("ann")).await?;
/// mapper.delete::<User>(User::key("ann")).await?; // again: nothing to delete, no error
/// let e = mapper.delete::<User>(User::key("ann")).raise_on_conflict(true).await.unwrap_err();
/// assert!(e.is_conflict());
/// # Ok(()) }
/// ```
pub struct Delete<'a, M> {
    pub(crate) mapper: &'a Mapper,
    pub(crate) key: Result<Key>,
    pub(crate) original: Option<Item>,
    pub(crate) raise: bool,
    pub(crate) version_check: bool,
    pub(crate) condition: Option<Condition>,
    pub(crate) _m: std::marker::PhantomData<fn() -> M>,
}

impl<'a, M> Delete<'a, M> {
    pub(crate) fn new(mapper: &'a Mapper, key: Result<Key>, original: Option<Item>) -> Self {
        Delete {
            mapper,
            key,
            original,
            raise: false,
            version_check: true,
            condition: None,
            _m: std::marker::PhantomData,
        }
    }
}

impl<M: Model> Delete<'_, M> {
    /// Fail with `Error::Conflict` unless the stored item equals the one loaded (or, deleting by
    /// key, unless it exists).
    pub fn raise_on_conflict(mut self, on: bool) -> Self {
        self.raise = on;
        self
    }
    /// Adds a condition the item must meet.
    pub fn condition(mut self, c: Condition) -> Self {
        self.condition = Some(c);
        self
    }
    /// Deleting an item of a model with a version attribute: `false` deletes whatever version
    /// is stored (PynamoDB's `add_version_condition=False`).
    pub fn check_version(mut self, on: bool) -> Self {
        self.version_check = on;
        self
    }
}

impl<'a, M: Model> IntoFuture for Delete<'a, M> {
    type Output = Result<()>;
    type IntoFuture = Boxed<'a, ()>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let write = Write::delete::<M>(
                self.key?,
                self.original.as_ref(),
                self.raise,
                self.version_check,
                self.condition,
            )?;
            write.send(self.mapper).await?;
            Ok(())
        })
    }
}

/// A save under the next number of the table's counter; `.await` it for the number.
///
/// The number comes from an atomic ADD on a counter item in the model's table (hash key -1,
/// which scans and queries skip), so concurrent inserts never get the same one.
///
/// ```no_run
/// # use dynamodb_mapper::{Mapper, Model};
/// # #[derive(serde::Serialize, serde::Deserialize, Model)]
/// # #[dynamodb(table = "tickets", hash_key = "number")]
/// # struct Ticket { number: u64, title: String }
/// # async fn f(mapper: Mapper) -> dynamodb_mapper::Result<()> {
/// let mut ticket = Ticket { number: 0, title: "printer on fire".into() };
/// let n = mapper.insert_auto_increment(&mut ticket).await?;
/// assert_eq!(ticket.number, n as u64); // the hash key is set to it
/// # Ok(()) }
/// ```
pub struct InsertAutoIncrement<'a, M> {
    pub(crate) mapper: &'a Mapper,
    pub(crate) item: &'a mut M,
}

impl<'a, M: Model + Sync> InsertAutoIncrement<'a, M> {
    /// Sends the save: the same as `.await` on the builder.
    pub fn send(self) -> Boxed<'a, i64> {
        self.into_future()
    }
}

impl<'a, M: Model + Sync> IntoFuture for InsertAutoIncrement<'a, M> {
    type Output = Result<i64>;
    type IntoFuture = Boxed<'a, i64>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(insert_auto_increment(self.mapper, self.item))
    }
}

/// Assigns the next number of the table's counter item to a new item's hash key and saves it.
async fn insert_auto_increment<M: Model + Sync>(mapper: &Mapper, item: &mut M) -> Result<i64> {
    if M::RANGE_KEY.is_some() || M::HASH_KEY_TYPE != crate::ScalarType::N {
        return Err(Error::Key(format!(
            "auto-increment keys need a numeric hash key and no range key ({})",
            M::TABLE
        )));
    }
    let out = mapper
        .client
        .update_item()
        .table_name(mapper.resolve(M::TABLE))
        .key(
            M::HASH_KEY,
            AttributeValue::N(crate::model::COUNTER_KEY.to_string()),
        )
        .update_expression("ADD #c :one")
        .expression_attribute_names("#c", crate::model::COUNTER_ATTRIBUTE)
        .expression_attribute_values(":one", AttributeValue::N("1".into()))
        .return_values(ReturnValue::UpdatedNew)
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .map_err(service)?;
    mapper.ledger.add(Consumed::write(out.consumed_capacity()));
    let n: i64 = match out
        .attributes
        .as_ref()
        .and_then(|a| a.get(crate::model::COUNTER_ATTRIBUTE))
    {
        Some(AttributeValue::N(n)) => n
            .parse()
            .map_err(|_| Error::Key(format!("counter is not an integer: {n}")))?,
        other => return Err(Error::Key(format!("counter item answered {other:?}"))),
    };
    let mut raw = to_raw(item)?;
    raw.insert(M::HASH_KEY.to_string(), AttributeValue::N(n.to_string()));
    *item = serde_dynamo::from_item(raw)?;
    // The number is ours alone (ADD is atomic), so a plain conflict check guards the rest.
    let (write, raw) = Write::save(&*item, true, true, None)?;
    write.send(mapper).await?;
    *item = serde_dynamo::from_item(raw)?;
    Ok(n)
}

/// The item a PutItem's failed condition found, when the request asked for it.
fn stored_item<R>(
    e: &aws_sdk_dynamodb::error::SdkError<aws_sdk_dynamodb::operation::put_item::PutItemError, R>,
) -> Option<&Item> {
    match e.as_service_error() {
        Some(
            aws_sdk_dynamodb::operation::put_item::PutItemError::ConditionalCheckFailedException(c),
        ) => c.item.as_ref(),
        _ => None,
    }
}

impl<'a, M: Model + Sync> Save<'a, M> {
    /// Sends the save: the same as `.await` on the builder.
    pub fn send(self) -> Boxed<'a, ()> {
        self.into_future()
    }
}

impl<'a, M: Model + Sync> SaveChanges<'a, M> {
    /// Sends the save: the same as `.await` on the builder.
    pub fn send(self) -> Boxed<'a, ()> {
        self.into_future()
    }
}

impl<'a, M: Model> Delete<'a, M> {
    /// Sends the delete: the same as `.await` on the builder.
    pub fn send(self) -> Boxed<'a, ()> {
        self.into_future()
    }
}
