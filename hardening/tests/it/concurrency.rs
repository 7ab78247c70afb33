//! Threads racing create/save/delete/cycle_key on every store.
//!
//! Invariants checked, per store:
//! - no two sessions ever share a key (every key `create` or `cycle_key` hands out is new);
//! - no acknowledged write is lost or shows up under another key: at the end every live
//!   session holds exactly the last value its owner saved, tagged with its owner;
//! - a deleted session is never resurrected: it never loads again, and a save acknowledged
//!   after a delete was acknowledged is a violation.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};
use session_cache::{CachedStore, MokaStore, RedisConfig, RedisStore};
use session_core::{Error, Json, MemoryStore, Record, Serializer, SessionManager, SessionStore};
use session_db::{PostgresConfig, SqliteStore};
use session_file::{FileConfig, FileStore};
use session_hardening::{Rng, server_url};

const THREADS: u64 = 8;

fn record(value: &Value) -> Record {
    let data = value.as_object().expect("an object").clone();
    Record::new(
        Json.to_bytes(&data).unwrap(),
        SystemTime::now() + Duration::from_secs(3600),
    )
}

fn read(store: &dyn SessionStore, key: &str) -> Option<Value> {
    store
        .load(key)
        .unwrap()
        .map(|bytes| Value::Object(Json.from_bytes(&bytes).unwrap()))
}

/// What one thread did to the sessions it owns.
#[derive(Default)]
struct Ledger {
    /// Every key this thread was handed.
    issued: Vec<String>,
    /// Live sessions and the last value acknowledged for each.
    live: HashMap<String, Value>,
    /// Sessions this thread deleted (or cycled away from).
    dead: Vec<String>,
}

/// Each thread owns its sessions and churns them; at the end the books must balance.
fn distinct_sessions(store: Arc<dyn SessionStore>, ops: u64) {
    let manager = SessionManager::new_sync(store.clone());
    let ledgers: Vec<Ledger> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let store = store.clone();
                let manager = manager.clone();
                scope.spawn(move || {
                    let mut rng = Rng::new(t);
                    let mut ledger = Ledger::default();
                    for seq in 0..ops {
                        let value = json!({ "owner": t, "seq": seq });
                        let keys: Vec<String> = ledger.live.keys().cloned().collect();
                        let pick = (!keys.is_empty())
                            .then(|| keys[rng.below(keys.len() as u64) as usize].clone());
                        match (rng.below(10), pick) {
                            (0..=3, _) | (_, None) => {
                                let key = store.create(&record(&value)).unwrap();
                                ledger.issued.push(key.clone());
                                ledger.live.insert(key, value);
                            }
                            (4..=6, Some(key)) => {
                                let saved = store.save(&key, &record(&value)).unwrap();
                                assert_eq!(saved, key, "a server-side save keeps the key");
                                ledger.live.insert(key, value);
                            }
                            (7, Some(key)) => {
                                store.delete(&key).unwrap();
                                ledger.live.remove(&key);
                                ledger.dead.push(key);
                            }
                            (_, Some(key)) => {
                                let mut session = manager.session(Some(&key));
                                assert_eq!(
                                    session.get::<u64>("seq").unwrap(),
                                    ledger.live[&key]["seq"].as_u64(),
                                    "the session holds its last acknowledged value"
                                );
                                session.insert("seq", seq).unwrap();
                                session.cycle_key().unwrap();
                                let new_key = session.key().unwrap().to_owned();
                                // cycle_key writes the data under the new key at creation.
                                ledger.issued.push(new_key.clone());
                                ledger.live.remove(&key);
                                ledger.dead.push(key);
                                ledger.live.insert(new_key, value);
                            }
                        }
                    }
                    ledger
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });

    let mut all = HashSet::new();
    for (t, ledger) in ledgers.iter().enumerate() {
        for key in &ledger.issued {
            assert!(all.insert(key.clone()), "key handed out twice: {key}");
        }
        for (key, value) in &ledger.live {
            assert_eq!(
                read(&*store, key).as_ref(),
                Some(value),
                "thread {t}: lost or foreign write"
            );
            assert!(store.exists(key).unwrap());
        }
        for key in &ledger.dead {
            assert_eq!(
                read(&*store, key),
                None,
                "thread {t}: deleted session {key} resurrected"
            );
            assert!(!store.exists(key).unwrap());
        }
    }
    // Clean up what a shared server keeps.
    for ledger in &ledgers {
        for key in ledger.live.keys() {
            store.delete(key).unwrap();
        }
    }
}

