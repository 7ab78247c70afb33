//! The session-tower middleware: requests through an axum `Router` in-process
//! (`oneshot`), with and without the session layer, over inline and blocking stores.
//!
//! `memory` vs `memory-blocking` is the same store with and without the hop to tokio's
//! blocking pool (`SessionLayer::inline(false)`): the difference is the hop's cost.
//!
//! Each backend runs as the layer drives it by default, through the store's async face
//! (`SessionManager::new`); `db-file-hop` (and `postgres-hop`, `redis-hop`) is the store
//! through its sync face in one blocking-pool hop per request phase
//! (`SessionManager::new_sync`, the previous default), and
//! `db-file-inline` through its sync face on the executor (`inline(true)`).
//!
//! `peer-tower-sessions-memory` and `peer-tower-sessions-moka` serve the same handler
//! through tower-sessions (its `MemoryStore` and `MokaStore`), in the same run; `report`
//! prints our `memory` and `cache` rows against them.

use std::hint::black_box;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use http::{Request, header};
use session_benches::{
    Backend, Codec, RunMode, Size, peer_cookies, peer_visit, seed_cookies, visit,
};
use session_core::{MemoryStore, SessionManager, SessionStore};
use session_tower::SessionLayer;
use tower::ServiceExt;

async fn plain() -> &'static str {
    "ok"
}

fn seeded(manager: SessionManager) -> (SessionManager, Vec<String>) {
    let cookies = seed_cookies(&manager);
    (manager, cookies)
}

fn tower(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a tokio runtime");
    let mut group = c.benchmark_group("tower");
    group.throughput(Throughput::Elements(1));

    let run = |group: &mut criterion::BenchmarkGroup<'_, _>,
               name: &str,
               app: Router,
               cookies: &[String]| {
        let mut i = 0usize;
        group.bench_function(name, |b| {
            b.iter(|| {
                i = i.wrapping_add(1);
                let mut req = Request::builder().uri("/");
                if !cookies.is_empty() {
                    req = req.header(header::COOKIE, &cookies[i % cookies.len()]);
                }
                let req = req.body(Body::empty()).unwrap();
                let res = rt.block_on(app.clone().oneshot(req)).unwrap();
                assert!(res.status().is_success());
                black_box(res)
            })
        });
    };

    run(
        &mut group,
        "no-layer",
        Router::new().route("/", get(plain)),
        &[],
    );
    {
        let manager = SessionManager::new(MemoryStore::new());
        let app = Router::new()
            .route("/", get(plain))
            .layer(SessionLayer::new(manager));
        run(&mut group, "layer-unused", app, &[]);
    }

    // The peer: tower-sessions on the same handler, over its memory and moka stores.
    for (name, app) in [
        (
            "peer-tower-sessions-memory",
            Router::new().route("/", get(peer_visit)).layer(
                tower_sessions::SessionManagerLayer::new(tower_sessions::MemoryStore::default())
                    .with_secure(false),
            ),
        ),
        (
            "peer-tower-sessions-moka",
            Router::new().route("/", get(peer_visit)).layer(
                tower_sessions::SessionManagerLayer::new(
                    tower_sessions_moka_store::MokaStore::new(Some(100_000)),
                )
                .with_secure(false),
            ),
        ),
    ] {
        let cookies = peer_cookies(&rt, &app);
        run(&mut group, name, app, &cookies);
    }

    let memory: Arc<dyn SessionStore> = Arc::new(MemoryStore::new());
    let (manager, cookies) = seeded(Codec::Json.manager(memory));
    for (name, inline) in [("memory", true), ("memory-blocking", false)] {
        let layer = SessionLayer::new(manager.clone()).inline(inline);
        let app = Router::new().route("/", get(visit)).layer(layer);
        run(&mut group, name, app, &cookies);
    }

    for backend in Backend::all() {
        let codec = backend.codecs()[0];
        let fixture = backend.build(RunMode::from_env().store_sizes()[0], Size::Typical);
        let (manager, cookies) =
            seeded(codec.manager_with_async(fixture.store.clone(), fixture.async_store.clone()));
        if matches!(backend.name(), "db-file" | "postgres" | "redis") {
            // The previous default first: a run that comes first on a fresh SQLite file
            // pays its WAL's first checkpoints, so the default is not favoured by order.
            let app = Router::new()
                .route("/", get(visit))
                .layer(SessionLayer::new(codec.manager(fixture.store.clone())));
            run(
                &mut group,
                &format!("{}-hop", backend.name()),
                app,
                &cookies,
            );
        }
        let app = Router::new()
            .route("/", get(visit))
            .layer(SessionLayer::new(manager.clone()));
        run(&mut group, backend.name(), app, &cookies);
        if backend.name() == "db-file" {
            let app = Router::new()
                .route("/", get(visit))
                .layer(SessionLayer::new(manager).inline(true));
            run(&mut group, "db-file-inline", app, &cookies);
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = RunMode::from_env().criterion();
    targets = tower
}
criterion_main!(benches);
