//! The command pipeline: every DynamoDB operation is a [`Command`], found by name in one static
//! table and run by [`dispatch`], the only place that applies the request-wide layers.
//!
//! A command is three steps, in the shape of mini-redis's `parse → apply → into_frame`:
//! its wire input (the JSON the SDKs send, all members optional as on the wire); a validated
//! input built by `TryFrom`, which reports DynamoDB's constraint errors in DynamoDB's order and
//! leaves nothing that "must be there" as an `Option`; and `execute`, which looks tables up,
//! goes through the capacity layer ([`super::metered`]) and returns the response value.
//!
//! What a request observed travels back in the [`Context`], not in thread-locals: the replica
//! that served its read (the debug headers and the request log) and the tables it used (the
//! usage report's request counts).

use super::RequestContext;
use crate::engine::{Engine, LoggedTables};
use crate::error::{DynamoError, ErrorKind, Result};
use crate::faults::FaultKind;
use crate::replication::ReadInfo;
use crate::storage::TableStatus;
use crate::table::catalog::TableRef;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::sync::Arc;

/// One DynamoDB operation.
pub(super) trait Command: TryFrom<Self::Input, Error = DynamoError> {
    /// The members as they arrive on the wire.
    type Input;
    /// The response, serialised as the service writes it.
    type Output: Serialize;

    /// Decodes the wire input (SerializationException on malformed JSON); most commands
    /// use [`json`].
    fn parse(body: &[u8]) -> Result<Self::Input>;

    /// Runs the validated command.
    fn execute(self, ctx: &mut Context<'_>) -> Result<Self::Output>;
}

/// One request as commands see it: the engine, the caller, and what the request observed.
pub(super) struct Context<'e> {
    pub engine: &'e Engine,
    pub request: &'e RequestContext,
    /// The operation's name, to which the usage report attributes capacity.
    pub operation: &'static str,
    read: Option<ReadInfo>,
    /// The tables the request used: the first without allocating (most requests use one).
    used: Option<TableRef>,
    more_used: Vec<TableRef>,
    /// An injected latency a transaction spends while it holds its items.
    latency: Option<std::time::Duration>,
}

impl Context<'_> {
    /// Looks up a table for a data-plane operation: it must exist and not still be CREATING
    /// (DynamoDB answers ResourceNotFoundException until a table is ACTIVE). The table counts
    /// one request in the usage report if the request succeeds.
    pub fn active_table(&mut self, name: &str) -> Result<TableRef> {
        let table = self.table(name)?;
        if table.read().status(self.engine.clock.now()) == TableStatus::Creating {
            return Err(DynamoError::table_not_found());
        }
        Ok(table)
    }

    /// Looks up a table in any status (transactions check statuses themselves); it counts in
    /// the usage report like [`Context::active_table`].
    pub fn table(&mut self, name: &str) -> Result<TableRef> {
        let table = self
            .engine
            .catalog
            .get(name)
            .ok_or_else(DynamoError::table_not_found)?;
        match &self.used {
            None => self.used = Some(table.clone()),
            Some(first) if Arc::ptr_eq(first, &table) => {}
            Some(_) => {
                if !self.more_used.iter().any(|t| Arc::ptr_eq(t, &table)) {
                    self.more_used.push(table.clone());
                }
            }
        }
        Ok(table)
    }

    /// Spends the request's injected latency now, if it has one (a transaction, holding its
    /// items, so that requests overlapping it conflict).
    pub fn spend_latency(&mut self) {
        if let Some(d) = self.latency.take() {
            sleep(d);
        }
    }

    /// Records which replica served the request's read and how stale it was.
    pub fn observe(&mut self, read: ReadInfo) {
        self.read = Some(read);
    }
}

