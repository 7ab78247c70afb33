//! One request's view of one session: Django's `SessionBase`.

use std::time::{Duration, SystemTime};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::reserved::{self, check_user_key};
use crate::step::Intent;
use crate::{Error, Expiry, Outcome, Record, Result, SessionData, SessionManager, StoreOp};

/// The key Django's test-cookie helpers use.
pub const TEST_COOKIE_NAME: &str = "testcookie";
/// The value Django's test-cookie helpers store.
pub const TEST_COOKIE_VALUE: &str = "worked";

/// A session: a map of string keys to JSON values, loaded lazily from its store.
///
/// Made by [`SessionManager::session`] from the request's cookie. Nothing touches the store
/// until the first read or write; any read marks the session *accessed*, any real change
/// marks it *modified*, and [`SessionManager::finish`] decides from those flags what to save
/// and which cookie to send.
///
/// A key that came from the client is never adopted unless the store knows it: an unknown,
/// expired, malformed or forged key loads as an empty session that gets a fresh key when it
/// is saved (no session fixation).
///
/// ```
/// use session_core::{MemoryStore, SessionManager};
///
/// let manager = SessionManager::new(MemoryStore::new());
/// let mut session = manager.session(None);
/// assert_eq!(session.get::<u32>("visits")?, None);
/// session.insert("visits", 1)?;
/// session.save()?;
///
/// let key = session.key().unwrap().to_owned();
/// let mut again = manager.session(Some(&key));
/// assert_eq!(again.get::<u32>("visits")?, Some(1));
/// # Ok::<(), session_core::Error>(())
/// ```
pub struct Session {
    manager: SessionManager,
    key: Option<String>,
    data: Option<SessionData>,
    accessed: bool,
    modified: bool,
    /// The started operation that still needs the store (see [`crate::step`]): one at a
    /// time, since starting one drops any other a driver left half-done.
    pending: Option<Intent>,
    /// The store's expiry of the loaded record, when the load asked for it (rolling
    /// expiry: see [`SessionConfig::refresh_after`](crate::SessionConfig::refresh_after)).
    stored_expiry: Option<SystemTime>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key is a bearer credential: never print it whole.
        f.debug_struct("Session")
            .field("key", &self.key.as_deref().map(crate::key_prefix))
            .field("loaded", &self.data.is_some())
            .field("accessed", &self.accessed)
            .field("modified", &self.modified)
            .finish_non_exhaustive()
    }
}

impl Session {
    pub(crate) fn new(manager: SessionManager, key: Option<String>) -> Self {
        Session {
            manager,
            key,
            data: None,
            accessed: false,
            modified: false,
            pending: None,
            stored_expiry: None,
        }
    }

