//! DeleteItem: removes an item by key, optionally under a condition. Deleting an item that does
//! not exist succeeds (and costs one write unit).
//! See <https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DeleteItem.html>.

use super::command::{json, Command, Context};
use super::metered::{write_item, Change};
use super::single_item::{write_options, ItemOutput, ReturnValues, WriteOptions};
use super::validate::{check_condition, write_members, ConditionalWrite, WireMap};
use crate::error::{DynamoError, Result};
use crate::expression::{Condition, ExpectedAttributeValue};
use crate::value::Item;
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DeleteItemInput {
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

/// A validated DeleteItem.
pub(super) struct DeleteItem {
    options: WriteOptions,
    key: Item,
    condition: Option<Condition>,
}

impl TryFrom<DeleteItemInput> for DeleteItem {
    type Error = DynamoError;

    fn try_from(input: DeleteItemInput) -> Result<Self> {
        let common = write_members!(input);
        let (key, condition) = ConditionalWrite {
            common,
            target_member: "key",
            target: input.key,
            size_message: None,
            condition_expression: input.condition_expression.as_deref(),
            expected: input.expected.as_ref(),
            names: input.expression_attribute_names.as_ref(),
            values: input.expression_attribute_values,
        }
        .validate()?;
        Ok(DeleteItem {
            options: write_options!(input)?,
            key,
            condition,
        })
    }
}

impl DeleteItem {
    /// The DeleteItem a PartiQL DELETE stands for.
    pub(super) fn planned(
        options: WriteOptions,
        key: Item,
        condition: Option<Condition>,
    ) -> DeleteItem {
        DeleteItem {
            options,
            key,
            condition,
        }
    }
}

impl Command for DeleteItem {
    type Input = DeleteItemInput;
    type Output = ItemOutput;

    fn parse(body: &[u8]) -> Result<DeleteItemInput> {
        json(body)
    }

    fn execute(self, ctx: &mut Context<'_>) -> Result<ItemOutput> {
        let DeleteItem {
            options,
            key,
            condition,
        } = self;
        let table = ctx.active_table(&options.table)?;
        let mut t = table.write();
        let now = ctx.engine.clock.now();
        t.expire(now);
        let key = t.def.schema.key_from_request(&key)?;
        ctx.engine.locks.check(&t.def.name, &key)?;
        let written = write_item(ctx.operation, &mut t, key, now, |_, old| {
            check_condition(condition.as_ref(), old, options.old_on_condition_failure)?;
            Ok(Change::Delete)
        })?;
        Ok(ItemOutput {
            attributes: match options.return_values {
                ReturnValues::AllOld => written.old,
                _ => None,
            },
            consumed_capacity: options.consumed(&written.cost),
            item_collection_metrics: options.collection_metrics(&t, &written.key),
            ..Default::default()
        })
    }
}
