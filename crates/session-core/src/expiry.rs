//! When a session ends: Django's four expiry forms and how `_session_expiry` stores them.
//!
//! # The ceiling
//! No session expires later than [`max_expiry`] (9999-12-31T23:59:59Z, the end of the last
//! year Python's `datetime`, and so Django, can write). Every expiry computation in core,
//! and every store and codec, saturates there instead of overflowing: an absurd stored
//! value (`_session_expiry = 1e300`, a year-9999 date) gives a session that lives very
//! long, never a panic or a session that is expired at once.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// How long a session lives — Django's `set_expiry(None | 0 | int | datetime)`.
///
/// Stored in the session under [`reserved::SESSION_EXPIRY`](crate::reserved::SESSION_EXPIRY)
/// exactly as Django stores it, so a Django site reads ours and we read theirs:
///
/// | variant | Django call | `_session_expiry` |
/// |---|---|---|
/// | `Default` | `set_expiry(None)` | absent: `cookie_age` after the last save |
/// | `BrowserClose` | `set_expiry(0)` | `0`: a browser-session cookie; the server keeps it `cookie_age` |
/// | `Idle(d)` | `set_expiry(300)` | `300`: `d` of inactivity (whole seconds) |
/// | `At(t)` | `set_expiry(datetime)` | `"2030-01-01T00:00:00+00:00"`: that instant |
///
/// `Idle(Duration::ZERO)` means the same as `BrowserClose`, as `set_expiry(0)` does in Django.
///
/// ```
/// use std::time::Duration;
/// use session_core::{Expiry, MemoryStore, SessionManager};
///
/// let manager = SessionManager::new(MemoryStore::new());
/// let mut session = manager.session(None);
/// session.set_expiry(Expiry::Idle(Duration::from_secs(300)))?;
/// assert_eq!(session.expiry_age()?, Duration::from_secs(300));
/// assert_eq!(session.expiry()?, Expiry::Idle(Duration::from_secs(300)));
/// # Ok::<(), session_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Expiry {
    /// The configured [`cookie_age`](crate::SessionConfig::cookie_age) from the last save.
    #[default]
    Default,
    /// The cookie dies with the browser; the server keeps the session for `cookie_age`.
    BrowserClose,
    /// This long after the last save (sub-second parts are dropped, as Django stores seconds).
    Idle(Duration),
    /// At this instant (stored with microsecond precision).
    At(SystemTime),
}

impl Expiry {
    /// The `_session_expiry` value Django would store, or `None` for [`Expiry::Default`]
    /// (the key is then absent).
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use session_core::Expiry;
    /// use serde_json::json;
    ///
    /// assert_eq!(Expiry::BrowserClose.to_value(), Some(json!(0)));
    /// assert_eq!(Expiry::Idle(Duration::from_secs(300)).to_value(), Some(json!(300)));
    /// let at = UNIX_EPOCH + Duration::from_secs(1_893_456_000);
    /// assert_eq!(Expiry::At(at).to_value(), Some(json!("2030-01-01T00:00:00+00:00")));
    /// ```
    pub fn to_value(&self) -> Option<Value> {
        match *self {
            Expiry::Default => None,
            Expiry::BrowserClose => Some(Value::from(0)),
            Expiry::Idle(d) => Some(Value::from(d.as_secs())),
            Expiry::At(t) => Some(Value::String(format_iso(t))),
        }
    }

    /// Reads a `_session_expiry` value as Django would. An absent or unreadable value is
    /// [`Expiry::Default`]; a negative number of seconds is an instant in the past.
    ///
    /// ```
    /// use std::time::Duration;
    /// use session_core::Expiry;
    /// use serde_json::json;
    ///
    /// assert_eq!(Expiry::from_value(None), Expiry::Default);
    /// assert_eq!(Expiry::from_value(Some(&json!(0))), Expiry::BrowserClose);
    /// assert_eq!(Expiry::from_value(Some(&json!(60))), Expiry::Idle(Duration::from_secs(60)));
    /// assert!(matches!(
    ///     Expiry::from_value(Some(&json!("2026-11-26T16:20:13.628050+00:00"))),
    ///     Expiry::At(_)
    /// ));
    /// ```
    pub fn from_value(value: Option<&Value>) -> Expiry {
        match value {
            None | Some(Value::Null) => Expiry::Default,
            Some(Value::Number(n)) => {
                let secs = n
                    .as_i64()
                    .or_else(|| n.as_f64().map(|f| f as i64))
                    .unwrap_or(i64::MAX);
                Expiry::from_secs(secs)
            }
            Some(Value::String(s)) => match parse_iso(s) {
                Some(t) => Expiry::At(t),
                None => {
                    tracing::warn!(value = %s, "unreadable _session_expiry; using the default");
                    Expiry::Default
                }
            },
            Some(other) => {
                tracing::warn!(value = %other, "unreadable _session_expiry; using the default");
                Expiry::Default
            }
        }
    }

