//! Striped per-key locks: the read-then-write steps of one key are serialized, while
//! different keys almost never wait on each other.

use foldhash::fast::RandomState;
use std::hash::BuildHasher;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Enough stripes that two busy keys rarely share one on a machine with many cores.
const STRIPES: usize = 64;

pub(crate) struct KeyLocks {
    stripes: Box<[Mutex<()>]>,
    hasher: RandomState,
}

impl KeyLocks {
    pub(crate) fn new() -> Self {
        KeyLocks {
            stripes: (0..STRIPES).map(|_| Mutex::new(())).collect(),
            hasher: RandomState::default(),
        }
    }

    /// Holds the stripe of `key` until the guard drops.
    pub(crate) fn lock(&self, key: &str) -> MutexGuard<'_, ()> {
        let i = (self.hasher.hash_one(key) as usize) % self.stripes.len();
        // The guarded data is `()`: a panic elsewhere cannot leave it inconsistent.
        self.stripes[i]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}
