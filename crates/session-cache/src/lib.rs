#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod cached;
mod config;
mod store;

pub use cached::{CachedStore, DEFAULT_FILL_TTL, KeyedCache};
pub use config::{CacheConfig, Capacity, DEFAULT_MAX_ENTRIES, ENTRY_OVERHEAD};
pub use store::CacheStore;
