//! `CacheStore`: sessions in an in-process moka cache.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use moka::Expiry;
use moka::notification::RemovalCause;
use moka::ops::compute::{CompResult, Op};
use moka::policy::EvictionPolicy;
use session_core::{
    CREATE_ATTEMPTS, ClearExpired, Error, Record, Result, SessionStore, key, key_prefix,
};

use crate::cached::KeyedCache;
use crate::config::{CacheConfig, Capacity, ENTRY_OVERHEAD};

/// One cached session: shared bytes, so handing a value around inside moka never copies
/// the data; only [`SessionStore::load`] copies it, once, into the `Vec` it returns.
#[derive(Clone)]
struct Entry {
    data: Arc<[u8]>,
    expires_at: SystemTime,
}

impl Entry {
    fn new(record: &Record) -> Self {
        Entry {
            data: Arc::from(record.data.as_slice()),
            expires_at: record.expires_at,
        }
    }

    fn is_live(&self, now: SystemTime) -> bool {
        self.expires_at > now
    }
}

/// Per-entry expiry: each entry lives until its record's `expires_at`.
struct UntilExpiresAt;

impl UntilExpiresAt {
    fn remaining(entry: &Entry) -> Option<Duration> {
        Some(
            entry
                .expires_at
                .duration_since(SystemTime::now())
                .unwrap_or(Duration::ZERO),
        )
    }
}

impl Expiry<String, Entry> for UntilExpiresAt {
    fn expire_after_create(&self, _: &String, entry: &Entry, _: Instant) -> Option<Duration> {
        Self::remaining(entry)
    }

    fn expire_after_update(
        &self,
        _: &String,
        entry: &Entry,
        _: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        Self::remaining(entry)
    }
}

/// Sessions in an in-process [moka](https://docs.rs/moka) cache: Django's `cache` engine
/// with a local-memory cache.
///
/// - **Bounded** ([`Capacity`]): when full, the least recently used session is evicted —
///   and that user is logged out. Use it alone for sessions you can afford to lose
///   (anonymous carts, rate-limit state) or in front of a persistent store with
///   [`CachedStore`](crate::CachedStore).
/// - **Per-entry expiry**: each session leaves the cache at its record's `expires_at`;
///   a load also checks `expires_at` against the wall clock, so nothing expired is served.
/// - **Atomic**: `create`, `save`, `delete` and [`KeyedCache::put`] all go through moka's
///   per-key compute lock, so a create never overwrites and a save never resurrects a
///   session deleted at the same moment.
/// - Keys that are not [well formed](session_core::key::is_well_formed) never reach the
///   cache: they load `None`.
/// - Nothing leaves the process: every web node has its own cache. For several nodes use
///   Redis (feature `redis`).
///
/// Eviction is least-recently-used rather than moka's default TinyLFU, which may refuse
/// to admit a brand-new entry into a full cache — that would drop fresh logins first.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use session_cache::CacheStore;
/// use session_core::{Record, SessionStore};
///
/// let store = CacheStore::new();
/// let key = store.create(&Record::new(b"{}".to_vec(), SystemTime::now() + Duration::from_secs(60)))?;
/// assert_eq!(store.load(&key)?.as_deref(), Some(&b"{}"[..]));
/// assert!(store.runs_inline());
/// # Ok::<(), session_core::Error>(())
/// ```
pub struct CacheStore {
    cache: moka::sync::Cache<String, Entry>,
    config: CacheConfig,
    expired: Arc<AtomicU64>,
}

impl CacheStore {
    /// A cache with the default bound ([`Capacity::default`]).
    ///
    /// ```
    /// let store = session_cache::CacheStore::new();
    /// assert_eq!(store.config().capacity(), session_cache::Capacity::Entries(100_000));
    /// ```
    pub fn new() -> Self {
        Self::with_config(CacheConfig::default())
    }

