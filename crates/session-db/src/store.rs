//! [`SqliteStore`]: sessions in SQLite.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use parking_lot::{Mutex, MutexGuard};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, ErrorCode, OptionalExtension};
use session_core::{
    CREATE_ATTEMPTS, ClearExpired, Error, Record, Result, SessionManager, SessionStore, key,
    key_prefix,
};
use tokio::sync::Notify;

use crate::checkpoint::Checkpointer;
use crate::schema::{self, DataParam, InstantParam, KeyParam, Sql, SweepBatches};
use crate::{DjangoCodec, LockTimeout, Mode, OpenError, SqliteConfig, Synchronous};

const BACKEND: &str = "sqlite";

/// How many times an async caller waits on its task for a connection of the store before
/// it queues for one on the blocking pool (see [`SqliteStore::in_place`]).
const WAITS_ON_TASK: usize = 3;

/// Sessions in an SQLite database: Django's `db` backend.
///
/// - **Files** run in WAL mode with one writer connection and a few reader connections
///   (see [`SqliteConfig::with_readers`]), so `load`s proceed while a `save` writes.
/// - **Bounded waits**: an operation waits at most the busy timeout
///   ([`SqliteConfig::with_busy_timeout`]) in all — for its connection, which other requests
///   may be using, and for SQLite's write lock, which another process may hold — then
///   fails with [`Error::Backend`] whose source is a [`LockTimeout`].
/// - **Async callers** ([`AsyncSessionStore`](session_core::AsyncSessionStore), as the
///   tower layer uses it) are served in place when the operation cannot wait, and on
///   tokio's blocking pool when it would; WAL checkpoints run on a background thread, never
///   in a save (see [`SqliteConfig::with_inline`]).
/// - **In memory** ([`in_memory`](SqliteStore::in_memory)) one connection serves everything:
///   nothing survives the process.
/// - **Native layout** (default): the key is stored as its SHA-256, so a leaked database
///   yields no usable cookie; the data is a BLOB, so any serializer works.
/// - **Django mode** ([`open_django`](SqliteStore::open_django), [`SqliteConfig::django`]): the
///   real `django_session` table, shared with a Django site. Pair it with Django's codec
///   as the manager's serializer: [`django_manager`](SqliteStore::django_manager) does.
///
/// Cloning is cheap and shares the connections.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use session_core::{Record, SessionStore};
///
/// let dir = tempfile::tempdir()?;
/// let store = session_db::SqliteStore::open(dir.path().join("sessions.sqlite3"))?;
/// let key = store.create(&Record::new(b"{}".to_vec(), SystemTime::now() + Duration::from_secs(60)))?;
/// assert_eq!(store.load(&key)?.as_deref(), Some(&b"{}"[..]));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    mode: Mode,
    table: String,
    path: PathBuf,
    batch_size: usize,
    busy_timeout: Duration,
    sql: Sql,
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
    /// Woken each time an operation lets go of a connection ([`Held`]): async callers that
    /// found every connection they could use busy wait here, on their task.
    released: Notify,
    /// Whether async callers may be served in place (see [`SqliteConfig::with_inline`]).
    inline: bool,
    _checkpointer: Option<Checkpointer>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.inner.path)
            .field("mode", &self.inner.mode)
            .field("table", &self.inner.table)
            .field("readers", &self.inner.readers.len())
            .finish_non_exhaustive()
    }
}

