//! `CachedStore` (Django's `cached_db`) over `MokaStore` and `MemoryStore`.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use session_cache::{CachedStore, KeyedCache, MokaStore};
use session_core::{ClearExpired, Error, MemoryStore, Record, SessionManager, SessionStore};

use crate::doubles::{CountingStore, FailingCache, GatedStore, capture_logs, live};

fn cached() -> CachedStore<MokaStore, MemoryStore> {
    CachedStore::new(MokaStore::new(), MemoryStore::new())
}

session_core::conformance_tests!(over_memory, cached(), clear_expired);
session_core::async_conformance_tests!(async_over_memory, cached(), clear_expired);
session_core::conformance_tests!(
    failing_cache,
    CachedStore::new(FailingCache::default(), MemoryStore::new()),
    clear_expired
);
session_core::conformance_tests!(
    no_fill,
    cached().with_fill_ttl(Duration::ZERO),
    clear_expired
);

#[test]
fn failing_cache_never_fails_a_save_and_is_logged() {
    let store = CachedStore::new(FailingCache::default(), MemoryStore::new());
    let ((), logs) = capture_logs(|| {
        let key = store.create(&live(b"one")).unwrap();
        assert_eq!(store.save(&key, &live(b"two")).unwrap(), key);
        assert_eq!(store.load(&key).unwrap().as_deref(), Some(&b"two"[..]));
        assert!(store.exists(&key).unwrap());
        store.delete(&key).unwrap();
        assert!(!store.exists(&key).unwrap());
    });
    assert!(
        store
            .cache()
            .calls
            .load(std::sync::atomic::Ordering::Relaxed)
            >= 5
    );
    assert!(logs.contains("WARN"), "{logs}");
    assert!(logs.contains("session cache failed"), "{logs}");
    // The cause is in the log line, not only the wrapper's message.
    assert!(logs.contains("cache server down"), "{logs}");
}

#[test]
fn failing_cache_through_the_manager() {
    // Django's test_cache_set_failure_non_fatal, end to end.
    let manager = SessionManager::new_sync(CachedStore::new(
        FailingCache::default(),
        MemoryStore::new(),
    ));
    let mut session = manager.session(None);
    session.insert("a", 1).unwrap();
    session.save().unwrap();
    let key = session.key().unwrap().to_owned();
    assert_eq!(
        manager.session(Some(&key)).get::<i32>("a").unwrap(),
        Some(1)
    );
}

#[test]
fn exists_answered_from_the_cache() {
    let store = CachedStore::new(MokaStore::new(), CountingStore::default());
    let key = store.create(&live(b"{}")).unwrap();
    let before = store.store().reads();
    assert!(store.exists(&key).unwrap());
    assert_eq!(store.load(&key).unwrap().as_deref(), Some(&b"{}"[..]));
    assert_eq!(store.store().reads(), before, "the store was asked");
}

#[test]
fn miss_reads_the_store_and_fills_the_cache() {
    let store = CachedStore::new(MokaStore::new(), CountingStore::default());
    let key = store.store().create(&live(b"{}")).unwrap(); // behind the cache's back
    assert!(!store.cache().contains(&key).unwrap());
    assert_eq!(store.load(&key).unwrap().as_deref(), Some(&b"{}"[..]));
    assert!(store.cache().contains(&key).unwrap());
    let reads = store.store().reads();
    assert_eq!(store.load(&key).unwrap().as_deref(), Some(&b"{}"[..]));
    assert_eq!(store.store().reads(), reads);
}

#[test]
fn exists_falls_back_to_the_store_on_a_miss() {
    let store = CachedStore::new(MokaStore::new(), CountingStore::default());
    let key = store.store().create(&live(b"{}")).unwrap();
    assert!(store.exists(&key).unwrap());
}

#[test]
fn overlong_key_loads_empty() {
    let store = CachedStore::new(MokaStore::new(), CountingStore::default());
    let key = "a".repeat(1240);
    assert_eq!(store.load(&key).unwrap(), None);
    assert!(!store.exists(&key).unwrap());
    assert_eq!(
        store.store().reads(),
        0,
        "a malformed key reached the store"
    );
}

