//! The causes this crate puts inside [`session_core::Error::Backend`].
//!
//! Every failure reaches the caller as `Error::Backend { backend: "sqlite" | "postgres", .. }`;
//! these types are its [`source`](std::error::Error::source) when the engine's own error
//! would not say enough (which file, which table). Downcast to inspect them.

use std::path::PathBuf;

/// A database could not be opened or prepared: not an SQLite file, unreadable, locked for
/// longer than the busy timeout while the schema was checked… The engine's error is the
/// source.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("garbage.db");
/// std::fs::write(&path, vec![b'x'; 4096])?;
/// let err = session_db::SqliteStore::open(&path).unwrap_err();
/// let open = std::error::Error::source(&err)
///     .and_then(|e| e.downcast_ref::<session_db::OpenError>())
///     .expect("an OpenError");
/// assert!(open.to_string().contains("garbage.db"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, thiserror::Error)]
#[error("cannot open the session database `{}`", path.display())]
pub struct OpenError {
    /// The database that failed (`:memory:` for an in-memory one; the URL without its
    /// password for PostgreSQL).
    pub path: PathBuf,
    /// What the engine said.
    #[source]
    pub source: Box<dyn std::error::Error + Send + Sync + 'static>,
}

/// A table name that is not a plain SQL identifier. Names must match
/// `[A-Za-z_][A-Za-z0-9_]*`, be at most 48 characters, and not start with `sqlite_`, so
/// they can never carry SQL.
///
/// ```
/// let err = session_db::SqliteConfig::native().with_table("x\"; DROP TABLE y; --").unwrap_err();
/// assert!(err.to_string().contains("not a valid table name"));
/// ```
#[derive(Debug, thiserror::Error)]
#[error(
    "{0:?} is not a valid table name: use 1 to 48 characters of [A-Za-z0-9_], not starting with a digit or `sqlite_`"
)]
pub struct InvalidTableName(pub String);

/// The session table exists but is not what this store expects.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("s.db");
/// let raw = rusqlite::Connection::open(&path)?;
/// raw.execute_batch("CREATE TABLE sessions (id INTEGER PRIMARY KEY, blob TEXT)")?;
/// let err = session_db::SqliteStore::open(&path).unwrap_err();
/// let schema = std::error::Error::source(&err)
///     .and_then(|e| e.downcast_ref::<session_db::OpenError>())
///     .and_then(|e| std::error::Error::source(e))
///     .and_then(|e| e.downcast_ref::<session_db::SchemaError>());
/// assert!(matches!(schema, Some(session_db::SchemaError::MissingColumns { .. })));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// The table was made by a newer version of this crate.
    #[error(
        "table `{table}` has schema version {found}; this version of session-db supports up to {supported}"
    )]
    TooNew {
        /// The table.
        table: String,
        /// The version recorded in the database.
        found: i64,
        /// [`SCHEMA_VERSION`](crate::SCHEMA_VERSION).
        supported: i64,
    },
    /// The table exists but lacks columns the store needs (someone else's table, or a
    /// native table opened in Django mode or the reverse).
    #[error(
        "table `{table}` exists but has no column(s) {columns:?}; is it a {mode} session table?"
    )]
    MissingColumns {
        /// The table.
        table: String,
        /// The missing columns.
        columns: Vec<&'static str>,
        /// The layout that was expected (`native` or `django`).
        mode: &'static str,
    },
}

/// An SQLite operation could not get the database within the busy timeout
/// ([`SqliteConfig::with_busy_timeout`](crate::SqliteConfig::with_busy_timeout)): another
/// process held its write lock, or other requests of this process kept the connection
/// busy, for that long. The wait for the connection and SQLite's own wait for the lock
/// share the one timeout, so no operation waits longer. When SQLite itself gave up, its
/// `database is locked` error is the source.
///
/// ```
/// use std::time::Duration;
/// use session_core::{Record, SessionStore};
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("s.db");
/// let store = session_db::SqliteConfig::native()
///     .with_busy_timeout(Duration::from_millis(20))
///     .open(&path)?;
/// let other = rusqlite::Connection::open(&path)?; // another process, say
/// other.execute_batch("BEGIN IMMEDIATE")?;
/// let err = store.create(&Record::new(vec![], std::time::SystemTime::now())).unwrap_err();
/// let timeout = std::error::Error::source(&err)
///     .and_then(|e| e.downcast_ref::<session_db::LockTimeout>())
///     .expect("a LockTimeout");
/// assert_eq!(timeout.timeout, Duration::from_millis(20));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, thiserror::Error)]
#[error("timed out after {timeout:?} waiting for the session database's lock")]
pub struct LockTimeout {
    /// The busy timeout that ran out.
    pub timeout: std::time::Duration,
    /// SQLite's error when SQLite gave up waiting; `None` when the connection stayed busy
    /// with other operations of this store for the whole timeout.
    #[source]
    pub source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}
