//! The crate's integration tests, in one binary (one link instead of one per file).

mod boto3_sdk;
mod determinism;
mod js_sdk;
mod signals;
mod stream_lineage;
