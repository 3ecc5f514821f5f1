//! PartiQL statements whose results decode into models.
//!
//! DynamoDB runs a statement as the operation it stands for (a SELECT on the partition key is a
//! Query, any other SELECT a Scan, an INSERT a conditional PutItem), so a statement costs what
//! that operation costs; [`Statement::collect`] follows `NextToken` until the last page and
//! adds every page's capacity to the mapper's total.

use crate::capacity::Consumed;
use crate::error::{service, Error, Result};
use crate::model::{from_raw, value, Item, Model};
use crate::Mapper;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnConsumedCapacity};
use serde::Serialize;
use std::marker::PhantomData;

/// An ExecuteStatement being built; its items decode as `M`.
///
/// A statement names its table in its text, so take the name the mapper sends
/// ([`Mapper::table_name`], which applies its [`TableNames`](crate::TableNames)).
///
/// ```no_run
/// # use dynamodb_mapper::{Mapper, Model};
/// # #[derive(serde::Serialize, serde::Deserialize, Model)]
/// # #[dynamodb(table = "users", hash_key = "name")]
/// # struct User { name: String, age: u32 }
/// # async fn f(mapper: Mapper) -> dynamodb_mapper::Result<()> {
/// let users = format!("\"{}\"", mapper.table_name::<User>());
/// // A WHERE on the partition key runs as a Query; without one, the statement scans the table.
/// let select = format!("SELECT * FROM {users} WHERE \"name\" = ?");
/// let ann = mapper.statement::<User>(select).param("ann").consistent(true).first().await?;
/// // INSERT fails (DuplicateItemException) when the key exists, unlike PutItem.
/// let insert = format!("INSERT INTO {users} VALUE {{'name': ?, 'age': ?}}");
/// mapper.statement::<User>(insert).param("bob").param(30u32).execute().await?;
/// # Ok(()) }
/// ```
pub struct Statement<'a, M> {
    mapper: &'a Mapper,
    text: String,
    params: Vec<AttributeValue>,
    consistent: bool,
    limit: Option<i32>,
    error: Option<Error>,
    _m: PhantomData<fn() -> M>,
}

impl<'a, M: Model> Statement<'a, M> {
    pub(crate) fn new(mapper: &'a Mapper, text: impl Into<String>) -> Self {
        Statement {
            mapper,
            text: text.into(),
            params: Vec::new(),
            consistent: false,
            limit: None,
            error: None,
            _m: PhantomData,
        }
    }

    /// The next `?` parameter's value, converted as model fields are.
    pub fn param(mut self, v: impl Serialize) -> Self {
        match value(v) {
            Ok(v) => self.params.push(v),
            Err(e) => self.error = self.error.or(Some(e)),
        }
        self
    }

    /// A strongly consistent read (SELECT only; not on global secondary indexes).
    pub fn consistent(mut self, on: bool) -> Self {
        self.consistent = on;
        self
    }

    /// Items read per page (DynamoDB's `Limit`: counted before the WHERE filters them).
    pub fn page_size(mut self, n: i32) -> Self {
        self.limit = Some(n);
        self
    }

    /// One page: its raw items and the token of the next.
    async fn page(&self, token: Option<String>) -> Result<(Vec<Item>, Option<String>)> {
        let out = self
            .mapper
            .client
            .execute_statement()
            .statement(&self.text)
            .set_parameters((!self.params.is_empty()).then(|| self.params.clone()))
            .consistent_read(self.consistent)
            .set_limit(self.limit)
            .set_next_token(token)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(service)?;
        let consumed = out.consumed_capacity();
        let reads = first_word(&self.text).eq_ignore_ascii_case("select");
        self.mapper.ledger.add(if reads {
            Consumed::read(consumed)
        } else {
            Consumed::write(consumed)
        });
        Ok((out.items.unwrap_or_default(), out.next_token))
    }

    /// Every raw item of every page.
    pub async fn collect_raw(mut self) -> Result<Vec<Item>> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let mut items = Vec::new();
        let mut token = None;
        loop {
            let (page, next) = self.page(token).await?;
            items.extend(page);
            match next {
                Some(t) => token = Some(t),
                None => return Ok(items),
            }
        }
    }

    /// Every item of every page, as models (a write's `RETURNING` item too).
    pub async fn collect(self) -> Result<Vec<M>> {
        self.collect_raw()
            .await?
            .into_iter()
            .map(from_raw)
            .collect()
    }

    /// The first item, reading no further page than needed.
    pub async fn first(mut self) -> Result<Option<M>> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let mut token = None;
        loop {
            let (page, next) = self.page(token).await?;
            if let Some(item) = page.into_iter().next() {
                return from_raw(item).map(Some);
            }
            match next {
                Some(t) => token = Some(t),
                None => return Ok(None),
            }
        }
    }

    /// Runs a statement that returns nothing to decode (INSERT, or UPDATE/DELETE without
    /// RETURNING).
    pub async fn execute(self) -> Result<()> {
        self.collect_raw().await.map(|_| ())
    }
}

/// The statement's first word, after any leading comments (`-- ...` and `/* ... */`).
fn first_word(text: &str) -> &str {
    let mut rest = text.trim_start();
    loop {
        if let Some(r) = rest.strip_prefix("--") {
            rest = r
                .split_once('\n')
                .map_or("", |(_, after)| after)
                .trim_start();
        } else if let Some(r) = rest.strip_prefix("/*") {
            rest = r
                .split_once("*/")
                .map_or("", |(_, after)| after)
                .trim_start();
        } else {
            break;
        }
    }
    let end = rest
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(rest.len());
    &rest[..end]
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_first_word_skips_comments() {
        assert_eq!(super::first_word("  -- a\n/* b */ select *"), "select");
        assert_eq!(super::first_word("INSERT INTO t"), "INSERT");
        assert_eq!(super::first_word("é"), "");
    }
}
