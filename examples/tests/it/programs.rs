//! Examples whose `main` checks what the book says: run each one.

#[allow(dead_code)]
#[path = "../../examples/concepts.rs"]
mod concepts;

#[allow(dead_code)]
#[path = "../../examples/serializers.rs"]
mod serializers;

#[allow(dead_code)]
#[path = "../../examples/backend_sqlite.rs"]
mod backend_sqlite;

#[allow(dead_code)]
#[path = "../../examples/backend_moka.rs"]
mod backend_moka;

#[allow(dead_code)]
#[path = "../../examples/backend_cached_db.rs"]
mod backend_cached_db;

#[allow(dead_code)]
#[path = "../../examples/backend_file.rs"]
mod backend_file;

#[allow(dead_code)]
#[path = "../../examples/backend_cookie.rs"]
mod backend_cookie;

#[allow(dead_code)]
#[path = "../../examples/security.rs"]
mod security;

#[allow(dead_code)]
#[path = "../../examples/no_framework.rs"]
mod no_framework;

#[allow(dead_code)]
#[path = "../../examples/from_tower_sessions.rs"]
mod from_tower_sessions;

#[allow(dead_code)]
#[path = "../../examples/backend_postgres.rs"]
mod backend_postgres;

#[allow(dead_code)]
#[path = "../../examples/backend_redis.rs"]
mod backend_redis;

#[allow(dead_code)]
#[path = "../../examples/operations.rs"]
mod operations;

#[allow(dead_code)]
#[path = "../../examples/server.rs"]
mod server;

#[allow(dead_code)]
#[path = "../../examples/rolling_expiry.rs"]
mod rolling_expiry;

#[allow(dead_code)]
#[path = "../../examples/metrics.rs"]
mod metrics_example;

#[test]
fn concepts() {
    concepts::main().unwrap();
}

#[test]
fn serializers() {
    serializers::main().unwrap();
}

#[test]
fn backend_sqlite() {
    backend_sqlite::main().unwrap();
}

#[test]
fn backend_moka() {
    backend_moka::main().unwrap();
}

#[test]
fn backend_cached_db() {
    backend_cached_db::main().unwrap();
}

#[test]
fn backend_file() {
    backend_file::main().unwrap();
}

#[test]
fn backend_cookie() {
    backend_cookie::main().unwrap();
}

#[test]
fn security() {
    security::main().unwrap();
}

#[test]
fn no_framework() {
    no_framework::main();
}

#[test]
fn from_tower_sessions() {
    from_tower_sessions::main();
}

#[cfg_attr(not(session_test_postgres), ignore = "needs SESSION_TEST_POSTGRES_URL")]
#[test]
fn backend_postgres() {
    let Ok(url) = std::env::var("SESSION_TEST_POSTGRES_URL") else {
        println!("skipped: set SESSION_TEST_POSTGRES_URL to run");
        return;
    };
    backend_postgres::run(&url).unwrap();
}

#[cfg_attr(not(session_test_redis), ignore = "needs SESSION_TEST_REDIS_URL")]
#[test]
fn backend_redis() {
    let Ok(url) = std::env::var("SESSION_TEST_REDIS_URL") else {
        println!("skipped: set SESSION_TEST_REDIS_URL to run");
        return;
    };
    backend_redis::run(&url).unwrap();
}

#[test]
fn operations() {
    operations::main().unwrap();
}

#[test]
fn server() {
    server::main().unwrap();
}

#[test]
fn rolling_expiry() {
    rolling_expiry::main().unwrap();
}

#[test]
fn metrics() {
    // Other tests of this binary may install a global recorder (the demo's site does): the
    // chapter's program runs against one of its own, local to this thread, where its
    // single-threaded runtime performs every store operation.
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    let samples =
        metrics::with_local_recorder(&recorder, || metrics_example::scrape(handle)).unwrap();
    for expected in [
        r#"session_creates_total{backend="MemoryStore",outcome="ok"} 1"#,
        r#"session_store_op_seconds_count{backend="MemoryStore",op="create"} 1"#,
    ] {
        assert!(
            samples.iter().any(|s| s == expected),
            "{expected} not in {samples:#?}"
        );
    }
}
