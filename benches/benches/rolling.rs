//! Rolling expiry on SQLite: a request that only reads its session, through the session
//! layer, when the session must be renewed on every request.
//!
//! - `read-only`: no renewal at all (the floor: one load);
//! - `refresh-not-due`: `refresh_after` of an hour, the sessions renewed less than an hour
//!   ago: the load brings the record's expiry and nothing is written (what most requests
//!   of an active user cost);
//! - `refresh-due`: `SessionConfig::refresh_after` of zero, so every read is due and renews
//!   the expiry through `touch` (one `UPDATE` of the expiry column);
//! - `save-every-request`: Django's way, the whole record rewritten on every response.
//!
//! A real `refresh_after` (minutes) touches far less often than `refresh-due`: this is the
//! worst case of rolling expiry against the only case of `save_every_request`. Both sizes
//! of the shared workload (typical ~100 B, large ~4 KB of JSON).

use std::hint::black_box;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use http::{Request, header};
use session_benches::{RunMode, Size};
use session_core::{SessionConfig, SessionManager};
use session_db::SqliteStore;
use session_tower::{Session, SessionLayer};
use tower::ServiceExt;

/// Reads the session and changes nothing.
async fn read(session: Session) -> String {
    let member: Option<u64> = session.get("member_id").await.unwrap_or_default();
    member.unwrap_or_default().to_string()
}

fn rolling(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let mut group = c.benchmark_group("rolling");
    group.throughput(Throughput::Elements(1));
    let dir = tempfile::tempdir().expect("a temp dir");
    for size in Size::ALL {
        let path = dir.path().join(format!("{}.sqlite3", size.name()));
        let store = SqliteStore::open(&path).expect("a SQLite store");
        let seeder = SessionManager::new(store.clone());
        let cookies: Vec<String> = (0..64)
            .map(|_| {
                let mut s = seeder.session(None);
                for (k, v) in size.data() {
                    s.reserved().insert(k, v).expect("insert");
                }
                s.save().expect("save");
                format!("sessionid={}", s.key().expect("a key"))
            })
            .collect();
        for (name, config) in [
            ("read-only", SessionConfig::default()),
            (
                "refresh-not-due",
                SessionConfig::default().with_refresh_after(Some(Duration::from_secs(3600))),
            ),
            (
                "refresh-due",
                SessionConfig::default().with_refresh_after(Some(Duration::ZERO)),
            ),
            (
                "save-every-request",
                SessionConfig::default().with_save_every_request(true),
            ),
        ] {
            let manager = SessionManager::new(store.clone()).with_config(config);
            let app = Router::new()
                .route("/", get(read))
                .layer(SessionLayer::new(manager));
            let mut i = 0usize;
            group.bench_function(format!("{name}/{}", size.name()), |b| {
                b.iter(|| {
                    i = i.wrapping_add(1);
                    let req = Request::builder()
                        .uri("/")
                        .header(header::COOKIE, &cookies[i % cookies.len()])
                        .body(Body::empty())
                        .unwrap();
                    let res = rt.block_on(app.clone().oneshot(req)).unwrap();
                    assert!(res.status().is_success());
                    assert_eq!(
                        res.headers().contains_key(header::SET_COOKIE),
                        !name.ends_with("only") && !name.ends_with("not-due")
                    );
                    black_box(res)
                })
            });
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = RunMode::from_env().criterion();
    targets = rolling
}
criterion_main!(benches);
