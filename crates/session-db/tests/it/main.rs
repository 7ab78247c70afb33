//! session-db integration tests: one binary, one module per concern.

mod common;
mod conformance;
mod django;
mod expiry;
#[cfg(feature = "postgres")]
mod postgres;
mod sqlite;
