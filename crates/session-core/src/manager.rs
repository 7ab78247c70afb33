//! The manager (store + serializer + config), Django's response decision as a plan, and
//! `finish`, its sync driver.

use std::sync::Arc;
use std::time::SystemTime;

use crate::async_store::async_only;
use crate::{
    AsyncSessionStore, CookieAction, DynAsyncStore, Json, Record, ResponsePlan, Result, Serializer,
    Session, SessionConfig, SessionStore,
};

/// The longest cookie value a session will even look at; longer ones start a fresh session.
pub const MAX_COOKIE_VALUE_LEN: usize = 8192;

/// Everything sessions need, shared by all requests: a store, a serializer and the
/// configuration. Cheap to clone (one `Arc`).
///
/// ```
/// use session_core::{MemoryStore, MessagePack, SessionConfig, SessionManager};
///
/// let manager = SessionManager::new(MemoryStore::new())
///     .with_serializer(MessagePack)
///     .with_config(SessionConfig::default().with_cookie_secure(true));
/// assert!(manager.config().cookie_secure);
/// ```
#[derive(Clone)]
pub struct SessionManager {
    inner: Arc<Inner>,
}

#[derive(Clone)]
struct Inner {
    /// The store as the sync driver reaches it.
    store: Arc<dyn SessionStore>,
    /// The store as async drivers reach it; `None` for a sync-only manager.
    async_store: Option<Arc<dyn DynAsyncStore>>,
    serializer: Arc<dyn Serializer>,
    config: SessionConfig,
}

