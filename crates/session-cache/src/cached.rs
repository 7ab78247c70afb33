//! `CachedStore`: a cache in front of any store (Django's `cached_db`).

use std::sync::{Arc, MutexGuard};
use std::time::{Duration, SystemTime};

use session_core::expiry::saturating_add;
use session_core::{ClearExpired, Error, Record, Result, SessionStore, key, key_prefix};

use crate::locks::KeyLocks;

/// A cache that sessions can be put into under a key chosen elsewhere.
///
/// [`SessionStore`] cannot do this (its `create` picks the key, its `save` refuses absent
/// keys), yet a write-through cache must copy what the store just created. This small
/// trait is that ability; [`MokaStore`](crate::MokaStore) and `RedisStore` (feature
/// `redis`) implement it.
///
/// # Contract
/// - `get` returns the record (bytes and expiry) of a live entry, or `None` (unknown,
///   expired, malformed key).
/// - `put` stores `record` under `key` unconditionally, replacing any entry; a record
///   that has already expired removes the entry instead.
/// - `remove` removes the entry if present; `contains` tells whether a live one exists.
/// - Errors are reported, not hidden: [`CachedStore`] decides to log and go on.
///
/// ```
/// use std::collections::HashMap;
/// use std::sync::Mutex;
/// use std::time::SystemTime;
/// use session_cache::KeyedCache;
/// use session_core::{Record, Result};
///
/// #[derive(Default)]
/// struct MapCache(Mutex<HashMap<String, Record>>);
///
/// impl KeyedCache for MapCache {
///     fn get(&self, key: &str) -> Result<Option<Record>> {
///         let map = self.0.lock().unwrap();
///         Ok(map.get(key).filter(|r| !r.is_expired_at(SystemTime::now())).cloned())
///     }
///     fn put(&self, key: &str, record: &Record) -> Result<()> {
///         self.0.lock().unwrap().insert(key.to_owned(), record.clone());
///         Ok(())
///     }
///     fn remove(&self, key: &str) -> Result<()> {
///         self.0.lock().unwrap().remove(key);
///         Ok(())
///     }
///     fn contains(&self, key: &str) -> Result<bool> {
///         Ok(self.get(key)?.is_some())
///     }
/// }
///
/// let cache = MapCache::default();
/// cache.put("abcdefgh", &Record::new(vec![1], SystemTime::now() + std::time::Duration::from_secs(9)))?;
/// assert!(cache.contains("abcdefgh")?);
/// # Ok::<(), session_core::Error>(())
/// ```
pub trait KeyedCache: Send + Sync {
    /// The record of the live entry under `key`, or `None`.
    fn get(&self, key: &str) -> Result<Option<Record>>;
    /// Stores `record` under `key`, replacing any entry (an expired record removes it).
    fn put(&self, key: &str, record: &Record) -> Result<()>;
    /// Removes the entry under `key`; unknown keys are fine.
    fn remove(&self, key: &str) -> Result<()>;
    /// Whether a live entry exists under `key`.
    fn contains(&self, key: &str) -> Result<bool>;
    /// `true` when every operation only touches memory (see
    /// [`SessionStore::runs_inline`]). Defaults to `false`.
    ///
    /// ```
    /// use session_cache::{MokaStore, KeyedCache};
    /// assert!(KeyedCache::runs_inline(&MokaStore::new()));
    /// ```
    fn runs_inline(&self) -> bool {
        false
    }
}

impl<C: KeyedCache + ?Sized> KeyedCache for Arc<C> {
    fn get(&self, key: &str) -> Result<Option<Record>> {
        (**self).get(key)
    }
    fn put(&self, key: &str, record: &Record) -> Result<()> {
        (**self).put(key, record)
    }
    fn remove(&self, key: &str) -> Result<()> {
        (**self).remove(key)
    }
    fn contains(&self, key: &str) -> Result<bool> {
        (**self).contains(key)
    }
    fn runs_inline(&self) -> bool {
        (**self).runs_inline()
    }
}

