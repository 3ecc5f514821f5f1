//! DeleteTable: an ACTIVE table without deletion protection, with its items and indexes.
//! See <https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DeleteTable.html>.

use super::command::{json, Command, Context};
use super::describe_table::{control_table, describe, TableNameInput};
use crate::error::{DynamoError, ErrorKind, Result};
use crate::storage::TableStatus;
use serde_json::{json, Value};

/// A validated DeleteTable.
pub(super) struct DeleteTable {
    name: String,
}

impl TryFrom<TableNameInput> for DeleteTable {
    type Error = DynamoError;

    fn try_from(input: TableNameInput) -> Result<Self> {
        Ok(DeleteTable {
            name: input.name()?,
        })
    }
}

/// `ResourceInUseException` for a table in a transient status.
pub(super) fn in_use(status: TableStatus, name: &str) -> Option<DynamoError> {
    let doing = match status {
        TableStatus::Creating => "created",
        TableStatus::Deleting => "deleted",
        TableStatus::Updating => "updated",
        TableStatus::Active => return None,
    };
    Some(DynamoError::new(
        ErrorKind::ResourceInUse,
        format!(
            "Attempt to change a resource which is still in use: Table is being {doing}: {name}"
        ),
    ))
}

impl Command for DeleteTable {
    type Input = TableNameInput;
    type Output = Value;

    fn parse(body: &[u8]) -> Result<TableNameInput> {
        json(body)
    }

    fn execute(self, ctx: &mut Context<'_>) -> Result<Value> {
        let engine = ctx.engine;
        let name = &self.name;
        let table = control_table(engine, name)?;
        let now = engine.clock.now();
        let description = {
            let t = table.read();
            if let Some(e) = in_use(t.status(now), name) {
                return Err(e);
            }
            if t.def.deletion_protection {
                return Err(DynamoError::validation(format!(
                    "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first. Table: {}",
                    t.def.arn
                )));
            }
            let mut d = describe(&t, now);
            d["TableStatus"] = json!(TableStatus::Deleting.as_str());
            engine.reservations.release(&t.def.id);
            d
        };
        if let Some(t) = engine.catalog.remove(name, now) {
            if t.read().streams().latest().is_some() {
                engine.catalog.retire(t, now);
            }
        }
        Ok(json!({ "TableDescription": description }))
    }
}
