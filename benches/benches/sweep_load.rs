//! What a sweep costs the requests running beside it: a SQLite session file with many
//! expired sessions and 64 live ones; 8 client tasks send requests back to back through
//! the layer (`GET /` reads the session's counter and saves it back) on a two-worker
//! runtime, first alone, then while `clear_expired` runs on a thread of its own. The table
//! gives requests per second and p50 / p99 / max latency in both phases, and the sweep's
//! length.
//!
//! `cargo bench -p session-benches --bench sweep_load`; it prints a Markdown table and
//! writes it to `target/criterion/sweep_load.md`, which `report` includes.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use session_benches::{RunMode, drive, publish_table, seed_cookies, visit};
use session_core::{ClearExpired, SessionManager};
use session_db::SqliteStore;
use session_tower::SessionLayer;

const CLIENTS: usize = 8;

fn main() {
    let expired = match RunMode::from_env() {
        RunMode::Smoke => 2_000,
        RunMode::Standard => 100_000,
        RunMode::Full => 1_000_000,
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("sessions.sqlite3");
    let store = SqliteStore::open(&path).expect("open");
    {
        let raw = rusqlite::Connection::open(&path).expect("open raw");
        raw.execute_batch(&format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {expired}) \
             INSERT INTO sessions (key_hash, data, expires_at) \
             SELECT randomblob(32), randomblob(200), 1000000000000 + i FROM n; \
             PRAGMA wal_checkpoint(TRUNCATE);"
        ))
        .expect("fill");
    }
    let manager = SessionManager::new(store.clone());
    let cookies = seed_cookies(&manager);
    let app = Router::new()
        .route("/", get(visit))
        .layer(SessionLayer::new(manager));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");

    // Alone, as long as the sweep will take (at least a second).
    let stop = Arc::new(AtomicBool::new(false));
    let quiet = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(1));
            stop.store(true, Ordering::Relaxed);
        })
    };
    let alone = runtime.block_on(drive(app.clone(), &cookies[..CLIENTS], stop));
    quiet.join().expect("timer");

    // Beside a sweep.
    let stop = Arc::new(AtomicBool::new(false));
    let sweeper = {
        let (stop, store) = (stop.clone(), store.clone());
        std::thread::spawn(move || {
            // let the clients start first
            std::thread::sleep(Duration::from_millis(50));
            let started = Instant::now();
            let cleared = store.clear_expired().expect("sweep");
            let took = started.elapsed();
            std::thread::sleep(Duration::from_millis(50));
            stop.store(true, Ordering::Relaxed);
            (cleared, took)
        })
    };
    let beside = runtime.block_on(drive(app, &cookies[..CLIENTS], stop));
    let (cleared, sweep) = sweeper.join().expect("sweeper");
    assert_eq!(cleared, expired as u64);

    assert_eq!(alone.errors + beside.errors, 0, "a request failed");
    let ms = |d: Duration| format!("{:.3} ms", d.as_secs_f64() * 1e3);
    let mut out = format!(
        "\n## Requests beside a sweep (SQLite file, {CLIENTS} clients, two workers, {expired} \
         expired sessions swept in {})\n\n\
         | phase | req/s | p50 | p99 | max |\n|---|---|---|---|---|\n",
        ms(sweep)
    );
    for (phase, driven) in [("alone", &alone), ("beside the sweep", &beside)] {
        out.push_str(&format!(
            "| {phase} | {:.0} | {} | {} | {} |\n",
            driven.per_second,
            ms(driven.at(0.5)),
            ms(driven.at(0.99)),
            ms(driven.at(1.0))
        ));
    }
    publish_table("sweep_load.md", &out);
}
