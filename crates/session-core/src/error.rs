//! The one error type of session-engines.

use std::error::Error as StdError;

/// A boxed error from a lower layer, kept whole so callers can inspect the cause.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// What can go wrong with a session or a store.
///
/// Every variant that wraps a lower-level failure keeps it as its
/// [`source`](std::error::Error::source), never as a string.
///
/// ```
/// use session_core::{Error, MemoryStore, SessionManager};
///
/// let manager = SessionManager::new(MemoryStore::new());
/// let mut session = manager.session(None);
/// let err = session.insert("_auth_user_id", "1").unwrap_err();
/// assert!(matches!(err, Error::ReservedKey(ref key) if key == "_auth_user_id"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A key starting with `_` was written through the public map API; such keys
    /// belong to the framework (see [`crate::reserved`]).
    #[error("session key `{0}` is reserved: keys starting with `_` belong to the framework")]
    ReservedKey(String),

    /// The session was deleted (e.g. by a concurrent logout) while this request
    /// used it; saving it again would resurrect it. Django's `SessionInterrupted`;
    /// web integrations answer HTTP 400.
    #[error("the session was deleted before the request completed")]
    Interrupted,

    /// A store could not find a free key for a new session after several tries.
    #[error("could not create a session: every generated key already existed")]
    KeyExists,

    /// Session data could not be encoded.
    #[error("could not serialize the session data")]
    Serialize(#[source] BoxError),

    /// Stored bytes could not be decoded into session data.
    #[error("could not deserialize the session data")]
    Deserialize(#[source] BoxError),

    /// A session key is malformed for this store (too short, bad characters, too long).
    #[error("invalid session key")]
    InvalidKey,

    /// The signed cookie holding the session would be larger than browsers accept.
    #[error("session cookie would be {size} bytes, over the {limit}-byte limit")]
    CookieTooLarge {
        /// The size the cookie would have had.
        size: usize,
        /// The limit it exceeds.
        limit: usize,
    },

    /// A signing or encryption secret (or a fallback secret) is empty: a signature made
    /// with it proves nothing, so anyone could forge a session. Django refuses an empty
    /// `SECRET_KEY` too.
    #[error(
        "the secret is empty: anyone could forge sessions signed with it; use a long random secret"
    )]
    EmptySecret,

    /// The store cannot perform this operation (e.g. [`touch`](crate::SessionStore::touch)
    /// on a store that keeps the expiry inside the data): callers fall back to a full save.
    #[error("the {backend} store does not support `{operation}`")]
    Unsupported {
        /// Which backend.
        backend: &'static str,
        /// The operation it cannot perform.
        operation: &'static str,
    },

    /// A store operation panicked (on the thread a driver or the store sent it to). The
    /// request fails; the process goes on.
    #[error("the {backend} store panicked: {message}")]
    Panicked {
        /// Which backend (or driver) ran the operation.
        backend: &'static str,
        /// The panic's message, when it had one.
        message: String,
    },

    /// The storage engine failed (I/O, database, network…).
    #[error("{backend} backend error")]
    Backend {
        /// Which backend failed, e.g. `"sqlite"`, `"redis"`, `"file"`.
        backend: &'static str,
        /// The engine's own error.
        #[source]
        source: BoxError,
    },
}

impl Error {
    /// [`Error::Panicked`] from a caught panic's payload (what `catch_unwind` or a join
    /// handle gives back).
    ///
    /// ```
    /// use session_core::Error;
    /// let payload = std::panic::catch_unwind(|| panic!("disk on fire")).unwrap_err();
    /// let err = Error::panicked("file", payload);
    /// assert_eq!(err.to_string(), "the file store panicked: disk on fire");
    /// ```
    pub fn panicked(backend: &'static str, payload: Box<dyn std::any::Any + Send>) -> Self {
        let message = match payload.downcast::<String>() {
            Ok(message) => *message,
            Err(payload) => payload
                .downcast_ref::<&str>()
                .map_or_else(|| "(no message)".to_owned(), |s| (*s).to_owned()),
        };
        Error::Panicked { backend, message }
    }

    /// Wraps an engine error as [`Error::Backend`].
    ///
    /// ```
    /// use session_core::Error;
    /// let io = std::io::Error::other("disk on fire");
    /// let err = Error::backend("file", io);
    /// assert_eq!(err.to_string(), "file backend error");
    /// assert!(std::error::Error::source(&err).is_some());
    /// ```
    pub fn backend(backend: &'static str, source: impl Into<BoxError>) -> Self {
        Error::Backend {
            backend,
            source: source.into(),
        }
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
