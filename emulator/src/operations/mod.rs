//! DynamoDB's operations, one module per API family, and the dispatcher that maps an
//! `X-Amz-Target` operation name and a JSON body to one of them.
//!
//! Each operation validates its whole input before it changes anything, so a failed request has
//! no effect (DynamoDB's rule, and the emulator's).

mod batch;
mod control;
pub mod emulator_control;
mod item;
mod query;
mod table;
pub use table::iso8601;
mod transact;
mod wire;

use crate::error::{DynamoError, ErrorKind, Result};
use crate::Engine;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Who is calling, as far as the emulator cares: the region named in the request's signature.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub region: String,
}

impl Default for RequestContext {
    fn default() -> Self {
        RequestContext {
            region: "us-east-1".into(),
        }
    }
}

/// The operations the emulator implements, by `X-Amz-Target` name.
pub const OPERATIONS: &[&str] = &[
    "BatchGetItem",
    "BatchWriteItem",
    "CreateTable",
    "DeleteItem",
    "DeleteTable",
    "DescribeEndpoints",
    "DescribeLimits",
    "DescribeTable",
    "DescribeTimeToLive",
    "GetItem",
    "ListTables",
    "ListTagsOfResource",
    "PutItem",
    "Query",
    "Scan",
    "TagResource",
    "TransactGetItems",
    "TransactWriteItems",
    "UntagResource",
    "UpdateItem",
    "UpdateTable",
    "UpdateTimeToLive",
];

fn run<I: DeserializeOwned, O: Serialize>(
    body: &[u8],
    f: impl FnOnce(I) -> Result<O>,
) -> Result<Vec<u8>> {
    let input: I = wire::from_json(body)?;
    let output = f(input)?;
    serde_json::to_vec(&output)
        .map_err(|e| DynamoError::new(ErrorKind::InternalServer, e.to_string()))
}

/// Runs one operation: JSON in, JSON out, or a DynamoDB error. A panic (an emulator bug) becomes
/// an `InternalServerError` for that request instead of taking the connection or server down.
pub fn dispatch(
    engine: &Engine,
    ctx: &RequestContext,
    operation: &str,
    body: &[u8],
) -> Result<Vec<u8>> {
    // A read noted by an earlier request on this thread must not be logged with this one.
    crate::replication::take_read();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        dispatch_inner(engine, ctx, operation, body)
    }))
    .unwrap_or_else(|_| {
        // The panic hook has printed where; this says which request, so it can be replayed.
        const SHOWN: usize = 4096;
        eprintln!(
            "dynamodb-emulator: internal error (an emulator bug) in {operation}; request body{}: {}",
            if body.len() > SHOWN { " (first 4 KB)" } else { "" },
            String::from_utf8_lossy(&body[..body.len().min(SHOWN)])
        );
        Err(DynamoError::internal_bug())
    });
    let read = crate::replication::peek_read();
    let outcome = match &result {
        Ok(_) => "ok",
        Err(e) => e.kind.short_name(),
    };
    let name = OPERATIONS
        .iter()
        .find(|o| **o == operation)
        .copied()
        .unwrap_or("Unknown");
    engine.log_request(name, outcome, read.as_ref());
    result
}

fn dispatch_inner(
    engine: &Engine,
    ctx: &RequestContext,
    operation: &str,
    body: &[u8],
) -> Result<Vec<u8>> {
    engine.clock.on_request();
    if let Some(op) = OPERATIONS.iter().find(|o| **o == operation) {
        crate::capacity::report::set_operation(op);
    }
    match operation {
        "CreateTable" => run(body, |i| table::create_table(engine, ctx, i)),
        "DescribeTable" => run(body, |i| table::describe_table(engine, i)),
        "ListTables" => run(body, |i| table::list_tables(engine, i)),
        "DeleteTable" => run(body, |i| table::delete_table(engine, i)),
        "UpdateTable" => run(body, |i| table::update_table(engine, i)),
        "UpdateTimeToLive" => run(body, |i| control::update_time_to_live(engine, i)),
        "DescribeTimeToLive" => run(body, |i| control::describe_time_to_live(engine, i)),
        "TagResource" => run(body, |i| control::tag_resource(engine, i)),
        "UntagResource" => run(body, |i| control::untag_resource(engine, i)),
        "ListTagsOfResource" => run(body, |i| control::list_tags_of_resource(engine, i)),
        "DescribeLimits" => run(body, |i| control::describe_limits(engine, i)),
        "DescribeEndpoints" => run(body, |i| control::describe_endpoints(engine, ctx, i)),
        "PutItem" => run(body, |i| item::put_item(engine, i)),
        "GetItem" => run(body, |i| item::get_item(engine, i)),
        "UpdateItem" => run(body, |i| item::update_item(engine, i)),
        "DeleteItem" => run(body, |i| item::delete_item(engine, i)),
        "Query" => run(body, |i| query::query(engine, i)),
        "Scan" => run(body, |i| query::scan(engine, i)),
        "BatchGetItem" => run(body, |i| batch::batch_get_item(engine, i)),
        "BatchWriteItem" => run(body, |i| batch::batch_write_item(engine, i)),
        "TransactGetItems" => run(body, |i| transact::transact_get_items(engine, i)),
        "TransactWriteItems" => {
            let raw: serde_json::Value = wire::from_json(body)?;
            run(body, |i| transact::transact_write_items(engine, i, &raw))
        }
        #[cfg(test)]
        "__Panic" => panic!("a test-only operation that panics"),
        _ => Err(DynamoError::new(ErrorKind::UnknownOperation, "")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;

    #[test]
    fn a_panic_is_an_internal_server_error_not_a_crash() {
        let engine = Engine::new(0, Clock::real(), crate::Options::default());
        let e = dispatch(&engine, &RequestContext::default(), "__Panic", b"{}").unwrap_err();
        assert_eq!(e.kind, ErrorKind::InternalServer);
        // The engine still serves requests afterwards.
        assert!(dispatch(&engine, &RequestContext::default(), "ListTables", b"{}").is_ok());
    }
}
