//! What the workspace's test suites share.
//!
//! - [`start`], [`start_with`]: an emulator on a free port with a real `aws-sdk-dynamodb`
//!   client pointed at it ([`TestEnv`]); [`client_for`] any other endpoint, and
//!   [`streams_client_for`] a DynamoDB Streams client.
//! - [`ks`], [`ad`], [`gsi`], [`s`], [`n`], [`create_table`]: the request shapes tests repeat.
//! - [`error_of`] and [`Expected`]: DynamoDB's error code and message, checked case by case in
//!   table-driven tests ([`Expected::check`] names the failing case).
//! - [`raw_post`], [`raw_request`]: HTTP below the SDK.
//! - [`DynamoDbLocal`] runs Amazon's DynamoDB Local (installed and cached under `target/` by
//!   `scripts/dynamodb-local.sh`) for a test, and stops it when dropped, panics included: a
//!   failed assertion no longer leaves a JVM running. Suites that compare the emulator with
//!   DynamoDB Local (the differential suite, the mapper's scenarios, the conformance runs)
//!   start it here instead of each writing their own start-up.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod expect;
mod local;
mod raw;
mod sdk;

pub use aws_sdk_dynamodb;
pub use dynamodb_emulator;
pub use expect::Expected;
pub use local::{DynamoDbLocal, SKIP_VAR};
pub use raw::{raw_method, raw_post, raw_request, try_raw_post, RawAnswer, UNVERIFIED_SIGNATURE};
pub use sdk::*;
