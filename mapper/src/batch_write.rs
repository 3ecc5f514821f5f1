//! Batch writes: any number of puts and deletes, 25 per BatchWriteItem, unprocessed items
//! retried with exponential backoff.
//!
//! BatchWriteItem has no conditions, so models with a version attribute cannot be batch
//! written (that would skip the version check); use `save` or a transaction for them.

use crate::capacity::Consumed;
use crate::error::{service, Error, Result};
use crate::model::{to_raw, Key, Model};
use crate::write::Boxed;
use crate::Mapper;
use aws_sdk_dynamodb::config::AsyncSleep;
use aws_sdk_dynamodb::types::{DeleteRequest, PutRequest, ReturnConsumedCapacity, WriteRequest};
use std::collections::HashMap;
use std::future::IntoFuture;
use std::time::Duration;

/// BatchWriteItem takes at most 25 requests.
pub const BATCH_WRITE_MAX: usize = 25;

const ATTEMPTS: u32 = 10;

fn refuse_versioned<M: Model>() -> Result<()> {
    match M::VERSION_ATTRIBUTE {
        Some(v) => Err(Error::Key(format!(
            "{} has a version attribute `{v}`: batch writes cannot check it; use save or a transaction",
            M::TABLE
        ))),
        None => Ok(()),
    }
}

/// Requests keyed by item key; a later request for the same key replaces an earlier one (as
/// the writes would in sequence), because DynamoDB refuses a batch naming a key twice.
fn dedupe(requests: Vec<(Key, WriteRequest)>) -> Vec<WriteRequest> {
    let mut out: Vec<WriteRequest> = Vec::with_capacity(requests.len());
    let mut seen: HashMap<String, usize> = HashMap::with_capacity(requests.len());
    for (key, r) in requests {
        match seen.get(&key.describe()) {
            Some(&i) => out[i] = r,
            None => {
                seen.insert(key.describe(), out.len());
                out.push(r);
            }
        }
    }
    out
}

/// Puts and deletes of one model's table in as few BatchWriteItems as they fit (25 per
/// request, in order, a key named twice written once with its last request); `.await` it.
/// Unconditional, as BatchWriteItem is: refused for models with a version attribute.
///
/// ```no_run
/// # use dynamodb_mapper::{Mapper, Model};
/// # #[derive(serde::Serialize, serde::Deserialize, Model)]
/// # #[dynamodb(table = "users", hash_key = "name")]
/// # struct User { name: String }
/// # async fn f(mapper: Mapper, new: Vec<User>) -> dynamodb_mapper::Result<()> {
/// mapper.batch_save(&new).delete([User::key("gone"), User::key("left")]).await?;
/// # Ok(()) }
/// ```
pub struct BatchWrite<'a, M> {
    mapper: &'a Mapper,
    requests: Result<Vec<(Key, WriteRequest)>>,
    _m: std::marker::PhantomData<fn() -> M>,
}

impl<'a, M: Model> BatchWrite<'a, M> {
    pub(crate) fn new(mapper: &'a Mapper) -> Self {
        BatchWrite {
            mapper,
            requests: refuse_versioned::<M>().map(|_| Vec::new()),
            _m: std::marker::PhantomData,
        }
    }

    fn extend(mut self, more: Result<Vec<(Key, WriteRequest)>>) -> Self {
        self.requests = match (self.requests, more) {
            (Ok(mut r), Ok(more)) => {
                r.extend(more);
                Ok(r)
            }
            (Err(e), _) | (_, Err(e)) => Err(e),
        };
        self
    }

    /// Puts these whole items too.
    pub fn save<'i>(self, items: impl IntoIterator<Item = &'i M>) -> Self
    where
        M: 'i,
    {
        self.extend(puts(items))
    }

    /// Deletes the items with these keys too.
    pub fn delete(self, keys: impl IntoIterator<Item = Key>) -> Self {
        self.extend(deletes::<M>(keys))
    }

    /// Sends the batches: the same as `.await` on the builder.
    pub fn send(self) -> Boxed<'a, ()> {
        self.into_future()
    }
}

impl<'a, M: Model> IntoFuture for BatchWrite<'a, M> {
    type Output = Result<()>;
    type IntoFuture = Boxed<'a, ()>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move { write::<M>(self.mapper, self.requests?).await })
    }
}

async fn write<M: Model>(mapper: &Mapper, requests: Vec<(Key, WriteRequest)>) -> Result<()> {
    let sleep = mapper.client.config().sleep_impl();
    let table = mapper.resolve(M::TABLE);
    for chunk in dedupe(requests).chunks(BATCH_WRITE_MAX) {
        let mut pending = chunk.to_vec();
        let mut attempt = 0;
        while !pending.is_empty() {
            let out = mapper
                .client
                .batch_write_item()
                .request_items(&table, pending)
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await
                .map_err(service)?;
            mapper.ledger.add(Consumed::write(out.consumed_capacity()));
            pending = out
                .unprocessed_items
                .and_then(|mut u| u.remove(&table))
                .unwrap_or_default();
            if !pending.is_empty() {
                attempt += 1;
                if attempt >= ATTEMPTS {
                    return Err(Error::Unprocessed {
                        table: table.clone(),
                        remaining: pending.len(),
                    });
                }
                if let Some(s) = &sleep {
                    s.sleep(Duration::from_millis((50u64 << attempt.min(7)).min(5000)))
                        .await;
                }
            }
        }
    }
    Ok(())
}

fn puts<'a, M: Model>(items: impl IntoIterator<Item = &'a M>) -> Result<Vec<(Key, WriteRequest)>> {
    items
        .into_iter()
        .map(|m| {
            let raw = to_raw(m)?;
            let key = Key::of::<M>(&raw)?;
            let put = PutRequest::builder()
                .set_item(Some(raw))
                .build()
                .map_err(|e| Error::Expression(e.to_string()))?;
            Ok((key, WriteRequest::builder().put_request(put).build()))
        })
        .collect()
}

fn deletes<M: Model>(keys: impl IntoIterator<Item = Key>) -> Result<Vec<(Key, WriteRequest)>> {
    keys.into_iter()
        .map(|key| {
            let delete = DeleteRequest::builder()
                .set_key(Some(key.item::<M>()?))
                .build()
                .map_err(|e| Error::Expression(e.to_string()))?;
            Ok((key, WriteRequest::builder().delete_request(delete).build()))
        })
        .collect()
}
