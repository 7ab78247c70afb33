//! Integration tests of session-file.

mod concurrency;
mod conformance;
mod crash;
mod django;
mod expiry;
mod in_place;
mod store;

use std::path::Path;
use std::time::{Duration, SystemTime};

use session_core::Record;
use session_file::{FileConfig, FileStore};

/// A record live for an hour.
pub fn live(data: &[u8]) -> Record {
    Record::new(data.to_vec(), SystemTime::now() + Duration::from_secs(3600))
}

/// A store over `dir` with fsync off (tests create many files).
pub fn fast_store(dir: &Path) -> FileStore {
    FileStore::with_config(dir, FileConfig::default().with_fsync(false)).unwrap()
}

/// The names in `dir`, sorted.
pub fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}
