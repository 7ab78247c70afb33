//! The custom store of the book passes the same conformance suite as every backend.

#[allow(dead_code)]
#[path = "../../examples/custom_store.rs"]
mod example;

// ANCHOR: conformance
use example::MapStore;

// One `#[test]` per duty of the contract, plus the `ClearExpired` checks.
session_core::conformance_tests!(map_store, MapStore::default(), clear_expired);
// ANCHOR_END: conformance

#[allow(dead_code)]
#[path = "../../examples/async_store.rs"]
mod async_example;

// ANCHOR: async_conformance
use async_example::AsyncMapStore;

// The same checks, each store call made through the async methods.
session_core::async_conformance_tests!(async_map_store, AsyncMapStore::default(), clear_expired);
// ANCHOR_END: async_conformance

/// The async-only store behind the tower layer: a visit counter over HTTP requests, the
/// cookie carried from one to the next.
#[tokio::test]
async fn async_store_serves_requests_through_the_layer() {
    use axum::body::Body;
    use axum::http::{Request, header};
    use tower::ServiceExt;

    let app = async_example::app();
    let first = app
        .clone()
        .oneshot(Request::get("/").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let cookie = first.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let second = app
        .oneshot(
            Request::get("/")
                .header(header::COOKIE, cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let body = axum::body::to_bytes(second.into_body(), 1024)
        .await
        .unwrap();
    assert_eq!(&body[..], b"You have been here 2 times.");
}
