//! The crate's integration tests, in one binary (one link instead of one per file).

mod consistency;
mod dynamodb_local;
mod model;
