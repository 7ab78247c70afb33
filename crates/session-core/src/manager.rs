//! The manager (store + serializer + config) and the response decision.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use std::fmt::Write as _;

use time::OffsetDateTime;

use crate::async_store::async_only;
use crate::{
    AsyncSessionStore, DynAsyncStore, Json, Record, Result, SameSite, Serializer, Session,
    SessionConfig, SessionStore,
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

/// What a response must do with its session, decided by [`SessionManager::plan`] without
/// I/O.
///
/// ```
/// use session_core::{CookieAction, MemoryStore, ResponsePlan, SessionManager};
///
/// // A driver of the response phase (the sync one is `SessionManager::finish`):
/// let manager = SessionManager::new(MemoryStore::new());
/// let mut session = manager.session(None);
/// session.insert("cart", 1)?;
/// let plan = manager.plan(&session, 200, false);
/// plan.begin(&mut session);
/// while let Some(op) = session.next_op()? {
///     session.complete(op.perform(manager.store()))?;
/// }
/// assert!(matches!(plan.cookie(&session)?, CookieAction::Set { .. }));
/// # Ok::<(), session_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResponsePlan {
    /// Touch neither the store nor the cookie.
    Nothing {
        /// Add `Vary: Cookie` (the session was read).
        vary_cookie: bool,
    },
    /// A cookie came in and the session is now empty: delete the cookie. No store I/O
    /// (a flush already deleted the record).
    DeleteCookie,
    /// Save the session (loading it first if needed) and set the cookie.
    Save,
}

impl ResponsePlan {
    /// Whether the plan needs the store at all.
    ///
    /// ```
    /// assert!(session_core::ResponsePlan::Save.needs_store());
    /// assert!(!session_core::ResponsePlan::DeleteCookie.needs_store());
    /// ```
    pub fn needs_store(&self) -> bool {
        matches!(self, ResponsePlan::Save)
    }

    /// Starts the plan's store operations on `session` (a save, for [`ResponsePlan::Save`];
    /// none otherwise). Drive them with [`Session::next_op`] / [`Session::complete`].
    ///
    /// ```
    /// # use session_core::{MemoryStore, ResponsePlan, SessionManager};
    /// let mut session = SessionManager::new(MemoryStore::new()).session(None);
    /// ResponsePlan::DeleteCookie.begin(&mut session);
    /// assert!(!session.needs_store());
    /// ```
    pub fn begin(&self, session: &mut Session) {
        if let ResponsePlan::Save = self {
            session.begin_save();
        }
    }

    /// The cookie to send once the plan's store operations are done: for a save, the
    /// session's (possibly new) key with `Max-Age`/`expires` from its expiry (none for
    /// browser-close sessions). Does no I/O.
    ///
    /// ```
    /// # use session_core::{CookieAction, MemoryStore, ResponsePlan, SessionManager};
    /// let session = SessionManager::new(MemoryStore::new()).session(None);
    /// assert_eq!(
    ///     ResponsePlan::DeleteCookie.cookie(&session)?,
    ///     CookieAction::Delete { vary_cookie: true }
    /// );
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn cookie(&self, session: &Session) -> Result<CookieAction> {
        Ok(match *self {
            ResponsePlan::Nothing { vary_cookie } => CookieAction::None { vary_cookie },
            ResponsePlan::DeleteCookie => CookieAction::Delete { vary_cookie: true },
            ResponsePlan::Save => {
                let config = session.manager().config();
                let expiry = session.loaded_expiry();
                let now = SystemTime::now();
                let max_age = if expiry.at_browser_close(config.expire_at_browser_close) {
                    None
                } else {
                    Some(expiry.age(now, config.cookie_age))
                };
                CookieAction::Set {
                    value: session.key().unwrap_or_default().to_owned(),
                    max_age,
                    expires: max_age.map(|age| crate::expiry::saturating_add(now, age)),
                    vary_cookie: true,
                }
            }
        })
    }
}

/// What the response must do with the session cookie; the result of
/// [`SessionManager::finish`].
///
/// ```
/// use session_core::CookieAction;
/// let action = CookieAction::None { vary_cookie: false };
/// assert!(!action.vary_cookie());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CookieAction {
    /// Send no cookie.
    None {
        /// Add `Vary: Cookie` (the session was read).
        vary_cookie: bool,
    },
    /// Set the session cookie.
    Set {
        /// The cookie value: the session key (or the signed session, for cookie stores).
        value: String,
        /// `Max-Age`; `None` for a browser-session cookie.
        max_age: Option<Duration>,
        /// `expires`, matching `max_age`.
        expires: Option<SystemTime>,
        /// Always `true`: a response that sets a session cookie varies on `Cookie`.
        vary_cookie: bool,
    },
    /// Delete the session cookie (same name, path, domain and SameSite).
    Delete {
        /// Always `true`.
        vary_cookie: bool,
    },
}

