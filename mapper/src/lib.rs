//! Typed models over `aws-sdk-dynamodb`: the same code runs against the emulator, DynamoDB Local
//! and AWS, only the client's endpoint differs.
//!
//! A model is a serde struct with `#[derive(Model)]` naming its table and key attributes; items
//! convert through `serde_dynamo`. This is the mapper's foundation: get (eventually or strongly
//! consistent), save, delete, query with range conditions, reverse order and limits, and scan.
//! Lazy streams, batch reads, conflict detection and transactions are still to come (issue 7).
//!
//! ```ignore
//! #[derive(Serialize, Deserialize, Model)]
//! #[dynamodb(table = "posts", hash_key = "id", range_key = "revision")]
//! struct Post { id: String, revision: u32, body: String }
//!
//! let latest: Vec<Post> = mapper.query::<Post>("intro")?.reverse().limit(1).send().await?;
//! ```

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;

pub use dynamodb_mapper_derive::Model;

/// A type stored in a DynamoDB table.
pub trait Model: Serialize + DeserializeOwned {
    const TABLE: &'static str;
    const HASH_KEY: &'static str;
    const RANGE_KEY: Option<&'static str>;
}

/// Everything that can go wrong, with the SDK's error kept inside.
#[derive(Debug)]
pub enum Error {
    /// DynamoDB (or the transport) answered with an error: its code and message.
    Service { code: String, message: String },
    /// An item could not be converted to or from the model.
    Conversion(serde_dynamo::Error),
    /// A key was given for a model whose key schema needs another shape.
    Key(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Service { code, message } => write!(f, "{code}: {message}"),
            Error::Conversion(e) => write!(f, "conversion: {e}"),
            Error::Key(m) => write!(f, "key: {m}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<serde_dynamo::Error> for Error {
    fn from(e: serde_dynamo::Error) -> Self {
        Error::Conversion(e)
    }
}

fn service<E: ProvideErrorMetadata + std::fmt::Debug>(
    e: aws_sdk_dynamodb::error::SdkError<E>,
) -> Error {
    match e.as_service_error() {
        Some(s) => Error::Service {
            code: s.code().unwrap_or("Unknown").to_string(),
            message: s.message().unwrap_or_default().to_string(),
        },
        None => Error::Service {
            code: "Transport".into(),
            message: format!("{e:?}"),
        },
    }
}

pub type Result<T> = std::result::Result<T, Error>;

fn value(v: impl Serialize) -> Result<AttributeValue> {
    Ok(serde_dynamo::to_attribute_value(v)?)
}

/// A primary key: the partition key, and the sort key for models that have one.
pub struct Key {
    hash: AttributeValue,
    range: Option<AttributeValue>,
}

impl Key {
    pub fn hash(h: impl Serialize) -> Result<Key> {
        Ok(Key {
            hash: value(h)?,
            range: None,
        })
    }
    pub fn hash_range(h: impl Serialize, r: impl Serialize) -> Result<Key> {
        Ok(Key {
            hash: value(h)?,
            range: Some(value(r)?),
        })
    }
    fn item<M: Model>(self) -> Result<HashMap<String, AttributeValue>> {
        let mut k = HashMap::from([(M::HASH_KEY.to_string(), self.hash)]);
        match (M::RANGE_KEY, self.range) {
            (Some(r), Some(v)) => {
                k.insert(r.to_string(), v);
            }
            (None, None) => {}
            (Some(r), None) => {
                return Err(Error::Key(format!("{} needs its sort key `{r}`", M::TABLE)))
            }
            (None, Some(_)) => return Err(Error::Key(format!("{} has no sort key", M::TABLE))),
        }
        Ok(k)
    }
}

/// The entry point: a client and the operations on models.
#[derive(Clone)]
pub struct Mapper {
    client: Client,
}

impl Mapper {
    pub fn new(client: Client) -> Mapper {
        Mapper { client }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Reads one item. Eventually consistent unless `.consistent(true)`: DynamoDB's default
    /// read may miss a write made just before it.
    pub fn get<M: Model>(&self, key: Key) -> Get<'_, M> {
        Get {
            mapper: self,
            key,
            consistent: false,
            _m: std::marker::PhantomData,
        }
    }

    /// Writes a whole item (PutItem).
    pub async fn save<M: Model>(&self, item: &M) -> Result<()> {
        let item: HashMap<String, AttributeValue> = serde_dynamo::to_item(item)?;
        self.client
            .put_item()
            .table_name(M::TABLE)
            .set_item(Some(item))
            .send()
            .await
            .map_err(service)?;
        Ok(())
    }

    /// Deletes an item by key.
    pub async fn delete<M: Model>(&self, key: Key) -> Result<()> {
        self.client
            .delete_item()
            .table_name(M::TABLE)
            .set_key(Some(key.item::<M>()?))
            .send()
            .await
            .map_err(service)?;
        Ok(())
    }

    /// A Query on one partition key, with optional sort-key conditions.
    pub fn query<M: Model>(&self, hash: impl Serialize) -> Result<Query<'_, M>> {
        Ok(Query {
            mapper: self,
            hash: value(hash)?,
            range: None,
            forward: true,
            limit: None,
            consistent: false,
            _m: std::marker::PhantomData,
        })
    }

    /// A Scan of the whole table (every page).
    pub async fn scan<M: Model>(&self) -> Result<Vec<M>> {
        let mut out = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(M::TABLE)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(service)?;
            for item in page.items() {
                out.push(serde_dynamo::from_item(item.clone())?);
            }
            match page.last_evaluated_key() {
                Some(k) => start = Some(k.clone()),
                None => return Ok(out),
            }
        }
    }
}

