//! The async boundary as the layer sees it: async-only stores, a store that panics on the
//! blocking pool, any response body, and `Option<Session>`.

use std::convert::Infallible;

use axum::Router;
use axum::http::{Request, Response, StatusCode, header};
use axum::routing::get;
use session_core::{MemoryStore, Record, Result, SessionManager, SessionStore};
use session_tower::{Session, SessionLayer};
use tower::{Layer, ServiceExt};

use crate::support::{cookie_value, send};

/// A visit counter: a load and a save per request.
async fn visit(session: Session) -> String {
    let n = session.get::<u32>("n").await.unwrap().unwrap_or(0) + 1;
    session.insert("n", n).await.unwrap();
    n.to_string()
}

/// An async-only store (a memory store behind its async face only): the layer drives it
/// through `AsyncSessionStore`, the cookie carries the session from request to request.
#[tokio::test]
async fn an_async_only_store_serves_the_layer() {
    let manager = SessionManager::new_async(MemoryStore::new());
    let app = Router::new()
        .route("/", get(visit))
        .layer(SessionLayer::new(manager));
    let first = send(&app, "GET", "/", None).await;
    assert_eq!(first.status(), StatusCode::OK);
    let key = cookie_value(&first);
    let second = send(&app, "GET", "/", Some(&key)).await;
    let body = axum::body::to_bytes(second.into_body(), 64).await.unwrap();
    assert_eq!(&body[..], b"2");
}

/// A sync-only store whose `load` panics: the panic stays on the blocking pool and the
/// request gets a 500, the process goes on.
struct PanickingStore;

impl SessionStore for PanickingStore {
    fn load_record(&self, _: &str) -> Result<Option<Record>> {
        panic!("the disk caught fire");
    }
    fn create(&self, _: &Record) -> Result<String> {
        panic!("the disk caught fire");
    }
    fn save(&self, _: &str, _: &Record) -> Result<String> {
        panic!("the disk caught fire");
    }
    fn delete(&self, _: &str) -> Result<()> {
        Ok(())
    }
    fn exists(&self, _: &str) -> Result<bool> {
        Ok(false)
    }
}

#[tokio::test]
async fn a_store_panic_is_a_500_not_a_crash() {
    let manager = SessionManager::new_sync(PanickingStore);
    let app = Router::new()
        .route("/", get(visit))
        .layer(SessionLayer::new(manager).inline(false));
    let response = send(&app, "GET", "/", Some("abcdefghijklmnop")).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    // and the runtime still serves
    let response = send(&app, "GET", "/", Some("abcdefghijklmnop")).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
}

/// The layer over a plain tower service whose body is a `String`, not axum's: the session
/// (extracted from the request parts, as any framework on `http` can) is saved and its
/// cookie set on that response.
#[tokio::test]
async fn the_layer_is_generic_over_the_response_body() {
    use axum::extract::FromRequestParts;

    let manager = SessionManager::new(MemoryStore::new());
    let service =
        SessionLayer::new(manager).layer(tower::service_fn(|request: Request<()>| async move {
            let (mut parts, ()) = request.into_parts();
            let session = Session::from_request_parts(&mut parts, &()).await.unwrap();
            session.insert("seen", true).await.unwrap();
            Ok::<_, Infallible>(Response::new(String::from("saved")))
        }));
    let response = service.oneshot(Request::new(())).await.unwrap();
    assert_eq!(response.body(), "saved");
    let cookie = response.headers()[header::SET_COOKIE].to_str().unwrap();
    assert!(cookie.starts_with("sessionid="), "{cookie}");
}

/// `Option<Session>` is `None` without the layer and `Some` with it.
#[tokio::test]
async fn option_session_says_whether_a_layer_runs() {
    async fn maybe(session: Option<Session>) -> &'static str {
        if session.is_some() { "some" } else { "none" }
    }
    let bare = Router::new().route("/", get(maybe));
    let response = send(&bare, "GET", "/", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = axum::body::to_bytes(response.into_body(), 64)
        .await
        .unwrap();
    assert_eq!(&body[..], b"none");

    let layered = Router::new()
        .route("/", get(maybe))
        .layer(SessionLayer::new(SessionManager::new(MemoryStore::new())));
    let response = send(&layered, "GET", "/", None).await;
    let body = axum::body::to_bytes(response.into_body(), 64)
        .await
        .unwrap();
    assert_eq!(&body[..], b"some");
}
