//! The in-process cache page of the book: `MokaStore` (session-cache, on moka).
//!
//! `cargo run -p session-examples --example backend_moka`

use session_cache::{CacheConfig, Capacity, MokaStore};
use session_core::{Result, SessionManager};

// ANCHOR: open
fn open() -> SessionManager {
    // At most 100,000 sessions (the default); the least recently used go first.
    SessionManager::new(MokaStore::new())
}
// ANCHOR_END: open

// ANCHOR: options
fn bounded() -> (MokaStore, MokaStore) {
    // Bound by count...
    let by_count = MokaStore::with_config(CacheConfig::new().with_max_entries(50_000));
    // ...or by weight: key + data + 128 bytes of bookkeeping per session.
    let by_bytes = MokaStore::with_config(CacheConfig::new().with_max_bytes(64 << 20));
    assert_eq!(by_bytes.config().capacity(), Capacity::Bytes(64 << 20));
    (by_count, by_bytes)
}
// ANCHOR_END: options

pub fn main() -> Result<()> {
    let manager = open();
    let mut session = manager.session(None);
    session.insert("cart", [1, 2])?;
    session.save()?;
    let key = session.key().unwrap().to_owned();
    assert_eq!(
        manager.session(Some(&key)).get::<Vec<u8>>("cart")?,
        Some(vec![1, 2])
    );
    let (by_count, _) = bounded();
    assert_eq!(by_count.entry_count(), 0);
    println!("ok");
    Ok(())
}
