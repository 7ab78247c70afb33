//! Where the stores of this crate run their work for async callers.
//!
//! [`SqliteStore`] runs an operation in place when it can finish without waiting, and on
//! tokio's blocking pool otherwise (see [`SqliteConfig::with_inline`](crate::SqliteConfig::with_inline)).
//! Outside a tokio runtime it runs on the calling thread. (`PostgresStore` is async-native:
//! its operations are in its own module.)

use std::time::SystemTime;

use session_core::{
    AsyncClearExpired, AsyncSessionStore, ClearExpired, Record, Result, SessionStore,
};

use crate::SqliteStore;

session_core::tokio_blocking_runner!(fn run, "session-db");

impl AsyncSessionStore for SqliteStore {
    async fn load_record(&self, key: &str) -> Result<Option<Record>> {
        if let Some(done) = self
            .in_place(|s, deadline| s.load_record_by(deadline, key))
            .await
        {
            return done;
        }
        let key = key.to_owned();
        run(self.clone(), move |s| SessionStore::load_record(s, &key)).await
    }

    async fn load(&self, key: &str) -> Result<Option<Vec<u8>>> {
        if let Some(done) = self.in_place(|s, deadline| s.load_by(deadline, key)).await {
            return done;
        }
        let key = key.to_owned();
        run(self.clone(), move |s| SessionStore::load(s, &key)).await
    }

    async fn create(&self, record: &Record) -> Result<String> {
        if let Some(done) = self
            .in_place(|s, deadline| s.create_by(deadline, record))
            .await
        {
            return done;
        }
        let record = record.clone();
        run(self.clone(), move |s| SessionStore::create(s, &record)).await
    }

    async fn save(&self, key: &str, record: &Record) -> Result<String> {
        if let Some(done) = self
            .in_place(|s, deadline| s.save_by(deadline, key, record))
            .await
        {
            return done;
        }
        let (key, record) = (key.to_owned(), record.clone());
        run(self.clone(), move |s| SessionStore::save(s, &key, &record)).await
    }

    async fn delete(&self, key: &str) -> Result<()> {
        if let Some(done) = self
            .in_place(|s, deadline| s.delete_by(deadline, key))
            .await
        {
            return done;
        }
        let key = key.to_owned();
        run(self.clone(), move |s| SessionStore::delete(s, &key)).await
    }

    async fn exists(&self, key: &str) -> Result<bool> {
        if let Some(done) = self
            .in_place(|s, deadline| s.exists_by(deadline, key))
            .await
        {
            return done;
        }
        let key = key.to_owned();
        run(self.clone(), move |s| SessionStore::exists(s, &key)).await
    }

    async fn touch(&self, key: &str, expires_at: SystemTime) -> Result<()> {
        if let Some(done) = self
            .in_place(|s, deadline| s.touch_by(deadline, key, expires_at))
            .await
        {
            return done;
        }
        let key = key.to_owned();
        run(self.clone(), move |s| {
            SessionStore::touch(s, &key, expires_at)
        })
        .await
    }
}

/// A sweep can hold the write lock for many batches: always on the blocking pool.
impl AsyncClearExpired for SqliteStore {
    async fn clear_expired(&self) -> Result<u64> {
        run(self.clone(), ClearExpired::clear_expired).await
    }
}
