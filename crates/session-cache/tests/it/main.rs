//! Integration tests of session-cache: one binary, one module per store.

mod cache;
mod cached;
mod doubles;
mod expiry;
#[cfg(feature = "redis")]
mod redis;
