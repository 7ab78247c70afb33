//! The per-request state the layer shares with every extractor of one request.

use std::sync::Arc;

use session_core::{Error, Result, Session as CoreSession};
use tokio::sync::Mutex;

/// One request's session, behind an async mutex, plus where its store I/O runs.
///
/// Every method takes the lock for one operation only and never while awaiting anything
/// else, so two extractors of one request (or a middleware and a handler) can share it
/// without any order of calls deadlocking.
#[derive(Clone)]
pub(crate) struct Handle {
    session: Arc<Mutex<CoreSession>>,
    /// Run store I/O on the executor thread instead of the blocking pool.
    inline: bool,
}

impl Handle {
    pub(crate) fn new(session: CoreSession, inline: bool) -> Self {
        Handle {
            session: Arc::new(Mutex::new(session)),
            inline,
        }
    }

    pub(crate) fn inline(&self) -> bool {
        self.inline
    }

    /// Runs `f` on the session without store I/O (the session is already loaded).
    pub(crate) async fn memory<T>(&self, f: impl FnOnce(&mut CoreSession) -> T) -> T {
        let mut guard = self.session.lock().await;
        f(&mut guard)
    }

    /// Starts an operation on the session with `begin` (`begin_save`, `begin_flush`, ...),
    /// then performs the store operations the session asks for: on this task when the store
    /// runs inline or none is needed, else all of them in one hop to the blocking pool. The
    /// lock is held throughout, so other users of the session wait asynchronously instead
    /// of seeing a half-done operation. Which operations happen is the session's decision,
    /// never this driver's.
    pub(crate) async fn drive<T>(&self, begin: impl FnOnce(&mut CoreSession) -> T) -> Result<T> {
        let mut guard = Arc::clone(&self.session).lock_owned().await;
        let value = begin(&mut guard);
        if self.inline || !guard.needs_store() {
            guard.perform_pending()?;
            return Ok(value);
        }
        tokio::task::spawn_blocking(move || guard.perform_pending())
            .await
            .map_err(|join| Error::backend("spawn_blocking", join))??;
        Ok(value)
    }
}
