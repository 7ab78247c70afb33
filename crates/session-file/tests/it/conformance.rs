//! The shared store-conformance suite, once per configuration.

use std::time::Duration;

use session_core::{ClearExpired, Record, Result, SessionStore};
use session_file::{FileConfig, FileStore};
use tempfile::TempDir;

/// A [`FileStore`] that owns (and on drop removes) its temporary directory.
pub struct TempStore {
    store: FileStore,
    _dir: TempDir,
}

impl TempStore {
    pub fn new(config: FileConfig) -> Self {
        let dir = tempfile::tempdir().unwrap();
        TempStore {
            store: FileStore::with_config(dir.path(), config).unwrap(),
            _dir: dir,
        }
    }
}

impl SessionStore for TempStore {
    fn load(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.store.load(key)
    }
    fn create(&self, record: &Record) -> Result<String> {
        self.store.create(record)
    }
    fn save(&self, key: &str, record: &Record) -> Result<String> {
        self.store.save(key, record)
    }
    fn delete(&self, key: &str) -> Result<()> {
        self.store.delete(key)
    }
    fn exists(&self, key: &str) -> Result<bool> {
        self.store.exists(key)
    }
    fn runs_inline(&self) -> bool {
        self.store.runs_inline()
    }
}

impl ClearExpired for TempStore {
    fn clear_expired(&self) -> Result<u64> {
        self.store.clear_expired()
    }
}

// fsync off: the suite makes 20,000 creates; `store::fsync_on_round_trip` covers fsync on.
session_core::conformance_tests!(
    native_flat,
    TempStore::new(FileConfig::default().fsync(false)),
    clear_expired
);
session_core::conformance_tests!(
    native_sharded,
    TempStore::new(FileConfig::default().fsync(false).sharded(true)),
    clear_expired
);
session_core::conformance_tests!(
    django_mode,
    TempStore::new(
        FileConfig::default()
            .fsync(false)
            .django(Duration::from_secs(1_209_600))
    ),
    clear_expired
);
