//! Single-item operations: PutItem, GetItem, UpdateItem, DeleteItem.
//!
//! Validation order, as DynamoDB's: member constraints, attribute values, expression vs legacy
//! parameters, expressions (parsed once, placeholders checked), the table, the key against the
//! schema, item size; only then is the table touched. A failed condition still leaves the item
//! untouched and returns `ConditionalCheckFailedException`.
//! See <https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html>.

use super::table::check_name;
use crate::capacity::{self, Kind};
use crate::error::{Constraints, DynamoError, Result};
use crate::expression::{
    self, attribute_updates_to_update, attributes_to_get_projection, expected_to_condition,
    AttributeValueUpdate, Condition, ExpectedAttributeValue, Placeholders, UpdateExpression,
};
use crate::storage::catalog::TableRef;
use crate::storage::key::{MAX_PARTITION_KEY_BYTES, MAX_SORT_KEY_BYTES};
use crate::storage::{StoredKey, Table, TableStatus};
use crate::value::attribute::{validate_map, WireValue};
use crate::value::check_item_shape;
use crate::value::{item_size, AttributeValue, Item, MAX_ITEM_SIZE};
use crate::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

pub(super) type WireMap = BTreeMap<String, WireValue>;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutItemInput {
    table_name: Option<String>,
    item: Option<WireMap>,
    condition_expression: Option<String>,
    expression_attribute_names: Option<HashMap<String, String>>,
    expression_attribute_values: Option<WireMap>,
    expected: Option<HashMap<String, ExpectedAttributeValue>>,
    conditional_operator: Option<String>,
    return_values: Option<String>,
    return_consumed_capacity: Option<String>,
    return_item_collection_metrics: Option<String>,
    return_values_on_condition_check_failure: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetItemInput {
    table_name: Option<String>,
    key: Option<WireMap>,
    attributes_to_get: Option<Vec<String>>,
    consistent_read: Option<bool>,
    projection_expression: Option<String>,
    expression_attribute_names: Option<HashMap<String, String>>,
    return_consumed_capacity: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateItemInput {
    table_name: Option<String>,
    key: Option<WireMap>,
    update_expression: Option<String>,
    condition_expression: Option<String>,
    expression_attribute_names: Option<HashMap<String, String>>,
    expression_attribute_values: Option<WireMap>,
    attribute_updates: Option<HashMap<String, AttributeValueUpdate>>,
    expected: Option<HashMap<String, ExpectedAttributeValue>>,
    conditional_operator: Option<String>,
    return_values: Option<String>,
    return_consumed_capacity: Option<String>,
    return_item_collection_metrics: Option<String>,
    return_values_on_condition_check_failure: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteItemInput {
    table_name: Option<String>,
    key: Option<WireMap>,
    condition_expression: Option<String>,
    expression_attribute_names: Option<HashMap<String, String>>,
    expression_attribute_values: Option<WireMap>,
    expected: Option<HashMap<String, ExpectedAttributeValue>>,
    conditional_operator: Option<String>,
    return_values: Option<String>,
    return_consumed_capacity: Option<String>,
    return_item_collection_metrics: Option<String>,
    return_values_on_condition_check_failure: Option<String>,
}

/// The response of every single-item operation: only the members that apply are present.
#[derive(Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ItemOutput {
    #[serde(skip_serializing_if = "Option::is_none")]
    item: Option<Item>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attributes: Option<Item>,
    #[serde(skip_serializing_if = "Option::is_none")]
    consumed_capacity: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    item_collection_metrics: Option<Value>,
}

// ---------------------------------------------------------------------------------------------
// Shared validation
// ---------------------------------------------------------------------------------------------

const RETURN_VALUES: &[&str] = &["NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"];

/// Member constraints common to the write operations.
struct Common<'a> {
    table_name: Option<&'a str>,
    return_values: Option<&'a str>,
    return_consumed_capacity: Option<&'a str>,
    return_item_collection_metrics: Option<&'a str>,
    conditional_operator: Option<&'a str>,
    return_values_on_condition_check_failure: Option<&'a str>,
}

pub(super) fn enum_check(c: &mut Constraints, v: Option<&str>, member: &str, allowed: &[&str]) {
    if let Some(v) = v {
        if !allowed.contains(&v) {
            c.add(
                format!("'{v}'"),
                member,
                &format!(
                    "Member must satisfy enum value set: [{}]",
                    allowed.join(", ")
                ),
            );
        }
    }
}

impl Common<'_> {
    fn constraints(&self, c: &mut Constraints) {
        check_name(c, self.table_name, "tableName", true);
        enum_check(c, self.return_values, "returnValues", RETURN_VALUES);
        enum_check(
            c,
            self.return_consumed_capacity,
            "returnConsumedCapacity",
            &["INDEXES", "TOTAL", "NONE"],
        );
        enum_check(
            c,
            self.return_item_collection_metrics,
            "returnItemCollectionMetrics",
            &["SIZE", "NONE"],
        );
        enum_check(
            c,
            self.conditional_operator,
            "conditionalOperator",
            &["AND", "OR"],
        );
        enum_check(
            c,
            self.return_values_on_condition_check_failure,
            "returnValuesOnConditionCheckFailure",
            &["ALL_OLD", "NONE"],
        );
    }
}

