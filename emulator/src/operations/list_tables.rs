//! ListTables: table names in order, at most 100 a page.
//! See <https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ListTables.html>.

use super::command::{json, Command, Context};
use super::validate::check_name;
use crate::error::{Constraints, DynamoError, Result};
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListTablesInput {
    exclusive_start_table_name: Option<String>,
    limit: Option<i64>,
}

/// A validated ListTables.
pub(super) struct ListTables {
    after: Option<String>,
    limit: usize,
}

impl TryFrom<ListTablesInput> for ListTables {
    type Error = DynamoError;

    fn try_from(input: ListTablesInput) -> Result<Self> {
        let mut c = Constraints::new();
        check_name(
            &mut c,
            input.exclusive_start_table_name.as_deref(),
            "exclusiveStartTableName",
            false,
        );
        match input.limit {
            Some(l) if l < 1 => c.add(
                format!("'{l}'"),
                "limit",
                "Member must have value greater than or equal to 1",
            ),
            Some(l) if l > 100 => c.add(
                format!("'{l}'"),
                "limit",
                "Member must have value less than or equal to 100",
            ),
            _ => {}
        }
        c.into_result()?;
        Ok(ListTables {
            after: input.exclusive_start_table_name,
            limit: input.limit.unwrap_or(100) as usize,
        })
    }
}

impl Command for ListTables {
    type Input = ListTablesInput;
    type Output = Value;

    fn parse(body: &[u8]) -> Result<ListTablesInput> {
        json(body)
    }

    fn execute(self, ctx: &mut Context<'_>) -> Result<Value> {
        let names = ctx.engine.catalog.names_after(self.after.as_deref());
        let page: Vec<&String> = names.iter().take(self.limit).collect();
        let mut out = json!({ "TableNames": page });
        if names.len() > self.limit {
            out["LastEvaluatedTableName"] = json!(page.last());
        }
        Ok(out)
    }
}
