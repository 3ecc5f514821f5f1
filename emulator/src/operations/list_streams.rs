//! ListStreams: the streams of every table (or of one), newest first within a table, at most
//! 100 a page. See
//! <https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_ListStreams.html>.

use super::command::{json, Command, Context};
use super::streams::{length, limit, limit_at_most, stream_not_found, table_of};
use super::validate::check_name;
use crate::error::{Constraints, DynamoError, Result};
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListStreamsInput {
    table_name: Option<String>,
    limit: Option<i64>,
    exclusive_start_stream_arn: Option<String>,
}

/// A validated ListStreams.
pub(super) struct ListStreams {
    table: Option<String>,
    limit: usize,
    after: Option<String>,
}

impl TryFrom<ListStreamsInput> for ListStreams {
    type Error = DynamoError;

    fn try_from(input: ListStreamsInput) -> Result<Self> {
        let mut c = Constraints::new();
        check_name(&mut c, input.table_name.as_deref(), "tableName", false);
        limit(&mut c, input.limit);
        length(
            &mut c,
            input.exclusive_start_stream_arn.as_deref(),
            "exclusiveStartStreamArn",
            37,
            1024,
        );
        c.into_result()?;
        if let Some(arn) = &input.exclusive_start_stream_arn {
            table_of(arn)?;
        }
        Ok(ListStreams {
            table: input.table_name,
            limit: limit_at_most(input.limit, 100)?,
            after: input.exclusive_start_stream_arn,
        })
    }
}

impl Command for ListStreams {
    type Input = ListStreamsInput;
    type Output = Value;

    fn parse(body: &[u8]) -> Result<ListStreamsInput> {
        json(body)
    }

    fn execute(self, ctx: &mut Context<'_>) -> Result<Value> {
        let now = ctx.engine.clock.now();
        // Deleted tables' streams stay listed (DISABLED) while they are readable.
        let mut tables = ctx.engine.catalog.all();
        tables.extend(ctx.engine.catalog.retired(now));
        // (table, ARN, label), tables in name order, each table's newest stream first.
        let mut streams: Vec<(String, String, String)> = Vec::new();
        let mut named = false;
        for t in tables {
            let t = t.read();
            if self.table.as_ref().is_some_and(|name| *name != t.def.name) {
                continue;
            }
            named = true;
            for s in t.streams().readable(now).rev() {
                streams.push((t.def.name.clone(), s.arn.clone(), s.label.clone()));
            }
        }
        if let (Some(name), false) = (&self.table, named) {
            return Err(super::describe_table::not_found(name));
        }
        // The catalog lists its tables in name order; deleted ones come after: a stable sort
        // by name keeps each table's newest-first order.
        streams.sort_by(|a, b| a.0.cmp(&b.0));
        let start = match &self.after {
            Some(arn) => {
                streams
                    .iter()
                    .position(|(_, a, _)| a == arn)
                    .ok_or_else(|| stream_not_found(arn))?
                    + 1
            }
            None => 0,
        };
        let page: Vec<&(String, String, String)> =
            streams[start..].iter().take(self.limit).collect();
        let mut out = json!({
            "Streams": page
                .iter()
                .map(|(t, a, l)| json!({"StreamArn": a, "TableName": t, "StreamLabel": l}))
                .collect::<Vec<_>>(),
        });
        if streams.len() > start + self.limit {
            out["LastEvaluatedStreamArn"] = json!(page.last().map(|(_, a, _)| a));
        }
        Ok(out)
    }
}
