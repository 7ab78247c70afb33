//! The session-file format: `format::parse` / `parse_header` on anything, and
//! `FileStore::load` of a session file holding the fuzz input.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use session_core::SessionStore;
use session_file::{FileConfig, FileStore, format};

const KEY: &str = "fuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzz";

fn store() -> &'static (tempfile::TempDir, FileStore) {
    static STORE: OnceLock<(tempfile::TempDir, FileStore)> = OnceLock::new();
    STORE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::with_config(dir.path(), FileConfig::default().fsync(false)).unwrap();
        (dir, store)
    })
}

fuzz_target!(|data: &[u8]| {
    let parsed = format::parse(data);
    let _ = format::parse_header(data);
    let (dir, store) = store();
    std::fs::write(dir.path().join(format::file_name(KEY)), data).unwrap();
    let loaded = store.load(KEY).unwrap_or(None);
    if let Some(bytes) = &loaded {
        // The store only hands out what the format parser accepts.
        let (_, payload) = parsed.expect("a loaded file parses");
        assert_eq!(bytes.as_slice(), payload);
    }
});
