//! Expiries anywhere in the platform's range saturate at the expiry ceiling in every
//! layout: property tests of `_session_expiry` values through the manager (any `i64`, any
//! finite `f64`, dates in years 1–9999) and of record instants straight into the store.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use session_core::conformance::check_expiry_round_trips;
use session_core::expiry::max_expiry;
use session_core::{ClearExpired, Record, SessionStore};
use session_file::FileConfig;

use crate::conformance::TempStore;

/// Few cases per run: each is a save and a load or two.
const CASES: u32 = 32;

/// `CASES` expiry values through a manager over `store`, and `CASES` record instants
/// straight into it.
pub fn expiry_round_trips(store: impl SessionStore + 'static) {
    check_expiry_round_trips(store, CASES);
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
