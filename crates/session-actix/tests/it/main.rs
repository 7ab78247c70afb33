//! Integration tests of session-actix: Django's middleware checks over a real socket on
//! every store (PostgreSQL and Redis when their variables are set), and the extractor's
//! edges (no middleware, failing stores, the runtime under actix-web).

mod checks;
mod misc;
mod support;

use session_core::MemoryStore;
use support::Env;

/// A SQLite file in a fresh temporary directory (a file, not memory: its async face may
/// use tokio's blocking pool under actix-web's runtime).
fn sqlite() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let store = session_db::SqliteStore::open(dir.path().join("s.sqlite3")).unwrap();
    Env::with_guard(store, dir)
}

/// A file store in a fresh temporary directory (fsync off: tests need no durability).
fn file() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let config = session_file::FileConfig::default().with_fsync(false);
    let store = session_file::FileStore::with_config(dir.path(), config).unwrap();
    Env::with_guard(store, dir)
}

/// A PostgreSQL store in a schema of its own, dropped with the env.
fn postgres() -> Env {
    let url = std::env::var("SESSION_TEST_POSTGRES_URL").expect("SESSION_TEST_POSTGRES_URL");
    let schema = format!("session_actix_{}", &session_core::key::generate()[..16]);
    let store = session_db::PostgresConfig::native()
        .with_schema(&schema)
        .unwrap()
        .connect(&url)
        .expect("connect to PostgreSQL");
    Env::with_guard(store, misc::DropSchema { url, schema })
}

/// A Redis store under a key prefix of its own.
fn redis() -> Env {
    let url = std::env::var("SESSION_TEST_REDIS_URL").expect("SESSION_TEST_REDIS_URL");
    let prefix = format!(
        "session-actix-test:{}:",
        &session_core::key::generate()[..12]
    );
    let config = session_cache::RedisConfig::new(&url).with_key_prefix(&prefix);
    Env::new(session_cache::RedisStore::with_config(config).expect("connect to Redis"))
}

middleware_tests!(memory, Env::new(MemoryStore::new()));
middleware_tests!(sqlite, crate::sqlite());
middleware_tests!(file, crate::file());
middleware_tests!(moka, Env::new(session_cache::MokaStore::new()));
middleware_tests!(
    #[cfg_attr(not(session_test_postgres), ignore = "needs SESSION_TEST_POSTGRES_URL")]
    postgres,
    crate::postgres()
);
middleware_tests!(
    #[cfg_attr(not(session_test_redis), ignore = "needs SESSION_TEST_REDIS_URL")]
    redis,
    crate::redis()
);
