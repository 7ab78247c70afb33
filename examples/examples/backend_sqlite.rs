//! The SQLite page of the book: opening `SqliteStore`, its options, sweeping.
//!
//! `cargo run -p session-examples --example backend_sqlite`

use std::error::Error;
use std::path::Path;
use std::time::Duration;

use session_core::{ClearExpired, SessionManager};
use session_db::{SqliteConfig, SqliteStore, Synchronous};

// ANCHOR: open
fn open(dir: &Path) -> Result<SessionManager, Box<dyn Error>> {
    // A file (created with its table if absent), or `SqliteStore::in_memory()` for tests.
    let store = SqliteStore::open(dir.join("sessions.sqlite3"))?;
    Ok(SessionManager::new(store))
}
// ANCHOR_END: open

// ANCHOR: options
fn open_with_options(dir: &Path) -> Result<SqliteStore, Box<dyn Error>> {
    let store = SqliteConfig::native()
        .with_table("web_sessions")? // a plain identifier, else an error
        .with_busy_timeout(Duration::from_secs(2)) // wait this long for another writer
        .with_readers(2) // read connections beside the one writer
        .with_synchronous(Synchronous::Full) // fsync every commit: lose nothing
        .with_batch_size(5_000) // the most rows of one clear_expired transaction
        .open(dir.join("app.sqlite3"))?;
    Ok(store)
}
// ANCHOR_END: options

// ANCHOR: sweep
fn sweep(store: &SqliteStore) -> Result<(), Box<dyn Error>> {
    // How many are expired (for a progress bar), then delete them batch by batch.
    let total = store.count_expired()?;
    let deleted = store.clear_expired_with(|so_far| println!("{so_far}/{total}"))?;
    assert_eq!(deleted, total);
    // Or, through the `ClearExpired` trait every sweepable store implements:
    assert_eq!(store.clear_expired()?, 0);
    Ok(())
}
// ANCHOR_END: sweep

pub fn main() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let manager = open(dir.path())?;
    let mut session = manager.session(None);
    session.insert("cart", [1, 2])?;
    session.save()?;
    let store = open_with_options(dir.path())?;
    assert_eq!(store.table(), "web_sessions");
    sweep(&store)?;
    println!("ok");
    Ok(())
}
