//! `MokaStore`: sessions in an in-process moka cache.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use moka::policy::EvictionPolicy;
use session_core::{
    CREATE_ATTEMPTS, ClearExpired, Error, Record, Result, SessionStore, key, key_prefix,
};

use crate::cached::KeyedCache;
use crate::config::{CacheConfig, Capacity, ENTRY_OVERHEAD};
use crate::locks::KeyLocks;

/// One cached session: shared bytes, so handing a value around inside moka never copies
/// the data; only [`SessionStore::load`] copies it, once, into the `Vec` it returns.
#[derive(Clone)]
struct Entry {
    data: Arc<[u8]>,
    expires_at: SystemTime,
}

/// What moka holds for one session: the entry behind a lock of its own, so that a save or a
/// touch of a live session replaces it in place. A moka insert costs several times a
/// lookup (a write to its queues and a deferred free of the old value); a save already
/// looks the session up to check it is still live, and the slot it finds is the one to
/// write.
type Slot = Arc<Mutex<Entry>>;

/// A new slot holding `entry`.
fn slot(entry: Entry) -> Slot {
    Arc::new(Mutex::new(entry))
}

/// The entry in `slot` (the lock guards a plain value: a panic cannot leave it torn).
fn read(slot: &Slot) -> std::sync::MutexGuard<'_, Entry> {
    slot.lock().unwrap_or_else(PoisonError::into_inner)
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

/// Sessions in an in-process [moka](https://docs.rs/moka) cache: Django's `cache` engine
/// with a local-memory cache.
///
/// - **Bounded** ([`Capacity`]): when full, the least recently used session is evicted —
///   and that user is logged out. Use it alone for sessions you can afford to lose
///   (anonymous carts, rate-limit state) or in front of a persistent store with
///   [`CachedStore`](crate::CachedStore).
/// - **Expiry checked on every read**: a session past its record's `expires_at` (wall
///   clock) is never served and counts as absent. Its memory is reclaimed by
///   [`ClearExpired::clear_expired`] (an exact sweep; run it periodically, e.g. with
///   `session_tower::spawn_clear_expired`) or, in a full cache, by eviction: an expired
///   session is never used again, so it is among the least recently used. moka's own
///   per-entry expiry is not used: its timer wheel and removal notifications more than
///   doubled the cost of every write.
/// - **Atomic**: `create`, `save`, `delete` and [`KeyedCache::put`] of one key are
///   serialized by a striped lock of the store's own, so a create never overwrites and a
///   save never resurrects a session deleted at the same moment. (moka's `and_compute_with`
///   would do the same at about three times the cost of a plain insert: it allocates a
///   lock per key and reads through the full entry API.)
/// - **Saves in place**: a save or touch of a live session rewrites the entry moka already
///   holds (found by the liveness check the save makes anyway) instead of inserting a new
///   one, which costs moka several times a lookup. A cache bounded by bytes inserts on
///   every save, so that moka weighs the new size.
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
/// use session_cache::MokaStore;
/// use session_core::{Record, SessionStore};
///
/// let store = MokaStore::new();
/// let key = store.create(&Record::new(b"{}".to_vec(), SystemTime::now() + Duration::from_secs(60)))?;
/// assert_eq!(store.load(&key)?.as_deref(), Some(&b"{}"[..]));
/// assert!(store.runs_inline());
/// # Ok::<(), session_core::Error>(())
/// ```
#[derive(Clone)]
pub struct MokaStore {
    cache: moka::sync::Cache<String, Slot, foldhash::fast::RandomState>,
    config: CacheConfig,
    locks: Arc<KeyLocks>,
}

impl MokaStore {
    /// A cache with the default bound ([`Capacity::default`]).
    ///
    /// ```
    /// let store = session_cache::MokaStore::new();
    /// assert_eq!(store.config().capacity(), session_cache::Capacity::Entries(100_000));
    /// ```
    pub fn new() -> Self {
        Self::with_config(CacheConfig::default())
    }

    /// A cache with these settings.
    ///
    /// ```
    /// use session_cache::{CacheConfig, MokaStore};
    /// let store = MokaStore::with_config(CacheConfig::new().with_max_entries(1_000));
    /// # drop(store);
    /// ```
    pub fn with_config(config: CacheConfig) -> Self {
        let builder = moka::sync::Cache::builder().eviction_policy(EvictionPolicy::lru());
        let cache = match config.capacity() {
            // Only keys the store generated are inserted, so a client choosing the keys
            // it sends cannot crowd the cache's buckets; the hash is seeded all the same.
            Capacity::Entries(n) => builder
                .max_capacity(n)
                .build_with_hasher(foldhash::fast::RandomState::default()),
            Capacity::Bytes(n) => builder
                .max_capacity(n)
                .weigher(|key: &String, slot: &Slot| {
                    u32::try_from(weight(key.len(), read(slot).data.len())).unwrap_or(u32::MAX)
                })
                .build_with_hasher(foldhash::fast::RandomState::default()),
        };
        MokaStore {
            cache,
            config,
            locks: Arc::new(KeyLocks::new()),
        }
    }

