//! Integration tests of session-cookie.

mod conformance;
mod django;
mod django_real;
mod encrypted;
mod expiry;
mod hostile;
mod size;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Deserialize;
pub use session_cookie::{CookieFormat, CookieStore};
use session_core::Record;

/// The Django vectors (session-signing's testdata: made by real Django 6.1.3, time pinned).
#[derive(Debug, Deserialize)]
pub struct Vectors {
    pub secret_key: String,
    pub secret_key_fallbacks: Vec<String>,
    pub time: u64,
    pub session_cookie_age: u64,
    pub vectors: Vec<Vector>,
    pub negative: Vec<Negative>,
}

/// One session Django encoded.
#[derive(Debug, Deserialize)]
pub struct Vector {
    pub data: serde_json::Map<String, serde_json::Value>,
    pub json: String,
    pub cookie: String,
    pub db_session_data: String,
    pub cookie_signed_with_fallback: String,
    pub compressed: bool,
}

/// A cookie Django refuses.
#[derive(Debug, Deserialize)]
pub struct Negative {
    pub label: String,
    pub cookie: String,
}

pub fn vectors() -> Vectors {
    let text = include_str!("../../../session-signing/testdata/django_vectors.json");
    serde_json::from_str(text).expect("django_vectors.json parses")
}

impl Vectors {
    pub fn time(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.time)
    }
    pub fn age(&self) -> Duration {
        Duration::from_secs(self.session_cookie_age)
    }
}

/// The pinned time of the vectors.
pub fn t0() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

pub fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// A record of `data` expiring `ttl` after `t0()`.
pub fn record(data: &[u8], ttl: Duration) -> Record {
    Record::new(data.to_vec(), t0() + ttl)
}

pub const FORMATS: [CookieFormat; 3] = [
    CookieFormat::Django,
    CookieFormat::Expiring,
    CookieFormat::Encrypted,
];