/// Validates ExpressionAttributeValues, prefixing errors as DynamoDB does.
pub(super) fn expression_values(
    values: Option<WireMap>,
) -> Result<Option<HashMap<String, AttributeValue>>> {
    let Some(values) = values else {
        return Ok(None);
    };
    let mut out = HashMap::with_capacity(values.len());
    for (k, v) in values {
        let v = v.validate().map_err(|e| {
            DynamoError::validation(format!(
                "ExpressionAttributeValues contains invalid value: {} for key {k}",
                e.message
            ))
        })?;
        out.insert(k, v);
    }
    Ok(Some(out))
}

/// `Can not use both expression and non-expression parameters in the same request: ...`
pub(super) fn check_mixing(legacy: &[(&str, bool)], expressions: &[(&str, bool)]) -> Result<()> {
    let l: Vec<&str> = legacy.iter().filter(|(_, p)| *p).map(|(n, _)| *n).collect();
    let e: Vec<&str> = expressions
        .iter()
        .filter(|(_, p)| *p)
        .map(|(n, _)| *n)
        .collect();
    if !l.is_empty() && !e.is_empty() {
        return Err(DynamoError::validation(format!(
            "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {{{}}} Expression parameters: {{{}}}",
            l.join(", "),
            e.join(", ")
        )));
    }
    Ok(())
}

pub(super) fn check_conditional_operator(op: Option<&str>, has_expected: bool) -> Result<()> {
    if op.is_some() && !has_expected {
        return Err(DynamoError::validation(
            "ConditionalOperator can only be used when Expected or KeyConditions or QueryFilter or ScanFilter is present",
        ));
    }
    Ok(())
}

/// Looks up a table for an item operation: it must exist and be ACTIVE (or UPDATING).
pub fn active_table(engine: &Engine, name: &str) -> Result<TableRef> {
    let table = engine
        .catalog
        .get(name)
        .ok_or_else(DynamoError::table_not_found)?;
    if table.read().status(engine.clock.now()) == TableStatus::Creating {
        return Err(DynamoError::table_not_found());
    }
    Ok(table)
}

/// Checks an item's secondary index key attributes: when present they must have the index's type
/// and must not be empty.
pub fn check_index_keys(table: &Table, item: &Item) -> Result<()> {
    for idx in table.gsis.iter().chain(table.lsis.iter()) {
        for attr in idx.schema.names() {
            let Some(v) = item.get(attr) else { continue };
            let expected = table.attribute_type(attr).expect("index keys are defined");
            if v.scalar_type() != Some(expected) {
                return Err(DynamoError::invalid_parameter(format!(
                    "Type mismatch for Index Key {attr} Expected: {} Actual: {} IndexName: {}",
                    expected.as_str(),
                    v.type_name(),
                    idx.name
                )));
            }
            let empty = matches!(v, AttributeValue::S(s) if s.is_empty())
                || matches!(v, AttributeValue::B(b) if b.is_empty());
            if empty {
                return Err(DynamoError::validation(format!(
                    "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty {} value. IndexName: {}, IndexKey: {attr}",
                    if matches!(v, AttributeValue::S(_)) { "string" } else { "binary" },
                    idx.name
                )));
            }
            let bytes = match v {
                AttributeValue::S(s) => s.len(),
                AttributeValue::B(b) => b.len(),
                _ => 0,
            };
            let max = if idx.schema.hash.name == attr {
                MAX_PARTITION_KEY_BYTES
            } else {
                MAX_SORT_KEY_BYTES
            };
            if bytes > max {
                return Err(DynamoError::invalid_parameter(format!(
                    "Size limit exceeded for Index Key {attr} Actual Size: {bytes} bytes Max Size: {max} bytes IndexName: {}",
                    idx.name
                )));
            }
        }
    }
    Ok(())
}