    /// The settings this store was built with.
    ///
    /// ```
    /// let store = session_cache::MokaStore::new();
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
    /// let store = session_cache::MokaStore::new();
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

    /// Insert-if-absent under the key's lock: of two inserts of one key only one wins,
    /// and nothing live is overwritten (an expired entry counts as absent).
    fn insert_if_absent(&self, key: &str, value: Entry) -> bool {
        let _guard = self.locks.lock(key);
        if self.live_slot(key, SystemTime::now()).is_some() {
            return false;
        }
        self.cache.insert(key.to_owned(), slot(value));
        true
    }

    /// The slot moka holds for `key` (live or not); none for a key that is not well formed.
    fn slot_of(&self, key: &str) -> Option<Slot> {
        key::is_well_formed(key)
            .then(|| self.cache.get(key))
            .flatten()
    }

    /// `f` of the entry of `key` if it is live, checked and read under one lock.
    fn with_live<T>(&self, key: &str, f: impl FnOnce(&Entry) -> T) -> Option<T> {
        let slot = self.slot_of(key)?;
        let entry = read(&slot);
        entry.is_live(SystemTime::now()).then(|| f(&entry))
    }

    /// The slot of `key` while its entry is live at `now`.
    fn live_slot(&self, key: &str, now: SystemTime) -> Option<Slot> {
        self.slot_of(key).filter(|slot| read(slot).is_live(now))
    }

    /// Writes `value` as the entry of `key`, whose live slot (if any) is `current`; the
    /// caller holds the key's lock. In place, unless the cache is bounded by bytes: moka
    /// weighs an entry when it is inserted, so a new size needs a new insert.
    fn replace(&self, key: &str, current: Option<Slot>, value: Entry) {
        match current {
            Some(current) if matches!(self.config.capacity(), Capacity::Entries(_)) => {
                *read(&current) = value;
            }
            _ => self.cache.insert(key.to_owned(), slot(value)),
        }
    }
}

impl Default for MokaStore {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for MokaStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MokaStore")
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

impl SessionStore for MokaStore {
    fn load_record(&self, key: &str) -> Result<Option<Record>> {
        // The one copy: shared bytes into the Vec the caller owns.
        Ok(self.with_live(key, |e| Record::new(e.data.to_vec(), e.expires_at)))
    }

    fn load(&self, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.with_live(key, |entry| entry.data.to_vec()))
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
            session_core::telemetry::record_create_collision("MokaStore");
        }
        Err(Error::KeyExists)
    }

    fn save(&self, key: &str, record: &Record) -> Result<String> {
        if !key::is_well_formed(key) {
            return Err(Error::Interrupted);
        }
        self.check_fits(key.len(), record)?;
        let value = Entry::new(record);
        // Check-and-replace under the key's lock, which `delete` also takes: a session
        // deleted concurrently is never written back.
        let _guard = self.locks.lock(key);
        let Some(current) = self.live_slot(key, SystemTime::now()) else {
            return Err(Error::Interrupted);
        };
        self.replace(key, Some(current), value);
        Ok(key.to_owned())
    }

    fn delete(&self, key: &str) -> Result<()> {
        if key::is_well_formed(key) {
            let _guard = self.locks.lock(key);
            self.cache.invalidate(key);
        }
        Ok(())
    }

    fn exists(&self, key: &str) -> Result<bool> {
        Ok(self.live_slot(key, SystemTime::now()).is_some())
    }

    fn touch(&self, key: &str, expires_at: SystemTime) -> Result<()> {
        if !key::is_well_formed(key) {
            return Err(Error::Interrupted);
        }
        let _guard = self.locks.lock(key);
        let Some(current) = self.live_slot(key, SystemTime::now()) else {
            return Err(Error::Interrupted);
        };
        // Only the expiry changes: the size (and so moka's weight) stays.
        read(&current).expires_at = expires_at;
        Ok(())
    }

    fn runs_inline(&self) -> bool {
        true
    }
}

// Memory only: async callers run it in place.
session_core::impl_async_inline!(MokaStore, clear_expired);