/// All threads hammer the same few sessions: saves race deletes and each other.
fn shared_sessions(store: Arc<dyn SessionStore>, ops: u64) {
    const SLOTS: usize = 4;
    let keys: Vec<String> = (0..SLOTS)
        .map(|slot| {
            store
                .create(&record(&json!({ "slot": slot, "writer": -1 })))
                .unwrap()
        })
        .collect();
    let deleted: Vec<AtomicBool> = (0..SLOTS).map(|_| AtomicBool::new(false)).collect();
    std::thread::scope(|scope| {
        for t in 0..THREADS {
            let (store, keys, deleted) = (store.clone(), &keys, &deleted);
            scope.spawn(move || {
                let mut rng = Rng::new(100 + t);
                for seq in 0..ops {
                    // Slot 0 is deleted once, by thread 0, halfway through.
                    if t == 0 && seq == ops / 2 {
                        store.delete(&keys[0]).unwrap();
                        deleted[0].store(true, Ordering::SeqCst);
                        continue;
                    }
                    let slot = rng.below(SLOTS as u64) as usize;
                    let key = &keys[slot];
                    let was_deleted = deleted[slot].load(Ordering::SeqCst);
                    let value = json!({ "slot": slot, "writer": t, "seq": seq });
                    match store.save(key, &record(&value)) {
                        Ok(saved) => {
                            assert_eq!(&saved, key);
                            assert!(
                                !was_deleted,
                                "save acknowledged after the delete of slot {slot}: resurrected"
                            );
                        }
                        Err(Error::Interrupted) => {
                            assert_eq!(slot, 0, "live session {slot} refused a save");
                        }
                        Err(other) => panic!("save failed: {other}"),
                    }
                    match read(&*store, key) {
                        Some(value) => {
                            assert_eq!(
                                value["slot"], slot,
                                "another session's data under slot {slot}"
                            );
                            assert!(
                                !was_deleted,
                                "slot {slot} loads after its delete was acknowledged"
                            );
                        }
                        None => assert_eq!(slot, 0, "live session {slot} vanished"),
                    }
                }
            });
        }
    });
    assert_eq!(
        read(&*store, &keys[0]),
        None,
        "deleted shared session resurrected"
    );
    for (slot, key) in keys.iter().enumerate().skip(1) {
        assert_eq!(read(&*store, key).unwrap()["slot"], slot);
        store.delete(key).unwrap();
    }
}

/// Two threads cycle the same session's key at once (two concurrent logins): each gets its
/// own new key, the old one is gone, nothing is shared.
fn racing_cycle_key(store: Arc<dyn SessionStore>, rounds: u64) {
    let manager = SessionManager::new_sync(store.clone());
    for round in 0..rounds {
        let mut first = manager.session(None);
        first.insert("round", round).unwrap();
        first.save().unwrap();
        let old = first.key().unwrap().to_owned();
        let new_keys: Vec<String> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..2)
                .map(|t| {
                    let (manager, old) = (&manager, &old);
                    scope.spawn(move || {
                        let mut session = manager.session(Some(old));
                        session.load().unwrap();
                        session.insert("who", t).unwrap();
                        session.cycle_key().unwrap();
                        session.key().unwrap().to_owned()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_ne!(new_keys[0], new_keys[1]);
        assert_eq!(read(&*store, &old), None, "old key survived cycle_key");
        for (t, key) in new_keys.iter().enumerate() {
            let value = read(&*store, key).expect("cycled session lost");
            // A thread that loaded after the other deleted the old key starts empty; it
            // never sees the other's `who`.
            assert_eq!(value["who"], t);
            store.delete(key).unwrap();
        }
    }
}

fn run_all(name: &str, store: Arc<dyn SessionStore>, ops: u64) {
    println!("{name}: distinct sessions");
    distinct_sessions(store.clone(), ops);
    println!("{name}: shared sessions");
    shared_sessions(store.clone(), ops);
    println!("{name}: racing cycle_key");
    racing_cycle_key(store, ops / 10);
}

#[test]
fn memory_store() {
    run_all("memory", Arc::new(MemoryStore::new()), 400);
}

#[test]
fn db_store_file() {
    let dir = tempfile::tempdir().unwrap();
    run_all(
        "db file",
        Arc::new(SqliteStore::open(dir.path().join("s.sqlite3")).unwrap()),
        200,
    );
}

#[test]
fn db_store_in_memory() {
    run_all(
        "db :memory:",
        Arc::new(SqliteStore::in_memory().unwrap()),
        300,
    );
}

#[test]
fn cache_store() {
    run_all("cache", Arc::new(MokaStore::new()), 400);
}

#[test]
fn cached_store_over_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = SqliteStore::open(dir.path().join("s.sqlite3")).unwrap();
    run_all(
        "cached_db",
        Arc::new(CachedStore::new(MokaStore::new(), db)),
        200,
    );
}

#[test]
fn file_store() {
    let dir = tempfile::tempdir().unwrap();
    let store =
        FileStore::with_config(dir.path(), FileConfig::default().with_fsync(false)).unwrap();
    run_all("file", Arc::new(store), 200);
}

#[test]
fn file_store_sharded() {
    let dir = tempfile::tempdir().unwrap();
    let config = FileConfig::default().with_fsync(false).with_sharded(true);
    run_all(
        "file sharded",
        Arc::new(FileStore::with_config(dir.path(), config).unwrap()),
        150,
    );
}

#[cfg_attr(not(session_test_redis), ignore = "needs SESSION_TEST_REDIS_URL")]
#[test]
fn redis_store() {
    let Some(url) = server_url("SESSION_TEST_REDIS_URL") else {
        return;
    };
    let store =
        RedisStore::with_config(RedisConfig::new(url).with_key_prefix("hardening:")).unwrap();
    run_all("redis", Arc::new(store), 150);
}

#[cfg_attr(not(session_test_redis), ignore = "needs SESSION_TEST_REDIS_URL")]
#[test]
fn cached_store_over_redis_and_sqlite() {
    let Some(url) = server_url("SESSION_TEST_REDIS_URL") else {
        return;
    };
    let redis =
        RedisStore::with_config(RedisConfig::new(url).with_key_prefix("hardening-cache:")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = SqliteStore::open(dir.path().join("s.sqlite3")).unwrap();
    run_all(
        "cached_db over redis",
        Arc::new(CachedStore::new(redis, db)),
        100,
    );
}

#[cfg_attr(not(session_test_postgres), ignore = "needs SESSION_TEST_POSTGRES_URL")]
#[test]
fn postgres_store() {
    let Some(url) = server_url("SESSION_TEST_POSTGRES_URL") else {
        return;
    };
    let store = PostgresConfig::native()
        .with_table("hardening_sessions")
        .unwrap()
        .connect(&url)
        .unwrap();
    run_all("postgres", Arc::new(store), 100);
}
