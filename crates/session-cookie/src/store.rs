//! [`CookieStore`]: the session is the cookie.

use std::time::{Duration, SystemTime};

use session_core::{
    DjangoJson, Error, MAX_COOKIE_VALUE_LEN, Record, Result, SessionConfig, SessionManager,
    SessionStore,
};

use crate::CookieFormat;
use crate::config::{DEFAULT_COOKIE_NAME, DEFAULT_MAX_AGE, DEFAULT_SALT, DEFAULT_SIZE_LIMIT};
use crate::seal::Sealer;
use session_signing::Signer;

/// A [`SessionStore`] that keeps the whole session in the cookie value: Django's
/// `signed_cookies` backend by default, with an [`Expiring`](CookieFormat::Expiring) and an
/// [`Encrypted`](CookieFormat::Encrypted) format beyond Django.
///
/// The "key" of every store method is the cookie value:
/// - `create` and `save` sign (or encrypt) `record.data` and return the new cookie value;
///   a value that would make `name=value` longer than the size limit is
///   [`Error::CookieTooLarge`], never a cookie the browser silently drops;
/// - `load` returns the data of an authentic, unexpired cookie value and `None` for
///   anything else (forged, expired, another secret or salt, garbage) — never an error;
/// - `save` of a cookie value that no longer verifies is [`Error::Interrupted`];
/// - **documented exceptions to the store contract**: `delete` does nothing (the server keeps
///   nothing to delete: a copied cookie stays valid until `max_age`), and `exists` is always
///   `false` (there is no key space to collide in, as in Django). Equal data signed in the same
///   second gives the same value.
///
/// Everything happens in memory, so [`runs_inline`](SessionStore::runs_inline) is `true`.
/// Secrets never appear in `Debug` output.
///
/// ```
/// use session_core::{DjangoJson, SessionManager};
/// use session_cookie::CookieStore;
///
/// let manager = SessionManager::new(CookieStore::new("my SECRET_KEY")?).with_serializer(DjangoJson);
/// let mut session = manager.session(None);
/// session.insert("cart", [1, 2])?;
/// session.save()?;
/// let cookie = session.key().unwrap().to_owned();  // the signed session itself
///
/// let mut next = manager.session(Some(&cookie));
/// assert_eq!(next.get::<Vec<u32>>("cart")?, Some(vec![1, 2]));
/// # Ok::<(), session_core::Error>(())
/// ```
#[derive(Clone)]
pub struct CookieStore {
    /// The secret and fallbacks under the default salt: checked once, cloned per format.
    signer: Signer,
    secret: Vec<u8>,
    fallbacks: Vec<Vec<u8>>,
    salt: String,
    cookie_name: String,
    compression: Option<bool>,
    size_limit: usize,
    sealer: Sealer,
}

impl std::fmt::Debug for CookieStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CookieStore")
            .field("format", &self.sealer.format)
            .field("secret", &format_args!("[redacted]"))
            .field(
                "fallbacks",
                &format_args!("[{} redacted]", self.fallbacks.len()),
            )
            .field("salt", &self.salt)
            .field("cookie_name", &self.cookie_name)
            .field("max_age", &self.sealer.max_age)
            .field("compress", &self.sealer.compress)
            .field("size_limit", &self.size_limit)
            .finish()
    }
}

impl CookieStore {
    /// A store signing with `secret` (Django's `SECRET_KEY`) in Django's format and salt,
    /// `max_age` two weeks, compression on, cookie name `sessionid`, limit 4096 bytes.
    ///
    /// An empty secret is [`Error::EmptySecret`]: anyone could forge a session with it. A
    /// secret shorter than [`RECOMMENDED_SECRET_LEN`](session_signing::RECOMMENDED_SECRET_LEN)
    /// (32) bytes is accepted with a `tracing` warning, as Django's security check warns
    /// about a short `SECRET_KEY`.
    ///
    /// ```
    /// use session_cookie::CookieStore;
    /// let store = CookieStore::new("a long random secret, at least 32 bytes")?;
    /// assert_eq!(store.max_age().as_secs(), 1_209_600);
    /// assert!(!format!("{store:?}").contains("random secret"));
    /// assert!(matches!(CookieStore::new(""), Err(session_core::Error::EmptySecret)));
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn new(secret: impl AsRef<[u8]>) -> Result<Self> {
        let secret = secret.as_ref().to_vec();
        let signer = Signer::new(&secret)?;
        let sealer = Sealer::new(
            CookieFormat::Django,
            &signer,
            &[&secret],
            DEFAULT_SALT,
            DEFAULT_COOKIE_NAME,
            true,
            DEFAULT_MAX_AGE,
        );
        Ok(CookieStore {
            signer,
            secret,
            fallbacks: Vec::new(),
            salt: DEFAULT_SALT.to_owned(),
            cookie_name: DEFAULT_COOKIE_NAME.to_owned(),
            compression: None,
            size_limit: DEFAULT_SIZE_LIMIT,
            sealer,
        })
    }