impl SqliteConfig {
    /// Opens (creating if needed) the database file at `path` with these settings. The
    /// path `:memory:` means [`open_in_memory`](SqliteConfig::open_in_memory).
    ///
    /// Fails with [`Error::Backend`] (source: [`OpenError`]) when the file is not an
    /// SQLite database, cannot be created, stays locked past the busy timeout, or holds a
    /// table of that name with another layout.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let store = session_db::SqliteConfig::django().open(dir.path().join("db.sqlite3"))?;
    /// assert_eq!(store.table(), "django_session");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(&self, path: impl AsRef<Path>) -> Result<SqliteStore> {
        let path = path.as_ref();
        if path.as_os_str() == ":memory:" {
            return self.open_in_memory();
        }
        let open_err = |e: session_core::BoxError| {
            Error::backend(
                BACKEND,
                OpenError {
                    path: path.to_owned(),
                    source: e,
                },
            )
        };
        let mut writer = self.connect(path, true).map_err(|e| open_err(e.into()))?;
        schema::ensure_sqlite(&mut writer, self.mode, &self.table).map_err(open_err)?;
        let readers = (0..self.readers)
            .map(|_| self.connect(path, false).map(Mutex::new))
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| open_err(e.into()))?;
        let checkpointer = if self.checkpoint_interval.is_zero() {
            None
        } else {
            Checkpointer::start(path, self.checkpoint_interval, self.busy_timeout)
        };
        if checkpointer.is_some() {
            writer
                .pragma_update(None, "wal_autocheckpoint", 0)
                .map_err(|e| open_err(e.into()))?;
        }
        Ok(self.build(path.to_owned(), writer, readers, checkpointer))
    }

    /// A private in-memory database with these settings (one connection; nothing
    /// survives the store).
    ///
    /// ```
    /// let store = session_db::SqliteConfig::django().open_in_memory()?;
    /// assert_eq!(store.mode(), session_db::Mode::Django);
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn open_in_memory(&self) -> Result<SqliteStore> {
        let open_err = |e: session_core::BoxError| {
            Error::backend(
                BACKEND,
                OpenError {
                    path: ":memory:".into(),
                    source: e,
                },
            )
        };
        let mut conn = Connection::open_in_memory().map_err(|e| open_err(e.into()))?;
        conn.set_prepared_statement_cache_capacity(16);
        schema::ensure_sqlite(&mut conn, self.mode, &self.table).map_err(open_err)?;
        Ok(self.build(":memory:".into(), conn, Vec::new(), None))
    }

    fn connect(&self, path: &Path, writer: bool) -> rusqlite::Result<Connection> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(self.busy_timeout)?;
        conn.set_prepared_statement_cache_capacity(16);
        if writer {
            let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
            // keep the WAL from staying huge after a big sweep
            conn.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024)?;
            if !mode.eq_ignore_ascii_case("wal") {
                tracing::warn!(path = %path.display(), journal_mode = %mode,
                    "session database is not in WAL mode: loads will wait for saves");
            }
        } else {
            conn.pragma_update(None, "query_only", true)?;
        }
        conn.pragma_update(None, "synchronous", self.synchronous.pragma())?;
        // SQLite clamps the size to its compile-time maximum; the pragma answers with a row.
        let mmap = i64::try_from(self.mmap_size).unwrap_or(i64::MAX);
        conn.query_row(&format!("PRAGMA mmap_size = {mmap}"), [], |_| Ok(()))
            .optional()?;
        Ok(conn)
    }

    fn build(
        &self,
        path: PathBuf,
        writer: Connection,
        readers: Vec<Mutex<Connection>>,
        checkpointer: Option<Checkpointer>,
    ) -> SqliteStore {
        // In place only where no commit syncs and, for a file, no commit checkpoints.
        let in_memory = path.as_os_str() == ":memory:";
        let inline = self.inline
            && self.synchronous != Synchronous::Full
            && (in_memory || checkpointer.is_some());
        SqliteStore {
            inner: Arc::new(Inner {
                mode: self.mode,
                table: self.table.clone(),
                path,
                batch_size: self.batch_size,
                busy_timeout: self.busy_timeout,
                sql: Sql::new(self.mode, &self.table),
                writer: Mutex::new(writer),
                readers,
                next_reader: AtomicUsize::new(0),
                released: Notify::new(),
                inline,
                _checkpointer: checkpointer,
            }),
        }
    }
}

