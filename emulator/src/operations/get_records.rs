//! GetRecords: the records of a shard from an iterator on, at most 1,000 or 1 MB a call, and
//! the iterator to continue with (none once a closed shard is read to its end). See
//! <https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_GetRecords.html>.

use super::command::{json, Command, Context};
use super::streams::{length, limit, limit_at_most, shard_not_found, trimmed, with_stream};
use crate::error::{Constraints, DynamoError, ErrorKind, Result};
use crate::stream::iterator::ShardIterator;
use crate::stream::shard::Record;
use crate::stream::{event_id, record_size, sequence_number, Stream, ViewType};
use crate::value::Item;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

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

/// The `dynamodb` member of a record.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct StreamRecordOut<'a> {
    /// Whole seconds since the epoch.
    approximate_creation_date_time: u64,
    keys: &'a Item,
    #[serde(skip_serializing_if = "Option::is_none")]
    new_image: Option<&'a Item>,
    #[serde(skip_serializing_if = "Option::is_none")]
    old_image: Option<&'a Item>,
    sequence_number: String,
    size_bytes: usize,
    stream_view_type: &'static str,
}

/// Who made a change that no caller made: the TTL process.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Identity {
    principal_id: &'static str,
    #[serde(rename = "Type")]
    ty: &'static str,
}

/// One record as GetRecords returns it, serialised straight from the shard (borrowed).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RecordOut<'a> {
    #[serde(rename = "eventID")]
    event_id: String,
    event_name: &'static str,
    event_version: &'static str,
    event_source: &'static str,
    aws_region: &'a str,
    dynamodb: StreamRecordOut<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_identity: Option<Identity>,
}

impl<'a> RecordOut<'a> {
    fn new(r: &'a Record, view: ViewType, arn: &str, region: &'a str) -> RecordOut<'a> {
        RecordOut {
            event_id: event_id(arn, r.seq),
            event_name: r.event.as_str(),
            event_version: "1.1",
            event_source: "aws:dynamodb",
            aws_region: region,
            dynamodb: StreamRecordOut {
                approximate_creation_date_time: r.at.as_secs(),
                keys: &r.keys,
                new_image: r.new.as_ref().filter(|_| view.new_image()),
                old_image: r.old.as_ref().filter(|_| view.old_image()),
                sequence_number: sequence_number(r.seq),
                size_bytes: record_size(r, view),
                stream_view_type: view.as_str(),
            },
            user_identity: r.by_ttl.then_some(Identity {
                principal_id: "dynamodb.amazonaws.com",
                ty: "Service",
            }),
        }
    }
}

/// GetRecords' answer.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Output<'a> {
    records: Vec<RecordOut<'a>>,
    /// Left out once a closed shard is read to its end.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_shard_iterator: Option<String>,
}

impl Command for GetRecords {
    type Input = GetRecordsInput;
    /// Serialised while the table is locked: the records are borrowed from their shard.
    type Output = Box<RawValue>;

    fn parse(body: &[u8]) -> Result<GetRecordsInput> {
        json(body)
    }

    fn execute(self, ctx: &mut Context<'_>) -> Result<Box<RawValue>> {
        let now = ctx.engine.clock.now();
        let it = self.iterator;
        if it.expired(now) {
            return Err(DynamoError::new(
                ErrorKind::ExpiredIterator,
                "The provided iterator exceeds the maximum age allowed.",
            ));
        }
        let region = ctx.request.region.as_str();
        let limit = self.limit;
        with_stream(ctx.engine, &it.stream_arn, |_, stream| {
            read(stream, &it, limit, region, now)
        })
    }
}

/// Reads a page of the iterator's shard, and serialises it while the shard is borrowed.
fn read(
    stream: &Stream,
    it: &ShardIterator,
    limit: usize,
    region: &str,
    now: std::time::Duration,
) -> Result<Box<RawValue>> {
    let shard = stream.shard(&it.shard_id).ok_or_else(shard_not_found)?;
    if shard.trimmed_at(it.position) {
        return Err(trimmed());
    }
    let mut records = Vec::new();
    let mut bytes = 0;
    let mut position = it.position;
    for r in shard.visible_from(it.position, now).take(limit) {
        let size = record_size(r, stream.view);
        if !records.is_empty() && bytes + size > MAX_BYTES {
            break;
        }
        bytes += size;
        records.push(RecordOut::new(r, stream.view, &stream.arn, region));
        position = r.seq + 1;
    }
    // A closed shard read to its end has no next iterator (the member is left out).
    let next_shard_iterator = (!shard.exhausted_at(position)).then(|| {
        ShardIterator {
            position,
            issued_ms: now.as_millis() as u64,
            ..it.clone()
        }
        .encode()
    });
    let out = Output {
        records,
        next_shard_iterator,
    };
    serde_json::value::to_raw_value(&out)
        .map_err(|e| DynamoError::new(ErrorKind::InternalServer, e.to_string()))
}