    /// Seconds left from `modification` until the session expires, for a configured
    /// `cookie_age`; zero once past (Django's `get_expiry_age`). Never reaches past
    /// [`max_expiry`].
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use session_core::Expiry;
    /// let age = Duration::from_secs(1_209_600);
    /// let now = SystemTime::now();
    /// assert_eq!(Expiry::Default.age(now, age), age);
    /// assert_eq!(Expiry::BrowserClose.age(now, age), age);
    /// assert_eq!(Expiry::At(now + Duration::from_secs(10)).age(now, age), Duration::from_secs(10));
    /// ```
    pub fn age(&self, modification: SystemTime, cookie_age: Duration) -> Duration {
        match *self {
            Expiry::Default | Expiry::BrowserClose => cookie_age,
            Expiry::Idle(d) if d.as_secs() == 0 => cookie_age,
            Expiry::Idle(d) => saturating_add(modification, Duration::from_secs(d.as_secs()))
                .duration_since(modification)
                .unwrap_or(Duration::ZERO),
            Expiry::At(t) => clamp(t)
                .duration_since(modification)
                .unwrap_or(Duration::ZERO),
        }
    }

    /// The instant the session expires if saved at `modification` (Django's
    /// `get_expiry_date`), saturating at [`max_expiry`].
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use session_core::Expiry;
    /// let now = SystemTime::now();
    /// let idle = Expiry::Idle(Duration::from_secs(10));
    /// assert_eq!(idle.date(now, Duration::from_secs(1_209_600)), now + Duration::from_secs(10));
    /// ```
    pub fn date(&self, modification: SystemTime, cookie_age: Duration) -> SystemTime {
        match *self {
            Expiry::At(t) => clamp(t),
            _ => saturating_add(modification, self.age(modification, cookie_age)),
        }
    }

    /// Whether the cookie should die with the browser, given the global
    /// [`expire_at_browser_close`](crate::SessionConfig::expire_at_browser_close) setting.
    ///
    /// ```
    /// use std::time::Duration;
    /// use session_core::Expiry;
    /// assert!(Expiry::Default.at_browser_close(true));
    /// assert!(!Expiry::Default.at_browser_close(false));
    /// assert!(Expiry::BrowserClose.at_browser_close(false));
    /// assert!(!Expiry::Idle(Duration::from_secs(5)).at_browser_close(true));
    /// ```
    pub fn at_browser_close(&self, global: bool) -> bool {
        match *self {
            Expiry::Default => global,
            Expiry::BrowserClose => true,
            Expiry::Idle(d) => d.as_secs() == 0,
            Expiry::At(_) => false,
        }
    }
}

impl Expiry {
    /// Django's `set_expiry(int)`: `0` is [`Expiry::BrowserClose`], a positive number
    /// [`Expiry::Idle`] of that many seconds, a negative one a session expired at once
    /// (an instant in the past, as [`Expiry::from_value`] reads a stored negative number).
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use session_core::Expiry;
    /// assert_eq!(Expiry::from_secs(0), Expiry::BrowserClose);
    /// assert_eq!(Expiry::from_secs(60), Expiry::Idle(Duration::from_secs(60)));
    /// assert_eq!(Expiry::from_secs(-1), Expiry::At(UNIX_EPOCH));
    /// ```
    pub fn from_secs(secs: i64) -> Expiry {
        match secs {
            0 => Expiry::BrowserClose,
            s if s < 0 => Expiry::At(UNIX_EPOCH),
            s => Expiry::Idle(Duration::from_secs(s.unsigned_abs())),
        }
    }
}

/// Django's `set_expiry(int)`; see [`Expiry::from_secs`].
///
/// ```
/// assert_eq!(session_core::Expiry::from(0), session_core::Expiry::BrowserClose);
/// ```
impl From<i64> for Expiry {
    fn from(secs: i64) -> Expiry {
        Expiry::from_secs(secs)
    }
}

/// Django's `set_expiry(datetime)`: at that instant ([`Expiry::At`]).
///
/// ```
/// use std::time::UNIX_EPOCH;
/// use session_core::Expiry;
/// assert_eq!(Expiry::from(UNIX_EPOCH), Expiry::At(UNIX_EPOCH));
/// ```
impl From<SystemTime> for Expiry {
    fn from(t: SystemTime) -> Expiry {
        Expiry::At(t)
    }
}

/// [`max_expiry`] as seconds since the Unix epoch: 9999-12-31T23:59:59Z.
pub const MAX_UNIX_SECONDS: i64 = 253_402_300_799;

/// The latest instant a session may expire at (see [the ceiling](self#the-ceiling)).
///
/// ```
/// use session_core::expiry::{format_iso, max_expiry};
/// assert_eq!(format_iso(max_expiry()), "9999-12-31T23:59:59+00:00");
/// ```
pub fn max_expiry() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(MAX_UNIX_SECONDS as u64)
}