impl SqliteStore {
    /// Opens (creating if needed) a session database file in the native layout with the
    /// default [`SqliteConfig`].
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let store = session_db::SqliteStore::open(dir.path().join("sessions.sqlite3"))?;
    /// assert_eq!(store.table(), "sessions");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        SqliteConfig::native().open(path)
    }

    /// A private in-memory database in the native layout.
    ///
    /// ```
    /// let store = session_db::SqliteStore::in_memory()?;
    /// # let _ = store;
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn in_memory() -> Result<Self> {
        SqliteConfig::native().open_in_memory()
    }

    /// Opens a Django project's SQLite database (its `db.sqlite3`) in Django mode: sessions
    /// live in `django_session`, created with Django's DDL if absent.
    ///
    /// The store keeps whatever bytes the manager's serializer makes; for Django to read
    /// them, that serializer must be Django's codec with the site's `SECRET_KEY`
    /// (`SessionManager::new(store).with_serializer(DjangoCodec::new(secret))`). Data that
    /// is not UTF-8 is refused with [`Error::Serialize`].
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let store = session_db::SqliteStore::open_django(dir.path().join("db.sqlite3"))?;
    /// assert_eq!(store.mode(), session_db::Mode::Django);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open_django(path: impl AsRef<Path>) -> Result<Self> {
        SqliteConfig::django().open(path)
    }

    /// A [`SessionManager`] that shares sessions with a Django site whose `SECRET_KEY` is
    /// `secret`: this store plus Django's codec ([`DjangoCodec`]) as the serializer. For
    /// fallback keys or other options, build the codec yourself and call
    /// `SessionManager::new(store).with_serializer(codec)`.
    ///
    /// Meant for a store in Django mode; on a native store the data is still signed
    /// Django-style, which works but gains nothing. An empty `secret` is
    /// [`Error::EmptySecret`].
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let store = session_db::SqliteStore::open_django(dir.path().join("db.sqlite3"))?;
    /// let manager = store.django_manager("django-insecure-change-me")?;
    /// let mut session = manager.session(None);
    /// session.insert("hello", "world")?;
    /// session.save()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn django_manager(&self, secret: impl AsRef<[u8]>) -> Result<SessionManager> {
        if self.inner.mode != Mode::Django {
            tracing::warn!(table = %self.inner.table,
                "django_manager on a native-layout store: Django will not see these sessions");
        }
        Ok(SessionManager::new(self.clone()).with_serializer(DjangoCodec::new(secret)?))
    }

    /// The layout this store reads and writes.
    ///
    /// ```
    /// assert_eq!(session_db::SqliteStore::in_memory()?.mode(), session_db::Mode::Native);
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn mode(&self) -> Mode {
        self.inner.mode
    }

    /// The table sessions live in.
    ///
    /// ```
    /// assert_eq!(session_db::SqliteStore::in_memory()?.table(), "sessions");
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn table(&self) -> &str {
        &self.inner.table
    }

    /// The database file (`:memory:` for an in-memory store).
    ///
    /// ```
    /// assert_eq!(session_db::SqliteStore::in_memory()?.path(), std::path::Path::new(":memory:"));
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// How many stored sessions are expired now (what
    /// [`clear_expired`](ClearExpired::clear_expired) would delete): the total for a
    /// progress bar.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use session_core::{Record, SessionStore};
    /// let store = session_db::SqliteStore::in_memory()?;
    /// store.create(&Record::new(vec![], SystemTime::now() - Duration::from_secs(1)))?;
    /// assert_eq!(store.count_expired()?, 1);
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn count_expired(&self) -> Result<u64> {
        let now = InstantParam::new(self.inner.mode, SystemTime::now());
        self.with_reader(self.deadline(), |c| {
            c.prepare_cached(&self.inner.sql.count_expired)?
                .query_row([&now], |r| r.get::<_, i64>(0))
        })
        .map(|n| u64::try_from(n).unwrap_or(0))
    }

    /// [`clear_expired`](ClearExpired::clear_expired) that calls `progress` with the number
    /// deleted so far after each batch. Batches walk the expiry index, oldest first, each
    /// one short transaction sized by time to hold the writer about 25 ms (at most
    /// [`SqliteConfig::with_batch_size`] rows); the write lock is released in between, so
    /// requests keep flowing during a sweep.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use session_core::{Record, SessionStore};
    /// let store = session_db::SqliteConfig::native().with_batch_size(2).open_in_memory()?;
    /// for _ in 0..5 {
    ///     store.create(&Record::new(vec![], SystemTime::now() - Duration::from_secs(1)))?;
    /// }
    /// let mut seen = Vec::new();
    /// assert_eq!(store.clear_expired_with(|n| seen.push(n))?, 5);
    /// assert_eq!(seen.last(), Some(&5));
    /// assert!(seen.windows(2).all(|w| w[1] - w[0] <= 2)); // batches of at most 2 rows
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn clear_expired_with(&self, mut progress: impl FnMut(u64)) -> Result<u64> {
        let _sweeping = self
            .inner
            ._checkpointer
            .as_ref()
            .map(Checkpointer::sweeping);
        let now = InstantParam::new(self.inner.mode, SystemTime::now());
        let sql = &self.inner.sql;
        let mut batches = SweepBatches::new(self.inner.batch_size);
        let mut total = 0u64;
        loop {
            let limit = i64::try_from(batches.rows()).unwrap_or(i64::MAX);
            let started = Instant::now();
            let deadline = self.deadline();
            let writer = self.acquire(&self.inner.writer, deadline)?;
            let deleted = self.run(&writer, deadline, |c| {
                let deleted = c.prepare_cached(&sql.clear_range)?.execute((&now, limit))?;
                if deleted > 0 {
                    return Ok(deleted);
                }
                // The oldest expired rows share one expiry (or none is left): take
                // exactly `limit` of them.
                c.prepare_cached(&sql.clear_batch)?.execute((&now, limit))
            })?;
            // Requests waiting for the writer go first: a plain unlock would let this loop
            // take it straight back, batch after batch.
            writer.unlock_fair();
            if deleted == 0 {
                break;
            }
            batches.took(deleted, started.elapsed());
            total += deleted as u64;
            progress(total);
        }
        tracing::debug!(deleted = total, table = %self.inner.table, "cleared expired sessions");
        Ok(total)
    }

    fn with_writer<T>(
        &self,
        deadline: Option<Instant>,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T> {
        let writer = self.acquire(&self.inner.writer, deadline)?;
        self.run(&writer, deadline, f)
    }

    /// When the operation starting now must have given up (`None`: a timeout too long to
    /// count, i.e. no limit).
    fn deadline(&self) -> Option<Instant> {
        Instant::now().checked_add(self.inner.busy_timeout)
    }

    /// `op` run on the calling thread, for async callers, whenever it can finish without
    /// waiting: `op` gets a deadline already passed, so every wait fails at once and a
    /// statement that cannot take its lock does not run. While other operations of this
    /// store hold every connection `op` could use, the task waits (without a thread) for
    /// one to be let go — those operations run without waiting, or are bounded by the busy
    /// timeout themselves — and tries again. `None` when this store never runs in place,
    /// or when SQLite's own lock is taken (another process, a checkpoint restarting the
    /// log): `op` did nothing, and waiting for that lock blocks a thread, so the caller
    /// runs it again on the blocking pool; so does an `op` that found its connection taken
    /// again each of [`WAITS_ON_TASK`] times it was let go.
    pub(crate) async fn in_place<T>(
        &self,
        op: impl Fn(&Self, Option<Instant>) -> Result<T>,
    ) -> Option<Result<T>> {
        if !self.inner.inline {
            return None;
        }
        for _ in 0..WAITS_ON_TASK {
            // Registered before the attempt: a connection let go during it still wakes us.
            let mut released = std::pin::pin!(self.inner.released.notified());
            released.as_mut().enable();
            match op(self, Some(Instant::now())) {
                Err(e) if connection_busy(&e) => released.await,
                Err(e) if is_lock_timeout(&e) => return None,
                done => return Some(done),
            }
        }
        match op(self, Some(Instant::now())) {
            // Taken again each time it was let go (a sweep, batch after batch): the pool's
            // threads queue for it fairly, where a woken task can lose the race every time.
            Err(e) if is_lock_timeout(&e) => None,
            done => Some(done),
        }
    }

    /// The connection, once the operation holding it lets go: waits until `deadline` at most.
    fn acquire<'a>(
        &'a self,
        conn: &'a Mutex<Connection>,
        deadline: Option<Instant>,
    ) -> Result<Held<'a>> {
        let guard = match deadline {
            Some(deadline) => conn
                .try_lock_until(deadline)
                .ok_or_else(|| self.timed_out(None))?,
            None => conn.lock(),
        };
        Ok(self.held(guard))
    }

    fn held<'a>(&'a self, guard: MutexGuard<'a, Connection>) -> Held<'a> {
        Held {
            guard: Some(guard),
            released: &self.inner.released,
        }
    }

    /// Runs `f` on `conn`, SQLite waiting for a lock only for the time left until `deadline`.
    fn run<T>(
        &self,
        conn: &Connection,
        deadline: Option<Instant>,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T> {
        self.bound_wait(conn, deadline)?;
        f(conn).map_err(|e| self.db_error(e))
    }

    /// Sets SQLite's busy timeout to the time left until `deadline`.
    fn bound_wait(&self, conn: &Connection, deadline: Option<Instant>) -> Result<()> {
        let left = deadline.map_or(self.inner.busy_timeout, |d| {
            d.saturating_duration_since(Instant::now())
        });
        conn.busy_timeout(left)
            .map_err(|e| Error::backend(BACKEND, e))
    }

    /// An engine error as a backend error; SQLite giving up on a lock is a [`LockTimeout`].
    fn db_error(&self, e: rusqlite::Error) -> Error {
        if e.sqlite_error_code() == Some(ErrorCode::DatabaseBusy) {
            self.timed_out(Some(Box::new(e)))
        } else {
            Error::backend(BACKEND, e)
        }
    }

    fn timed_out(&self, source: Option<session_core::BoxError>) -> Error {
        Error::backend(
            BACKEND,
            LockTimeout {
                timeout: self.inner.busy_timeout,
                source,
            },
        )
    }

    /// Runs a read on the writer when it is free, else on a free reader connection.
    ///
    /// The writer first: in WAL mode every commit makes each *other* connection drop its
    /// page cache at its next read, so a load on a reader after a save (the shape of every
    /// request) re-reads its pages — measured at 2.3× the cost of a request's load and save
    /// on one connection. The readers serve the loads that arrive while the writer is busy,
    /// which is what they are for.
    fn with_reader<T>(
        &self,
        deadline: Option<Instant>,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T> {
        let readers = &self.inner.readers;
        if let Some(writer) = self.inner.writer.try_lock() {
            return self.run(&self.held(writer), deadline, f);
        }
        if readers.is_empty() {
            let writer = self.acquire(&self.inner.writer, deadline)?;
            return self.run(&writer, deadline, f);
        }
        let start = self.inner.next_reader.fetch_add(1, Ordering::Relaxed);
        let n = readers.len();
        let held = match (0..n).find_map(|i| readers[(start + i) % n].try_lock()) {
            Some(guard) => self.held(guard),
            None => self.acquire(&readers[start % n], deadline)?,
        };
        self.run(&held, deadline, f)
    }

    fn data_param<'a>(&self, data: &'a [u8]) -> Result<DataParam<'a>> {
        match self.inner.mode {
            Mode::Native => Ok(DataParam::Blob(data)),
            Mode::Django => std::str::from_utf8(data)
                .map(DataParam::Text)
                .map_err(|e| Error::Serialize(Box::new(e))),
        }
    }
}

