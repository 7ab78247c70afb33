//! SQLite specifics: layout, errors, sweeping, concurrency.

use std::collections::HashMap;
use std::time::Duration;

use session_core::{ClearExpired, Error, SessionManager, SessionStore};
use session_db::{OpenError, SchemaError, SqliteConfig, SqliteStore};

use crate::common::{Rng, TempDb, chain, live, past};

#[test]
fn native_layout_never_stores_the_key() {
    let db = TempDb::new(SqliteConfig::native());
    let key = db.store.create(&live(b"secret data")).unwrap();
    let raw = rusqlite::Connection::open(db.path()).unwrap();
    let (hash, data): (Vec<u8>, Vec<u8>) = raw
        .query_row("SELECT key_hash, data FROM sessions", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(hash.len(), 32);
    assert_ne!(&hash[..], key.as_bytes());
    assert_eq!(data, b"secret data");
    let version: i64 = raw
        .query_row(
            "SELECT version FROM session_db_schema WHERE table_name = 'sessions'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(version, session_db::SCHEMA_VERSION);
    // the whole file never contains the key
    drop(raw);
    let bytes = std::fs::read(db.path()).unwrap();
    let wal = std::fs::read(db.dir.path().join("sessions.sqlite3-wal")).unwrap_or_default();
    for hay in [&bytes, &wal] {
        assert!(!hay.windows(key.len()).any(|w| w == key.as_bytes()));
    }
}

#[test]
fn data_survives_reopen() {
    let db = TempDb::new(SqliteConfig::native());
    let key = db.store.create(&live(b"kept")).unwrap();
    let path = db.path();
    let again = SqliteStore::open(&path).unwrap();
    assert_eq!(again.load(&key).unwrap().as_deref(), Some(&b"kept"[..]));
}

#[test]
fn custom_table_names_are_separate() {
    let db = TempDb::new(SqliteConfig::native());
    let other = SqliteConfig::native()
        .with_table("other_sessions")
        .unwrap()
        .open(db.path())
        .unwrap();
    let key = db.store.create(&live(b"a")).unwrap();
    assert_eq!(other.load(&key).unwrap(), None);
    assert_eq!(other.table(), "other_sessions");
}

#[test]
fn hostile_table_names_are_refused() {
    for name in [
        "",
        "a b",
        "x\"; DROP TABLE y; --",
        "1x",
        "sqlite_master",
        &"a".repeat(49),
    ] {
        let err = SqliteConfig::native().with_table(name).unwrap_err();
        assert_eq!(err.0, name);
    }
}

#[test]
fn not_a_database_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, "this is a text file, not SQLite\n".repeat(200)).unwrap();
    let err = SqliteStore::open(&path).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Backend {
                backend: "sqlite",
                ..
            }
        ),
        "{err:?}"
    );
    let text = chain(&err);
    assert!(text.contains("notes.txt"), "{text}");
    assert!(text.contains("not a database"), "{text}");
    let open = std::error::Error::source(&err)
        .and_then(|e| e.downcast_ref::<OpenError>())
        .expect("OpenError source");
    assert_eq!(open.path, path);
}

#[test]
fn a_foreign_table_of_the_same_name_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.execute_batch("CREATE TABLE django_session (id INTEGER PRIMARY KEY)")
        .unwrap();
    let err = SqliteStore::open_django(&path).unwrap_err();
    assert!(chain(&err).contains("session_key"), "{}", chain(&err));
}

#[test]
fn a_newer_schema_is_refused() {
    let db = TempDb::new(SqliteConfig::native());
    let raw = rusqlite::Connection::open(db.path()).unwrap();
    raw.execute("UPDATE session_db_schema SET version = 99", [])
        .unwrap();
    let err = SqliteStore::open(db.path()).unwrap_err();
    let schema = std::error::Error::source(&err)
        .and_then(|e| e.source())
        .and_then(|e| e.downcast_ref::<SchemaError>());
    assert!(
        matches!(schema, Some(SchemaError::TooNew { found: 99, .. })),
        "{err:?}"
    );
}