    fn rebuild(&mut self, format: CookieFormat, max_age: Duration) {
        let compress = self
            .compression
            .unwrap_or(format != CookieFormat::Encrypted);
        self.sealer = Sealer::new(
            format,
            &self.signer,
            &self.secrets(),
            &self.salt,
            &self.cookie_name,
            compress,
            max_age,
        );
    }

    /// The secret, then each fallback.
    fn secrets(&self) -> Vec<&[u8]> {
        std::iter::once(self.secret.as_slice())
            .chain(self.fallbacks.iter().map(Vec::as_slice))
            .collect()
    }

    fn map(mut self, f: impl FnOnce(&mut Self)) -> Self {
        f(&mut self);
        let (format, max_age) = (self.sealer.format, self.sealer.max_age);
        self.rebuild(format, max_age);
        self
    }

    /// Chooses the cookie format (default [`CookieFormat::Django`]).
    ///
    /// ```
    /// use session_cookie::{CookieFormat, CookieStore};
    /// let store = CookieStore::new("s")?.with_format(CookieFormat::Expiring);
    /// assert_eq!(store.format(), CookieFormat::Expiring);
    /// # Ok::<(), session_core::Error>(())
    /// ```
    #[must_use]
    pub fn with_format(self, format: CookieFormat) -> Self {
        let max_age = self.sealer.max_age;
        let mut store = self;
        store.rebuild(format, max_age);
        store
    }

    /// Also accepts cookies made with any of `fallbacks` (Django's
    /// `SECRET_KEY_FALLBACKS`), tried in order after the secret; new cookies always use the
    /// secret. Replaces fallbacks set before. An empty fallback is [`Error::EmptySecret`],
    /// a short one a logged warning, as for the secret.
    ///
    /// ```
    /// use session_core::{Record, SessionStore};
    /// use session_cookie::CookieStore;
    /// # let record = Record::new(b"{}".to_vec(), std::time::SystemTime::now() + std::time::Duration::from_secs(60));
    /// let old_cookie = CookieStore::new("old")?.create(&record)?;
    /// let rotated = CookieStore::new("new")?.with_fallbacks(["old"])?;
    /// assert!(rotated.load(&old_cookie)?.is_some());
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn with_fallbacks<I, S>(mut self, fallbacks: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        let fallbacks: Vec<Vec<u8>> = fallbacks.into_iter().map(|s| s.as_ref().to_vec()).collect();
        self.signer = self.signer.with_fallbacks(&fallbacks)?;
        Ok(self.map(|s| s.fallbacks = fallbacks))
    }

    /// Uses `salt` instead of Django's `django.contrib.sessions.backends.signed_cookies`
    /// (Django mode: must match the Django site's; other formats derive their keys from it).
    ///
    /// ```
    /// let store = session_cookie::CookieStore::new("s")?.with_salt("my-app.sessions");
    /// assert_eq!(store.salt(), "my-app.sessions");
    /// # Ok::<(), session_core::Error>(())
    /// ```
    #[must_use]
    pub fn with_salt(self, salt: impl Into<String>) -> Self {
        let salt = salt.into();
        self.map(|s| s.salt = salt)
    }

    /// How long a cookie is accepted after it was signed (default two weeks, Django's
    /// `SESSION_COOKIE_AGE`): valid while `now - signed_at <= max_age`. Keep it equal to
    /// the manager's `cookie_age`. This is also the replay window of a stolen cookie, and
    /// the upper bound of any custom expiry.
    ///
    /// ```
    /// use std::time::Duration;
    /// let store = session_cookie::CookieStore::new("s")?.with_max_age(Duration::from_secs(3600));
    /// assert_eq!(store.max_age(), Duration::from_secs(3600));
    /// # Ok::<(), session_core::Error>(())
    /// ```
    #[must_use]
    pub fn with_max_age(self, max_age: Duration) -> Self {
        let format = self.sealer.format;
        let mut store = self;
        store.rebuild(format, max_age);
        store
    }

