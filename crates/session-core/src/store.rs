//! The storage contract every backend implements.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use crate::{Error, Result, key};

/// What a store persists for one session: opaque bytes (made by a
/// [`Serializer`](crate::Serializer)) and the instant after which they must never load.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use session_core::Record;
/// let record = Record::new(b"{}".to_vec(), SystemTime::now() + Duration::from_secs(60));
/// assert!(!record.is_expired_at(SystemTime::now()));
/// ```
#[derive(PartialEq, Eq)]
pub struct Record {
    /// The encoded session.
    pub data: Vec<u8>,
    /// When the session expires; at and after this instant it is gone.
    pub expires_at: SystemTime,
}

impl Clone for Record {
    fn clone(&self) -> Self {
        Record {
            data: self.data.clone(),
            expires_at: self.expires_at,
        }
    }

    /// Reuses `self`'s buffer when it is large enough (a store replacing a record).
    fn clone_from(&mut self, source: &Self) {
        self.data.clone_from(&source.data);
        self.expires_at = source.expires_at;
    }
}

impl Record {
    /// A record of `data` expiring at `expires_at`.
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// let r = session_core::Record::new(vec![1, 2, 3], SystemTime::UNIX_EPOCH);
    /// assert_eq!(r.data, [1, 2, 3]);
    /// ```
    pub fn new(data: Vec<u8>, expires_at: SystemTime) -> Self {
        Record { data, expires_at }
    }

    /// Whether the record is expired at `now` (`expires_at <= now`).
    ///
    /// ```
    /// # use std::time::{Duration, SystemTime};
    /// let now = SystemTime::now();
    /// let r = session_core::Record::new(vec![], now);
    /// assert!(r.is_expired_at(now));
    /// assert!(!r.is_expired_at(now - Duration::from_secs(1)));
    /// ```
    pub fn is_expired_at(&self, now: SystemTime) -> bool {
        self.expires_at <= now
    }
}

impl std::fmt::Debug for Record {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Session data may hold secrets; show its size only.
        f.debug_struct("Record")
            .field("data", &format_args!("[{} bytes]", self.data.len()))
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// A place sessions live. The key is the value of the session cookie.
///
/// # Contract
/// Every store must:
/// - **`load_record`** return `Ok(None)` for a key that is unknown, expired
///   (`expires_at <= now`), malformed or forged — and never create anything. A malformed key
///   is not an error: it is simply not a session. A live session comes back with its
///   expiry. (`load` is the same without the expiry; override it only when that is
///   cheaper.)
/// - **`create`** store a new session under a fresh key and return the key. It never
///   overwrites: on a key collision it retries with another key (use [`key::generate`]),
///   and gives up with [`Error::KeyExists`] only after several tries.
/// - **`save`** replace the record of an *existing, unexpired* session and return the key
///   the client must now send (the same key, except for stores that keep the data in the
///   key, such as signed cookies). If the session is gone — deleted by a concurrent
///   logout, or expired — it must return [`Error::Interrupted`] and write nothing: a
///   store never resurrects a deleted session.
/// - **`delete`** remove the session if present; deleting an unknown key is not an error.
/// - **`exists`** tell whether a live session has this key.
/// - **`touch`** move only the expiry of a live session (rolling expiry without rewriting
///   the data); [`Error::Interrupted`] when it is gone. A store that cannot do it cheaply
///   keeps the default, which answers [`Error::Unsupported`]: callers then save instead.
///
/// Engine failures are [`Error::Backend`] with the engine's error as the source.
///
/// Run `session_core::conformance_tests!` (feature `conformance`) on your
/// store: it checks every point above.
///
/// # Example: a store in a `HashMap`
/// ```
/// use std::collections::HashMap;
/// use std::sync::Mutex;
/// use std::time::SystemTime;
/// use session_core::{key, Error, Record, Result, SessionStore};
///
/// #[derive(Default)]
/// struct MapStore(Mutex<HashMap<String, Record>>);
///
/// impl SessionStore for MapStore {
///     fn load_record(&self, key: &str) -> Result<Option<Record>> {
///         let map = self.0.lock().unwrap();
///         Ok(map.get(key).filter(|r| !r.is_expired_at(SystemTime::now())).cloned())
///     }
///     fn create(&self, record: &Record) -> Result<String> {
///         let mut map = self.0.lock().unwrap();
///         for _ in 0..10 {
///             let key = key::generate();
///             if !map.contains_key(&key) {
///                 map.insert(key.clone(), record.clone());
///                 return Ok(key);
///             }
///         }
///         Err(Error::KeyExists)
///     }
///     fn save(&self, key: &str, record: &Record) -> Result<String> {
///         let mut map = self.0.lock().unwrap();
///         match map.get_mut(key) {
///             Some(old) if !old.is_expired_at(SystemTime::now()) => {
///                 *old = record.clone();
///                 Ok(key.to_owned())
///             }
///             _ => Err(Error::Interrupted),
///         }
///     }
///     fn delete(&self, key: &str) -> Result<()> {
///         self.0.lock().unwrap().remove(key);
///         Ok(())
///     }
///     fn exists(&self, key: &str) -> Result<bool> {
///         Ok(self.load_record(key)?.is_some())
///     }
/// }
///
/// let store = MapStore::default();
/// let key = store.create(&Record::new(b"{}".to_vec(), SystemTime::now() + std::time::Duration::from_secs(60)))?;
/// assert_eq!(store.load(&key)?.as_deref(), Some(&b"{}"[..]));
/// store.delete(&key)?;
/// assert!(matches!(store.save(&key, &Record::new(vec![], SystemTime::now())), Err(Error::Interrupted)));
/// # Ok::<(), Error>(())
/// ```
pub trait SessionStore: Send + Sync {
    /// The record (bytes and expiry) of a live session, or `None`. Never creates anything.
    fn load_record(&self, key: &str) -> Result<Option<Record>>;
    /// The stored bytes of a live session, or `None`: [`load_record`](Self::load_record)
    /// without the expiry. Never creates anything.
    fn load(&self, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.load_record(key)?.map(|record| record.data))
    }
    /// Stores a new session under a fresh key and returns that key. Never overwrites.
    fn create(&self, record: &Record) -> Result<String>;
    /// Updates an existing live session; returns the key to send to the client.
    /// [`Error::Interrupted`] when the session is gone: never resurrect it.
    fn save(&self, key: &str, record: &Record) -> Result<String>;
    /// Removes the session; unknown keys are fine.
    fn delete(&self, key: &str) -> Result<()>;
    /// Whether a live session has this key.
    fn exists(&self, key: &str) -> Result<bool>;
    /// Moves only the expiry of a live session; [`Error::Interrupted`] when it is gone.
    /// The default answers [`Error::Unsupported`]: the caller saves the whole record instead.
    fn touch(&self, key: &str, expires_at: SystemTime) -> Result<()> {
        let _ = (key, expires_at);
        Err(Error::Unsupported {
            backend: "this",
            operation: "touch",
        })
    }

