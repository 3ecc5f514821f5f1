//! DynamoDB's operations, one command (`command.rs`) per operation, and the dispatcher that maps an
//! `X-Amz-Target` operation name and a JSON body to one of them.
//!
//! Each operation validates its whole input before it changes anything, so a failed request has
//! no effect (DynamoDB's rule, and the emulator's). The data-plane commands (items, batches,
//! transactions, Query, Scan) go through the capacity layer in `metered.rs`; the shared
//! validation lives in `validate.rs`. The four DynamoDB Streams operations (`list_streams.rs`,
//! `describe_stream.rs`, `get_shard_iterator.rs`, `get_records.rs`, sharing `streams.rs`) have
//! their own `X-Amz-Target` prefix and table.

mod backups;
mod batch_execute_statement;
mod batch_get_item;
mod batch_write_item;
mod command;
mod contributor_insights;
mod control;
mod create_table;
mod delete_item;
mod delete_table;
mod describe_stream;
mod describe_table;
pub mod emulator_control;
mod execute_statement;
mod execute_transaction;
mod export_table;
mod get_item;
mod get_records;
mod get_shard_iterator;
mod import_table;
mod key_condition;
mod list_streams;
mod list_tables;
mod metered;
mod point_in_time;
mod put_item;
mod query;
mod query_page;
mod resource_policy;
mod scan;
mod single_item;
mod statement;
mod streams;
mod table_schema;
mod transact_get_items;
mod transact_write_items;
mod update_item;
mod update_table;
mod validate;
mod wire;

pub use command::{dispatch, operation, stream_operation};
pub(crate) use table_schema::reserve_recovered;
pub(crate) use validate::{check_index_keys, check_item_size};

/// Runs `f`, which blocks on I/O (an export's or an import's object store), letting the
/// server's runtime move its other tasks off this thread meanwhile.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

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
