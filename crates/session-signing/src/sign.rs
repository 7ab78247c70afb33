//! Django's `TimestampSigner` envelope, byte for byte.
//!
//! ```text
//! token       = ["."] b64(payload) ":" base62(unix_seconds) ":" b64(mac)
//! payload     = zlib(data) if compressed else data
//! mac         = HMAC-SHA256(key = SHA256(salt || "signer" || secret), msg = everything before the last ":")
//! ```

use std::time::{Duration, SystemTime};

use session_core::expiry::{from_unix_seconds, unix_seconds};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::SignError;

type HmacSha256 = Hmac<Sha256>;

/// The salt of `django.core.signing.dumps`, used when none is set.
pub const DEFAULT_SALT: &str = "django.core.signing";

/// The smallest payload worth a zlib attempt. Below it compression saves a few bytes at
/// best and costs ~10x the signing itself.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use session_signing::{COMPRESS_THRESHOLD, Signer};
/// let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let small = vec![b'a'; COMPRESS_THRESHOLD - 1];
/// assert!(!Signer::new("s")?.sign_at(&small, true, t).starts_with('.'));
/// let big = vec![b'a'; COMPRESS_THRESHOLD];
/// assert!(Signer::new("s")?.sign_at(&big, true, t).starts_with('.'));
/// # Ok::<(), session_core::Error>(())
/// ```
pub const COMPRESS_THRESHOLD: usize = 256;

/// The default bound on a decompressed payload (32 MiB): a compressed token cannot make the
/// verifier allocate more than this.
pub const DEFAULT_MAX_PAYLOAD_LEN: usize = 32 << 20;

/// Length of the base64 HMAC-SHA256 signature at the end of every token.
pub const SIGNATURE_LEN: usize = 43;

/// The secret length below which [`Signer::new`] (and every constructor that takes a
/// secret) logs a warning: 32 bytes, 256 bits of key when the secret is random. Django's
/// security check warns about short secret keys the same way.
///
/// ```
/// assert_eq!(session_signing::RECOMMENDED_SECRET_LEN, 32);
/// ```
pub const RECOMMENDED_SECRET_LEN: usize = 32;

/// Refuses an empty secret and warns about a short one. `what` names it in the warning.
pub(crate) fn check_secret(secret: &[u8], what: &str) -> Result<(), session_core::Error> {
    if secret.is_empty() {
        return Err(session_core::Error::EmptySecret);
    }
    if secret.len() < RECOMMENDED_SECRET_LEN {
        tracing::warn!(
            "the {what} is {} bytes long: use at least {RECOMMENDED_SECRET_LEN} random bytes, \
             a short secret can be guessed",
            secret.len()
        );
    }
    Ok(())
}

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Signs and verifies bytes exactly as Django's `TimestampSigner` (and `signing.dumps` /
/// `signing.loads`) do: a Django site with the same secret and salt accepts our tokens and we
/// accept theirs.
///
/// A token verifies when its signature matches the secret or any fallback secret (compared in
/// constant time), so secrets can be rotated without logging everyone out: sign with the new
/// secret, keep the old one as a fallback until its tokens have aged out.
///
/// The secrets never appear in `Debug` output.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use session_signing::Signer;
///
/// let signer = Signer::new("django-insecure-test-secret-for-vectors")?
///     .with_salt("django.contrib.sessions.backends.signed_cookies");
/// let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let token = signer.sign_at(br#"{"hello":"world"}"#, true, t);
/// assert_eq!(token, "eyJoZWxsbyI6IndvcmxkIn0:1r31eq:8bIDuvm15Ksy_6xslkja3t7vPXv1ENcvzAcyrNdvEXk");
/// assert_eq!(signer.unsign_at(&token, Some(Duration::from_secs(60)), t)?, br#"{"hello":"world"}"#);
/// assert!(format!("{signer:?}").contains("[redacted]"));
/// # Ok::<(), session_core::Error>(())
/// ```
#[derive(Clone)]
pub struct Signer {
    secret: Vec<u8>,
    fallbacks: Vec<Vec<u8>>,
    salt: String,
    /// HMAC states keyed with the derived key of the secret, then of each fallback.
    macs: Vec<HmacSha256>,
    max_payload_len: usize,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("salt", &self.salt)
            .field("secret", &format_args!("[redacted]"))
            .field(
                "fallbacks",
                &format_args!("[{} redacted]", self.fallbacks.len()),
            )
            .field("max_payload_len", &self.max_payload_len)
            .finish()
    }
}

