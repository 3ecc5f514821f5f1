//! Storage: table definitions, keys, and the item store.
//!
//! Items of a table are kept packed ([`stored::StoredItem`]) in one ordered set, by
//! [`key::StoredKey`]: the partition key's stable hash first, then the partition key, then the
//! sort key. That single order gives what
//! DynamoDB's access paths need: a Query is a range scan inside one partition key (O(log n + page)),
//! a Scan walks partitions in hash order (as DynamoDB's does), and resuming from an
//! ExclusiveStartKey is one seek. The replicas and the capacity of a table are layers above the
//! store ([`crate::replication`], [`crate::capacity`]), composed in [`crate::table`].

pub mod definition;
pub mod key;
pub mod store;
pub mod stored;

pub use definition::{
    BillingMode, IndexDefinition, Projection, ProjectionType, TableDefinition, TableStatus,
};
pub use key::{IndexTie, KeyAttribute, KeySchema, KeyValue, StoredKey};
pub use store::{Found, ItemStore, ReadItem};
