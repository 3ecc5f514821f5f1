//! End-to-end tests: real `aws-sdk-dynamodb` clients against a started emulator over HTTP.
//!
//! The tests are one binary, `tests/e2e/`, one module per DynamoDB area; what they share (the
//! emulator with a client, request builders, error checks, DynamoDB Local) is the
//! `dynamodb-test-support` crate. This library is empty: a package needs a target, and the
//! suites are integration tests.
#![forbid(unsafe_code)]
