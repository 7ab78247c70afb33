//! `Cookie` headers through `SessionLayer`: any bytes give a response below 500, and an
//! unknown cookie never yields a stored session.
#![no_main]

use std::sync::OnceLock;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use http::{HeaderValue, Request, header::COOKIE};
use libfuzzer_sys::fuzz_target;
use session_core::{MemoryStore, SessionManager};
use session_tower::{Session, SessionLayer};
use tower::ServiceExt;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| tokio::runtime::Builder::new_current_thread().build().unwrap())
}

fn app() -> &'static Router {
    static APP: OnceLock<Router> = OnceLock::new();
    APP.get_or_init(|| {
        Router::new()
            .route(
                "/",
                get(|session: Session| async move {
                    let secret = session.get::<String>("owner").await.ok().flatten();
                    assert_eq!(secret, None, "an unknown cookie loaded someone's session");
                    session.insert("visits", 1).await.ok();
                    "ok"
                }),
            )
            .layer(SessionLayer::new(SessionManager::new(MemoryStore::new())))
    })
}

fuzz_target!(|data: &[u8]| {
    // Split the input into several Cookie headers at 0xff bytes (HTTP/2 sends several).
    let mut request = Request::get("/");
    for part in data.split(|b| *b == 0xff) {
        if let Ok(value) = HeaderValue::from_bytes(part) {
            request = request.header(COOKIE, value);
        }
    }
    let request = request.body(Body::empty()).unwrap();
    let response = runtime().block_on(app().clone().oneshot(request)).unwrap();
    assert!(response.status().as_u16() < 500, "status {}", response.status());
});
