//! tower-sessions over its SQLite stores, one request at a time through an axum `Router`
//! in-process (`oneshot` on a current-thread runtime), as the root workspace's `tower`
//! bench drives `tower/db-file` and `tower/peer-tower-sessions-memory`: the same handler,
//! a cookie per request over 64 sessions, a SQLite file in a temp dir holding as many
//! live sessions as the `db-file` store there (10,000; 1,000 in the smoke run).
//!
//! Ids `tower/peer-tower-sessions-sqlx` and `tower/peer-tower-sessions-rusqlite`, written
//! into the root workspace's `target/criterion` (or `$CARGO_TARGET_DIR/criterion`, or
//! `$CRITERION_HOME`), where `report` sets them against `tower/db-file`.
//!
//! `cargo bench --manifest-path benches/peers/Cargo.toml`

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use axum::body::Body;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use http::{Request, header};
use session_benches_peers::{Peer, seed};
use tower::ServiceExt;

/// Whether this is the smoke run, as `session_benches::RunMode` decides it.
fn smoke() -> bool {
    std::env::var("SESSION_BENCH_SMOKE").is_ok_and(|v| v == "1")
        || std::env::args().any(|a| a == "--quick" || a == "--test")
}

/// The root workspace's settings (`session_benches::RunMode::criterion`), writing where
/// its `report` reads.
fn config() -> Criterion {
    let (warm_up, measure, samples) = if smoke() {
        (Duration::from_millis(50), Duration::from_millis(200), 10)
    } else {
        (Duration::from_millis(500), Duration::from_millis(1500), 30)
    };
    let c = Criterion::default()
        .warm_up_time(warm_up)
        .measurement_time(measure)
        .sample_size(samples);
    if std::env::var_os("CRITERION_HOME").is_some() {
        return c;
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"),
        PathBuf::from,
    );
    c.output_directory(&target.join("criterion"))
}

fn peers(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let live = if smoke() { 1_000 } else { 10_000 };
    let dir = tempfile::tempdir().expect("tempdir");
    let mut group = c.benchmark_group("tower");
    group.throughput(Throughput::Elements(1));
    for peer in Peer::ALL {
        let path = dir.path().join(format!("{}.sqlite3", peer.name()));
        let app = rt.block_on(peer.router(&path));
        // the first 64 are the sessions requested; the rest fill the table
        let cookies = rt.block_on(seed(&app, live));
        let cookies = &cookies[..64];
        let mut i = 0usize;
        group.bench_function(peer.id(), |b| {
            b.iter(|| {
                i = i.wrapping_add(1);
                let req = Request::builder()
                    .uri("/")
                    .header(header::COOKIE, &cookies[i % cookies.len()])
                    .body(Body::empty())
                    .unwrap();
                let res = rt.block_on(app.clone().oneshot(req)).unwrap();
                assert!(res.status().is_success());
                black_box(res)
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = peers
}
criterion_main!(benches);
