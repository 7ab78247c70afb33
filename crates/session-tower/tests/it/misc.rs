//! The extractor without a layer, rejections, and the clear-expired task.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use session_core::{ClearExpired, Error, MemoryStore, Record, Result, SessionStore};
use session_tower::{Session, spawn_clear_expired};
use tokio::sync::mpsc;

use crate::support::send;

#[tokio::test]
async fn extractor_without_layer_is_a_500() {
    let app: Router = Router::new().route("/", get(|_s: Session| async { "unreachable" }));
    let response = send(&app, "GET", "/", None).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
}

/// A store whose `load` always fails: extraction answers 500, nothing panics.
struct BrokenStore;

impl SessionStore for BrokenStore {
    fn load_record(&self, _: &str) -> Result<Option<Record>> {
        Err(Error::backend(
            "broken",
            std::io::Error::other("disk on fire"),
        ))
    }
    fn create(&self, _: &Record) -> Result<String> {
        Err(Error::backend(
            "broken",
            std::io::Error::other("disk on fire"),
        ))
    }
    fn save(&self, _: &str, _: &Record) -> Result<String> {
        Err(Error::backend(
            "broken",
            std::io::Error::other("disk on fire"),
        ))
    }
    fn delete(&self, _: &str) -> Result<()> {
        Ok(())
    }
    fn exists(&self, _: &str) -> Result<bool> {
        Ok(false)
    }
}

#[tokio::test]
async fn store_failures_are_500s() {
    let manager = session_core::SessionManager::new_sync(BrokenStore);
    let app: Router = Router::new()
        .route(
            "/read",
            get(|s: Session| async move { format!("{:?}", s.len().await) }),
        )
        .route(
            "/write",
            get(|s: Session| async move { format!("{:?}", s.insert("a", 1).await) }),
        )
        .layer(session_tower::SessionLayer::new(manager));
    let response = send(&app, "GET", "/read", Some("abcdefghijklmnop")).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let response = send(&app, "GET", "/write", None).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(response.headers().get("set-cookie").is_none());
}

/// Fails its first sweep, then reports each sweep on a channel.
struct FlakySweeper {
    inner: MemoryStore,
    calls: AtomicUsize,
    done: mpsc::UnboundedSender<Result<u64>>,
}

session_core::forward_store!(FlakySweeper => inner);

impl ClearExpired for FlakySweeper {
    fn clear_expired(&self) -> Result<u64> {
        let result = if self.calls.fetch_add(1, Ordering::SeqCst) == 0 {
            Err(Error::backend("flaky", std::io::Error::other("locked")))
        } else {
            self.inner.clear_expired()
        };
        let report = match &result {
            Ok(n) => Ok(*n),
            Err(_) => Err(Error::Interrupted),
        };
        let _ = self.done.send(report);
        result
    }
}

#[tokio::test]
async fn sweeper_keeps_going_after_an_error() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let store = Arc::new(FlakySweeper {
        inner: MemoryStore::new(),
        calls: AtomicUsize::new(0),
        done: tx,
    });
    let past = std::time::SystemTime::now() - Duration::from_secs(1);
    store.create(&Record::new(b"{}".to_vec(), past)).unwrap();
    let task = spawn_clear_expired(store.clone(), Duration::from_millis(5));
    assert!(rx.recv().await.unwrap().is_err(), "first sweep fails");
    assert_eq!(
        rx.recv().await.unwrap().unwrap(),
        1,
        "second sweep runs and clears"
    );
    assert_eq!(rx.recv().await.unwrap().unwrap(), 0);
    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());
    assert!(store.inner.is_empty());
}