    /// The store's name in traces (the `backend` field of each operation's span). Defaults
    /// to the type's name.
    ///
    /// ```
    /// use session_core::{MemoryStore, SessionStore};
    /// assert!(MemoryStore::new().backend_name().ends_with("MemoryStore"));
    /// ```
    fn backend_name(&self) -> &'static str {
        std::any::type_name::<Self>()
    }

    /// `true` when every operation only touches memory and is fast enough to run on an
    /// async executor thread: web integrations then call this sync face in place (the same
    /// work as the async face, without a boxed future per operation). Otherwise a store
    /// with an async face ([`AsyncSessionStore`](crate::AsyncSessionStore)) says where its
    /// I/O runs, and one over the sync face alone
    /// ([`SessionManager::new_sync`](crate::SessionManager::new_sync)) runs on a
    /// blocking-thread pool. Defaults to `false`.
    ///
    /// ```
    /// use session_core::{MemoryStore, SessionStore};
    /// assert!(MemoryStore::new().runs_inline());
    /// ```
    fn runs_inline(&self) -> bool {
        false
    }
}

/// A store that can sweep out expired sessions (Django's `clearsessions`).
///
/// A separate trait so that asking a store that cannot sweep (signed cookies) is a compile
/// error, not a runtime surprise.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use session_core::{ClearExpired, MemoryStore, Record, SessionStore};
///
/// let store = MemoryStore::new();
/// store.create(&Record::new(vec![], SystemTime::now() - Duration::from_secs(1)))?;
/// store.create(&Record::new(vec![], SystemTime::now() + Duration::from_secs(60)))?;
/// assert_eq!(store.clear_expired()?, 1);
/// # Ok::<(), session_core::Error>(())
/// ```
pub trait ClearExpired: SessionStore {
    /// Deletes every expired session and returns how many it deleted.
    fn clear_expired(&self) -> Result<u64>;
}