/// The condition of a write: a parsed ConditionExpression or converted Expected, or none.
pub(super) fn write_condition(
    condition_expression: Option<&str>,
    expected: Option<&HashMap<String, ExpectedAttributeValue>>,
    conditional_operator: Option<&str>,
    p: &mut Placeholders,
) -> Result<Option<Condition>> {
    if let Some(text) = condition_expression {
        return Ok(Some(expression::parse_condition(
            text,
            p,
            "ConditionExpression",
        )?));
    }
    match expected {
        Some(e) if !e.is_empty() => Ok(Some(expected_to_condition(e, conditional_operator)?)),
        _ => Ok(None),
    }
}

/// Checks a write's condition; a write whose condition fails is still charged, as DynamoDB
/// charges it (the write units of the item as it is).
fn charged_condition(
    t: &Table,
    token: u64,
    condition: Option<&Condition>,
    old: Option<&Item>,
    return_on_failure: Option<&str>,
    now: std::time::Duration,
) -> Result<()> {
    check_condition(condition, old, return_on_failure).inspect_err(|_| {
        t.charge(
            token,
            Kind::Write,
            capacity::write_units(old.map(item_size).unwrap_or(0)),
            now,
        );
    })
}

pub(super) fn check_condition(
    condition: Option<&Condition>,
    old: Option<&Item>,
    return_on_failure: Option<&str>,
) -> Result<()> {
    let Some(c) = condition else { return Ok(()) };
    let empty = Item::new();
    if c.evaluate(old.unwrap_or(&empty)) {
        return Ok(());
    }
    let item = match return_on_failure {
        Some("ALL_OLD") => old.cloned(),
        _ => None,
    };
    Err(DynamoError::conditional_check_failed(item))
}

/// An item DynamoDB would store: at most 400 KB, nested at most 32 levels deep, no empty
/// attribute names (top level or in maps).
pub(super) fn check_item_size(item: &Item, message: &str) -> Result<()> {
    check_item_shape(item)?;
    if item_size(item) > MAX_ITEM_SIZE {
        return Err(DynamoError::validation(message));
    }
    Ok(())
}

fn key_of(table: &Table, key: Item) -> Result<(StoredKey, Item)> {
    let stored = table.schema.key_from_request(&key)?;
    Ok((stored, key))
}

/// The validation PutItem and DeleteItem share, in DynamoDB's order: member constraints, the
/// item or key's values, expression values, legacy vs expression parameters, the condition and
/// its placeholders, then ReturnValues (only ALL_OLD or NONE for these two operations).
struct ConditionalWrite<'a> {
    common: Common<'a>,
    /// `item` (PutItem) or `key` (DeleteItem): the member that must be present.
    target_member: &'static str,
    target: Option<WireMap>,
    condition_expression: Option<&'a str>,
    expected: Option<&'a HashMap<String, ExpectedAttributeValue>>,
    names: Option<&'a HashMap<String, String>>,
    values: Option<WireMap>,
}

