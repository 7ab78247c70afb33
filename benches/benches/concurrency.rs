//! Many sessions at once through the layer, on the network engines: 64 client tasks, each
//! with its own session, send requests back to back through an axum `Router` (in-process,
//! `oneshot`) on a two-worker runtime for the run's length. `GET /` reads the session's
//! counter and saves it back.
//!
//! Each engine runs as the layer drives it by default, through its async face (`postgres`,
//! `redis`), and through its sync face in one blocking-pool hop per operation
//! (`…-hop`: the model the async engines replace, a thread parked for each waiting request).
//! The table gives requests per second, p50 and p99 latency, and the most threads the
//! process ran above its count before the row. PostgreSQL is plaintext on loopback (see
//! `session_benches::plaintext`). Rows run when `SESSION_TEST_POSTGRES_URL` /
//! `SESSION_TEST_REDIS_URL` are set.
//!
//! `cargo bench -p session-benches --bench concurrency`; it prints a Markdown table and writes
//! it to `target/criterion/concurrency.md`, which `report` includes.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use session_benches::{
    PG_TABLE, POSTGRES_URL_VAR, REDIS_PREFIX, REDIS_URL_VAR, RunMode, drive, plaintext,
    publish_table, seed_cookies, visit,
};
use session_cache::{RedisConfig, RedisStore};
use session_core::SessionManager;
use session_db::PostgresConfig;
use session_tower::SessionLayer;

const CLIENTS: usize = 64;

struct Row {
    name: String,
    per_second: f64,
    p50: Duration,
    p99: Duration,
    threads: usize,
    errors: usize,
}

/// The process's thread count (Linux; 0 elsewhere).
fn threads() -> usize {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Threads:"))
                .and_then(|n| n.trim().parse().ok())
        })
        .unwrap_or(0)
}

/// `CLIENTS` tasks through `manager`'s layer for `length`, on a runtime of the row's own
/// (dropped after it, with its blocking threads).
fn row(name: &str, length: Duration, manager: impl FnOnce() -> SessionManager) -> Row {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let manager = runtime.block_on(async { manager() });
    let cookies = seed_cookies(&manager);
    let app = Router::new()
        .route("/", get(visit))
        .layer(SessionLayer::new(manager));
    let before = threads();
    let done = Arc::new(AtomicBool::new(false));
    let sampler = std::thread::spawn({
        let done = done.clone();
        move || {
            let mut most = 0;
            while !done.load(Ordering::Relaxed) {
                most = most.max(threads());
                std::thread::sleep(Duration::from_millis(5));
            }
            most
        }
    });
    let stop = Arc::new(AtomicBool::new(false));
    // (a timer task, not a thread: the thread count is part of the result)
    runtime.spawn({
        let stop = stop.clone();
        async move {
            tokio::time::sleep(length).await;
            stop.store(true, Ordering::Relaxed);
        }
    });
    let cookies = &cookies[..CLIENTS.min(cookies.len())];
    let driven = runtime.block_on(drive(app, cookies, stop));
    done.store(true, Ordering::Relaxed);
    let most = sampler.join().expect("sampler");
    drop(runtime);
    Row {
        name: name.to_owned(),
        per_second: driven.per_second,
        p50: driven.at(0.5),
        p99: driven.at(0.99),
        threads: most.saturating_sub(before),
        errors: driven.errors,
    }
}

fn main() {
    let length = match RunMode::from_env() {
        RunMode::Smoke => Duration::from_millis(300),
        RunMode::Standard => Duration::from_secs(3),
        RunMode::Full => Duration::from_secs(10),
    };
    let mut rows = Vec::new();
    if let Ok(url) = std::env::var(POSTGRES_URL_VAR) {
        let store = || {
            PostgresConfig::native()
                .with_table(PG_TABLE)
                .expect("table name")
                .connect(&plaintext(&url))
                .expect("connect to PostgreSQL")
        };
        rows.push(row("postgres", length, || SessionManager::new(store())));
        rows.push(row("postgres-hop", length, || {
            SessionManager::new_sync(store())
        }));
    } else {
        println!("skipped postgres: set {POSTGRES_URL_VAR}");
    }
    if let Ok(url) = std::env::var(REDIS_URL_VAR) {
        let store = || {
            RedisStore::with_config(RedisConfig::new(&url).with_key_prefix(REDIS_PREFIX))
                .expect("a Redis URL")
        };
        rows.push(row("redis", length, || SessionManager::new(store())));
        rows.push(row("redis-hop", length, || {
            SessionManager::new_sync(store())
        }));
    } else {
        println!("skipped redis: set {REDIS_URL_VAR}");
    }
    if rows.is_empty() {
        return;
    }
    let ms = |d: Duration| format!("{:.3} ms", d.as_secs_f64() * 1e3);
    let mut out = format!(
        "\n## {CLIENTS} sessions at once through the layer (two workers, in-process)\n\n\
         | store | req/s | p50 | p99 | threads above baseline (peak) | errors |\n\
         |---|---|---|---|---|---|\n"
    );
    for row in &rows {
        out.push_str(&format!(
            "| {} | {:.0} | {} | {} | {} | {} |\n",
            row.name,
            row.per_second,
            ms(row.p50),
            ms(row.p99),
            row.threads,
            row.errors
        ));
    }
    for engine in ["postgres", "redis"] {
        let find = |name: String| rows.iter().find(|r| r.name == name);
        if let (Some(native), Some(hop)) = (find(engine.to_owned()), find(format!("{engine}-hop")))
        {
            out.push_str(&format!(
                "\n`{engine}`: {:.2}× the throughput of `{engine}-hop`, p99 {:.2}× its p99, \
                 {} threads at most against {}.\n",
                native.per_second / hop.per_second,
                native.p99.as_secs_f64() / hop.p99.as_secs_f64(),
                native.threads,
                hop.threads
            ));
        }
    }
    publish_table("concurrency.md", &out);
    assert!(rows.iter().all(|r| r.errors == 0), "a request failed");
}
