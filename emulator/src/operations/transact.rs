//! TransactWriteItems and TransactGetItems: all-or-nothing across up to 100 items and any tables.
//!
//! Isolation: a transaction locks every table it touches (in name order, so two transactions
//! cannot deadlock), checks every condition, then applies every write, all under those locks.
//! Single-item operations take the same table locks, so every transaction is serialisable against
//! every other request: the emulator serialises conflicting transactions instead of answering
//! `TransactionConflictException` (DynamoDB may do either; serialising is the deterministic choice).
//! See <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html>.

use super::item::{check_index_keys, check_item_size, enum_check, expression_values, WireMap};
use super::table::check_name;
use crate::capacity::{self, Kind as Capacity};
use crate::engine::IdempotentEntry;
use crate::error::{Constraints, DynamoError, ErrorKind, Result};
use crate::expression::{self, Condition, Placeholders, Projection, UpdateExpression};
use crate::storage::catalog::TableRef;
use crate::storage::{StoredKey, Table, TableStatus};
use crate::value::attribute::validate_map;
use crate::value::{item_size, Item};
use crate::Engine;
use parking_lot::{RwLockReadGuard, RwLockWriteGuard};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

/// How long a ClientRequestToken is remembered.
const IDEMPOTENCY_WINDOW: Duration = Duration::from_secs(600);
/// Largest total size of a transaction's items.
const MAX_TRANSACTION_SIZE: usize = 4 * 1024 * 1024;

#[derive(Deserialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct ActionW {
    table_name: Option<String>,
    key: Option<WireMap>,
    item: Option<WireMap>,
    condition_expression: Option<String>,
    update_expression: Option<String>,
    expression_attribute_names: Option<HashMap<String, String>>,
    expression_attribute_values: Option<WireMap>,
    return_values_on_condition_check_failure: Option<String>,
}

