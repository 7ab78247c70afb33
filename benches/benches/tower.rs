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

use std::hint::black_box;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use http::{Request, header};
use session_benches::{Backend, Codec, RunMode, Size, visit};
use session_core::{MemoryStore, SessionManager, SessionStore};
use session_tower::SessionLayer;
use tower::ServiceExt;

async fn plain() -> &'static str {
    "ok"
}

fn seeded(manager: SessionManager) -> (SessionManager, Vec<String>) {
    let keys = (0..64)
        .map(|i| {
            let mut s = manager.session(None);
            s.insert("member_id", i).unwrap();
            s.save().unwrap();
            s.key().unwrap().to_owned()
        })
        .collect();
    (manager, keys)
}

fn tower(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a tokio runtime");
    let mut group = c.benchmark_group("tower");
    group.throughput(Throughput::Elements(1));

    let run =
        |group: &mut criterion::BenchmarkGroup<'_, _>, name: &str, app: Router, keys: &[String]| {
            let mut i = 0usize;
            group.bench_function(name, |b| {
                b.iter(|| {
                    i = i.wrapping_add(1);
                    let mut req = Request::builder().uri("/");
                    if !keys.is_empty() {
                        let cookie = format!("sessionid={}", keys[i % keys.len()]);
                        req = req.header(header::COOKIE, cookie);
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

    let memory: Arc<dyn SessionStore> = Arc::new(MemoryStore::new());
    let (manager, keys) = seeded(Codec::Json.manager(memory));
    for (name, inline) in [("memory", true), ("memory-blocking", false)] {
        let layer = SessionLayer::new(manager.clone()).inline(inline);
        let app = Router::new().route("/", get(visit)).layer(layer);
        run(&mut group, name, app, &keys);
    }

    for backend in Backend::all() {
        let codec = backend.codecs()[0];
        let fixture = backend.build(RunMode::from_env().store_sizes()[0], Size::Typical);
        let (manager, keys) =
            seeded(codec.manager_with_async(fixture.store.clone(), fixture.async_store.clone()));
        if matches!(backend.name(), "db-file" | "postgres" | "redis") {
            // The previous default first: a run that comes first on a fresh SQLite file
            // pays its WAL's first checkpoints, so the default is not favoured by order.
            let app = Router::new()
                .route("/", get(visit))
                .layer(SessionLayer::new(codec.manager(fixture.store.clone())));
            run(&mut group, &format!("{}-hop", backend.name()), app, &keys);
        }
        let app = Router::new()
            .route("/", get(visit))
            .layer(SessionLayer::new(manager.clone()));
        run(&mut group, backend.name(), app, &keys);
        if backend.name() == "db-file" {
            let app = Router::new()
                .route("/", get(visit))
                .layer(SessionLayer::new(manager).inline(true));
            run(&mut group, "db-file-inline", app, &keys);
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
