//! How a [`SqliteStore`](crate::SqliteStore) lays out and opens its database.

use std::time::Duration;

use crate::InvalidTableName;

/// Which table layout a store reads and writes.
///
/// ```
/// use session_db::{SqliteConfig, Mode};
/// assert_eq!(SqliteConfig::default().mode(), Mode::Native);
/// assert_eq!(SqliteConfig::django().mode(), Mode::Django);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// This crate's own schema: the SHA-256 of the key (never the key), the data as a BLOB
    /// (any serializer), the expiry as unix milliseconds. Default table `sessions`.
    Native,
    /// Django's `django_session` table: `session_key` in clear, `session_data` as TEXT
    /// (must be Django's signed format for Django to read it), `expire_date` as Django
    /// writes it. Default table `django_session`.
    Django,
}

impl Mode {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Mode::Native => "native",
            Mode::Django => "django",
        }
    }
}

/// SQLite's `synchronous` setting: what a power cut can cost.
///
/// With WAL (always on for files), [`Normal`](Synchronous::Normal) — the default — never
/// corrupts the database; a power cut or OS crash (not an application crash) may roll back
/// the last few committed writes, i.e. a just-saved session may revert to its previous
/// state or a just-created one disappear (the user logs in again). [`Full`](Synchronous::Full)
/// syncs the WAL on every commit and loses nothing, at the cost of one fsync per save.
///
/// ```
/// use session_db::{SqliteConfig, Synchronous};
/// let config = SqliteConfig::native().with_synchronous(Synchronous::Full);
/// assert_eq!(config.synchronous(), Synchronous::Full);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Synchronous {
    /// No syncs at all: an OS crash may corrupt the database. For tests and throwaway data.
    Off,
    /// Sync at checkpoints only (default).
    Normal,
    /// Sync the WAL at every commit.
    Full,
}

impl Synchronous {
    pub(crate) fn pragma(self) -> &'static str {
        match self {
            Synchronous::Off => "OFF",
            Synchronous::Normal => "NORMAL",
            Synchronous::Full => "FULL",
        }
    }
}

/// Settings for [`SqliteStore`](crate::SqliteStore); build one, then call [`open`](SqliteConfig::open)
/// or [`open_in_memory`](SqliteConfig::open_in_memory).
///
/// ```
/// use std::time::Duration;
/// use session_db::SqliteConfig;
///
/// let store = SqliteConfig::native()
///     .with_table("web_sessions")?
///     .with_busy_timeout(Duration::from_secs(2))
///     .with_readers(2)
///     .open_in_memory()?;
/// # let _ = store;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct SqliteConfig {
    pub(crate) mode: Mode,
    pub(crate) table: String,
    pub(crate) busy_timeout: Duration,
    pub(crate) readers: usize,
    pub(crate) synchronous: Synchronous,
    pub(crate) batch_size: usize,
    pub(crate) mmap_size: u64,
    pub(crate) inline: bool,
    pub(crate) checkpoint_interval: Duration,
}

/// How much of the database file each connection reads through a memory map by default:
/// 1 GiB on 64-bit targets (address space, not memory: the pages are the OS page cache's),
/// off on 32-bit ones. See [`SqliteConfig::with_mmap_size`].
///
/// ```
/// assert_eq!(session_db::SqliteConfig::native().mmap_size(), session_db::DEFAULT_MMAP_SIZE);
/// ```
pub const DEFAULT_MMAP_SIZE: u64 = if cfg!(target_pointer_width = "64") {
    1 << 30
} else {
    0
};

impl Default for SqliteConfig {
    fn default() -> Self {
        SqliteConfig::native()
    }
}

impl SqliteConfig {
    /// The native layout in table `sessions`, 5 s busy timeout, 4 reader connections,
    /// `synchronous = NORMAL`, `clear_expired` batches sized by time, reads through a
    /// memory map of up to [`DEFAULT_MMAP_SIZE`], async callers served in place when nothing
    /// has to wait, WAL checkpoints every 25 ms off the request path.
    ///
    /// ```
    /// let config = session_db::SqliteConfig::native();
    /// assert_eq!(config.table(), "sessions");
    /// ```
    pub fn native() -> Self {
        SqliteConfig {
            mode: Mode::Native,
            table: "sessions".to_owned(),
            busy_timeout: Duration::from_secs(5),
            readers: 4,
            synchronous: Synchronous::Normal,
            batch_size: 100_000,
            mmap_size: DEFAULT_MMAP_SIZE,
            inline: true,
            checkpoint_interval: Duration::from_millis(25),
        }
    }