/// A verified token: its payload (decompressed) and when it was signed.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use session_signing::Signer;
/// let signer = Signer::new("s")?;
/// let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let verified = signer.verify_at(&signer.sign_at(b"x", false, t), None, t)?;
/// assert_eq!(verified.payload, b"x");
/// assert_eq!(verified.signed_at, t);
/// # Ok::<(), session_core::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Verified {
    /// The signed bytes, decompressed.
    pub payload: Vec<u8>,
    /// The timestamp inside the token (whole seconds).
    pub signed_at: SystemTime,
}

impl std::fmt::Debug for Verified {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verified")
            .field("payload", &format_args!("[{} bytes]", self.payload.len()))
            .field("signed_at", &self.signed_at)
            .finish()
    }
}

impl Signer {
    /// A signer with `secret` (Django's `SECRET_KEY`), salt [`DEFAULT_SALT`] and no
    /// fallback secrets.
    ///
    /// An empty secret is refused with [`Error::EmptySecret`](session_core::Error::EmptySecret):
    /// anyone could sign with it. A secret shorter than [`RECOMMENDED_SECRET_LEN`] bytes is
    /// accepted with a `tracing` warning, as Django's security check warns about a short
    /// `SECRET_KEY`.
    ///
    /// ```
    /// use session_signing::Signer;
    /// let signer = Signer::new("a long random secret, at least 32 bytes")?;
    /// assert_eq!(signer.salt(), "django.core.signing");
    /// assert!(matches!(Signer::new(""), Err(session_core::Error::EmptySecret)));
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn new(secret: impl AsRef<[u8]>) -> Result<Self, session_core::Error> {
        let secret = secret.as_ref();
        check_secret(secret, "secret")?;
        let mut signer = Signer {
            secret: secret.to_vec(),
            fallbacks: Vec::new(),
            salt: DEFAULT_SALT.to_owned(),
            macs: Vec::new(),
            max_payload_len: DEFAULT_MAX_PAYLOAD_LEN,
        };
        signer.derive();
        Ok(signer)
    }

    /// Uses `salt` to separate this kind of token from every other (Django's `salt`
    /// argument): a token signed with one salt never verifies under another.
    ///
    /// ```
    /// use session_signing::Signer;
    /// let a = Signer::new("s")?.with_salt("a");
    /// let b = Signer::new("s")?.with_salt("b");
    /// assert!(b.unsign(&a.sign(b"x", false), None).is_err());
    /// # Ok::<(), session_core::Error>(())
    /// ```
    #[must_use]
    pub fn with_salt(mut self, salt: impl Into<String>) -> Self {
        self.salt = salt.into();
        self.derive();
        self
    }