impl std::fmt::Debug for SessionManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionManager")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl SessionManager {
    /// A manager over `store`, with the [`Json`] serializer and Django's default config.
    /// Both drivers use it: the sync [`Session`] methods call its [`SessionStore`] side, a
    /// web integration its [`AsyncSessionStore`] side (where the store schedules its own
    /// I/O). Every store of this project has both.
    ///
    /// ```
    /// let manager = session_core::SessionManager::new(session_core::MemoryStore::new());
    /// assert_eq!(manager.config().cookie_name, "sessionid");
    /// ```
    pub fn new<S>(store: S) -> Self
    where
        S: SessionStore + AsyncSessionStore + 'static,
    {
        let store = Arc::new(store);
        Self::with_views(store.clone(), Some(store))
    }

    /// A manager over a store that has only the sync [`SessionStore`] side (a store of
    /// your own). Web integrations then perform its operations on a blocking-thread pool.
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionManager};
    /// let manager = SessionManager::new_sync(MemoryStore::new());
    /// assert!(!manager.has_async_store());
    /// ```
    pub fn new_sync(store: impl SessionStore + 'static) -> Self {
        Self::with_views(Arc::new(store), None)
    }

    /// A manager over an async-only store (an async engine: sqlx, the AWS SDK, ...). Only
    /// async drivers can use it: the sync [`Session`] methods that need the store answer
    /// [`Error::Unsupported`](crate::Error::Unsupported).
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionManager};
    /// let manager = SessionManager::new_async(MemoryStore::new());
    /// let mut session = manager.session(None);
    /// session.insert("a", 1)?;
    /// assert!(session.save().is_err()); // no sync path to this store
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn new_async(store: impl AsyncSessionStore + 'static) -> Self {
        Self::with_views(Arc::new(AsyncOnly), Some(Arc::new(store)))
    }

    /// A manager over a store chosen at run time, given as its two faces (usually two
    /// `Arc`s of the same store): for apps that pick the backend from configuration.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use session_core::{DynAsyncStore, MemoryStore, SessionManager, SessionStore};
    ///
    /// let store = Arc::new(MemoryStore::new());
    /// let (sync, async_face): (Arc<dyn SessionStore>, Arc<dyn DynAsyncStore>) =
    ///     (store.clone(), store);
    /// let manager = SessionManager::from_dyn(sync, async_face);
    /// assert!(manager.has_async_store());
    /// ```
    pub fn from_dyn(store: Arc<dyn SessionStore>, async_store: Arc<dyn DynAsyncStore>) -> Self {
        Self::with_views(store, Some(async_store))
    }

    fn with_views(
        store: Arc<dyn SessionStore>,
        async_store: Option<Arc<dyn DynAsyncStore>>,
    ) -> Self {
        SessionManager {
            inner: Arc::new(Inner {
                store,
                async_store,
                serializer: Arc::new(Json),
                config: SessionConfig::default(),
            }),
        }
    }

    /// Whether async drivers reach the store through its own [`AsyncSessionStore`] side
    /// (false for [`new_sync`](Self::new_sync) managers).
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionManager};
    /// assert!(SessionManager::new(MemoryStore::new()).has_async_store());
    /// ```
    pub fn has_async_store(&self) -> bool {
        self.inner.async_store.is_some()
    }

    /// The store's async side, when it has one.
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionManager};
    /// let manager = SessionManager::new(MemoryStore::new());
    /// assert!(manager.async_store().is_some());
    /// ```
    pub fn async_store(&self) -> Option<&dyn DynAsyncStore> {
        self.inner.async_store.as_deref()
    }

    fn map(self, f: impl FnOnce(&mut Inner)) -> Self {
        let mut inner = Arc::unwrap_or_clone(self.inner);
        f(&mut inner);
        SessionManager {
            inner: Arc::new(inner),
        }
    }

    /// Uses `serializer` for session data.
    ///
    /// ```
    /// # use session_core::{MemoryStore, MessagePack, SessionManager};
    /// let manager = SessionManager::new(MemoryStore::new()).with_serializer(MessagePack);
    /// # let _ = manager;
    /// ```
    #[must_use]
    pub fn with_serializer(self, serializer: impl Serializer + 'static) -> Self {
        self.map(|i| i.serializer = Arc::new(serializer))
    }

    /// Uses `config` for cookies and saving.
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionConfig, SessionManager};
    /// let config = SessionConfig::default().with_save_every_request(true);
    /// let manager = SessionManager::new(MemoryStore::new()).with_config(config);
    /// assert!(manager.config().save_every_request);
    /// ```
    #[must_use]
    pub fn with_config(self, config: SessionConfig) -> Self {
        self.map(|i| i.config = config)
    }

    /// The store.
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionManager, SessionStore};
    /// let manager = SessionManager::new(MemoryStore::new());
    /// assert!(!manager.store().exists("nosuchkey")?);
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn store(&self) -> &dyn SessionStore {
        &*self.inner.store
    }

    /// The serializer.
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionData, SessionManager};
    /// let manager = SessionManager::new(MemoryStore::new());
    /// assert_eq!(manager.serializer().to_bytes(&SessionData::new())?, b"{}");
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn serializer(&self) -> &dyn Serializer {
        &*self.inner.serializer
    }

    /// The configuration.
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionManager};
    /// assert!(SessionManager::new(MemoryStore::new()).config().cookie_http_only);
    /// ```
    pub fn config(&self) -> &SessionConfig {
        &self.inner.config
    }

    /// The session for a request, from the value of its session cookie (if any). Nothing is
    /// loaded yet. Values shorter than 8 characters (or absurdly long) are ignored, as in
    /// Django.
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionManager};
    /// let manager = SessionManager::new(MemoryStore::new());
    /// assert_eq!(manager.session(Some("short")).key(), None);
    /// assert_eq!(manager.session(Some("longenough")).key(), Some("longenough"));
    /// ```
    pub fn session(&self, cookie: Option<&str>) -> Session {
        let key = cookie
            .filter(|c| (crate::key::MIN_LEN..=MAX_COOKIE_VALUE_LEN).contains(&c.len()))
            .map(str::to_owned);
        Session::new(self.clone(), key)
    }

    /// Django's `SessionMiddleware.process_response`, without a web framework: saves the
    /// session if needed and says which cookie to send.
    ///
    /// - a session cookie came in (`had_cookie`) and the session is now empty (flushed, or
    ///   its key was unknown and nothing was stored): delete the cookie;
    /// - else, when the session is modified (or `save_every_request`), not empty, and
    ///   `status < 500`: save it and set the cookie, with `Max-Age`/`expires` from its
    ///   expiry (none for browser-close sessions);
    /// - else, with [`SessionConfig::refresh_after`] set, when the session was loaded, its
    ///   last renewal is older than that and `status < 500`: touch it (move its expiry
    ///   only) and set the cookie with the new `Max-Age`;
    /// - `Vary: Cookie` whenever the session was accessed or a cookie is set or deleted.
    ///
    /// A session deleted meanwhile gives [`Error::Interrupted`](crate::Error::Interrupted):
    /// answer HTTP 400.
    ///
    /// ```
    /// use session_core::{CookieAction, MemoryStore, SessionManager};
    ///
    /// let manager = SessionManager::new(MemoryStore::new());
    /// let mut session = manager.session(None);
    /// session.insert("has_commented", true)?;
    /// let action = manager.finish(&mut session, 200, false)?;
    /// let header = manager.set_cookie_header(&action).unwrap();
    /// assert!(header.starts_with(&format!("sessionid={}; expires=", session.key().unwrap())));
    /// assert!(header.ends_with("; HttpOnly; Max-Age=1209600; Path=/; SameSite=Lax"));
    /// assert!(action.vary_cookie());
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn finish(
        &self,
        session: &mut Session,
        status: u16,
        had_cookie: bool,
    ) -> Result<CookieAction> {
        let plan = self.plan(session, status, had_cookie);
        plan.begin(session);
        session.perform_pending()?;
        plan.cookie(session)
    }

    /// What [`finish`](Self::finish) must do for this response, decided without I/O:
    /// Django's `process_response` as data. A driver then calls [`ResponsePlan::begin`],
    /// performs the session's pending store operations (see [`crate::step`]) and asks
    /// [`ResponsePlan::cookie`] for the cookie to send.
    ///
    /// ```
    /// use session_core::{MemoryStore, ResponsePlan, SessionManager};
    ///
    /// let manager = SessionManager::new(MemoryStore::new());
    /// let mut session = manager.session(None);
    /// assert_eq!(manager.plan(&session, 200, false), ResponsePlan::Nothing { vary_cookie: false });
    /// session.insert("has_commented", true)?;
    /// assert_eq!(manager.plan(&session, 200, false), ResponsePlan::Save);
    /// assert_eq!(manager.plan(&session, 500, false), ResponsePlan::Nothing { vary_cookie: true });
    /// session.flush()?;
    /// assert_eq!(manager.plan(&session, 200, true), ResponsePlan::DeleteCookie);
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn plan(&self, session: &Session, status: u16, had_cookie: bool) -> ResponsePlan {
        let empty = session.is_empty_for_response();
        if had_cookie && empty {
            return ResponsePlan::DeleteCookie;
        }
        if (session.is_modified() || self.config().save_every_request) && !empty && status < 500 {
            return ResponsePlan::Save;
        }
        if let Some(refresh_after) = self.config().refresh_after
            && status < 500
            && session.renewal_due(refresh_after, SystemTime::now())
        {
            return ResponsePlan::Touch;
        }
        ResponsePlan::Nothing {
            vary_cookie: session.is_accessed(),
        }
    }

    /// The `Set-Cookie` header value for `action` under this manager's config; `None` when
    /// no cookie is sent. See [`CookieAction::set_cookie_header`].
    ///
    /// ```
    /// use session_core::{CookieAction, MemoryStore, SessionManager};
    /// let manager = SessionManager::new(MemoryStore::new());
    /// let header = manager.set_cookie_header(&CookieAction::Delete { vary_cookie: true });
    /// assert_eq!(
    ///     header.as_deref(),
    ///     Some(r#"sessionid=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax"#)
    /// );
    /// ```
    pub fn set_cookie_header(&self, action: &CookieAction) -> Option<String> {
        action.set_cookie_header(self.config())
    }
}

/// The sync side of an async-only manager: every call says there is none.
struct AsyncOnly;

impl SessionStore for AsyncOnly {
    fn load_record(&self, _: &str) -> Result<Option<Record>> {
        Err(async_only())
    }
    fn create(&self, _: &Record) -> Result<String> {
        Err(async_only())
    }
    fn save(&self, _: &str, _: &Record) -> Result<String> {
        Err(async_only())
    }
    fn delete(&self, _: &str) -> Result<()> {
        Err(async_only())
    }
    fn exists(&self, _: &str) -> Result<bool> {
        Err(async_only())
    }
    fn touch(&self, _: &str, _: SystemTime) -> Result<()> {
        Err(async_only())
    }
}