    /// Django's layout in table `django_session` (same other defaults as
    /// [`native`](SqliteConfig::native)).
    ///
    /// ```
    /// let config = session_db::SqliteConfig::django();
    /// assert_eq!(config.table(), "django_session");
    /// ```
    pub fn django() -> Self {
        SqliteConfig {
            mode: Mode::Django,
            table: "django_session".to_owned(),
            ..SqliteConfig::native()
        }
    }

    /// Uses table `name` (for Django mode: a custom `db_table`). Refuses anything that is
    /// not a plain identifier, so a name can never carry SQL.
    ///
    /// ```
    /// use session_db::SqliteConfig;
    /// assert!(SqliteConfig::native().with_table("app_sessions").is_ok());
    /// assert!(SqliteConfig::native().with_table("1abc").is_err());
    /// assert!(SqliteConfig::native().with_table("a b").is_err());
    /// ```
    pub fn with_table(mut self, name: &str) -> Result<Self, InvalidTableName> {
        validate_table(name)?;
        self.table = name.to_owned();
        Ok(self)
    }

    /// The longest an operation waits, in all, before failing with a backend error whose
    /// source is a [`LockTimeout`](crate::LockTimeout) (default 5 s): for its connection
    /// while other requests use it, and for SQLite's write lock while another process
    /// holds it. No request waits longer, however many queue up.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let config = session_db::SqliteConfig::native().with_busy_timeout(Duration::from_millis(250));
    /// assert_eq!(config.busy_timeout(), Duration::from_millis(250));
    /// ```
    #[must_use]
    pub fn with_busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// How many read-only connections serve `load` and `exists` while the one writer
    /// connection is busy (default 4; 0 = everything through the writer). A read takes the
    /// writer when it is free: its page cache survives its own commits, a reader's does
    /// not. Ignored in memory, where one connection serves all.
    ///
    /// ```
    /// let config = session_db::SqliteConfig::native().with_readers(0);
    /// assert_eq!(config.readers(), 0);
    /// ```
    #[must_use]
    pub fn with_readers(mut self, readers: usize) -> Self {
        self.readers = readers;
        self
    }

    /// The durability level; see [`Synchronous`].
    ///
    /// ```
    /// use session_db::{SqliteConfig, Synchronous};
    /// let config = SqliteConfig::native().with_synchronous(Synchronous::Off);
    /// assert_eq!(config.synchronous(), Synchronous::Off);
    /// ```
    #[must_use]
    pub fn with_synchronous(mut self, synchronous: Synchronous) -> Self {
        self.synchronous = synchronous;
        self
    }

    /// The most rows one `clear_expired` transaction deletes (default 100,000; at least 1).
    /// Batches are sized by time within this cap, to hold the writer about 25 ms each; the
    /// write lock is released between them so requests keep flowing during a sweep.
    ///
    /// ```
    /// let config = session_db::SqliteConfig::native().with_batch_size(500);
    /// assert_eq!(config.batch_size(), 500);
    /// ```
    #[must_use]
    pub fn with_batch_size(mut self, rows: usize) -> Self {
        self.batch_size = rows.max(1);
        self
    }

    /// How many bytes of the database file each connection reads through a memory map
    /// (SQLite's `PRAGMA mmap_size`; default [`DEFAULT_MMAP_SIZE`], `0` turns it off).
    ///
    /// With a map, a load reads pages straight from the OS page cache instead of copying
    /// them in with a system call each: one session out of 1,000,000 then loads about as
    /// fast as one out of 10,000 (1.2× instead of 2×, see the benchmarks). The cost is
    /// SQLite's documented one: an I/O error on a mapped page (a failing disk, or the file
    /// truncated by another program) arrives as a `SIGBUS` that ends the process, where a
    /// read would have returned an error. Turn it off where that matters more than speed.
    ///
    /// ```
    /// let config = session_db::SqliteConfig::native().with_mmap_size(0);
    /// assert_eq!(config.mmap_size(), 0);
    /// ```
    #[must_use]
    pub fn with_mmap_size(mut self, bytes: u64) -> Self {
        self.mmap_size = bytes;
        self
    }