/// The stored data as bytes. A row whose data is not text or a blob (hand-edited or
/// corrupt) loads as empty bytes: the serializer then fails and the session starts empty.
fn stored_bytes(value: ValueRef<'_>) -> Vec<u8> {
    match value {
        ValueRef::Blob(b) | ValueRef::Text(b) => b.to_vec(),
        other => {
            tracing::warn!(kind = ?other.data_type(), "session row holds no data; loading it as empty");
            Vec::new()
        }
    }
}

/// A connection one operation holds; letting it go wakes the async callers waiting for one
/// (see [`SqliteStore::in_place`]).
struct Held<'a> {
    guard: Option<MutexGuard<'a, Connection>>,
    released: &'a Notify,
}

impl Held<'_> {
    /// Lets go of the connection handing it to a thread already waiting for it, if any.
    fn unlock_fair(mut self) {
        if let Some(guard) = self.guard.take() {
            MutexGuard::unlock_fair(guard);
        }
    }
}

impl std::ops::Deref for Held<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        // `Some` until the guard is dropped or unlocked, which consumes `self`
        self.guard.as_deref().expect("a held connection")
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        drop(self.guard.take());
        self.released.notify_waiters();
    }
}

/// Whether `e` is this store giving up on a wait for one of its connections (held by its
/// other operations), rather than for SQLite's lock.
fn connection_busy(e: &Error) -> bool {
    matches!(e, Error::Backend { source, .. }
        if source.downcast_ref::<LockTimeout>().is_some_and(|t| t.source.is_none()))
}

