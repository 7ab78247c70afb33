//! Expiries anywhere in the platform's range saturate at the expiry ceiling in every
//! layout: property tests of `_session_expiry` values through the manager (any `i64`, any
//! finite `f64`, dates in years 1–9999) and of record instants straight into the store.

use session_core::SessionStore;
use session_core::conformance::check_expiry_round_trips;
use session_db::{SqliteConfig, SqliteStore};

use crate::common::TempDb;

/// Few cases per run: each is a save and a load or two.
const CASES: u32 = 32;

/// `CASES` expiry values through a manager over `store`, and `CASES` record instants
/// straight into it.
pub fn expiry_round_trips(store: impl SessionStore + 'static) {
    check_expiry_round_trips(store, CASES);
}

#[test]
fn sqlite_native() {
    expiry_round_trips(SqliteStore::in_memory().unwrap());
}

#[test]
fn sqlite_native_file() {
    expiry_round_trips(TempDb::new(SqliteConfig::native()));
}

#[test]
fn sqlite_django() {
    expiry_round_trips(SqliteConfig::django().open_in_memory().unwrap());
}

#[cfg(feature = "postgres")]
#[cfg_attr(not(session_test_postgres), ignore = "needs SESSION_TEST_POSTGRES_URL")]
#[test]
fn postgres_native() {
    if let Some(db) = crate::postgres::temp_pg(session_db::PostgresConfig::native()) {
        expiry_round_trips(db);
    }
}

#[cfg(feature = "postgres")]
#[cfg_attr(not(session_test_postgres), ignore = "needs SESSION_TEST_POSTGRES_URL")]
#[test]
fn postgres_django() {
    if let Some(db) = crate::postgres::temp_pg(session_db::PostgresConfig::django()) {
        expiry_round_trips(db);
    }
}