/// The fill TTL of earlier releases, when a load could not tell a session's expiry.
#[deprecated(
    note = "fills now last until the session's own expiry; cap them with `CachedStore::with_fill_ttl` if you need to"
)]
pub const DEFAULT_FILL_TTL: Duration = Duration::from_secs(60);

/// A cache in front of any store: Django's `cached_db` engine.
///
/// - **Write-through**: `create` and `save` write the store first, then the cache.
///   The store is the truth: if it says [`Error::Interrupted`], so does `CachedStore`
///   (and the cache entry is dropped).
/// - **Read-through**: `load` and `exists` ask the cache first; on a miss `load` reads
///   the store and fills the cache.
/// - **Delete from both**; `clear_expired` is the store's (cache entries expire by
///   themselves).
/// - **A failing cache never fails a request** (Django's `test_cache_set_failure_non_fatal`):
///   the store answers and the failure is logged, with the cache's error as the `error`
///   field. A failed read or fill is a `warn` event (only speed is lost); a failed update
///   after the store's write is an `error` event, as Django logs it, since the cache may
///   then serve stale data. Store errors are returned as they are.
///
/// Writes and cache fills of one key are serialized inside a `CachedStore` (a striped
/// lock), so on one node a fill can never put back a session that a concurrent delete
/// removed. Nodes sharing a Redis cache do not share that lock: as in Django, a load on
/// one node racing a logout on another can leave the old session in the cache until it
/// expires, or for at most the fill TTL when you set one.
///
/// **Fills.** A session read from the store on a miss is cached until its own expiry
/// ([`SessionStore::load_record`] gives it), as are sessions written through
/// `create`/`save`. [`CachedStore::with_fill_ttl`] caps how long a fill stays, for
/// several nodes that each keep a cache in front of one shared store: it bounds how long
/// one node can serve a session that another node changed.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use session_cache::{MokaStore, CachedStore, KeyedCache};
/// use session_core::{MemoryStore, Record, SessionStore};
///
/// let store = CachedStore::new(MokaStore::new(), MemoryStore::new());
/// let key = store.create(&Record::new(b"{}".to_vec(), SystemTime::now() + Duration::from_secs(60)))?;
/// assert!(store.cache().contains(&key)?);           // written through
/// assert!(store.store().exists(&key)?);
/// store.delete(&key)?;
/// assert_eq!(store.load(&key)?, None);
/// # Ok::<(), session_core::Error>(())
/// ```
pub struct CachedStore<C, S> {
    cache: Arc<C>,
    store: Arc<S>,
    fill_ttl: Duration,
    locks: Arc<KeyLocks>,
}

/// A second handle on the same cache, store and locks (for moving work to another thread).
impl<C, S> Clone for CachedStore<C, S> {
    fn clone(&self) -> Self {
        CachedStore {
            cache: Arc::clone(&self.cache),
            store: Arc::clone(&self.store),
            fill_ttl: self.fill_ttl,
            locks: Arc::clone(&self.locks),
        }
    }
}

impl<C: KeyedCache, S: SessionStore> CachedStore<C, S> {
    /// `cache` in front of `store`.
    ///
    /// ```
    /// use session_cache::{MokaStore, CachedStore};
    /// use session_core::{MemoryStore, SessionStore};
    /// let store = CachedStore::new(MokaStore::new(), MemoryStore::new());
    /// assert!(store.runs_inline()); // both halves are in memory
    /// ```
    pub fn new(cache: C, store: S) -> Self {
        CachedStore {
            cache: Arc::new(cache),
            store: Arc::new(store),
            fill_ttl: Duration::MAX,
            locks: Arc::new(KeyLocks::new()),
        }
    }

    /// Caps how long a session read from the store on a cache miss stays cached (default:
    /// no cap, until the session's expiry). `Duration::ZERO` turns filling off.
    ///
    /// ```
    /// use std::time::Duration;
    /// use session_cache::{MokaStore, CachedStore};
    /// use session_core::MemoryStore;
    /// let store = CachedStore::new(MokaStore::new(), MemoryStore::new())
    ///     .with_fill_ttl(Duration::from_secs(10));
    /// assert_eq!(store.fill_ttl(), Duration::from_secs(10));
    /// ```
    pub fn with_fill_ttl(mut self, ttl: Duration) -> Self {
        self.fill_ttl = ttl;
        self
    }

