//! Integration tests of session-cookie.

mod conformance;
mod django;
mod django_real;
mod encrypted;
mod expiry;
mod hostile;
mod size;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use session_cookie::{CookieFormat, CookieStore};
use session_core::Record;

#[path = "../../../session-signing/testdata/vectors.rs"]
mod django_vectors;

pub use django_vectors::{Negative, Vector, Vectors, vectors};

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