    /// Also accepts tokens signed with any of `fallbacks` (Django's
    /// `SECRET_KEY_FALLBACKS`), tried in order after the secret. New tokens are always
    /// signed with the secret. Replaces any fallbacks set before.
    ///
    /// Each fallback is checked like the secret: an empty one is
    /// [`Error::EmptySecret`](session_core::Error::EmptySecret) (it would let anyone in), a
    /// short one is logged as a warning.
    ///
    /// ```
    /// use session_signing::Signer;
    /// let old = Signer::new("old secret")?.sign(b"x", false);
    /// let rotated = Signer::new("new secret")?.with_fallbacks(["old secret"])?;
    /// assert_eq!(rotated.unsign(&old, None)?, b"x");
    /// assert!(Signer::new("new secret")?.with_fallbacks([""]).is_err());
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn with_fallbacks<I, S>(mut self, fallbacks: I) -> Result<Self, session_core::Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        let fallbacks: Vec<Vec<u8>> = fallbacks.into_iter().map(|s| s.as_ref().to_vec()).collect();
        for fallback in &fallbacks {
            check_secret(fallback, "fallback secret")?;
        }
        self.fallbacks = fallbacks;
        self.derive();
        Ok(self)
    }

    /// Refuses compressed tokens whose payload inflates beyond `len` bytes (default
    /// [`DEFAULT_MAX_PAYLOAD_LEN`]) with [`SignError::TooLarge`].
    ///
    /// ```
    /// use session_signing::{SignError, Signer};
    /// let signer = Signer::new("s")?.with_max_payload_len(100);
    /// let token = signer.sign(&[b'a'; 1000], true);
    /// assert!(matches!(signer.unsign(&token, None), Err(SignError::TooLarge { limit: 100 })));
    /// # Ok::<(), session_core::Error>(())
    /// ```
    #[must_use]
    pub fn with_max_payload_len(mut self, len: usize) -> Self {
        self.max_payload_len = len;
        self
    }

    /// The salt.
    ///
    /// ```
    /// assert_eq!(session_signing::Signer::new("s")?.with_salt("x").salt(), "x");
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn salt(&self) -> &str {
        &self.salt
    }

    /// How many fallback secrets are accepted.
    ///
    /// ```
    /// let signer = session_signing::Signer::new("s")?.with_fallbacks(["a", "b"])?;
    /// assert_eq!(signer.fallback_count(), 2);
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn fallback_count(&self) -> usize {
        self.fallbacks.len()
    }

    fn derive(&mut self) {
        self.macs = std::iter::once(&self.secret)
            .chain(&self.fallbacks)
            .map(|secret| {
                // Django's salted_hmac: key = SHA256(key_salt || secret), key_salt = salt + "signer".
                let key = Sha256::new()
                    .chain_update(self.salt.as_bytes())
                    .chain_update(b"signer")
                    .chain_update(secret)
                    .finalize();
                HmacSha256::new_from_slice(&key).expect("HMAC accepts keys of any length")
            })
            .collect();
    }

    /// Signs `payload` now. See [`sign_at`](Self::sign_at).
    ///
    /// ```
    /// let signer = session_signing::Signer::new("s")?;
    /// let token = signer.sign(b"hello", false);
    /// assert!(token.starts_with("aGVsbG8:"));
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn sign(&self, payload: &[u8], compress: bool) -> String {
        self.sign_at(payload, compress, SystemTime::now())
    }

    /// Signs `payload` with the timestamp `now`. With `compress`, a payload of at least
    /// [`COMPRESS_THRESHOLD`] bytes is zlib-compressed (level 6, like Python's
    /// `zlib.compress`) and marked with a leading `.` — when that saves at least two bytes,
    /// Django's rule. Smaller payloads are never worth a zlib attempt, which costs more than
    /// the whole signature; Django reads both forms.
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// let signer = session_signing::Signer::new("s")?;
    /// let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    /// assert!(signer.sign_at(&[b'a'; 500], true, t).starts_with('.'));
    /// assert!(!signer.sign_at(b"{}", true, t).starts_with('.'));
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn sign_at(&self, payload: &[u8], compress: bool, now: SystemTime) -> String {
        let compressed = (compress && payload.len() >= COMPRESS_THRESHOLD)
            .then(|| crate::zlib::compress(payload));
        let (marker, body) = match &compressed {
            Some(z) if z.len() + 1 < payload.len() => (true, z.as_slice()),
            _ => (false, payload),
        };
        let mut token = String::with_capacity(body.len() * 4 / 3 + 16 + SIGNATURE_LEN);
        if marker {
            token.push('.');
        }
        URL_SAFE_NO_PAD.encode_string(body, &mut token);
        token.push(':');
        push_base62(&mut token, unix_seconds(now));
        let signature = self.signature(&self.macs[0], token.as_bytes());
        token.push(':');
        token.push_str(std::str::from_utf8(&signature).expect("base64 is ASCII"));
        token
    }

    /// Verifies `token` now and returns its payload. See [`unsign_at`](Self::unsign_at).
    ///
    /// ```
    /// let signer = session_signing::Signer::new("s")?;
    /// assert_eq!(signer.unsign(&signer.sign(b"x", true), None)?, b"x");
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn unsign(&self, token: &str, max_age: Option<Duration>) -> Result<Vec<u8>, SignError> {
        self.unsign_at(token, max_age, SystemTime::now())
    }

    /// Verifies `token` as of `now` and returns its (decompressed) payload.
    ///
    /// The signature is checked in constant time against the secret, then each fallback.
    /// With `max_age`, a token is valid while `now - timestamp <= max_age` (Django's rule: at
    /// exactly `max_age` it still verifies). Never panics, whatever the input.
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use session_signing::{SignError, Signer};
    /// let signer = Signer::new("s")?;
    /// let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    /// let token = signer.sign_at(b"x", false, t);
    /// let age = Duration::from_secs(60);
    /// assert!(signer.unsign_at(&token, Some(age), t + age).is_ok());
    /// let later = t + age + Duration::from_secs(1);
    /// assert!(matches!(signer.unsign_at(&token, Some(age), later), Err(SignError::Expired { .. })));
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn unsign_at(
        &self,
        token: &str,
        max_age: Option<Duration>,
        now: SystemTime,
    ) -> Result<Vec<u8>, SignError> {
        self.verify_at(token, max_age, now).map(|v| v.payload)
    }

    /// [`unsign_at`](Self::unsign_at) that also returns the token's timestamp.
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// let signer = session_signing::Signer::new("s")?;
    /// let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    /// let token = signer.sign_at(b"x", false, t);
    /// assert_eq!(signer.verify_at(&token, None, t)?.signed_at, t);
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn verify_at(
        &self,
        token: &str,
        max_age: Option<Duration>,
        now: SystemTime,
    ) -> Result<Verified, SignError> {
        let (signed, signature) = token
            .rsplit_once(':')
            .ok_or(SignError::Malformed("no signature separator"))?;
        let mut ok = subtle::Choice::from(0);
        for mac in &self.macs {
            // Django compares the base64 texts; so do we (length is public, content is not).
            let expected = self.signature(mac, signed.as_bytes());
            ok |= expected.as_slice().ct_eq(signature.as_bytes());
            if bool::from(ok) {
                break;
            }
        }
        if !bool::from(ok) {
            return Err(SignError::BadSignature);
        }
        let (value, timestamp) = signed
            .rsplit_once(':')
            .ok_or(SignError::Malformed("no timestamp"))?;
        let signed_at = from_unix_seconds(decode_base62(timestamp)?);
        if let Some(max_age) = max_age {
            let age = now.duration_since(signed_at).unwrap_or(Duration::ZERO);
            if age > max_age {
                return Err(SignError::Expired { age, max_age });
            }
        }
        let (compressed, encoded) = match value.strip_prefix('.') {
            Some(rest) => (true, rest),
            None => (false, value),
        };
        let raw = URL_SAFE_NO_PAD
            .decode(encoded)
            .map_err(|_| SignError::Malformed("payload is not URL-safe base64"))?;
        let payload = if compressed {
            crate::zlib::decompress(&raw, self.max_payload_len)?
        } else {
            raw
        };
        Ok(Verified { payload, signed_at })
    }

    fn signature(&self, mac: &HmacSha256, message: &[u8]) -> [u8; SIGNATURE_LEN] {
        let digest = mac.clone().chain_update(message).finalize().into_bytes();
        let mut out = [0u8; SIGNATURE_LEN];
        let written = URL_SAFE_NO_PAD
            .encode_slice(digest, &mut out)
            .expect("32 bytes encode to 43 base64 chars");
        debug_assert_eq!(written, SIGNATURE_LEN);
        out
    }
}