    /// The cap on fills (see [`CachedStore::with_fill_ttl`]); `Duration::MAX` when none.
    ///
    /// ```
    /// use std::time::Duration;
    /// use session_cache::{MokaStore, CachedStore};
    /// let store = CachedStore::new(MokaStore::new(), session_core::MemoryStore::new());
    /// assert_eq!(store.fill_ttl(), Duration::MAX);
    /// ```
    pub fn fill_ttl(&self) -> Duration {
        self.fill_ttl
    }

    /// The cache in front.
    ///
    /// ```
    /// use session_cache::{MokaStore, CachedStore, KeyedCache};
    /// let store = CachedStore::new(MokaStore::new(), session_core::MemoryStore::new());
    /// assert!(!store.cache().contains("abcdefgh")?);
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn cache(&self) -> &C {
        &self.cache
    }

    /// The store behind.
    ///
    /// ```
    /// use session_cache::{MokaStore, CachedStore};
    /// let store = CachedStore::new(MokaStore::new(), session_core::MemoryStore::new());
    /// assert!(store.store().is_empty());
    /// ```
    pub fn store(&self) -> &S {
        &self.store
    }

    fn lock(&self, key: &str) -> MutexGuard<'_, ()> {
        self.locks.lock(key)
    }

    /// Copies what the store just wrote into the cache.
    fn cache_put(&self, key: &str, record: &Record) {
        if let Err(e) = self.cache.put(key, record) {
            cache_out_of_step("put", key, &e);
        }
    }

    /// Drops what the store just deleted or refused from the cache.
    fn cache_remove(&self, key: &str) {
        if let Err(e) = self.cache.remove(key) {
            cache_out_of_step("remove", key, &e);
        }
    }
}

