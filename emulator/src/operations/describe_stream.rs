//! DescribeStream: a stream's status, view type, key schema and shards (with their parents and
//! sequence number ranges), at most 100 shards a page. See
//! <https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_DescribeStream.html>.

use super::command::{json, Command, Context};
use super::describe_table::{key_schema_json, seconds};
use super::streams::{length, limit, limit_at_most, table_of, with_stream};
use super::validate::enum_check;
use crate::error::{Constraints, DynamoError, Result};
use crate::stream::{sequence_number, Stream};
use crate::table::Table;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DescribeStreamInput {
    stream_arn: Option<String>,
    limit: Option<i64>,
    exclusive_start_shard_id: Option<String>,
    shard_filter: Option<ShardFilterW>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ShardFilterW {
    #[serde(rename = "Type")]
    ty: Option<String>,
    shard_id: Option<String>,
}

/// A validated DescribeStream.
pub(super) struct DescribeStream {
    arn: String,
    limit: usize,
    after: Option<String>,
    /// Only the children of this shard (`ShardFilter` `CHILD_SHARDS`).
    children_of: Option<String>,
}

impl TryFrom<DescribeStreamInput> for DescribeStream {
    type Error = DynamoError;

    fn try_from(input: DescribeStreamInput) -> Result<Self> {
        let mut c = Constraints::new();
        c.not_null(input.stream_arn.is_some(), "streamArn");
        length(&mut c, input.stream_arn.as_deref(), "streamArn", 37, 1024);
        limit(&mut c, input.limit);
        length(
            &mut c,
            input.exclusive_start_shard_id.as_deref(),
            "exclusiveStartShardId",
            28,
            65,
        );
        if let Some(f) = &input.shard_filter {
            enum_check(
                &mut c,
                f.ty.as_deref(),
                "shardFilter.type",
                &["CHILD_SHARDS"],
            );
            length(&mut c, f.shard_id.as_deref(), "shardFilter.shardId", 28, 65);
        }
        let arn = c.finish(input.stream_arn)?;
        table_of(&arn)?;
        Ok(DescribeStream {
            arn,
            limit: limit_at_most(input.limit, 100)?,
            after: input.exclusive_start_shard_id,
            children_of: input.shard_filter.and_then(|f| f.shard_id),
        })
    }
}

impl Command for DescribeStream {
    type Input = DescribeStreamInput;
    type Output = Value;

    fn parse(body: &[u8]) -> Result<DescribeStreamInput> {
        json(body)
    }

    fn execute(self, ctx: &mut Context<'_>) -> Result<Value> {
        with_stream(ctx.engine, &self.arn, |t, stream| self.describe(t, stream))
    }
}

impl DescribeStream {
    fn describe(&self, t: &Table, stream: &Stream) -> Result<Value> {
        let (name, schema) = (&t.def.name, key_schema_json(&t.def.schema));
        let shards: Vec<_> = stream
            .shards
            .iter()
            .filter(|s| {
                self.children_of
                    .as_deref()
                    .is_none_or(|p| s.parent.as_deref() == Some(p))
            })
            .collect();
        // An ExclusiveStartShardId the stream does not have gives an empty page, as the
        // service does.
        let start = match &self.after {
            Some(id) => shards
                .iter()
                .position(|s| &s.id == id)
                .map_or(shards.len(), |i| i + 1),
            None => 0,
        };
        let page = &shards[start..(start + self.limit).min(shards.len())];
        let mut d = json!({
            "StreamArn": stream.arn,
            "StreamLabel": stream.label,
            "StreamStatus": stream.status.as_str(),
            "StreamViewType": stream.view.as_str(),
            "CreationRequestDateTime": seconds(stream.created_at),
            "TableName": name,
            "KeySchema": schema,
            "Shards": page.iter().map(|s| {
                let mut range = json!({"StartingSequenceNumber": sequence_number(s.start_seq)});
                if let Some(end) = s.end_seq {
                    range["EndingSequenceNumber"] = json!(sequence_number(end));
                }
                let mut shard = json!({"ShardId": s.id, "SequenceNumberRange": range});
                if let Some(p) = &s.parent {
                    shard["ParentShardId"] = json!(p);
                }
                shard
            }).collect::<Vec<_>>(),
        });
        if start + self.limit < shards.len() {
            d["LastEvaluatedShardId"] = json!(page.last().map(|s| &s.id));
        }
        Ok(json!({ "StreamDescription": d }))
    }
}