#[test]
fn locked_past_the_timeout_is_a_backend_error() {
    let db = TempDb::new(SqliteConfig::native());
    let store = SqliteConfig::native()
        .with_busy_timeout(Duration::from_millis(50))
        .open(db.path())
        .unwrap();
    let key = store.create(&live(b"x")).unwrap();
    let raw = rusqlite::Connection::open(db.path()).unwrap();
    raw.execute_batch("BEGIN IMMEDIATE").unwrap();
    let err = store.create(&live(b"y")).unwrap_err();
    assert!(matches!(
        err,
        Error::Backend {
            backend: "sqlite",
            ..
        }
    ));
    assert!(chain(&err).contains("locked"), "{}", chain(&err));
    // WAL: reads still work while another process writes
    assert_eq!(store.load(&key).unwrap().as_deref(), Some(&b"x"[..]));
    raw.execute_batch("ROLLBACK").unwrap();
    store.create(&live(b"z")).unwrap();
}

#[test]
fn corrupt_rows_load_empty_and_spare_the_others() {
    let db = TempDb::new(SqliteConfig::native());
    let manager = SessionManager::new(db.store.clone());
    let mut good = manager.session(None);
    good.insert("a", 1).unwrap();
    good.save().unwrap();
    let good_key = good.key().unwrap().to_owned();
    let bad_key = db.store.create(&live(b"{}")).unwrap();
    let raw = rusqlite::Connection::open(db.path()).unwrap();
    // garbage in every shape: a non-blob, an integer, random bytes
    raw.execute("UPDATE sessions SET data = 12345 WHERE data = x'7b7d'", [])
        .unwrap();
    let mut bad = manager.session(Some(&bad_key));
    assert!(bad.is_empty().unwrap());
    let mut good = manager.session(Some(&good_key));
    assert_eq!(good.get::<i32>("a").unwrap(), Some(1));
}

#[test]
fn django_mode_refuses_non_utf8_data() {
    let store = SqliteConfig::django().open_in_memory().unwrap();
    let err = store.create(&live(&[0xff, 0xfe, 0x00])).unwrap_err();
    assert!(matches!(err, Error::Serialize(_)), "{err:?}");
    let key = store.create(&live(b"ok")).unwrap();
    let err = store.save(&key, &live(&[0xc3])).unwrap_err();
    assert!(matches!(err, Error::Serialize(_)), "{err:?}");
    assert_eq!(store.load(&key).unwrap().as_deref(), Some(&b"ok"[..]));
}

