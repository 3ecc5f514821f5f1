//! TransactGetItems: up to 100 items from any tables, read as one snapshot, at twice the cost
//! of strongly consistent reads.
//!
//! The emulator holds every table's read lock while it reads, so no write lands between two
//! of the transaction's reads. A partition out of read capacity cancels the transaction with
//! a `ThrottlingError` reason at that item.
//! See <https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactGetItems.html>.

use super::command::{json, Command, Context};
use super::metered::{admit_transactional_reads, transactional_read};
use super::validate::{
    check_name, list_length, placeholder_maps, return_consumed_capacity, ExpressionParams, WireMap,
};
use crate::capacity::{consumed_list, Split};
use crate::error::{Constraints, DynamoError, Result};
use crate::expression::{self, Placeholders, Projection};
use crate::storage::{StoredKey, TableStatus};
use crate::table::catalog::expire_before_read;
use crate::table::Table;
use crate::value::attribute::validate_map;
use crate::value::Item;
use parking_lot::RwLockReadGuard;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, HashSet};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct GetW {
    table_name: Option<String>,
    key: Option<WireMap>,
    projection_expression: Option<String>,
    expression_attribute_names: Option<HashMap<String, String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct TransactGetItemW {
    get: Option<GetW>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct TransactGetItemsInput {
    transact_items: Option<Vec<TransactGetItemW>>,
    return_consumed_capacity: Option<String>,
}

/// One Get, validated.
struct Get {
    table: String,
    key: Item,
    projection: Option<Projection>,
}

/// A validated TransactGetItems.
pub(super) struct TransactGetItems {
    gets: Vec<Get>,
    return_consumed_capacity: Option<String>,
}

fn get(item: TransactGetItemW) -> Result<Get> {
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
    let (table, key) = c.finish(g.table_name.zip(g.key))?;
    ExpressionParams {
        expressions: &[("ProjectionExpression", g.projection_expression.is_some())],
        legacy: &[],
        names: g.expression_attribute_names.is_some(),
        values: false,
    }
    .check()?;
    placeholder_maps(g.expression_attribute_names.as_ref(), None, false)?;
    let mut p = Placeholders::new(g.expression_attribute_names.as_ref(), None);
    let projection = g
        .projection_expression
        .as_deref()
        .map(|t| expression::parse_projection(t, &mut p))
        .transpose()?;
    p.finish()?;
    Ok(Get {
        table,
        key: validate_map(key)?,
        projection,
    })
}

impl TransactGetItems {
    /// The TransactGetItems a PartiQL read transaction stands for: per statement its table,
    /// key and projection.
    pub(super) fn planned(
        gets: Vec<(String, Item, Option<Projection>)>,
        return_consumed_capacity: Option<String>,
    ) -> TransactGetItems {
        TransactGetItems {
            gets: gets
                .into_iter()
                .map(|(table, key, projection)| Get {
                    table,
                    key,
                    projection,
                })
                .collect(),
            return_consumed_capacity,
        }
    }
}

impl TryFrom<TransactGetItemsInput> for TransactGetItems {
    type Error = DynamoError;

    fn try_from(input: TransactGetItemsInput) -> Result<Self> {
        let mut c = Constraints::new();
        return_consumed_capacity(&mut c, input.return_consumed_capacity.as_deref());
        list_length(
            &mut c,
            input.transact_items.as_ref().map(Vec::len),
            "transactItems",
            100,
        );
        let items = c.finish(input.transact_items)?;
        Ok(TransactGetItems {
            gets: items.into_iter().map(get).collect::<Result<_>>()?,
            return_consumed_capacity: input.return_consumed_capacity,
        })
    }
}

impl Command for TransactGetItems {
    type Input = TransactGetItemsInput;
    type Output = Value;

    fn parse(body: &[u8]) -> Result<TransactGetItemsInput> {
        json(body)
    }

    fn execute(self, ctx: &mut Context<'_>) -> Result<Value> {
        let mut tables = BTreeMap::new();
        let mut gets: Vec<(String, StoredKey, Option<Projection>)> = Vec::new();
        for g in self.gets {
            let table = ctx.table(&g.table)?;
            let key = table.read().def.schema.key_from_request(&g.key)?;
            tables.insert(g.table.clone(), table);
            gets.push((g.table, key, g.projection));
        }
        let mut seen = HashSet::new();
        for (t, k, _) in &gets {
            if !seen.insert((t, k)) {
                return Err(DynamoError::validation(
                    "Transaction request cannot include multiple operations on one item",
                ));
            }
        }
        let now = ctx.engine.clock.now();
        for t in tables.values() {
            if t.read().status(now) == TableStatus::Creating {
                return Err(DynamoError::table_not_found());
            }
        }
        for t in tables.values() {
            expire_before_read(t, now);
        }
        // One snapshot: hold every read lock while reading.
        let guards: BTreeMap<&String, RwLockReadGuard<'_, Table>> =
            tables.iter().map(|(n, t)| (n, t.read())).collect();
        // A read of an item a write transaction holds conflicts (DynamoDB's conflict rules).
        let taken = ctx.engine.locks.taken_of(
            gets.iter()
                .map(|(n, k, _)| (guards[n].def.name.as_str(), k)),
        );
        if taken.contains(&true) {
            return Err(crate::transaction::cancelled(&taken));
        }
        let op = ctx.operation;
        let reads = gets.iter().map(|(n, k, _)| (&*guards[n], k));
        if let Err(admitted) = admit_transactional_reads(op, reads, now) {
            return Err(throttled(&admitted));
        }
        let mut responses = Vec::with_capacity(gets.len());
        let mut units: BTreeMap<String, f64> = BTreeMap::new();
        for (name, key, projection) in &gets {
            let (found, u) = transactional_read(op, &guards[name], key, now);
            *units.entry(name.clone()).or_default() += u;
            responses.push(match found {
                Some(i) => {
                    json!({"Item": match projection { Some(p) => p.apply(&i), None => i }})
                }
                None => json!({}),
            });
        }
        drop(guards);
        let mut out = json!({ "Responses": responses });
        if let Some(cc) = consumed_list(
            &units,
            self.return_consumed_capacity.as_deref(),
            Split::Read,
        ) {
            out["ConsumedCapacity"] = cc;
        }
        Ok(out)
    }
}

/// The cancellation of a transaction some of whose reads were throttled.
fn throttled(admitted: &[bool]) -> DynamoError {
    let reasons: Vec<Value> = admitted
        .iter()
        .map(|ok| match ok {
            true => json!({"Code": "None"}),
            false => json!({"Code": "ThrottlingError", "Message": "Throughput exceeds the current capacity of your table or index. DynamoDB is automatically scaling your table or index so please try again shortly."}),
        })
        .collect();
    DynamoError::transaction_canceled(reasons)
}