/// Whether `e` is this store giving up on a wait ([`LockTimeout`]).
fn is_lock_timeout(e: &Error) -> bool {
    matches!(e, Error::Backend { source, .. } if source.is::<LockTimeout>())
}

fn is_duplicate(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if f.code == ErrorCode::ConstraintViolation
            && matches!(f.extended_code,
                rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY | rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE))
}

/// The store's operations, each waiting until `deadline` at most: the sync face passes the
/// busy timeout from now, the in-place attempt of the async face a deadline already passed.
impl SqliteStore {
    pub(crate) fn load_record_by(
        &self,
        deadline: Option<Instant>,
        key: &str,
    ) -> Result<Option<Record>> {
        let Some(k) = KeyParam::new(self.inner.mode, key) else {
            return Ok(None);
        };
        let now = InstantParam::new(self.inner.mode, SystemTime::now());
        self.with_reader(deadline, |c| {
            c.prepare_cached(&self.inner.sql.load_record)?
                .query_row((&k, &now), |r| {
                    Ok(Record::new(
                        stored_bytes(r.get_ref(0)?),
                        crate::schema::stored_instant(r.get_ref(1)?),
                    ))
                })
                .optional()
        })
    }

    pub(crate) fn load_by(&self, deadline: Option<Instant>, key: &str) -> Result<Option<Vec<u8>>> {
        let Some(k) = KeyParam::new(self.inner.mode, key) else {
            return Ok(None);
        };
        let now = InstantParam::new(self.inner.mode, SystemTime::now());
        self.with_reader(deadline, |c| {
            c.prepare_cached(&self.inner.sql.load)?
                .query_row((&k, &now), |r| Ok(stored_bytes(r.get_ref(0)?)))
                .optional()
        })
    }

