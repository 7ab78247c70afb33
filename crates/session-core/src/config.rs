//! Cookie and saving settings, with Django's defaults.

use std::time::Duration;

/// The `SameSite` attribute of the session cookie.
///
/// ```
/// assert_eq!(session_core::SameSite::Lax.as_str(), "Lax");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SameSite {
    /// Sent only with same-site requests.
    Strict,
    /// Also sent with top-level cross-site navigations (Django's default).
    Lax,
    /// Sent with all requests; browsers then require `Secure`.
    None,
}

impl SameSite {
    /// The attribute value as written in `Set-Cookie`.
    ///
    /// ```
    /// assert_eq!(session_core::SameSite::None.as_str(), "None");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            SameSite::Strict => "Strict",
            SameSite::Lax => "Lax",
            SameSite::None => "None",
        }
    }
}

/// Django's `SESSION_*` settings. `Default` gives Django's defaults.
///
/// ```
/// use std::time::Duration;
/// use session_core::{SameSite, SessionConfig};
///
/// let mut config = SessionConfig::default();
/// assert_eq!(config.cookie_name, "sessionid");
/// assert_eq!(config.cookie_age, Duration::from_secs(1_209_600));
/// assert_eq!(config.cookie_same_site, Some(SameSite::Lax));
/// config.cookie_secure = true;
/// let config = config.with_cookie_name("__Host-session");
/// assert_eq!(config.cookie_name, "__Host-session");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionConfig {
    /// `SESSION_COOKIE_NAME`: `"sessionid"`.
    pub cookie_name: String,
    /// `SESSION_COOKIE_AGE`: two weeks. The default lifetime, and the server-side lifetime of
    /// browser-close sessions.
    pub cookie_age: Duration,
    /// `SESSION_COOKIE_DOMAIN`: `None` (host-only cookie).
    pub cookie_domain: Option<String>,
    /// `SESSION_COOKIE_PATH`: `"/"`.
    pub cookie_path: String,
    /// `SESSION_COOKIE_SECURE`: `false`.
    pub cookie_secure: bool,
    /// `SESSION_COOKIE_HTTPONLY`: `true`.
    pub cookie_http_only: bool,
    /// `SESSION_COOKIE_SAMESITE`: `Some(Lax)`; `None` writes no attribute.
    pub cookie_same_site: Option<SameSite>,
    /// `SESSION_SAVE_EVERY_REQUEST`: `false`. When on, every non-empty session is saved
    /// (and its cookie re-sent) on every response below 500.
    pub save_every_request: bool,
    /// `SESSION_EXPIRE_AT_BROWSER_CLOSE`: `false`. When on, sessions with the default
    /// expiry get a browser-session cookie.
    pub expire_at_browser_close: bool,
    /// Rolling expiry without rewriting: `None` (the default) renews a session only when it
    /// is saved. `Some(interval)`: a response whose session was read but not changed renews
    /// the session's expiry (and re-sends the cookie with the new `Max-Age`) through
    /// [`SessionStore::touch`](crate::SessionStore::touch) — one cheap write of the expiry,
    /// not a rewrite of the data — once the last renewal is older than `interval`.
    ///
    /// The last renewal is read from the expiry the store gave with the data, so the
    /// decision costs no extra I/O; a request that never reads its session renews nothing.
    /// Sessions with the default expiry, an idle expiry ([`Expiry::Idle`](crate::Expiry))
    /// or a browser-close cookie (whose server-side lifetime is `cookie_age`) are renewed;
    /// a fixed [`Expiry::At`](crate::Expiry) never moves. Stores that cannot touch cheaply
    /// (files, signed cookies: their expiry is inside the data) are saved instead.
    pub refresh_after: Option<Duration>,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            cookie_name: "sessionid".to_owned(),
            cookie_age: Duration::from_secs(1_209_600),
            cookie_domain: None,
            cookie_path: "/".to_owned(),
            cookie_secure: false,
            cookie_http_only: true,
            cookie_same_site: Some(SameSite::Lax),
            save_every_request: false,
            expire_at_browser_close: false,
            refresh_after: None,
        }
    }
}

