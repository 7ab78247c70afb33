//! The cookie formats and the defaults.

use std::time::Duration;

/// Django's salt for the signed-cookie backend: the default.
pub const DEFAULT_SALT: &str = session_signing::DJANGO_COOKIE_SALT;

/// Django's `SESSION_COOKIE_AGE` (two weeks): how long a cookie is accepted by default.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(1_209_600);

/// The largest `name=value` a browser is sure to keep (RFC 6265 asks browsers to support at
/// least 4096 bytes per cookie); a bigger session is refused with
/// [`Error::CookieTooLarge`](session_core::Error::CookieTooLarge).
pub const DEFAULT_SIZE_LIMIT: usize = 4096;

/// Django's default cookie name.
pub const DEFAULT_COOKIE_NAME: &str = "sessionid";

/// How the session travels in the cookie.
///
/// | format | client can read the data | expiry enforced at load | Django reads it |
/// |---|---|---|---|
/// | [`Django`](CookieFormat::Django) | yes (base64) | `max_age` from the signing time; plus a custom `_session_expiry` found in JSON data | yes |
/// | [`Expiring`](CookieFormat::Expiring) | yes (base64) | `max_age` and the record's exact expiry, for any serializer | no |
/// | [`Encrypted`](CookieFormat::Encrypted) | no | `max_age` and the record's exact expiry, for any serializer | no |
///
/// ```
/// use session_cookie::{CookieFormat, CookieStore};
/// let store = CookieStore::new("secret")?.with_format(CookieFormat::Encrypted);
/// assert_eq!(store.format(), CookieFormat::Encrypted);
/// assert_eq!(CookieFormat::default(), CookieFormat::Django);
/// # Ok::<(), session_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum CookieFormat {
    /// Django's `signed_cookies` format, byte for byte: `["."] b64(data) ":" base62(time)
    /// ":" b64(HMAC-SHA256)`. A Django site with the same `SECRET_KEY` (and salt) reads
    /// these cookies and we read its cookies — as long as the manager's serializer is
    /// [`DjangoJson`](session_core::DjangoJson).
    ///
    /// Expiry: the cookie is refused once `max_age` has passed since it was signed
    /// (Django's rule). Django ignores a custom `set_expiry` for signed cookies (its ticket
    /// #19201); we do not: when the data is JSON, a `_session_expiry` of N seconds is
    /// enforced from the signing time and an ISO instant is enforced as is. Data in any
    /// other encoding gets `max_age` only.
    #[default]
    Django,
    /// Django's signing envelope around `expiry || data`, under a salt of its own: the
    /// record's exact expiry instant (millisecond precision) is signed into the cookie and
    /// enforced at load, whatever the serializer (MessagePack too). Not readable by Django.
    Expiring,
    /// XChaCha20-Poly1305 authenticated encryption: the client can neither read nor change
    /// the data. The key is derived from the secret (and each fallback) with a salt distinct
    /// from the signing key; the cookie name is bound as associated data, so a value moved
    /// to another cookie does not open. Enforces `max_age` and the record's exact expiry.
    /// Not readable by Django. Compression is off unless asked for (see
    /// [`CookieStore::with_compression`](crate::CookieStore::with_compression)).
    Encrypted,
}