    /// The session's key: the client's cookie value until a load proves it unknown, then
    /// `None` until a save creates a fresh one.
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionManager};
    /// let manager = SessionManager::new(MemoryStore::new());
    /// let mut session = manager.session(Some("unknownkey123"));
    /// assert_eq!(session.key(), Some("unknownkey123"));
    /// session.load()?;                 // the store does not know it
    /// assert_eq!(session.key(), None); // so it is never adopted
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    /// The manager this session belongs to.
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionManager};
    /// let manager = SessionManager::new(MemoryStore::new());
    /// let session = manager.session(None);
    /// assert_eq!(session.manager().config().cookie_name, "sessionid");
    /// ```
    pub fn manager(&self) -> &SessionManager {
        &self.manager
    }

    /// Whether any read or write happened.
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionManager};
    /// let mut session = SessionManager::new(MemoryStore::new()).session(None);
    /// assert!(!session.is_accessed());
    /// session.contains_key("a")?;
    /// assert!(session.is_accessed());
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn is_accessed(&self) -> bool {
        self.accessed
    }

    /// Whether the data changed and must be saved.
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionManager};
    /// let mut session = SessionManager::new(MemoryStore::new()).session(None);
    /// session.get::<i32>("a")?;
    /// assert!(!session.is_modified());
    /// session.insert("a", 1)?;
    /// assert!(session.is_modified());
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn is_modified(&self) -> bool {
        self.modified
    }

    /// Marks the session modified, e.g. after changing a value obtained from it in place.
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionManager};
    /// let mut session = SessionManager::new(MemoryStore::new()).session(None);
    /// session.mark_modified();
    /// assert!(session.is_modified());
    /// ```
    pub fn mark_modified(&mut self) {
        self.modified = true;
    }

    /// Clears the accessed and modified flags, keeping the data and the key: what Django
    /// code does with `session.accessed = session.modified = False`. For tests, and for
    /// frameworks that save at their own moment and want the response to save only later
    /// changes.
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionManager};
    /// let mut session = SessionManager::new(MemoryStore::new()).session(None);
    /// session.insert("a", 1)?;
    /// session.reset_flags();
    /// assert!(!session.is_accessed() && !session.is_modified());
    /// assert_eq!(session.get::<i32>("a")?, Some(1));
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn reset_flags(&mut self) {
        self.accessed = false;
        self.modified = false;
    }

    /// Loads the session from its store now, without marking it accessed. Web integrations
    /// call it to do the store I/O off the async executor before a handler runs; everyone
    /// else can rely on the lazy load.
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionManager};
    /// let mut session = SessionManager::new(MemoryStore::new()).session(None);
    /// session.load()?;
    /// assert!(!session.is_accessed());
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn load(&mut self) -> Result<()> {
        self.loaded().map(|_| ())
    }

    /// Whether the session has been loaded (or never needed to be).
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionManager};
    /// let mut session = SessionManager::new(MemoryStore::new()).session(None);
    /// assert!(!session.is_loaded());
    /// session.load()?;
    /// assert!(session.is_loaded());
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn is_loaded(&self) -> bool {
        self.data.is_some()
    }

    fn loaded(&mut self) -> Result<&mut SessionData> {
        if self.data.is_none() {
            self.begin_load();
            self.perform_pending()?;
        }
        Ok(self.data.get_or_insert_with(SessionData::new))
    }

    /// Takes in what the store holds for the client's key; forgets the key when it is not a
    /// live session.
    fn take_loaded(&mut self, bytes: Option<Vec<u8>>) {
        let Some(bytes) = bytes else {
            self.key = None;
            self.data = Some(SessionData::new());
            return;
        };
        let data = match self.manager.serializer().from_bytes(&bytes) {
            Ok(data) => {
                if let Expiry::At(at) = Expiry::from_value(data.get(reserved::SESSION_EXPIRY))
                    && at <= SystemTime::now()
                {
                    // Stores honour the record's expiry; this also covers stores (signed
                    // cookies) that cannot know it.
                    self.key = None;
                    SessionData::new()
                } else {
                    data
                }
            }
            Err(error) => {
                // Django's behaviour: undecodable data is a suspicious operation, logged, and
                // the session starts empty (keeping its key, so the next save overwrites it).
                tracing::warn!(
                    target: "session::suspicious",
                    key = %self.key.as_deref().map(crate::key_prefix).unwrap_or_default(),
                    error = &error as &dyn std::error::Error,
                    "session data corrupted; starting an empty session"
                );
                SessionData::new()
            }
        };
        self.data = Some(data);
    }

    fn read(&mut self) -> Result<&mut SessionData> {
        self.accessed = true;
        self.loaded()
    }

    /// The value under `key`, converted to `T`; `None` when absent. A value of another
    /// shape is an [`Error::Deserialize`].
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionManager};
    /// let mut session = SessionManager::new(MemoryStore::new()).session(None);
    /// session.insert("cart", vec![1, 2])?;
    /// assert_eq!(session.get::<Vec<u8>>("cart")?, Some(vec![1, 2]));
    /// assert!(session.get::<String>("cart").is_err());
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn get<T: DeserializeOwned>(&mut self, key: &str) -> Result<Option<T>> {
        match self.get_value(key)? {
            None => Ok(None),
            Some(v) => T::deserialize(v)
                .map(Some)
                .map_err(|e| Error::Deserialize(e.into())),
        }
    }

    /// The raw JSON value under `key`.
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionManager};
    /// let mut session = SessionManager::new(MemoryStore::new()).session(None);
    /// session.insert("n", 5)?;
    /// assert_eq!(session.get_value("n")?, Some(&serde_json::json!(5)));
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn get_value(&mut self, key: &str) -> Result<Option<&Value>> {
        Ok(self.read()?.get(key))
    }

    /// Whether `key` is present.
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionManager};
    /// let mut session = SessionManager::new(MemoryStore::new()).session(None);
    /// assert!(!session.contains_key("a")?);
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn contains_key(&mut self, key: &str) -> Result<bool> {
        Ok(self.read()?.contains_key(key))
    }

    /// The keys, in insertion order (reserved keys included).
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionManager};
    /// let mut session = SessionManager::new(MemoryStore::new()).session(None);
    /// session.insert("b", 1)?;
    /// session.insert("a", 2)?;
    /// assert_eq!(session.keys()?, ["b", "a"]);
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn keys(&mut self) -> Result<Vec<String>> {
        Ok(self.read()?.keys().cloned().collect())
    }

    /// The values, in insertion order.
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionManager};
    /// let mut session = SessionManager::new(MemoryStore::new()).session(None);
    /// session.insert("b", 1)?;
    /// assert_eq!(session.values()?, [serde_json::json!(1)]);
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn values(&mut self) -> Result<Vec<Value>> {
        Ok(self.read()?.values().cloned().collect())
    }

    /// The whole map, read-only (Django's `items()`).
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionManager};
    /// let mut session = SessionManager::new(MemoryStore::new()).session(None);
    /// session.insert("b", 1)?;
    /// let items: Vec<_> = session.as_map()?.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    /// assert_eq!(items, [("b".to_string(), serde_json::json!(1))]);
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn as_map(&mut self) -> Result<&SessionData> {
        Ok(self.read()?)
    }

    /// How many keys the session holds.
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionManager};
    /// let mut session = SessionManager::new(MemoryStore::new()).session(None);
    /// assert_eq!(session.len()?, 0);
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn len(&mut self) -> Result<usize> {
        Ok(self.read()?.len())
    }

    /// Whether the session holds no key.
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionManager};
    /// let mut session = SessionManager::new(MemoryStore::new()).session(None);
    /// assert!(session.is_empty()?);
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn is_empty(&mut self) -> Result<bool> {
        Ok(self.read()?.is_empty())
    }

    /// Stores `value` under `key`. Keys starting with `_` are [`Error::ReservedKey`].
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionManager};
    /// let mut session = SessionManager::new(MemoryStore::new()).session(None);
    /// session.insert("member_id", 1)?;
    /// assert!(session.insert("_hidden", 1).is_err());
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn insert<T: Serialize>(&mut self, key: impl Into<String>, value: T) -> Result<()> {
        let key = key.into();
        check_user_key(&key)?;
        let value = to_value(value)?;
        self.put(key, value)
    }

    fn put(&mut self, key: String, value: Value) -> Result<()> {
        self.read()?.insert(key, value);
        self.modified = true;
        Ok(())
    }

    /// Removes `key` and returns its value; `None` (and not modified) when it was absent.
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionManager};
    /// let mut session = SessionManager::new(MemoryStore::new()).session(None);
    /// session.insert("a", 1)?;
    /// assert_eq!(session.remove("a")?, Some(serde_json::json!(1)));
    /// assert_eq!(session.remove("a")?, None);
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn remove(&mut self, key: &str) -> Result<Option<Value>> {
        check_user_key(key)?;
        self.take(key)
    }

    fn take(&mut self, key: &str) -> Result<Option<Value>> {
        let removed = self.read()?.shift_remove(key);
        if removed.is_some() {
            self.modified = true;
        }
        Ok(removed)
    }

    /// Removes `key` and returns its value, or `default` when absent (Django's
    /// `pop(key, default)`).
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionManager};
    /// # use serde_json::json;
    /// let mut session = SessionManager::new(MemoryStore::new()).session(None);
    /// assert_eq!(session.pop_or("a", json!("none"))?, json!("none"));
    /// assert!(!session.is_modified());
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn pop_or(&mut self, key: &str, default: Value) -> Result<Value> {
        Ok(self.remove(key)?.unwrap_or(default))
    }

    /// The value under `key`, inserting `default` first when absent (Django's
    /// `setdefault`). Marks the session modified only when it inserts.
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionManager};
    /// # use serde_json::json;
    /// let mut session = SessionManager::new(MemoryStore::new()).session(None);
    /// assert_eq!(session.set_default("a", 1)?, json!(1));
    /// assert_eq!(session.set_default("a", 2)?, json!(1));
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn set_default<T: Serialize>(&mut self, key: &str, default: T) -> Result<Value> {
        check_user_key(key)?;
        if let Some(v) = self.read()?.get(key) {
            return Ok(v.clone());
        }
        let value = to_value(default)?;
        self.put(key.to_owned(), value.clone())?;
        Ok(value)
    }

    /// Inserts every pair (Django's `update(dict)`); nothing is written when any key is
    /// reserved or any value fails to serialize.
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionManager};
    /// let mut session = SessionManager::new(MemoryStore::new()).session(None);
    /// session.update([("a", 1), ("b", 2)])?;
    /// assert_eq!(session.len()?, 2);
    /// assert!(session.update([("c", 3), ("_d", 4)]).is_err());
    /// assert!(!session.contains_key("c")?);
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn update<K, V, I>(&mut self, pairs: I) -> Result<()>
    where
        K: Into<String>,
        V: Serialize,
        I: IntoIterator<Item = (K, V)>,
    {
        let pairs = pairs
            .into_iter()
            .map(|(k, v)| {
                let k = k.into();
                check_user_key(&k)?;
                Ok((k, to_value(v)?))
            })
            .collect::<Result<Vec<_>>>()?;
        let data = self.read()?;
        data.extend(pairs);
        self.modified = true;
        Ok(())
    }

    /// Empties the session without touching the store (the key stays). Marks it accessed
    /// and modified.
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionManager};
    /// let mut session = SessionManager::new(MemoryStore::new()).session(None);
    /// session.insert("a", 1)?;
    /// session.clear();
    /// assert!(session.is_empty()?);
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn clear(&mut self) {
        self.data = Some(SessionData::new());
        self.accessed = true;
        self.modified = true;
    }

    /// Ends the session: empties it, deletes it from the store and forgets its key (what
    /// `logout` does). The response then deletes the cookie.
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionManager, SessionStore};
    /// let store = std::sync::Arc::new(MemoryStore::new());
    /// let manager = SessionManager::new(store.clone());
    /// let mut session = manager.session(None);
    /// session.insert("member_id", 1)?;
    /// session.save()?;
    /// let key = session.key().unwrap().to_owned();
    /// session.flush()?;
    /// assert_eq!(session.key(), None);
    /// assert!(!store.exists(&key)?);
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn flush(&mut self) -> Result<()> {
        self.begin_flush();
        self.perform_pending()
    }

    /// Moves the data to a new key (what `login` does against session fixation). The new
    /// record is created first and the old one deleted only afterwards, so a failure never
    /// loses the session.
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionManager, SessionStore};
    /// let store = std::sync::Arc::new(MemoryStore::new());
    /// let manager = SessionManager::new(store.clone());
    /// let mut session = manager.session(None);
    /// session.insert("cart", 3)?;
    /// session.save()?;
    /// let old = session.key().unwrap().to_owned();
    /// session.cycle_key()?;
    /// assert_ne!(session.key(), Some(old.as_str()));
    /// assert!(!store.exists(&old)?);
    /// assert_eq!(session.get::<i32>("cart")?, Some(3));
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn cycle_key(&mut self) -> Result<()> {
        self.begin_cycle_key();
        self.perform_pending()
    }

    /// Writes the session to its store: creates it under a fresh key when it has none
    /// (and marks it modified, as Django's `create()` does, so the response sends the new
    /// key), else updates it. [`Error::Interrupted`] when the session was deleted meanwhile.
    ///
    /// ```
    /// # use session_core::{Error, MemoryStore, SessionManager};
    /// let manager = SessionManager::new(MemoryStore::new());
    /// let mut first = manager.session(None);
    /// first.insert("a", 1)?;
    /// first.save()?;
    /// let key = first.key().unwrap().to_owned();
    ///
    /// let mut second = manager.session(Some(&key));
    /// second.load()?;
    /// first.flush()?;            // a concurrent logout
    /// second.insert("b", 2)?;
    /// assert!(matches!(second.save(), Err(Error::Interrupted)));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn save(&mut self) -> Result<()> {
        self.begin_save();
        self.perform_pending()
    }

    /// The record of the loaded data as of `now`.
    fn record(&self, now: SystemTime) -> Result<Record> {
        let empty = SessionData::new();
        let data = self.data.as_ref().unwrap_or(&empty);
        let age = self.manager.config().cookie_age;
        let expires_at = Expiry::from_value(data.get(reserved::SESSION_EXPIRY)).date(now, age);
        let bytes = self.manager.serializer().to_bytes(data)?;
        Ok(Record::new(bytes, expires_at))
    }

    /// Sets how long the session lives (Django's `set_expiry`): an [`Expiry`], or what
    /// Django's `set_expiry` takes — whole seconds as an `i64` (`0`: browser close,
    /// negative: expired at once) or a [`SystemTime`]. See [`Expiry`].
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use session_core::{Expiry, MemoryStore, SessionManager};
    /// let mut session = SessionManager::new(MemoryStore::new()).session(None);
    /// session.set_expiry(Expiry::BrowserClose)?;
    /// assert!(session.expire_at_browser_close()?);
    /// session.set_expiry(300)?;
    /// assert_eq!(session.expiry_age()?, Duration::from_secs(300));
    /// session.set_expiry(-1)?; // Django: expired at once
    /// assert_eq!(session.expiry_age()?, Duration::ZERO);
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn set_expiry(&mut self, expiry: impl Into<Expiry>) -> Result<()> {
        match expiry.into().to_value() {
            Some(value) => self.put(reserved::SESSION_EXPIRY.to_owned(), value),
            None => self.take(reserved::SESSION_EXPIRY).map(|_| ()),
        }
    }

    /// The custom expiry, or [`Expiry::Default`].
    ///
    /// ```
    /// # use session_core::{Expiry, MemoryStore, SessionManager};
    /// let mut session = SessionManager::new(MemoryStore::new()).session(None);
    /// assert_eq!(session.expiry()?, Expiry::Default);
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn expiry(&mut self) -> Result<Expiry> {
        Ok(Expiry::from_value(
            self.read()?.get(reserved::SESSION_EXPIRY),
        ))
    }

    /// Time left until the session expires if saved now (Django's `get_expiry_age`).
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionManager};
    /// let mut session = SessionManager::new(MemoryStore::new()).session(None);
    /// assert_eq!(session.expiry_age()?.as_secs(), 1_209_600);
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn expiry_age(&mut self) -> Result<Duration> {
        self.expiry_age_at(SystemTime::now())
    }

    /// [`expiry_age`](Self::expiry_age) as of `modification`.
    ///
    /// ```
    /// # use std::time::{Duration, UNIX_EPOCH};
    /// # use session_core::{Expiry, MemoryStore, SessionManager};
    /// let mut session = SessionManager::new(MemoryStore::new()).session(None);
    /// let modification = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    /// session.set_expiry(Expiry::At(modification + Duration::from_secs(10)))?;
    /// assert_eq!(session.expiry_age_at(modification)?, Duration::from_secs(10));
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn expiry_age_at(&mut self, modification: SystemTime) -> Result<Duration> {
        let age = self.manager.config().cookie_age;
        Ok(self.expiry()?.age(modification, age))
    }

    /// When the session expires if saved now (Django's `get_expiry_date`).
    ///
    /// ```
    /// # use std::time::{Duration, SystemTime};
    /// # use session_core::{MemoryStore, SessionManager};
    /// let mut session = SessionManager::new(MemoryStore::new()).session(None);
    /// assert!(session.expiry_date()? > SystemTime::now() + Duration::from_secs(1_209_000));
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn expiry_date(&mut self) -> Result<SystemTime> {
        self.expiry_date_at(SystemTime::now())
    }

    /// [`expiry_date`](Self::expiry_date) as of `modification`.
    ///
    /// ```
    /// # use std::time::{Duration, SystemTime};
    /// # use session_core::{Expiry, MemoryStore, SessionManager};
    /// let mut session = SessionManager::new(MemoryStore::new()).session(None);
    /// let now = SystemTime::now();
    /// session.set_expiry(Expiry::Idle(Duration::from_secs(10)))?;
    /// assert_eq!(session.expiry_date_at(now)?, now + Duration::from_secs(10));
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn expiry_date_at(&mut self, modification: SystemTime) -> Result<SystemTime> {
        let age = self.manager.config().cookie_age;
        Ok(self.expiry()?.date(modification, age))
    }

    /// Whether the cookie dies with the browser (Django's `get_expire_at_browser_close`).
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionManager};
    /// let mut session = SessionManager::new(MemoryStore::new()).session(None);
    /// assert!(!session.expire_at_browser_close()?);
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn expire_at_browser_close(&mut self) -> Result<bool> {
        let global = self.manager.config().expire_at_browser_close;
        Ok(self.expiry()?.at_browser_close(global))
    }

    /// Django's `set_test_cookie`: stores `testcookie = "worked"`.
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionManager};
    /// let mut session = SessionManager::new(MemoryStore::new()).session(None);
    /// session.set_test_cookie()?;
    /// assert!(session.test_cookie_worked()?);
    /// session.delete_test_cookie()?;
    /// assert!(!session.test_cookie_worked()?);
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn set_test_cookie(&mut self) -> Result<()> {
        self.insert(TEST_COOKIE_NAME, TEST_COOKIE_VALUE)
    }

    /// Django's `test_cookie_worked`: whether the test value came back.
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionManager};
    /// let mut session = SessionManager::new(MemoryStore::new()).session(None);
    /// assert!(!session.test_cookie_worked()?);
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn test_cookie_worked(&mut self) -> Result<bool> {
        Ok(self.get_value(TEST_COOKIE_NAME)?.and_then(Value::as_str) == Some(TEST_COOKIE_VALUE))
    }

    /// Django's `delete_test_cookie`.
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionManager};
    /// let mut session = SessionManager::new(MemoryStore::new()).session(None);
    /// session.delete_test_cookie()?; // absent: fine
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn delete_test_cookie(&mut self) -> Result<()> {
        self.remove(TEST_COOKIE_NAME).map(|_| ())
    }

    /// Access to reserved (`_`-prefixed) keys, for framework code: authentication
    /// libraries, Django interop. Application code should not need it.
    ///
    /// ```
    /// # use session_core::{reserved, MemoryStore, SessionManager};
    /// let mut session = SessionManager::new(MemoryStore::new()).session(None);
    /// session.reserved().insert(reserved::AUTH_USER_ID, "1")?;
    /// assert_eq!(session.get::<String>(reserved::AUTH_USER_ID)?.as_deref(), Some("1"));
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn reserved(&mut self) -> Reserved<'_> {
        Reserved { session: self }
    }

    // ---- steps: what the session needs from its store (see `crate::step`) ----------------

    fn begin(&mut self, intent: Intent) {
        // A driver that gave up half-way (a cancelled request) leaves nothing behind that
        // a later operation could mistake for its own.
        self.pending = Some(intent);
    }

    /// Starts the lazy load, without marking the session accessed: web integrations load
    /// before a handler runs. Then drive [`next_op`](Self::next_op) /
    /// [`complete`](Self::complete); a session without a key, or already loaded, asks for
    /// nothing.
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionManager, StoreOp};
    /// let manager = SessionManager::new(MemoryStore::new());
    /// let mut session = manager.session(Some("clientkey123"));
    /// session.begin_load();
    /// assert_eq!(session.next_op()?, Some(StoreOp::Load { key: "clientkey123".into() }));
    /// let mut fresh = manager.session(None);
    /// fresh.begin_load();
    /// assert_eq!(fresh.next_op()?, None);
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn begin_load(&mut self) {
        self.begin(Intent::Load);
    }

    /// Starts [`save`](Self::save): a load first when needed, then a create (no key yet) or
    /// an update.
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionManager, StoreOp};
    /// let mut session = SessionManager::new(MemoryStore::new()).session(None);
    /// session.begin_save();
    /// assert!(matches!(session.next_op()?, Some(StoreOp::Create { .. })));
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn begin_save(&mut self) {
        self.begin(Intent::Save);
    }

    /// Starts [`flush`](Self::flush): the data is cleared and the key forgotten at once; a
    /// delete of the old key follows when there was one.
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionManager, StoreOp};
    /// let mut session = SessionManager::new(MemoryStore::new()).session(Some("clientkey123"));
    /// session.begin_flush();
    /// assert_eq!(session.key(), None);
    /// assert_eq!(session.next_op()?, Some(StoreOp::Delete { key: "clientkey123".into() }));
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn begin_flush(&mut self) {
        self.clear();
        self.pending = self.key.take().map(Intent::Delete);
    }

    /// Starts [`cycle_key`](Self::cycle_key): a load when needed, a create under a new key,
    /// then a delete of the old key. Marks the session accessed.
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionManager, StoreOp};
    /// let mut session = SessionManager::new(MemoryStore::new()).session(None);
    /// session.begin_cycle_key();
    /// assert!(matches!(session.next_op()?, Some(StoreOp::Create { .. })));
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn begin_cycle_key(&mut self) {
        self.accessed = true;
        self.begin(Intent::CycleKey);
    }

    /// Starts a renewal of the loaded session's expiry (rolling expiry, see
    /// [`SessionConfig::refresh_after`](crate::SessionConfig::refresh_after)): a
    /// [`StoreOp::Touch`] with the expiry the session would get if saved now; a save
    /// instead when the store answers [`Error::Unsupported`]. A session deleted meanwhile
    /// gives [`Error::Interrupted`], as a save does.
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionManager, StoreOp};
    /// let manager = SessionManager::new(MemoryStore::new());
    /// let mut session = manager.session(None);
    /// session.insert("a", 1)?;
    /// session.save()?;
    /// session.begin_touch();
    /// assert!(matches!(session.next_op()?, Some(StoreOp::Touch { .. })));
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn begin_touch(&mut self) {
        self.begin(Intent::Touch);
    }

    /// Whether the started operations still need the store. Pure: no serialization, no
    /// I/O. A driver that must move I/O elsewhere (a blocking pool) asks this first.
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionManager};
    /// let mut session = SessionManager::new(MemoryStore::new()).session(None);
    /// session.begin_load();
    /// assert!(!session.needs_store()); // no key: nothing to read
    /// session.begin_save();
    /// assert!(session.needs_store());
    /// ```
    pub fn needs_store(&self) -> bool {
        match &self.pending {
            None => false,
            Some(Intent::Load) => self.data.is_none() && self.key.is_some(),
            Some(Intent::Save | Intent::CycleKey | Intent::Delete(_)) => true,
            Some(Intent::Touch) => self.key.is_some(),
        }
    }

    /// The next store operation the started operations need, or `None` when they are done.
    /// Asking twice without [`complete`](Self::complete) asks for the same operation again.
    /// An `Err` (the data cannot be serialized) abandons the started operations.
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionManager};
    /// let mut session = SessionManager::new(MemoryStore::new()).session(None);
    /// assert_eq!(session.next_op()?, None); // nothing started
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn next_op(&mut self) -> Result<Option<StoreOp>> {
        let Some(intent) = &self.pending else {
            return Ok(None);
        };
        if matches!(
            intent,
            Intent::Load | Intent::Save | Intent::CycleKey | Intent::Touch
        ) && self.data.is_none()
        {
            match &self.key {
                // Rolling expiry needs the stored expiry: it comes with the data, at no
                // extra cost.
                Some(key) if self.manager.config().refresh_after.is_some() => {
                    return Ok(Some(StoreOp::LoadRecord { key: key.clone() }));
                }
                Some(key) => return Ok(Some(StoreOp::Load { key: key.clone() })),
                // A new session: nothing to read.
                None => self.data = Some(SessionData::new()),
            }
        }
        let op = match intent {
            Intent::Load => {
                self.pending = None;
                return Ok(None);
            }
            Intent::Save => {
                let record = self.record(SystemTime::now());
                let record = record.map_err(|error| self.abandon(error))?;
                match &self.key {
                    None => StoreOp::Create { record },
                    Some(key) => StoreOp::Save {
                        key: key.clone(),
                        record,
                    },
                }
            }
            Intent::CycleKey => {
                let record = self.record(SystemTime::now());
                let record = record.map_err(|error| self.abandon(error))?;
                StoreOp::Create { record }
            }
            Intent::Delete(key) => StoreOp::Delete { key: key.clone() },
            Intent::Touch => match &self.key {
                Some(key) => StoreOp::Touch {
                    key: key.clone(),
                    expires_at: self
                        .loaded_expiry()
                        .date(SystemTime::now(), self.manager.config().cookie_age),
                },
                // The client's key proved unknown: nothing to renew.
                None => {
                    self.pending = None;
                    return Ok(None);
                }
            },
        };
        Ok(Some(op))
    }

    /// Reports the outcome of the operation [`next_op`](Self::next_op) gave. An `Err`
    /// abandons the started operations and is returned (e.g. [`Error::Interrupted`] for a
    /// save of a session deleted meanwhile).
    ///
    /// ```
    /// # use session_core::{MemoryStore, Outcome, SessionManager};
    /// let mut session = SessionManager::new(MemoryStore::new()).session(Some("clientkey123"));
    /// session.begin_load();
    /// session.next_op()?;
    /// session.complete(Ok(Outcome::Loaded(None)))?; // unknown to the store
    /// assert_eq!(session.key(), None);              // so never adopted
    /// assert_eq!(session.next_op()?, None);
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn complete(&mut self, outcome: Result<Outcome>) -> Result<()> {
        if self.pending == Some(Intent::Touch)
            && self.data.is_some()
            && matches!(outcome, Err(Error::Unsupported { .. }))
        {
            // A store that cannot move the expiry alone (files, signed cookies) is saved.
            self.pending = Some(Intent::Save);
            return Ok(());
        }
        let outcome = outcome.map_err(|error| self.abandon(error))?;
        let Some(intent) = self.pending.take() else {
            return Err(self.mismatch(&outcome));
        };
        match (intent, outcome) {
            (
                intent @ (Intent::Load | Intent::Save | Intent::CycleKey | Intent::Touch),
                outcome @ (Outcome::Loaded(_) | Outcome::LoadedRecord(_)),
            ) if self.data.is_none() && self.key.is_some() => {
                let bytes = match outcome {
                    Outcome::LoadedRecord(record) => record.map(|record| {
                        self.stored_expiry = Some(record.expires_at);
                        record.data
                    }),
                    Outcome::Loaded(bytes) => bytes,
                    _ => None,
                };
                self.take_loaded(bytes);
                if intent != Intent::Load {
                    self.pending = Some(intent);
                }
            }
            (Intent::Touch, Outcome::Touched) => {}
            (Intent::Save, Outcome::Created(key)) => {
                self.key = Some(key);
                // Django's `create()`: a new key must reach the client, so the response
                // saves again and sends the cookie.
                self.modified = true;
            }
            (Intent::Save, Outcome::Saved(key)) => {
                self.key = Some(key);
            }
            (Intent::CycleKey, Outcome::Created(key)) => {
                self.modified = true;
                // The old record goes only now that the new one exists: a failure never
                // loses the session.
                self.pending = self.key.replace(key).map(Intent::Delete);
            }
            (Intent::Delete(_), Outcome::Deleted) => {}
            (intent, outcome) => {
                self.pending = Some(intent);
                return Err(self.mismatch(&outcome));
            }
        }
        Ok(())
    }

    /// The sync driver: performs every pending operation with the manager's store, on this
    /// thread.
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionManager};
    /// let mut session = SessionManager::new(MemoryStore::new()).session(None);
    /// session.begin_save();
    /// session.perform_pending()?;
    /// assert!(session.key().is_some());
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn perform_pending(&mut self) -> Result<()> {
        let manager = self.manager.clone();
        while let Some(op) = self.next_op()? {
            let outcome = op.perform(manager.store());
            self.complete(outcome)?;
        }
        Ok(())
    }

    fn abandon(&mut self, error: Error) -> Error {
        self.pending = None;
        error
    }

    fn mismatch(&mut self, outcome: &Outcome) -> Error {
        let message = format!(
            "store outcome {outcome:?} does not answer the session's pending operation {:?}",
            self.pending
        );
        self.abandon(Error::backend("session driver", message))
    }

    /// The custom expiry of the loaded data, without loading ([`Expiry::Default`] when not
    /// loaded).
    pub(crate) fn loaded_expiry(&self) -> Expiry {
        Expiry::from_value(
            self.data
                .as_ref()
                .and_then(|d| d.get(reserved::SESSION_EXPIRY)),
        )
    }

    /// Whether the loaded session is due for a renewal of its expiry under `refresh_after`
    /// at `now`: its stored expiry is known (loaded with the data) and older than the
    /// expiry a save now would give by more than `refresh_after`. Fixed
    /// ([`Expiry::At`]) expiries never are. Does no I/O.
    pub(crate) fn renewal_due(&self, refresh_after: std::time::Duration, now: SystemTime) -> bool {
        let (Some(stored), Some(_), Some(_)) = (self.stored_expiry, &self.key, &self.data) else {
            return false;
        };
        let expiry = self.loaded_expiry();
        if matches!(expiry, Expiry::At(_)) {
            return false;
        }
        // With an age-based expiry the record was last renewed at `stored - age`; it is due
        // once that is `refresh_after` ago: `stored + refresh_after <= now + age`.
        let renewed = expiry.date(now, self.manager.config().cookie_age);
        crate::expiry::saturating_add(stored, refresh_after) <= renewed
    }

    /// Whether Django's middleware would call the session empty: no key and no data.
    /// Does not load.
    pub(crate) fn is_empty_for_response(&self) -> bool {
        self.key.is_none() && self.data.as_ref().is_none_or(|d| d.is_empty())
    }
}

/// Writes to reserved (`_`-prefixed) keys; see [`Session::reserved`]. Reads go through
/// the normal [`Session::get`].
#[derive(Debug)]
pub struct Reserved<'a> {
    session: &'a mut Session,
}

impl Reserved<'_> {
    /// Stores `value` under any key, reserved or not.
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionManager};
    /// let mut session = SessionManager::new(MemoryStore::new()).session(None);
    /// session.reserved().insert("_csrftoken", "abc")?;
    /// assert!(session.contains_key("_csrftoken")?);
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn insert<T: Serialize>(&mut self, key: impl Into<String>, value: T) -> Result<()> {
        let value = to_value(value)?;
        self.session.put(key.into(), value)
    }

    /// Removes any key, reserved or not, and returns its value.
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionManager};
    /// let mut session = SessionManager::new(MemoryStore::new()).session(None);
    /// session.reserved().insert("_auth_user_id", "1")?;
    /// assert!(session.reserved().remove("_auth_user_id")?.is_some());
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn remove(&mut self, key: &str) -> Result<Option<Value>> {
        self.session.take(key)
    }
}

fn to_value<T: Serialize>(value: T) -> Result<Value> {
    serde_json::to_value(value).map_err(|e| Error::Serialize(e.into()))
}
