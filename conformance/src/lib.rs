//! Differential conformance harness. Not built yet: this crate is filled by the conformance issue.
