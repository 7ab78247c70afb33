//! [`PostgresStore`]: sessions in PostgreSQL (feature `postgres`).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use postgres::error::SqlState;
use postgres::types::ToSql;
use postgres::{Client, NoTls, Statement};
use r2d2::{HandleError, ManageConnection, Pool, PooledConnection};
use r2d2_postgres::PostgresConnectionManager;
use session_core::{
    CREATE_ATTEMPTS, ClearExpired, Error, Record, Result, SessionManager, SessionStore, key,
    key_prefix,
};

use crate::schema::{SCHEMA_VERSION, bounded, check_columns, columns, hash_key};
use crate::{DjangoCodec, Mode, OpenError, PostgresConfig, SchemaError};

const BACKEND: &str = "postgres";
/// `pg_advisory_xact_lock` key held while a store creates or checks its tables, so nodes
/// starting at once do not race on `CREATE TABLE`.
const SCHEMA_LOCK: i64 = 0x5e55_10d8_0001;

/// Sessions in PostgreSQL, through a pool of connections: the engine for sites that run
/// on more than one machine. Same behaviour as [`SqliteStore`](crate::SqliteStore): native layout
/// (SHA-256 keys, `bytea` data, `timestamptz` expiry, an index on it) or Django mode on
/// Django's own `django_session` table; switch from SQLite by the feature `postgres` and a
/// URL.
///
/// - Tables are created if absent, under an advisory lock: nodes may start at once.
/// - Connection failures are [`Error::Backend`] with the driver's error as the source. A
///   connection the server dropped (restart, `pg_terminate_backend`) is discarded and the
///   operation retried once on a fresh one; with the server down, operations fail after
///   the connect timeout and succeed again once it is back, without restarting the app.
///   (A retried `create` whose first attempt did commit leaves an orphan row that nothing
///   refers to and that expires.)
/// - Statements are prepared once per pooled connection.
/// - **Blocking**: every operation blocks its thread while the server answers. On a thread
///   that runs async tasks it fails at once with [`Error::Backend`] (instead of the sync
///   driver's panic): call it through `tokio::task::spawn_blocking` or from a thread of
///   your own, as session-tower's `SessionLayer` does by default (never `inline(true)`).
/// - Expiries are stored between the Unix epoch and the expiry ceiling
///   ([`max_expiry`](session_core::expiry::max_expiry), the end of year 9999): an absurd
///   instant saturates there instead of overflowing the driver's conversion.
///
/// ```no_run
/// use session_core::SessionManager;
/// use session_db::PostgresStore;
///
/// let store = PostgresStore::connect("host=127.0.0.1 user=postgres dbname=app")?;
/// let manager = SessionManager::new(store);
/// // Django mode, sharing sessions with a Django site:
/// let django = PostgresStore::connect_django("postgres://django@db/site")?;
/// let manager = django.django_manager("the site's SECRET_KEY")?;
/// # Ok::<(), session_core::Error>(())
/// ```
#[derive(Clone)]
pub struct PostgresStore {
    inner: Arc<Inner>,
}

struct Inner {
    mode: Mode,
    table: String,
    database: String,
    batch_size: usize,
    sql: Arc<PgSql>,
    pool: Pool<Manager>,
    last_error: Arc<Mutex<Option<postgres::Error>>>,
    /// Declared after `pool`: holds the last pool handle and drops it off the caller's thread.
    _off_runtime: DropOffRuntime,
}

/// The sync `postgres` client runs its own tokio runtime, which panics if created or dropped
/// on a thread that drives async tasks. Users build and drop stores inside `#[tokio::main]`,
/// so the pool's connections are dropped on a plain thread of their own.
struct DropOffRuntime(Option<Pool<Manager>>);

impl Drop for DropOffRuntime {
    fn drop(&mut self) {
        if let Some(pool) = self.0.take() {
            let _ = std::thread::spawn(move || drop(pool)).join();
        }
    }
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("database", &self.inner.database)
            .field("mode", &self.inner.mode)
            .field("table", &self.inner.table)
            .finish_non_exhaustive()
    }
}

