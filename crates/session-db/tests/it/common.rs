//! Helpers shared by the test modules.

use std::time::{Duration, SystemTime};

use session_core::Record;
use session_db::{SqliteConfig, SqliteStore, Synchronous};
use tempfile::TempDir;

/// A store on a file in a temporary directory that lives as long as the store.
pub struct TempDb {
    pub store: SqliteStore,
    pub dir: TempDir,
}

impl TempDb {
    pub fn new(config: SqliteConfig) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = config
            .with_synchronous(Synchronous::Off)
            .open(dir.path().join("sessions.sqlite3"))
            .expect("open");
        TempDb { store, dir }
    }

    pub fn path(&self) -> std::path::PathBuf {
        self.dir.path().join("sessions.sqlite3")
    }
}

session_core::forward_store!(TempDb => store, clear_expired, async);

pub fn live(data: &[u8]) -> Record {
    Record::new(data.to_vec(), SystemTime::now() + Duration::from_secs(3600))
}

pub fn past(data: &[u8]) -> Record {
    Record::new(data.to_vec(), SystemTime::now() - Duration::from_secs(3600))
}

/// xorshift64*: deterministic, dependency-free randomness for operation mixes.
pub struct Rng(pub u64);

impl Rng {
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

/// The error chain of `e`, joined, for assertions on messages.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push_str(": ");
        out.push_str(&s.to_string());
        cur = s.source();
    }
    out
}