    /// Turns zlib compression on or off. Default: on for the signed formats (as in Django,
    /// and used only when it saves bytes), off for [`CookieFormat::Encrypted`], where the
    /// length of compressed data could tell an attacker who controls part of the session
    /// something about the rest of it.
    ///
    /// ```
    /// use session_core::{Record, SessionStore};
    /// # let expires = std::time::SystemTime::now() + std::time::Duration::from_secs(60);
    /// let data = format!(r#"{{"blob":"{}"}}"#, "a".repeat(2000)).into_bytes();
    /// let on = session_cookie::CookieStore::new("s")?;
    /// let off = session_cookie::CookieStore::new("s")?.with_compression(false);
    /// assert!(on.create(&Record::new(data.clone(), expires))?.len() < 200);
    /// assert!(off.create(&Record::new(data, expires))?.len() > 2000);
    /// # Ok::<(), session_core::Error>(())
    /// ```
    #[must_use]
    pub fn with_compression(self, compress: bool) -> Self {
        self.map(|s| s.compression = Some(compress))
    }

    /// The name of the session cookie (default `sessionid`; keep it equal to the manager's
    /// `cookie_name`). It counts toward the size limit and, in the encrypted format, is
    /// bound to the value as associated data.
    ///
    /// ```
    /// let store = session_cookie::CookieStore::new("s")?.with_cookie_name("__Host-session");
    /// assert_eq!(store.cookie_name(), "__Host-session");
    /// # Ok::<(), session_core::Error>(())
    /// ```
    #[must_use]
    pub fn with_cookie_name(self, name: impl Into<String>) -> Self {
        let name = name.into();
        self.map(|s| s.cookie_name = name)
    }

    /// The largest `name=value` allowed (default 4096 bytes, what every browser keeps).
    /// `create`/`save` of a larger session fail with [`Error::CookieTooLarge`]. Values
    /// longer than `session_core::MAX_COOKIE_VALUE_LEN` (8192) are ignored by the manager
    /// whatever this says.
    ///
    /// ```
    /// use session_core::{Error, Record, SessionStore};
    /// let store = session_cookie::CookieStore::new("s")?.with_size_limit(100);
    /// # let expires = std::time::SystemTime::now() + std::time::Duration::from_secs(60);
    /// let big = Record::new(br#"{"blob":"a long string that compresses badly: 6f1c0d93e2"}"#.repeat(2), expires);
    /// assert!(matches!(store.create(&big), Err(Error::CookieTooLarge { limit: 100, .. })));
    /// # Ok::<(), session_core::Error>(())
    /// ```
    #[must_use]
    pub fn with_size_limit(self, limit: usize) -> Self {
        self.map(|s| s.size_limit = limit)
    }

    /// A [`SessionManager`] over this store, set up to match it: the [`DjangoJson`]
    /// serializer (what a Django site reads correctly; JSON works in every format) and a
    /// config whose `cookie_name` and `cookie_age` are this store's cookie name and
    /// `max_age`. Adjust other settings from `manager.config().clone()`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use session_cookie::CookieStore;
    ///
    /// let manager = CookieStore::new("secret")?
    ///     .with_cookie_name("__Host-session")
    ///     .with_max_age(Duration::from_secs(3600))
    ///     .into_manager();
    /// assert_eq!(manager.config().cookie_name, "__Host-session");
    /// assert_eq!(manager.config().cookie_age, Duration::from_secs(3600));
    ///
    /// let secure = manager.config().clone().with_cookie_secure(true);
    /// let manager = manager.with_config(secure);
    /// assert!(manager.config().cookie_secure);
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn into_manager(self) -> SessionManager {
        let config = SessionConfig::default()
            .with_cookie_name(self.cookie_name.clone())
            .with_cookie_age(self.max_age());
        SessionManager::new(self)
            .with_serializer(DjangoJson)
            .with_config(config)
    }

    /// The format.
    ///
    /// ```
    /// # use session_cookie::{CookieFormat, CookieStore};
    /// assert_eq!(CookieStore::new("s")?.format(), CookieFormat::Django);
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn format(&self) -> CookieFormat {
        self.sealer.format
    }

    /// The salt.
    ///
    /// ```
    /// assert_eq!(
    ///     session_cookie::CookieStore::new("s")?.salt(),
    ///     "django.contrib.sessions.backends.signed_cookies"
    /// );
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn salt(&self) -> &str {
        &self.salt
    }

    /// The maximum age.
    ///
    /// ```
    /// assert_eq!(session_cookie::CookieStore::new("s")?.max_age().as_secs(), 1_209_600);
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn max_age(&self) -> Duration {
        self.sealer.max_age
    }