/// The statements a store runs, by slot in [`Conn::stmts`].
#[derive(Clone, Copy)]
enum Q {
    Load,
    Exists,
    Insert,
    Update,
    Delete,
    ClearBatch,
    CountExpired,
    Touch,
}

/// `$1` key, `$2` data, `$3` expiry, `$4` now; clear: `$1` now, `$2` limit; touch: `$1`
/// key, `$2` expiry, `$3` now.
struct PgSql([String; 8]);

impl PgSql {
    fn new(mode: Mode, table: &str) -> Self {
        let [k, d, e] = columns(mode);
        let t = table;
        PgSql([
            format!("SELECT {d}, {e} FROM {t} WHERE {k} = $1 AND {e} > $2"),
            format!("SELECT 1 FROM {t} WHERE {k} = $1 AND {e} > $2"),
            format!("INSERT INTO {t} ({k}, {d}, {e}) VALUES ($1, $2, $3)"),
            format!("UPDATE {t} SET {d} = $2, {e} = $3 WHERE {k} = $1 AND {e} > $4"),
            format!("DELETE FROM {t} WHERE {k} = $1"),
            format!("DELETE FROM {t} WHERE {k} IN (SELECT {k} FROM {t} WHERE {e} <= $1 LIMIT $2)"),
            format!("SELECT count(*) FROM {t} WHERE {e} <= $1"),
            format!("UPDATE {t} SET {e} = $2 WHERE {k} = $1 AND {e} > $3"),
        ])
    }
}

/// A pooled connection and its prepared statements (prepared on first use).
struct Conn {
    client: Client,
    stmts: [Option<Statement>; 8],
}

impl Conn {
    fn stmt(&mut self, sql: &PgSql, q: Q) -> Result<Statement, postgres::Error> {
        let slot = &mut self.stmts[q as usize];
        if let Some(s) = slot {
            return Ok(s.clone());
        }
        let s = self.client.prepare(&sql.0[q as usize])?;
        *slot = Some(s.clone());
        Ok(s)
    }
}

struct Manager {
    inner: PostgresConnectionManager<NoTls>,
}

impl ManageConnection for Manager {
    type Connection = Conn;
    type Error = postgres::Error;

    fn connect(&self) -> Result<Conn, postgres::Error> {
        Ok(Conn {
            client: self.inner.connect()?,
            stmts: Default::default(),
        })
    }

    fn is_valid(&self, conn: &mut Conn) -> Result<(), postgres::Error> {
        conn.client.simple_query("").map(|_| ())
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        conn.client.is_closed()
    }
}

/// Keeps the last connection error so a pool timeout can report its real cause.
#[derive(Debug)]
struct LastError(Arc<Mutex<Option<postgres::Error>>>);

impl HandleError<postgres::Error> for LastError {
    fn handle_error(&self, error: postgres::Error) {
        tracing::warn!(error = %error, "cannot connect to PostgreSQL");
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(error);
    }
}

/// `user@host:port/dbname`, never the password.
fn describe(config: &postgres::Config) -> String {
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(h)) => h.clone(),
        Some(postgres::config::Host::Unix(p)) => p.display().to_string(),
        None => "localhost".to_owned(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!(
        "postgres://{}@{host}:{port}/{}",
        config.get_user().unwrap_or(""),
        config.get_dbname().unwrap_or("")
    )
}

impl PostgresConfig {
    /// Connects to the database at `url` (`postgres://user:pass@host/db` or
    /// `host=... user=... dbname=...`), creating the table if absent.
    ///
    /// ```no_run
    /// let store = session_db::PostgresConfig::django().connect("host=127.0.0.1 user=postgres dbname=site")?;
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn connect(&self, url: &str) -> Result<PostgresStore> {
        let config: postgres::Config = url.parse().map_err(|e: postgres::Error| {
            Error::backend(
                BACKEND,
                OpenError {
                    path: "<unparsable PostgreSQL URL>".into(),
                    source: e.into(),
                },
            )
        })?;
        self.connect_with(config)
    }

