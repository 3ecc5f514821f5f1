//! GetRecords: the records of a shard from an iterator on, at most 1,000 or 1 MB a call, and
//! the iterator to continue with (none once a closed shard is read to its end). See
//! <https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_GetRecords.html>.

use super::command::{json, Command, Context};
use super::streams::{length, limit, limit_at_most, shard_not_found, stream_not_found, trimmed};
use crate::error::{Constraints, DynamoError, ErrorKind, Result};
use crate::stream::iterator::ShardIterator;
use crate::stream::shard::Record;
use crate::stream::{event_id, record_size, sequence_number, ViewType};
use serde::Deserialize;
use serde_json::{json, Value};

/// The most a GetRecords answer carries.
const MAX_BYTES: usize = 1024 * 1024;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct GetRecordsInput {
    shard_iterator: Option<String>,
    limit: Option<i64>,
}

/// A validated GetRecords.
pub(super) struct GetRecords {
    iterator: ShardIterator,
    limit: usize,
}

impl TryFrom<GetRecordsInput> for GetRecords {
    type Error = DynamoError;

    fn try_from(input: GetRecordsInput) -> Result<Self> {
        let mut c = Constraints::new();
        c.not_null(input.shard_iterator.is_some(), "shardIterator");
        length(
            &mut c,
            input.shard_iterator.as_deref(),
            "shardIterator",
            1,
            2048,
        );
        limit(&mut c, input.limit);
        let text = c.finish(input.shard_iterator)?;
        let limit = limit_at_most(input.limit, 1000)?;
        let iterator = ShardIterator::decode(&text)
            .ok_or_else(|| DynamoError::validation("Invalid ShardIterator"))?;
        Ok(GetRecords { iterator, limit })
    }
}

/// One record as GetRecords returns it.
fn record_json(r: &Record, view: ViewType, arn: &str, region: &str) -> Value {
    let mut d = json!({
        "ApproximateCreationDateTime": r.at.as_secs(),
        "Keys": r.keys,
        "SequenceNumber": sequence_number(r.seq),
        "SizeBytes": record_size(r, view),
        "StreamViewType": view.as_str(),
    });
    if view.new_image() {
        if let Some(new) = &r.new {
            d["NewImage"] = json!(new);
        }
    }
    if view.old_image() {
        if let Some(old) = &r.old {
            d["OldImage"] = json!(old);
        }
    }
    let mut v = json!({
        "eventID": event_id(arn, r.seq),
        "eventName": r.event.as_str(),
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": d,
    });
    if r.by_ttl {
        v["userIdentity"] = json!({"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"});
    }
    v
}

impl Command for GetRecords {
    type Input = GetRecordsInput;
    type Output = Value;

    fn parse(body: &[u8]) -> Result<GetRecordsInput> {
        json(body)
    }

    fn execute(self, ctx: &mut Context<'_>) -> Result<Value> {
        let now = ctx.engine.clock.now();
        let it = self.iterator;
        if it.expired(now) {
            return Err(DynamoError::new(
                ErrorKind::ExpiredIterator,
                "The provided iterator exceeds the maximum age allowed.",
            ));
        }
        let table = super::streams::stream_table(ctx.engine, &it.stream_arn)?;
        let mut t = table.write();
        let stream = t
            .streams_mut()
            .get_mut(&it.stream_arn, now)
            .ok_or_else(|| stream_not_found(&it.stream_arn))?;
        stream.trim(now);
        let shard = stream.shard(&it.shard_id).ok_or_else(shard_not_found)?;
        if shard.trimmed_at(it.position) {
            return Err(trimmed());
        }
        let mut records = Vec::new();
        let mut bytes = 0;
        let mut position = it.position;
        for r in shard.visible_from(it.position, now).take(self.limit) {
            let size = record_size(r, stream.view);
            if !records.is_empty() && bytes + size > MAX_BYTES {
                break;
            }
            bytes += size;
            records.push(record_json(
                r,
                stream.view,
                &stream.arn,
                &ctx.request.region,
            ));
            position = r.seq + 1;
        }
        let mut out = json!({ "Records": records });
        // A closed shard read to its end has no next iterator (the member is left out).
        if !shard.exhausted_at(position) {
            let next = ShardIterator {
                position,
                issued_ms: now.as_millis() as u64,
                ..it
            };
            out["NextShardIterator"] = json!(next.encode());
        }
        Ok(out)
    }
}
