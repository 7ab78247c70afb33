#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod cached;
mod config;
mod locks;
#[cfg(feature = "redis")]
mod redis_store;
mod runtime;
mod store;

/// The `redis` crate this one is built on, for the client or connection you hand a
/// [`RedisStore`] (the same version, so the types match).
///
/// ```
/// let client = session_cache::redis::Client::open("redis://127.0.0.1:6379/").unwrap();
/// let store = session_cache::RedisStore::new(client);
/// # drop(store);
/// ```
#[cfg(feature = "redis")]
pub use ::redis;
#[allow(deprecated)]
pub use cached::{CachedStore, DEFAULT_FILL_TTL, KeyedCache};
pub use config::{CacheConfig, Capacity, DEFAULT_MAX_ENTRIES, ENTRY_OVERHEAD};
#[cfg(feature = "redis")]
pub use redis_store::{DEFAULT_REDIS_PREFIX, RedisConfig, RedisConnection, RedisStore};
pub use store::MokaStore;

/// The moka store's name before the engines were named.
#[deprecated(note = "renamed to `MokaStore`")]
pub type CacheStore = MokaStore;
