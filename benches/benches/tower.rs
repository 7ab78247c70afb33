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
//! `redis-floor` is the same `GET` and `SET` of the same keys through the `redis` crate's
//! async client with no session layer: the `redis` row's floor, in the same run;
//! `postgres-floor` the same `SELECT` and `UPDATE` through one tokio-postgres connection.
//! The `tower-concurrent` group sends 64 requests of 64 sessions at once, through each
//! network store's async face and through its sync face in blocking-pool hops.
//!
//! `peer-tower-sessions-memory` and `peer-tower-sessions-moka` serve the same handler
//! through tower-sessions (its `MemoryStore` and `MokaStore`), in the same run; `report`
//! prints our `memory` and `cache` rows against them. Its SQLite stores cannot link here
//! (another `libsqlite3-sys`): `benches/peers` measures them the same way into the same
//! `target/criterion`, and `report` prints `db-file` against them.

use std::hint::black_box;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::routing::get;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use http::{Request, header};
use session_benches::{
    Backend, Codec, PG_TABLE, POSTGRES_URL_VAR, PgAsyncFloor, REDIS_PREFIX, REDIS_URL_VAR,
    RedisFloor, RunMode, Size, peer_cookies, peer_visit, seed_cookies, visit,
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
    // I/O and time on: the Redis store's async face and its floor run on this runtime.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
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

    let mut concurrent = Vec::new();
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
        // Seeded (and the `-hop` row run) through the sync face: a PostgreSQL store built
        // outside any runtime opened those connections on a runtime of its own.
        fixture.forget_connections();
        let app = Router::new()
            .route("/", get(visit))
            .layer(SessionLayer::new(manager.clone()));
        run(&mut group, backend.name(), app, &cookies);
        if backend.name() == "db-file" {
            let app = Router::new()
                .route("/", get(visit))
                .layer(SessionLayer::new(manager.clone()).inline(true));
            run(&mut group, "db-file-inline", app, &cookies);
        }
        // The raw floors: the same reads and writes of the same keys through the engine's
        // async client on this runtime, with no session layer.
        let floor = match backend.name() {
            "redis" => std::env::var(REDIS_URL_VAR).ok().map(|url| {
                let floor = rt.block_on(RedisFloor::connect_async(&url, REDIS_PREFIX));
                Router::new().route("/", get(redis_floor)).with_state(floor)
            }),
            "postgres" => std::env::var(POSTGRES_URL_VAR).ok().map(|url| {
                let floor = rt.block_on(PgAsyncFloor::connect(&url, PG_TABLE));
                Router::new().route("/", get(pg_floor)).with_state(floor)
            }),
            _ => None,
        };
        if let Some(app) = floor {
            run(
                &mut group,
                &format!("{}-floor", backend.name()),
                app,
                &cookies,
            );
            concurrent.push((
                backend.name(),
                Router::new()
                    .route("/", get(visit))
                    .layer(SessionLayer::new(manager)),
                cookies.clone(),
            ));
            concurrent.push((
                if backend.name() == "redis" {
                    "redis-hop"
                } else {
                    "postgres-hop"
                },
                Router::new()
                    .route("/", get(visit))
                    .layer(SessionLayer::new(codec.manager(fixture.store.clone()))),
                cookies,
            ));
        }
    }
    group.finish();

    // 64 sessions at once through the layer: the async face multiplexes them on one
    // connection; the sync face through the blocking pool takes a thread for each.
    let mut group = c.benchmark_group("tower-concurrent");
    group.throughput(Throughput::Elements(CONCURRENT as u64));
    for (name, app, cookies) in concurrent {
        group.bench_function(name, |b| {
            b.iter(|| {
                rt.block_on(async {
                    let mut requests = tokio::task::JoinSet::new();
                    for cookie in cookies.iter().take(CONCURRENT) {
                        let req = Request::builder()
                            .uri("/")
                            .header(header::COOKIE, cookie)
                            .body(Body::empty())
                            .unwrap();
                        requests.spawn(app.clone().oneshot(req));
                    }
                    while let Some(res) = requests.join_next().await {
                        assert!(res.unwrap().unwrap().status().is_success());
                    }
                })
            })
        });
    }
    group.finish();
}

/// Sessions in flight at once in the `tower-concurrent` group.
const CONCURRENT: usize = 64;

/// The session key of a request's cookie.
fn cookie_key(headers: &http::HeaderMap) -> &str {
    headers
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("sessionid="))
        .unwrap_or_default()
}

/// The Redis floor's handler: the session cookie's key, read and written back.
async fn redis_floor(State(floor): State<RedisFloor>, headers: http::HeaderMap) -> &'static str {
    floor.visit(cookie_key(&headers)).await;
    "ok"
}

/// The PostgreSQL floor's handler: the session cookie's key, read and written back.
async fn pg_floor(State(floor): State<PgAsyncFloor>, headers: http::HeaderMap) -> &'static str {
    floor.visit(cookie_key(&headers)).await;
    "ok"
}

criterion_group! {
    name = benches;
    config = RunMode::from_env().criterion();
    targets = tower
}
criterion_main!(benches);
