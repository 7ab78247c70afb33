//! The async face of `FileStore`: reads run on the calling task, writes on the blocking
//! pool. Each test keeps the runtime's one blocking thread busy, so an operation that went
//! to the pool cannot finish until the test frees it: "finished" and "still pending" say
//! where it ran, whatever the machine's speed.

use std::sync::mpsc;
use std::time::Duration;

use session_core::{AsyncSessionStore, SessionStore};
use session_file::{FileConfig, FileStore};

use crate::live;

/// Long enough that a test stuck on the blocking pool fails instead of passing.
const HANG: Duration = Duration::from_secs(60);

fn runtime_with_busy_pool() -> (tokio::runtime::Runtime, mpsc::Sender<()>) {
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

#[test]
fn reads_in_place_writes_on_the_pool() {
    let dir = tempfile::tempdir().unwrap();
    let store =
        FileStore::with_config(dir.path(), FileConfig::default().with_fsync(false)).unwrap();
    let key = SessionStore::create(&store, &live(b"before")).unwrap();
    let (runtime, free) = runtime_with_busy_pool();
    runtime.block_on(async {
        let loaded = tokio::time::timeout(HANG, AsyncSessionStore::load_record(&store, &key))
            .await
            .expect("a read waited for the blocking pool");
        assert_eq!(loaded.unwrap().unwrap().data, b"before");
        assert!(AsyncSessionStore::exists(&store, &key).await.unwrap());
        let (task_store, task_key) = (store.clone(), key.clone());
        let save = tokio::spawn(async move {
            AsyncSessionStore::save(&task_store, &task_key, &live(b"after")).await
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!save.is_finished(), "a write ran in place");
        free.send(()).unwrap();
        tokio::time::timeout(HANG, save)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let loaded = AsyncSessionStore::load_record(&store, &key).await.unwrap();
        assert_eq!(loaded.unwrap().data, b"after");
    });
}

#[test]
fn reads_move_to_the_pool_when_told() {
    let dir = tempfile::tempdir().unwrap();
    let config = FileConfig::default()
        .with_fsync(false)
        .with_inline_reads(false);
    let store = FileStore::with_config(dir.path(), config).unwrap();
    let key = SessionStore::create(&store, &live(b"x")).unwrap();
    let (runtime, free) = runtime_with_busy_pool();
    runtime.block_on(async {
        let task_store = store.clone();
        let load =
            tokio::spawn(async move { AsyncSessionStore::load_record(&task_store, &key).await });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!load.is_finished(), "a read ran in place");
        free.send(()).unwrap();
        let loaded = tokio::time::timeout(HANG, load).await.unwrap().unwrap();
        assert_eq!(loaded.unwrap().unwrap().data, b"x");
    });
}
