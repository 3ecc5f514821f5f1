//! GetShardIterator: where in a shard a reader starts: its oldest untrimmed record
//! (TRIM_HORIZON), after its newest (LATEST), at or after a sequence number. See
//! <https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_GetShardIterator.html>.

use super::command::{json, Command, Context};
use super::streams::{length, shard_not_found, table_of, trimmed, with_stream};
use super::validate::enum_check;
use crate::error::{Constraints, DynamoError, Result};
use crate::stream::iterator::ShardIterator;
use crate::stream::{parse_sequence_number, Stream};
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct GetShardIteratorInput {
    stream_arn: Option<String>,
    shard_id: Option<String>,
    shard_iterator_type: Option<String>,
    sequence_number: Option<String>,
}

/// Where the iterator starts.
enum Start {
    TrimHorizon,
    Latest,
    At(u64),
    After(u64),
}

/// A validated GetShardIterator.
pub(super) struct GetShardIterator {
    arn: String,
    shard: String,
    start: Start,
}

const TYPES: &[&str] = &[
    "TRIM_HORIZON",
    "LATEST",
    "AT_SEQUENCE_NUMBER",
    "AFTER_SEQUENCE_NUMBER",
];

impl TryFrom<GetShardIteratorInput> for GetShardIterator {
    type Error = DynamoError;

    fn try_from(input: GetShardIteratorInput) -> Result<Self> {
        let mut c = Constraints::new();
        c.not_null(input.stream_arn.is_some(), "streamArn");
        length(&mut c, input.stream_arn.as_deref(), "streamArn", 37, 1024);
        c.not_null(input.shard_id.is_some(), "shardId");
        length(&mut c, input.shard_id.as_deref(), "shardId", 28, 65);
        c.not_null(input.shard_iterator_type.is_some(), "shardIteratorType");
        enum_check(
            &mut c,
            input.shard_iterator_type.as_deref(),
            "shardIteratorType",
            TYPES,
        );
        length(
            &mut c,
            input.sequence_number.as_deref(),
            "sequenceNumber",
            21,
            40,
        );
        let (arn, shard, ty) = c.finish(
            input
                .stream_arn
                .zip(input.shard_id)
                .zip(input.shard_iterator_type)
                .map(|((a, s), t)| (a, s, t)),
        )?;
        table_of(&arn)?;
        let seq = match input.sequence_number.as_deref() {
            Some(s) => Some(parse_sequence_number(s).ok_or_else(|| {
                DynamoError::invalid_parameter(format!("Invalid SequenceNumber: {s}"))
            })?),
            None => None,
        };
        let start = match (ty.as_str(), seq) {
            ("TRIM_HORIZON" | "LATEST", Some(_)) => {
                return Err(DynamoError::invalid_parameter(
                    "SequenceNumber should not be passed for this iterator type",
                ))
            }
            ("TRIM_HORIZON", None) => Start::TrimHorizon,
            ("LATEST", None) => Start::Latest,
            (_, None) => {
                return Err(DynamoError::invalid_parameter(format!(
                    "A SequenceNumber is required for the iterator type {ty}"
                )))
            }
            ("AT_SEQUENCE_NUMBER", Some(n)) => Start::At(n),
            (_, Some(n)) => Start::After(n),
        };
        Ok(GetShardIterator { arn, shard, start })
    }
}

impl Command for GetShardIterator {
    type Input = GetShardIteratorInput;
    type Output = Value;

    fn parse(body: &[u8]) -> Result<GetShardIteratorInput> {
        json(body)
    }

    fn execute(self, ctx: &mut Context<'_>) -> Result<Value> {
        let now = ctx.engine.clock.now();
        let position = with_stream(ctx.engine, &self.arn, |_, stream| self.position(stream))?;
        let it = ShardIterator {
            stream_arn: self.arn,
            shard_id: self.shard,
            position,
            issued_ms: now.as_millis() as u64,
        };
        Ok(json!({ "ShardIterator": it.encode() }))
    }
}

impl GetShardIterator {
    /// The sequence number the iterator starts at.
    fn position(&self, stream: &Stream) -> Result<u64> {
        let next = stream.next_seq();
        let shard = stream.shard(&self.shard).ok_or_else(shard_not_found)?;
        let in_shard = |n: u64| n >= shard.start_seq && shard.end_seq.is_none_or(|e| n <= e);
        let position = match self.start {
            Start::TrimHorizon => shard.horizon(),
            Start::Latest => shard.end_seq.map_or(next, |e| e + 1),
            Start::At(n) | Start::After(n) if shard.trimmed_at(n) => return Err(trimmed()),
            Start::At(n) | Start::After(n) if !in_shard(n) => {
                return Err(DynamoError::invalid_parameter(
                    "Invalid SequenceNumber for the shard",
                ))
            }
            Start::At(n) => n,
            Start::After(n) => n + 1,
        };
        Ok(position)
    }
}
