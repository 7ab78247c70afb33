//! Expiries anywhere in the platform's range saturate at the expiry ceiling in every
//! layout: property tests of `_session_expiry` values through the manager (any `i64`, any
//! finite `f64`, dates in years 1–9999) and of record instants straight into the store.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};
use session_core::conformance::{check_record_expiry, check_session_expiry_value};
use session_core::expiry::max_expiry;
use session_core::{ClearExpired, Record, SessionManager, SessionStore};
use session_file::FileConfig;

use crate::conformance::TempStore;

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
fn native() {
    expiry_round_trips(TempStore::new(FileConfig::default().with_fsync(false)));
}

#[test]
fn django_mode() {
    expiry_round_trips(TempStore::new(
        FileConfig::default()
            .with_fsync(false)
            .with_django(Duration::from_secs(1_209_600)),
    ));
}

/// Django mode with a cookie age too long to add to a file's mtime: every computation
/// saturates instead of panicking. (Every session then reads as live: Django's expiry,
/// mtime + `SESSION_COOKIE_AGE`, cannot be in the past with such an age.)
#[test]
fn django_mode_with_an_endless_cookie_age() {
    let store = TempStore::new(
        FileConfig::default()
            .with_fsync(false)
            .with_django(Duration::MAX),
    );
    let far = UNIX_EPOCH + Duration::from_secs(u64::MAX / 4);
    for t in [UNIX_EPOCH, SystemTime::now(), max_expiry(), far] {
        let record = Record::new(b"{}".to_vec(), t);
        let key = store.create(&record).unwrap();
        assert_eq!(store.load(&key).unwrap().as_deref(), Some(&b"{}"[..]));
        assert!(store.exists(&key).unwrap());
        store.save(&key, &record).unwrap();
    }
    assert_eq!(store.clear_expired().unwrap(), 0);
}
