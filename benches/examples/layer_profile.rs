//! A fixed number of requests through one axum app, for instruction counts under
//! callgrind: the session layer over `MemoryStore` (`memory`), `MokaStore` (`moka`) or a
//! signed-cookie store (`cookie`), a SQLite file in the temp dir (`sqlite`),
//! tower-sessions over its `MemoryStore` (`peer`) or its moka store (`peer-moka`) on the
//! same handler, or the bare route (`bare`).
//!
//! ```sh
//! cargo build --release -p session-benches --example layer_profile
//! valgrind --tool=callgrind target/release/examples/layer_profile memory 1000
//! valgrind --tool=callgrind target/release/examples/layer_profile memory 11000
//! ```
//!
//! The difference between two counts divided by 10,000 is the cost of one request, setup
//! excluded; the same for `peer` and `bare` gives the ratios of the benchmarks page.

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use http::{Request, header};
use session_benches::{peer_cookies, peer_visit, seed_cookies, visit};
use session_core::{MemoryStore, SessionManager};
use session_tower::SessionLayer;
use tower::ServiceExt;

async fn plain() -> &'static str {
    "ok"
}

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    let n: usize = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(20000);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let manager = match mode.as_str() {
        "moka" => SessionManager::new(session_cache::MokaStore::new()),
        "sqlite" => SessionManager::new(
            session_db::SqliteStore::open(std::env::temp_dir().join("layer_profile.sqlite3"))
                .expect("a SQLite file"),
        ),
        "cookie" => SessionManager::new(
            session_cookie::CookieStore::new("profile-secret").expect("a secret"),
        )
        .with_serializer(session_core::DjangoJson),
        _ => SessionManager::new(MemoryStore::new()),
    };
    let cookies = seed_cookies(&manager);
    let peer_app = if mode == "peer-moka" {
        Router::new().route("/", get(peer_visit)).layer(
            tower_sessions::SessionManagerLayer::new(tower_sessions_moka_store::MokaStore::new(
                Some(100_000),
            ))
            .with_secure(false),
        )
    } else {
        Router::new().route("/", get(peer_visit)).layer(
            tower_sessions::SessionManagerLayer::new(tower_sessions::MemoryStore::default())
                .with_secure(false),
        )
    };
    let peer_cookies = peer_cookies(&rt, &peer_app);
    let (app, cookies) = match mode.as_str() {
        "peer" | "peer-moka" => (peer_app, peer_cookies),
        "bare" => (Router::new().route("/", get(plain)), cookies),
        _ => (
            Router::new()
                .route("/", get(visit))
                .layer(SessionLayer::new(manager)),
            cookies,
        ),
    };
    for i in 0..n {
        let mut req = Request::builder().uri("/");
        if mode != "bare" {
            req = req.header(header::COOKIE, &cookies[i % 64]);
        }
        let res = rt
            .block_on(app.clone().oneshot(req.body(Body::empty()).unwrap()))
            .unwrap();
        assert!(res.status().is_success());
    }
}