impl ConditionalWrite<'_> {
    fn validate(self) -> Result<(Item, Option<Condition>)> {
        let mut c = Constraints::new();
        self.common.constraints(&mut c);
        c.not_null(self.target.is_some(), self.target_member);
        c.into_result()?;
        let target = validate_map(self.target.expect("checked"))?;
        let values = expression_values(self.values)?;
        check_mixing(
            &[("Expected", self.expected.is_some())],
            &[("ConditionExpression", self.condition_expression.is_some())],
        )?;
        check_conditional_operator(self.common.conditional_operator, self.expected.is_some())?;
        let mut p =
            Placeholders::new(self.names, values.as_ref()).value_params(&["ConditionExpression"]);
        p.check_preconditions(self.condition_expression.is_some())?;
        let condition = write_condition(
            self.condition_expression,
            self.expected,
            self.common.conditional_operator,
            &mut p,
        )?;
        p.finish()?;
        match self.common.return_values {
            None | Some("NONE") | Some("ALL_OLD") => Ok((target, condition)),
            Some(_) => Err(DynamoError::validation(
                "ReturnValues can only be ALL_OLD or NONE",
            )),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// PutItem
// ---------------------------------------------------------------------------------------------

pub fn put_item(engine: &Engine, input: PutItemInput) -> Result<ItemOutput> {
    let (item, condition) = ConditionalWrite {
        common: Common {
            table_name: input.table_name.as_deref(),
            return_values: input.return_values.as_deref(),
            return_consumed_capacity: input.return_consumed_capacity.as_deref(),
            return_item_collection_metrics: input.return_item_collection_metrics.as_deref(),
            conditional_operator: input.conditional_operator.as_deref(),
            return_values_on_condition_check_failure: input
                .return_values_on_condition_check_failure
                .as_deref(),
        },
        target_member: "item",
        target: input.item,
        condition_expression: input.condition_expression.as_deref(),
        expected: input.expected.as_ref(),
        names: input.expression_attribute_names.as_ref(),
        values: input.expression_attribute_values,
    }
    .validate()?;
    let name = input.table_name.as_deref().expect("checked");
    let table = active_table(engine, name)?;
    let mut t = table.write();
    let now = engine.clock.now();
    t.expire(now);
    let key = t.schema.key_from_item(&item)?;
    check_item_size(&item, "Item size has exceeded the maximum allowed size")?;
    check_index_keys(&t, &item)?;
    let token = key.token;
    t.admit(token, Kind::Write, now)?;
    let old = t.get(&key);
    charged_condition(
        &t,
        token,
        condition.as_ref(),
        old,
        input.return_values_on_condition_check_failure.as_deref(),
        now,
    )?;
    t.check_collection(&key, old, &item)?;
    let mut cost = t.index_write_cost(old, Some(&item));
    t.admit_index_writes(&cost, now)?;
    cost.table = capacity::write_units(item_size(&item).max(old.map(item_size).unwrap_or(0)));
    let metrics_key = key.clone();
    let old = t.put(key, item, now);
    t.charge(token, Kind::Write, cost.total(), now);
    t.record_index_writes(&cost, now);
    t.record_request();
    Ok(ItemOutput {
        attributes: match input.return_values.as_deref() {
            Some("ALL_OLD") => old,
            _ => None,
        },
        consumed_capacity: cost.to_json(name, input.return_consumed_capacity.as_deref(), false),
        item_collection_metrics: collection_metrics(
            &t,
            &metrics_key,
            input.return_item_collection_metrics.as_deref(),
        ),
        ..Default::default()
    })
}

/// `ItemCollectionMetrics` when asked (`SIZE`) and the table has LSIs.
fn collection_metrics(t: &Table, key: &StoredKey, mode: Option<&str>) -> Option<Value> {
    match mode {
        Some("SIZE") => t.collection_metrics(key),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// GetItem
// ---------------------------------------------------------------------------------------------

pub fn get_item(engine: &Engine, input: GetItemInput) -> Result<ItemOutput> {
    let mut c = Constraints::new();
    check_name(&mut c, input.table_name.as_deref(), "tableName", true);
    c.not_null(input.key.is_some(), "key");
    enum_check(
        &mut c,
        input.return_consumed_capacity.as_deref(),
        "returnConsumedCapacity",
        &["INDEXES", "TOTAL", "NONE"],
    );
    if let Some(a) = &input.attributes_to_get {
        if a.is_empty() {
            c.add(
                "[]",
                "attributesToGet",
                "Member must have length greater than or equal to 1",
            );
        }
    }
    c.into_result()?;
    let key = validate_map(input.key.expect("checked"))?;
    check_mixing(
        &[("AttributesToGet", input.attributes_to_get.is_some())],
        &[(
            "ProjectionExpression",
            input.projection_expression.is_some(),
        )],
    )?;
    let mut p = Placeholders::new(input.expression_attribute_names.as_ref(), None);
    p.check_preconditions(input.projection_expression.is_some())?;
    let projection = match (&input.projection_expression, &input.attributes_to_get) {
        (Some(text), _) => Some(expression::parse_projection(text, &mut p)?),
        (None, Some(names)) => Some(attributes_to_get_projection(names)?),
        _ => None,
    };
    p.finish()?;
    let name = input.table_name.as_deref().expect("checked");
    let table = active_table(engine, name)?;
    let consistent = input.consistent_read.unwrap_or(false);
    let now = engine.clock.now();
    let mut t = table.read();
    if t.has_expired_items(now) {
        drop(t);
        table.write().expire(now);
        t = table.read();
    }
    let (key, _) = key_of(&t, key)?;
    t.admit(key.token, Kind::Read, now)?;
    let mut view = t.read_view(consistent, false, now);
    let found = t.get_in(&mut view, &key, now);
    crate::replication::note_read(view.info.clone());
    let size = found.map(item_size).unwrap_or(0);
    let item = found.map(|i| match &projection {
        Some(p) => p.apply(i),
        None => i.clone(),
    });
    t.charge(
        key.token,
        Kind::Read,
        capacity::read_units(size, consistent),
        now,
    );
    t.record_request();
    drop(t);
    Ok(ItemOutput {
        item,
        consumed_capacity: capacity::consumed(
            name,
            capacity::read_units(size, consistent),
            input.return_consumed_capacity.as_deref(),
            true,
        ),
        ..Default::default()
    })
}

// ---------------------------------------------------------------------------------------------
// UpdateItem
// ---------------------------------------------------------------------------------------------

pub fn update_item(engine: &Engine, input: UpdateItemInput) -> Result<ItemOutput> {
    let mut c = Constraints::new();
    Common {
        table_name: input.table_name.as_deref(),
        return_values: input.return_values.as_deref(),
        return_consumed_capacity: input.return_consumed_capacity.as_deref(),
        return_item_collection_metrics: input.return_item_collection_metrics.as_deref(),
        conditional_operator: input.conditional_operator.as_deref(),
        return_values_on_condition_check_failure: input
            .return_values_on_condition_check_failure
            .as_deref(),
    }
    .constraints(&mut c);
    c.not_null(input.key.is_some(), "key");
    c.into_result()?;
    let key = validate_map(input.key.expect("checked"))?;
    let values = expression_values(input.expression_attribute_values)?;
    check_mixing(
        &[
            ("AttributeUpdates", input.attribute_updates.is_some()),
            ("Expected", input.expected.is_some()),
        ],
        &[
            ("UpdateExpression", input.update_expression.is_some()),
            ("ConditionExpression", input.condition_expression.is_some()),
        ],
    )?;
    check_conditional_operator(
        input.conditional_operator.as_deref(),
        input.expected.is_some(),
    )?;
    let mut p = Placeholders::new(input.expression_attribute_names.as_ref(), values.as_ref())
        .value_params(&["UpdateExpression", "ConditionExpression"]);
    p.check_preconditions(
        input.update_expression.is_some() || input.condition_expression.is_some(),
    )?;
    let update: Option<UpdateExpression> =
        match (&input.update_expression, &input.attribute_updates) {
            (Some(text), _) => Some(expression::parse_update(text, &mut p)?),
            (None, Some(u)) if !u.is_empty() => Some(attribute_updates_to_update(u)?),
            _ => None,
        };
    let condition = write_condition(
        input.condition_expression.as_deref(),
        input.expected.as_ref(),
        input.conditional_operator.as_deref(),
        &mut p,
    )?;
    p.finish()?;
    let name = input.table_name.as_deref().expect("checked");
    let table = active_table(engine, name)?;
    let mut t = table.write();
    let now = engine.clock.now();
    t.expire(now);
    let (key, key_item) = key_of(&t, key)?;
    let token = key.token;
    t.admit(token, Kind::Write, now)?;
    let old = t.get(&key);
    charged_condition(
        &t,
        token,
        condition.as_ref(),
        old,
        input.return_values_on_condition_check_failure.as_deref(),
        now,
    )?;
    // Checked once the condition holds: DynamoDB Local answers ConditionalCheckFailed, not this,
    // when both apply.
    if let Some(u) = &update {
        for attr in u.top_level_names() {
            if t.schema.is_key_attribute(attr) {
                return Err(DynamoError::invalid_parameter(format!(
                    "Cannot update attribute {attr}. This attribute is part of the key"
                )));
            }
        }
    }
    let mut new_item = old.cloned().unwrap_or_else(|| key_item.clone());
    if let Some(u) = &update {
        u.apply(&mut new_item)?;
    }
    check_item_size(
        &new_item,
        "Item size to update has exceeded the maximum allowed size",
    )?;
    check_index_keys(&t, &new_item)?;
    let attributes = match input.return_values.as_deref() {
        Some("ALL_OLD") => old.cloned(),
        Some("UPDATED_OLD") => match (old, &update) {
            (Some(o), Some(u)) => Some(u.project_updated(o)),
            _ => None,
        },
        Some("ALL_NEW") => Some(new_item.clone()),
        Some("UPDATED_NEW") => update.as_ref().map(|u| u.project_updated(&new_item)),
        _ => None,
    }
    .filter(|a| !a.is_empty());
    t.check_collection(&key, old, &new_item)?;
    let mut cost = t.index_write_cost(old, Some(&new_item));
    t.admit_index_writes(&cost, now)?;
    cost.table = capacity::write_units(item_size(&new_item).max(old.map(item_size).unwrap_or(0)));
    let metrics_key = key.clone();
    t.put(key, new_item, now);
    t.charge(token, Kind::Write, cost.total(), now);
    t.record_index_writes(&cost, now);
    t.record_request();
    Ok(ItemOutput {
        attributes,
        consumed_capacity: cost.to_json(name, input.return_consumed_capacity.as_deref(), false),
        item_collection_metrics: collection_metrics(
            &t,
            &metrics_key,
            input.return_item_collection_metrics.as_deref(),
        ),
        ..Default::default()
    })
}

// ---------------------------------------------------------------------------------------------
// DeleteItem
// ---------------------------------------------------------------------------------------------

pub fn delete_item(engine: &Engine, input: DeleteItemInput) -> Result<ItemOutput> {
    let (key, condition) = ConditionalWrite {
        common: Common {
            table_name: input.table_name.as_deref(),
            return_values: input.return_values.as_deref(),
            return_consumed_capacity: input.return_consumed_capacity.as_deref(),
            return_item_collection_metrics: input.return_item_collection_metrics.as_deref(),
            conditional_operator: input.conditional_operator.as_deref(),
            return_values_on_condition_check_failure: input
                .return_values_on_condition_check_failure
                .as_deref(),
        },
        target_member: "key",
        target: input.key,
        condition_expression: input.condition_expression.as_deref(),
        expected: input.expected.as_ref(),
        names: input.expression_attribute_names.as_ref(),
        values: input.expression_attribute_values,
    }
    .validate()?;
    let name = input.table_name.as_deref().expect("checked");
    let table = active_table(engine, name)?;
    let mut t = table.write();
    let now = engine.clock.now();
    t.expire(now);
    let (key, _) = key_of(&t, key)?;
    t.admit(key.token, Kind::Write, now)?;
    let old = t.get(&key);
    charged_condition(
        &t,
        key.token,
        condition.as_ref(),
        old,
        input.return_values_on_condition_check_failure.as_deref(),
        now,
    )?;
    let mut cost = t.index_write_cost(old, None);
    t.admit_index_writes(&cost, now)?;
    cost.table = capacity::write_units(old.map(item_size).unwrap_or(0));
    let old = t.delete(&key, now);
    t.charge(key.token, Kind::Write, cost.total(), now);
    t.record_index_writes(&cost, now);
    t.record_request();
    Ok(ItemOutput {
        attributes: match input.return_values.as_deref() {
            Some("ALL_OLD") => old,
            _ => None,
        },
        consumed_capacity: cost.to_json(name, input.return_consumed_capacity.as_deref(), false),
        item_collection_metrics: collection_metrics(
            &t,
            &key,
            input.return_item_collection_metrics.as_deref(),
        ),
        ..Default::default()
    })
}
