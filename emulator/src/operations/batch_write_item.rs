//! BatchWriteItem: up to 25 puts and deletes over one or more tables, no conditions, no two
//! requests on one item, no atomicity.
//!
//! Each write is atomic on its own; what a throttled partition (or index) could not take comes
//! back in `UnprocessedItems` for the client to retry, and only when nothing at all could be
//! written is the whole request throttled. Every request of every table is validated before
//! anything is written.
//! See <https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html>.

use super::command::{json, Command, Context};
use super::metered::{commit_write, plan_change, Change, Refusal};
use super::validate::{
    batch_table_names, check_index_keys, check_item_size, return_consumed_capacity,
    return_item_collection_metrics, WireMap,
};
use crate::capacity::{consumed_list, Split};
use crate::error::{Constraints, DynamoError, Result};
use crate::storage::StoredKey;
use crate::value::attribute::validate_map;
use crate::value::{item_size, Item};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashSet};

/// Largest BatchWriteItem request, all items together.
const MAX_BATCH_WRITE_BYTES: usize = 16 * 1024 * 1024;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PutRequestW {
    item: Option<WireMap>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DeleteRequestW {
    key: Option<WireMap>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct WriteRequestW {
    put_request: Option<PutRequestW>,
    delete_request: Option<DeleteRequestW>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct BatchWriteItemInput {
    request_items: Option<BTreeMap<String, Vec<WriteRequestW>>>,
    return_consumed_capacity: Option<String>,
    return_item_collection_metrics: Option<String>,
}

/// One put or delete, its attribute values validated.
enum Request {
    Put(Item),
    Delete(Item),
}

/// A validated BatchWriteItem.
pub(super) struct BatchWriteItem {
    tables: Vec<(String, Vec<Request>)>,
    return_consumed_capacity: Option<String>,
    collection_metrics: bool,
}

fn constraints(input: &BatchWriteItemInput) -> Constraints {
    let mut c = Constraints::new();
    return_consumed_capacity(&mut c, input.return_consumed_capacity.as_deref());
    return_item_collection_metrics(&mut c, input.return_item_collection_metrics.as_deref());
    match &input.request_items {
        None => c.not_null(false, "requestItems"),
        Some(r) if r.is_empty() => c.add(
            "{}",
            "requestItems",
            "Member must have length greater than or equal to 1",
        ),
        Some(r) => {
            batch_table_names(&mut c, r.keys());
            for (name, writes) in r {
                if writes.is_empty() || writes.len() > 25 {
                    c.add(
                        "{...}",
                        "requestItems",
                        "Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]",
                    );
                }
                for (i, w) in writes.iter().enumerate() {
                    let m = format!("requestItems.{name}.member.{}.member", i + 1);
                    if let Some(d) = &w.delete_request {
                        c.not_null(d.key.is_some(), &format!("{m}.deleteRequest.key"));
                    }
                    if let Some(p) = &w.put_request {
                        c.not_null(p.item.is_some(), &format!("{m}.putRequest.item"));
                    }
                }
            }
        }
    }
    c
}

fn request(w: WriteRequestW) -> Result<Request> {
    match (w.put_request, w.delete_request) {
        (Some(p), None) => {
            // Present: the member constraints saw to it.
            let item = validate_map(p.item.unwrap_or_default())?;
            // Before any table is looked up, as the service checks it.
            check_item_size(&item, "Item size has exceeded the maximum allowed size")?;
            Ok(Request::Put(item))
        }
        (None, Some(d)) => Ok(Request::Delete(validate_map(d.key.unwrap_or_default())?)),
        _ => Err(DynamoError::validation(
            "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
        )),
    }
}

impl TryFrom<BatchWriteItemInput> for BatchWriteItem {
    type Error = DynamoError;

    fn try_from(input: BatchWriteItemInput) -> Result<Self> {
        let request_items = constraints(&input).finish(input.request_items)?;
        let total: usize = request_items.values().map(Vec::len).sum();
        if total > 25 {
            return Err(DynamoError::validation(
                "Too many items requested for the BatchWriteItem call",
            ));
        }
        let tables = request_items
            .into_iter()
            .map(|(name, writes)| {
                let writes = writes.into_iter().map(request).collect::<Result<_>>()?;
                Ok((name, writes))
            })
            .collect::<Result<_>>()?;
        Ok(BatchWriteItem {
            tables,
            return_consumed_capacity: input.return_consumed_capacity,
            collection_metrics: input.return_item_collection_metrics.as_deref() == Some("SIZE"),
        })
    }
}

/// A write with its key, checked against its table.
enum Write {
    Put(StoredKey, Item),
    Delete(StoredKey),
}

impl Write {
    fn key(&self) -> &StoredKey {
        match self {
            Write::Put(k, _) | Write::Delete(k) => k,
        }
    }
}

impl Command for BatchWriteItem {
    type Input = BatchWriteItemInput;
    type Output = Value;

    fn parse(body: &[u8]) -> Result<BatchWriteItemInput> {
        json(body)
    }

    fn execute(self, ctx: &mut Context<'_>) -> Result<Value> {
        // Validate every request of every table against its schema before writing anything.
        let mut plans = Vec::with_capacity(self.tables.len());
        let mut request_bytes = 0usize;
        for (name, requests) in self.tables {
            let table = ctx.active_table(&name)?;
            let t = table.read();
            let mut seen = HashSet::new();
            let mut writes = Vec::with_capacity(requests.len());
            for r in requests {
                let write = match r {
                    Request::Put(item) => {
                        // A put's key is checked as a key (dynalite's suite, recorded against
                        // the service: `The provided key element does not match the schema`).
                        let key = t.def.schema.key_from_request(&t.def.schema.key_of(&item))?;
                        check_index_keys(&t, &item)?;
                        t.check_collection(&key, t.get(&key).as_ref(), &item)?;
                        request_bytes += item_size(&item);
                        Write::Put(key, item)
                    }
                    Request::Delete(key) => Write::Delete(t.def.schema.key_from_request(&key)?),
                };
                if !seen.insert(write.key().clone()) {
                    return Err(DynamoError::validation(
                        "Provided list of item keys contains duplicates",
                    ));
                }
                writes.push(write);
            }
            drop(t);
            plans.push((name, table, writes));
        }
        if request_bytes > MAX_BATCH_WRITE_BYTES {
            return Err(DynamoError::validation(
                "Item size has exceeded the maximum allowed size",
            ));
        }

        let mut units: BTreeMap<String, f64> = BTreeMap::new();
        let now = ctx.engine.clock.now();
        let (mut processed, mut throttled) = (0usize, 0usize);
        let mut unprocessed = Map::new();
        let mut metrics = Map::new();
        let mut throttle_error = DynamoError::table_not_found();
        for (name, table, writes) in plans {
            let mut t = table.write();
            t.expire(now);
            throttle_error = t.throttled();
            let mut left = Vec::new();
            let mut written: Vec<StoredKey> = Vec::new();
            for w in writes {
                let (key, change) = match w {
                    Write::Put(k, item) => (k, Change::Put(item)),
                    Write::Delete(k) => (k, Change::Delete),
                };
                // An item an in-flight transaction holds is left unprocessed, as a throttled
                // partition (or index) leaves its writes: the client retries them.
                if ctx.engine.locks.is_taken(&t.def.name, &key) {
                    left.push(unprocessed_request(&t, &key, change));
                    continue;
                }
                let planned = match plan_change(ctx.operation, &t, &key, change, now) {
                    Ok(p) => p,
                    Err((Refusal::Throttled(_), change)) => {
                        throttled += 1;
                        left.push(unprocessed_request(&t, &key, change));
                        continue;
                    }
                    Err((Refusal::Rejected { error, .. }, _)) => return Err(*error),
                };
                processed += 1;
                let done = commit_write(ctx.operation, &mut t, planned, now, 1.0);
                *units.entry(name.clone()).or_default() += done.cost.total();
                if !written.iter().any(|k| k.hash == done.key.hash) {
                    written.push(done.key);
                }
            }
            if !left.is_empty() {
                unprocessed.insert(name.clone(), Value::Array(left));
            }
            // Item collection metrics: one entry per collection written, for tables with LSIs.
            let m: Vec<Value> = written
                .iter()
                .filter_map(|k| t.collection_metrics(k))
                .collect();
            if !m.is_empty() {
                metrics.insert(name, Value::Array(m));
            }
        }
        if processed == 0 && throttled > 0 {
            return Err(throttle_error);
        }
        let mut out = json!({ "UnprocessedItems": unprocessed });
        if let Some(cc) = consumed_list(
            &units,
            self.return_consumed_capacity.as_deref(),
            Split::None,
        ) {
            out["ConsumedCapacity"] = cc;
        }
        if self.collection_metrics {
            out["ItemCollectionMetrics"] = Value::Object(metrics);
        }
        Ok(out)
    }
}

/// A write the batch did not apply, as `UnprocessedItems` lists it.
fn unprocessed_request(t: &crate::table::Table, key: &StoredKey, change: Change) -> Value {
    match change {
        Change::Put(item) => json!({"PutRequest": {"Item": item}}),
        _ => json!({"DeleteRequest": {"Key": t.def.schema.key_item(key)}}),
    }
}
