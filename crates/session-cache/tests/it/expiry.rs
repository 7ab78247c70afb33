//! Expiries anywhere in the platform's range saturate at the expiry ceiling in every
//! layout: property tests of `_session_expiry` values through the manager (any `i64`, any
//! finite `f64`, dates in years 1–9999) and of record instants straight into the store.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};
use session_cache::{CacheConfig, CachedStore, MokaStore};
use session_core::MemoryStore;
use session_core::conformance::{check_record_expiry, check_session_expiry_value};
use session_core::{SessionManager, SessionStore};

/// Few cases per run: each is a save and a load or two.
const CASES: u32 = 32;

/// Seconds from the epoch: anything an `i64` holds, or near today.
fn seconds() -> impl Strategy<Value = i64> {
    prop_oneof![any::<i64>(), -4_000_000_000i64..8_000_000_000]
}

/// Any `_session_expiry` a view (or a Django site sharing the store) can write.
fn expiry_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        seconds().prop_map(|s| json!(s)),
        any::<f64>().prop_filter_map("not a JSON number", |f| {
            serde_json::Number::from_f64(f).map(Value::Number)
        }),
        (
            1i32..=9999,
            1u8..=12,
            1u8..=28,
            0u8..24,
            0u8..60,
            0u8..60,
            0u32..1_000_000
        )
            .prop_map(|(y, mo, d, h, mi, s, us)| {
                json!(format!(
                    "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{us:06}+00:00"
                ))
            }),
    ]
}

/// Any instant a `SystemTime` holds here (the epoch where it holds none).
fn instant() -> impl Strategy<Value = SystemTime> {
    seconds().prop_map(|s| {
        let d = Duration::from_secs(s.unsigned_abs());
        if s >= 0 {
            UNIX_EPOCH.checked_add(d)
        } else {
            UNIX_EPOCH.checked_sub(d)
        }
        .unwrap_or(UNIX_EPOCH)
    })
}

/// `CASES` expiry values through a manager over `store`, and `CASES` record instants
/// straight into it.
pub fn expiry_round_trips(store: impl SessionStore + 'static) {
    let store = Arc::new(store);
    let manager = SessionManager::new_sync(Arc::clone(&store));
    let config = Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config.clone());
    runner
        .run(&expiry_value(), |value| {
            check_session_expiry_value(&manager, &value);
            Ok(())
        })
        .unwrap();
    let mut runner = TestRunner::new(config);
    runner
        .run(&instant(), |t| {
            check_record_expiry(&*store, t);
            Ok(())
        })
        .unwrap();
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
