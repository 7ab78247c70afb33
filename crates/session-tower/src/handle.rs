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

    /// Runs `f`, which may touch the store, on the blocking pool (one hop) unless the
    /// store runs inline. The lock is held for the hop, so other users of the session wait
    /// asynchronously instead of seeing a half-done operation.
    pub(crate) async fn store<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut CoreSession) -> Result<T> + Send + 'static,
    {
        self.store_if(|_| true, f).await
    }

    /// Like [`store`](Self::store), but takes no hop when `needed` says, under the lock,
    /// that no I/O will happen.
    pub(crate) async fn store_if<T, F>(
        &self,
        needed: impl FnOnce(&CoreSession) -> bool,
        f: F,
    ) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut CoreSession) -> Result<T> + Send + 'static,
    {
        let mut guard = Arc::clone(&self.session).lock_owned().await;
        if self.inline || !needed(&guard) {
            return f(&mut guard);
        }
        tokio::task::spawn_blocking(move || f(&mut guard))
            .await
            .map_err(|join| Error::backend("spawn_blocking", join))?
    }
}