    /// [`connect`](PostgresConfig::connect) with a driver configuration built in code.
    ///
    /// ```no_run
    /// let mut pg = postgres::Config::new();
    /// pg.host("127.0.0.1").user("postgres").dbname("app");
    /// let store = session_db::PostgresConfig::native().connect_with(pg)?;
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn connect_with(&self, mut config: postgres::Config) -> Result<PostgresStore> {
        if config.get_ssl_mode() == postgres::config::SslMode::Require {
            return Err(Error::backend(
                BACKEND,
                OpenError {
                    path: describe(&config).into(),
                    source: crate::error::TlsNotSupported.into(),
                },
            ));
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(self.connect_timeout);
        }
        let database = describe(&config);
        let last_error = Arc::new(Mutex::new(None));
        let pool = Pool::builder()
            .max_size(self.pool_size)
            .min_idle(Some(1))
            .test_on_check_out(false)
            .connection_timeout(self.connect_timeout)
            .error_handler(Box::new(LastError(last_error.clone())))
            .build_unchecked(Manager {
                inner: PostgresConnectionManager::new(config, NoTls),
            });
        let table = match &self.schema {
            Some(s) => format!("\"{s}\".\"{}\"", self.table),
            None => format!("\"{}\"", self.table),
        };
        let store = PostgresStore {
            inner: Arc::new(Inner {
                mode: self.mode,
                sql: Arc::new(PgSql::new(self.mode, &table)),
                table,
                database,
                batch_size: self.batch_size,
                _off_runtime: DropOffRuntime(Some(pool.clone())),
                pool,
                last_error,
            }),
        };
        let open_err = |e: session_core::BoxError| {
            Error::backend(
                BACKEND,
                OpenError {
                    path: store.inner.database.clone().into(),
                    source: e,
                },
            )
        };
        // The first connection and the schema check run on a plain thread: the sync client
        // cannot block inside an async runtime, and stores are often built in one.
        std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let mut conn = store.get().map_err(|e| match e {
                        Error::Backend { source, .. } => open_err(source),
                        other => other,
                    })?;
                    ensure_schema(&mut conn.client, self).map_err(open_err)
                })
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })?;
        Ok(store)
    }
}

/// Creates the schema, table and indexes if absent (under an advisory lock), checks the
/// columns and, for the native layout, the recorded version.
fn ensure_schema(
    client: &mut Client,
    config: &PostgresConfig,
) -> Result<(), session_core::BoxError> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])?;
    let (prefix, t) = match &config.schema {
        Some(s) => {
            tx.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS \"{s}\""))?;
            (format!("\"{s}\"."), config.table.as_str())
        }
        None => (String::new(), config.table.as_str()),
    };
    let qualified = format!("{prefix}\"{t}\"");
    let existed: bool = tx
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&qualified])?
        .get(0);
    if !existed {
        let ddl = match config.mode {
            Mode::Native => format!(
                "CREATE TABLE {qualified} (key_hash bytea NOT NULL PRIMARY KEY, \
                   data bytea NOT NULL, expires_at timestamp with time zone NOT NULL);\
                 CREATE INDEX \"{t}_expires_at\" ON {qualified} (expires_at);"
            ),
            // Django's migration 0001 on PostgreSQL (index names as Django makes them for
            // the default table).
            Mode::Django => {
                let (expire_idx, like_idx) = if t == "django_session" {
                    (
                        "django_session_expire_date_a5c62663".to_owned(),
                        "django_session_session_key_c0390e0f_like".to_owned(),
                    )
                } else {
                    (format!("{t}_expire_date"), format!("{t}_session_key_like"))
                };
                format!(
                    "CREATE TABLE {qualified} (\"session_key\" varchar(40) NOT NULL PRIMARY KEY, \
                       \"session_data\" text NOT NULL, \
                       \"expire_date\" timestamp with time zone NOT NULL);\
                     CREATE INDEX \"{expire_idx}\" ON {qualified} (\"expire_date\");\
                     CREATE INDEX \"{like_idx}\" ON {qualified} \
                       (\"session_key\" varchar_pattern_ops);"
                )
            }
        };
        tx.batch_execute(&ddl)?;
    }
    let present: Vec<String> = tx
        .query(
            "SELECT column_name::text FROM information_schema.columns \
             WHERE table_schema = COALESCE($1, current_schema()) AND table_name = $2",
            &[&config.schema, &t],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect();
    check_columns(config.mode, t, &present)?;
    if config.mode == Mode::Native {
        let meta = format!("{prefix}session_db_schema");
        tx.batch_execute(&format!(
            "CREATE TABLE IF NOT EXISTS {meta} (table_name text NOT NULL PRIMARY KEY, \
               version bigint NOT NULL)"
        ))?;
        let found: Option<i64> = tx
            .query_opt(
                &format!("SELECT version FROM {meta} WHERE table_name = $1"),
                &[&t],
            )?
            .map(|r| r.get(0));
        match found {
            Some(v) if v > SCHEMA_VERSION => {
                return Err(SchemaError::TooNew {
                    table: t.to_owned(),
                    found: v,
                    supported: SCHEMA_VERSION,
                }
                .into());
            }
            Some(_) => {}
            None => {
                tx.execute(
                    &format!("INSERT INTO {meta} (table_name, version) VALUES ($1, $2)"),
                    &[&t, &SCHEMA_VERSION],
                )?;
            }
        }
    }
    tx.commit()?;
    Ok(())
}