#[test]
fn create_then_save_is_in_the_cache() {
    let store = cached();
    let key = store.create(&live(b"one")).unwrap();
    store.save(&key, &live(b"two")).unwrap();
    assert_eq!(
        store.cache().get(&key).unwrap().map(|r| r.data).as_deref(),
        Some(&b"two"[..])
    );
    assert_eq!(
        store.store().load(&key).unwrap().as_deref(),
        Some(&b"two"[..])
    );
}

#[test]
fn delete_removes_from_both() {
    let store = cached();
    let key = store.create(&live(b"one")).unwrap();
    store.delete(&key).unwrap();
    assert!(!store.cache().contains(&key).unwrap());
    assert!(!store.store().exists(&key).unwrap());
}

#[test]
fn store_is_the_truth_for_save() {
    // Deleted in the store behind the cache's back (another node, clearsessions): the
    // cached copy must not let a save succeed, and it is dropped.
    let store = cached();
    let key = store.create(&live(b"one")).unwrap();
    store.store().delete(&key).unwrap();
    assert!(matches!(
        store.save(&key, &live(b"two")),
        Err(Error::Interrupted)
    ));
    assert!(!store.cache().contains(&key).unwrap());
    assert_eq!(store.load(&key).unwrap(), None);
}

#[test]
fn clear_expired_is_the_stores() {
    let store = cached();
    store
        .create(&Record::new(
            vec![],
            SystemTime::now() - Duration::from_secs(1),
        ))
        .unwrap();
    store.create(&live(b"{}")).unwrap();
    assert_eq!(store.clear_expired().unwrap(), 1);
    assert_eq!(store.store().len(), 1);
}

#[test]
fn runs_inline_only_when_both_do() {
    assert!(cached().runs_inline());
    assert!(!CachedStore::new(FailingCache::default(), MemoryStore::new()).runs_inline());
    assert!(!CachedStore::new(MokaStore::new(), CountingStore::default()).runs_inline());
}

#[test]
fn racing_creates_are_distinct() {
    let store = Arc::new(cached());
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                (0..2_000)
                    .map(|_| store.create(&live(b"{}")).unwrap())
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut all = std::collections::HashSet::new();
    for h in handles {
        for k in h.join().unwrap() {
            assert!(all.insert(k));
        }
    }
    assert_eq!(all.len(), 4_000);
}

#[test]
fn shared_cache_through_arc() {
    let cache = Arc::new(MokaStore::new());
    let store = CachedStore::new(Arc::clone(&cache), MemoryStore::new());
    let key = store.create(&live(b"x")).unwrap();
    assert!(cache.contains(&key).unwrap());
}

#[test]
fn no_write_or_fill_brings_back_a_deleted_session() {
    // Savers and loaders (whose misses fill the cache) race a delete: once the delete has
    // returned, neither the store nor the cache may hold the session.
    for _ in 0..100 {
        let store = Arc::new(cached().with_fill_ttl(Duration::from_secs(60)));
        let key = store.create(&live(b"v0")).unwrap();
        store.cache().remove(&key).unwrap(); // make loads miss and fill
        let start = Arc::new(std::sync::Barrier::new(4));
        let workers: Vec<_> = (0..3)
            .map(|t| {
                let (store, start, key) = (Arc::clone(&store), Arc::clone(&start), key.clone());
                std::thread::spawn(move || {
                    start.wait();
                    for _ in 0..30 {
                        if t == 0 {
                            match store.save(&key, &live(b"v1")) {
                                Ok(_) | Err(Error::Interrupted) => {}
                                Err(e) => panic!("{e}"),
                            }
                        } else {
                            store.cache().remove(&key).unwrap();
                            store.load(&key).unwrap();
                        }
                    }
                })
            })
            .collect();
        start.wait();
        store.delete(&key).unwrap();
        for w in workers {
            w.join().unwrap();
        }
        assert!(
            !store.cache().contains(&key).unwrap(),
            "the cache kept a deleted session"
        );
        assert_eq!(store.load(&key).unwrap(), None);
    }
}

