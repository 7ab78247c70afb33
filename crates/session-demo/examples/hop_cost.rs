//! What a trip to tokio's blocking pool costs, against the store work it wraps.
//!
//! `cargo run --release -p session-demo --example hop_cost` prints, on this machine:
//! a bare `spawn_blocking` round trip, a raw SQLite save, and one request through
//! `SessionLayer` (load + save: two hops when not inline) for MemoryStore and SQLite, with
//! store I/O inline and on the blocking pool. Numbers only: nothing here asserts on time.

use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use axum::routing::post;
use session_core::{MemoryStore, Record, SessionManager, SessionStore};
use session_db::SqliteStore;
use session_tower::{Session, SessionLayer};
use tower::ServiceExt;

const ROUNDS: u32 = 20_000;

fn per_op(total: Duration, n: u32) -> f64 {
    total.as_secs_f64() * 1e6 / f64::from(n)
}

async fn requests(manager: SessionManager, inline: bool) -> f64 {
    let mut seed = manager.session(None);
    seed.insert("n", 0).unwrap();
    seed.save().unwrap();
    let cookie = format!("sessionid={}", seed.key().unwrap());
    let app: Router = Router::new()
        .route(
            "/",
            post(|s: Session| async move {
                let n = s.get::<u64>("n").await.unwrap().unwrap_or(0);
                s.insert("n", n + 1).await.unwrap();
                "ok"
            }),
        )
        .layer(SessionLayer::new(manager).inline(inline));
    let send = || {
        let request = Request::post("/")
            .header("cookie", &cookie)
            .body(Body::empty())
            .unwrap();
        app.clone().oneshot(request)
    };
    for _ in 0..1_000 {
        send().await.unwrap();
    }
    let start = Instant::now();
    for _ in 0..ROUNDS {
        let response = send().await.unwrap();
        assert!(response.headers().contains_key("set-cookie"));
    }
    per_op(start.elapsed(), ROUNDS)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    for _ in 0..1_000 {
        tokio::task::spawn_blocking(|| ()).await?;
    }
    let start = Instant::now();
    for _ in 0..ROUNDS * 2 {
        tokio::task::spawn_blocking(|| ()).await?;
    }
    let hop = per_op(start.elapsed(), ROUNDS * 2);
    println!("spawn_blocking round trip (no-op):        {hop:7.1} µs");

    let dir = tempfile::tempdir()?;
    let db = SqliteStore::open(dir.path().join("hop.sqlite3"))?;
    let expires = SystemTime::now() + Duration::from_secs(3600);
    let key = db.create(&Record::new(b"{\"n\":1}".to_vec(), expires))?;
    let start = Instant::now();
    for i in 0..ROUNDS {
        db.save(
            &key,
            &Record::new(format!("{{\"n\":{i}}}").into_bytes(), expires),
        )?;
    }
    println!(
        "SQLite save (raw, WAL):                   {:7.1} µs",
        per_op(start.elapsed(), ROUNDS)
    );
    let start = Instant::now();
    for _ in 0..ROUNDS {
        db.load(&key)?;
    }
    println!(
        "SQLite load (raw):                        {:7.1} µs",
        per_op(start.elapsed(), ROUNDS)
    );

    let memory = SessionManager::new(MemoryStore::new());
    let a = requests(memory.clone(), true).await;
    let b = requests(memory, false).await;
    println!("request, MemoryStore, inline:             {a:7.1} µs");
    println!(
        "request, MemoryStore, blocking pool:      {b:7.1} µs   (+{:.1} µs per hop)",
        (b - a) / 2.0
    );
    let sqlite = SessionManager::new(db);
    let a = requests(sqlite.clone(), true).await;
    let b = requests(sqlite, false).await;
    println!("request, SQLite, inline (opt-in):         {a:7.1} µs");
    println!(
        "request, SQLite, blocking pool (default): {b:7.1} µs   (+{:.1} µs per hop)",
        (b - a) / 2.0
    );
    Ok(())
}
