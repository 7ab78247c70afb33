//! The operations chapter: sweeping expired sessions, and logs.
//!
//! `cargo run -p session-examples --example operations`

use std::error::Error;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use session_core::SessionManager;
use session_db::SqliteStore;
use session_tower::{Session, SessionKeyPrefix, SessionLayer, spawn_clear_expired};

// ANCHOR: logging
fn init_logging() {
    // RUST_LOG wins when set. Otherwise: info everywhere, debug for the session crates,
    // and warnings about suspicious session data (forged or corrupt) on their own target.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        "info,session_core=debug,session_db=debug,session_tower=debug,session::suspicious=warn"
            .into()
    });
    // `try_init`: a second call (e.g. in tests) is not an error worth stopping for.
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
}
// ANCHOR_END: logging

// ANCHOR: access_log
/// An access log that correlates requests of one session without logging its key: the
/// layer puts the key's first 8 characters into every response.
async fn access_log(request: Request, next: Next) -> Response {
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let response = next.run(request).await;
    let session = response
        .extensions()
        .get::<SessionKeyPrefix>()
        .and_then(|p| p.0.clone())
        .unwrap_or_else(|| "-".into());
    tracing::info!(%method, path, status = response.status().as_u16(), session, "request");
    response
}

pub fn app(manager: SessionManager) -> Router {
    Router::new()
        .route(
            "/",
            get(|session: Session| async move {
                session.insert("seen", true).await.is_ok().to_string()
            }),
        )
        .layer(SessionLayer::new(manager))
        .layer(middleware::from_fn(access_log)) // outside the session layer
}
// ANCHOR_END: access_log

// ANCHOR: sweeper
async fn serve_with_sweeper(store: SqliteStore) -> Result<(), Box<dyn Error>> {
    let manager = SessionManager::new(store.clone());
    // Django's `clearsessions` every hour, on the blocking pool; a failed sweep is logged
    // and retried at the next tick.
    let sweeper = spawn_clear_expired(Arc::new(store), Duration::from_secs(3600));

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let server = axum::serve(listener, app(manager));
    // Serve until Ctrl-C (here: for one second), then stop the sweeper too.
    let _ = tokio::time::timeout(Duration::from_secs(1), server.into_future()).await;
    sweeper.abort();
    Ok(())
}
// ANCHOR_END: sweeper

// ANCHOR: clear_expired
/// A `clear-expired` command for cron, with progress for big tables.
fn clear_expired_command(store: &SqliteStore) -> session_core::Result<u64> {
    let total = store.count_expired()?;
    store.clear_expired_with(|deleted| eprintln!("cleared {deleted} of {total}"))
}
// ANCHOR_END: clear_expired

#[tokio::main]
pub async fn main() -> Result<(), Box<dyn Error>> {
    init_logging();
    let dir = tempfile::tempdir()?;
    let store = SqliteStore::open(dir.path().join("sessions.sqlite3"))?;
    println!("deleted {}", clear_expired_command(&store)?);
    serve_with_sweeper(store).await?;
    println!("ok");
    Ok(())
}