/// A key as bound: its hash (native) or itself (Django); `None` for keys never looked up.
enum PgKey<'a> {
    Hash(Vec<u8>),
    Clear(&'a str),
}

impl<'a> PgKey<'a> {
    fn new(mode: Mode, key: &'a str) -> Option<Self> {
        if !key::is_well_formed(key) {
            return None;
        }
        match mode {
            Mode::Native => Some(PgKey::Hash(hash_key(key).to_vec())),
            Mode::Django if key.len() <= 40 => Some(PgKey::Clear(key)),
            Mode::Django => None,
        }
    }

    fn param(&self) -> &(dyn ToSql + Sync) {
        match self {
            PgKey::Hash(h) => h,
            PgKey::Clear(k) => k,
        }
    }
}

impl PostgresStore {
    /// Connects to `url` with the native layout and default [`PostgresConfig`].
    ///
    /// ```no_run
    /// let store = session_db::PostgresStore::connect("postgres://app:secret@db.internal/app")?;
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn connect(url: &str) -> Result<Self> {
        PostgresConfig::native().connect(url)
    }

    /// Connects to a Django site's database in Django mode (`django_session`, created
    /// with Django's DDL if absent). Pair with [`django_manager`](PostgresStore::django_manager).
    ///
    /// ```no_run
    /// let store = session_db::PostgresStore::connect_django("host=db user=django dbname=site")?;
    /// let manager = store.django_manager("the site's SECRET_KEY")?;
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn connect_django(url: &str) -> Result<Self> {
        PostgresConfig::django().connect(url)
    }

    /// This store with Django's codec for `secret` as the serializer: see
    /// [`SqliteStore::django_manager`](crate::SqliteStore::django_manager).
    ///
    /// ```no_run
    /// let manager = session_db::PostgresStore::connect_django("host=db dbname=site")?
    ///     .django_manager("the site's SECRET_KEY")?;
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn django_manager(&self, secret: impl AsRef<[u8]>) -> Result<SessionManager> {
        Ok(SessionManager::new(self.clone()).with_serializer(DjangoCodec::new(secret)?))
    }

    /// The layout.
    ///
    /// ```no_run
    /// let store = session_db::PostgresStore::connect("host=127.0.0.1 dbname=app")?;
    /// assert_eq!(store.mode(), session_db::Mode::Native);
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn mode(&self) -> Mode {
        self.inner.mode
    }

    /// The table, quoted and schema-qualified as used in SQL.
    ///
    /// ```no_run
    /// let store = session_db::PostgresStore::connect("host=127.0.0.1 dbname=app")?;
    /// assert_eq!(store.table(), "\"sessions\"");
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn table(&self) -> &str {
        &self.inner.table
    }

