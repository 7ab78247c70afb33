//! The [`Session`] extractor and its methods: core's `Session`, shared and `async`.

use std::time::{Duration, SystemTime};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use session_core::{Error, Expiry, Result, SessionData};

use crate::handle::{Drive, Handle};

/// The request's session, as an axum extractor. Needs a [`SessionLayer`](crate::SessionLayer)
/// around the route.
///
/// The methods are those of [`session_core::Session`], made `async` because the session
/// is shared: any number of extractors in one request (two handler arguments, a
/// middleware and a handler) see the same data. Each method locks the session for that one
/// operation only, so no order of calls can deadlock.
///
/// Extracting loads the session from its store (one trip to the blocking thread pool for
/// stores that touch disk or network; inline for memory-only stores). After that, reads and
/// writes only touch memory; [`flush`](Self::flush), [`cycle_key`](Self::cycle_key) and
/// [`save`](Self::save) go to the store again. Changes are saved by the layer when the
/// response goes out. A handler that does not extract `Session` costs no store access.
///
/// ```
/// use axum::{Router, routing::post};
/// use session_core::{MemoryStore, SessionManager};
/// use session_tower::{Session, SessionLayer};
///
/// use session_tower::SessionError;
///
/// async fn comment(session: Session) -> Result<&'static str, SessionError> {
///     if session.get::<bool>("has_commented").await?.unwrap_or(false) {
///         return Ok("You've already commented.");
///     }
///     session.insert("has_commented", true).await?;
///     Ok("Thanks for your comment!")
/// }
///
/// let app: Router = Router::new()
///     .route("/comment", post(comment))
///     .layer(SessionLayer::new(SessionManager::new(MemoryStore::new())));
/// # let _ = app;
/// ```
///
/// Handlers return [`SessionError`](crate::SessionError) to turn a `session_core::Error` into a response with `?`.
#[derive(Clone)]
pub struct Session {
    pub(crate) handle: Handle,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("drive", &self.handle.drive_mode())
            .finish_non_exhaustive()
    }
}

fn to_value<T: Serialize>(value: T) -> Result<Value> {
    serde_json::to_value(value).map_err(|e| Error::Serialize(e.into()))
}

impl Session {
    /// A session extractor over a core session, outside any layer: for unit tests of
    /// handlers and for doc examples. Store I/O goes through the store's async side (or
    /// inline for a sync-only manager); nothing is saved unless you call
    /// [`save`](Self::save).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), session_core::Error> {
    /// use session_core::{MemoryStore, SessionManager};
    /// use session_tower::Session;
    ///
    /// let manager = SessionManager::new(MemoryStore::new());
    /// let session = Session::from_core(manager.session(None));
    /// session.insert("member_id", 1).await?;
    /// assert_eq!(session.get::<u32>("member_id").await?, Some(1));
    /// # Ok(()) }
    /// ```
    pub fn from_core(session: session_core::Session) -> Self {
        let drive = Drive::default_for(session.manager(), Drive::Inline);
        Session {
            handle: Handle::new(session, drive),
        }
    }

    /// The session key: the client's cookie value once the store confirmed it, a fresh key
    /// after a save or [`cycle_key`](Self::cycle_key), `None` for a new or flushed session.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), session_core::Error> {
    /// # let manager = session_core::SessionManager::new(session_core::MemoryStore::new());
    /// # let session = session_tower::Session::from_core(manager.session(None));
    /// assert_eq!(session.key().await, None);
    /// session.insert("a", 1).await?;
    /// session.save().await?;
    /// assert_eq!(session.key().await.unwrap().len(), 32);
    /// # Ok(()) }
    /// ```
    pub async fn key(&self) -> Option<String> {
        self.handle.memory(|s| s.key().map(str::to_owned)).await
    }