#[test]
fn django_mode_writes_djangos_text_format() {
    let db = TempDb::new(SqliteConfig::django());
    let at = std::time::UNIX_EPOCH + Duration::from_micros(4_102_444_800_123_456);
    let key = db
        .store
        .create(&session_core::Record::new(b"data".to_vec(), at))
        .unwrap();
    let raw = rusqlite::Connection::open(db.path()).unwrap();
    let (k, d, e): (String, String, String) = raw
        .query_row(
            "SELECT session_key, session_data, expire_date FROM django_session",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!((k.as_str(), d.as_str()), (key.as_str(), "data"));
    assert_eq!(e, "2100-01-01 00:00:00.123456");
    let index: String = raw
        .query_row(
            "SELECT name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(index, "django_session_expire_date_a5c62663");
    // keys Django cannot hold (over 40 chars) are never looked up
    assert_eq!(db.store.load(&"a".repeat(41)).unwrap(), None);
}

#[test]
fn clear_expired_sweeps_in_batches_and_reports_progress() {
    let db = TempDb::new(SqliteConfig::native().with_batch_size(1000));
    let raw = rusqlite::Connection::open(db.path()).unwrap();
    raw.execute_batch(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2500)
         INSERT INTO sessions (key_hash, data, expires_at) SELECT randomblob(32), x'', 0 FROM n",
    )
    .unwrap();
    let keep = db.store.create(&live(b"keep")).unwrap();
    db.store.create(&past(b"gone")).unwrap();
    assert_eq!(db.store.count_expired().unwrap(), 2501);
    let mut progress = Vec::new();
    assert_eq!(
        db.store.clear_expired_with(|n| progress.push(n)).unwrap(),
        2501
    );
    // batches sized by time, never above the cap, oldest first; the rows all share one
    // expiry here, so each batch takes exactly its size of them
    assert_eq!(progress.last(), Some(&2501));
    assert!(progress.len() >= 3, "{progress:?}");
    let mut before = 0;
    for n in &progress {
        assert!(*n > before && n - before <= 1000, "{progress:?}");
        before = *n;
    }
    assert_eq!(db.store.count_expired().unwrap(), 0);
    assert_eq!(db.store.clear_expired().unwrap(), 0);
    assert!(db.store.exists(&keep).unwrap());
}

/// Two threads, each with its own store on one file (as two processes would be), run
/// 5,000 mixed operations each: every write must land, no key may repeat, and no
/// `database is locked` may reach the caller.
#[test]
fn two_writers_on_one_file_lose_nothing() {
    let db = TempDb::new(SqliteConfig::native());
    let path = db.path();
    let threads: Vec<_> = (0..2u64)
        .map(|t| {
            let store = SqliteConfig::native().open(&path).unwrap();
            std::thread::spawn(move || {
                let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (t + 1));
                let mut mine: HashMap<String, Vec<u8>> = HashMap::new();
                let mut created = Vec::new();
                for i in 0..5_000u32 {
                    let pick = mine
                        .keys()
                        .nth(rng.below(mine.len().max(1) as u64) as usize)
                        .cloned();
                    match (rng.below(10), pick) {
                        (0..=3, _) | (_, None) => {
                            let data = format!("t{t}-{i}").into_bytes();
                            let key = store.create(&live(&data)).expect("create");
                            created.push(key.clone());
                            mine.insert(key, data);
                        }
                        (4..=6, Some(key)) => {
                            let data = format!("t{t}-{i}-saved").into_bytes();
                            store.save(&key, &live(&data)).expect("save");
                            mine.insert(key, data);
                        }
                        (7..=8, Some(key)) => {
                            assert_eq!(store.load(&key).expect("load").as_ref(), mine.get(&key));
                        }
                        (_, Some(key)) => {
                            store.delete(&key).expect("delete");
                            mine.remove(&key);
                            assert!(matches!(
                                store.save(&key, &live(b"x")),
                                Err(Error::Interrupted)
                            ));
                        }
                    }
                }
                (mine, created)
            })
        })
        .collect();
    let results: Vec<_> = threads.into_iter().map(|h| h.join().unwrap()).collect();
    let mut all_created: Vec<&String> = results.iter().flat_map(|(_, c)| c).collect();
    let total_created = all_created.len();
    all_created.sort();
    all_created.dedup();
    assert_eq!(all_created.len(), total_created, "a key was issued twice");
    let live_rows: usize = results.iter().map(|(m, _)| m.len()).sum();
    let raw = rusqlite::Connection::open(&path).unwrap();
    let rows: i64 = raw
        .query_row("SELECT count(*) FROM sessions", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows as usize, live_rows);
    for (mine, _) in &results {
        for (key, data) in mine {
            assert_eq!(
                db.store.load(key).unwrap().as_ref(),
                Some(data),
                "lost write"
            );
        }
    }
}

#[test]
fn loads_run_while_a_sweep_and_saves_go_on() {
    let db = TempDb::new(SqliteConfig::native().with_batch_size(100));
    let key = db.store.create(&live(b"live")).unwrap();
    for _ in 0..1000 {
        db.store.create(&past(b"old")).unwrap();
    }
    let sweeper = {
        let store = db.store.clone();
        std::thread::spawn(move || store.clear_expired().unwrap())
    };
    for _ in 0..200 {
        assert_eq!(db.store.load(&key).unwrap().as_deref(), Some(&b"live"[..]));
        db.store.save(&key, &live(b"live")).unwrap();
    }
    assert_eq!(sweeper.join().unwrap(), 1000);
}

#[test]
fn memory_path_is_in_memory() {
    let store = SqliteStore::open(":memory:").unwrap();
    assert_eq!(store.path(), std::path::Path::new(":memory:"));
    let key = store.create(&live(b"m")).unwrap();
    assert!(store.exists(&key).unwrap());
    assert!(format!("{store:?}").contains("SqliteStore"));
}

/// The environment variable that makes [`write_lock_holder_child`] the other process.
const HOLD_LOCK_ENV: &str = "SESSION_DB_TEST_HOLD_WRITE_LOCK";
/// How long the child holds the lock unless the parent lets go first: twenty times the busy
/// timeout of the saves that run into it, but less than the time they would take one
/// after the other.
const HOLD_AT_MOST: Duration = Duration::from_secs(2);
/// The busy timeout of the saves in [`waits_for_a_lock_held_by_another_process_are_bounded`].
const BUSY_TIMEOUT: Duration = Duration::from_millis(100);
/// How many saves run into the lock at once: waiting their turns of [`BUSY_TIMEOUT`] one
/// after the other, most would outlast [`HOLD_AT_MOST`].
const SAVES: usize = 40;
/// What the child prints once it holds the lock.
const LOCKED: &str = "child-holds-the-write-lock";