#[test]
fn a_fill_cannot_undo_a_delete() {
    // A load misses the cache and reads the store; a logout deletes the session; only
    // then would the load fill the cache. The fill must not put the session back.
    let store = Arc::new(CachedStore::new(MokaStore::new(), GatedStore::default()));
    let key = store.store().inner.create(&live(b"v0")).unwrap(); // not in the cache
    store
        .store()
        .armed
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let loader = {
        let (store, key) = (Arc::clone(&store), key.clone());
        std::thread::spawn(move || store.load(&key).unwrap())
    };
    store.store().reached.wait(); // the loader has read the store
    let deleter = {
        let (store, key) = (Arc::clone(&store), key.clone());
        std::thread::spawn(move || store.delete(&key).unwrap())
    };
    // Give an implementation without the per-key lock time to finish its delete first.
    // (Correct code passes whatever the timing: its delete waits for the fill.)
    std::thread::sleep(Duration::from_millis(50));
    store.store().release.wait();
    assert_eq!(loader.join().unwrap().as_deref(), Some(&b"v0"[..]));
    deleter.join().unwrap();
    assert!(
        !store.cache().contains(&key).unwrap(),
        "the fill put a deleted session back"
    );
    assert_eq!(store.load(&key).unwrap(), None);
}

/// The log lines of `logs` that mention `op="<op>"`.
fn lines_for<'a>(logs: &'a str, op: &str) -> Vec<&'a str> {
    let field = format!("op=\"{op}\"");
    logs.lines().filter(|l| l.contains(&field)).collect()
}

/// A cache write that fails after the store's write succeeded leaves the cache out of
/// step with the store: logged at ERROR with its cause (Django's `logger.exception` in
/// `cached_db.save`), while read-side failures, which cost only a store read, stay at WARN.
#[test]
fn failed_cache_writes_after_store_writes_are_errors() {
    let store = CachedStore::new(FailingCache::default(), MemoryStore::new());
    let ((), logs) = capture_logs(|| {
        let key = store.create(&live(b"one")).unwrap();
        store.save(&key, &live(b"two")).unwrap();
        store.delete(&key).unwrap();
        assert_eq!(store.load(&key).unwrap(), None);
    });
    let puts = lines_for(&logs, "put");
    assert_eq!(puts.len(), 2, "{logs}");
    let removes = lines_for(&logs, "remove");
    assert_eq!(removes.len(), 1, "{logs}");
    for line in puts.iter().chain(&removes) {
        assert!(line.contains(" ERROR "), "not at ERROR: {line}");
        assert!(line.contains("cache server down"), "no cause: {line}");
    }
    let gets = lines_for(&logs, "get");
    assert_eq!(gets.len(), 1, "{logs}");
    assert!(gets[0].contains(" WARN "), "{}", gets[0]);
}

/// A fill TTL too long to add to the clock saturates at the expiry ceiling.
#[test]
fn a_huge_fill_ttl_saturates() {
    let store = CachedStore::new(MokaStore::new(), MemoryStore::new()).with_fill_ttl(Duration::MAX);
    let key = store.store().create(&live(b"{}")).unwrap();
    assert_eq!(store.load(&key).unwrap().as_deref(), Some(&b"{}"[..]));
    assert!(store.cache().contains(&key).unwrap());
}

/// A hit of an in-memory cache is answered on the calling task; a miss waits for the
/// blocking pool (here kept busy, so "finished" says where each ran).
#[test]
fn async_hits_of_a_memory_cache_answer_in_place() {
    use session_core::AsyncSessionStore;
    let store = cached();
    let key = SessionStore::create(&store, &live(b"hot")).unwrap();
    let cold = SessionStore::create(store.store(), &live(b"cold")).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .max_blocking_threads(1)
        .enable_time()
        .build()
        .unwrap();
    let (free, freed) = std::sync::mpsc::channel::<()>();
    runtime.spawn_blocking(move || freed.recv_timeout(Duration::from_secs(60)));
    runtime.block_on(async {
        let hit = AsyncSessionStore::load_record(&store, &key).await.unwrap();
        assert_eq!(hit.unwrap().data, b"hot");
        assert!(AsyncSessionStore::exists(&store, &key).await.unwrap());
        assert!(
            AsyncSessionStore::load_record(&store, "../x")
                .await
                .unwrap()
                .is_none()
        );
        let task_store = store.clone();
        let miss =
            tokio::spawn(async move { AsyncSessionStore::load_record(&task_store, &cold).await });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!miss.is_finished(), "a cache miss ran in place");
        free.send(()).unwrap();
        assert_eq!(miss.await.unwrap().unwrap().unwrap().data, b"cold");
    });
}
