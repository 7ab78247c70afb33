//! The rolling-expiry chapter: sessions that stay alive while they are used, renewed by a
//! cheap `touch` instead of a rewrite.
//!
//! `cargo run -p session-examples --example rolling_expiry` checks what the chapter says
//! and prints `ok`.

use std::error::Error;
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::routing::get;
use session_core::{CookieAction, Record, ResponsePlan, SessionConfig, SessionManager};
use session_core::{SessionStore, StoreOp};
use session_db::SqliteStore;
use session_tower::{Session, SessionLayer};

// ANCHOR: config
/// Sessions end after 30 minutes without a request; an active one is renewed at most once
/// every 5 minutes, by a write of its expiry alone.
fn manager(store: SqliteStore) -> SessionManager {
    let config = SessionConfig::default()
        .with_cookie_age(Duration::from_secs(30 * 60))
        .with_refresh_after(Some(Duration::from_secs(5 * 60)));
    SessionManager::new(store).with_config(config)
}

/// Nothing else changes: handlers that only read keep their sessions alive.
fn app(manager: SessionManager) -> Router {
    Router::new()
        .route(
            "/",
            get(|session: Session| async move {
                let member: Option<u64> = session.get("member_id").await.unwrap_or_default();
                format!("member {member:?}")
            }),
        )
        .layer(SessionLayer::new(manager))
}
// ANCHOR_END: config

// ANCHOR: decision
/// What happens at the end of a request that read a session last renewed 10 minutes ago.
fn a_read_renews(store: SqliteStore) -> Result<(), Box<dyn Error>> {
    let manager = manager(store.clone());
    let age = manager.config().cookie_age;
    // A session saved 10 minutes ago: its record expires 20 minutes from now.
    let renewed_at = SystemTime::now() - Duration::from_secs(10 * 60);
    let key = store.create(&Record::new(
        br#"{"member_id":1}"#.to_vec(),
        renewed_at + age,
    ))?;

    let mut session = manager.session(Some(&key));
    // The load brings the record's expiry along with the data (no extra query).
    session.begin_load();
    assert!(matches!(
        session.next_op()?,
        Some(StoreOp::LoadRecord { .. })
    ));
    session.perform_pending()?;
    assert_eq!(session.get::<u64>("member_id")?, Some(1)); // a read, no change

    // The last renewal is older than `refresh_after`: touch, and send the cookie again.
    assert_eq!(manager.plan(&session, 200, true), ResponsePlan::Touch);
    let action = manager.finish(&mut session, 200, true)?;
    assert!(matches!(action, CookieAction::Set { max_age: Some(a), .. } if a == age));
    let record = store.load_record(&key)?.expect("still live");
    assert!(record.expires_at > SystemTime::now() + age - Duration::from_secs(60));
    assert_eq!(record.data, br#"{"member_id":1}"#); // the data was not rewritten

    // Renewed just now: the next reads cost nothing until 5 minutes have passed.
    let mut again = manager.session(Some(&key));
    again.get::<u64>("member_id")?;
    assert_eq!(
        manager.plan(&again, 200, true),
        ResponsePlan::Nothing { vary_cookie: true }
    );
    Ok(())
}
// ANCHOR_END: decision

pub fn main() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let store = SqliteStore::open(dir.path().join("sessions.sqlite3"))?;
    let _app = app(manager(store.clone()));
    a_read_renews(store)?;
    println!("ok");
    Ok(())
}
