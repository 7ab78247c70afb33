//! Where the file store runs its work for async callers: reads in place (unless
//! [`FileConfig::inline_reads`](crate::FileConfig::inline_reads) is off), writes on tokio's
//! blocking pool, a bounded number at once
//! ([`FileConfig::pooled_writes`](crate::FileConfig::pooled_writes)); outside a tokio
//! runtime everything runs on the calling thread. A clone of the store is a few pointers.

use session_core::{
    AsyncClearExpired, AsyncSessionStore, ClearExpired, Record, Result, SessionStore,
};

use crate::FileStore;

session_core::tokio_blocking_runner!(fn run, "file");

/// [`run`] for a write, once one of the store's write turns is free
/// ([`FileConfig::pooled_writes`](crate::FileConfig::pooled_writes)): writes sync, so
/// each takes a pool thread for milliseconds, and dozens of them at once crowd the
/// executor's workers off the CPU (and off the pool's lock) for as long.
async fn run_write<T: Send + 'static>(
    store: FileStore,
    f: impl FnOnce(&FileStore) -> Result<T> + Send + 'static,
) -> Result<T> {
    let Some(writers) = store.writers.clone() else {
        return run(store, f).await;
    };
    // never closed, so the permit always comes
    let _turn = writers.acquire_owned().await;
    run(store, f).await
}

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

    session_core::blocking_writes!(run_write);
}

impl AsyncClearExpired for FileStore {
    async fn clear_expired(&self) -> Result<u64> {
        run(self.clone(), ClearExpired::clear_expired).await
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::*;
    use crate::FileConfig;

    /// A write waits on its task for a turn, not on the pool: with the one turn taken, a
    /// save stays pending though the pool is idle, and goes through once the turn is back.
    #[test]
    fn writes_wait_for_a_turn() {
        let dir = tempfile::tempdir().unwrap();
        let config = FileConfig::default().with_pooled_writes(1);
        let store = FileStore::with_config(dir.path(), config).unwrap();
        let live =
            |data: &[u8]| Record::new(data.to_vec(), SystemTime::now() + Duration::from_secs(60));
        let key = SessionStore::create(&store, &live(b"a")).unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        runtime.block_on(async {
            let turn = store
                .writers
                .clone()
                .unwrap()
                .acquire_owned()
                .await
                .unwrap();
            let save = {
                let (store, key) = (store.clone(), key.clone());
                tokio::spawn(
                    async move { AsyncSessionStore::save(&store, &key, &live(b"b")).await },
                )
            };
            tokio::time::sleep(Duration::from_millis(50)).await;
            assert!(!save.is_finished(), "the save ran without a turn");
            drop(turn);
            tokio::time::timeout(Duration::from_secs(30), save)
                .await
                .unwrap()
                .unwrap()
                .unwrap();
        });
        assert_eq!(
            SessionStore::load(&store, &key).unwrap().as_deref(),
            Some(&b"b"[..])
        );
        // no limit at all: no turns to take
        let unlimited = FileConfig::default().with_pooled_writes(0);
        assert!(
            FileStore::with_config(dir.path(), unlimited)
                .unwrap()
                .writers
                .is_none()
        );
    }
}
