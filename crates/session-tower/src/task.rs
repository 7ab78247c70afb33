//! A background task that sweeps expired sessions (Django's `clearsessions` on a timer).

use std::sync::Arc;
use std::time::Duration;

use session_core::ClearExpired;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

/// Spawns a task that calls [`ClearExpired::clear_expired`] on the blocking thread pool
/// right away and then every `every`, for as long as it is not aborted.
///
/// A failed sweep is logged (`error` level) and the task keeps going: the next tick
/// tries again. (tower-sessions' equivalent stops at the first error.) A sweep that takes
/// longer than `every` delays the next one instead of piling up. Stop it with
/// [`JoinHandle::abort`]; dropping the handle leaves it running.
///
/// Only stores that can sweep implement [`ClearExpired`], so passing a signed-cookie store
/// is a compile error.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use std::sync::Arc;
/// use std::time::Duration;
/// use session_core::{MemoryStore, SessionManager};
///
/// let store = Arc::new(MemoryStore::new());
/// let manager = SessionManager::new(store.clone());
/// let sweeper = session_tower::spawn_clear_expired(store, Duration::from_secs(3600));
/// // ... serve requests with `SessionLayer::new(manager)` ...
/// # let _ = manager;
/// sweeper.abort();
/// # }
/// ```
///
/// # Panics
/// When `every` is zero, or when called outside a tokio runtime.
pub fn spawn_clear_expired<S>(store: Arc<S>, every: Duration) -> JoinHandle<()>
where
    S: ClearExpired + ?Sized + 'static,
{
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    tokio::spawn(async move {
        loop {
            ticks.tick().await;
            let store = Arc::clone(&store);
            let backend = store.backend_name();
            match tokio::task::spawn_blocking(move || store.clear_expired()).await {
                Ok(swept) => {
                    session_core::telemetry::record_sweep(backend, &swept);
                    match swept {
                        Ok(count) => tracing::debug!(count, "cleared expired sessions"),
                        Err(error) => tracing::error!(
                            error = &error as &dyn std::error::Error,
                            "clearing expired sessions failed; retrying at the next tick"
                        ),
                    }
                }
                Err(join) => tracing::error!(
                    error = &join as &dyn std::error::Error,
                    "the session sweep panicked; retrying at the next tick"
                ),
            }
        }
    })
}