    /// Whether any read or write happened (the response then varies on `Cookie`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), session_core::Error> {
    /// # let manager = session_core::SessionManager::new(session_core::MemoryStore::new());
    /// # let session = session_tower::Session::from_core(manager.session(None));
    /// assert!(!session.is_accessed().await);
    /// session.get::<u32>("a").await?;
    /// assert!(session.is_accessed().await);
    /// # Ok(()) }
    /// ```
    pub async fn is_accessed(&self) -> bool {
        self.handle.memory(|s| s.is_accessed()).await
    }

    /// Whether the data changed and will be saved with the response.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), session_core::Error> {
    /// # let manager = session_core::SessionManager::new(session_core::MemoryStore::new());
    /// # let session = session_tower::Session::from_core(manager.session(None));
    /// session.insert("a", 1).await?;
    /// assert!(session.is_modified().await);
    /// # Ok(()) }
    /// ```
    pub async fn is_modified(&self) -> bool {
        self.handle.memory(|s| s.is_modified()).await
    }

    /// Marks the session modified, so the response saves it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), session_core::Error> {
    /// # let manager = session_core::SessionManager::new(session_core::MemoryStore::new());
    /// # let session = session_tower::Session::from_core(manager.session(None));
    /// session.mark_modified().await;
    /// assert!(session.is_modified().await);
    /// # Ok(()) }
    /// ```
    pub async fn mark_modified(&self) {
        self.handle.memory(|s| s.mark_modified()).await
    }

    /// Clears the accessed and modified flags, keeping the data and the key (Django's
    /// `session.accessed = session.modified = False`); see
    /// [`session_core::Session::reset_flags`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), session_core::Error> {
    /// # let manager = session_core::SessionManager::new(session_core::MemoryStore::new());
    /// # let session = session_tower::Session::from_core(manager.session(None));
    /// session.insert("a", 1).await?;
    /// session.reset_flags().await;
    /// assert!(!session.is_modified().await);
    /// # Ok(()) }
    /// ```
    pub async fn reset_flags(&self) {
        self.handle.memory(|s| s.reset_flags()).await
    }