/// A GetItem being built.
pub struct Get<'a, M> {
    mapper: &'a Mapper,
    key: Key,
    consistent: bool,
    _m: std::marker::PhantomData<M>,
}

impl<M: Model> Get<'_, M> {
    /// Strongly consistent: always sees the latest write (twice the read cost).
    pub fn consistent(mut self, on: bool) -> Self {
        self.consistent = on;
        self
    }

    /// The item, or `None` when there is none.
    pub async fn send(self) -> Result<Option<M>> {
        let out = self
            .mapper
            .client
            .get_item()
            .table_name(M::TABLE)
            .set_key(Some(self.key.item::<M>()?))
            .consistent_read(self.consistent)
            .send()
            .await
            .map_err(service)?;
        out.item
            .map(serde_dynamo::from_item)
            .transpose()
            .map_err(Error::from)
    }
}

/// A sort-key condition.
enum Range {
    Cmp(&'static str, AttributeValue),
    Between(AttributeValue, AttributeValue),
    BeginsWith(AttributeValue),
}

/// A Query being built.
pub struct Query<'a, M> {
    mapper: &'a Mapper,
    hash: AttributeValue,
    range: Option<Range>,
    forward: bool,
    limit: Option<i32>,
    consistent: bool,
    _m: std::marker::PhantomData<M>,
}

impl<M: Model> Query<'_, M> {
    fn cmp(mut self, op: &'static str, v: impl Serialize) -> Result<Self> {
        self.range = Some(Range::Cmp(op, value(v)?));
        Ok(self)
    }
    pub fn eq(self, v: impl Serialize) -> Result<Self> {
        self.cmp("=", v)
    }
    pub fn lt(self, v: impl Serialize) -> Result<Self> {
        self.cmp("<", v)
    }
    pub fn le(self, v: impl Serialize) -> Result<Self> {
        self.cmp("<=", v)
    }
    pub fn gt(self, v: impl Serialize) -> Result<Self> {
        self.cmp(">", v)
    }
    pub fn ge(self, v: impl Serialize) -> Result<Self> {
        self.cmp(">=", v)
    }
    pub fn between(mut self, low: impl Serialize, high: impl Serialize) -> Result<Self> {
        self.range = Some(Range::Between(value(low)?, value(high)?));
        Ok(self)
    }
    pub fn begins_with(mut self, prefix: impl Serialize) -> Result<Self> {
        self.range = Some(Range::BeginsWith(value(prefix)?));
        Ok(self)
    }
    /// Highest sort keys first.
    pub fn reverse(mut self) -> Self {
        self.forward = false;
        self
    }
    /// At most `n` items: passed to DynamoDB as `Limit`, so pages stay small.
    pub fn limit(mut self, n: i32) -> Self {
        self.limit = Some(n);
        self
    }
    pub fn consistent(mut self, on: bool) -> Self {
        self.consistent = on;
        self
    }

    /// Runs the query, following pages until the limit or the end.
    pub async fn send(self) -> Result<Vec<M>> {
        let mut names = HashMap::from([("#h".to_string(), M::HASH_KEY.to_string())]);
        let mut values = HashMap::from([(":h".to_string(), self.hash.clone())]);
        let mut condition = "#h = :h".to_string();
        if let Some(range) = &self.range {
            let r =
                M::RANGE_KEY.ok_or_else(|| Error::Key(format!("{} has no sort key", M::TABLE)))?;
            names.insert("#r".into(), r.into());
            match range {
                Range::Cmp(op, v) => {
                    condition.push_str(&format!(" AND #r {op} :r"));
                    values.insert(":r".into(), v.clone());
                }
                Range::Between(a, b) => {
                    condition.push_str(" AND #r BETWEEN :a AND :b");
                    values.insert(":a".into(), a.clone());
                    values.insert(":b".into(), b.clone());
                }
                Range::BeginsWith(p) => {
                    condition.push_str(" AND begins_with(#r, :p)");
                    values.insert(":p".into(), p.clone());
                }
            }
        }
        let mut out = Vec::new();
        let mut start = None;
        loop {
            let remaining = self.limit.map(|l| l - out.len() as i32);
            let page = self
                .mapper
                .client
                .query()
                .table_name(M::TABLE)
                .key_condition_expression(&condition)
                .set_expression_attribute_names(Some(names.clone()))
                .set_expression_attribute_values(Some(values.clone()))
                .scan_index_forward(self.forward)
                .consistent_read(self.consistent)
                .set_limit(remaining)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(service)?;
            for item in page.items() {
                out.push(serde_dynamo::from_item(item.clone())?);
            }
            let done = self.limit.is_some_and(|l| out.len() as i32 >= l);
            match page.last_evaluated_key() {
                Some(k) if !done => start = Some(k.clone()),
                _ => return Ok(out),
            }
        }
    }
}