impl CookieAction {
    /// Whether the response must carry `Vary: Cookie`.
    ///
    /// ```
    /// assert!(session_core::CookieAction::Delete { vary_cookie: true }.vary_cookie());
    /// ```
    pub fn vary_cookie(&self) -> bool {
        match *self {
            CookieAction::None { vary_cookie }
            | CookieAction::Set { vary_cookie, .. }
            | CookieAction::Delete { vary_cookie } => vary_cookie,
        }
    }

    /// The `Set-Cookie` header value, byte for byte what Django's `SessionMiddleware`
    /// writes (attributes in Python's sorted order); `None` for [`CookieAction::None`].
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use session_core::{CookieAction, SessionConfig};
    ///
    /// let action = CookieAction::Set {
    ///     value: "abc12345".into(),
    ///     max_age: Some(Duration::from_secs(1_209_600)),
    ///     expires: Some(UNIX_EPOCH + Duration::from_secs(1_701_209_600)),
    ///     vary_cookie: true,
    /// };
    /// assert_eq!(
    ///     action.set_cookie_header(&SessionConfig::default()).unwrap(),
    ///     "sessionid=abc12345; expires=Tue, 28 Nov 2023 22:13:20 GMT; HttpOnly; \
    ///      Max-Age=1209600; Path=/; SameSite=Lax"
    /// );
    /// ```
    pub fn set_cookie_header(&self, config: &SessionConfig) -> Option<String> {
        let name = &config.cookie_name;
        let value = match self {
            CookieAction::None { .. } => return None,
            CookieAction::Set { value, .. } if !value.is_empty() => value.as_str(),
            CookieAction::Set { .. } | CookieAction::Delete { .. } => "\"\"",
        };
        // One allocation: the attributes below fit in 160 bytes.
        let mut out = String::with_capacity(name.len() + value.len() + 160);
        out.push_str(name);
        out.push('=');
        out.push_str(value);
        if let Some(domain) = &config.cookie_domain {
            out.push_str("; Domain=");
            out.push_str(domain);
        }
        match self {
            CookieAction::Set {
                max_age, expires, ..
            } => {
                if let Some(expires) = expires {
                    out.push_str("; expires=");
                    push_http_date(&mut out, *expires);
                }
                if config.cookie_http_only {
                    out.push_str("; HttpOnly");
                }
                if let Some(age) = max_age {
                    let _ = write!(out, "; Max-Age={}", age.as_secs());
                }
            }
            _ => out.push_str("; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0"),
        }
        out.push_str("; Path=");
        out.push_str(&config.cookie_path);
        if let Some(same_site) = config.cookie_same_site {
            out.push_str("; SameSite=");
            out.push_str(same_site.as_str());
        }
        let secure = match self {
            CookieAction::Set { .. } => config.cookie_secure,
            // Django's delete_cookie: Secure only where browsers demand it.
            _ => {
                name.starts_with("__Secure-")
                    || name.starts_with("__Host-")
                    || config.cookie_same_site == Some(SameSite::None)
            }
        };
        if secure {
            out.push_str("; Secure");
        }
        Some(out)
    }
}

/// An HTTP date as Django's `http_date` writes it: `Tue, 28 Nov 2023 22:13:20 GMT`.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// assert_eq!(session_core::http_date(t), "Tue, 14 Nov 2023 22:13:20 GMT");
/// ```
pub fn http_date(t: SystemTime) -> String {
    let mut out = String::with_capacity(29);
    push_http_date(&mut out, t);
    out
}

/// Appends [`http_date`] of `t` (by hand: `time`'s generic formatter cost more than the
/// rest of the `Set-Cookie` header). Times before 1970 or beyond year 9999 are written as
/// the epoch.
fn push_http_date(out: &mut String, t: SystemTime) {
    const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    let dt = OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .filter(|dt| dt.year() <= 9999)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let (h, m, s) = dt.to_hms();
    let _ = write!(
        out,
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        WEEKDAYS[usize::from(dt.weekday().number_days_from_monday())],
        dt.day(),
        MONTHS[usize::from(u8::from(dt.month())) - 1],
        dt.year(),
        h,
        m,
        s
    );
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