    /// The value under `key`, converted to `T`; `None` when absent, [`Error::Deserialize`] when
    /// it has another shape.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), session_core::Error> {
    /// # let manager = session_core::SessionManager::new(session_core::MemoryStore::new());
    /// # let session = session_tower::Session::from_core(manager.session(None));
    /// session.insert("cart", vec![1, 2]).await?;
    /// assert_eq!(session.get::<Vec<u8>>("cart").await?, Some(vec![1, 2]));
    /// assert!(session.get::<String>("cart").await.is_err());
    /// # Ok(()) }
    /// ```
    pub async fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        self.handle.loaded(|s| s.get(key)).await
    }

    /// The raw JSON value under `key` (a copy).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), session_core::Error> {
    /// # let manager = session_core::SessionManager::new(session_core::MemoryStore::new());
    /// # let session = session_tower::Session::from_core(manager.session(None));
    /// session.insert("n", 5).await?;
    /// assert_eq!(session.get_value("n").await?, Some(serde_json::json!(5)));
    /// # Ok(()) }
    /// ```
    pub async fn get_value(&self, key: &str) -> Result<Option<Value>> {
        self.handle.loaded(|s| Ok(s.get_value(key)?.cloned())).await
    }

    /// Whether `key` is present.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), session_core::Error> {
    /// # let manager = session_core::SessionManager::new(session_core::MemoryStore::new());
    /// # let session = session_tower::Session::from_core(manager.session(None));
    /// assert!(!session.contains_key("a").await?);
    /// # Ok(()) }
    /// ```
    pub async fn contains_key(&self, key: &str) -> Result<bool> {
        self.handle.loaded(|s| s.contains_key(key)).await
    }

    /// The keys, in insertion order (reserved keys included).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), session_core::Error> {
    /// # let manager = session_core::SessionManager::new(session_core::MemoryStore::new());
    /// # let session = session_tower::Session::from_core(manager.session(None));
    /// session.insert("b", 1).await?;
    /// session.insert("a", 2).await?;
    /// assert_eq!(session.keys().await?, ["b", "a"]);
    /// # Ok(()) }
    /// ```
    pub async fn keys(&self) -> Result<Vec<String>> {
        self.handle.loaded(|s| s.keys()).await
    }

    /// The values, in insertion order.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), session_core::Error> {
    /// # let manager = session_core::SessionManager::new(session_core::MemoryStore::new());
    /// # let session = session_tower::Session::from_core(manager.session(None));
    /// session.insert("b", 1).await?;
    /// assert_eq!(session.values().await?, [serde_json::json!(1)]);
    /// # Ok(()) }
    /// ```
    pub async fn values(&self) -> Result<Vec<Value>> {
        self.handle.loaded(|s| s.values()).await
    }

    /// A copy of the whole map, reserved keys included (Django's `items()`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), session_core::Error> {
    /// # let manager = session_core::SessionManager::new(session_core::MemoryStore::new());
    /// # let session = session_tower::Session::from_core(manager.session(None));
    /// session.insert("b", 1).await?;
    /// assert_eq!(serde_json::Value::Object(session.to_map().await?), serde_json::json!({"b": 1}));
    /// # Ok(()) }
    /// ```
    pub async fn to_map(&self) -> Result<SessionData> {
        self.handle.loaded(|s| s.as_map().cloned()).await
    }

    /// How many keys the session holds.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), session_core::Error> {
    /// # let manager = session_core::SessionManager::new(session_core::MemoryStore::new());
    /// # let session = session_tower::Session::from_core(manager.session(None));
    /// assert_eq!(session.len().await?, 0);
    /// # Ok(()) }
    /// ```
    pub async fn len(&self) -> Result<usize> {
        self.handle.loaded(|s| s.len()).await
    }

    /// Whether the session holds no key.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), session_core::Error> {
    /// # let manager = session_core::SessionManager::new(session_core::MemoryStore::new());
    /// # let session = session_tower::Session::from_core(manager.session(None));
    /// assert!(session.is_empty().await?);
    /// # Ok(()) }
    /// ```
    pub async fn is_empty(&self) -> Result<bool> {
        self.handle.loaded(|s| s.is_empty()).await
    }

    /// Stores `value` under `key`; keys starting with `_` are [`Error::ReservedKey`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), session_core::Error> {
    /// # let manager = session_core::SessionManager::new(session_core::MemoryStore::new());
    /// # let session = session_tower::Session::from_core(manager.session(None));
    /// session.insert("member_id", 1).await?;
    /// assert!(matches!(session.insert("_x", 1).await, Err(session_core::Error::ReservedKey(_))));
    /// # Ok(()) }
    /// ```
    pub async fn insert<T: Serialize>(&self, key: impl Into<String>, value: T) -> Result<()> {
        let (key, value) = (key.into(), to_value(value)?);
        self.handle.loaded(|s| s.insert(key, value)).await
    }

    /// Removes `key` and returns its value; `None` (and not modified) when absent.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), session_core::Error> {
    /// # let manager = session_core::SessionManager::new(session_core::MemoryStore::new());
    /// # let session = session_tower::Session::from_core(manager.session(None));
    /// session.insert("a", 1).await?;
    /// assert_eq!(session.remove("a").await?, Some(serde_json::json!(1)));
    /// assert_eq!(session.remove("a").await?, None);
    /// # Ok(()) }
    /// ```
    pub async fn remove(&self, key: &str) -> Result<Option<Value>> {
        self.handle.loaded(|s| s.remove(key)).await
    }

    /// Removes `key` and returns its value, or `default` when absent (Django's `pop`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), session_core::Error> {
    /// # let manager = session_core::SessionManager::new(session_core::MemoryStore::new());
    /// # let session = session_tower::Session::from_core(manager.session(None));
    /// assert_eq!(session.pop_or("a", serde_json::json!(0)).await?, serde_json::json!(0));
    /// # Ok(()) }
    /// ```
    pub async fn pop_or(&self, key: &str, default: Value) -> Result<Value> {
        self.handle.loaded(|s| s.pop_or(key, default)).await
    }

    /// The value under `key`, inserting `default` first when absent (Django's `setdefault`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), session_core::Error> {
    /// # let manager = session_core::SessionManager::new(session_core::MemoryStore::new());
    /// # let session = session_tower::Session::from_core(manager.session(None));
    /// assert_eq!(session.set_default("a", 1).await?, serde_json::json!(1));
    /// assert_eq!(session.set_default("a", 2).await?, serde_json::json!(1));
    /// # Ok(()) }
    /// ```
    pub async fn set_default<T: Serialize>(&self, key: &str, default: T) -> Result<Value> {
        let default = to_value(default)?;
        self.handle.loaded(|s| s.set_default(key, default)).await
    }

    /// Inserts every pair (Django's `update`); nothing is written when a key is reserved.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), session_core::Error> {
    /// # let manager = session_core::SessionManager::new(session_core::MemoryStore::new());
    /// # let session = session_tower::Session::from_core(manager.session(None));
    /// session.update([("a", 1), ("b", 2)]).await?;
    /// assert_eq!(session.len().await?, 2);
    /// # Ok(()) }
    /// ```
    pub async fn update<K, V, I>(&self, pairs: I) -> Result<()>
    where
        K: Into<String>,
        V: Serialize,
        I: IntoIterator<Item = (K, V)>,
    {
        let pairs = pairs
            .into_iter()
            .map(|(k, v)| Ok((k.into(), to_value(v)?)))
            .collect::<Result<Vec<(String, Value)>>>()?;
        self.handle.loaded(|s| s.update(pairs)).await
    }

    /// Empties the session; the key stays (Django's `clear`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), session_core::Error> {
    /// # let manager = session_core::SessionManager::new(session_core::MemoryStore::new());
    /// # let session = session_tower::Session::from_core(manager.session(None));
    /// session.insert("a", 1).await?;
    /// session.clear().await;
    /// assert!(session.is_empty().await?);
    /// # Ok(()) }
    /// ```
    pub async fn clear(&self) {
        self.handle.memory(|s| s.clear()).await
    }

    /// Ends the session (logout): empties it, deletes it from the store now and forgets the
    /// key; the response deletes the cookie. One store trip.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), session_core::Error> {
    /// # let manager = session_core::SessionManager::new(session_core::MemoryStore::new());
    /// # let session = session_tower::Session::from_core(manager.session(None));
    /// session.insert("member_id", 1).await?;
    /// session.save().await?;
    /// session.flush().await?;
    /// assert_eq!(session.key().await, None);
    /// # Ok(()) }
    /// ```
    pub async fn flush(&self) -> Result<()> {
        self.handle.drive(|s| s.begin_flush()).await
    }

    /// Moves the data to a new key (login, against session fixation): the new record is created
    /// before the old one is deleted. One store trip.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), session_core::Error> {
    /// # let manager = session_core::SessionManager::new(session_core::MemoryStore::new());
    /// # let session = session_tower::Session::from_core(manager.session(None));
    /// session.insert("member_id", 1).await?;
    /// session.save().await?;
    /// let old = session.key().await;
    /// session.cycle_key().await?;
    /// assert_ne!(session.key().await, old);
    /// # Ok(()) }
    /// ```
    pub async fn cycle_key(&self) -> Result<()> {
        self.handle.drive(|s| s.begin_cycle_key()).await
    }

    /// Writes the session to the store now (the layer saves at the end anyway when it is
    /// modified). [`Error::Interrupted`] when it was deleted meanwhile. One store trip.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), session_core::Error> {
    /// # let manager = session_core::SessionManager::new(session_core::MemoryStore::new());
    /// # let session = session_tower::Session::from_core(manager.session(None));
    /// session.insert("a", 1).await?;
    /// session.save().await?;
    /// assert!(session.key().await.is_some());
    /// # Ok(()) }
    /// ```
    pub async fn save(&self) -> Result<()> {
        self.handle.drive(|s| s.begin_save()).await
    }

    /// Sets how long the session lives (Django's `set_expiry`): an [`Expiry`], whole seconds
    /// (`0`: browser close, negative: expired at once) or a [`SystemTime`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), session_core::Error> {
    /// # let manager = session_core::SessionManager::new(session_core::MemoryStore::new());
    /// # let session = session_tower::Session::from_core(manager.session(None));
    /// session.set_expiry(session_core::Expiry::BrowserClose).await?;
    /// assert!(session.expire_at_browser_close().await?);
    /// # Ok(()) }
    /// ```
    pub async fn set_expiry(&self, expiry: impl Into<Expiry>) -> Result<()> {
        let expiry = expiry.into();
        self.handle.loaded(|s| s.set_expiry(expiry)).await
    }

    /// The custom expiry, or [`Expiry::Default`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), session_core::Error> {
    /// # let manager = session_core::SessionManager::new(session_core::MemoryStore::new());
    /// # let session = session_tower::Session::from_core(manager.session(None));
    /// assert_eq!(session.expiry().await?, session_core::Expiry::Default);
    /// # Ok(()) }
    /// ```
    pub async fn expiry(&self) -> Result<Expiry> {
        self.handle.loaded(|s| s.expiry()).await
    }

    /// Time left until the session expires if saved now (Django's `get_expiry_age`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), session_core::Error> {
    /// # let manager = session_core::SessionManager::new(session_core::MemoryStore::new());
    /// # let session = session_tower::Session::from_core(manager.session(None));
    /// assert_eq!(session.expiry_age().await?.as_secs(), 1_209_600);
    /// # Ok(()) }
    /// ```
    pub async fn expiry_age(&self) -> Result<Duration> {
        self.handle.loaded(|s| s.expiry_age()).await
    }

    /// When the session expires if saved now (Django's `get_expiry_date`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), session_core::Error> {
    /// # let manager = session_core::SessionManager::new(session_core::MemoryStore::new());
    /// # let session = session_tower::Session::from_core(manager.session(None));
    /// assert!(session.expiry_date().await? > std::time::SystemTime::now());
    /// # Ok(()) }
    /// ```
    pub async fn expiry_date(&self) -> Result<SystemTime> {
        self.handle.loaded(|s| s.expiry_date()).await
    }

    /// Whether the cookie dies with the browser (Django's `get_expire_at_browser_close`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), session_core::Error> {
    /// # let manager = session_core::SessionManager::new(session_core::MemoryStore::new());
    /// # let session = session_tower::Session::from_core(manager.session(None));
    /// assert!(!session.expire_at_browser_close().await?);
    /// # Ok(()) }
    /// ```
    pub async fn expire_at_browser_close(&self) -> Result<bool> {
        self.handle.loaded(|s| s.expire_at_browser_close()).await
    }

    /// Django's `set_test_cookie`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), session_core::Error> {
    /// # let manager = session_core::SessionManager::new(session_core::MemoryStore::new());
    /// # let session = session_tower::Session::from_core(manager.session(None));
    /// session.set_test_cookie().await?;
    /// assert!(session.test_cookie_worked().await?);
    /// # Ok(()) }
    /// ```
    pub async fn set_test_cookie(&self) -> Result<()> {
        self.handle.loaded(|s| s.set_test_cookie()).await
    }

    /// Django's `test_cookie_worked`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), session_core::Error> {
    /// # let manager = session_core::SessionManager::new(session_core::MemoryStore::new());
    /// # let session = session_tower::Session::from_core(manager.session(None));
    /// assert!(!session.test_cookie_worked().await?);
    /// # Ok(()) }
    /// ```
    pub async fn test_cookie_worked(&self) -> Result<bool> {
        self.handle.loaded(|s| s.test_cookie_worked()).await
    }

    /// Django's `delete_test_cookie`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), session_core::Error> {
    /// # let manager = session_core::SessionManager::new(session_core::MemoryStore::new());
    /// # let session = session_tower::Session::from_core(manager.session(None));
    /// session.set_test_cookie().await?;
    /// session.delete_test_cookie().await?;
    /// assert!(!session.test_cookie_worked().await?);
    /// # Ok(()) }
    /// ```
    pub async fn delete_test_cookie(&self) -> Result<()> {
        self.handle.loaded(|s| s.delete_test_cookie()).await
    }

    /// Starts an operation on the core session with `begin` (one of its `begin_*` methods, or
    /// a [`ResponsePlan::begin`](session_core::ResponsePlan::begin)), then performs the store
    /// operations the session asks for, as the methods above do, under the lock throughout.
    /// For drivers of other web frameworks that reuse this session (their response phase
    /// is [`respond`](Self::respond)); handlers want the named methods.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), session_core::Error> {
    /// # let manager = session_core::SessionManager::new(session_core::MemoryStore::new());
    /// # let session = session_tower::Session::from_core(manager.session(None));
    /// session.insert("a", 1).await?;
    /// let plan = session
    ///     .drive(|s| {
    ///         let plan = s.manager().plan(s, 200, false);
    ///         plan.begin(s);
    ///         plan
    ///     })
    ///     .await?;
    /// let action = session.with(|s| plan.cookie(s)).await?;
    /// assert!(action.vary_cookie());
    /// assert!(session.key().await.is_some());
    /// # Ok(()) }
    /// ```
    pub async fn drive<T>(&self, begin: impl FnOnce(&mut session_core::Session) -> T) -> Result<T> {
        self.handle.drive(begin).await
    }

    /// The response phase of a web framework's driver, under one lock: Django's decision
    /// for a response of `status` ([`SessionManager::plan`](session_core::SessionManager::plan);
    /// `had_cookie`: a session cookie came in) and the store operations it needs, then the
    /// cookie to send and the prefix of the session's key (for request logs). What
    /// [`SessionLayer`](crate::SessionLayer) does on the way out; `session-actix` finishes
    /// its responses this way.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), session_core::Error> {
    /// # let manager = session_core::SessionManager::new(session_core::MemoryStore::new());
    /// # let session = session_tower::Session::from_core(manager.session(None));
    /// session.insert("a", 1).await?;
    /// let (action, prefix) = session.respond(200, false).await?;
    /// assert!(matches!(action, session_core::CookieAction::Set { .. }));
    /// assert_eq!(prefix, session.key().await.as_deref().map(session_core::key_prefix));
    /// # Ok(()) }
    /// ```
    pub async fn respond(
        &self,
        status: u16,
        had_cookie: bool,
    ) -> Result<(session_core::CookieAction, Option<String>)> {
        self.handle.respond(status, had_cookie).await
    }

    /// Runs `f` on the core session under the lock, for several operations at once or for
    /// the reserved-key API ([`session_core::Session::reserved`]).
    ///
    /// `f` runs on the async executor thread: call only in-memory methods in it. Store
    /// operations (`flush`, `cycle_key`, `save`) would block the executor for a store that
    /// touches disk or network; use the methods of this type for those. `f` cannot await, so
    /// it cannot deadlock on the session.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), session_core::Error> {
    /// # let manager = session_core::SessionManager::new(session_core::MemoryStore::new());
    /// # let session = session_tower::Session::from_core(manager.session(None));
    /// session.with(|s| s.reserved().insert("_auth_user_id", "1")).await?;
    /// assert_eq!(session.get::<String>("_auth_user_id").await?.as_deref(), Some("1"));
    /// # Ok(()) }
    /// ```
    pub async fn with<T>(&self, f: impl FnOnce(&mut session_core::Session) -> T) -> T {
        self.handle.memory(f).await
    }
}
