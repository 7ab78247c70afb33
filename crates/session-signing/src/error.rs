//! Why a token did not verify.

use std::time::Duration;

/// Why [`Signer::unsign`](crate::Signer::unsign) refused a token.
///
/// Every variant means "do not trust this value". Callers that serve sessions treat them
/// all alike (an empty session); the variants exist for logs and tests.
///
/// ```
/// use session_signing::{SignError, Signer};
/// let signer = Signer::new("secret")?;
/// assert!(matches!(signer.unsign("no separator", None), Err(SignError::Malformed(_))));
/// let token = Signer::new("another secret")?.sign(b"hi", false);
/// assert!(matches!(signer.unsign(&token, None), Err(SignError::BadSignature)));
/// # Ok::<(), session_core::Error>(())
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// The token does not have the `payload:timestamp:signature` shape, or one of its parts
    /// is not valid base64 / base62. Which part is named in the message.
    #[error("malformed signed value: {0}")]
    Malformed(&'static str),

    /// The signature matches neither the secret nor any fallback secret (tampered data,
    /// another secret, another salt).
    #[error("signature does not match")]
    BadSignature,

    /// The signature is good but the token is older than the allowed age.
    #[error("signature expired: {age:?} old, {max_age:?} allowed")]
    Expired {
        /// How old the token is.
        age: Duration,
        /// The maximum age the caller allowed.
        max_age: Duration,
    },

    /// The payload is marked as compressed but is not valid zlib data.
    #[error("compressed payload does not decompress")]
    Decompress(#[source] std::io::Error),

    /// The payload decompresses to more bytes than the signer's limit
    /// ([`Signer::with_max_payload_len`](crate::Signer::with_max_payload_len)).
    #[error("decompressed payload exceeds {limit} bytes")]
    TooLarge {
        /// The limit that was exceeded.
        limit: usize,
    },
}

impl From<SignError> for session_core::Error {
    /// Every signing failure is a [`session_core::Error::Deserialize`] with the
    /// [`SignError`] as its source.
    ///
    /// ```
    /// use session_signing::SignError;
    /// let err: session_core::Error = SignError::BadSignature.into();
    /// assert!(matches!(err, session_core::Error::Deserialize(_)));
    /// ```
    fn from(error: SignError) -> Self {
        session_core::Error::Deserialize(Box::new(error))
    }
}