#[derive(Deserialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct TransactWriteItemW {
    condition_check: Option<ActionW>,
    put: Option<ActionW>,
    delete: Option<ActionW>,
    update: Option<ActionW>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TransactWriteItemsInput {
    transact_items: Option<Vec<TransactWriteItemW>>,
    return_consumed_capacity: Option<String>,
    return_item_collection_metrics: Option<String>,
    client_request_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetW {
    table_name: Option<String>,
    key: Option<WireMap>,
    projection_expression: Option<String>,
    expression_attribute_names: Option<HashMap<String, String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TransactGetItemW {
    get: Option<GetW>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TransactGetItemsInput {
    transact_items: Option<Vec<TransactGetItemW>>,
    return_consumed_capacity: Option<String>,
}

enum Kind {
    ConditionCheck,
    Put(Item),
    Delete,
    Update(Option<UpdateExpression>),
}

struct Action {
    table: String,
    key: StoredKey,
    key_item: Item,
    kind: Kind,
    condition: Option<Condition>,
    return_old_on_failure: bool,
}

fn locked_tables(engine: &Engine, names: &[String]) -> Result<BTreeMap<String, TableRef>> {
    let mut tables = BTreeMap::new();
    for n in names {
        if tables.contains_key(n) {
            continue;
        }
        let t = engine
            .catalog
            .get(n)
            .ok_or_else(DynamoError::table_not_found)?;
        if t.read().status(engine.clock.now()) == TableStatus::Creating {
            return Err(DynamoError::table_not_found());
        }
        tables.insert(n.clone(), t);
    }
    Ok(tables)
}

/// Parses and validates one action completely (no table access beyond its schema).
fn plan_action(engine: &Engine, w: TransactWriteItemW) -> Result<Action> {
    let present = [
        w.condition_check.is_some(),
        w.put.is_some(),
        w.delete.is_some(),
        w.update.is_some(),
    ]
    .iter()
    .filter(|x| **x)
    .count();
    if present != 1 {
        return Err(DynamoError::validation(
            "TransactItems can only contain one of Check, Put, Update or Delete",
        ));
    }
    let (a, which) = if let Some(a) = w.condition_check {
        (a, 0)
    } else if let Some(a) = w.put {
        (a, 1)
    } else if let Some(a) = w.delete {
        (a, 2)
    } else {
        (w.update.expect("one is set"), 3)
    };
    let mut c = Constraints::new();
    check_name(
        &mut c,
        a.table_name.as_deref(),
        "transactItems.member.tableName",
        true,
    );
    enum_check(
        &mut c,
        a.return_values_on_condition_check_failure.as_deref(),
        "transactItems.member.returnValuesOnConditionCheckFailure",
        &["ALL_OLD", "NONE"],
    );
    match which {
        0 => {
            c.not_null(a.key.is_some(), "transactItems.member.conditionCheck.key");
            c.not_null(
                a.condition_expression.is_some(),
                "transactItems.member.conditionCheck.conditionExpression",
            );
        }
        1 => c.not_null(a.item.is_some(), "transactItems.member.put.item"),
        2 => c.not_null(a.key.is_some(), "transactItems.member.delete.key"),
        _ => {
            c.not_null(a.key.is_some(), "transactItems.member.update.key");
            c.not_null(
                a.update_expression.is_some(),
                "transactItems.member.update.updateExpression",
            );
        }
    }
    c.into_result()?;
    let values = expression_values(a.expression_attribute_values)?;
    let mut p = Placeholders::new(a.expression_attribute_names.as_ref(), values.as_ref())
        .value_params(&["UpdateExpression", "ConditionExpression"]);
    p.check_preconditions(a.condition_expression.is_some() || a.update_expression.is_some())?;
    let update = match &a.update_expression {
        Some(text) if which == 3 => Some(expression::parse_update(text, &mut p)?),
        _ => None,
    };
    let condition = a
        .condition_expression
        .as_deref()
        .map(|text| expression::parse_condition(text, &mut p, "ConditionExpression"))
        .transpose()?;
    p.finish()?;
    let table_name = a.table_name.expect("checked");
    let table = engine
        .catalog
        .get(&table_name)
        .ok_or_else(DynamoError::table_not_found)?;
    let t = table.read();
    let (key, key_item, kind) = match which {
        1 => {
            let item = validate_map(a.item.expect("checked"))?;
            let key = t.schema.key_from_item(&item)?;
            check_item_size(&item, "Item size has exceeded the maximum allowed size")?;
            check_index_keys(&t, &item)?;
            let key_item = t.schema.key_item(&key);
            (key, key_item, Kind::Put(item))
        }
        _ => {
            let key_item = validate_map(a.key.expect("checked"))?;
            let key = t.schema.key_from_request(&key_item)?;
            let kind = match which {
                0 => Kind::ConditionCheck,
                2 => Kind::Delete,
                _ => {
                    if let Some(u) = &update {
                        for attr in u.top_level_names() {
                            if t.schema.is_key_attribute(attr) {
                                return Err(DynamoError::invalid_parameter(format!(
                                    "Cannot update attribute {attr}. This attribute is part of the key"
                                )));
                            }
                        }
                    }
                    Kind::Update(update)
                }
            };
            (key, key_item, kind)
        }
    };
    Ok(Action {
        table: table_name,
        key,
        key_item,
        kind,
        condition,
        return_old_on_failure: a.return_values_on_condition_check_failure.as_deref()
            == Some("ALL_OLD"),
    })
}

/// The canonical form of a request for idempotency: the SHA-256 of its JSON without the token
/// (a digest, so a remembered 4 MB transaction costs 64 bytes, not 4 MB).
fn fingerprint(body: &Value) -> String {
    use sha2::Digest;
    let digest = match body.as_object() {
        Some(m) => {
            let mut h = sha2::Sha256::new();
            // serde_json's maps are ordered, so this is the canonical JSON, member by member.
            for (k, v) in m.iter().filter(|(k, _)| *k != "ClientRequestToken") {
                h.update(k.as_bytes());
                h.update(v.to_string().as_bytes());
            }
            h.finalize()
        }
        None => sha2::Sha256::digest(body.to_string().as_bytes()),
    };
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Tokens remembered at most; past it the oldest are forgotten first (DynamoDB keeps each for
/// 10 minutes; a client sending more than this many distinct tokens in 10 minutes loses
/// idempotency only for the oldest).
const MAX_IDEMPOTENCY_TOKENS: usize = 100_000;

pub fn transact_write_items(
    engine: &Engine,
    input: TransactWriteItemsInput,
    raw: &Value,
) -> Result<Value> {
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
    match &input.transact_items {
        None => c.not_null(false, "transactItems"),
        Some(t) if t.is_empty() => c.add(
            "[]",
            "transactItems",
            "Member must have length greater than or equal to 1",
        ),
        Some(t) if t.len() > 100 => c.add(
            "[...]",
            "transactItems",
            "Member must have length less than or equal to 100",
        ),
        _ => {}
    }
    if let Some(tok) = &input.client_request_token {
        if tok.is_empty() || tok.len() > 36 {
            c.add(
                format!("'{tok}'"),
                "clientRequestToken",
                if tok.is_empty() {
                    "Member must have length greater than or equal to 1"
                } else {
                    "Member must have length less than or equal to 36"
                },
            );
        }
    }
    c.into_result()?;

    let now = engine.clock.now();
    let print = match &input.client_request_token {
        Some(_) => fingerprint(raw),
        None => String::new(),
    };
    if let Some(tok) = &input.client_request_token {
        let mut seen = engine.idempotency.lock();
        seen.retain(|_, e| now.saturating_sub(e.at) < IDEMPOTENCY_WINDOW);
        if seen.len() >= MAX_IDEMPOTENCY_TOKENS && !seen.contains_key(tok) {
            let mut ages: Vec<(Duration, String)> =
                seen.iter().map(|(k, e)| (e.at, k.clone())).collect();
            ages.sort();
            for (_, k) in ages
                .iter()
                .take(seen.len() + 1 - MAX_IDEMPOTENCY_TOKENS / 2)
            {
                seen.remove(k);
            }
        }
        if let Some(e) = seen.get(tok) {
            if e.fingerprint != print {
                return Err(DynamoError::new(
                    ErrorKind::IdempotentParameterMismatch,
                    "Request parameters do not match the parameters of the previous request with the same ClientRequestToken",
                ));
            }
            return Ok(e.response.clone());
        }
    }

    let mut actions = Vec::new();
    for w in input.transact_items.expect("checked") {
        actions.push(plan_action(engine, w)?);
    }
    let mut seen = HashSet::new();
    for a in &actions {
        if !seen.insert((a.table.clone(), a.key.clone())) {
            return Err(DynamoError::validation(
                "Transaction request cannot include multiple operations on one item",
            ));
        }
    }
    let size: usize = actions
        .iter()
        .map(|a| match &a.kind {
            Kind::Put(i) => item_size(i),
            _ => item_size(&a.key_item),
        })
        .sum();
    if size > MAX_TRANSACTION_SIZE {
        return Err(DynamoError::validation(
            "Transaction size has exceeded the maximum allowed size",
        ));
    }

    let names: Vec<String> = actions.iter().map(|a| a.table.clone()).collect();
    let tables = locked_tables(engine, &names)?;
    let mut guards: BTreeMap<String, RwLockWriteGuard<'_, Table>> =
        tables.iter().map(|(n, t)| (n.clone(), t.write())).collect();
    for g in guards.values_mut() {
        g.expire(now);
    }

    // Check every condition and compute every new item before writing any.
    let mut reasons = Vec::with_capacity(actions.len());
    let mut failed = false;
    let mut results: Vec<Option<Option<Item>>> = Vec::with_capacity(actions.len());
    for a in &actions {
        if guards[&a.table]
            .admit(a.key.token, Capacity::Write, now)
            .is_err()
        {
            failed = true;
            reasons.push(json!({"Code": "ThrottlingError", "Message": "Throughput exceeds the current capacity for one or more global secondary indexes or the table. DynamoDB is automatically scaling your table or index so please try again shortly."}));
            results.push(None);
            continue;
        }
        let t = &guards[&a.table];
        let old = t.get(&a.key);
        let ok = a
            .condition
            .as_ref()
            .is_none_or(|c| c.evaluate(old.unwrap_or(&Item::new())));
        if !ok {
            failed = true;
            let mut r = json!({"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"});
            if a.return_old_on_failure {
                if let Some(o) = old {
                    r["Item"] = serde_json::to_value(o).expect("serialisable");
                }
            }
            reasons.push(r);
            results.push(None);
            continue;
        }
        let new = match &a.kind {
            Kind::ConditionCheck => None,
            Kind::Delete => Some(None),
            Kind::Put(item) => {
                if let Err(e) = t.check_collection(&a.key, old, item) {
                    failed = true;
                    reasons.push(
                        json!({"Code": "ItemCollectionSizeLimitExceeded", "Message": e.message}),
                    );
                    results.push(None);
                    continue;
                }
                Some(Some(item.clone()))
            }
            Kind::Update(u) => {
                let mut item = old.cloned().unwrap_or_else(|| a.key_item.clone());
                let applied = match u {
                    Some(u) => u.apply(&mut item),
                    None => Ok(()),
                }
                .and_then(|_| {
                    check_item_size(
                        &item,
                        "Item size to update has exceeded the maximum allowed size",
                    )
                })
                .and_then(|_| check_index_keys(t, &item))
                .and_then(|_| t.check_collection(&a.key, old, &item));
                match applied {
                    Ok(()) => Some(Some(item)),
                    Err(e) => {
                        failed = true;
                        reasons.push(json!({"Code": "ValidationError", "Message": e.message}));
                        results.push(None);
                        continue;
                    }
                }
            }
        };
        // An index out of its own write capacity throttles the action.
        if let Some(n) = &new {
            if t.admit_index_writes(&t.index_write_cost(old, n.as_ref()), now)
                .is_err()
            {
                failed = true;
                reasons.push(json!({"Code": "ThrottlingError", "Message": "Throughput exceeds the current capacity for one or more global secondary indexes or the table. DynamoDB is automatically scaling your table or index so please try again shortly."}));
                results.push(None);
                continue;
            }
        }
        reasons.push(json!({"Code": "None"}));
        results.push(new);
    }
    if failed {
        let codes: Vec<&str> = reasons
            .iter()
            .map(|r| r["Code"].as_str().unwrap_or("None"))
            .collect();
        let mut e = DynamoError::new(
            ErrorKind::TransactionCanceled,
            format!(
                "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]",
                codes.join(", ")
            ),
        );
        e.cancellation_reasons = Some(reasons);
        return Err(e);
    }

    let mut units: BTreeMap<String, f64> = BTreeMap::new();
    for (a, new) in actions.iter().zip(results) {
        let t = guards.get_mut(&a.table).expect("locked");
        let old = t.get(&a.key);
        let new_item = match &new {
            Some(Some(i)) => Some(i),
            _ => None,
        };
        let mut cost = match &new {
            None => crate::capacity::Consumed::default(),
            Some(_) => t.index_write_cost(old, new_item),
        };
        cost.table = capacity::write_units(
            old.map(item_size)
                .unwrap_or(0)
                .max(new_item.map(item_size).unwrap_or(0)),
        );
        // Transactional writes cost twice a standard write; a condition check is charged as a write.
        let cost = cost.scaled(2.0);
        t.charge(a.key.token, Capacity::Write, cost.total(), now);
        t.record_index_writes(&cost, now);
        *units.entry(a.table.clone()).or_default() += cost.total();
        match new {
            Some(Some(item)) => {
                t.put(a.key.clone(), item, now);
            }
            Some(None) => {
                t.delete(&a.key, now);
            }
            None => {}
        }
    }
    drop(guards);
    let mut out = json!({});
    if matches!(
        input.return_consumed_capacity.as_deref(),
        Some("TOTAL") | Some("INDEXES")
    ) {
        out["ConsumedCapacity"] = Value::Array(
            units
                .iter()
                .filter_map(|(t, u)| {
                    capacity::consumed(t, *u, input.return_consumed_capacity.as_deref(), false)
                })
                .collect(),
        );
    }
    if input.return_item_collection_metrics.as_deref() == Some("SIZE") {
        out["ItemCollectionMetrics"] = json!({});
    }
    if let Some(tok) = input.client_request_token {
        engine.idempotency.lock().insert(
            tok,
            IdempotentEntry {
                fingerprint: print,
                at: now,
                response: out.clone(),
            },
        );
    }
    Ok(out)
}

pub fn transact_get_items(engine: &Engine, input: TransactGetItemsInput) -> Result<Value> {
    let mut c = Constraints::new();
    enum_check(
        &mut c,
        input.return_consumed_capacity.as_deref(),
        "returnConsumedCapacity",
        &["INDEXES", "TOTAL", "NONE"],
    );
    match &input.transact_items {
        None => c.not_null(false, "transactItems"),
        Some(t) if t.is_empty() => c.add(
            "[]",
            "transactItems",
            "Member must have length greater than or equal to 1",
        ),
        Some(t) if t.len() > 100 => c.add(
            "[...]",
            "transactItems",
            "Member must have length less than or equal to 100",
        ),
        _ => {}
    }
    c.into_result()?;
    let mut gets: Vec<(String, StoredKey, Option<Projection>)> = Vec::new();
    for item in input.transact_items.expect("checked") {
        let g = item.get.ok_or_else(|| {
            DynamoError::validation(
                "1 validation error detected: Value null at 'transactItems.member.get' failed to satisfy constraint: Member must not be null",
            )
        })?;
        let mut c = Constraints::new();
        check_name(
            &mut c,
            g.table_name.as_deref(),
            "transactItems.member.get.tableName",
            true,
        );
        c.not_null(g.key.is_some(), "transactItems.member.get.key");
        c.into_result()?;
        let mut p = Placeholders::new(g.expression_attribute_names.as_ref(), None);
        p.check_preconditions(g.projection_expression.is_some())?;
        let projection = g
            .projection_expression
            .as_deref()
            .map(|t| expression::parse_projection(t, &mut p))
            .transpose()?;
        p.finish()?;
        let name = g.table_name.expect("checked");
        let table = engine
            .catalog
            .get(&name)
            .ok_or_else(DynamoError::table_not_found)?;
        let key = table
            .read()
            .schema
            .key_from_request(&validate_map(g.key.expect("checked"))?)?;
        gets.push((name, key, projection));
    }
    let mut seen = HashSet::new();
    for (t, k, _) in &gets {
        if !seen.insert((t.clone(), k.clone())) {
            return Err(DynamoError::validation(
                "Transaction request cannot include multiple operations on one item",
            ));
        }
    }
    let names: Vec<String> = gets.iter().map(|g| g.0.clone()).collect();
    let tables = locked_tables(engine, &names)?;
    let now = engine.clock.now();
    for t in tables.values() {
        if t.read().has_expired_items(now) {
            t.write().expire(now);
        }
    }
    // One snapshot: hold every read lock while reading.
    let guards: BTreeMap<&String, RwLockReadGuard<'_, Table>> =
        tables.iter().map(|(n, t)| (n, t.read())).collect();
    let mut responses = Vec::new();
    let mut units: BTreeMap<String, f64> = BTreeMap::new();
    for (name, key, projection) in &gets {
        let found = guards[name].get(key);
        *units.entry(name.clone()).or_default() +=
            2.0 * capacity::read_units(found.map(item_size).unwrap_or(0), true);
        responses.push(match found {
            Some(i) => {
                json!({"Item": match projection { Some(p) => p.apply(i), None => i.clone() }})
            }
            None => json!({}),
        });
    }
    drop(guards);
    let mut out = json!({ "Responses": responses });
    if matches!(
        input.return_consumed_capacity.as_deref(),
        Some("TOTAL") | Some("INDEXES")
    ) {
        out["ConsumedCapacity"] = Value::Array(
            units
                .iter()
                .filter_map(|(t, u)| {
                    capacity::consumed(t, *u, input.return_consumed_capacity.as_deref(), true)
                })
                .collect(),
        );
    }
    Ok(out)
}
