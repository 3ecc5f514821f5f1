//! DynamoDB's operations, one command (`command.rs`) per operation, and the dispatcher that maps an
//! `X-Amz-Target` operation name and a JSON body to one of them.
//!
//! Each operation validates its whole input before it changes anything, so a failed request has
//! no effect (DynamoDB's rule, and the emulator's). The data-plane commands (items, batches,
//! transactions, Query, Scan) go through the capacity layer in `metered.rs`; the shared
//! validation lives in `validate.rs`.

mod batch_get_item;
mod batch_write_item;
mod command;
mod control;
mod create_table;
mod delete_item;
mod delete_table;
mod describe_table;
pub mod emulator_control;
mod get_item;
mod key_condition;
mod list_tables;
mod metered;
mod put_item;
mod query;
mod query_page;
mod scan;
mod single_item;
mod table_schema;
mod transact_get_items;
mod transact_write_items;
mod update_item;
mod update_table;
mod validate;
mod wire;

pub use command::{dispatch, operation};
pub use describe_table::iso8601;

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
