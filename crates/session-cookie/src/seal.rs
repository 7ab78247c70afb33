//! Turning a record into a cookie value and back, in each [`CookieFormat`].
//!
//! ```text
//! Django     token = Signer(salt).sign(data)
//! Expiring   token = Signer(salt + ".expiring").sign(expires_ms:u64be || data)
//! Encrypted  token = b64(nonce[24] || XChaCha20-Poly1305(key, nonce, plaintext, ad))
//!            key       = SHA256(salt || "xchacha20poly1305" || secret)
//!            ad        = "session-cookie.encrypted.v1:" || cookie name
//!            plaintext = flags:u8 || signed_at:i64be (s) || expires_ms:u64be || body
//!            body      = zlib(data) if flags & 1 else data
//! ```

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use session_core::expiry::{from_unix_seconds, unix_seconds};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use session_core::{Error, Expiry, Record, Result};
use session_signing::{SignError, Signer};

use crate::CookieFormat;

const EXPIRING_SALT_SUFFIX: &str = ".expiring";
const KEY_LABEL: &[u8] = b"xchacha20poly1305";
const AD_PREFIX: &[u8] = b"session-cookie.encrypted.v1:";
const NONCE_LEN: usize = 24;
const HEADER_LEN: usize = 1 + 8 + 8;
const FLAG_ZLIB: u8 = 1;
/// Bound on an inflated encrypted payload (it was authenticated first, so this is defence in
/// depth, like the signer's own bound).
const MAX_PAYLOAD_LEN: usize = session_signing::DEFAULT_MAX_PAYLOAD_LEN;

/// Why a cookie value was refused; only logged (the caller sees `None`).
#[derive(Debug)]
pub(crate) enum Refused {
    Sign(SignError),
    Expired,
    Malformed(&'static str),
    Decrypt,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::Sign(e) => write!(f, "{e}"),
            Refused::Expired => f.write_str("custom expiry passed"),
            Refused::Malformed(why) => write!(f, "malformed: {why}"),
            Refused::Decrypt => f.write_str("does not decrypt under any key"),
        }
    }
}

/// The keys and settings of one format, derived once.
#[derive(Clone)]
pub(crate) struct Sealer {
    pub(crate) format: CookieFormat,
    signer: Signer,
    ciphers: Vec<XChaCha20Poly1305>,
    ad: Vec<u8>,
    pub(crate) compress: bool,
    pub(crate) max_age: Duration,
}

impl Sealer {
    pub(crate) fn new(
        format: CookieFormat,
        secret: &[u8],
        fallbacks: &[Vec<u8>],
        salt: &str,
        cookie_name: &str,
        compress: bool,
        max_age: Duration,
    ) -> Self {
        let signer_salt = match format {
            CookieFormat::Expiring => format!("{salt}{EXPIRING_SALT_SUFFIX}"),
            _ => salt.to_owned(),
        };
        let ciphers = if format == CookieFormat::Encrypted {
            std::iter::once(secret)
                .chain(fallbacks.iter().map(Vec::as_slice))
                .map(|secret| {
                    let key = Sha256::new()
                        .chain_update(salt.as_bytes())
                        .chain_update(KEY_LABEL)
                        .chain_update(secret)
                        .finalize();
                    XChaCha20Poly1305::new(&key)
                })
                .collect()
        } else {
            Vec::new()
        };
        Sealer {
            format,
            signer: Signer::new(secret)
                .with_salt(signer_salt)
                .with_fallbacks(fallbacks),
            ciphers,
            ad: [AD_PREFIX, cookie_name.as_bytes()].concat(),
            compress,
            max_age,
        }
    }

    /// The cookie value for `record`, signed (or encrypted) at `now`.
    pub(crate) fn seal(&self, record: &Record, now: SystemTime) -> Result<String> {
        match self.format {
            CookieFormat::Django => Ok(self.signer.sign_at(&record.data, self.compress, now)),
            CookieFormat::Expiring => {
                let mut payload = Vec::with_capacity(8 + record.data.len());
                payload.extend_from_slice(&unix_millis(record.expires_at).to_be_bytes());
                payload.extend_from_slice(&record.data);
                Ok(self.signer.sign_at(&payload, self.compress, now))
            }
            CookieFormat::Encrypted => self.encrypt(record, now),
        }
    }

