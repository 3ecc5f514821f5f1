//! Differential conformance: generated workloads (proptest) run against a reference and a target,
//! with any difference shrunk to a minimal sequence of requests.
//!
//! - [`ops`]: the operations a workload is made of, their generators, and their wire requests.
//! - [`model`]: a small, obviously-correct, single-threaded model of DynamoDB's item semantics.
//! - [`target`]: where requests go: the emulator in-process, or any endpoint over HTTP
//!   (DynamoDB Local in CI, AWS when credentials are given to a signing proxy).
//! - [`values`]: generated attribute values; [`normalise`]: the canonical form answers are
//!   compared in.
//! - [`runner`]: runs a workload, normalises what legitimately differs, compares, reports.
#![forbid(unsafe_code)]

pub mod expr;
pub mod model;
pub mod normalise;
pub mod ops;
pub mod runner;
pub mod sigv4;
pub mod target;
pub mod update;
pub mod values;
