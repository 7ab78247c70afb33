//! session-db integration tests: one binary, one module per concern.

mod common;
mod conformance;
mod django;
#[cfg(feature = "postgres")]
mod executor;
mod expiry;
mod in_place;
#[cfg(feature = "postgres")]
mod postgres;
mod sqlite;
