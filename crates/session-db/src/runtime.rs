//! Where the stores of this crate run their blocking work for async callers: on tokio's
//! blocking pool when called inside a tokio runtime, else on the calling thread.

#[cfg(feature = "postgres")]
use crate::PostgresStore;
use crate::SqliteStore;

session_core::tokio_blocking_runner!(fn run, "session-db");

session_core::impl_async_blocking!(SqliteStore, run, clear_expired);
#[cfg(feature = "postgres")]
session_core::impl_async_blocking!(PostgresStore, run, clear_expired);
