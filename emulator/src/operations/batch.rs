//! BatchGetItem and BatchWriteItem: many items in one request, no atomicity, partial results.
//!
//! DynamoDB limits a BatchGetItem to 100 keys and 16 MB of response (the rest comes back in
//! `UnprocessedKeys`), and a BatchWriteItem to 25 put/delete requests and 16 MB of request, with
//! no conditions and no two requests on one item. The whole request is validated before any item
//! is read or written. See
//! <https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html>.

use super::item::{active_table, check_index_keys, check_item_size, enum_check, WireMap};
use super::table::check_name;
use crate::capacity::{self, Kind};
use crate::error::{Constraints, DynamoError, Result};
use crate::expression::{self, attributes_to_get_projection, Placeholders, Projection};
use crate::storage::StoredKey;
use crate::value::attribute::validate_map;
use crate::value::{item_size, Item};
use crate::Engine;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Largest BatchGetItem response before the rest is left unprocessed.
const MAX_BATCH_GET_RESPONSE: usize = 16 * 1024 * 1024;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeysAndAttributesW {
    keys: Option<Vec<WireMap>>,
    attributes_to_get: Option<Vec<String>>,
    consistent_read: Option<bool>,
    projection_expression: Option<String>,
    expression_attribute_names: Option<HashMap<String, String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchGetItemInput {
    request_items: Option<BTreeMap<String, KeysAndAttributesW>>,
    return_consumed_capacity: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutRequestW {
    item: Option<WireMap>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteRequestW {
    key: Option<WireMap>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WriteRequestW {
    put_request: Option<PutRequestW>,
    delete_request: Option<DeleteRequestW>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchWriteItemInput {
    request_items: Option<BTreeMap<String, Vec<WriteRequestW>>>,
    return_consumed_capacity: Option<String>,
    return_item_collection_metrics: Option<String>,
}

fn consumed_list(
    per_table: &BTreeMap<String, f64>,
    mode: Option<&str>,
    read: bool,
) -> Option<Value> {
    match mode {
        Some("TOTAL") | Some("INDEXES") => Some(Value::Array(
            per_table
                .iter()
                .filter_map(|(t, u)| capacity::consumed(t, *u, mode, read))
                .collect(),
        )),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// BatchGetItem
// ---------------------------------------------------------------------------------------------

struct GetPlan {
    table: String,
    keys: Vec<(StoredKey, Item)>,
    projection: Option<Projection>,
    consistent: bool,
    raw: KeysAndAttributesMeta,
}

/// What UnprocessedKeys must repeat of a table's request besides the keys.
struct KeysAndAttributesMeta {
    attributes_to_get: Option<Vec<String>>,
    consistent_read: Option<bool>,
    projection_expression: Option<String>,
    expression_attribute_names: Option<HashMap<String, String>>,
}

pub fn batch_get_item(engine: &Engine, input: BatchGetItemInput) -> Result<Value> {
    let mut c = Constraints::new();
    enum_check(
        &mut c,
        input.return_consumed_capacity.as_deref(),
        "returnConsumedCapacity",
        &["INDEXES", "TOTAL", "NONE"],
    );
    match &input.request_items {
        None => c.not_null(false, "requestItems"),
        Some(r) if r.is_empty() => c.add(
            "{}",
            "requestItems",
            "Member must have length greater than or equal to 1",
        ),
        Some(r) => {
            for (name, ka) in r {
                check_name(&mut c, Some(name), "requestItems.member.key", true);
                match &ka.keys {
                    None => c.not_null(false, "requestItems.member.value.keys"),
                    Some(k) if k.is_empty() => c.add(
                        "[]",
                        "requestItems.member.value.keys",
                        "Member must have length greater than or equal to 1",
                    ),
                    Some(k) if k.len() > 100 => c.add(
                        "[...]",
                        "requestItems.member.value.keys",
                        "Member must have length less than or equal to 100",
                    ),
                    _ => {}
                }
            }
        }
    }
    c.into_result()?;
    let request = input.request_items.expect("checked");
    let total: usize = request
        .values()
        .map(|r| r.keys.as_ref().map_or(0, Vec::len))
        .sum();
    if total > 100 {
        return Err(DynamoError::validation(
            "Too many items requested for the BatchGetItem call",
        ));
    }

    // Validate everything first.
    let mut plans = Vec::new();
    for (name, ka) in request {
        if ka.attributes_to_get.is_some() && ka.projection_expression.is_some() {
            return Err(DynamoError::validation(
                "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}",
            ));
        }
        let mut p = Placeholders::new(ka.expression_attribute_names.as_ref(), None);
        p.check_preconditions(ka.projection_expression.is_some())?;
        let projection = match (&ka.projection_expression, &ka.attributes_to_get) {
            (Some(text), _) => Some(expression::parse_projection(text, &mut p)?),
            (None, Some(names)) => Some(attributes_to_get_projection(names)?),
            _ => None,
        };
        p.finish()?;
        let table = active_table(engine, &name)?;
        let t = table.read();
        let mut seen = HashSet::new();
        let mut keys = Vec::new();
        for k in ka.keys.expect("checked") {
            let k = validate_map(k)?;
            let stored = t.schema.key_from_request(&k)?;
            if !seen.insert(stored.clone()) {
                return Err(DynamoError::validation(
                    "Provided list of item keys contains duplicates",
                ));
            }
            keys.push((stored, k));
        }
        plans.push(GetPlan {
            table: name,
            keys,
            projection,
            consistent: ka.consistent_read.unwrap_or(false),
            raw: KeysAndAttributesMeta {
                attributes_to_get: ka.attributes_to_get,
                consistent_read: ka.consistent_read,
                projection_expression: ka.projection_expression,
                expression_attribute_names: ka.expression_attribute_names,
            },
        });
    }

    // Read, up to the response cap.
    let mut responses = Map::new();
    let mut unprocessed = Map::new();
    let mut units: BTreeMap<String, f64> = BTreeMap::new();
    let mut response_bytes = 0usize;
    let now = engine.clock.now();
    let (mut processed, mut throttled) = (0usize, 0usize);
    let mut throttle_error = None;
    for plan in plans {
        let table = active_table(engine, &plan.table)?;
        table.write().expire(now);
        let t = table.read();
        throttle_error.get_or_insert_with(|| t.throttled());
        t.record_request();
        let mut items = Vec::new();
        let mut left = Vec::new();
        for (key, key_item) in plan.keys {
            if response_bytes >= MAX_BATCH_GET_RESPONSE
                || t.admit(key.token, Kind::Read, now).is_err()
            {
                if response_bytes < MAX_BATCH_GET_RESPONSE {
                    throttled += 1;
                }
                left.push(serde_json::to_value(&key_item).expect("serialisable"));
                continue;
            }
            processed += 1;
            let mut view = t.read_view(plan.consistent, false, now);
            let found = t.get_in(&mut view, &key, now);
            let size = found.map(item_size).unwrap_or(0);
            // BatchGetItem rounds each item up to 4 KB separately.
            let u = capacity::read_units(size, plan.consistent);
            t.charge(key.token, Kind::Read, u, now);
            *units.entry(plan.table.clone()).or_default() += u;
            if let Some(item) = found {
                let out = match &plan.projection {
                    Some(p) => p.apply(item),
                    None => item.clone(),
                };
                response_bytes += item_size(&out);
                items.push(serde_json::to_value(&out).expect("serialisable"));
            }
        }
        responses.insert(plan.table.clone(), Value::Array(items));
        if !left.is_empty() {
            let mut ka = json!({ "Keys": left });
            if let Some(a) = plan.raw.attributes_to_get {
                ka["AttributesToGet"] = json!(a);
            }
            if let Some(cr) = plan.raw.consistent_read {
                ka["ConsistentRead"] = json!(cr);
            }
            if let Some(p) = plan.raw.projection_expression {
                ka["ProjectionExpression"] = json!(p);
            }
            if let Some(n) = plan.raw.expression_attribute_names {
                ka["ExpressionAttributeNames"] = json!(n);
            }
            unprocessed.insert(plan.table, ka);
        }
    }
    if processed == 0 && throttled > 0 {
        return Err(throttle_error.expect("a table was read"));
    }
    let mut out = json!({ "Responses": responses, "UnprocessedKeys": unprocessed });
    if let Some(cc) = consumed_list(&units, input.return_consumed_capacity.as_deref(), true) {
        out["ConsumedCapacity"] = cc;
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// BatchWriteItem
// ---------------------------------------------------------------------------------------------

enum Write {
    Put(StoredKey, Item),
    Delete(StoredKey),
}

pub fn batch_write_item(engine: &Engine, input: BatchWriteItemInput) -> Result<Value> {
    let mut c = Constraints::new();
    enum_check(
        &mut c,
        input.return_consumed_capacity.as_deref(),
        "returnConsumedCapacity",
        &["INDEXES", "TOTAL", "NONE"],
    );
    enum_check(
        &mut c,
        input.return_item_collection_metrics.as_deref(),
        "returnItemCollectionMetrics",
        &["SIZE", "NONE"],
    );
    match &input.request_items {
        None => c.not_null(false, "requestItems"),
        Some(r) if r.is_empty() => c.add(
            "{}",
            "requestItems",
            "Member must have length greater than or equal to 1",
        ),
        Some(r) => {
            for (name, writes) in r {
                check_name(&mut c, Some(name), "requestItems.member.key", true);
                if writes.is_empty() {
                    c.add(
                        "[]",
                        "requestItems.member.value",
                        "Member must have length greater than or equal to 1",
                    );
                } else if writes.len() > 25 {
                    c.add(
                        "[...]",
                        "requestItems.member.value",
                        "Member must have length less than or equal to 25",
                    );
                }
            }
        }
    }
    c.into_result()?;
    let request = input.request_items.expect("checked");
    let total: usize = request.values().map(Vec::len).sum();
    if total > 25 {
        return Err(DynamoError::validation(
            "Too many items requested for the BatchWriteItem call",
        ));
    }

    // Validate every request of every table before writing anything.
    let mut plans: Vec<(String, Vec<Write>)> = Vec::new();
    let mut request_bytes = 0usize;
    for (name, writes) in request {
        let table = active_table(engine, &name)?;
        let t = table.read();
        let mut seen = HashSet::new();
        let mut planned = Vec::new();
        for w in writes {
            let write = match (w.put_request, w.delete_request) {
                (Some(p), None) => {
                    let item = validate_map(p.item.ok_or_else(|| {
                        DynamoError::validation(
                            "1 validation error detected: Value null at 'requestItems.member.value.member.putRequest.item' failed to satisfy constraint: Member must not be null",
                        )
                    })?)?;
                    let key = t.schema.key_from_item(&item)?;
                    check_item_size(&item, "Item size has exceeded the maximum allowed size")?;
                    check_index_keys(&t, &item)?;
                    t.check_collection(&key, t.get(&key), &item)?;
                    request_bytes += item_size(&item);
                    Write::Put(key, item)
                }
                (None, Some(d)) => {
                    let key = validate_map(d.key.ok_or_else(|| {
                        DynamoError::validation(
                            "1 validation error detected: Value null at 'requestItems.member.value.member.deleteRequest.key' failed to satisfy constraint: Member must not be null",
                        )
                    })?)?;
                    Write::Delete(t.schema.key_from_request(&key)?)
                }
                _ => {
                    return Err(DynamoError::validation(
                        "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
                    ))
                }
            };
            let key = match &write {
                Write::Put(k, _) | Write::Delete(k) => k.clone(),
            };
            if !seen.insert(key) {
                return Err(DynamoError::validation(
                    "Provided list of item keys contains duplicates",
                ));
            }
            planned.push(write);
        }
        plans.push((name, planned));
    }
    if request_bytes > 16 * 1024 * 1024 {
        return Err(DynamoError::validation(
            "Item size has exceeded the maximum allowed size",
        ));
    }

    let mut units: BTreeMap<String, f64> = BTreeMap::new();
    let now = engine.clock.now();
    let (mut processed, mut throttled) = (0usize, 0usize);
    let mut unprocessed = Map::new();
    let mut metrics = Map::new();
    let mut throttle_error = DynamoError::table_not_found();
    for (name, writes) in plans {
        let table = active_table(engine, &name)?;
        let mut t = table.write();
        t.expire(now);
        throttle_error = t.throttled();
        t.record_request();
        let mut left = Vec::new();
        let mut written: Vec<StoredKey> = Vec::new();
        for w in writes {
            let key = match &w {
                Write::Put(k, _) | Write::Delete(k) => k.clone(),
            };
            // A throttled partition leaves its writes unprocessed; the client retries them.
            if t.admit(key.token, Kind::Write, now).is_err() {
                throttled += 1;
                left.push(match w {
                    Write::Put(_, item) => json!({"PutRequest": {"Item": item}}),
                    Write::Delete(k) => json!({"DeleteRequest": {"Key": t.schema.key_item(&k)}}),
                });
                continue;
            }
            // So does a write to an index out of its own capacity.
            let index_cost = {
                let old = t.get(&key);
                match &w {
                    Write::Put(_, item) => t.index_write_cost(old, Some(item)),
                    Write::Delete(_) => t.index_write_cost(old, None),
                }
            };
            if t.admit_index_writes(&index_cost, now).is_err() {
                throttled += 1;
                left.push(match w {
                    Write::Put(_, item) => json!({"PutRequest": {"Item": item}}),
                    Write::Delete(k) => json!({"DeleteRequest": {"Key": t.schema.key_item(&k)}}),
                });
                continue;
            }
            processed += 1;
            let cost = match w {
                Write::Put(key, item) => {
                    let old = t.get(&key);
                    let mut c = index_cost;
                    c.table = capacity::write_units(
                        item_size(&item).max(old.map(item_size).unwrap_or(0)),
                    );
                    t.put(key, item, now);
                    c
                }
                Write::Delete(key) => {
                    let old = t.get(&key);
                    let mut c = index_cost;
                    c.table = capacity::write_units(old.map(item_size).unwrap_or(0));
                    t.delete(&key, now);
                    c
                }
            };
            t.charge(key.token, Kind::Write, cost.total(), now);
            t.record_index_writes(&cost, now);
            *units.entry(name.clone()).or_default() += cost.total();
            if !written.iter().any(|k| k.hash == key.hash) {
                written.push(key);
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
            metrics.insert(name.clone(), Value::Array(m));
        }
    }
    if processed == 0 && throttled > 0 {
        return Err(throttle_error);
    }
    let mut out = json!({ "UnprocessedItems": unprocessed });
    if let Some(cc) = consumed_list(&units, input.return_consumed_capacity.as_deref(), false) {
        out["ConsumedCapacity"] = cc;
    }
    if input.return_item_collection_metrics.as_deref() == Some("SIZE") {
        out["ItemCollectionMetrics"] = Value::Object(metrics);
    }
    Ok(out)
}
