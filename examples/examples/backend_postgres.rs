//! The PostgreSQL page of the book: `PostgresStore` (session-db, feature `postgres`).
//!
//! `DATABASE_URL='host=127.0.0.1 user=postgres dbname=test' cargo run -p session-examples --example backend_postgres`
//! Without `DATABASE_URL` it says so and exits.

use std::error::Error;
use std::time::Duration;

use session_core::{ClearExpired, SessionManager};
use session_db::{PostgresConfig, PostgresStore};

// ANCHOR: connect
fn connect(url: &str) -> Result<SessionManager, Box<dyn Error>> {
    // `postgres://user:password@host/db` or `host=... user=... dbname=...`; the table
    // `sessions` is created if absent.
    let store = PostgresStore::connect(url)?;
    Ok(SessionManager::new(store))
}
// ANCHOR_END: connect

// ANCHOR: options
fn connect_with_options(url: &str) -> Result<PostgresStore, Box<dyn Error>> {
    let store = PostgresConfig::native()
        .with_schema("public")? // a plain identifier, else an error
        .with_table("web_sessions")?
        .with_pool_size(16) // connections in the pool
        .with_connect_timeout(Duration::from_secs(2))
        .with_batch_size(5_000) // rows per clear_expired transaction
        .connect(url)?;
    Ok(store)
}
// ANCHOR_END: options

/// The whole tour against the server at `url`.
pub fn run(url: &str) -> Result<(), Box<dyn Error>> {
    let manager = connect(url)?;
    let mut session = manager.session(None);
    session.insert("cart", [1, 2])?;
    session.save()?;
    let key = session.key().unwrap().to_owned();
    assert_eq!(
        manager.session(Some(&key)).get::<Vec<u8>>("cart")?,
        Some(vec![1, 2])
    );
    manager.session(Some(&key)).flush()?;

    let store = connect_with_options(url)?;
    store.clear_expired()?;
    Ok(())
}

// ANCHOR: main
pub fn main() -> Result<(), Box<dyn Error>> {
    let Ok(url) = std::env::var("DATABASE_URL") else {
        println!(
            "skipped: set DATABASE_URL (e.g. 'host=127.0.0.1 user=postgres dbname=test') to run"
        );
        return Ok(());
    };
    run(&url)?;
    println!("ok");
    Ok(())
}
// ANCHOR_END: main