    /// Whether the store's async side ([`AsyncSessionStore`](session_core::AsyncSessionStore))
    /// runs an operation on the calling task when it can finish without waiting (default
    /// `true`).
    ///
    /// An operation runs in place only when its connection is free and SQLite grants its
    /// lock at once; it never waits there, for another request, another process's write
    /// lock, or a checkpoint (checkpoints run on a background thread, see
    /// [`with_checkpoint_interval`](SqliteConfig::with_checkpoint_interval)). Anything that
    /// would wait moves to tokio's blocking pool and waits there, up to the busy timeout.
    /// With `synchronous = NORMAL` or `OFF` a commit does not wait for the disk, so the
    /// in-place path is a memory copy into the WAL; with [`Synchronous::Full`] every commit
    /// syncs, and every operation goes to the blocking pool whatever this says. `false`
    /// sends every operation there (one thread hop each, as a sync store behind
    /// `spawn_blocking`).
    ///
    /// ```
    /// let config = session_db::SqliteConfig::native().with_inline(false);
    /// assert!(!config.inline());
    /// ```
    #[must_use]
    pub fn with_inline(mut self, inline: bool) -> Self {
        self.inline = inline;
        self
    }

    /// Whether async callers may be served in place.
    ///
    /// ```
    /// assert!(session_db::SqliteConfig::native().inline());
    /// ```
    pub fn inline(&self) -> bool {
        self.inline
    }

    /// How often a background thread copies new WAL pages into the database file (default
    /// 25 ms; it does nothing while nobody writes, and checkpoints at most every 250 ms
    /// while the store sweeps). A short WAL keeps reads and commits cheap: every page read
    /// looks the page up in the WAL's index first. A file store turns SQLite's automatic
    /// checkpoint off, which would otherwise land on whichever save crossed 1,000 WAL pages,
    /// and checkpoints from its own connection instead: a `PASSIVE` checkpoint, which waits
    /// for no reader or writer. When readers keep it from finishing and the WAL passes
    /// 64 MiB, the thread runs a `RESTART` checkpoint, which makes writers wait for it (they
    /// wait on the blocking pool, not on the async executor). Zero means SQLite's automatic
    /// checkpoints on the writer connection and no thread; a save may then run a
    /// checkpoint, so no operation runs in place (see [`with_inline`](SqliteConfig::with_inline)).
    ///
    /// ```
    /// # use std::time::Duration;
    /// let config = session_db::SqliteConfig::native().with_checkpoint_interval(Duration::from_secs(1));
    /// assert_eq!(config.checkpoint_interval(), Duration::from_secs(1));
    /// ```
    #[must_use]
    pub fn with_checkpoint_interval(mut self, every: Duration) -> Self {
        self.checkpoint_interval = every;
        self
    }

    /// The checkpoint interval.
    ///
    /// ```
    /// # use std::time::Duration;
    /// assert_eq!(session_db::SqliteConfig::native().checkpoint_interval(), Duration::from_millis(25));
    /// ```
    pub fn checkpoint_interval(&self) -> Duration {
        self.checkpoint_interval
    }

    /// The memory-map size per connection.
    ///
    /// ```
    /// assert_eq!(session_db::SqliteConfig::native().with_mmap_size(1 << 20).mmap_size(), 1 << 20);
    /// ```
    pub fn mmap_size(&self) -> u64 {
        self.mmap_size
    }

    /// The layout.
    ///
    /// ```
    /// assert_eq!(session_db::SqliteConfig::django().mode(), session_db::Mode::Django);
    /// ```
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The table name.
    ///
    /// ```
    /// assert_eq!(session_db::SqliteConfig::native().table(), "sessions");
    /// ```
    pub fn table(&self) -> &str {
        &self.table
    }

    /// The busy timeout.
    ///
    /// ```
    /// # use std::time::Duration;
    /// assert_eq!(session_db::SqliteConfig::native().busy_timeout(), Duration::from_secs(5));
    /// ```
    pub fn busy_timeout(&self) -> Duration {
        self.busy_timeout
    }

