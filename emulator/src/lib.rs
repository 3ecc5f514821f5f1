//! An embeddable, in-memory DynamoDB emulator.
//!
//! The crate is organised by DynamoDB concept: [`value`] (the data model), [`expression`] (the
//! expression language), [`storage`] (tables, keys and items), [`operations`] (one command per
//! operation), [`server`] (the JSON wire protocol over HTTP) and [`embed`] (the API a test uses).
#![forbid(unsafe_code)]

pub mod capacity;
pub mod clock;
pub mod embed;
pub mod engine;
pub mod error;
pub mod expression;
pub mod operations;
pub mod replication;
pub mod server;
pub mod storage;
pub mod table;
pub mod value;

pub use embed::{Emulator, EmulatorBuilder, InProcess};
pub use engine::{Engine, Options};
pub use error::{DynamoError, ErrorKind};
