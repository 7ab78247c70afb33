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
use sha2::{Digest, Sha256};

use session_core::reserved::SESSION_EXPIRY;
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

impl Refused {
    /// The reason as a metrics label: `forged` (a signature or ciphertext that no key
    /// accepts), `expired` or `malformed`.
    pub(crate) fn label(&self) -> &'static str {
        match self {
            Refused::Sign(SignError::BadSignature) | Refused::Decrypt => "forged",
            Refused::Sign(SignError::Expired { .. }) | Refused::Expired => "expired",
            Refused::Sign(_) | Refused::Malformed(_) => "malformed",
        }
    }
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
    /// `secrets` are the secret then each fallback; `signer` holds them, already checked
    /// (only its salt is set here).
    pub(crate) fn new(
        format: CookieFormat,
        signer: &Signer,
        secrets: &[&[u8]],
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
            secrets
                .iter()
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
            signer: signer.clone().with_salt(signer_salt),
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
    if payload.first() != Some(&b'{') {
        return false;
    }
    let value = match peek_expiry(payload) {
        Peek::Absent => return false,
        Peek::Raw(raw) => serde_json::from_slice::<serde_json::Value>(raw).ok(),
        Peek::Unsure => peek_expiry_slowly(payload),
    };
    let Some(value) = value else {
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

/// What a one-pass scan of a JSON object found under its top-level `_session_expiry` key.
#[derive(Debug, PartialEq)]
enum Peek<'a> {
    /// No such key at the top level.
    Absent,
    /// The JSON text of its value (the last one, if the key is repeated: as `json.loads`
    /// and serde_json keep).
    Raw(&'a [u8]),
    /// Something the scan does not handle (an escaped key, malformed text): ask serde_json.
    Unsure,
}

/// The top-level `_session_expiry` of a JSON object, found without building the map: the
/// session decodes the data anyway, so a cookie load parsed it twice. Skips values by
/// their structure (strings with escapes, nested brackets) without validating them; text
/// that is not JSON fails the session's own decode and loads empty whatever this says.
fn peek_expiry(json: &[u8]) -> Peek<'_> {
    const KEY: &[u8] = SESSION_EXPIRY.as_bytes();
    let ws = |mut i: usize| {
        while json.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        i
    };
    let mut i = ws(0);
    if json.get(i) != Some(&b'{') {
        return Peek::Unsure;
    }
    i = ws(i + 1);
    let mut found = None;
    if json.get(i) != Some(&b'}') {
        loop {
            if json.get(i) != Some(&b'"') {
                return Peek::Unsure;
            }
            let Some(len) = json[i + 1..].iter().position(|&b| b == b'"' || b == b'\\') else {
                return Peek::Unsure;
            };
            let key = &json[i + 1..i + 1 + len];
            i += len + 1;
            if json[i] != b'"' {
                return Peek::Unsure; // an escaped key: let serde_json unescape it
            }
            i = ws(i + 1);
            if json.get(i) != Some(&b':') {
                return Peek::Unsure;
            }
            let start = ws(i + 1);
            let Some(end) = skip_value(json, start) else {
                return Peek::Unsure;
            };
            if key == KEY {
                found = Some(start..end);
            }
            i = ws(end);
            match json.get(i) {
                Some(b',') => i = ws(i + 1),
                Some(b'}') => break,
                _ => return Peek::Unsure,
            }
        }
    }
    if ws(i + 1) != json.len() {
        return Peek::Unsure;
    }
    found.map_or(Peek::Absent, |range| Peek::Raw(&json[range]))
}

/// The end of the JSON value starting at `i`, by structure alone.
fn skip_value(json: &[u8], i: usize) -> Option<usize> {
    match *json.get(i)? {
        b'"' => skip_string(json, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            loop {
                match *json.get(j)? {
                    b'"' => {
                        j = skip_string(json, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
        }
        _ => {
            let len = json[i..]
                .iter()
                .position(|b| matches!(b, b',' | b'}' | b']') || b.is_ascii_whitespace())
                .unwrap_or(json.len() - i);
            (len > 0).then_some(i + len)
        }
    }
}

/// The end of the JSON string whose opening quote is at `i`.
fn skip_string(json: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    loop {
        match *json.get(j)? {
            b'"' => return Some(j + 1),
            b'\\' => j += 2,
            _ => j += 1,
        }
    }
}

/// The general path: serde_json reads the object as the session will (the last of
/// repeated keys wins).
fn peek_expiry_slowly(payload: &[u8]) -> Option<serde_json::Value> {
    serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(payload)
        .ok()?
        .remove(SESSION_EXPIRY)
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{Map, Value, json};

    /// What serde_json, reading the whole object, says the expiry is.
    fn by_serde(json: &[u8]) -> Option<Value> {
        peek_expiry_slowly(json)
    }

    fn by_scan(json: &[u8]) -> Option<Option<Value>> {
        match peek_expiry(json) {
            Peek::Absent => Some(None),
            Peek::Raw(raw) => Some(Some(serde_json::from_slice(raw).expect("a whole value"))),
            Peek::Unsure => None,
        }
    }

    #[test]
    fn finds_the_top_level_key_only() {
        let cases: &[(&str, Option<Value>)] = &[
            (r#"{}"#, None),
            (r#" { } "#, None),
            (r#"{"_session_expiry":300}"#, Some(json!(300))),
            (
                r#"{"a":{"_session_expiry":1},"b":["_session_expiry"]}"#,
                None,
            ),
            (
                r#"{"a":"x\"_session_expiry\":1","_session_expiry":"2030-01-01T00:00:00"}"#,
                Some(json!("2030-01-01T00:00:00")),
            ),
            (
                r#"{ "_session_expiry" : 1.5 , "z" : [ {}, [] ] }"#,
                Some(json!(1.5)),
            ),
            (
                r#"{"_session_expiry":1,"_session_expiry":null}"#,
                Some(Value::Null),
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(by_scan(text.as_bytes()), Some(expected.clone()), "{text}");
            assert_eq!(by_serde(text.as_bytes()), expected.clone(), "{text}");
        }
    }

    #[test]
    fn hands_what_it_does_not_handle_to_serde() {
        for text in [
            r#"{"\u005fsession_expiry":1}"#, // an escaped key
            r#"{"a":1"#,                     // cut short
            r#"{"a" 1}"#,
            r#"{"a":1} x"#,
            r#"["_session_expiry"]"#,
            r#"{"a":"unterminated}"#,
            r#"{"a":}"#,
        ] {
            assert_eq!(peek_expiry(text.as_bytes()), Peek::Unsure, "{text}");
        }
        let escaped = br#"{"\u005fsession_expiry":7}"#;
        assert_eq!(by_serde(escaped), Some(json!(7)));
    }

    fn value() -> impl Strategy<Value = Value> {
        let key = prop_oneof![
            Just("_session_expiry".to_owned()),
            Just("_auth_user_id".to_owned()),
            "[a-z_\"\\\\{}\\[\\],: ]{0,8}",
        ];
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            "[a-z\"\\\\{}\\[\\],:_ \u{e9}]{0,12}".prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 32, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
                prop::collection::vec((key.clone(), inner), 0..6)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
            ]
        })
    }

    proptest! {
        /// On every object serde_json writes (compact or pretty), the scan agrees with
        /// serde_json's own reading and never hands over.
        #[test]
        fn agrees_with_serde_json(
            members in prop::collection::vec((prop_oneof![Just("_session_expiry".to_owned()), "[a-z_]{1,6}"], value()), 0..8),
            pretty in any::<bool>(),
        ) {
            let object = Value::Object(members.into_iter().collect::<Map<_, _>>());
            let text = if pretty {
                serde_json::to_vec_pretty(&object).unwrap()
            } else {
                serde_json::to_vec(&object).unwrap()
            };
            prop_assert_eq!(by_scan(&text), Some(by_serde(&text)));
        }

        /// Garbage and cut-short JSON: never a panic, and never an answer where serde_json
        /// would refuse the text (then the session does not load at all).
        #[test]
        fn never_panics(bytes in prop::collection::vec(any::<u8>(), 0..64), object in value(), cut in any::<prop::sample::Index>()) {
            let _ = peek_expiry(&bytes);
            let text = serde_json::to_vec(&object).unwrap();
            let cut = &text[..cut.index(text.len() + 1)];
            let _ = peek_expiry(cut);
        }
    }
}
