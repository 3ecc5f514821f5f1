//! Typed partial updates: UpdateItem with SET, REMOVE, ADD and DELETE clauses, so only the named
//! attributes travel and concurrent writers of other attributes are not overwritten.

use crate::error::{Error, Result};
use crate::expr::{Condition, Field, Path, Placeholders};
use crate::model::{from_raw, value, Key, Model};
use crate::write::{Boxed, Write};
use crate::Mapper;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::Serialize;

#[derive(Debug, Clone)]
enum Action {
    Set(Path, AttributeValue),
    SetIfNotExists(Path, AttributeValue),
    Increment(Path, AttributeValue),
    Append(Path, AttributeValue),
    Remove(Path),
    Add(Path, AttributeValue),
    Delete(Path, AttributeValue),
}

/// An UpdateItem on one item of model `M`, built clause by clause.
///
/// Only the named attributes travel, so a concurrent writer of other attributes is not undone
/// (as a whole-item save would undo it). Nothing is sent until it is passed to
/// [`Mapper::update`] or a [`Transaction`](crate::Transaction).
///
/// ```no_run
/// # use dynamodb_mapper::{Mapper, Model};
/// # #[derive(serde::Serialize, serde::Deserialize, Model)]
/// # #[dynamodb(table = "users", hash_key = "name")]
/// # struct User { name: String, age: u32 }
/// # async fn f(mapper: Mapper) -> dynamodb_mapper::Result<()> {
/// use dynamodb_mapper::{attr, Update};
/// let f = User::fields();
/// let birthday = Update::<User>::new(User::key("ann"))
///     .increment(f.age, 1) // atomic: two concurrent birthdays add two
///     .set_path("greeted", false)
///     .remove(attr("cake"))
///     .condition(f.name.exists()); // update only: UpdateItem would create a missing item
/// let ann = mapper.update(birthday).await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Update<M> {
    pub(crate) key: Key,
    actions: Vec<Action>,
    pub(crate) condition: Option<Condition>,
    error: Option<String>,
    _m: std::marker::PhantomData<fn() -> M>,
}

// By hand: a derive would ask `M: Clone`, which the update does not hold.
impl<M> Clone for Update<M> {
    fn clone(&self) -> Self {
        Update {
            key: self.key.clone(),
            actions: self.actions.clone(),
            condition: self.condition.clone(),
            error: self.error.clone(),
            _m: std::marker::PhantomData,
        }
    }
}

impl<M: Model> Update<M> {
    /// An update of the item with this key.
    pub fn new(key: Key) -> Self {
        Update {
            key,
            actions: Vec::new(),
            condition: None,
            error: None,
            _m: std::marker::PhantomData,
        }
    }

    fn push(
        mut self,
        v: Result<AttributeValue>,
        make: impl FnOnce(AttributeValue) -> Action,
    ) -> Self {
        match v {
            Ok(v) => self.actions.push(make(v)),
            Err(e) => self.error = Some(e.to_string()),
        }
        self
    }

    /// `SET field = value`.
    pub fn set<T: Serialize>(self, field: Field<T>, v: impl Into<T>) -> Self {
        self.set_path(field, v.into())
    }
    /// `SET path = value` on any (nested) path.
    pub fn set_path(self, path: impl Into<Path>, v: impl Serialize) -> Self {
        let path = path.into();
        self.push(value(v), |v| Action::Set(path, v))
    }
    pub(crate) fn set_raw(mut self, path: Path, v: AttributeValue) -> Self {
        self.actions.push(Action::Set(path, v));
        self
    }

    /// `SET field = if_not_exists(field, value)`: a default that never overwrites.
    pub fn set_if_not_exists<T: Serialize>(self, field: Field<T>, v: impl Into<T>) -> Self {
        let path = field.path();
        self.push(value(v.into()), |v| Action::SetIfNotExists(path, v))
    }
    /// `SET field = if_not_exists(field, 0) + n`: an atomic counter that also works on a missing
    /// attribute.
    pub fn increment(self, path: impl Into<Path>, n: impl Serialize) -> Self {
        let path = path.into();
        self.push(value(n), |v| Action::Increment(path, v))
    }
    /// `SET list = list_append(if_not_exists(list, []), values)`.
    pub fn append<V: Serialize>(self, path: impl Into<Path>, values: Vec<V>) -> Self {
        let path = path.into();
        self.push(value(values), |v| Action::Append(path, v))
    }
    /// `REMOVE path`.
    pub fn remove(mut self, path: impl Into<Path>) -> Self {
        self.actions.push(Action::Remove(path.into()));
        self
    }
    /// `ADD path value`: adds to a number, or adds elements to a set (pass a
    /// [`StringSet`](crate::StringSet)/[`NumberSet`](crate::NumberSet)/[`BinarySet`](crate::BinarySet)).
    pub fn add(self, path: impl Into<Path>, v: impl Serialize) -> Self {
        let path = path.into();
        self.push(value(v), |v| Action::Add(path, v))
    }
    /// `DELETE path set`: removes elements from a set.
    pub fn delete(self, path: impl Into<Path>, set: impl Serialize) -> Self {
        let path = path.into();
        self.push(value(set), |v| Action::Delete(path, v))
    }
    /// Only if the condition holds (ConditionalCheckFailed becomes `Error::ConditionFailed`).
    pub fn condition(mut self, c: Condition) -> Self {
        self.condition = Some(match self.condition.take() {
            Some(old) => old.and(c),
            None => c,
        });
        self
    }