    /// The number of reader connections.
    ///
    /// ```
    /// assert_eq!(session_db::SqliteConfig::native().readers(), 4);
    /// ```
    pub fn readers(&self) -> usize {
        self.readers
    }

    /// The durability level.
    ///
    /// ```
    /// # use session_db::{SqliteConfig, Synchronous};
    /// assert_eq!(SqliteConfig::native().synchronous(), Synchronous::Normal);
    /// ```
    pub fn synchronous(&self) -> Synchronous {
        self.synchronous
    }

    /// The most rows of one `clear_expired` batch.
    ///
    /// ```
    /// assert_eq!(session_db::SqliteConfig::native().batch_size(), 100_000);
    /// ```
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }
}

fn validate_table(name: &str) -> Result<(), InvalidTableName> {
    let mut bytes = name.bytes();
    let ok = matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && name.len() <= 48
        && !name.to_ascii_lowercase().starts_with("sqlite_");
    if ok {
        Ok(())
    } else {
        Err(InvalidTableName(name.to_owned()))
    }
}

/// Settings for [`PostgresStore`](crate::PostgresStore) (feature `postgres`); build one, then call
/// [`connect`](PostgresConfig::connect).
///
/// ```
/// use std::time::Duration;
/// use session_db::PostgresConfig;
///
/// let config = PostgresConfig::native()
///     .with_schema("sessions")?
///     .with_pool_size(16)
///     .with_connect_timeout(Duration::from_secs(2));
/// assert_eq!(config.pool_size(), 16);
/// # Ok::<(), session_db::InvalidTableName>(())
/// ```
#[cfg(feature = "postgres")]
#[derive(Debug, Clone)]
pub struct PostgresConfig {
    pub(crate) mode: Mode,
    pub(crate) table: String,
    pub(crate) schema: Option<String>,
    pub(crate) pool_size: u32,
    pub(crate) connect_timeout: Duration,
    pub(crate) statement_timeout: Duration,
    pub(crate) ca_file: Option<std::path::PathBuf>,
    pub(crate) batch_size: usize,
}

#[cfg(feature = "postgres")]
impl Default for PostgresConfig {
    fn default() -> Self {
        PostgresConfig::native()
    }
}

#[cfg(feature = "postgres")]
impl PostgresConfig {
    /// The native layout (SHA-256 keys, `bytea` data, `timestamptz` expiry) in table
    /// `sessions` of the connection's current schema; a pool of up to 8 connections; 5 s
    /// to get a connection; 5 s per statement; `clear_expired` batches sized by time.
    ///
    /// ```
    /// assert_eq!(session_db::PostgresConfig::native().table(), "sessions");
    /// ```
    pub fn native() -> Self {
        PostgresConfig {
            mode: Mode::Native,
            table: "sessions".to_owned(),
            schema: None,
            pool_size: 8,
            connect_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(5),
            ca_file: None,
            batch_size: 100_000,
        }
    }

    /// Django's layout on its `django_session` table (same other defaults).
    ///
    /// ```
    /// assert_eq!(session_db::PostgresConfig::django().table(), "django_session");
    /// ```
    pub fn django() -> Self {
        PostgresConfig {
            mode: Mode::Django,
            table: "django_session".to_owned(),
            ..PostgresConfig::native()
        }
    }

    /// Uses table `name`; refuses anything but a plain identifier.
    ///
    /// ```
    /// assert!(session_db::PostgresConfig::native().with_table("a;b").is_err());
    /// ```
    pub fn with_table(mut self, name: &str) -> Result<Self, InvalidTableName> {
        validate_table(name)?;
        self.table = name.to_owned();
        Ok(self)
    }

    /// Puts the table in schema `name` (created if absent) instead of the connection's
    /// current schema; same naming rules as tables.
    ///
    /// ```
    /// let config = session_db::PostgresConfig::native().with_schema("web")?;
    /// assert_eq!(config.schema(), Some("web"));
    /// # Ok::<(), session_db::InvalidTableName>(())
    /// ```
    pub fn with_schema(mut self, name: &str) -> Result<Self, InvalidTableName> {
        validate_table(name)?;
        self.schema = Some(name.to_owned());
        Ok(self)
    }