    /// A cache with these settings.
    ///
    /// ```
    /// use session_cache::{CacheConfig, CacheStore};
    /// let store = CacheStore::with_config(CacheConfig::new().max_entries(1_000));
    /// # drop(store);
    /// ```
    pub fn with_config(config: CacheConfig) -> Self {
        let expired = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&expired);
        let builder = moka::sync::Cache::builder()
            .eviction_policy(EvictionPolicy::lru())
            .expire_after(UntilExpiresAt)
            .eviction_listener(move |key: Arc<String>, _, cause| match cause {
                RemovalCause::Expired => {
                    counter.fetch_add(1, Ordering::Relaxed);
                }
                RemovalCause::Size => {
                    tracing::debug!(
                        key = %key_prefix(&key),
                        "session evicted from the cache: capacity reached"
                    );
                }
                RemovalCause::Explicit | RemovalCause::Replaced => {}
            });
        let cache = match config.capacity() {
            Capacity::Entries(n) => builder.max_capacity(n).build(),
            Capacity::Bytes(n) => builder
                .max_capacity(n)
                .weigher(|key: &String, entry: &Entry| {
                    u32::try_from(weight(key.len(), entry.data.len())).unwrap_or(u32::MAX)
                })
                .build(),
        };
        CacheStore {
            cache,
            config,
            expired,
        }
    }

    /// The settings this store was built with.
    ///
    /// ```
    /// let store = session_cache::CacheStore::new();
    /// assert_eq!(*store.config(), session_cache::CacheConfig::default());
    /// ```
    pub fn config(&self) -> &CacheConfig {
        &self.config
    }

    /// How many entries the cache holds, approximately: moka applies writes and
    /// evictions in batches, so this may lag until its housekeeping runs (which
    /// [`ClearExpired::clear_expired`] triggers).
    ///
    /// ```
    /// use session_core::ClearExpired;
    /// let store = session_cache::CacheStore::new();
    /// store.clear_expired()?;
    /// assert_eq!(store.entry_count(), 0);
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn entry_count(&self) -> u64 {
        self.cache.entry_count()
    }

    /// Refuses a record that could never fit: moka would drop it at once and the
    /// caller would be told it was stored.
    fn check_fits(&self, key_len: usize, record: &Record) -> Result<()> {
        if let Capacity::Bytes(max) = self.config.capacity() {
            let w = weight(key_len, record.data.len());
            if w > max || w > u64::from(u32::MAX) {
                return Err(Error::backend(
                    "moka",
                    TooLarge {
                        weight: w,
                        capacity: max,
                    },
                ));
            }
        }
        Ok(())
    }

    /// Insert-if-absent under moka's per-key lock: of two inserts of one key only one
    /// wins, and nothing is overwritten.
    fn insert_if_absent(&self, key: &str, value: Entry) -> bool {
        let result = self.cache.entry_by_ref(key).and_compute_with(|cur| {
            if cur.is_none() {
                Op::Put(value)
            } else {
                Op::Nop
            }
        });
        matches!(result, CompResult::Inserted(_))
    }

    fn get_live(&self, key: &str) -> Option<Entry> {
        if !key::is_well_formed(key) {
            return None;
        }
        let now = SystemTime::now();
        self.cache.get(key).filter(|e| e.is_live(now))
    }
}

impl Default for CacheStore {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for CacheStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CacheStore")
            .field("config", &self.config)
            .field("entry_count", &self.cache.entry_count())
            .finish()
    }
}

fn weight(key_len: usize, data_len: usize) -> u64 {
    (key_len as u64)
        .saturating_add(data_len as u64)
        .saturating_add(ENTRY_OVERHEAD)
}

/// A session heavier than the whole byte bound of the cache.
#[derive(Debug)]
struct TooLarge {
    weight: u64,
    capacity: u64,
}

impl std::fmt::Display for TooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "a session of {} bytes cannot fit in a cache bounded to {} bytes",
            self.weight, self.capacity
        )
    }
}

impl std::error::Error for TooLarge {}

impl SessionStore for CacheStore {
    fn load(&self, key: &str) -> Result<Option<Vec<u8>>> {
        // The one copy: shared bytes into the Vec the caller owns.
        Ok(self.get_live(key).map(|e| e.data.to_vec()))
    }

    fn create(&self, record: &Record) -> Result<String> {
        self.check_fits(key::LEN, record)?;
        let entry = Entry::new(record);
        for _ in 0..CREATE_ATTEMPTS {
            let key = key::generate();
            if self.insert_if_absent(&key, entry.clone()) {
                return Ok(key);
            }
            tracing::warn!(key = %key_prefix(&key), "generated session key already in use; retrying");
        }
        Err(Error::KeyExists)
    }

    fn save(&self, key: &str, record: &Record) -> Result<String> {
        if !key::is_well_formed(key) {
            return Err(Error::Interrupted);
        }
        self.check_fits(key.len(), record)?;
        let value = Entry::new(record);
        let now = SystemTime::now();
        // Check-and-replace under the per-key lock that `delete` also takes: a session
        // deleted concurrently is never written back.
        let result = self
            .cache
            .entry_by_ref(key)
            .and_compute_with(|cur| match cur {
                Some(old) if old.value().is_live(now) => Op::Put(value),
                _ => Op::Nop,
            });
        match result {
            CompResult::ReplacedWith(_) => Ok(key.to_owned()),
            _ => Err(Error::Interrupted),
        }
    }

