//! The async face of `SqliteStore`: operations that can finish without waiting run on the
//! calling task; one that finds the store's own connections busy waits on its task, then
//! runs in place; anything that would wait for SQLite's lock (another connection's write
//! lock) moves to the blocking pool and waits there; durable commits always move.
//!
//! Each test runs on a runtime whose one blocking thread is kept busy, so an operation
//! that went to the pool cannot finish until the test frees it: "finished" and "still
//! pending" then say where it ran, whatever the machine's speed.

use std::sync::mpsc;
use std::time::{Duration, SystemTime};

use session_core::{AsyncSessionStore, Error};
use session_db::{SqliteConfig, Synchronous};
use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

use crate::common::{TempDb, live};

/// Long enough that a test stuck on the blocking pool fails instead of passing.
const HANG: Duration = Duration::from_secs(60);

/// A current-thread runtime with a single blocking thread, and a sender that frees it.
fn runtime_with_busy_pool() -> (Runtime, mpsc::Sender<()>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .max_blocking_threads(1)
        .enable_time()
        .build()
        .unwrap();
    let (free, freed) = mpsc::channel::<()>();
    runtime.spawn_blocking(move || {
        let _ = freed.recv_timeout(HANG);
    });
    (runtime, free)
}

/// Lets `task` run for a while; it must still be waiting (it is queued behind the busy
/// blocking thread).
async fn assert_pending<T>(task: &JoinHandle<T>) {
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!task.is_finished(), "ran in place though it had to wait");
}

#[test]
fn every_operation_runs_in_place_when_nothing_waits() {
    let db = TempDb::new(SqliteConfig::native());
    let (runtime, _free) = runtime_with_busy_pool();
    runtime.block_on(async {
        tokio::time::timeout(HANG, async {
            let store = &db.store;
            let key = AsyncSessionStore::create(store, &live(b"a")).await.unwrap();
            let record = AsyncSessionStore::load_record(store, &key).await.unwrap();
            assert_eq!(record.unwrap().data, b"a");
            AsyncSessionStore::save(store, &key, &live(b"b"))
                .await
                .unwrap();
            assert!(AsyncSessionStore::exists(store, &key).await.unwrap());
            let later = SystemTime::now() + Duration::from_secs(7200);
            AsyncSessionStore::touch(store, &key, later).await.unwrap();
            AsyncSessionStore::delete(store, &key).await.unwrap();
            assert!(
                AsyncSessionStore::load_record(store, &key)
                    .await
                    .unwrap()
                    .is_none()
            );
        })
        .await
        .expect("an operation waited for the blocking pool");
    });
}

#[test]
fn another_connections_write_lock_sends_writes_to_the_pool_and_spares_reads() {
    let db = TempDb::new(SqliteConfig::native());
    let key = session_core::SessionStore::create(&db.store, &live(b"before")).unwrap();
    // another connection to the file, as another process would be
    let other = rusqlite::Connection::open(db.path()).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let (runtime, free) = runtime_with_busy_pool();
    runtime.block_on(async {
        let store = db.store.clone();
        let save_key = key.clone();
        let save = tokio::spawn(async move {
            AsyncSessionStore::save(&store, &save_key, &live(b"after")).await
        });
        assert_pending(&save).await;
        // WAL: the read needs no lock, so it still runs in place
        let read = tokio::time::timeout(HANG, AsyncSessionStore::load_record(&db.store, &key))
            .await
            .expect("a read waited for the blocking pool");
        assert_eq!(read.unwrap().unwrap().data, b"before");
        // the lock goes, the pool frees up: the save goes through, nothing lost
        other.execute_batch("ROLLBACK").unwrap();
        free.send(()).unwrap();
        tokio::time::timeout(HANG, save)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let read = AsyncSessionStore::load_record(&db.store, &key)
            .await
            .unwrap();
        assert_eq!(read.unwrap().data, b"after");
    });
}

