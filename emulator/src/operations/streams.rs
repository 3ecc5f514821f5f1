//! What the four DynamoDB Streams operations share: member constraints, finding a stream by its
//! ARN, and the errors of a stream or shard that does not exist.
//!
//! DynamoDB Streams is its own service (`X-Amz-Target: DynamoDBStreams_20120810.*`) on the
//! same endpoint here. A stream ARN names its table (`...:table/<name>/stream/<label>`), so a
//! stream is found through the catalog. See
//! <https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Operations_Amazon_DynamoDB_Streams.html>.

use crate::engine::Engine;
use crate::error::{Constraints, DynamoError, ErrorKind, Result};
use crate::stream::Stream;
use crate::table::catalog::TableRef;
use crate::table::Table;

/// A member's length bounds, as DynamoDB Streams' model declares them.
pub(super) fn length(c: &mut Constraints, v: Option<&str>, member: &str, min: usize, max: usize) {
    let Some(v) = v else { return };
    let n = v.chars().count();
    if n < min {
        c.add(
            format!("'{v}'"),
            member,
            &format!("Member must have length greater than or equal to {min}"),
        );
    } else if n > max {
        c.add(
            format!("'{v}'"),
            member,
            &format!("Member must have length less than or equal to {max}"),
        );
    }
}

/// `Limit`: at least 1 (the model), at most `max` (the documentation).
pub(super) fn limit(c: &mut Constraints, limit: Option<i64>) {
    if let Some(l) = limit.filter(|l| *l < 1) {
        c.add(
            format!("'{l}'"),
            "limit",
            "Member must have value greater than or equal to 1",
        );
    }
}

/// The upper bound of `Limit`, checked after the member constraints.
pub(super) fn limit_at_most(limit: Option<i64>, max: i64) -> Result<usize> {
    match limit {
        Some(l) if l > max => Err(DynamoError::invalid_parameter(format!(
            "Limit should be less than or equal to {max}"
        ))),
        Some(l) => Ok(l as usize),
        None => Ok(max as usize),
    }
}

/// Checks a stream ARN's shape: `arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>`.
/// Returns the table name.
pub(super) fn table_of(arn: &str) -> Result<&str> {
    arn.strip_prefix("arn:")
        .and_then(|rest| rest.split_once(":table/"))
        .and_then(|(_, rest)| rest.split_once("/stream/"))
        .map(|(table, _)| table)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| DynamoError::validation(format!("Invalid StreamArn: {arn}")))
}

/// The stream's table, or ResourceNotFoundException for the stream.
pub(super) fn stream_table(engine: &Engine, arn: &str) -> Result<TableRef> {
    let table = table_of(arn)?;
    let now = engine.clock.now();
    let has = |t: &TableRef| t.read().streams().get(arn, now).is_some();
    engine
        .catalog
        .get(table)
        .filter(has)
        .or_else(|| engine.catalog.retired(now).into_iter().find(has))
        .ok_or_else(|| stream_not_found(arn))
}

/// Runs `read` on the stream `arn` and its table, under the table's lock, after trimming the
/// records the retention period let go: what every Streams read sees.
pub(super) fn with_stream<R>(
    engine: &Engine,
    arn: &str,
    read: impl FnOnce(&Table, &Stream) -> Result<R>,
) -> Result<R> {
    let now = engine.clock.now();
    let table = stream_table(engine, arn)?;
    let mut t = table.write();
    t.streams_mut()
        .trimmed(arn, now)
        .ok_or_else(|| stream_not_found(arn))?;
    let t = &*t;
    let stream = t
        .streams()
        .get(arn, now)
        .ok_or_else(|| stream_not_found(arn))?;
    read(t, stream)
}

/// ResourceNotFoundException for a stream (the service's text).
pub(super) fn stream_not_found(arn: &str) -> DynamoError {
    DynamoError::new(
        ErrorKind::ResourceNotFound,
        format!("Requested resource not found: Stream: {arn} not found"),
    )
}

/// ResourceNotFoundException for a shard (the service's text).
pub(super) fn shard_not_found() -> DynamoError {
    DynamoError::new(
        ErrorKind::ResourceNotFound,
        "Requested resource not found: Shard does not exist",
    )
}

/// TrimmedDataAccessException (the service's text).
pub(super) fn trimmed() -> DynamoError {
    DynamoError::new(
        ErrorKind::TrimmedDataAccess,
        "The data you are trying to access has been trimmed",
    )
}
