//! `MokaStore`: conformance plus what is particular to an in-process cache.

use std::collections::HashSet;
use std::sync::{Arc, Barrier};
use std::time::{Duration, SystemTime};

use session_cache::{CacheConfig, KeyedCache, MokaStore};
use session_core::{ClearExpired, Error, Record, SessionStore, key};

use crate::doubles::live;

session_core::conformance_tests!(entries, MokaStore::new(), clear_expired);
session_core::async_conformance_tests!(async_entries, MokaStore::new(), clear_expired);
session_core::conformance_tests!(
    bytes,
    MokaStore::with_config(CacheConfig::new().with_max_bytes(256 << 20)),
    clear_expired
);

#[test]
fn overlong_key_loads_empty() {
    let store = MokaStore::new();
    let key = "a".repeat(1240);
    assert_eq!(store.load(&key).unwrap(), None);
    assert!(!store.exists(&key).unwrap());
    assert!(matches!(
        store.save(&key, &live(b"x")),
        Err(Error::Interrupted)
    ));
    assert!(matches!(
        store.put(&key, &live(b"x")),
        Err(Error::InvalidKey)
    ));
    assert_eq!(store.load(&key).unwrap(), None);
}

#[test]
fn create_then_save_is_in_the_cache() {
    let store = MokaStore::new();
    let key = store.create(&live(b"one")).unwrap();
    store.save(&key, &live(b"two")).unwrap();
    assert_eq!(
        KeyedCache::get(&store, &key)
            .unwrap()
            .map(|r| r.data)
            .as_deref(),
        Some(&b"two"[..])
    );
    assert!(store.contains(&key).unwrap());
}

#[test]
fn racing_creates_are_distinct() {
    const THREADS: usize = 4;
    const EACH: usize = 2_000;
    let store = Arc::new(MokaStore::new());
    let start = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let (store, start) = (Arc::clone(&store), Arc::clone(&start));
            std::thread::spawn(move || {
                start.wait();
                (0..EACH)
                    .map(|i| {
                        let data = format!("{t}/{i}").into_bytes();
                        (store.create(&live(&data)).unwrap(), data)
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut keys = HashSet::new();
    for h in handles {
        for (key, data) in h.join().unwrap() {
            // Nothing was overwritten: each key still holds what its creator wrote.
            assert_eq!(store.load(&key).unwrap(), Some(data));
            assert!(keys.insert(key), "a key was handed out twice");
        }
    }
    assert_eq!(keys.len(), THREADS * EACH);
}

#[test]
fn save_racing_delete_never_resurrects() {
    // Two threads keep saving a session while a third deletes it: whatever the
    // interleaving, once the delete has returned no save may bring the session back.
    let store = Arc::new(MokaStore::new());
    for _ in 0..200 {
        let key = store.create(&live(b"v0")).unwrap();
        let start = Arc::new(Barrier::new(3));
        let savers: Vec<_> = (0..2)
            .map(|_| {
                let (store, start, key) = (Arc::clone(&store), Arc::clone(&start), key.clone());
                std::thread::spawn(move || {
                    start.wait();
                    for _ in 0..50 {
                        match store.save(&key, &live(b"v1")) {
                            Ok(_) | Err(Error::Interrupted) => {}
                            Err(e) => panic!("{e}"),
                        }
                    }
                })
            })
            .collect();
        start.wait();
        store.delete(&key).unwrap();
        for s in savers {
            s.join().unwrap();
        }
        assert_eq!(
            store.load(&key).unwrap(),
            None,
            "a deleted session came back"
        );
    }
}

#[test]
fn capacity_bound_evicts() {
    let store = MokaStore::with_config(CacheConfig::new().with_max_entries(100));
    let keys: Vec<String> = (0..1_000)
        .map(|_| store.create(&live(b"{}")).unwrap())
        .collect();
    store.clear_expired().unwrap(); // runs moka's housekeeping
    let left = keys.iter().filter(|k| store.exists(k).unwrap()).count();
    assert!(left <= 100, "{left} sessions kept, bound is 100");
    assert!(left > 0);
    assert!(store.entry_count() <= 100);
    // Least recently used go first: the newest session survived.
    assert!(store.exists(keys.last().unwrap()).unwrap());
}

#[test]
fn byte_bound_evicts_and_refuses_what_cannot_fit() {
    let store = MokaStore::with_config(CacheConfig::new().with_max_bytes(64 * 1024));
    let big = vec![b'x'; 4 * 1024];
    let keys: Vec<String> = (0..100)
        .map(|_| store.create(&live(&big)).unwrap())
        .collect();
    store.clear_expired().unwrap();
    let left = keys.iter().filter(|k| store.exists(k).unwrap()).count();
    assert!(left <= 16, "{left} sessions of 4 KiB kept in 64 KiB");
    assert!(left > 0);

    let huge = vec![b'x'; 65 * 1024];
    let err = store.create(&live(&huge)).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Backend {
                backend: "moka",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(std::error::Error::source(&err).is_some());
}

#[test]
fn clear_expired_counts_each_expiration_once() {
    let store = MokaStore::new();
    let past = Record::new(vec![], SystemTime::now() - Duration::from_secs(1));
    for _ in 0..3 {
        store.create(&past).unwrap();
    }
    let live_key = store.create(&live(b"{}")).unwrap();
    assert_eq!(store.clear_expired().unwrap(), 3);
    assert_eq!(store.clear_expired().unwrap(), 0);
    assert!(store.exists(&live_key).unwrap());
    assert_eq!(store.entry_count(), 1);
}

/// A sweep that meets a key being written live again (a `CachedStore` fill) keeps it:
/// the sweep checks each expired entry again under the key's lock.
#[test]
fn clear_expired_racing_puts_keeps_the_live_ones() {
    let store = Arc::new(MokaStore::new());
    for _ in 0..20 {
        let past = Record::new(b"old".to_vec(), SystemTime::now() - Duration::from_secs(1));
        let keys: Vec<String> = (0..500).map(|_| key::generate()).collect();
        for k in &keys {
            store.put(k, &past).unwrap();
        }
        let start = Arc::new(Barrier::new(2));
        let writer = {
            let (store, start, keys) = (Arc::clone(&store), Arc::clone(&start), keys.clone());
            std::thread::spawn(move || {
                start.wait();
                for k in &keys {
                    store.put(k, &live(b"new")).unwrap();
                }
            })
        };
        start.wait();
        let swept = store.clear_expired().unwrap();
        writer.join().unwrap();
        assert!(swept <= 500);
        for k in &keys {
            assert_eq!(store.load(k).unwrap().as_deref(), Some(&b"new"[..]));
        }
        for k in &keys {
            store.remove(k).unwrap();
        }
    }
}

#[test]
fn put_of_expired_record_removes() {
    let store = MokaStore::new();
    let key = key::generate();
    store.put(&key, &live(b"a")).unwrap();
    assert!(store.exists(&key).unwrap());
    store
        .put(
            &key,
            &Record::new(vec![], SystemTime::now() - Duration::from_secs(1)),
        )
        .unwrap();
    assert!(!store.exists(&key).unwrap());
}

#[test]
fn debug_shows_no_data() {
    let store = MokaStore::new();
    store.create(&live(b"secret-token")).unwrap();
    let dbg = format!("{store:?}");
    assert!(!dbg.contains("secret-token"), "{dbg}");
}

/// The name of the previous release still works, as a deprecated alias.
#[test]
#[allow(deprecated)]
fn old_name_is_a_deprecated_alias() {
    let store: session_cache::CacheStore = session_cache::CacheStore::new();
    let _: MokaStore = store;
}
