//! The crate's integration tests, in one binary (one link instead of one per file).

#[macro_use]
mod common;
mod dynamodb_local;
mod emulator;
