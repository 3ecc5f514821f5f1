//! An embeddable, in-memory DynamoDB emulator.
//!
//! Start one with [`Emulator::builder`], then either serve DynamoDB's JSON wire protocol over
//! HTTP (any AWS SDK or the AWS CLI can point at it) or call it in-process ([`InProcess`]).
//! Unlike other local DynamoDBs it models what makes DynamoDB DynamoDB: items hash to
//! partitions with a leader and two replicas, eventually consistent reads may miss writes
//! still replicating ([`Consistency`], [`LagModel`]), and every request is metered and may be
//! throttled as DynamoDB meters and throttles it ([`Quotas`]). Under a seed and a virtual
//! [`Clock`], the same requests give byte-identical answers, staleness included.
//!
//! Inside, the crate is organised by DynamoDB concept, lowest layer first: `value` (the data
//! model), `error` (DynamoDB's error model), `expression` (the expression language),
//! `storage` (table definitions, keys and the item store), `replication` (partitions,
//! replicas, lag and read views), `capacity` (units, buckets, throttling, quotas, usage),
//! `table` (a table composed of the four), `backup` (backups and point-in-time history),
//! `object_store` (DynamoDB's S3: a directory or an S3-compatible endpoint) and `transfer`
//! (export and import jobs and their file formats), `transaction` (the items in-flight
//! transactions hold: DynamoDB's conflicts), `faults` (injected errors, resets and latency),
//! `operations` (one command per operation, and the capacity layer), `server` (HTTP) and
//! `embed` (the API a test uses).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod backup;
mod capacity;
mod clock;
mod embed;
mod engine;
mod error;
pub mod expression;
mod faults;
mod object_store;
mod operations;
pub mod partiql;
mod persistence;
mod replication;
mod server;
mod storage;
mod stream;
mod table;
mod transaction;
mod transfer;
mod value;

pub use capacity::Quotas;
pub use clock::{Clock, DEFAULT_VIRTUAL_START, MAX_TIME};
pub use embed::{Emulator, EmulatorBuilder, InProcess};
pub use error::{DynamoError, ErrorKind};
pub use faults::{FaultKind, FaultRule};
pub use object_store::{ObjectStore, S3Endpoint};
pub use persistence::{CompactionReport, FsyncPolicy, RecoveryReport};
pub use replication::lag::{parse_duration, MAX_LAG};
pub use replication::{Consistency, LagModel};
pub use server::{Credentials, Timeouts};
pub use stream::reader::{StreamEvent, StreamReader, StreamRecord};
pub use value::{packed, AttributeValue, Item, Name, Number, Text};