    pub(crate) fn create_by(&self, deadline: Option<Instant>, record: &Record) -> Result<String> {
        let data = self.data_param(&record.data)?;
        let expires = InstantParam::new(self.inner.mode, record.expires_at);
        let conn = self.acquire(&self.inner.writer, deadline)?;
        self.bound_wait(&conn, deadline)?;
        let mut stmt = conn
            .prepare_cached(&self.inner.sql.insert)
            .map_err(|e| self.db_error(e))?;
        for _ in 0..CREATE_ATTEMPTS {
            let key = key::generate();
            let k = KeyParam::new(self.inner.mode, &key).ok_or(Error::InvalidKey)?;
            match stmt.execute((&k, &data, &expires)) {
                Ok(_) => return Ok(key),
                Err(e) if is_duplicate(&e) => {
                    tracing::warn!(key = %key_prefix(&key), "generated session key already existed; retrying");
                    session_core::telemetry::record_create_collision("SqliteStore");
                }
                Err(e) => return Err(self.db_error(e)),
            }
        }
        Err(Error::KeyExists)
    }

    pub(crate) fn save_by(
        &self,
        deadline: Option<Instant>,
        key: &str,
        record: &Record,
    ) -> Result<String> {
        let data = self.data_param(&record.data)?;
        let Some(k) = KeyParam::new(self.inner.mode, key) else {
            return Err(Error::Interrupted);
        };
        let expires = InstantParam::new(self.inner.mode, record.expires_at);
        let now = InstantParam::new(self.inner.mode, SystemTime::now());
        let updated = self.with_writer(deadline, |c| {
            c.prepare_cached(&self.inner.sql.update)?
                .execute((&k, &data, &expires, &now))
        })?;
        if updated == 1 {
            Ok(key.to_owned())
        } else {
            tracing::debug!(key = %key_prefix(key), "save of a deleted or expired session refused");
            Err(Error::Interrupted)
        }
    }

    pub(crate) fn delete_by(&self, deadline: Option<Instant>, key: &str) -> Result<()> {
        let Some(k) = KeyParam::new(self.inner.mode, key) else {
            return Ok(());
        };
        self.with_writer(deadline, |c| {
            c.prepare_cached(&self.inner.sql.delete)?.execute([&k])
        })?;
        Ok(())
    }

