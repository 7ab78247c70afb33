//! The Redis page of the book: `RedisStore` (session-cache, feature `redis`).
//!
//! `REDIS_URL=redis://127.0.0.1:6379/ cargo run -p session-examples --example backend_redis`
//! Without `REDIS_URL` it says so and exits.

use std::time::Duration;

use session_cache::{RedisConfig, RedisStore};
use session_core::{Result, SessionManager};

// ANCHOR: open
fn open(url: &str) -> Result<SessionManager> {
    // Nothing is connected yet: a bad URL fails here, an unreachable server at first use.
    let store = RedisStore::open(url)?;
    Ok(SessionManager::new(store))
}
// ANCHOR_END: open

// ANCHOR: options
fn open_with_options(url: &str) -> Result<RedisStore> {
    let config = RedisConfig::new(url)
        .with_key_prefix("shop:session:") // share one server between applications
        .with_connect_timeout(Duration::from_millis(500))
        .with_io_timeout(Duration::from_secs(1))
        .with_max_idle(8); // idle connections kept for reuse
    let store = RedisStore::with_config(config)?;
    store.ping()?; // fail fast at startup if the server is down
    Ok(store)
}
// ANCHOR_END: options

/// The whole tour against the server at `url`.
pub fn run(url: &str) -> Result<()> {
    let manager = open(url)?;
    let mut session = manager.session(None);
    session.insert("cart", [1, 2])?;
    session.save()?;
    let key = session.key().unwrap().to_owned();
    assert_eq!(
        manager.session(Some(&key)).get::<Vec<u8>>("cart")?,
        Some(vec![1, 2])
    );
    manager.session(Some(&key)).flush()?;
    open_with_options(url)?;
    Ok(())
}

pub fn main() -> Result<()> {
    let Ok(url) = std::env::var("REDIS_URL") else {
        println!("skipped: set REDIS_URL (e.g. redis://127.0.0.1:6379/) to run");
        return Ok(());
    };
    run(&url)?;
    println!("ok");
    Ok(())
}
