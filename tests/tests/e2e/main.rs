//! The end-to-end suite, one module per DynamoDB area, in one binary: each test binary links
//! the SDK, and one link instead of nine is most of the suite's build time.

mod batch_transact;
mod capacity;
mod consistency;
mod control_plane;
mod differential;
mod export_import;
mod faults;
mod fidelity;
mod hardening;
mod items;
mod partiql;
mod persistence;
mod query_scan;
mod streams;
mod wire;
