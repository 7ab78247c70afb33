//! The shared store-conformance suite, once per configuration.

use std::time::Duration;

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

session_core::forward_store!(TempStore => store, clear_expired, async);

// fsync off: the suite makes 20,000 creates; `store::fsync_on_round_trip` covers fsync on.
session_core::conformance_tests!(
    native_flat,
    TempStore::new(FileConfig::default().with_fsync(false)),
    clear_expired
);
session_core::conformance_tests!(
    native_sharded,
    TempStore::new(FileConfig::default().with_fsync(false).with_sharded(true)),
    clear_expired
);
session_core::conformance_tests!(
    django_mode,
    TempStore::new(
        FileConfig::default()
            .with_fsync(false)
            .with_django(Duration::from_secs(1_209_600))
    ),
    clear_expired
);

// The async side, through its `AsyncSessionStore` methods.
session_core::async_conformance_tests!(
    async_native_flat,
    TempStore::new(FileConfig::default().with_fsync(false)),
    clear_expired
);