    /// How many stored sessions are expired now.
    ///
    /// ```no_run
    /// let store = session_db::PostgresStore::connect("host=127.0.0.1 dbname=app")?;
    /// println!("{} expired sessions", store.count_expired()?);
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn count_expired(&self) -> Result<u64> {
        let now = SystemTime::now();
        let n: i64 = self.with_conn(|c| {
            let s = c.stmt(&self.inner.sql, Q::CountExpired)?;
            Ok(c.client.query_one(&s, &[&now])?.get(0))
        })?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// `clear_expired`, calling `progress` with the number deleted so far after each
    /// batch (one short transaction of [`PostgresConfig::with_batch_size`] rows).
    ///
    /// ```no_run
    /// let store = session_db::PostgresStore::connect("host=127.0.0.1 dbname=app")?;
    /// let total = store.clear_expired_with(|n| eprintln!("{n} deleted"))?;
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn clear_expired_with(&self, mut progress: impl FnMut(u64)) -> Result<u64> {
        let now = SystemTime::now();
        let batch = self.inner.batch_size;
        let limit = i64::try_from(batch).unwrap_or(i64::MAX);
        let mut total = 0u64;
        loop {
            let deleted = self.with_conn(|c| {
                let s = c.stmt(&self.inner.sql, Q::ClearBatch)?;
                c.client.execute(&s, &[&now, &limit])
            })?;
            total += deleted;
            if deleted > 0 {
                progress(total);
            }
            if deleted < batch as u64 {
                break;
            }
        }
        tracing::debug!(deleted = total, table = %self.inner.table, "cleared expired sessions");
        Ok(total)
    }

    fn get(&self) -> Result<PooledConnection<Manager>> {
        self.inner.pool.get().map_err(|e| {
            let last = self
                .inner
                .last_error
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            match last {
                Some(pg) => Error::backend(BACKEND, pg),
                None => Error::backend(BACKEND, e),
            }
        })
    }

    /// Runs `f` on a pooled connection; if the server dropped that connection, retries on
    /// fresh ones (every idle connection may be dead after a restart).
    fn with_conn<T>(
        &self,
        mut f: impl FnMut(&mut Conn) -> Result<T, postgres::Error>,
    ) -> Result<T> {
        refuse_on_executor()?;
        let attempts = self.inner.pool.max_size() + 1;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut conn = self.get()?;
            match f(&mut conn) {
                Ok(v) => return Ok(v),
                Err(e) if conn.client.is_closed() && attempt < attempts => {
                    tracing::warn!(error = %e, "PostgreSQL connection lost; retrying on a new one");
                }
                Err(e) => return Err(Error::backend(BACKEND, e)),
            }
        }
    }

    fn data_param<'a>(&self, data: &'a [u8]) -> Result<Box<dyn ToSql + Sync + 'a>> {
        match self.inner.mode {
            Mode::Native => Ok(Box::new(data)),
            Mode::Django => std::str::from_utf8(data)
                .map(|s| Box::new(s) as Box<dyn ToSql + Sync>)
                .map_err(|e| Error::Serialize(Box::new(e))),
        }
    }
}

/// A `PostgresStore` operation was called on a thread that runs async tasks.
///
/// The sync `postgres` client blocks on a runtime of its own, which tokio forbids on a
/// thread that drives tasks (it would panic with "Cannot start a runtime from within a
/// runtime"), and blocking there would stall every task of that thread while the
/// database answers. Run the store's operations on a blocking thread instead.
#[derive(Debug, thiserror::Error)]
#[error(
    "the PostgreSQL store blocks, so its sync methods cannot run on an async executor \
     thread: use its async face (AsyncSessionStore), tokio::task::spawn_blocking or a thread \
     of your own (with session-tower, do not set SessionLayer::inline(true))"
)]
struct OnExecutor;

/// `Err(OnExecutor)` on a thread of a tokio runtime other than its blocking pool: an async
/// task (a worker thread, or the thread inside `Runtime::block_on`). Threads of the
/// blocking pool (`spawn_blocking`, where session-tower sends this store) and threads
/// outside any runtime are fine.
fn refuse_on_executor() -> Result<()> {
    if tokio::runtime::Handle::try_current().is_err() {
        return Ok(());
    }
    // A blocking-pool thread runs a task (it has an id) but is no worker.
    let blocking_pool = tokio::runtime::worker_index().is_none() && tokio::task::try_id().is_some();
    if blocking_pool {
        Ok(())
    } else {
        Err(Error::backend(BACKEND, OnExecutor))
    }
}

