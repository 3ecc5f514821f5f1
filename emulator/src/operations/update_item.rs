//! UpdateItem: edits an item's attributes (creating the item if it does not exist) with an
//! UpdateExpression or legacy AttributeUpdates, optionally under a condition.
//! See <https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html>.

use super::command::{json, Command, Context};
use super::metered::{write_item, Change};
use super::single_item::{write_options, ItemOutput, ReturnValues, WriteOptions};
use super::validate::{
    check_condition, check_conditional_operator, check_index_keys, check_item_size, framed,
    placeholder_maps, write_members, ExpressionParams, WireMap,
};
use crate::error::{Constraints, DynamoError, Result};
use crate::expression::{
    self, attribute_updates_to_update, expected_to_condition, AttributeValueUpdate, Condition,
    ExpectedAttributeValue, Placeholders, UpdateExpression,
};
use crate::table::Table;
use crate::value::attribute::validate_map;
use crate::value::Item;
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UpdateItemInput {
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

/// A validated UpdateItem.
pub(super) struct UpdateItem {
    options: WriteOptions,
    key: Item,
    /// None: no update at all (the item is created with its key only, if missing).
    update: Option<UpdateExpression>,
    condition: Option<Condition>,
}

impl TryFrom<UpdateItemInput> for UpdateItem {
    type Error = DynamoError;

    fn try_from(input: UpdateItemInput) -> Result<Self> {
        // The service's order (dynalite's suite, recorded against it): member constraints;
        // expression versus legacy parameters; the key's values; AttributeUpdates; Expected;
        // the placeholder maps and values; UpdateExpression, then ConditionExpression; unused
        // placeholders.
        let mut c = Constraints::new();
        let common = write_members!(input);
        common.constraints(&mut c);
        c.not_null(input.key.is_some(), "key");
        let key = c.finish(input.key)?;
        ExpressionParams {
            expressions: &[
                ("UpdateExpression", input.update_expression.is_some()),
                ("ConditionExpression", input.condition_expression.is_some()),
            ],
            legacy: &[
                ("AttributeUpdates", input.attribute_updates.is_some()),
                ("Expected", input.expected.is_some()),
            ],
            names: input.expression_attribute_names.is_some(),
            values: input.expression_attribute_values.is_some(),
        }
        .check()?;
        let key = validate_map(key)?;
        let legacy_update = match &input.attribute_updates {
            Some(u) if !u.is_empty() => Some(attribute_updates_to_update(u)?),
            _ => None,
        };
        check_conditional_operator(
            input.conditional_operator.as_deref(),
            input.expected.is_some(),
        )?;
        let legacy_condition = match &input.expected {
            Some(e) if !e.is_empty() => Some(expected_to_condition(
                e,
                input.conditional_operator.as_deref(),
            )?),
            _ => None,
        };
        let values = placeholder_maps(
            input.expression_attribute_names.as_ref(),
            input.expression_attribute_values,
            true,
        )?;
        let mut p = Placeholders::new(input.expression_attribute_names.as_ref(), values.as_ref());
        let update = match &input.update_expression {
            Some(text) => Some(expression::parse_update(text, &mut p).map_err(framed)?),
            None => legacy_update,
        };
        let condition = match &input.condition_expression {
            Some(text) => Some(expression::parse_condition(
                text,
                &mut p,
                "ConditionExpression",
            )?),
            None => legacy_condition,
        };
        p.finish().map_err(framed)?;
        Ok(UpdateItem {
            options: write_options!(input)?,
            key,
            update,
            condition,
        })
    }
}

impl UpdateItem {
    /// The UpdateItem a PartiQL UPDATE stands for.
    pub(super) fn planned(
        options: WriteOptions,
        key: Item,
        update: UpdateExpression,
        condition: Option<Condition>,
    ) -> UpdateItem {
        UpdateItem {
            options,
            key,
            update: Some(update),
            condition,
        }
    }
}

impl Command for UpdateItem {
    type Input = UpdateItemInput;
    type Output = ItemOutput;

    fn parse(body: &[u8]) -> Result<UpdateItemInput> {
        json(body)
    }

    fn execute(self, ctx: &mut Context<'_>) -> Result<ItemOutput> {
        let UpdateItem {
            options,
            key,
            update,
            condition,
        } = self;
        let table = ctx.active_table(&options.table)?;
        let mut t = table.write();
        let now = ctx.engine.clock.now();
        t.expire(now);
        let stored = t.def.schema.key_from_request(&key)?;
        ctx.engine.locks.check(&t.def.name, &stored)?;
        let mut attributes = None;
        let decide = |t: &Table, old: Option<&Item>| {
            check_condition(condition.as_ref(), old, options.old_on_condition_failure)?;
            // Checked once the condition holds: DynamoDB Local answers ConditionalCheckFailed,
            // not this, when both apply.
            for attr in update.iter().flat_map(|u| u.top_level_names()) {
                if t.def.schema.is_key_attribute(attr) {
                    return Err(DynamoError::invalid_parameter(format!(
                        "Cannot update attribute {attr}. This attribute is part of the key"
                    )));
                }
            }
            let mut new = old.cloned().unwrap_or(key);
            if let Some(u) = &update {
                u.apply(&mut new)?;
            }
            check_item_size(
                &new,
                "Item size to update has exceeded the maximum allowed size",
            )?;
            check_index_keys(t, &new)?;
            attributes = returned(options.return_values, update.as_ref(), old, &new);
            Ok(Change::Put(new))
        };
        let written = write_item(ctx.operation, &mut t, stored, now, decide)?;
        Ok(ItemOutput {
            attributes,
            consumed_capacity: options.consumed(&written.cost),
            item_collection_metrics: options.collection_metrics(&t, &written.key),
            ..Default::default()
        })
    }
}

/// The attributes `ReturnValues` asks for; an empty map is left out, as DynamoDB leaves it.
fn returned(
    mode: ReturnValues,
    update: Option<&UpdateExpression>,
    old: Option<&Item>,
    new: &Item,
) -> Option<Item> {
    match mode {
        ReturnValues::None => None,
        ReturnValues::AllOld => old.cloned(),
        ReturnValues::UpdatedOld => match (old, update) {
            (Some(o), Some(u)) => Some(u.project_updated(o)),
            _ => None,
        },
        ReturnValues::AllNew => Some(new.clone()),
        ReturnValues::UpdatedNew => update.map(|u| u.project_updated(new)),
    }
    .filter(|a| !a.is_empty())
}
