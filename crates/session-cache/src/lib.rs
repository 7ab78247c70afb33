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

#[allow(deprecated)]
pub use cached::{CachedStore, DEFAULT_FILL_TTL, KeyedCache};
pub use config::{CacheConfig, Capacity, DEFAULT_MAX_ENTRIES, ENTRY_OVERHEAD};
#[cfg(feature = "redis")]
pub use config::{DEFAULT_REDIS_PREFIX, RedisConfig};
#[cfg(feature = "redis")]
pub use redis_store::RedisStore;
pub use store::MokaStore;

/// The moka store's name before the engines were named.
#[deprecated(note = "renamed to `MokaStore`")]
pub type CacheStore = MokaStore;