/// An exact sweep: removes every session whose `expires_at` has passed and returns how
/// many it removed, then runs moka's pending housekeeping (so
/// [`entry_count`](MokaStore::entry_count) is current). A session saved while the
/// sweep runs is checked again under its key's lock and kept. The sweep walks the whole
/// cache; removing 100,000 expired sessions took 0.23 s in the benches (≈2 µs each).
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use session_cache::MokaStore;
/// use session_core::{ClearExpired, Record, SessionStore};
///
/// let store = MokaStore::new();
/// let key = store.create(&Record::new(vec![], SystemTime::now() - Duration::from_secs(1)))?;
/// assert!(!store.exists(&key)?); // expired: never served, swept or not
/// assert_eq!(store.clear_expired()?, 1);
/// assert_eq!(store.entry_count(), 0);
/// # Ok::<(), session_core::Error>(())
/// ```
impl ClearExpired for MokaStore {
    fn clear_expired(&self) -> Result<u64> {
        let now = SystemTime::now();
        let mut removed = 0;
        for (key, slot) in self.cache.iter() {
            if read(&slot).is_live(now) {
                continue;
            }
            let _guard = self.locks.lock(&key);
            if self
                .cache
                .get(key.as_str())
                .is_some_and(|slot| !read(&slot).is_live(now))
            {
                self.cache.invalidate(key.as_str());
                removed += 1;
            }
        }
        self.cache.run_pending_tasks();
        Ok(removed)
    }
}

/// `MokaStore` as the cache of a [`CachedStore`](crate::CachedStore).
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use session_cache::{MokaStore, KeyedCache};
/// use session_core::Record;
///
/// let cache = MokaStore::new();
/// let record = Record::new(b"x".to_vec(), SystemTime::now() + Duration::from_secs(60));
/// cache.put("abcdefgh12345678", &record)?;
/// assert_eq!(cache.get("abcdefgh12345678")?, Some(record));
/// cache.remove("abcdefgh12345678")?;
/// assert!(!cache.contains("abcdefgh12345678")?);
/// # Ok::<(), session_core::Error>(())
/// ```
impl KeyedCache for MokaStore {
    fn get(&self, key: &str) -> Result<Option<Record>> {
        SessionStore::load_record(self, key)
    }

    fn put(&self, key: &str, record: &Record) -> Result<()> {
        if !key::is_well_formed(key) {
            return Err(Error::InvalidKey);
        }
        self.check_fits(key.len(), record)?;
        let value = Entry::new(record);
        let _guard = self.locks.lock(key);
        let now = SystemTime::now();
        if value.is_live(now) {
            let current = self.live_slot(key, now);
            self.replace(key, current, value);
        } else {
            self.cache.invalidate(key);
        }
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
    use std::time::Duration;

    /// `create` draws random keys, so threads never collide on one by chance; here they
    /// are made to: of 8 threads inserting the same key at once, exactly one wins and its
    /// value is the one kept.
    #[test]
    fn insert_if_absent_has_one_winner() {
        const THREADS: usize = 8;
        let store = Arc::new(MokaStore::new());
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

    /// A save rewrites the slot moka holds (bounded by entries) or inserts a new one
    /// (bounded by bytes, so moka weighs the new size): either way one entry, the newest
    /// bytes and expiry, and a deleted session stays deleted.
    #[test]
    fn saves_replace_the_entry_in_both_bounds() {
        let later = SystemTime::now() + Duration::from_secs(60);
        for store in [
            MokaStore::new(),
            MokaStore::with_config(CacheConfig::new().with_max_bytes(1 << 20)),
        ] {
            let key = store.create(&Record::new(b"a".to_vec(), later)).unwrap();
            let before = store.cache.get(key.as_str()).unwrap();
            let bigger = Record::new(vec![b'b'; 4096], later + Duration::from_secs(1));
            assert_eq!(store.save(&key, &bigger).unwrap(), key);
            let after = store.cache.get(key.as_str()).unwrap();
            let in_place = matches!(store.config.capacity(), Capacity::Entries(_));
            assert_eq!(Arc::ptr_eq(&before, &after), in_place);
            assert_eq!(store.load_record(&key).unwrap(), Some(bigger));
            store.cache.run_pending_tasks();
            assert_eq!(store.entry_count(), 1);
            store.delete(&key).unwrap();
            // the old slot, held here as a concurrent save would, is not in the cache
            *read(&before) = Entry::new(&Record::new(b"c".to_vec(), later));
            assert!(matches!(
                store.save(&key, &Record::new(b"d".to_vec(), later)),
                Err(Error::Interrupted)
            ));
            assert_eq!(store.load(&key).unwrap(), None);
        }
    }
}
