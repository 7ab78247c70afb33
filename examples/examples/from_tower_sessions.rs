//! The migration chapter: a tower-sessions handler and its session-engines equivalent.
//!
//! `cargo run -p session-examples --example from_tower_sessions`

use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use session_core::{Expiry, MemoryStore, SessionConfig, SessionManager};
use session_tower::{Session, SessionError, SessionLayer};

// ANCHOR: handlers
#[derive(Serialize, Deserialize, Default)]
struct Counter(usize);

const COUNTER_KEY: &str = "counter";

// The extractor has the same name; the methods are Django's.
async fn handler(session: Session) -> Result<String, SessionError> {
    let counter: Counter = session.get(COUNTER_KEY).await?.unwrap_or_default();
    session.insert(COUNTER_KEY, Counter(counter.0 + 1)).await?;
    Ok(format!("Current count: {}", counter.0))
}

async fn login(session: Session) -> Result<&'static str, SessionError> {
    session.cycle_key().await?; // tower-sessions: cycle_id()
    session.insert("user_id", 1).await?;
    // tower-sessions: set_expiry(Some(Expiry::OnInactivity(Duration::minutes(30))))
    session
        .set_expiry(Expiry::Idle(Duration::from_secs(30 * 60)))
        .await?;
    Ok("logged in")
}

async fn logout(session: Session) -> Result<&'static str, SessionError> {
    session.flush().await?; // tower-sessions: flush()
    Ok("logged out")
}
// ANCHOR_END: handlers

// ANCHOR: layer
pub fn app() -> Router {
    // tower-sessions: SessionManagerLayer::new(store).with_secure(false)
    //                     .with_expiry(Expiry::OnInactivity(Duration::seconds(10)))
    let config = SessionConfig::default()
        .with_cookie_secure(false)
        .with_cookie_age(Duration::from_secs(10)); // the default expiry: idle time
    let manager = SessionManager::new(MemoryStore::new()).with_config(config);
    Router::new()
        .route("/", get(handler))
        .route("/login", post(login))
        .route("/logout", post(logout))
        .layer(SessionLayer::new(manager))
}
// ANCHOR_END: layer

pub fn main() {
    let _ = app();
    println!("ok");
}