/// A command whose validation has not been split from its execution yet (the control-plane
/// operations): its "validated" input is the wire input, and `execute` validates first.
macro_rules! unsplit_command {
    ($(#[$doc:meta])* $name:ident, $input:ty, |$ctx:ident, $i:ident| $body:expr) => {
        $(#[$doc])*
        pub(in crate::operations) struct $name($input);

        impl TryFrom<$input> for $name {
            type Error = crate::error::DynamoError;
            fn try_from(input: $input) -> crate::error::Result<Self> {
                Ok($name(input))
            }
        }

        impl crate::operations::command::Command for $name {
            type Input = $input;
            type Output = serde_json::Value;
            fn parse(body: &[u8]) -> crate::error::Result<$input> {
                crate::operations::command::json(body)
            }
            fn execute(
                self,
                $ctx: &mut crate::operations::command::Context<'_>,
            ) -> crate::error::Result<serde_json::Value> {
                let $i = self.0;
                $body
            }
        }
    };
}
pub(super) use unsplit_command;

/// Decodes a request body into a wire input struct.
pub(super) fn json<T: DeserializeOwned>(body: &[u8]) -> Result<T> {
    super::wire::from_json(body)
}

type Handler = fn(&mut Context<'_>, &[u8]) -> Result<Vec<u8>>;

fn handle<C: Command>(ctx: &mut Context<'_>, body: &[u8]) -> Result<Vec<u8>> {
    let command = C::try_from(C::parse(body)?)?;
    let output = command.execute(ctx)?;
    serde_json::to_vec(&output)
        .map_err(|e| DynamoError::new(ErrorKind::InternalServer, e.to_string()))
}

use super::*;

/// Every operation, by `X-Amz-Target` name, in name order.
static COMMANDS: &[(&str, Handler)] = &[
    (
        "BatchExecuteStatement",
        handle::<batch_execute_statement::BatchExecuteStatement>,
    ),
    ("BatchGetItem", handle::<batch_get_item::BatchGetItem>),
    ("BatchWriteItem", handle::<batch_write_item::BatchWriteItem>),
    ("CreateBackup", handle::<backups::CreateBackup>),
    ("CreateTable", handle::<create_table::CreateTable>),
    ("DeleteBackup", handle::<backups::DeleteBackup>),
    ("DeleteItem", handle::<delete_item::DeleteItem>),
    (
        "DeleteResourcePolicy",
        handle::<resource_policy::DeleteResourcePolicy>,
    ),
    ("DeleteTable", handle::<delete_table::DeleteTable>),
    ("DescribeBackup", handle::<backups::DescribeBackup>),
    (
        "DescribeContinuousBackups",
        handle::<point_in_time::DescribeContinuousBackups>,
    ),
    (
        "DescribeContributorInsights",
        handle::<contributor_insights::DescribeContributorInsights>,
    ),
    ("DescribeEndpoints", handle::<control::DescribeEndpoints>),
    ("DescribeExport", handle::<export_table::DescribeExport>),
    ("DescribeImport", handle::<import_table::DescribeImport>),
    ("DescribeLimits", handle::<control::DescribeLimits>),
    ("DescribeTable", handle::<describe_table::DescribeTable>),
    (
        "DescribeTableReplicaAutoScaling",
        handle::<contributor_insights::DescribeTableReplicaAutoScaling>,
    ),
    ("DescribeTimeToLive", handle::<control::DescribeTimeToLive>),
    (
        "ExecuteStatement",
        handle::<execute_statement::ExecuteStatement>,
    ),
    (
        "ExecuteTransaction",
        handle::<execute_transaction::ExecuteTransaction>,
    ),
    (
        "ExportTableToPointInTime",
        handle::<export_table::ExportTableToPointInTime>,
    ),
    ("GetItem", handle::<get_item::GetItem>),
    (
        "GetResourcePolicy",
        handle::<resource_policy::GetResourcePolicy>,
    ),
    ("ImportTable", handle::<import_table::ImportTable>),
    ("ListBackups", handle::<backups::ListBackups>),
    (
        "ListContributorInsights",
        handle::<contributor_insights::ListContributorInsights>,
    ),
    ("ListExports", handle::<export_table::ListExports>),
    ("ListImports", handle::<import_table::ListImports>),
    ("ListTables", handle::<list_tables::ListTables>),
    ("ListTagsOfResource", handle::<control::ListTagsOfResource>),
    ("PutItem", handle::<put_item::PutItem>),
    (
        "PutResourcePolicy",
        handle::<resource_policy::PutResourcePolicy>,
    ),
    ("Query", handle::<query::Query>),
    (
        "RestoreTableFromBackup",
        handle::<backups::RestoreTableFromBackup>,
    ),
    (
        "RestoreTableToPointInTime",
        handle::<point_in_time::RestoreTableToPointInTime>,
    ),
    ("Scan", handle::<scan::Scan>),
    ("TagResource", handle::<control::TagResource>),
    (
        "TransactGetItems",
        handle::<transact_get_items::TransactGetItems>,
    ),
    (
        "TransactWriteItems",
        handle::<transact_write_items::TransactWriteItems>,
    ),
    ("UntagResource", handle::<control::UntagResource>),
    (
        "UpdateContinuousBackups",
        handle::<point_in_time::UpdateContinuousBackups>,
    ),
    (
        "UpdateContributorInsights",
        handle::<contributor_insights::UpdateContributorInsights>,
    ),
    ("UpdateItem", handle::<update_item::UpdateItem>),
    ("UpdateTable", handle::<update_table::UpdateTable>),
    (
        "UpdateTableReplicaAutoScaling",
        handle::<contributor_insights::UpdateTableReplicaAutoScaling>,
    ),
    ("UpdateTimeToLive", handle::<control::UpdateTimeToLive>),
];

/// DynamoDB Streams' operations, by `X-Amz-Target` name (`DynamoDBStreams_20120810.*`).
static STREAM_COMMANDS: &[(&str, Handler)] = &[
    ("DescribeStream", handle::<describe_stream::DescribeStream>),
    ("GetRecords", handle::<get_records::GetRecords>),
    (
        "GetShardIterator",
        handle::<get_shard_iterator::GetShardIterator>,
    ),
    ("ListStreams", handle::<list_streams::ListStreams>),
];

/// The operation's canonical name, if the emulator implements it.
pub fn operation(name: &str) -> Option<&'static str> {
    COMMANDS.iter().find(|(n, _)| *n == name).map(|(n, _)| *n)
}

/// The DynamoDB Streams operation's canonical name, if the emulator implements it.
pub fn stream_operation(name: &str) -> Option<&'static str> {
    STREAM_COMMANDS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(n, _)| *n)
}