    /// The most connections the pool opens (default 8, at least 1).
    ///
    /// ```
    /// assert_eq!(session_db::PostgresConfig::native().with_pool_size(0).pool_size(), 1);
    /// ```
    #[must_use]
    pub fn with_pool_size(mut self, size: u32) -> Self {
        self.pool_size = size.max(1);
        self
    }

    /// How long an operation waits for a connection (from the pool or a new one) before
    /// failing with a backend error (default 5 s).
    ///
    /// ```
    /// # use std::time::Duration;
    /// let config = session_db::PostgresConfig::native().with_connect_timeout(Duration::from_secs(1));
    /// assert_eq!(config.connect_timeout(), Duration::from_secs(1));
    /// ```
    #[must_use]
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long one statement may run (default 5 s, at least 1 ms). The server cancels it
    /// then (`statement_timeout`, set when the store connects from a URL); the store stops
    /// waiting for the answer a moment later in any case, so a frozen or unreachable server
    /// fails a request after this long instead of holding it.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let config = session_db::PostgresConfig::native().with_statement_timeout(Duration::from_millis(500));
    /// assert_eq!(config.statement_timeout(), Duration::from_millis(500));
    /// ```
    #[must_use]
    pub fn with_statement_timeout(mut self, timeout: Duration) -> Self {
        self.statement_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// Trusts the CA certificate(s) in this PEM file for TLS, as libpq's `sslrootcert`:
    /// the server's certificate must chain to one of them (`verify-ca`), and with
    /// `sslmode=verify-full` in the URL also name the host.
    ///
    /// ```
    /// let config = session_db::PostgresConfig::native().with_ca_file("/etc/ssl/db-ca.pem");
    /// assert_eq!(config.ca_file(), Some(std::path::Path::new("/etc/ssl/db-ca.pem")));
    /// ```
    #[must_use]
    pub fn with_ca_file(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.ca_file = Some(path.into());
        self
    }

    /// The most rows one `clear_expired` statement deletes (default 100,000; at least 1);
    /// batches are sized by time within it, about 25 ms each.
    ///
    /// ```
    /// assert_eq!(session_db::PostgresConfig::native().with_batch_size(10).batch_size(), 10);
    /// ```
    #[must_use]
    pub fn with_batch_size(mut self, rows: usize) -> Self {
        self.batch_size = rows.max(1);
        self
    }

    /// The layout.
    ///
    /// ```
    /// assert_eq!(session_db::PostgresConfig::native().mode(), session_db::Mode::Native);
    /// ```
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The table name.
    ///
    /// ```
    /// assert_eq!(session_db::PostgresConfig::django().table(), "django_session");
    /// ```
    pub fn table(&self) -> &str {
        &self.table
    }

    /// The schema, when one was set.
    ///
    /// ```
    /// assert_eq!(session_db::PostgresConfig::native().schema(), None);
    /// ```
    pub fn schema(&self) -> Option<&str> {
        self.schema.as_deref()
    }

    /// The pool size.
    ///
    /// ```
    /// assert_eq!(session_db::PostgresConfig::native().pool_size(), 8);
    /// ```
    pub fn pool_size(&self) -> u32 {
        self.pool_size
    }

    /// The connection timeout.
    ///
    /// ```
    /// # use std::time::Duration;
    /// assert_eq!(session_db::PostgresConfig::native().connect_timeout(), Duration::from_secs(5));
    /// ```
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    /// The statement timeout.
    ///
    /// ```
    /// # use std::time::Duration;
    /// assert_eq!(session_db::PostgresConfig::native().statement_timeout(), Duration::from_secs(5));
    /// ```
    pub fn statement_timeout(&self) -> Duration {
        self.statement_timeout
    }

    /// The CA file, when one was set.
    ///
    /// ```
    /// assert_eq!(session_db::PostgresConfig::native().ca_file(), None);
    /// ```
    pub fn ca_file(&self) -> Option<&std::path::Path> {
        self.ca_file.as_deref()
    }

    /// The most rows of one `clear_expired` batch.
    ///
    /// ```
    /// assert_eq!(session_db::PostgresConfig::native().batch_size(), 100_000);
    /// ```
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }
}