    /// The data inside `token` if it is authentic and live at `now`.
    pub(crate) fn open(&self, token: &str, now: SystemTime) -> Result<Vec<u8>, Refused> {
        match self.format {
            CookieFormat::Django => {
                let verified = self
                    .signer
                    .verify_at(token, Some(self.max_age), now)
                    .map_err(Refused::Sign)?;
                if custom_expiry_passed(&verified.payload, verified.signed_at, now) {
                    return Err(Refused::Expired);
                }
                Ok(verified.payload)
            }
            CookieFormat::Expiring => {
                let mut payload = self
                    .signer
                    .unsign_at(token, Some(self.max_age), now)
                    .map_err(Refused::Sign)?;
                let Some((expires, _)) = payload.split_first_chunk::<8>() else {
                    return Err(Refused::Malformed("no expiry in the envelope"));
                };
                if from_millis(u64::from_be_bytes(*expires)) <= now {
                    return Err(Refused::Expired);
                }
                payload.drain(..8);
                Ok(payload)
            }
            CookieFormat::Encrypted => self.decrypt(token, now),
        }
    }

    fn encrypt(&self, record: &Record, now: SystemTime) -> Result<String> {
        let compressed = (self.compress
            && record.data.len() >= session_signing::COMPRESS_THRESHOLD)
            .then(|| session_signing::zlib::compress(&record.data));
        let (flags, body) = match &compressed {
            Some(z) if z.len() < record.data.len() => (FLAG_ZLIB, z.as_slice()),
            _ => (0, record.data.as_slice()),
        };
        let mut plaintext = Vec::with_capacity(HEADER_LEN + body.len());
        plaintext.push(flags);
        plaintext.extend_from_slice(&unix_seconds(now).to_be_bytes());
        plaintext.extend_from_slice(&unix_millis(record.expires_at).to_be_bytes());
        plaintext.extend_from_slice(body);

        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|e| Error::backend("cookie", e))?;
        let sealed = self.ciphers[0]
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &plaintext,
                    aad: &self.ad,
                },
            )
            .map_err(|_| Error::Serialize("XChaCha20-Poly1305 encryption failed".into()))?;
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(URL_SAFE_NO_PAD.encode(out))
    }

    fn decrypt(&self, token: &str, now: SystemTime) -> Result<Vec<u8>, Refused> {
        let raw = URL_SAFE_NO_PAD
            .decode(token)
            .map_err(|_| Refused::Malformed("not URL-safe base64"))?;
        let Some((nonce, sealed)) = raw.split_first_chunk::<NONCE_LEN>() else {
            return Err(Refused::Malformed("shorter than a nonce"));
        };
        let nonce = XNonce::from_slice(nonce);
        let plaintext = self
            .ciphers
            .iter()
            .find_map(|cipher| {
                let payload = Payload {
                    msg: sealed,
                    aad: &self.ad,
                };
                cipher.decrypt(nonce, payload).ok()
            })
            .ok_or(Refused::Decrypt)?;
        let Some((header, body)) = plaintext.split_first_chunk::<HEADER_LEN>() else {
            return Err(Refused::Malformed("no header"));
        };
        let flags = header[0];
        let signed_at = i64::from_be_bytes(header[1..9].try_into().expect("8 bytes"));
        let expires_ms = u64::from_be_bytes(header[9..17].try_into().expect("8 bytes"));
        let age = now
            .duration_since(from_unix_seconds(signed_at))
            .unwrap_or(Duration::ZERO);
        if age > self.max_age || from_millis(expires_ms) <= now {
            return Err(Refused::Expired);
        }
        match flags {
            0 => Ok(body.to_vec()),
            FLAG_ZLIB => {
                session_signing::zlib::decompress(body, MAX_PAYLOAD_LEN).map_err(Refused::Sign)
            }
            _ => Err(Refused::Malformed("unknown flags")),
        }
    }
}

/// Django format: whether JSON data carries a `_session_expiry` that has passed. Anything
/// that is not a JSON object with that key has no custom expiry.
fn custom_expiry_passed(payload: &[u8], signed_at: SystemTime, now: SystemTime) -> bool {
    #[derive(Deserialize)]
    struct Peek {
        // session_core::reserved::SESSION_EXPIRY
        #[serde(rename = "_session_expiry")]
        expiry: Option<serde_json::Value>,
    }
    if payload.first() != Some(&b'{') {
        return false;
    }
    let Ok(Peek {
        expiry: Some(value),
    }) = serde_json::from_slice::<Peek>(payload)
    else {
        return false;
    };
    match Expiry::from_value(Some(&value)) {
        // Inclusive, like Django's max_age rule: valid while now - signed_at <= idle.
        Expiry::Idle(idle) => now.duration_since(signed_at).unwrap_or(Duration::ZERO) > idle,
        Expiry::At(at) => at <= now,
        // Default and browser-close sessions live max_age, already checked by the signer.
        _ => false,
    }
}

/// Milliseconds since the epoch, 0 before it (an instant before 1970 is long expired).
fn unix_millis(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn from_millis(ms: u64) -> SystemTime {
    UNIX_EPOCH
        .checked_add(Duration::from_millis(ms))
        .unwrap_or(UNIX_EPOCH)
}
