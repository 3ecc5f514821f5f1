//! Storage: the table namespace, table definitions, keys and items.
//!
//! Items of a table are kept in one ordered map keyed by [`key::StoredKey`]: the partition key's
//! stable hash first, then the partition key, then the sort key. That single order gives what
//! DynamoDB's access paths need: a Query is a range scan inside one partition key (O(log n + page)),
//! a Scan walks partitions in hash order (as DynamoDB's does), and resuming from an
//! ExclusiveStartKey is one seek.

pub mod catalog;
pub mod key;
pub mod table;

pub use catalog::Catalog;
pub use key::{KeyAttribute, KeySchema, KeyValue, StoredKey};
pub use table::{BillingMode, IndexDefinition, Projection, ProjectionType, Table, TableStatus};