macro_rules! forward_to_inner_store {
    ($($ty:ty),*) => {$(
        impl<S: SessionStore + ?Sized> SessionStore for $ty {
            fn load_record(&self, key: &str) -> Result<Option<Record>> { (**self).load_record(key) }
            fn load(&self, key: &str) -> Result<Option<Vec<u8>>> { (**self).load(key) }
            fn create(&self, record: &Record) -> Result<String> { (**self).create(record) }
            fn save(&self, key: &str, record: &Record) -> Result<String> { (**self).save(key, record) }
            fn delete(&self, key: &str) -> Result<()> { (**self).delete(key) }
            fn exists(&self, key: &str) -> Result<bool> { (**self).exists(key) }
            fn touch(&self, key: &str, expires_at: SystemTime) -> Result<()> { (**self).touch(key, expires_at) }
            fn runs_inline(&self) -> bool { (**self).runs_inline() }
            fn backend_name(&self) -> &'static str { (**self).backend_name() }
        }
        impl<S: ClearExpired + ?Sized> ClearExpired for $ty {
            fn clear_expired(&self) -> Result<u64> { (**self).clear_expired() }
        }
    )*};
}
forward_to_inner_store!(Arc<S>, Box<S>, &S);

/// Sessions in a `HashMap` behind a mutex: the reference store for tests, doc examples and
/// single-process prototypes. Nothing survives the process.
///
/// ```
/// use session_core::{MemoryStore, SessionManager};
/// let manager = SessionManager::new(MemoryStore::new());
/// let mut session = manager.session(None);
/// session.insert("cart", vec![1, 2, 3])?;
/// session.save()?;
/// assert!(session.key().is_some());
/// # Ok::<(), session_core::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct MemoryStore {
    map: Mutex<Map>,
}

/// The records by key. Only keys the store generated are ever inserted, so a client
/// choosing the keys it sends cannot crowd one bucket; the hash is seeded all the same.
type Map = HashMap<String, Record, foldhash::fast::RandomState>;

impl MemoryStore {
    /// An empty store.
    ///
    /// ```
    /// let store = session_core::MemoryStore::new();
    /// assert!(store.is_empty());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// How many records (live or expired) the store holds.
    ///
    /// ```
    /// assert_eq!(session_core::MemoryStore::new().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether the store holds no record.
    ///
    /// ```
    /// assert!(session_core::MemoryStore::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Map> {
        // A panic while holding the lock cannot leave a half-written record: every
        // mutation is a single map operation.
        self.map.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl SessionStore for MemoryStore {
    fn load_record(&self, key: &str) -> Result<Option<Record>> {
        if !key::is_well_formed(key) {
            return Ok(None);
        }
        let now = SystemTime::now();
        Ok(self
            .lock()
            .get(key)
            .filter(|r| !r.is_expired_at(now))
            .cloned())
    }

    fn create(&self, record: &Record) -> Result<String> {
        let mut map = self.lock();
        for _ in 0..CREATE_ATTEMPTS {
            let key = key::generate();
            if let std::collections::hash_map::Entry::Vacant(slot) = map.entry(key.clone()) {
                slot.insert(record.clone());
                return Ok(key);
            }
        }
        Err(Error::KeyExists)
    }

    fn save(&self, key: &str, record: &Record) -> Result<String> {
        let now = SystemTime::now();
        match self.lock().get_mut(key) {
            Some(old) if !old.is_expired_at(now) => {
                // in place: the old buffer is reused when it is large enough
                old.clone_from(record);
                Ok(key.to_owned())
            }
            _ => Err(Error::Interrupted),
        }
    }

    fn delete(&self, key: &str) -> Result<()> {
        self.lock().remove(key);
        Ok(())
    }

    fn exists(&self, key: &str) -> Result<bool> {
        let now = SystemTime::now();
        Ok(self.lock().get(key).is_some_and(|r| !r.is_expired_at(now)))
    }

    fn touch(&self, key: &str, expires_at: SystemTime) -> Result<()> {
        let now = SystemTime::now();
        match self.lock().get_mut(key) {
            Some(record) if !record.is_expired_at(now) => {
                record.expires_at = expires_at;
                Ok(())
            }
            _ => Err(Error::Interrupted),
        }
    }

    fn runs_inline(&self) -> bool {
        true
    }
}

impl ClearExpired for MemoryStore {
    fn clear_expired(&self) -> Result<u64> {
        let now = SystemTime::now();
        let mut map = self.lock();
        let before = map.len();
        map.retain(|_, r| !r.is_expired_at(now));
        Ok((before - map.len()) as u64)
    }
}

/// How many fresh keys `create` tries before giving up with [`Error::KeyExists`].
/// With 165-bit keys a second attempt already means a broken random source.
pub const CREATE_ATTEMPTS: usize = 10;
