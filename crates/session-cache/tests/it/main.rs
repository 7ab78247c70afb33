//! Integration tests of session-cache: one binary, one module per store.

mod cache;
mod cached;
mod doubles;
mod expiry;
#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "redis")]
mod redis_cluster;
#[cfg(feature = "redis")]
mod redis_faults;
#[cfg(feature = "redis")]
mod redis_server;
