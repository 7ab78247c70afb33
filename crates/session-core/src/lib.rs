#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod async_store;
mod config;
mod data;
mod error;
pub mod expiry;
pub mod headers;
pub mod key;
mod manager;
pub mod reserved;
mod response;
mod serializer;
mod session;
pub mod step;
mod store;
pub mod telemetry;

#[cfg(feature = "conformance")]
pub mod conformance;

pub use async_store::{AsyncClearExpired, AsyncSessionStore, BoxFuture, DynAsyncStore};
pub use config::{SameSite, SessionConfig};
pub use data::SessionData;
pub use error::{BoxError, Error, Result};
pub use expiry::Expiry;
pub use manager::{MAX_COOKIE_VALUE_LEN, SessionManager};
pub use response::{CookieAction, ResponsePlan, http_date};
pub use serializer::{DjangoJson, Json, MAX_JSON_DEPTH, MessagePack, Serializer};
pub use session::{Reserved, Session, TEST_COOKIE_NAME, TEST_COOKIE_VALUE};
pub use step::{Outcome, StoreOp};
pub use store::{CREATE_ATTEMPTS, ClearExpired, MemoryStore, Record, SessionStore};

/// The first 8 characters of a session key, for logs: enough to correlate, useless as a
/// credential.
///
/// ```
/// assert_eq!(session_core::key_prefix("abcdefghijklmnop"), "abcdefgh…");
/// assert_eq!(session_core::key_prefix("abc"), "abc");
/// ```
pub fn key_prefix(key: &str) -> String {
    let (head, cut) = split_prefix(key);
    let mut prefix = String::with_capacity(head.len() + '…'.len_utf8());
    prefix.push_str(head);
    if cut {
        prefix.push('…');
    }
    prefix
}

/// The first 8 characters of `key`, and whether anything was cut after them.
fn split_prefix(key: &str) -> (&str, bool) {
    match key.char_indices().nth(8) {
        Some((i, _)) => (&key[..i], true),
        None => (key, false),
    }
}

/// [`key_prefix`] as a `Display` value: nothing is allocated unless it is written (a
/// tracing span nobody records never formats it).
pub(crate) struct KeyPrefix<'a>(pub(crate) &'a str);

impl std::fmt::Display for KeyPrefix<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (head, cut) = split_prefix(self.0);
        f.write_str(head)?;
        if cut { f.write_str("…") } else { Ok(()) }
    }
}