macro_rules! builder {
    ($($(#[$doc:meta])* $name:ident($field:ident: $ty:ty) $conv:expr;)*) => {
        impl SessionConfig {$(
            $(#[$doc])*
            #[must_use]
            pub fn $name(mut self, $field: $ty) -> Self {
                #[allow(clippy::redundant_closure_call, clippy::useless_conversion)]
                { self.$field = ($conv)($field.into()); }
                self
            }
        )*}
    };
}

builder! {
    /// Sets [`cookie_name`](Self::cookie_name).
    ///
    /// ```
    /// let c = session_core::SessionConfig::default().with_cookie_name("sid");
    /// assert_eq!(c.cookie_name, "sid");
    /// ```
    with_cookie_name(cookie_name: impl Into<String>) |v: String| v;
    /// Sets [`cookie_age`](Self::cookie_age).
    ///
    /// ```
    /// # use std::time::Duration;
    /// let c = session_core::SessionConfig::default().with_cookie_age(Duration::from_secs(60));
    /// assert_eq!(c.cookie_age.as_secs(), 60);
    /// ```
    with_cookie_age(cookie_age: Duration) |v| v;
    /// Sets [`cookie_domain`](Self::cookie_domain).
    ///
    /// ```
    /// let c = session_core::SessionConfig::default().with_cookie_domain("example.com");
    /// assert_eq!(c.cookie_domain.as_deref(), Some("example.com"));
    /// ```
    with_cookie_domain(cookie_domain: impl Into<String>) |v: String| Some(v);
    /// Sets [`cookie_path`](Self::cookie_path).
    ///
    /// ```
    /// let c = session_core::SessionConfig::default().with_cookie_path("/app");
    /// assert_eq!(c.cookie_path, "/app");
    /// ```
    with_cookie_path(cookie_path: impl Into<String>) |v: String| v;
    /// Sets [`cookie_secure`](Self::cookie_secure).
    ///
    /// ```
    /// assert!(session_core::SessionConfig::default().with_cookie_secure(true).cookie_secure);
    /// ```
    with_cookie_secure(cookie_secure: bool) |v| v;
    /// Sets [`cookie_http_only`](Self::cookie_http_only).
    ///
    /// ```
    /// assert!(!session_core::SessionConfig::default().with_cookie_http_only(false).cookie_http_only);
    /// ```
    with_cookie_http_only(cookie_http_only: bool) |v| v;
    /// Sets [`cookie_same_site`](Self::cookie_same_site).
    ///
    /// ```
    /// use session_core::{SameSite, SessionConfig};
    /// let c = SessionConfig::default().with_cookie_same_site(Some(SameSite::Strict));
    /// assert_eq!(c.cookie_same_site, Some(SameSite::Strict));
    /// ```
    with_cookie_same_site(cookie_same_site: Option<SameSite>) |v| v;
    /// Sets [`save_every_request`](Self::save_every_request).
    ///
    /// ```
    /// assert!(session_core::SessionConfig::default().with_save_every_request(true).save_every_request);
    /// ```
    with_save_every_request(save_every_request: bool) |v| v;
    /// Sets [`expire_at_browser_close`](Self::expire_at_browser_close).
    ///
    /// ```
    /// let c = session_core::SessionConfig::default().with_expire_at_browser_close(true);
    /// assert!(c.expire_at_browser_close);
    /// ```
    with_expire_at_browser_close(expire_at_browser_close: bool) |v| v;
    /// Sets [`refresh_after`](Self::refresh_after).
    ///
    /// ```
    /// # use std::time::Duration;
    /// let c = session_core::SessionConfig::default()
    ///     .with_refresh_after(Some(Duration::from_secs(3600)));
    /// assert_eq!(c.refresh_after, Some(Duration::from_secs(3600)));
    /// ```
    with_refresh_after(refresh_after: Option<Duration>) |v| v;
}
