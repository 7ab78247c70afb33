//! The "writing your own store" chapter, async: a store for an engine whose client is
//! async (sqlx, the AWS SDK, an HTTP key-value service), checked by the async conformance
//! suite and served through the tower layer in `tests/it/custom_store.rs`.
//!
//! `cargo run -p session-examples --example async_store`

// ANCHOR: store
use std::collections::HashMap;
use std::time::SystemTime;

use session_core::{
    AsyncClearExpired, AsyncSessionStore, CREATE_ATTEMPTS, Error, Record, Result, key,
};
use tokio::sync::RwLock;

/// Sessions in a map behind tokio's async lock: a stand-in for an engine you reach with
/// `.await`. Nothing here blocks a thread, so it needs no sync side at all.
#[derive(Default)]
pub struct AsyncMapStore {
    map: RwLock<HashMap<String, Record>>,
}

impl AsyncSessionStore for AsyncMapStore {
    async fn load_record(&self, key: &str) -> Result<Option<Record>> {
        if !key::is_well_formed(key) {
            return Ok(None);
        }
        let now = SystemTime::now();
        let map = self.map.read().await;
        Ok(map.get(key).filter(|r| !r.is_expired_at(now)).cloned())
    }

    async fn create(&self, record: &Record) -> Result<String> {
        let mut map = self.map.write().await;
        // Insert-if-absent: never overwrite (with a real engine, a conditional put).
        for _ in 0..CREATE_ATTEMPTS {
            let key = key::generate();
            if !map.contains_key(&key) {
                map.insert(key.clone(), record.clone());
                return Ok(key);
            }
        }
        Err(Error::KeyExists)
    }

    async fn save(&self, key: &str, record: &Record) -> Result<String> {
        let now = SystemTime::now();
        // Update-if-live, in one step under the lock: a deleted session stays deleted.
        match self.map.write().await.get_mut(key) {
            Some(old) if !old.is_expired_at(now) => {
                *old = record.clone();
                Ok(key.to_owned())
            }
            _ => Err(Error::Interrupted),
        }
    }

    async fn delete(&self, key: &str) -> Result<()> {
        self.map.write().await.remove(key);
        Ok(())
    }

    async fn exists(&self, key: &str) -> Result<bool> {
        Ok(self.load_record(key).await?.is_some())
    }

    async fn touch(&self, key: &str, expires_at: SystemTime) -> Result<()> {
        let now = SystemTime::now();
        match self.map.write().await.get_mut(key) {
            Some(record) if !record.is_expired_at(now) => {
                record.expires_at = expires_at;
                Ok(())
            }
            _ => Err(Error::Interrupted),
        }
    }
}

impl AsyncClearExpired for AsyncMapStore {
    async fn clear_expired(&self) -> Result<u64> {
        let now = SystemTime::now();
        let mut map = self.map.write().await;
        let before = map.len();
        map.retain(|_, r| !r.is_expired_at(now));
        Ok((before - map.len()) as u64)
    }
}
// ANCHOR_END: store

// ANCHOR: serve
use axum::{Router, routing::get};
use session_core::SessionManager;
use session_tower::{Session, SessionError, SessionLayer};

/// Counts the visits of one browser, on the async store.
async fn count(session: Session) -> std::result::Result<String, SessionError> {
    let visits = session.get::<u64>("visits").await?.unwrap_or(0) + 1;
    session.insert("visits", visits).await?;
    Ok(format!("You have been here {visits} times."))
}

pub fn app() -> Router {
    // `new_async`: the manager reaches the store only through `AsyncSessionStore`.
    let manager = SessionManager::new_async(AsyncMapStore::default());
    Router::new()
        .route("/", get(count))
        .layer(SessionLayer::new(manager))
}
// ANCHOR_END: serve

#[tokio::main]
pub async fn main() -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!("listening on http://127.0.0.1:3000");
    axum::serve(listener, app()).await
}