    /// Whether an action writes (anything inside) the top-level attribute `name`.
    fn touches(&self, name: &str) -> bool {
        self.actions.iter().any(|a| {
            let path = match a {
                Action::Set(p, _)
                | Action::SetIfNotExists(p, _)
                | Action::Increment(p, _)
                | Action::Append(p, _)
                | Action::Remove(p)
                | Action::Add(p, _)
                | Action::Delete(p, _) => p,
            };
            path.root() == Some(name)
        })
    }

    /// The update as it is sent: for a model with a version attribute, every update also moves
    /// the version on (unless it writes the version itself), so a save still holding the
    /// version read before the update conflicts instead of silently undoing it. An update
    /// takes no read, so it does not check the version; add a condition for that.
    pub(crate) fn versioned(&self) -> std::borrow::Cow<'_, Self> {
        match M::VERSION_ATTRIBUTE {
            Some(v) if !self.touches(v) && self.error.is_none() && !self.actions.is_empty() => {
                std::borrow::Cow::Owned(self.clone().increment(crate::expr::attr(v), 1))
            }
            _ => std::borrow::Cow::Borrowed(self),
        }
    }

    pub(crate) fn render(&self, p: &mut Placeholders) -> Result<String> {
        if let Some(e) = &self.error {
            return Err(Error::Expression(e.clone()));
        }
        if self.actions.is_empty() {
            return Err(Error::Expression(
                "an update needs at least one action".into(),
            ));
        }
        let (mut set, mut remove, mut add, mut delete) = (vec![], vec![], vec![], vec![]);
        for a in &self.actions {
            match a {
                Action::Set(path, v) => {
                    set.push(format!("{} = {}", p.path(path), p.value(v.clone())))
                }
                Action::SetIfNotExists(path, v) => {
                    let path = p.path(path);
                    set.push(format!(
                        "{path} = if_not_exists({path}, {})",
                        p.value(v.clone())
                    ))
                }
                Action::Increment(path, v) => {
                    let path = p.path(path);
                    let zero = p.value(AttributeValue::N("0".into()));
                    set.push(format!(
                        "{path} = if_not_exists({path}, {zero}) + {}",
                        p.value(v.clone())
                    ))
                }
                Action::Append(path, v) => {
                    let path = p.path(path);
                    let empty = p.value(AttributeValue::L(vec![]));
                    set.push(format!(
                        "{path} = list_append(if_not_exists({path}, {empty}), {})",
                        p.value(v.clone())
                    ))
                }
                Action::Remove(path) => remove.push(p.path(path)),
                Action::Add(path, v) => {
                    add.push(format!("{} {}", p.path(path), p.value(v.clone())))
                }
                Action::Delete(path, v) => {
                    delete.push(format!("{} {}", p.path(path), p.value(v.clone())))
                }
            }
        }
        let mut clauses = Vec::new();
        for (word, parts) in [
            ("SET", set),
            ("REMOVE", remove),
            ("ADD", add),
            ("DELETE", delete),
        ] {
            if !parts.is_empty() {
                clauses.push(format!("{word} {}", parts.join(", ")));
            }
        }
        Ok(clauses.join(" "))
    }
}

/// An [`Update`] on its way to the table (UpdateItem); `.await` it for the whole item as it is
/// after the update.
///
/// It is sent with ReturnValues=ALL_NEW, so the item comes back as it is after the update, with
/// the attributes other writers set.
///
/// ```no_run
/// # use dynamodb_mapper::{Mapper, Model};
/// # #[derive(serde::Serialize, serde::Deserialize, Model)]
/// # #[dynamodb(table = "users", hash_key = "name")]
/// # struct User { name: String, age: u32 }
/// # async fn f(mapper: Mapper) -> dynamodb_mapper::Result<()> {
/// use dynamodb_mapper::{Error, Update};
/// let f = User::fields();
/// let older = Update::<User>::new(User::key("ann")).increment(f.age, 1);
/// match mapper.update(older.condition(f.age.lt(130u32))).await {
///     Ok(ann) => println!("ann is now {}", ann.age),
///     Err(Error::ConditionFailed { .. }) => println!("ann is old enough"),
///     Err(e) => return Err(e),
/// }
/// # Ok(()) }
/// ```
pub struct UpdateItem<'a, M> {
    pub(crate) mapper: &'a Mapper,
    pub(crate) update: Update<M>,
}

impl<'a, M: Model> UpdateItem<'a, M> {
    /// Sends the update: the same as `.await` on the builder.
    pub fn send(self) -> Boxed<'a, M> {
        std::future::IntoFuture::into_future(self)
    }
}

impl<'a, M: Model> std::future::IntoFuture for UpdateItem<'a, M> {
    type Output = Result<M>;
    type IntoFuture = Boxed<'a, M>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let stored = Write::update(&self.update)?.send(self.mapper).await?;
            from_raw(stored.unwrap_or_default())
        })
    }
}
