//! GetItem: one item by its full primary key, eventually consistent unless `ConsistentRead`.
//! See <https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_GetItem.html>.

use super::command::{json, Command, Context};
use super::metered::read_item;
use super::single_item::ItemOutput;
use super::validate::{
    check_key_paths, check_name, placeholder_maps, return_consumed_capacity, ExpressionParams,
    WireMap,
};
use crate::capacity;
use crate::error::{Constraints, DynamoError, Result};
use crate::expression::{self, attributes_to_get_projection, Placeholders, Projection};
use crate::table::catalog::expire_before_read;
use crate::value::attribute::validate_map;
use crate::value::Item;
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct GetItemInput {
    table_name: Option<String>,
    key: Option<WireMap>,
    attributes_to_get: Option<Vec<String>>,
    consistent_read: Option<bool>,
    projection_expression: Option<String>,
    expression_attribute_names: Option<HashMap<String, String>>,
    return_consumed_capacity: Option<String>,
}

/// A validated GetItem.
pub(super) struct GetItem {
    table: String,
    key: Item,
    consistent: bool,
    projection: Option<Projection>,
    return_consumed_capacity: Option<String>,
}

impl TryFrom<GetItemInput> for GetItem {
    type Error = DynamoError;

    fn try_from(input: GetItemInput) -> Result<Self> {
        let mut c = Constraints::new();
        check_name(&mut c, input.table_name.as_deref(), "tableName", true);
        c.not_null(input.key.is_some(), "key");
        return_consumed_capacity(&mut c, input.return_consumed_capacity.as_deref());
        if input.attributes_to_get.as_ref().is_some_and(Vec::is_empty) {
            c.add(
                "[]",
                "attributesToGet",
                "Member must have length greater than or equal to 1",
            );
        }
        let (table, key) = c.finish(input.table_name.zip(input.key))?;
        // Then the service's order (dynalite's suite, recorded against it): expression versus
        // legacy parameters, the key's values, AttributesToGet, the placeholders, the
        // projection.
        ExpressionParams {
            expressions: &[(
                "ProjectionExpression",
                input.projection_expression.is_some(),
            )],
            legacy: &[("AttributesToGet", input.attributes_to_get.is_some())],
            names: input.expression_attribute_names.is_some(),
            values: false,
        }
        .check()?;
        let key = validate_map(key)?;
        let legacy = input
            .attributes_to_get
            .as_deref()
            .map(attributes_to_get_projection)
            .transpose()?;
        placeholder_maps(input.expression_attribute_names.as_ref(), None, false)?;
        let mut p = Placeholders::new(input.expression_attribute_names.as_ref(), None);
        let projection = match &input.projection_expression {
            Some(text) => Some(expression::parse_projection(text, &mut p)?),
            None => legacy,
        };
        p.finish()?;
        Ok(GetItem {
            table,
            key,
            consistent: input.consistent_read.unwrap_or(false),
            projection,
            return_consumed_capacity: input.return_consumed_capacity,
        })
    }
}

impl GetItem {
    /// The GetItem a PartiQL single-item SELECT stands for.
    pub(super) fn planned(
        table: String,
        key: Item,
        consistent: bool,
        projection: Option<Projection>,
        return_consumed_capacity: Option<String>,
    ) -> GetItem {
        GetItem {
            table,
            key,
            consistent,
            projection,
            return_consumed_capacity,
        }
    }
}

impl Command for GetItem {
    type Input = GetItemInput;
    type Output = ItemOutput;

    fn parse(body: &[u8]) -> Result<GetItemInput> {
        json(body)
    }

    fn execute(self, ctx: &mut Context<'_>) -> Result<ItemOutput> {
        let table = ctx.active_table(&self.table)?;
        let now = ctx.engine.clock.now();
        expire_before_read(&table, now);
        let t = table.read();
        let key = t.def.schema.key_from_request(&self.key)?;
        if let Some(p) = &self.projection {
            check_key_paths(&t, &p.paths)?;
        }
        let read = read_item(ctx.operation, &t, &key, self.consistent, now)?;
        let item = read.item.map(|i| match &self.projection {
            Some(p) => p.apply(&i.item()),
            None => i.into_owned(),
        });
        let units = read.units;
        ctx.observe(read.info);
        drop(t);
        Ok(ItemOutput {
            item,
            consumed_capacity: capacity::consumed(
                &self.table,
                units,
                self.return_consumed_capacity.as_deref(),
                capacity::Split::None,
            ),
            ..Default::default()
        })
    }
}
