//! Where the file store runs its work for async callers: reads in place (unless
//! [`FileConfig::inline_reads`](crate::FileConfig::inline_reads) is off), writes on tokio's
//! blocking pool; outside a tokio runtime everything runs on the calling thread. A clone of
//! the store is a few pointers.

use session_core::{
    AsyncClearExpired, AsyncSessionStore, ClearExpired, Record, Result, SessionStore,
};

use crate::FileStore;

session_core::tokio_blocking_runner!(fn run, "file");

impl AsyncSessionStore for FileStore {
    async fn load_record(&self, key: &str) -> Result<Option<Record>> {
        if self.config().inline_reads {
            return SessionStore::load_record(self, key);
        }
        let key = key.to_owned();
        run(self.clone(), move |s| SessionStore::load_record(s, &key)).await
    }

    async fn load(&self, key: &str) -> Result<Option<Vec<u8>>> {
        if self.config().inline_reads {
            return SessionStore::load(self, key);
        }
        let key = key.to_owned();
        run(self.clone(), move |s| SessionStore::load(s, &key)).await
    }

    async fn exists(&self, key: &str) -> Result<bool> {
        if self.config().inline_reads {
            return SessionStore::exists(self, key);
        }
        let key = key.to_owned();
        run(self.clone(), move |s| SessionStore::exists(s, &key)).await
    }

    session_core::blocking_writes!(run);
}

impl AsyncClearExpired for FileStore {
    async fn clear_expired(&self) -> Result<u64> {
        run(self.clone(), ClearExpired::clear_expired).await
    }
}
