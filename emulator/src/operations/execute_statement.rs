//! ExecuteStatement: one PartiQL statement, run as the item operation it stands for
//! (see `statement.rs`).
//! See <https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ExecuteStatement.html>.

use super::command::{json, Command, Context};
use super::statement::{execute, statement_length, Options, Prepared};
use super::validate::{enum_check, parameters_length, return_consumed_capacity};
use crate::error::{Constraints, DynamoError, Result};
use crate::value::attribute::WireValue;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ExecuteStatementInput {
    statement: Option<String>,
    parameters: Option<Vec<WireValue>>,
    consistent_read: Option<bool>,
    next_token: Option<String>,
    return_consumed_capacity: Option<String>,
    limit: Option<i64>,
    return_values_on_condition_check_failure: Option<String>,
}

/// A validated ExecuteStatement: the statement parsed, its parameters bound.
pub(super) struct ExecuteStatement {
    prepared: Prepared,
    options: Options,
}

impl TryFrom<ExecuteStatementInput> for ExecuteStatement {
    type Error = DynamoError;

    fn try_from(input: ExecuteStatementInput) -> Result<Self> {
        let mut c = Constraints::new();
        statement_length(&mut c, input.statement.as_deref(), "statement");
        parameters_length(&mut c, input.parameters.as_ref(), "parameters");
        if let Some(t) = &input.next_token {
            if t.is_empty() || t.len() > 32768 {
                c.add(
                    format!("'{t}'"),
                    "nextToken",
                    if t.is_empty() {
                        "Member must have length greater than or equal to 1"
                    } else {
                        "Member must have length less than or equal to 32768"
                    },
                );
            }
        }
        return_consumed_capacity(&mut c, input.return_consumed_capacity.as_deref());
        if let Some(l) = input.limit.filter(|l| *l < 1) {
            c.add(
                format!("'{l}'"),
                "limit",
                "Member must have value greater than or equal to 1",
            );
        }
        enum_check(
            &mut c,
            input.return_values_on_condition_check_failure.as_deref(),
            "returnValuesOnConditionCheckFailure",
            &["ALL_OLD", "NONE"],
        );
        let text = c.finish(input.statement)?;
        Ok(ExecuteStatement {
            prepared: Prepared::new(&text, input.parameters)?,
            options: Options {
                consistent: input.consistent_read.unwrap_or(false),
                limit: input.limit.map(|l| l as usize),
                next_token: input.next_token,
                return_consumed_capacity: input.return_consumed_capacity,
                old_on_condition_failure: input.return_values_on_condition_check_failure.as_deref()
                    == Some("ALL_OLD"),
            },
        })
    }
}

impl Command for ExecuteStatement {
    type Input = ExecuteStatementInput;
    type Output = Value;

    fn parse(body: &[u8]) -> Result<ExecuteStatementInput> {
        json(body)
    }

    fn execute(self, ctx: &mut Context<'_>) -> Result<Value> {
        let out = execute(ctx, &self.prepared, self.options)?;
        let mut v = json!({ "Items": out.items });
        if let Some(t) = out.next_token {
            v["NextToken"] = json!(t);
        }
        if let Some(c) = out.consumed {
            v["ConsumedCapacity"] = c;
        }
        Ok(v)
    }
}