    /// The cookie name.
    ///
    /// ```
    /// assert_eq!(session_cookie::CookieStore::new("s")?.cookie_name(), "sessionid");
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn cookie_name(&self) -> &str {
        &self.cookie_name
    }

    /// The size limit for `name=value`.
    ///
    /// ```
    /// assert_eq!(session_cookie::CookieStore::new("s")?.size_limit(), 4096);
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn size_limit(&self) -> usize {
        self.size_limit
    }

    /// The cookie value for `record` as of `now` (tests pin time with it);
    /// [`create`](SessionStore::create) is this with the current time.
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use session_core::Record;
    /// let store = session_cookie::CookieStore::new("django-insecure-test-secret-for-vectors")?;
    /// let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    /// let record = Record::new(br#"{"hello":"world"}"#.to_vec(), t + store.max_age());
    /// assert_eq!(
    ///     store.seal_at(&record, t)?,
    ///     "eyJoZWxsbyI6IndvcmxkIn0:1r31eq:8bIDuvm15Ksy_6xslkja3t7vPXv1ENcvzAcyrNdvEXk"
    /// );
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn seal_at(&self, record: &Record, now: SystemTime) -> Result<String> {
        let value = self.sealer.seal(record, now)?;
        let size = self.cookie_name.len() + 1 + value.len();
        if size > self.size_limit {
            return Err(Error::CookieTooLarge {
                size,
                limit: self.size_limit,
            });
        }
        Ok(value)
    }

    /// The data inside the cookie `value` as of `now`, or `None` when it is not authentic,
    /// expired or garbage; [`load`](SessionStore::load) is this with the current time.
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// let store = session_cookie::CookieStore::new("django-insecure-test-secret-for-vectors")?;
    /// let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    /// let django = "eyJoZWxsbyI6IndvcmxkIn0:1r31eq:8bIDuvm15Ksy_6xslkja3t7vPXv1ENcvzAcyrNdvEXk";
    /// assert_eq!(store.open_at(django, t).as_deref(), Some(&br#"{"hello":"world"}"#[..]));
    /// assert_eq!(store.open_at(django, t + store.max_age() + Duration::from_secs(1)), None);
    /// assert_eq!(store.open_at("garbage", t), None);
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn open_at(&self, value: &str, now: SystemTime) -> Option<Vec<u8>> {
        if value.len() > self.size_limit.max(MAX_COOKIE_VALUE_LEN) {
            tracing::debug!(len = value.len(), "session cookie refused: too long");
            return None;
        }
        match self.sealer.open(value, now) {
            Ok(data) => Some(data),
            Err(reason) => {
                session_core::telemetry::record_load_refusal("CookieStore", reason.label());
                tracing::debug!(
                    key = %session_core::key_prefix(value),
                    %reason,
                    "session cookie refused"
                );
                None
            }
        }
    }
}

impl SessionStore for CookieStore {
    /// The session in the cookie value. Its expiry is an upper bound, `max_age` from now:
    /// the value itself only says when it was signed, and the session's own
    /// `_session_expiry` is checked by the session as it loads.
    fn load_record(&self, key: &str) -> Result<Option<Record>> {
        let now = SystemTime::now();
        Ok(self.open_at(key, now).map(|data| {
            Record::new(
                data,
                session_core::expiry::saturating_add(now, self.max_age()),
            )
        }))
    }

    fn load(&self, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.open_at(key, SystemTime::now()))
    }

    fn create(&self, record: &Record) -> Result<String> {
        self.seal_at(record, SystemTime::now())
    }

    fn save(&self, key: &str, record: &Record) -> Result<String> {
        let now = SystemTime::now();
        if self.open_at(key, now).is_none() {
            // Expired (or never valid): re-signing it would resurrect it.
            return Err(Error::Interrupted);
        }
        self.seal_at(record, now)
    }

    /// Nothing to delete: the session lives in the client. A copy of the cookie stays
    /// valid until `max_age` (see the crate's threat model).
    fn delete(&self, _key: &str) -> Result<()> {
        Ok(())
    }

    /// Always `false`, as in Django: cookie values are not drawn from a key space that a
    /// new session could collide with.
    fn exists(&self, _key: &str) -> Result<bool> {
        Ok(false)
    }

    fn runs_inline(&self) -> bool {
        true
    }
}

// Signing and checking a cookie is memory work: async callers run it in place.
session_core::impl_async_inline!(CookieStore);
