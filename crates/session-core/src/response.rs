//! What a response does with its session: the plan ([`ResponsePlan`]), the cookie
//! ([`CookieAction`]) and its `Set-Cookie` header, byte for byte Django's.

use std::time::{Duration, SystemTime};

use time::OffsetDateTime;

use crate::{Result, SameSite, Session, SessionConfig};

/// What a response must do with its session, decided by
/// [`SessionManager::plan`](crate::SessionManager::plan) without I/O.
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
    /// Rolling expiry: the session was read, not changed, and its last renewal is older
    /// than [`SessionConfig::refresh_after`]: move its expiry in the store
    /// ([`Session::begin_touch`]; a save for stores that cannot) and re-send the cookie
    /// with the new `Max-Age`.
    Touch,
}

impl ResponsePlan {
    /// Whether the plan needs the store at all.
    ///
    /// ```
    /// assert!(session_core::ResponsePlan::Save.needs_store());
    /// assert!(!session_core::ResponsePlan::DeleteCookie.needs_store());
    /// ```
    pub fn needs_store(&self) -> bool {
        matches!(self, ResponsePlan::Save | ResponsePlan::Touch)
    }

    /// Starts the plan's store operations on `session` (a save, for [`ResponsePlan::Save`];
    /// a touch for [`ResponsePlan::Touch`]; none otherwise). Drive them with [`Session::next_op`] / [`Session::complete`].
    ///
    /// ```
    /// # use session_core::{MemoryStore, ResponsePlan, SessionManager};
    /// let mut session = SessionManager::new(MemoryStore::new()).session(None);
    /// ResponsePlan::DeleteCookie.begin(&mut session);
    /// assert!(!session.needs_store());
    /// ```
    pub fn begin(&self, session: &mut Session) {
        match self {
            ResponsePlan::Save => session.begin_save(),
            ResponsePlan::Touch => session.begin_touch(),
            ResponsePlan::Nothing { .. } | ResponsePlan::DeleteCookie => {}
        }
    }

    /// The cookie to send once the plan's store operations are done: for a save or a touch, the
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
            ResponsePlan::Save | ResponsePlan::Touch => {
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
/// [`SessionManager::finish`](crate::SessionManager::finish).
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
        // Exactly one allocation, of exactly the header's length: `http` then takes the
        // bytes as they are (a longer buffer would cost it a second allocation).
        let mut out = String::with_capacity(self.header_len(config, name, value));
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
                    out.push_str("; Max-Age=");
                    push_decimal(&mut out, age.as_secs());
                }
            }
            _ => out.push_str(DELETED),
        }
        out.push_str("; Path=");
        out.push_str(&config.cookie_path);
        if let Some(same_site) = config.cookie_same_site {
            out.push_str("; SameSite=");
            out.push_str(same_site.as_str());
        }
        if self.secure(config) {
            out.push_str("; Secure");
        }
        debug_assert_eq!(out.len(), out.capacity());
        Some(out)
    }

    /// Whether the header carries `Secure`.
    fn secure(&self, config: &SessionConfig) -> bool {
        let name = &config.cookie_name;
        match self {
            CookieAction::Set { .. } => config.cookie_secure,
            // Django's delete_cookie: Secure only where browsers demand it.
            _ => {
                name.starts_with("__Secure-")
                    || name.starts_with("__Host-")
                    || config.cookie_same_site == Some(SameSite::None)
            }
        }
    }

    /// The length of [`set_cookie_header`](Self::set_cookie_header)'s value for `value`.
    fn header_len(&self, config: &SessionConfig, name: &str, value: &str) -> usize {
        let mut len = name.len() + 1 + value.len();
        if let Some(domain) = &config.cookie_domain {
            len += "; Domain=".len() + domain.len();
        }
        match self {
            CookieAction::Set {
                max_age, expires, ..
            } => {
                if expires.is_some() {
                    len += "; expires=".len() + HTTP_DATE_LEN;
                }
                if config.cookie_http_only {
                    len += "; HttpOnly".len();
                }
                if let Some(age) = max_age {
                    len += "; Max-Age=".len() + decimal_len(age.as_secs());
                }
            }
            _ => len += DELETED.len(),
        }
        len += "; Path=".len() + config.cookie_path.len();
        if let Some(same_site) = config.cookie_same_site {
            len += "; SameSite=".len() + same_site.as_str().len();
        }
        if self.secure(config) {
            len += "; Secure".len();
        }
        len
    }
}

