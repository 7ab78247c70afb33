//! The per-request state the layer shares with every extractor of one request.

use std::sync::Arc;

use session_core::{
    CookieAction, Error, Result, Session as CoreSession, SessionManager, key_prefix,
};
// futures' mutex: uncontended, a lock and an unlock are one atomic operation each
use futures_util::lock::{Mutex, OwnedMutexGuard};

/// Where a request's store operations run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Drive {
    /// The store's async side decides (the default for stores that have one).
    Async,
    /// The sync side, on the executor thread (`inline(true)`, memory-only sync stores).
    Inline,
    /// The sync side, one hop to the blocking pool per phase (`inline(false)`, sync-only
    /// stores that block).
    Hop,
}

impl Drive {
    /// Where `manager`'s store operations run unless the user chose: memory-only stores
    /// through their sync face in place (the same work as their async face, without a
    /// boxed future per operation), other stores with an async face through it, and
    /// sync-only stores as `otherwise` says.
    pub(crate) fn default_for(manager: &SessionManager, otherwise: Drive) -> Drive {
        if manager.store().runs_inline() {
            Drive::Inline
        } else if manager.has_async_store() {
            Drive::Async
        } else {
            otherwise
        }
    }
}

/// One request's session, behind an async mutex, plus where its store I/O runs.
///
/// Every method takes the lock for one operation only and never while awaiting anything
/// else, so two extractors of one request (or a middleware and a handler) can share it
/// without any order of calls deadlocking.
#[derive(Clone)]
pub(crate) struct Handle {
    session: Arc<Mutex<CoreSession>>,
    drive: Drive,
}

impl Handle {
    pub(crate) fn new(session: CoreSession, drive: Drive) -> Self {
        Handle {
            session: Arc::new(Mutex::new(session)),
            drive,
        }
    }

    pub(crate) fn drive_mode(&self) -> Drive {
        self.drive
    }

    /// The session's lock; uncontended (the common case), taken without a lock future.
    async fn lock(&self) -> OwnedMutexGuard<CoreSession> {
        match self.session.try_lock_owned() {
            Some(guard) => guard,
            None => Arc::clone(&self.session).lock_owned().await,
        }
    }

    /// Runs `f` on the session without store I/O (the session is already loaded).
    pub(crate) async fn memory<T>(&self, f: impl FnOnce(&mut CoreSession) -> T) -> T {
        f(&mut *self.lock().await)
    }

    /// Runs `f` on the loaded session: loads it first (through [`drive`](Self::drive)'s
    /// path) when nothing has yet, under the same lock. For every method that reads or
    /// changes the data.
    pub(crate) async fn loaded<T>(
        &self,
        f: impl FnOnce(&mut CoreSession) -> Result<T>,
    ) -> Result<T> {
        self.drive_then(|s| s.begin_load(), |s, ()| f(s)).await?
    }

    /// Starts an operation on the session with `begin` (`begin_save`, `begin_flush`, ...),
    /// then performs the store operations the session asks for, where [`Drive`] says. The
    /// lock is held throughout, so other users of the session wait asynchronously instead
    /// of seeing a half-done operation. Which operations happen is the session's decision,
    /// never this driver's.
    pub(crate) async fn drive<T>(&self, begin: impl FnOnce(&mut CoreSession) -> T) -> Result<T> {
        self.drive_then(begin, |_, value| value).await
    }

    /// The response phase, under one lock: Django's decision for a response of `status`
    /// ([`SessionManager::plan`]) and its store operations, then the cookie to send and the
    /// prefix of the session's key (for request logs).
    pub(crate) async fn respond(
        &self,
        status: u16,
        had_cookie: bool,
    ) -> Result<(CookieAction, Option<String>)> {
        self.drive_then(
            |s| {
                let plan = s.manager().plan(s, status, had_cookie);
                plan.begin(s);
                plan
            },
            |s, plan| Ok((plan.cookie(s)?, s.key().map(key_prefix))),
        )
        .await?
    }

    /// [`drive`](Self::drive), then `then` under the same lock.
    async fn drive_then<B, T>(
        &self,
        begin: impl FnOnce(&mut CoreSession) -> B,
        then: impl FnOnce(&mut CoreSession, B) -> T,
    ) -> Result<T> {
        let mut guard = self.lock().await;
        let value = begin(&mut guard);
        if !guard.needs_store() {
            guard.perform_pending()?;
            return Ok(then(&mut guard, value));
        }
        let manager = guard.manager().clone();
        match (self.drive, manager.async_store()) {
            (Drive::Async, Some(store)) => {
                while let Some(op) = guard.next_op()? {
                    let outcome = op.perform_async(store).await;
                    guard.complete(outcome)?;
                }
            }
            (Drive::Hop, _) => {
                let (back, done) = tokio::task::spawn_blocking(move || {
                    let done = guard.perform_pending();
                    (guard, done)
                })
                .await
                .map_err(|join| match join.try_into_panic() {
                    Ok(payload) => Error::panicked("spawn_blocking", payload),
                    Err(join) => Error::backend("spawn_blocking", join),
                })?;
                guard = back;
                done?;
            }
            (Drive::Inline | Drive::Async, _) => guard.perform_pending()?,
        }
        Ok(then(&mut guard, value))
    }
}
