//! The file page of the book: `FileStore` (session-file), one file per session.
//!
//! `cargo run -p session-examples --example backend_file`

use std::error::Error;
use std::path::Path;
use std::time::Duration;

use session_core::{ClearExpired, SessionManager};
use session_file::{FileConfig, FileStore};

// ANCHOR: open
fn open(dir: &Path) -> Result<SessionManager, Box<dyn Error>> {
    // The directory must exist (as in Django); `FileStore::create_dir` makes it (mode 0700).
    let store = FileStore::new(dir)?;
    Ok(SessionManager::new(store))
}
// ANCHOR_END: open

// ANCHOR: options
fn open_with_options(dir: &Path) -> Result<FileStore, Box<dyn Error>> {
    let config = FileConfig::default()
        .with_create_dir(true) // create the directory (and parents) if missing
        .with_fsync(true) // the default: a power cut loses no saved session
        .with_sharded(true) // 256 subdirectories, for very many sessions
        .with_stale_temp_age(Duration::from_secs(600)); // temp files older than this are swept
    Ok(FileStore::with_config(dir.join("sessions"), config)?)
}
// ANCHOR_END: options

pub fn main() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let manager = open(dir.path())?;
    let mut session = manager.session(None);
    session.insert("cart", [1, 2])?;
    session.save()?;
    let key = session.key().unwrap().to_owned();
    assert_eq!(
        manager.session(Some(&key)).get::<Vec<u8>>("cart")?,
        Some(vec![1, 2])
    );

    let store = open_with_options(dir.path())?;
    assert_eq!(store.clear_expired()?, 0);
    println!("ok");
    Ok(())
}