/// The attributes of a deleted cookie.
const DELETED: &str = "; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0";

/// The length of every [`http_date`].
const HTTP_DATE_LEN: usize = "Thu, 01 Jan 1970 00:00:00 GMT".len();

/// Appends `n` in decimal.
fn push_decimal(out: &mut String, n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = n;
    loop {
        at -= 1;
        digits[at] = (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    for &digit in &digits[at..] {
        out.push(char::from(b'0' + digit));
    }
}

/// The number of decimal digits of `n`.
fn decimal_len(n: u64) -> usize {
    n.checked_ilog10().map_or(1, |log| log as usize + 1)
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
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    // A busy server writes the same second's date over and over: each thread keeps the
    // last one it wrote.
    thread_local! {
        static LAST: std::cell::RefCell<(i64, String)> =
            const { std::cell::RefCell::new((-1, String::new())) };
    }
    LAST.with_borrow_mut(|(last, text)| {
        if *last != secs {
            text.clear();
            format_http_date(text, secs);
            *last = secs;
        }
        out.push_str(text);
    });
}

/// Writes the date of `secs` since the epoch.
fn format_http_date(out: &mut String, secs: i64) {
    const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let dt = OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .filter(|dt| dt.year() <= 9999)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let (h, m, s) = dt.to_hms();
    // by hand: `write!` with padding cost more than the rest of the header
    let two = |out: &mut String, n: u8| {
        out.push(char::from(b'0' + n / 10));
        out.push(char::from(b'0' + n % 10));
    };
    out.push_str(WEEKDAYS[usize::from(dt.weekday().number_days_from_monday())]);
    out.push_str(", ");
    two(out, dt.day());
    out.push(' ');
    out.push_str(MONTHS[usize::from(u8::from(dt.month())) - 1]);
    out.push(' ');
    // 0..=9999 after the filter above
    let year = u16::try_from(dt.year()).unwrap_or(1970);
    two(out, u8::try_from(year / 100).unwrap_or(19));
    two(out, u8::try_from(year % 100).unwrap_or(70));
    out.push(' ');
    two(out, h);
    out.push(':');
    two(out, m);
    out.push(':');
    two(out, s);
    out.push_str(" GMT");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_written_whole() {
        for n in [0, 7, 9, 10, 99, 100, 1_209_600, u64::MAX] {
            let mut out = String::new();
            push_decimal(&mut out, n);
            assert_eq!(out, n.to_string());
            assert_eq!(decimal_len(n), out.len());
        }
    }

    #[test]
    fn the_date_of_the_last_second_is_reused_only_for_that_second() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(http_date(t), "Tue, 14 Nov 2023 22:13:20 GMT");
        assert_eq!(http_date(t), "Tue, 14 Nov 2023 22:13:20 GMT");
        assert_eq!(
            http_date(t + Duration::from_millis(999)),
            "Tue, 14 Nov 2023 22:13:20 GMT"
        );
        assert_eq!(
            http_date(t + Duration::from_secs(1)),
            "Tue, 14 Nov 2023 22:13:21 GMT"
        );
        assert_eq!(http_date(t), "Tue, 14 Nov 2023 22:13:20 GMT");
    }

    #[test]
    fn every_header_is_allocated_at_its_exact_length() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let configs = [
            SessionConfig::default(),
            SessionConfig::default()
                .with_cookie_domain("example.com")
                .with_cookie_secure(true)
                .with_cookie_http_only(false)
                .with_cookie_same_site(None),
            SessionConfig::default()
                .with_cookie_name("__Host-session")
                .with_cookie_same_site(Some(SameSite::None)),
        ];
        let actions = [
            CookieAction::Set {
                value: "abcdefgh12345678".into(),
                max_age: Some(Duration::from_secs(0)),
                expires: Some(now),
                vary_cookie: true,
            },
            CookieAction::Set {
                value: String::new(),
                max_age: Some(Duration::from_secs(u64::MAX)),
                expires: Some(SystemTime::UNIX_EPOCH),
                vary_cookie: true,
            },
            CookieAction::Set {
                value: "browser-close-key".into(),
                max_age: None,
                expires: None,
                vary_cookie: true,
            },
            CookieAction::Delete { vary_cookie: true },
        ];
        for config in &configs {
            for action in &actions {
                let header = action.set_cookie_header(config).unwrap();
                assert_eq!(header.len(), header.capacity(), "{header}");
            }
        }
    }
}