    pub(crate) fn exists_by(&self, deadline: Option<Instant>, key: &str) -> Result<bool> {
        let Some(k) = KeyParam::new(self.inner.mode, key) else {
            return Ok(false);
        };
        let now = InstantParam::new(self.inner.mode, SystemTime::now());
        self.with_reader(deadline, |c| {
            c.prepare_cached(&self.inner.sql.exists)?
                .query_row((&k, &now), |_| Ok(()))
                .optional()
        })
        .map(|row| row.is_some())
    }

    pub(crate) fn touch_by(
        &self,
        deadline: Option<Instant>,
        key: &str,
        expires_at: SystemTime,
    ) -> Result<()> {
        let Some(k) = KeyParam::new(self.inner.mode, key) else {
            return Err(Error::Interrupted);
        };
        let expires = InstantParam::new(self.inner.mode, expires_at);
        let now = InstantParam::new(self.inner.mode, SystemTime::now());
        let updated = self.with_writer(deadline, |c| {
            c.prepare_cached(&self.inner.sql.touch)?
                .execute((&k, &expires, &now))
        })?;
        if updated == 1 {
            Ok(())
        } else {
            Err(Error::Interrupted)
        }
    }
}

impl SessionStore for SqliteStore {
    fn load_record(&self, key: &str) -> Result<Option<Record>> {
        self.load_record_by(self.deadline(), key)
    }

    fn load(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.load_by(self.deadline(), key)
    }

    fn create(&self, record: &Record) -> Result<String> {
        self.create_by(self.deadline(), record)
    }

    fn save(&self, key: &str, record: &Record) -> Result<String> {
        self.save_by(self.deadline(), key, record)
    }

    fn delete(&self, key: &str) -> Result<()> {
        self.delete_by(self.deadline(), key)
    }

    fn exists(&self, key: &str) -> Result<bool> {
        self.exists_by(self.deadline(), key)
    }

    fn touch(&self, key: &str, expires_at: SystemTime) -> Result<()> {
        self.touch_by(self.deadline(), key, expires_at)
    }
}

impl ClearExpired for SqliteStore {
    fn clear_expired(&self) -> Result<u64> {
        self.clear_expired_with(|_| {})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mmap_of(conn: &Connection) -> i64 {
        conn.query_row("PRAGMA mmap_size", [], |r| r.get(0))
            .unwrap()
    }

    fn autocheckpoint_of(store: &SqliteStore) -> i64 {
        store
            .inner
            .writer
            .lock()
            .query_row("PRAGMA wal_autocheckpoint", [], |r| r.get(0))
            .unwrap()
    }

    /// With the checkpoint thread, no commit of the writer checkpoints; without it, SQLite's
    /// own threshold stays, and nothing runs in place.
    #[test]
    fn checkpoints_move_off_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteConfig::native().open(dir.path().join("a")).unwrap();
        assert_eq!(autocheckpoint_of(&store), 0);
        assert!(store.inner._checkpointer.is_some() && store.inner.inline);
        let store = SqliteConfig::native()
            .with_checkpoint_interval(Duration::ZERO)
            .open(dir.path().join("b"))
            .unwrap();
        assert_eq!(autocheckpoint_of(&store), 1000);
        assert!(store.inner._checkpointer.is_none() && !store.inner.inline);
        assert!(SqliteStore::in_memory().unwrap().inner.inline);
    }

    /// Every file connection, writer and readers, maps what the config asks for.
    #[test]
    fn mmap_size_reaches_every_connection() {
        let dir = tempfile::tempdir().unwrap();
        for (i, size) in [0u64, 1 << 20, crate::DEFAULT_MMAP_SIZE]
            .into_iter()
            .enumerate()
        {
            let path = dir.path().join(format!("{i}.sqlite3"));
            let store = SqliteConfig::native()
                .with_mmap_size(size)
                .open(&path)
                .unwrap();
            let expected = i64::try_from(size).unwrap();
            assert_eq!(mmap_of(&store.inner.writer.lock()), expected);
            for reader in &store.inner.readers {
                assert_eq!(mmap_of(&reader.lock()), expected);
            }
        }
    }
}