    fn delete(&self, key: &str) -> Result<()> {
        if key::is_well_formed(key) {
            self.cache
                .entry_by_ref(key)
                .and_compute_with(|_| Op::Remove);
        }
        Ok(())
    }

    fn exists(&self, key: &str) -> Result<bool> {
        Ok(self.get_live(key).is_some())
    }

    fn runs_inline(&self) -> bool {
        true
    }
}

/// Moka drops expired entries by itself: lazily (an expired session never loads) and in
/// its housekeeping, which reclaims the memory. `clear_expired` runs that housekeeping
/// now and returns how many sessions moka has reclaimed **because they expired, since the
/// previous call** (including ones it had already reclaimed on its own). Capacity
/// evictions and deletes are not counted.
///
/// The count is a statistic, not an exact sweep: moka's expiry timer wheel has a
/// granularity of about one second, so a session that expired within the last second may
/// be counted by the next call instead. That is why `CacheStore` runs the conformance
/// suite without its exact-count `clear_expired` check; a `CachedStore` over a database
/// delegates to the database's exact sweep.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use session_cache::CacheStore;
/// use session_core::{ClearExpired, Record, SessionStore};
///
/// let store = CacheStore::new();
/// let key = store.create(&Record::new(vec![], SystemTime::now() - Duration::from_secs(1)))?;
/// assert!(!store.exists(&key)?); // expired: never served, whatever the sweep says
/// let reclaimed = store.clear_expired()?; // 0 or 1, depending on moka's timer wheel
/// assert!(reclaimed <= 1);
/// # Ok::<(), session_core::Error>(())
/// ```
impl ClearExpired for CacheStore {
    fn clear_expired(&self) -> Result<u64> {
        self.cache.run_pending_tasks();
        Ok(self.expired.swap(0, Ordering::Relaxed))
    }
}

/// `CacheStore` as the cache of a [`CachedStore`](crate::CachedStore).
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use session_cache::{CacheStore, KeyedCache};
/// use session_core::Record;
///
/// let cache = CacheStore::new();
/// let record = Record::new(b"x".to_vec(), SystemTime::now() + Duration::from_secs(60));
/// cache.put("abcdefgh12345678", &record)?;
/// assert_eq!(cache.get("abcdefgh12345678")?.as_deref(), Some(&b"x"[..]));
/// cache.remove("abcdefgh12345678")?;
/// assert!(!cache.contains("abcdefgh12345678")?);
/// # Ok::<(), session_core::Error>(())
/// ```
impl KeyedCache for CacheStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        SessionStore::load(self, key)
    }

    fn put(&self, key: &str, record: &Record) -> Result<()> {
        if !key::is_well_formed(key) {
            return Err(Error::InvalidKey);
        }
        self.check_fits(key.len(), record)?;
        let value = Entry::new(record);
        let live = value.is_live(SystemTime::now());
        self.cache
            .entry_by_ref(key)
            .and_compute_with(|_| if live { Op::Put(value) } else { Op::Remove });
        Ok(())
    }

    fn remove(&self, key: &str) -> Result<()> {
        SessionStore::delete(self, key)
    }

    fn contains(&self, key: &str) -> Result<bool> {
        SessionStore::exists(self, key)
    }

    fn runs_inline(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Barrier;

    /// `create` draws random keys, so threads never collide on one by chance; here they
    /// are made to: of 8 threads inserting the same key at once, exactly one wins and its
    /// value is the one kept.
    #[test]
    fn insert_if_absent_has_one_winner() {
        const THREADS: usize = 8;
        let store = Arc::new(CacheStore::new());
        for round in 0..200 {
            let key = key::generate();
            let start = Arc::new(Barrier::new(THREADS));
            let handles: Vec<_> = (0..THREADS)
                .map(|t| {
                    let (store, start, key) = (Arc::clone(&store), Arc::clone(&start), key.clone());
                    std::thread::spawn(move || {
                        let record =
                            Record::new(vec![t as u8], SystemTime::now() + Duration::from_secs(60));
                        start.wait();
                        store.insert_if_absent(&key, Entry::new(&record))
                    })
                })
                .collect();
            let winners: Vec<usize> = handles
                .into_iter()
                .enumerate()
                .filter_map(|(t, h)| h.join().unwrap().then_some(t))
                .collect();
            assert_eq!(winners.len(), 1, "round {round}: winners {winners:?}");
            assert_eq!(store.load(&key).unwrap(), Some(vec![winners[0] as u8]));
        }
    }
}
