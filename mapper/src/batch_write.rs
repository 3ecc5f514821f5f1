//! Batch writes: any number of puts and deletes, 25 per BatchWriteItem, unprocessed items
//! retried with exponential backoff.
//!
//! BatchWriteItem has no conditions, so models with a version attribute cannot be batch
//! written (that would skip the version check); use `save` or a transaction for them.

use crate::capacity::Consumed;
use crate::error::{service, Error, Result};
use crate::model::{to_raw, Item, Key, Model};
use crate::Mapper;
use aws_sdk_dynamodb::config::AsyncSleep;
use aws_sdk_dynamodb::types::{DeleteRequest, PutRequest, ReturnConsumedCapacity, WriteRequest};
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
fn dedupe(requests: Vec<(Item, WriteRequest)>) -> Vec<WriteRequest> {
    let mut out: Vec<(Item, WriteRequest)> = Vec::with_capacity(requests.len());
    for (key, r) in requests {
        match out.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = r,
            None => out.push((key, r)),
        }
    }
    out.into_iter().map(|(_, r)| r).collect()
}

pub(crate) async fn write<M: Model>(
    mapper: &Mapper,
    requests: Vec<(Item, WriteRequest)>,
) -> Result<()> {
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

pub(crate) fn puts<'a, M: Model>(
    items: impl IntoIterator<Item = &'a M>,
) -> Result<Vec<(Item, WriteRequest)>> {
    refuse_versioned::<M>()?;
    items
        .into_iter()
        .map(|m| {
            let raw = to_raw(m)?;
            let key = Key::of::<M>(&raw)?.item::<M>()?;
            let put = PutRequest::builder()
                .set_item(Some(raw))
                .build()
                .map_err(|e| Error::Expression(e.to_string()))?;
            Ok((key, WriteRequest::builder().put_request(put).build()))
        })
        .collect()
}

pub(crate) fn deletes<M: Model>(
    keys: impl IntoIterator<Item = Key>,
) -> Result<Vec<(Item, WriteRequest)>> {
    refuse_versioned::<M>()?;
    keys.into_iter()
        .map(|k| {
            let key = k.item::<M>()?;
            let delete = DeleteRequest::builder()
                .set_key(Some(key.clone()))
                .build()
                .map_err(|e| Error::Expression(e.to_string()))?;
            Ok((key, WriteRequest::builder().delete_request(delete).build()))
        })
        .collect()
}
