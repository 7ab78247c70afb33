//! `PostgresStore` on async executor threads: the sync driver cannot block there, so every
//! operation fails with a clear error instead of the driver's panic, while the blocking
//! pool and plain threads work as before.

use session_core::{Error, SessionStore};
use session_db::PostgresConfig;

use crate::common::{chain, live};
use crate::postgres::{TempPg, temp_pg};

/// The operation was refused with an error that says what to do.
fn assert_refused<T: std::fmt::Debug>(result: session_core::Result<T>) {
    let err = result.expect_err("a blocking PostgreSQL call on an executor thread succeeded");
    assert!(
        matches!(
            err,
            Error::Backend {
                backend: "postgres",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(chain(&err).contains("spawn_blocking"), "{}", chain(&err));
}

/// Every operation of `db`, from where the caller runs it.
fn every_operation(db: &TempPg, key: &str) -> Vec<session_core::Result<()>> {
    vec![
        db.store.load(key).map(drop),
        db.store.exists(key).map(drop),
        db.store.create(&live(b"{}")).map(drop),
        db.store.save(key, &live(b"{}")).map(drop),
        db.store.delete(key),
    ]
}

#[cfg_attr(not(session_test_postgres), ignore = "needs SESSION_TEST_POSTGRES_URL")]
#[test]
fn refused_inside_a_current_thread_runtime() {
    let Some(db) = temp_pg(PostgresConfig::native()) else {
        return;
    };
    let key = db.store.create(&live(b"{}")).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let results = runtime.block_on(async { every_operation(&db, &key) });
    results.into_iter().for_each(assert_refused);
    // the blocking pool of the same runtime is fine
    let loaded = runtime.block_on(async {
        let store = db.store.clone();
        let key = key.clone();
        tokio::task::spawn_blocking(move || store.load(&key))
            .await
            .unwrap()
    });
    assert_eq!(loaded.unwrap().as_deref(), Some(&b"{}"[..]));
}

#[cfg_attr(not(session_test_postgres), ignore = "needs SESSION_TEST_POSTGRES_URL")]
#[test]
fn refused_on_multi_thread_workers_and_in_block_on() {
    let Some(db) = temp_pg(PostgresConfig::native()) else {
        return;
    };
    let key = db.store.create(&live(b"{}")).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let db = std::sync::Arc::new(db);
    // the body of `#[tokio::main]`
    let results = runtime.block_on(async { every_operation(&db, &key) });
    results.into_iter().for_each(assert_refused);
    // a spawned task, on a worker thread
    let results = runtime.block_on({
        let db = db.clone();
        let key = key.clone();
        async move {
            tokio::spawn(async move { every_operation(&db, &key) })
                .await
                .unwrap()
        }
    });
    results.into_iter().for_each(assert_refused);
    // the blocking pool and a plain thread are fine
    let created = runtime.block_on({
        let db = db.clone();
        async move {
            tokio::task::spawn_blocking(move || db.store.create(&live(b"{}")))
                .await
                .unwrap()
        }
    });
    assert!(db.store.exists(&created.unwrap()).unwrap());
    let loaded = std::thread::scope(|s| s.spawn(|| db.store.load(&key)).join().unwrap());
    assert_eq!(loaded.unwrap().as_deref(), Some(&b"{}"[..]));
}