impl SessionStore for PostgresStore {
    fn load_record(&self, key: &str) -> Result<Option<Record>> {
        let Some(k) = PgKey::new(self.inner.mode, key) else {
            return Ok(None);
        };
        let now = SystemTime::now();
        let mode = self.inner.mode;
        self.with_conn(|c| {
            let s = c.stmt(&self.inner.sql, Q::Load)?;
            let row = c.client.query_opt(&s, &[k.param(), &now])?;
            Ok(row.map(|r| {
                let data = match mode {
                    Mode::Native => r.get::<_, Vec<u8>>(0),
                    Mode::Django => r.get::<_, String>(0).into_bytes(),
                };
                Record::new(data, r.get::<_, SystemTime>(1))
            }))
        })
    }

    fn create(&self, record: &Record) -> Result<String> {
        let data = self.data_param(&record.data)?;
        let expires_at = bounded(record.expires_at);
        for _ in 0..CREATE_ATTEMPTS {
            let key = key::generate();
            let k = PgKey::new(self.inner.mode, &key).ok_or(Error::InvalidKey)?;
            let inserted = self.with_conn(|c| {
                let s = c.stmt(&self.inner.sql, Q::Insert)?;
                match c.client.execute(&s, &[k.param(), &*data, &expires_at]) {
                    Ok(_) => Ok(true),
                    Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => Ok(false),
                    Err(e) => Err(e),
                }
            })?;
            if inserted {
                return Ok(key);
            }
            tracing::warn!(key = %key_prefix(&key), "generated session key already existed; retrying");
        }
        Err(Error::KeyExists)
    }

    fn save(&self, key: &str, record: &Record) -> Result<String> {
        let data = self.data_param(&record.data)?;
        let Some(k) = PgKey::new(self.inner.mode, key) else {
            return Err(Error::Interrupted);
        };
        let expires_at = bounded(record.expires_at);
        let now = SystemTime::now();
        let updated = self.with_conn(|c| {
            let s = c.stmt(&self.inner.sql, Q::Update)?;
            c.client
                .execute(&s, &[k.param(), &*data, &expires_at, &now])
        })?;
        if updated == 1 {
            Ok(key.to_owned())
        } else {
            tracing::debug!(key = %key_prefix(key), "save of a deleted or expired session refused");
            Err(Error::Interrupted)
        }
    }

    fn delete(&self, key: &str) -> Result<()> {
        let Some(k) = PgKey::new(self.inner.mode, key) else {
            return Ok(());
        };
        self.with_conn(|c| {
            let s = c.stmt(&self.inner.sql, Q::Delete)?;
            c.client.execute(&s, &[k.param()])
        })?;
        Ok(())
    }

    fn exists(&self, key: &str) -> Result<bool> {
        let Some(k) = PgKey::new(self.inner.mode, key) else {
            return Ok(false);
        };
        let now = SystemTime::now();
        self.with_conn(|c| {
            let s = c.stmt(&self.inner.sql, Q::Exists)?;
            Ok(c.client.query_opt(&s, &[k.param(), &now])?.is_some())
        })
    }

    fn touch(&self, key: &str, expires_at: SystemTime) -> Result<()> {
        let Some(k) = PgKey::new(self.inner.mode, key) else {
            return Err(Error::Interrupted);
        };
        let now = SystemTime::now();
        let updated = self.with_conn(|c| {
            let s = c.stmt(&self.inner.sql, Q::Touch)?;
            c.client.execute(&s, &[k.param(), &expires_at, &now])
        })?;
        if updated == 1 {
            Ok(())
        } else {
            Err(Error::Interrupted)
        }
    }
}

impl ClearExpired for PostgresStore {
    fn clear_expired(&self) -> Result<u64> {
        self.clear_expired_with(|_| {})
    }
}
