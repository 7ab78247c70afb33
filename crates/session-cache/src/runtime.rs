//! Where the stores of this crate run for async callers: `MokaStore` in place (memory
//! only); `CachedStore` answers a hit of an in-memory cache in place; everything else runs
//! on tokio's blocking pool when called inside a tokio runtime (it waits on another store
//! or on the network), else on the calling thread.

use session_core::{
    AsyncClearExpired, AsyncSessionStore, ClearExpired, Record, Result, SessionStore,
};

use crate::{CachedStore, KeyedCache};

session_core::tokio_blocking_runner!(fn run, "session-cache");

#[cfg(feature = "redis")]
session_core::impl_async_blocking!(crate::RedisStore, run);

impl<C, S> AsyncSessionStore for CachedStore<C, S>
where
    C: KeyedCache + 'static,
    S: SessionStore + 'static,
{
    /// A hit in an in-memory cache answers in place; the rest goes to the blocking pool.
    async fn load_record(&self, key: &str) -> Result<Option<Record>> {
        if let Some(answer) = self.answer_in_place(key) {
            return Ok(answer);
        }
        let key = key.to_owned();
        run(self.clone(), move |s| SessionStore::load_record(s, &key)).await
    }
    async fn load(&self, key: &str) -> Result<Option<Vec<u8>>> {
        if let Some(answer) = self.answer_in_place(key) {
            return Ok(answer.map(|record| record.data));
        }
        let key = key.to_owned();
        run(self.clone(), move |s| SessionStore::load(s, &key)).await
    }

    async fn exists(&self, key: &str) -> Result<bool> {
        if let Some(answer) = self.answer_in_place(key) {
            return Ok(answer.is_some());
        }
        let key = key.to_owned();
        run(self.clone(), move |s| SessionStore::exists(s, &key)).await
    }
    session_core::blocking_writes!(run);
}

impl<C, S> AsyncClearExpired for CachedStore<C, S>
where
    C: KeyedCache + 'static,
    S: ClearExpired + 'static,
{
    async fn clear_expired(&self) -> Result<u64> {
        run(self.clone(), ClearExpired::clear_expired).await
    }
}
