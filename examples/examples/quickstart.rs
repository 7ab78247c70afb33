//! Quick start: sessions in an axum app, stored in a SQLite file.
//!
//! `cargo run -p session-examples --example quickstart`, then open <http://127.0.0.1:3000>
//! and reload: the counter lives in the session.

// ANCHOR: all
use axum::{Router, routing::get};
use session_core::SessionManager;
use session_db::SqliteStore;
use session_tower::{Session, SessionError, SessionLayer};

/// Counts the visits of one browser.
async fn count(session: Session) -> Result<String, SessionError> {
    let visits = session.get::<u64>("visits").await?.unwrap_or(0) + 1;
    session.insert("visits", visits).await?; // saved when the response goes out
    let times = if visits == 1 { "time" } else { "times" };
    Ok(format!("You have been here {visits} {times}."))
}

pub fn app(store: SqliteStore) -> Router {
    let manager = SessionManager::new(store);
    Router::new()
        .route("/", get(count))
        .layer(SessionLayer::new(manager))
}

#[tokio::main]
pub async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let store = SqliteStore::open("quickstart.sqlite3")?; // created if absent
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!("listening on http://127.0.0.1:3000");
    axum::serve(listener, app(store)).await?;
    Ok(())
}
// ANCHOR_END: all