/// `t`, or [`max_expiry`] when `t` is later.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use session_core::expiry::{clamp, max_expiry};
/// let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// assert_eq!(clamp(t), t);
/// assert_eq!(clamp(max_expiry() + Duration::from_secs(1)), max_expiry());
/// ```
pub fn clamp(t: SystemTime) -> SystemTime {
    t.min(max_expiry())
}

/// `t + d`, saturating at [`max_expiry`] (never a panic, whatever `d` is).
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use session_core::expiry::{max_expiry, saturating_add};
/// let now = SystemTime::now();
/// assert_eq!(saturating_add(now, Duration::from_secs(10)), now + Duration::from_secs(10));
/// assert_eq!(saturating_add(now, Duration::MAX), max_expiry());
/// ```
pub fn saturating_add(t: SystemTime, d: Duration) -> SystemTime {
    t.checked_add(d).map_or_else(max_expiry, clamp)
}

/// `int(time.time())` of an instant: whole seconds since the Unix epoch, truncated toward
/// zero, saturating at the `i64` range.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use session_core::expiry::unix_seconds;
/// assert_eq!(unix_seconds(UNIX_EPOCH + Duration::from_millis(1500)), 1);
/// assert_eq!(unix_seconds(UNIX_EPOCH - Duration::from_millis(1500)), -1);
/// ```
pub fn unix_seconds(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

/// The instant `secs` seconds from the Unix epoch; the epoch itself when the platform
/// cannot represent it (so a token from an absurd time looks as old as possible).
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use session_core::expiry::from_unix_seconds;
/// assert_eq!(from_unix_seconds(-5), UNIX_EPOCH - Duration::from_secs(5));
/// assert_eq!(from_unix_seconds(1_700_000_000), UNIX_EPOCH + Duration::from_secs(1_700_000_000));
/// ```
pub fn from_unix_seconds(secs: i64) -> SystemTime {
    let magnitude = Duration::from_secs(secs.unsigned_abs());
    let t = if secs >= 0 {
        UNIX_EPOCH.checked_add(magnitude)
    } else {
        UNIX_EPOCH.checked_sub(magnitude)
    };
    t.unwrap_or(UNIX_EPOCH)
}

/// Converts to a UTC date-time, clamping instants outside the representable years.
fn to_utc(t: SystemTime) -> OffsetDateTime {
    let nanos: i128 = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_nanos() as i128,
        Err(e) => -(e.duration().as_nanos() as i128),
    };
    OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap_or(if nanos < 0 {
        time::PrimitiveDateTime::MIN.assume_utc()
    } else {
        time::PrimitiveDateTime::MAX.assume_utc()
    })
}

fn from_utc(dt: OffsetDateTime) -> SystemTime {
    // Whole seconds and the fraction apart: nanoseconds since 1970 overflow a `u64` from
    // the year 2554 on.
    let secs = dt.unix_timestamp();
    let nanos = dt.nanosecond();
    let whole = Duration::from_secs(secs.unsigned_abs());
    if secs >= 0 {
        UNIX_EPOCH + whole + Duration::from_nanos(u64::from(nanos))
    } else {
        UNIX_EPOCH - whole + Duration::from_nanos(u64::from(nanos))
    }
}

/// Python's `datetime.isoformat()` of an aware UTC datetime:
/// `2026-11-26T16:20:13.628050+00:00`, the fraction omitted when it is zero. Instants past
/// [`max_expiry`] are written as it.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// let t = UNIX_EPOCH + Duration::from_micros(1_700_000_000_000_001);
/// assert_eq!(session_core::expiry::format_iso(t), "2023-11-14T22:13:20.000001+00:00");
/// ```
pub fn format_iso(t: SystemTime) -> String {
    let dt = to_utc(clamp(t));
    let base = dt
        .format(format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second]"
        ))
        .unwrap_or_default();
    match dt.microsecond() {
        0 => format!("{base}+00:00"),
        us => format!("{base}.{us:06}+00:00"),
    }
}

/// Parses what Python's `datetime.fromisoformat` reads for session expiry: RFC 3339 with
/// an offset, or a naive date-time taken as UTC (`T` or space between date and time).
/// Every year from 1 to 9999 reads; instants past [`max_expiry`] read as it.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use session_core::expiry::parse_iso;
/// let t = UNIX_EPOCH + Duration::from_secs(1_893_456_000);
/// assert_eq!(parse_iso("2030-01-01T00:00:00+00:00"), Some(t));
/// assert_eq!(parse_iso("2030-01-01T01:00:00+01:00"), Some(t));
/// assert_eq!(parse_iso("2030-01-01 00:00:00"), Some(t));
/// assert_eq!(parse_iso("next tuesday"), None);
/// ```
pub fn parse_iso(s: &str) -> Option<SystemTime> {
    if let Ok(dt) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(clamp(from_utc(dt)));
    }
    let naive = s.replacen(' ', "T", 1);
    let fmt = format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]"
    );
    PrimitiveDateTime::parse(&naive, fmt)
        .ok()
        .map(|dt| clamp(from_utc(dt.assume_offset(UtcOffset::UTC))))
}
