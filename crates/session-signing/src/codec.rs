//! Django's `session_data` text for server-side stores.

use std::time::SystemTime;

use session_core::{DjangoJson, Error, Result, Serializer, SessionData};

use crate::Signer;

/// The salt Django's `SessionBase.encode` signs `session_data` with (db, file and cached_db
/// backends).
pub const DJANGO_SESSION_SALT: &str = "django.contrib.sessions.SessionStore";

/// The salt of Django's `signed_cookies` backend (the cookie value).
pub const DJANGO_COOKIE_SALT: &str = "django.contrib.sessions.backends.signed_cookies";

/// A [`Serializer`] that reads and writes Django's `session_data`: the session as
/// Django-compatible JSON ([`DjangoJson`]), signed with the salt [`DJANGO_SESSION_SALT`],
/// zlib-compressed when that saves bytes — what `SessionBase.encode` / `decode` do.
///
/// Use it as the manager's serializer with a server-side store in Django mode (the
/// `django_session` table, Django's session files): a Django site with the same
/// `SECRET_KEY` then shares the sessions.
///
/// Decoding fails closed: forged, corrupt or foreign data is an
/// [`Error::Deserialize`] whose source is the [`SignError`](crate::SignError) (or the
/// JSON error); `session-core` turns that into an empty session and a logged warning.
/// As in Django, the timestamp inside the text is not checked for age: the store's expiry
/// governs.
///
/// ```
/// use session_core::{Serializer, SessionData};
/// use session_signing::DjangoCodec;
///
/// let codec = DjangoCodec::new("django-insecure-test-secret-for-vectors")?;
/// // A row Django wrote (testdata/django_vectors.json):
/// let row = "eyJoZWxsbyI6IndvcmxkIn0:1r31eq:gAaKvOkChtxUZvvPn6Q3KnN8OO3rY5LsohXWUuvzqFw";
/// let data = codec.from_bytes(row.as_bytes())?;
/// assert_eq!(data["hello"], "world");
///
/// let text = codec.to_bytes(&data)?;
/// assert_eq!(codec.from_bytes(&text)?, data);
/// assert!(DjangoCodec::new("another secret")?.from_bytes(&text).is_err());
/// # Ok::<(), session_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct DjangoCodec {
    signer: Signer,
    compress: bool,
}

impl DjangoCodec {
    /// A codec for Django's `SECRET_KEY` `secret`, compressing like Django. The secret is
    /// checked as [`Signer::new`] checks it: empty is
    /// [`Error::EmptySecret`], short is a logged warning.
    ///
    /// ```
    /// let codec = session_signing::DjangoCodec::new("secret")?;
    /// assert_eq!(codec.signer().salt(), "django.contrib.sessions.SessionStore");
    /// assert!(session_signing::DjangoCodec::new("").is_err());
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn new(secret: impl AsRef<[u8]>) -> Result<Self> {
        Ok(DjangoCodec {
            signer: Signer::new(secret)?.with_salt(DJANGO_SESSION_SALT),
            compress: true,
        })
    }

    /// Also reads data signed with any of `fallbacks` (Django's `SECRET_KEY_FALLBACKS`);
    /// an empty fallback is [`Error::EmptySecret`].
    ///
    /// ```
    /// use session_core::Serializer;
    /// use session_signing::DjangoCodec;
    /// let old = DjangoCodec::new("old")?.to_bytes(&Default::default())?;
    /// assert!(DjangoCodec::new("new")?.with_fallbacks(["old"])?.from_bytes(&old).is_ok());
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn with_fallbacks<I, S>(mut self, fallbacks: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        self.signer = self.signer.with_fallbacks(fallbacks)?;
        Ok(self)
    }

    /// Turns compression off (on by default, as in Django; Django reads both).
    ///
    /// ```
    /// use session_core::{Serializer, SessionData};
    /// let mut data = SessionData::new();
    /// data.insert("blob".into(), "a".repeat(500).into());
    /// let codec = session_signing::DjangoCodec::new("s")?.with_compression(false);
    /// assert!(!codec.to_bytes(&data)?.starts_with(b"."));
    /// # Ok::<(), session_core::Error>(())
    /// ```
    #[must_use]
    pub fn with_compression(mut self, compress: bool) -> Self {
        self.compress = compress;
        self
    }

    /// The underlying signer.
    ///
    /// ```
    /// let codec = session_signing::DjangoCodec::new("s")?.with_fallbacks(["old"])?;
    /// assert_eq!(codec.signer().fallback_count(), 1);
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn signer(&self) -> &Signer {
        &self.signer
    }

    /// Encodes `data` with the timestamp `now` (tests pin time with it).
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use session_signing::DjangoCodec;
    /// let codec = DjangoCodec::new("django-insecure-test-secret-for-vectors")?;
    /// let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    /// assert_eq!(
    ///     codec.encode_at(&Default::default(), t)?,
    ///     "e30:1r31eq:oKa21nAEwXB6jmoewwsUuotOiH9eY-mC7BJZJJktgkM"
    /// );
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn encode_at(&self, data: &SessionData, now: SystemTime) -> Result<String> {
        let json = DjangoJson.to_bytes(data)?;
        Ok(self.signer.sign_at(&json, self.compress, now))
    }

    /// Decodes Django `session_data` text.
    ///
    /// ```
    /// let codec = session_signing::DjangoCodec::new("s")?;
    /// assert!(codec.decode("not a signed value").is_err());
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn decode(&self, text: &str) -> Result<SessionData> {
        let json = self.signer.unsign(text, None)?;
        DjangoJson.from_bytes(&json)
    }
}

impl Serializer for DjangoCodec {
    fn to_bytes(&self, data: &SessionData) -> Result<Vec<u8>> {
        self.encode_at(data, SystemTime::now())
            .map(String::into_bytes)
    }

    fn from_bytes(&self, bytes: &[u8]) -> Result<SessionData> {
        let text = std::str::from_utf8(bytes).map_err(|e| Error::Deserialize(e.into()))?;
        self.decode(text)
    }
}
