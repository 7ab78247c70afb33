//! The "writing your own store" chapter: a store, checked by the conformance suite in
//! `tests/it/custom_store.rs`.
//!
//! `cargo run -p session-examples --example custom_store`

// ANCHOR: store
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use session_core::{CREATE_ATTEMPTS, ClearExpired, Error, Record, Result, SessionStore, key};

/// Sessions in a `BTreeMap` behind a mutex: a stand-in for your key-value service.
#[derive(Default)]
pub struct MapStore {
    map: Mutex<BTreeMap<String, Record>>,
}

impl MapStore {
    fn map(&self) -> MutexGuard<'_, BTreeMap<String, Record>> {
        // A panic in another thread must not make every later request panic.
        self.map.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl SessionStore for MapStore {
    fn load_record(&self, key: &str) -> Result<Option<Record>> {
        // Malformed keys are not sessions: never look them up (no error either).
        if !key::is_well_formed(key) {
            return Ok(None);
        }
        let now = SystemTime::now();
        Ok(self
            .map()
            .get(key)
            .filter(|r| !r.is_expired_at(now))
            .cloned())
    }

    fn create(&self, record: &Record) -> Result<String> {
        let mut map = self.map();
        // Never overwrite: on a collision (astronomically rare), try another key.
        for _ in 0..CREATE_ATTEMPTS {
            let key = key::generate();
            if !map.contains_key(&key) {
                map.insert(key.clone(), record.clone());
                return Ok(key);
            }
        }
        Err(Error::KeyExists)
    }

    fn save(&self, key: &str, record: &Record) -> Result<String> {
        let now = SystemTime::now();
        match self.map().get_mut(key) {
            // Only a live session is updated...
            Some(old) if !old.is_expired_at(now) => {
                *old = record.clone();
                Ok(key.to_owned())
            }
            // ...a deleted or expired one is never brought back.
            _ => Err(Error::Interrupted),
        }
    }

    fn delete(&self, key: &str) -> Result<()> {
        self.map().remove(key);
        Ok(())
    }

    fn exists(&self, key: &str) -> Result<bool> {
        Ok(self.load_record(key)?.is_some())
    }

    // Rolling expiry without rewriting the data (optional: the default says
    // `Unsupported` and callers save the whole session instead).
    fn touch(&self, key: &str, expires_at: SystemTime) -> Result<()> {
        let now = SystemTime::now();
        match self.map().get_mut(key) {
            Some(record) if !record.is_expired_at(now) => {
                record.expires_at = expires_at;
                Ok(())
            }
            _ => Err(Error::Interrupted),
        }
    }
}

impl ClearExpired for MapStore {
    fn clear_expired(&self) -> Result<u64> {
        let now = SystemTime::now();
        let mut map = self.map();
        let before = map.len();
        map.retain(|_, r| !r.is_expired_at(now));
        Ok((before - map.len()) as u64)
    }
}

// Async callers (session-tower) reach it through `AsyncSessionStore`. Memory only, so its
// operations may run right on the async executor; a store that blocks would use
// `session_core::impl_async_blocking!` with its runtime's blocking pool instead.
session_core::impl_async_inline!(MapStore, clear_expired);
// ANCHOR_END: store

// ANCHOR: backend_error
/// What a store does with its engine's errors: keep them whole, as the source.
fn engine_failed(cause: std::io::Error) -> Error {
    Error::backend("my-kv", cause)
}
// ANCHOR_END: backend_error

pub fn main() -> Result<()> {
    let manager = session_core::SessionManager::new(MapStore::default());
    let mut session = manager.session(None);
    session.insert("cart", [1, 2])?;
    session.save()?;
    let key = session.key().unwrap().to_owned();
    assert_eq!(
        manager.session(Some(&key)).get::<Vec<u8>>("cart")?,
        Some(vec![1, 2])
    );
    let err = engine_failed(std::io::Error::other("connection reset"));
    assert!(std::error::Error::source(&err).is_some());
    println!("ok");
    Ok(())
}