/// A cache read (or a fill after a store read) failed: the store answers instead, so
/// nothing is wrong but the speed.
fn cache_read_failed(op: &'static str, key: &str, error: &Error) {
    tracing::warn!(
        op,
        key = %key_prefix(key),
        error = error as &(dyn std::error::Error + 'static),
        "session cache failed; using the store alone"
    );
}

/// A cache write failed after the store's write succeeded: the cache may serve the old
/// data (or a deleted session) until its entry expires. Logged as an error, as Django's
/// `cached_db` does (`logger.exception`).
fn cache_out_of_step(op: &'static str, key: &str, error: &Error) {
    tracing::error!(
        op,
        key = %key_prefix(key),
        error = error as &(dyn std::error::Error + 'static),
        "session cache update failed after the store's write; the cache may serve stale data"
    );
}

/// What the cache said of a key.
pub(crate) enum Lookup {
    Hit(Record),
    Miss,
    /// The cache failed (logged): ask the store, and do not fill.
    Failed,
}

impl<C: KeyedCache, S> CachedStore<C, S> {
    /// The cache's record for the well-formed `key`; a failure is logged.
    pub(crate) fn lookup(&self, key: &str) -> Lookup {
        match self.cache.get(key) {
            Ok(Some(record)) => Lookup::Hit(record),
            Ok(None) => Lookup::Miss,
            Err(e) => {
                cache_read_failed("get", key, &e);
                Lookup::Failed
            }
        }
    }

    /// Whether the cache holds the well-formed `key`; a failure is logged and counts as no.
    pub(crate) fn cached(&self, key: &str) -> bool {
        self.cache.contains(key).unwrap_or_else(|e| {
            cache_read_failed("contains", key, &e);
            false
        })
    }

    /// Whether the cache only touches memory: its reads can run on an async executor.
    pub(crate) fn cache_in_memory(&self) -> bool {
        self.cache.runs_inline()
    }
}

impl<C: KeyedCache, S: SessionStore> CachedStore<C, S> {
    /// A load of the well-formed `key` once the cache has answered `lookup`: the store's
    /// record after a miss, put into the cache on the way.
    pub(crate) fn load_after(&self, key: &str, lookup: Lookup) -> Result<Option<Record>> {
        session_core::telemetry::record_cache_lookup(matches!(lookup, Lookup::Hit(_)));
        match lookup {
            Lookup::Hit(record) => return Ok(Some(record)),
            Lookup::Failed => return self.store.load_record(key),
            Lookup::Miss if self.fill_ttl.is_zero() => return self.store.load_record(key),
            Lookup::Miss => {}
        }
        let _guard = self.lock(key);
        let Some(record) = self.store.load_record(key)? else {
            return Ok(None);
        };
        let cap = saturating_add(SystemTime::now(), self.fill_ttl);
        let fill = Record::new(record.data, record.expires_at.min(cap));
        if let Err(e) = self.cache.put(key, &fill) {
            cache_read_failed("fill", key, &e);
        }
        Ok(Some(Record::new(fill.data, record.expires_at)))
    }
}

impl<C: KeyedCache, S: SessionStore> SessionStore for CachedStore<C, S> {
    fn load_record(&self, key: &str) -> Result<Option<Record>> {
        if !key::is_well_formed(key) {
            return Ok(None);
        }
        self.load_after(key, self.lookup(key))
    }

    fn create(&self, record: &Record) -> Result<String> {
        let key = self.store.create(record)?;
        let _guard = self.lock(&key);
        self.cache_put(&key, record);
        Ok(key)
    }

    fn save(&self, key: &str, record: &Record) -> Result<String> {
        let _guard = self.lock(key);
        match self.store.save(key, record) {
            Ok(new_key) => {
                if new_key != key {
                    self.cache_remove(key);
                }
                self.cache_put(&new_key, record);
                Ok(new_key)
            }
            Err(Error::Interrupted) => {
                if key::is_well_formed(key) {
                    self.cache_remove(key);
                }
                Err(Error::Interrupted)
            }
            Err(e) => Err(e),
        }
    }

    fn delete(&self, key: &str) -> Result<()> {
        let _guard = self.lock(key);
        self.store.delete(key)?;
        if key::is_well_formed(key) {
            self.cache_remove(key);
        }
        Ok(())
    }

    fn exists(&self, key: &str) -> Result<bool> {
        if !key::is_well_formed(key) {
            return Ok(false);
        }
        Ok(self.cached(key) || self.store.exists(key)?)
    }

    /// The store's touch; the cached copy is dropped (the next load fills it again with
    /// the new expiry).
    fn touch(&self, key: &str, expires_at: SystemTime) -> Result<()> {
        let _guard = self.lock(key);
        let touched = self.store.touch(key, expires_at);
        if key::is_well_formed(key) && !matches!(touched, Err(Error::Unsupported { .. })) {
            self.cache_remove(key);
        }
        touched
    }

    fn runs_inline(&self) -> bool {
        self.cache.runs_inline() && self.store.runs_inline()
    }
}

/// Delegated to the store. Expired cache entries are never served; a `MokaStore` in
/// front gives their memory back at its own sweep or by eviction.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use session_cache::{MokaStore, CachedStore};
/// use session_core::{ClearExpired, MemoryStore, Record, SessionStore};
///
/// let store = CachedStore::new(MokaStore::new(), MemoryStore::new());
/// store.create(&Record::new(vec![], SystemTime::now() - Duration::from_secs(1)))?;
/// assert_eq!(store.clear_expired()?, 1);
/// # Ok::<(), session_core::Error>(())
/// ```
impl<C: KeyedCache, S: ClearExpired> ClearExpired for CachedStore<C, S> {
    fn clear_expired(&self) -> Result<u64> {
        self.store.clear_expired()
    }
}

impl<C: std::fmt::Debug, S: std::fmt::Debug> std::fmt::Debug for CachedStore<C, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedStore")
            .field("cache", &self.cache)
            .field("store", &self.store)
            .field("fill_ttl", &self.fill_ttl)
            .finish()
    }
}
