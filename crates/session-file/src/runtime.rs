//! Where the file store runs its blocking work for async callers: on tokio's blocking pool
//! when called inside a tokio runtime, else on the calling thread. A clone of the store is
//! a few pointers.

use crate::FileStore;

session_core::tokio_blocking_runner!(fn run, "file");

session_core::impl_async_blocking!(FileStore, run, clear_expired);