fn find(name: &str) -> Option<&'static (&'static str, Handler)> {
    // Equality compares lengths first: cheaper than a binary search's string comparisons. The
    // two services' names are distinct, so one search finds either.
    COMMANDS
        .iter()
        .chain(STREAM_COMMANDS)
        .find(|(n, _)| *n == name)
}

/// What one request produced: the response body or error, and how its read was served.
pub struct Reply {
    pub result: Result<Vec<u8>>,
    pub read: Option<ReadInfo>,
    /// An injected fault drops the connection instead of answering, before or after the
    /// request was applied (`result` is then what would have been answered).
    pub reset: bool,
}

/// Runs one operation: JSON in, JSON out, or a DynamoDB error. A panic (an emulator bug) becomes
/// an `InternalServerError` for that request instead of taking the connection or server down.
///
/// The layers every command gets, in order: the clock's per-request tick, the fault layer
/// (an injected error in place of the command, a reset, latency), the command itself, the
/// usage report's request count (on success), the request log.
pub fn dispatch(engine: &Engine, request: &RequestContext, operation: &str, body: &[u8]) -> Reply {
    engine.clock.on_request();
    let Some((name, handler)) = find(operation).copied().or_else(test_only(operation)) else {
        engine.log_request(
            "Unknown",
            LoggedTables::default(),
            ErrorKind::UnknownOperation.short_name(),
            None,
            None,
        );
        return Reply {
            result: Err(DynamoError::new(ErrorKind::UnknownOperation, "")),
            read: None,
            reset: false,
        };
    };
    let mut ctx = Context {
        engine,
        request,
        operation: name,
        read: None,
        used: None,
        more_used: Vec::new(),
        latency: None,
    };
    let fault = engine.faults.decide(engine, name, body);
    let kind = fault.as_ref().map(|f| f.kind);
    let result = match fault.as_ref().and_then(|f| f.error(name)) {
        Some(e) => Err(e),
        None if kind == Some(FaultKind::ResetBeforeApply) => Err(DynamoError::new(
            ErrorKind::InternalServer,
            "The connection was reset before the request was applied (an injected fault)",
        )),
        None => {
            if let (Some(f), Some(FaultKind::Latency(d))) = (&fault, kind) {
                match f.held_in_transaction(name) {
                    true => ctx.latency = Some(d),
                    false => sleep(d),
                }
            }
            run(&mut ctx, handler, body)
        }
    };
    // A latency the command did not spend holding items.
    if let Some(d) = ctx.latency.take() {
        sleep(d);
    }
    // The tables the command looked up, for the report and the log.
    let mut tables = LoggedTables::default();
    for t in ctx.used.iter().chain(ctx.more_used.iter()) {
        tables.push(&t.read().def.name);
    }
    let outcome = match &result {
        _ if kind == Some(FaultKind::ResetBeforeApply) => "ConnectionReset",
        Ok(_) => {
            for table in tables.iter() {
                engine.capacity.usage.request(table, name);
            }
            "ok"
        }
        Err(e) => e.kind.short_name(),
    };
    if let Some(f) = &fault {
        for table in &f.tables {
            engine.capacity.usage.fault(table, name, f.kind.as_str());
        }
    }
    if let Err(e) = &result {
        if lost_to_a_transaction(e) {
            // The tables the command looked up, or (injected before it ran) the request's.
            let injected: Vec<&str> = match tables.is_empty() {
                true => fault
                    .iter()
                    .flat_map(|f| f.tables.iter())
                    .map(String::as_str)
                    .collect(),
                false => tables.iter().collect(),
            };
            for table in injected {
                engine.capacity.usage.conflict(table, name);
            }
        }
    }
    engine.log_request(
        name,
        tables,
        outcome,
        ctx.read.as_ref(),
        kind.map(FaultKind::as_str),
    );
    Reply {
        result,
        read: ctx.read,
        reset: matches!(
            kind,
            Some(FaultKind::ResetBeforeApply | FaultKind::ResetAfterApply)
        ),
    }
}

