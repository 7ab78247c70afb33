//! Where the stores of this crate run their blocking work for async callers: on tokio's
//! blocking pool when called inside a tokio runtime, else on the calling thread.

use session_core::{Error, Result};

use crate::DbStore;
#[cfg(feature = "postgres")]
use crate::PgStore;

/// Runs `f` on a clone of the store, off the async executor when there is one.
pub(crate) async fn run<S, T>(
    store: S,
    f: impl FnOnce(&S) -> Result<T> + Send + 'static,
) -> Result<T>
where
    S: Send + 'static,
    T: Send + 'static,
{
    if tokio::runtime::Handle::try_current().is_err() {
        return f(&store);
    }
    tokio::task::spawn_blocking(move || f(&store))
        .await
        .map_err(|join| Error::backend("session-db", join))?
}

session_core::impl_async_blocking!(DbStore, run, clear_expired);
#[cfg(feature = "postgres")]
session_core::impl_async_blocking!(PgStore, run, clear_expired);