/// Django's `b62_encode`.
fn push_base62(out: &mut String, n: i64) {
    if n < 0 {
        out.push('-');
    }
    let mut n = n.unsigned_abs();
    let mut digits = [0u8; 11];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = BASE62[(n % 62) as usize];
        n /= 62;
        if n == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&digits[i..]).expect("base62 is ASCII"));
}

/// Django's `b62_decode`, refusing what Python would raise on (and overflow).
fn decode_base62(s: &str) -> Result<i64, SignError> {
    const BAD: SignError = SignError::Malformed("timestamp is not base62");
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    if digits.is_empty() {
        return Err(BAD);
    }
    let mut n: i64 = 0;
    for b in digits.bytes() {
        let d = match b {
            b'0'..=b'9' => b - b'0',
            b'A'..=b'Z' => b - b'A' + 10,
            b'a'..=b'z' => b - b'a' + 36,
            _ => return Err(BAD),
        };
        n = n
            .checked_mul(62)
            .and_then(|n| n.checked_add(i64::from(d)))
            .ok_or(BAD)?;
    }
    Ok(if negative { -n } else { n })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b62(n: i64) -> String {
        let mut s = String::new();
        push_base62(&mut s, n);
        s
    }

    #[test]
    fn base62_matches_django() {
        assert_eq!(b62(1_700_000_000), "1r31eq");
        assert_eq!(b62(0), "0");
        assert_eq!(b62(-1), "-1");
        assert_eq!(b62(61), "z");
        assert_eq!(b62(62), "10");
        for n in [0, 1, -1, 61, 62, 1_700_000_000, i64::MAX, i64::MIN + 1] {
            assert_eq!(decode_base62(&b62(n)).unwrap(), n);
        }
        assert!(decode_base62("").is_err());
        assert!(decode_base62("-").is_err());
        assert!(decode_base62("1r3!").is_err());
        assert!(decode_base62("zzzzzzzzzzzzzzzzzzzz").is_err());
    }
}