/// Runs the command, a panic answered as an internal error, and checks the invariants.
fn run(ctx: &mut Context<'_>, handler: Handler, body: &[u8]) -> Result<Vec<u8>> {
    let (engine, name) = (ctx.engine, ctx.operation);
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let result = handler(ctx, body);
        check_invariants(engine, name);
        result
    }))
    .unwrap_or_else(|_| {
        // The panic hook has printed where; this says which request, so it can be replayed.
        const SHOWN: usize = 4096;
        eprintln!(
            "dynamodb-emulator: internal error (an emulator bug) in {name}; request body{}: {}",
            if body.len() > SHOWN {
                " (first 4 KB)"
            } else {
                ""
            },
            String::from_utf8_lossy(&body[..body.len().min(SHOWN)])
        );
        Err(DynamoError::internal_bug())
    })
}

/// Whether a request lost to an in-flight transaction: its own TransactionConflictException,
/// or a cancellation with a `TransactionConflict` reason.
fn lost_to_a_transaction(e: &DynamoError) -> bool {
    e.kind == ErrorKind::TransactionConflict
        || e.cancellation_reasons
            .iter()
            .flatten()
            .any(|r| r["Code"] == "TransactionConflict")
}

/// Holds the request back (an injected latency) without holding up the server's other
/// connections.
fn sleep(d: std::time::Duration) {
    super::blocking(|| std::thread::sleep(d));
}

/// Tables up to this many items are checked after every operation in debug builds; larger ones
/// would make the check cost more than the tests it guards.
#[cfg(debug_assertions)]
const CHECKED_TABLE_ITEMS: usize = 10_000;

/// Debug builds check every table's bookkeeping after every operation, failed ones included (a
/// failed request must change nothing): a broken invariant panics, and the request answers
/// InternalServerError with the invariant in the log.
#[cfg(debug_assertions)]
fn check_invariants(engine: &Engine, operation: &str) {
    for table in engine.catalog.all() {
        let t = table.read();
        if t.item_count() > CHECKED_TABLE_ITEMS {
            continue;
        }
        if let Err(broken) = t.check_invariants() {
            panic!("after {operation}, table {}: {broken}", t.def.name);
        }
    }
}

#[cfg(not(debug_assertions))]
fn check_invariants(_: &Engine, _: &str) {}

#[cfg(not(test))]
fn test_only(_: &str) -> impl FnOnce() -> Option<(&'static str, Handler)> {
    || None
}

/// `__Panic`: an operation that panics, to test that a bug answers 500 and the engine survives.
#[cfg(test)]
fn test_only(name: &str) -> impl FnOnce() -> Option<(&'static str, Handler)> {
    let panics = name == "__Panic";
    move || {
        panics.then_some((
            "Unknown",
            (|_, _| panic!("a test-only operation that panics")) as Handler,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;

    #[test]
    fn the_command_table_is_sorted_and_complete() {
        assert!(COMMANDS.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(COMMANDS.len(), 47);
        assert_eq!(operation("GetItem"), Some("GetItem"));
        assert_eq!(operation("getitem"), None);
    }

    #[test]
    fn a_panic_is_an_internal_server_error_not_a_crash() {
        let engine = Engine::new(0, Clock::real(), crate::engine::Options::default());
        let ctx = RequestContext::default();
        let e = dispatch(&engine, &ctx, "__Panic", b"{}")
            .result
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::InternalServer);
        // The engine still serves requests afterwards.
        assert!(dispatch(&engine, &ctx, "ListTables", b"{}").result.is_ok());
    }
}
