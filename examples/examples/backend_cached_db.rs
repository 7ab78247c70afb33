//! The cached_db page of the book: `CachedStore` = a cache in front of a database.
//!
//! `cargo run -p session-examples --example backend_cached_db`

use std::error::Error;
use std::path::Path;
use std::time::Duration;

use session_cache::{CacheConfig, CachedStore, KeyedCache, MokaStore};
use session_core::{SessionManager, SessionStore};
use session_db::SqliteStore;

// ANCHOR: open
fn open(dir: &Path) -> Result<SessionManager, Box<dyn Error>> {
    let cache = MokaStore::with_config(CacheConfig::new().with_max_entries(50_000));
    let db = SqliteStore::open(dir.join("sessions.sqlite3"))?;
    // Writes go to the database, then the cache; reads try the cache first.
    let store = CachedStore::new(cache, db).with_fill_ttl(Duration::from_secs(30));
    Ok(SessionManager::new(store))
}
// ANCHOR_END: open

// ANCHOR: redis
/// Several web nodes: a shared Redis cache in front of PostgreSQL.
fn open_shared(redis_url: &str, postgres_url: &str) -> Result<SessionManager, Box<dyn Error>> {
    let cache = session_cache::RedisStore::open(redis_url)?;
    let db = session_db::PostgresStore::connect(postgres_url)?;
    Ok(SessionManager::new(CachedStore::new(cache, db)))
}
// ANCHOR_END: redis

pub fn main() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let manager = open(dir.path())?;
    let mut session = manager.session(None);
    session.insert("member_id", 1)?;
    session.save()?;
    let key = session.key().unwrap().to_owned();
    assert_eq!(
        manager.session(Some(&key)).get::<u32>("member_id")?,
        Some(1)
    );

    // A store of the same shape, to show where the session went: both halves.
    let store = CachedStore::new(MokaStore::new(), SqliteStore::in_memory()?);
    let key = store.create(&session_core::Record::new(
        b"{}".to_vec(),
        std::time::SystemTime::now() + Duration::from_secs(60),
    ))?;
    assert!(store.cache().contains(&key)? && store.store().exists(&key)?);

    if let (Ok(redis), Ok(pg)) = (std::env::var("REDIS_URL"), std::env::var("DATABASE_URL")) {
        open_shared(&redis, &pg)?;
    }
    println!("ok");
    Ok(())
}
