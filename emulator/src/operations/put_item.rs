//! PutItem: creates an item or replaces one, optionally under a condition.
//! See <https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html>.

use super::command::{json, Command, Context};
use super::metered::{write_item, Change};
use super::single_item::{write_options, ItemOutput, ReturnValues, WriteOptions};
use super::validate::{
    check_condition, check_index_keys, write_members, ConditionalWrite, WireMap,
};
use crate::error::{DynamoError, Result};
use crate::expression::{Condition, ExpectedAttributeValue};
use crate::value::Item;
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PutItemInput {
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

/// A validated PutItem.
pub(super) struct PutItem {
    options: WriteOptions,
    item: Item,
    condition: Option<Condition>,
}

impl TryFrom<PutItemInput> for PutItem {
    type Error = DynamoError;

    fn try_from(input: PutItemInput) -> Result<Self> {
        let common = write_members!(input);
        let (item, condition) = ConditionalWrite {
            common,
            target_member: "item",
            target: input.item,
            // The item's size is checked before its table is looked up (dynalite's suite,
            // recorded against the service: a too-big item for a missing table is a
            // ValidationException).
            size_message: Some("Item size has exceeded the maximum allowed size"),
            condition_expression: input.condition_expression.as_deref(),
            expected: input.expected.as_ref(),
            names: input.expression_attribute_names.as_ref(),
            values: input.expression_attribute_values,
        }
        .validate()?;
        Ok(PutItem {
            options: write_options!(input)?,
            item,
            condition,
        })
    }
}

impl PutItem {
    /// The PutItem a PartiQL INSERT stands for.
    pub(super) fn planned(
        options: WriteOptions,
        item: Item,
        condition: Option<Condition>,
    ) -> PutItem {
        PutItem {
            options,
            item,
            condition,
        }
    }
}

impl Command for PutItem {
    type Input = PutItemInput;
    type Output = ItemOutput;

    fn parse(body: &[u8]) -> Result<PutItemInput> {
        json(body)
    }

    fn execute(self, ctx: &mut Context<'_>) -> Result<ItemOutput> {
        let PutItem {
            options,
            item,
            condition,
        } = self;
        let table = ctx.active_table(&options.table)?;
        let mut t = table.write();
        let now = ctx.engine.clock.now();
        t.expire(now);
        let key = t.def.schema.key_from_item(&item)?;
        check_index_keys(&t, &item)?;
        ctx.engine.locks.check(&t.def.name, &key)?;
        let written = write_item(ctx.operation, &mut t, key, now, |_, old| {
            check_condition(condition.as_ref(), old, options.old_on_condition_failure)?;
            Ok(Change::Put(item))
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
