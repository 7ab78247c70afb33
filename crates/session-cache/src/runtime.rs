//! Where the stores of this crate run for async callers: `MokaStore` in place (memory
//! only); `RedisStore` is async-native (its own module); `CachedStore` answers a hit of an
//! in-memory cache in place and runs everything else on tokio's blocking pool when called
//! inside a tokio runtime (it waits on another store, or on a cache through its sync
//! face), else on the calling thread.

use session_core::{
    AsyncClearExpired, AsyncSessionStore, ClearExpired, Record, Result, SessionStore, key,
};

use crate::cached::Lookup;
use crate::{CachedStore, KeyedCache};

session_core::tokio_blocking_runner!(fn run, "session-cache");

impl<C, S> AsyncSessionStore for CachedStore<C, S>
where
    C: KeyedCache + 'static,
    S: SessionStore + 'static,
{
    /// An in-memory cache is read in place (a hit answers there); the store, and a cache
    /// that is not in memory, on the blocking pool. The cache is read once either way.
    async fn load_record(&self, key: &str) -> Result<Option<Record>> {
        if !key::is_well_formed(key) {
            return Ok(None);
        }
        let key = key.to_owned();
        if !self.cache_in_memory() {
            return run(self.clone(), move |s| SessionStore::load_record(s, &key)).await;
        }
        match self.lookup(&key) {
            Lookup::Hit(record) => Ok(Some(record)),
            lookup => run(self.clone(), move |s| s.load_after(&key, lookup)).await,
        }
    }

    async fn load(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let record = AsyncSessionStore::load_record(self, key).await?;
        Ok(record.map(|record| record.data))
    }

    async fn exists(&self, key: &str) -> Result<bool> {
        if !key::is_well_formed(key) {
            return Ok(false);
        }
        let key = key.to_owned();
        if !self.cache_in_memory() {
            return run(self.clone(), move |s| SessionStore::exists(s, &key)).await;
        }
        if self.cached(&key) {
            return Ok(true);
        }
        run(self.clone(), move |s| s.store().exists(&key)).await
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
