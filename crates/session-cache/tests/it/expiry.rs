//! Expiries anywhere in the platform's range saturate at the expiry ceiling in every
//! layout: property tests of `_session_expiry` values through the manager (any `i64`, any
//! finite `f64`, dates in years 1–9999) and of record instants straight into the store.

use session_cache::{CacheConfig, CachedStore, MokaStore};
use session_core::MemoryStore;
use session_core::SessionStore;
use session_core::conformance::check_expiry_round_trips;

/// Few cases per run: each is a save and a load or two.
const CASES: u32 = 32;

/// `CASES` expiry values through a manager over `store`, and `CASES` record instants
/// straight into it.
pub fn expiry_round_trips(store: impl SessionStore + 'static) {
    check_expiry_round_trips(store, CASES);
}

#[test]
fn moka_entries() {
    expiry_round_trips(MokaStore::new());
}

#[test]
fn moka_bytes() {
    expiry_round_trips(MokaStore::with_config(
        CacheConfig::new().with_max_bytes(64 << 20),
    ));
}

#[test]
fn cached_over_memory() {
    expiry_round_trips(CachedStore::new(MokaStore::new(), MemoryStore::new()));
}

#[cfg(feature = "redis")]
#[cfg_attr(not(session_test_redis), ignore = "needs SESSION_TEST_REDIS_URL")]
#[test]
fn redis() {
    if let Some(url) = crate::redis::url() {
        expiry_round_trips(crate::redis::TestRedis::new(&url));
    }
}

#[cfg(feature = "redis")]
#[cfg_attr(not(session_test_redis), ignore = "needs SESSION_TEST_REDIS_URL")]
#[test]
fn cached_redis_over_memory() {
    if let Some(url) = crate::redis::url() {
        expiry_round_trips(CachedStore::new(
            crate::redis::TestRedis::new(&url),
            MemoryStore::new(),
        ));
    }
}