#[test]
fn a_write_waits_on_its_task_for_the_writer_another_operation_holds() {
    let db = TempDb::new(SqliteConfig::native());
    let key = session_core::SessionStore::create(&db.store, &live(b"before")).unwrap();
    let other = rusqlite::Connection::open(db.path()).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    // A sync save on a thread of its own takes the store's writer, then waits for the lock
    // the other connection holds.
    let (started, start) = mpsc::channel::<()>();
    let holder = {
        let (store, key) = (db.store.clone(), key.clone());
        std::thread::spawn(move || {
            started.send(()).unwrap();
            session_core::SessionStore::save(&store, &key, &live(b"first"))
        })
    };
    start.recv().unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let (runtime, free) = runtime_with_busy_pool();
    runtime.block_on(async {
        // The async save finds the writer held: it waits on its task (the pool's one
        // thread is busy, so it could not finish there) ...
        let (store, second_key) = (db.store.clone(), key.clone());
        let second = tokio::spawn(async move {
            AsyncSessionStore::save(&store, &second_key, &live(b"second")).await
        });
        assert_pending(&second).await;
        // ... and runs in place once the holder lets go.
        other.execute_batch("ROLLBACK").unwrap();
        let second = tokio::time::timeout(Duration::from_secs(10), second)
            .await
            .expect("the save waited for the blocking pool");
        second.unwrap().unwrap();
        holder.join().unwrap().unwrap();
        let read = AsyncSessionStore::load_record(&db.store, &key)
            .await
            .unwrap();
        assert_eq!(read.unwrap().data, b"second");
        free.send(()).unwrap();
    });
}

#[test]
fn a_lock_held_past_the_busy_timeout_still_fails_on_the_pool() {
    let db = TempDb::new(SqliteConfig::native().with_busy_timeout(Duration::from_millis(50)));
    let key = session_core::SessionStore::create(&db.store, &live(b"x")).unwrap();
    let other = rusqlite::Connection::open(db.path()).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let err = runtime
        .block_on(AsyncSessionStore::save(&db.store, &key, &live(b"y")))
        .unwrap_err();
    let Error::Backend { source, .. } = &err else {
        panic!("{err:?}");
    };
    assert!(source.is::<session_db::LockTimeout>(), "{err:?}");
    other.execute_batch("ROLLBACK").unwrap();
}

#[test]
fn durable_commits_and_inline_off_always_use_the_pool() {
    let configs = [
        SqliteConfig::native().with_inline(false),
        SqliteConfig::native().with_synchronous(Synchronous::Full),
    ];
    for config in configs {
        let dir = tempfile::tempdir().unwrap();
        let store = config.open(dir.path().join("s.sqlite3")).unwrap();
        let key = session_core::SessionStore::create(&store, &live(b"x")).unwrap();
        let (runtime, free) = runtime_with_busy_pool();
        runtime.block_on(async {
            let task_store = store.clone();
            let load =
                tokio::spawn(
                    async move { AsyncSessionStore::load_record(&task_store, &key).await },
                );
            assert_pending(&load).await;
            free.send(()).unwrap();
            let record = tokio::time::timeout(HANG, load).await.unwrap().unwrap();
            assert_eq!(record.unwrap().unwrap().data, b"x");
        });
    }
}

/// Size of the main database file (the WAL's pages land there at a checkpoint).
fn main_file_len(db: &TempDb) -> u64 {
    std::fs::metadata(db.path()).unwrap().len()
}

#[test]
fn a_background_thread_checkpoints_the_wal() {
    // 100 sessions of 4 KiB: well under SQLite's own 1,000-page automatic checkpoint
    let write = |db: &TempDb| {
        for _ in 0..100 {
            session_core::SessionStore::create(&db.store, &live(&[b'x'; 4096])).unwrap();
        }
    };
    let db =
        TempDb::new(SqliteConfig::native().with_checkpoint_interval(Duration::from_millis(20)));
    let before = main_file_len(&db);
    write(&db);
    let deadline = std::time::Instant::now() + HANG;
    while main_file_len(&db) < before + 100 * 4096 {
        assert!(
            std::time::Instant::now() < deadline,
            "the WAL was never checkpointed"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // without the thread, nothing reaches the file before SQLite's own threshold
    let db = TempDb::new(SqliteConfig::native().with_checkpoint_interval(Duration::ZERO));
    let before = main_file_len(&db);
    write(&db);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(main_file_len(&db), before);
}
