//! BatchGetItem: up to 100 keys over one or more tables, no atomicity, partial results.
//!
//! DynamoDB limits a response to 16 MB; what does not fit, and what a throttled partition could
//! not serve, comes back in `UnprocessedKeys` for the client to retry. Only when no key at all
//! could be read is the whole request throttled. The whole request is validated before any
//! table is looked up.
//! See <https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html>.

use super::command::{json, Command, Context};
use super::metered::read_item;
use super::validate::{
    batch_table_names, placeholder_maps, return_consumed_capacity, ExpressionParams, WireMap,
};
use crate::capacity::{consumed_list, Split};
use crate::error::{Constraints, DynamoError, Result};
use crate::expression::{self, attributes_to_get_projection, Placeholders, Projection};
use crate::value::attribute::validate_map;
use crate::value::{item_size, Item};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Largest BatchGetItem response before the rest is left unprocessed.
const MAX_BATCH_GET_RESPONSE: usize = 16 * 1024 * 1024;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct KeysAndAttributesW {
    keys: Option<Vec<WireMap>>,
    attributes_to_get: Option<Vec<String>>,
    consistent_read: Option<bool>,
    projection_expression: Option<String>,
    expression_attribute_names: Option<HashMap<String, String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct BatchGetItemInput {
    request_items: Option<BTreeMap<String, KeysAndAttributesW>>,
    return_consumed_capacity: Option<String>,
}

/// One table's keys, validated.
struct TableKeys {
    table: String,
    keys: Vec<Item>,
    projection: Option<Projection>,
    consistent: bool,
    /// What UnprocessedKeys repeats of the table's request besides the keys.
    echo: Map<String, Value>,
}

/// A validated BatchGetItem.
pub(super) struct BatchGetItem {
    tables: Vec<TableKeys>,
    return_consumed_capacity: Option<String>,
}

fn constraints(input: &BatchGetItemInput) -> Constraints {
    let mut c = Constraints::new();
    return_consumed_capacity(&mut c, input.return_consumed_capacity.as_deref());
    match &input.request_items {
        None => c.not_null(false, "requestItems"),
        Some(r) if r.is_empty() => c.add(
            "{}",
            "requestItems",
            "Member must have length greater than or equal to 1",
        ),
        Some(r) => {
            batch_table_names(&mut c, r.keys());
            for (name, ka) in r {
                // The service names a table's members by its name (dynalite's suite and
                // moto's AWS-verified tests: `requestItems.T.member.keys`).
                let keys = format!("requestItems.{name}.member.keys");
                match &ka.keys {
                    None => c.not_null(false, &keys),
                    Some(k) if k.is_empty() => {
                        c.add_redacted(&keys, "Member must have length greater than or equal to 1")
                    }
                    Some(k) if k.len() > 100 => {
                        c.add_redacted(&keys, "Member must have length less than or equal to 100")
                    }
                    _ => {}
                }
            }
        }
    }
    c
}

impl TryFrom<BatchGetItemInput> for BatchGetItem {
    type Error = DynamoError;

    fn try_from(input: BatchGetItemInput) -> Result<Self> {
        let request = constraints(&input).finish(input.request_items)?;
        // Then, table by table, the service's order (dynalite's suite, recorded against it):
        // expression versus legacy parameters, AttributesToGet, the placeholders and the
        // projection, then each key's values, repeated keys and the total of 100.
        let mut tables = Vec::with_capacity(request.len());
        let mut total = 0usize;
        for (table, ka) in request {
            ExpressionParams {
                expressions: &[("ProjectionExpression", ka.projection_expression.is_some())],
                legacy: &[("AttributesToGet", ka.attributes_to_get.is_some())],
                names: ka.expression_attribute_names.is_some(),
                values: false,
            }
            .check()?;
            let legacy = ka
                .attributes_to_get
                .as_deref()
                .map(attributes_to_get_projection)
                .transpose()?;
            placeholder_maps(ka.expression_attribute_names.as_ref(), None, false)?;
            let mut p = Placeholders::new(ka.expression_attribute_names.as_ref(), None);
            let projection = match &ka.projection_expression {
                Some(text) => Some(expression::parse_projection(text, &mut p)?),
                None => legacy,
            };
            p.finish()?;
            let mut seen = HashSet::new();
            let mut keys = Vec::new();
            for key in ka.keys.unwrap_or_default() {
                let key = validate_map(key)?;
                if !seen.insert(key.clone()) {
                    return Err(DynamoError::validation(
                        "Provided list of item keys contains duplicates",
                    ));
                }
                total += 1;
                if total > 100 {
                    return Err(DynamoError::validation(
                        "Too many items requested for the BatchGetItem call",
                    ));
                }
                keys.push(key);
            }
            let mut echo = Map::new();
            if let Some(a) = ka.attributes_to_get {
                echo.insert("AttributesToGet".into(), json!(a));
            }
            if let Some(cr) = ka.consistent_read {
                echo.insert("ConsistentRead".into(), json!(cr));
            }
            if let Some(p) = ka.projection_expression {
                echo.insert("ProjectionExpression".into(), json!(p));
            }
            if let Some(n) = ka.expression_attribute_names {
                echo.insert("ExpressionAttributeNames".into(), json!(n));
            }
            tables.push(TableKeys {
                table,
                keys,
                projection,
                consistent: ka.consistent_read.unwrap_or(false),
                echo,
            });
        }
        Ok(BatchGetItem {
            tables,
            return_consumed_capacity: input.return_consumed_capacity,
        })
    }
}

impl Command for BatchGetItem {
    type Input = BatchGetItemInput;
    type Output = Value;

    fn parse(body: &[u8]) -> Result<BatchGetItemInput> {
        json(body)
    }

    fn execute(self, ctx: &mut Context<'_>) -> Result<Value> {
        // Every table and key is checked before any item is read.
        let mut plans = Vec::with_capacity(self.tables.len());
        for tk in self.tables {
            let table = ctx.active_table(&tk.table)?;
            let mut seen = HashSet::new();
            let mut keys = Vec::with_capacity(tk.keys.len());
            {
                let t = table.read();
                for k in tk.keys {
                    let stored = t.def.schema.key_from_request(&k)?;
                    if !seen.insert(stored.clone()) {
                        return Err(DynamoError::validation(
                            "Provided list of item keys contains duplicates",
                        ));
                    }
                    keys.push((stored, k));
                }
            }
            plans.push((table, keys, tk.table, tk.projection, tk.consistent, tk.echo));
        }

        let mut responses = Map::new();
        let mut unprocessed = Map::new();
        let mut units: BTreeMap<String, f64> = BTreeMap::new();
        let mut response_bytes = 0usize;
        let now = ctx.engine.clock.now();
        let (mut processed, mut throttled) = (0usize, 0usize);
        let mut throttle_error = None;
        for (table, keys, name, projection, consistent, mut echo) in plans {
            table.write().expire(now);
            let t = table.read();
            throttle_error.get_or_insert_with(|| t.throttled());
            let mut items = Vec::new();
            let mut left = Vec::new();
            for (key, key_item) in keys {
                let read = if response_bytes < MAX_BATCH_GET_RESPONSE {
                    read_item(ctx.operation, &t, &key, consistent, now).ok()
                } else {
                    None
                };
                let Some(read) = read else {
                    if response_bytes < MAX_BATCH_GET_RESPONSE {
                        throttled += 1;
                    }
                    left.push(serde_json::to_value(&key_item).expect("serialisable"));
                    continue;
                };
                processed += 1;
                // BatchGetItem rounds each item up to 4 KB separately.
                *units.entry(name.clone()).or_default() += read.units;
                if let Some(item) = read.item {
                    match &projection {
                        Some(p) => {
                            let out = p.apply(&item.item());
                            response_bytes += item_size(&out);
                            items.push(serde_json::to_value(&out).expect("serialisable"));
                        }
                        None => {
                            response_bytes += item.size() as usize;
                            items.push(serde_json::to_value(&item).expect("serialisable"));
                        }
                    }
                }
            }
            responses.insert(name.clone(), Value::Array(items));
            if !left.is_empty() {
                let mut ka = Map::new();
                ka.insert("Keys".into(), Value::Array(left));
                ka.append(&mut echo);
                unprocessed.insert(name, Value::Object(ka));
            }
        }
        if let (0, true, Some(e)) = (processed, throttled > 0, throttle_error) {
            return Err(e);
        }
        let mut out = json!({ "Responses": responses, "UnprocessedKeys": unprocessed });
        if let Some(cc) = consumed_list(
            &units,
            self.return_consumed_capacity.as_deref(),
            Split::None,
        ) {
            out["ConsumedCapacity"] = cc;
        }
        Ok(out)
    }
}
