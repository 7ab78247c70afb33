//! The child of the SQLite crash test (`tests/it/crash.rs`): saves sessions to a `SqliteStore`
//! file in a loop, printing `ack <slot> <value>` after each save returns, until killed.
//!
//! Usage: `sqlite-crash-child DB FIRST_VALUE KEY...`. Value `v` goes to slot `v % keys`.
//! Not meant to be run by hand.

use std::io::Write;
use std::time::{Duration, SystemTime};

use session_core::{ClearExpired, Json, Record, Serializer, SessionData, SessionStore};
use session_db::SqliteStore;

fn main() {
    let mut args = std::env::args().skip(1);
    let db = args.next().expect("DB path");
    let first: u64 = args
        .next()
        .and_then(|v| v.parse().ok())
        .expect("first value");
    let keys: Vec<String> = args.collect();
    assert!(!keys.is_empty(), "keys");
    let store = SqliteStore::open(&db).expect("open the database");
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let far = SystemTime::now() + Duration::from_secs(3600);
    for v in first.. {
        let slot = (v % keys.len() as u64) as usize;
        let bytes = Json.to_bytes(&value(slot, v)).expect("encode");
        store
            .save(&keys[slot], &Record::new(bytes, far))
            .expect("save a live session");
        // The acknowledgement: the save returned. One write per line (atomic on a pipe).
        out.write_all(format!("ack {slot} {v}\n").as_bytes())
            .expect("stdout");
        out.flush().expect("stdout");
        // Some churn the test does not track: short-lived sessions and sweeps.
        if v % 7 == 0 {
            let soon = SystemTime::now() + Duration::from_millis(1);
            store
                .create(&Record::new(vec![b'x'; (v % 500) as usize], soon))
                .expect("create");
        }
        if v % 50 == 0 {
            store.clear_expired().expect("clear_expired");
        }
    }
}

/// The session data of value `v` in `slot`: variable size so pages split and merge.
pub fn value(slot: usize, v: u64) -> SessionData {
    let mut data = SessionData::new();
    data.insert("slot".into(), slot.into());
    data.insert("v".into(), v.into());
    data.insert("pad".into(), "p".repeat((v * 37 % 3000) as usize).into());
    data
}
