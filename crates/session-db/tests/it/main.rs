//! session-db integration tests: one binary, one module per concern.

mod common;
mod conformance;
mod django;
#[cfg(feature = "postgres")]
mod executor;
mod expiry;
mod in_place;
#[cfg(feature = "postgres")]
mod pg_faults;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "postgres")]
mod private_pg;
mod sqlite;