/// Not a test of its own: the other process of
/// [`waits_for_a_lock_held_by_another_process_are_bounded`], which runs this test binary
/// again with [`HOLD_LOCK_ENV`] set to a database file. It then takes SQLite's write lock
/// on that file (`BEGIN IMMEDIATE`), says [`LOCKED`] on stdout, and holds the lock until its
/// stdin closes or [`HOLD_AT_MOST`] has passed. Without the variable it does nothing.
#[test]
fn write_lock_holder_child() {
    let Some(path) = std::env::var_os(HOLD_LOCK_ENV) else {
        return;
    };
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch("BEGIN IMMEDIATE").unwrap();
    println!("{LOCKED}");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
        let _ = tx.send(());
    });
    let _ = rx.recv_timeout(HOLD_AT_MOST);
    conn.execute_batch("ROLLBACK").unwrap();
}

/// A child process holding a database's write lock; killed if the test fails first.
struct LockHolder(std::process::Child);

impl LockHolder {
    fn start(path: &std::path::Path) -> Self {
        use std::io::BufRead;
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "sqlite::write_lock_holder_child", "--nocapture"])
            .args(["--test-threads", "1", "-q"])
            .env(HOLD_LOCK_ENV, path)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("start the lock-holding process");
        let stdout = child.stdout.take().unwrap();
        let (locked, is_locked) = std::sync::mpsc::channel();
        // reads the child's output to its end, so the child never writes into a closed pipe
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                if line.contains(LOCKED) {
                    let _ = locked.send(());
                }
            }
        });
        let holder = LockHolder(child);
        is_locked
            .recv_timeout(Duration::from_secs(60))
            .expect("the child process never took the lock");
        holder
    }

    /// Lets go of the lock and waits for the child to end.
    fn release(mut self) {
        drop(self.0.stdin.take());
        assert!(self.0.wait().unwrap().success(), "the lock holder failed");
    }
}

impl Drop for LockHolder {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Another process holds the write lock for [`HOLD_AT_MOST`]. Every one of many concurrent
/// saves must give up within the busy timeout — waiting for the connection (busy with the
/// other saves) counts too — and fail with a `LockTimeout`, not queue up behind each other
/// and succeed once the lock is gone. Once every save has returned the lock is released;
/// then saves work again.
#[test]
fn waits_for_a_lock_held_by_another_process_are_bounded() {
    let db = TempDb::new(SqliteConfig::native());
    let store = SqliteConfig::native()
        .with_busy_timeout(BUSY_TIMEOUT)
        .open(db.path())
        .unwrap();
    let keys: Vec<String> = (0..SAVES)
        .map(|_| store.create(&live(b"0")).unwrap())
        .collect();
    let holder = LockHolder::start(&db.path());
    let results: Vec<_> = std::thread::scope(|scope| {
        let saves: Vec<_> = keys
            .iter()
            .map(|key| scope.spawn(|| store.save(key, &live(b"1"))))
            .collect();
        saves.into_iter().map(|s| s.join().unwrap()).collect()
    });
    // every save must have given up while the lock was held
    for result in results {
        let err = result.expect_err("a save succeeded while another process held the lock");
        assert!(
            matches!(
                err,
                Error::Backend {
                    backend: "sqlite",
                    ..
                }
            ),
            "{err:?}"
        );
        let timeout = std::error::Error::source(&err)
            .and_then(|e| e.downcast_ref::<session_db::LockTimeout>())
            .unwrap_or_else(|| panic!("not a LockTimeout: {}", chain(&err)));
        assert_eq!(timeout.timeout, BUSY_TIMEOUT);
        assert!(chain(&err).contains("timed out"), "{}", chain(&err));
    }
    holder.release();
    for key in &keys {
        assert_eq!(store.save(key, &live(b"2")).unwrap(), *key);
        assert_eq!(store.load(key).unwrap().as_deref(), Some(&b"2"[..]));
    }
}

/// The names of the previous release still work, as deprecated aliases.
#[test]
#[allow(deprecated)]
fn old_names_are_deprecated_aliases() {
    let store: session_db::DbStore = session_db::DbStore::in_memory().unwrap();
    let _: session_db::SqliteStore = store;
    let _: session_db::DbConfig = session_db::SqliteConfig::native();
}
