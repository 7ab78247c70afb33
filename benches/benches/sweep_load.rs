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
use axum::body::Body;
use axum::routing::get;
use http::{Request, header};
use session_benches::{RunMode, publish_table, seed_cookies, visit};
use session_core::{ClearExpired, SessionManager};
use session_db::SqliteStore;
use session_tower::SessionLayer;
use tower::ServiceExt;

const CLIENTS: usize = 8;

/// Latencies of requests sent by `CLIENTS` tasks until `stop` is set.
async fn load(app: Router, cookies: &[String], stop: Arc<AtomicBool>) -> (Vec<Duration>, f64) {
    let started = Instant::now();
    let tasks: Vec<_> = cookies
        .iter()
        .take(CLIENTS)
        .cloned()
        .map(|cookie| {
            let (app, stop) = (app.clone(), stop.clone());
            tokio::spawn(async move {
                let mut took = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let req = Request::builder()
                        .uri("/")
                        .header(header::COOKIE, &cookie)
                        .body(Body::empty())
                        .expect("request");
                    let sent = Instant::now();
                    let res = app.clone().oneshot(req).await.expect("infallible");
                    assert!(res.status().is_success(), "{}", res.status());
                    took.push(sent.elapsed());
                }
                took
            })
        })
        .collect();
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.expect("client"));
    }
    let rate = all.len() as f64 / started.elapsed().as_secs_f64();
    all.sort_unstable();
    (all, rate)
}

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
    let (alone, alone_rate) = runtime.block_on(load(app.clone(), &cookies, stop));
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
    let (beside, beside_rate) = runtime.block_on(load(app, &cookies, stop));
    let (cleared, sweep) = sweeper.join().expect("sweeper");
    assert_eq!(cleared, expired as u64);

    let at = |v: &[Duration], q: f64| v[((v.len() - 1) as f64 * q) as usize];
    let ms = |d: Duration| format!("{:.3} ms", d.as_secs_f64() * 1e3);
    let mut out = format!(
        "\n## Requests beside a sweep (SQLite file, {CLIENTS} clients, two workers, {expired} \
         expired sessions swept in {})\n\n\
         | phase | req/s | p50 | p99 | max |\n|---|---|---|---|---|\n",
        ms(sweep)
    );
    for (phase, took, rate) in [
        ("alone", &alone, alone_rate),
        ("beside the sweep", &beside, beside_rate),
    ] {
        out.push_str(&format!(
            "| {phase} | {rate:.0} | {} | {} | {} |\n",
            ms(at(took, 0.5)),
            ms(at(took, 0.99)),
            ms(at(took, 1.0))
        ));
    }
    publish_table("sweep_load.md", &out);
}
