//! [`PostgresStore`]: sessions in PostgreSQL (feature `postgres`), async-native.

mod tls;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, PoolError, RecyclingMethod};
use session_core::{
    AsyncClearExpired, AsyncSessionStore, CREATE_ATTEMPTS, ClearExpired, Error, Record, Result,
    SessionManager, SessionStore, key, key_prefix,
};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Row};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::schema::{
    SCHEMA_VERSION, SweepBatches, bounded, check_columns, columns, hash_key, must_record_version,
};
use crate::{DjangoCodec, Mode, OpenError, PostgresConfig};

pub use tls::TlsSetupError;

const BACKEND: &str = "postgres";
/// `pg_advisory_xact_lock` key held while a store creates or checks its tables, so nodes
/// starting at once do not race on `CREATE TABLE`.
const SCHEMA_LOCK: i64 = 0x5e55_10d8_0001;
/// How long the store keeps waiting for an answer after the server's own
/// `statement_timeout` should have cancelled the statement.
const ANSWER_GRACE: Duration = Duration::from_millis(250);
/// Idle time before TCP keepalive probes start: a peer that vanished (a failover, a
/// dropped NAT entry) is noticed in about a minute, not the system's default two hours.
const KEEPALIVE_IDLE: Duration = Duration::from_secs(30);

/// Sessions in PostgreSQL, through a pool of connections: the engine for sites that run
/// on more than one machine. Same behaviour as [`SqliteStore`](crate::SqliteStore): native
/// layout (SHA-256 keys, `bytea` data, `timestamptz` expiry, an index on it) or Django mode
/// on Django's own `django_session` table.
///
/// - **Async-native**: tokio-postgres connections in a bounded
///   [deadpool](deadpool_postgres) pool; a request waits on the network without holding a
///   thread. [`PostgresStore::connect`] builds the pool from a URL;
///   [`PostgresStore::new`] takes the pool your application already has.
/// - **TLS** through rustls, chosen by the URL as libpq does: `sslmode=require` encrypts,
///   `verify-ca` checks the chain, `verify-full` the chain and the host name; roots from
///   `sslrootcert=FILE`, [`PostgresConfig::with_ca_file`] or the system's store.
/// - **Every wait is bounded**: connecting and checking a connection out of the pool by
///   [`PostgresConfig::with_connect_timeout`], each statement by
///   [`PostgresConfig::with_statement_timeout`] (the server cancels it; the store stops
///   waiting shortly after, so a frozen server costs a request that long, not forever).
///   TCP keepalive notices a vanished server.
/// - **Dropped connections**: an operation whose connection the server dropped (restart,
///   failover, `pg_terminate_backend`) is retried on a fresh one. Every operation may be
///   repeated safely; `create` checks after a retry whether its first attempt landed, so
///   it never reports a false collision nor leaves an orphan row.
/// - Tables are created if absent, under an advisory lock: nodes may start at once.
/// - Expiries are stored between the Unix epoch and the expiry ceiling
///   ([`max_expiry`](session_core::expiry::max_expiry), the end of year 9999).
///
/// The store needs a tokio runtime with time enabled (`#[tokio::main]` has one).
///
/// **Sync callers** use the same store through its [`SessionStore`] face, which runs each
/// operation to completion on the runtime the store was built in (or, when built outside
/// any runtime, on a small runtime of its own). Call it from a plain thread or tokio's
/// blocking pool; on a thread that runs async tasks it fails at once with
/// [`Error::Backend`] instead of stalling the executor.
///
/// ```no_run
/// use session_core::SessionManager;
/// use session_db::PostgresStore;
///
/// # #[tokio::main] async fn main() -> session_core::Result<()> {
/// let store = PostgresStore::connect("postgres://app@db.internal/app?sslmode=verify-full")?;
/// let manager = SessionManager::new(store);
/// // Django mode, sharing sessions with a Django site:
/// let django = PostgresStore::connect_django("postgres://django@db/site")?;
/// let manager = django.django_manager("the site's SECRET_KEY")?;
/// # Ok(()) }
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
    sql: PgSql,
    pool: Pool,
    connect_timeout: Duration,
    statement_timeout: Duration,
    /// Set once the table is known to be there (at once by `connect`, at the first
    /// operation for a pool handed in).
    schema: tokio::sync::OnceCell<()>,
    config: PostgresConfig,
    sync: SyncDriver,
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

/// The statements a store runs, by slot in [`PgSql`].
#[derive(Clone, Copy, Debug)]
enum Q {
    Load,
    Exists,
    Insert,
    Update,
    Delete,
    ClearBatch,
    CountExpired,
    Touch,
    Holds,
}

impl Q {
    /// Statements answered by a row (or none); the others by a count of rows changed.
    fn returns_row(self) -> bool {
        matches!(self, Q::Load | Q::Exists | Q::CountExpired | Q::Holds)
    }
}

/// `$1` key, `$2` data, `$3` expiry, `$4` now; clear: `$1` now, `$2` limit; touch: `$1`
/// key, `$2` expiry, `$3` now.
struct PgSql([String; 9]);

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
            format!("SELECT 1 FROM {t} WHERE {k} = $1 AND {d} = $2 AND {e} = $3"),
        ])
    }

    fn get(&self, q: Q) -> &str {
        &self.0[q as usize]
    }
}

/// What a statement answered.
enum Answer {
    Row(Option<Row>),
    Count(u64),
}

impl Answer {
    fn row(self) -> Option<Row> {
        match self {
            Answer::Row(row) => row,
            Answer::Count(_) => None,
        }
    }

    fn count(self) -> u64 {
        match self {
            Answer::Count(n) => n,
            Answer::Row(_) => 0,
        }
    }
}

/// A wait that ran out: the pool had no connection in time, or the server did not answer.
#[derive(Debug, thiserror::Error)]
#[error("PostgreSQL did not {what} within {after:?}")]
pub struct Timeout {
    what: &'static str,
    after: Duration,
}

/// `user@host:port/dbname`, never the password.
fn describe(config: &tokio_postgres::Config) -> String {
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
        Some(tokio_postgres::config::Host::Unix(p)) => p.display().to_string(),
        None => "localhost".to_owned(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!(
        "postgres://{}@{host}:{port}/{}",
        config.get_user().unwrap_or(""),
        config.get_dbname().unwrap_or("")
    )
}

fn open_error(database: &str, source: impl Into<session_core::BoxError>) -> Error {
    Error::backend(
        BACKEND,
        OpenError {
            path: database.into(),
            source: source.into(),
        },
    )
}

impl PostgresConfig {
    /// Connects to the database at `url` (`postgres://user:pass@host/db?sslmode=…` or
    /// `host=... user=... dbname=...`): one connection now, to check the server answers and
    /// to create the table if absent, then a pool that connects as operations need it.
    /// TLS as the URL asks (see [`PostgresStore`]).
    ///
    /// ```no_run
    /// # #[tokio::main] async fn main() -> session_core::Result<()> {
    /// let store = session_db::PostgresConfig::django()
    ///     .connect("host=db.internal user=site dbname=site sslmode=verify-full")?;
    /// # Ok(()) }
    /// ```
    pub fn connect(&self, url: &str) -> Result<PostgresStore> {
        let (driver_url, url_tls) = tls::split_url(url);
        let config: tokio_postgres::Config = driver_url
            .parse()
            .map_err(|e: tokio_postgres::Error| open_error("<unparsable PostgreSQL URL>", e))?;
        self.connect_tls(config, &url_tls)
    }

    /// [`connect`](PostgresConfig::connect) with a driver configuration built in code
    /// (its `ssl_mode` and this config's [CA file](PostgresConfig::with_ca_file) choose TLS).
    ///
    /// ```no_run
    /// use session_db::tokio_postgres;
    /// let mut pg = tokio_postgres::Config::new();
    /// pg.host("127.0.0.1").user("postgres").dbname("app");
    /// let store = session_db::PostgresConfig::native().connect_with(pg)?;
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn connect_with(&self, config: tokio_postgres::Config) -> Result<PostgresStore> {
        self.connect_tls(config, &tls::UrlTls::default())
    }

    fn connect_tls(
        &self,
        mut config: tokio_postgres::Config,
        url_tls: &tls::UrlTls,
    ) -> Result<PostgresStore> {
        let database = describe(&config);
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(self.connect_timeout);
        }
        config.keepalives(true);
        if config.get_keepalives_idle() > KEEPALIVE_IDLE {
            config.keepalives_idle(KEEPALIVE_IDLE);
        }
        if config.get_options().is_none() {
            let ms = self.statement_timeout.as_millis().max(1);
            config.options(format!("-c statement_timeout={ms}"));
        }
        let rustls = tls::client_config(config.get_ssl_mode(), url_tls, self.ca_file.as_deref())
            .map_err(|e| open_error(&database, e))?;
        let tls = MakeRustlsConnect::new(rustls);
        self.check_server(&config, tls.clone())
            .map_err(|e| open_error(&database, e))?;
        let manager = Manager::from_config(
            config,
            tls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(self.pool_size as usize)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(self.connect_timeout))
            .create_timeout(Some(self.connect_timeout))
            .recycle_timeout(Some(self.connect_timeout))
            .build()
            .map_err(|e| open_error(&database, e))?;
        let store = self.store(pool, database);
        let _ = store.inner.schema.set(());
        Ok(store)
    }

    /// One connection, made and used on a thread and runtime of its own (the caller may be
    /// an async task, possibly on a single-threaded runtime, that must not wait on itself):
    /// the server answers, and the table is there.
    fn check_server(
        &self,
        config: &tokio_postgres::Config,
        tls: MakeRustlsConnect,
    ) -> Result<(), session_core::BoxError> {
        let deadline = self.connect_timeout + self.statement_timeout;
        let check = async {
            let (mut client, connection) = config.connect(tls).await?;
            let task = tokio::spawn(connection);
            let checked = ensure_schema(&mut client, self).await;
            drop(client);
            let _ = task.await;
            checked
        };
        std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()?;
                    runtime.block_on(async {
                        match tokio::time::timeout(deadline, check).await {
                            Ok(checked) => checked,
                            Err(_) => Err(Timeout {
                                what: "answer while connecting",
                                after: deadline,
                            }
                            .into()),
                        }
                    })
                })
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }

    /// A store over `pool` with these settings; nothing is checked until it is used.
    fn store(&self, pool: Pool, database: String) -> PostgresStore {
        let table = match &self.schema {
            Some(s) => format!("\"{s}\".\"{}\"", self.table),
            None => format!("\"{}\"", self.table),
        };
        PostgresStore {
            inner: Arc::new(Inner {
                mode: self.mode,
                sql: PgSql::new(self.mode, &table),
                table,
                database,
                batch_size: self.batch_size,
                pool,
                connect_timeout: self.connect_timeout,
                statement_timeout: self.statement_timeout,
                schema: tokio::sync::OnceCell::new(),
                config: self.clone(),
                sync: SyncDriver::here(),
            }),
        }
    }
}

/// Creates the schema, table and indexes if absent (under an advisory lock), checks the
/// columns and, for the native layout, the recorded version.
async fn ensure_schema(
    client: &mut Client,
    config: &PostgresConfig,
) -> Result<(), session_core::BoxError> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])
        .await?;
    let (prefix, t) = match &config.schema {
        Some(s) => {
            tx.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS \"{s}\""))
                .await?;
            (format!("\"{s}\"."), config.table.as_str())
        }
        None => (String::new(), config.table.as_str()),
    };
    let qualified = format!("{prefix}\"{t}\"");
    let existed: bool = tx
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&qualified])
        .await?
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
        tx.batch_execute(&ddl).await?;
    }
    let present: Vec<String> = tx
        .query(
            "SELECT column_name::text FROM information_schema.columns \
             WHERE table_schema = COALESCE($1, current_schema()) AND table_name = $2",
            &[&config.schema, &t],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    check_columns(config.mode, t, &present)?;
    if config.mode == Mode::Native {
        let meta = format!("{prefix}session_db_schema");
        tx.batch_execute(&format!(
            "CREATE TABLE IF NOT EXISTS {meta} (table_name text NOT NULL PRIMARY KEY, \
               version bigint NOT NULL)"
        ))
        .await?;
        let found: Option<i64> = tx
            .query_opt(
                &format!("SELECT version FROM {meta} WHERE table_name = $1"),
                &[&t],
            )
            .await?
            .map(|r| r.get(0));
        if must_record_version(t, found)? {
            tx.execute(
                &format!("INSERT INTO {meta} (table_name, version) VALUES ($1, $2)"),
                &[&t, &SCHEMA_VERSION],
            )
            .await?;
        }
    }
    tx.commit().await?;
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

    /// A store over the pool your application already has (its TLS, sizes and timeouts
    /// rule), with the native layout. Does no I/O: the table is checked, and created if
    /// absent, by the first operation.
    ///
    /// ```no_run
    /// use session_db::{PostgresStore, deadpool_postgres, tokio_postgres};
    ///
    /// let mut pg = tokio_postgres::Config::new();
    /// pg.host("db.internal").user("app").dbname("app");
    /// let manager = deadpool_postgres::Manager::new(pg, tokio_postgres::NoTls);
    /// let pool = deadpool_postgres::Pool::builder(manager).max_size(16).build().unwrap();
    /// let store = PostgresStore::new(pool);
    /// ```
    pub fn new(pool: Pool) -> Self {
        Self::with_config(pool, &PostgresConfig::native())
    }

    /// [`new`](PostgresStore::new) with a layout, table and timeouts from `config` (its pool
    /// size and connect timeout do not apply: the pool is yours; the store still stops
    /// waiting for a connection after the connect timeout).
    ///
    /// ```no_run
    /// # fn pool() -> session_db::deadpool_postgres::Pool { unimplemented!() }
    /// let store = session_db::PostgresStore::with_config(pool(), &session_db::PostgresConfig::django());
    /// ```
    pub fn with_config(pool: Pool, config: &PostgresConfig) -> Self {
        config.store(pool, "a PostgreSQL pool handed in".to_owned())
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

    /// The pool the store draws its connections from.
    ///
    /// ```no_run
    /// let store = session_db::PostgresStore::connect("host=127.0.0.1 dbname=app")?;
    /// println!("{:?}", store.pool().status());
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn pool(&self) -> &Pool {
        &self.inner.pool
    }

    /// How many stored sessions are expired now (sync: see the type's notes on sync
    /// callers).
    ///
    /// ```no_run
    /// let store = session_db::PostgresStore::connect("host=127.0.0.1 dbname=app")?;
    /// println!("{} expired sessions", store.count_expired()?);
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn count_expired(&self) -> Result<u64> {
        self.block_on(async {
            let now = SystemTime::now();
            let row = self.call(Q::CountExpired, &[&now]).await?.row();
            Ok(row.map_or(0, |r| u64::try_from(r.get::<_, i64>(0)).unwrap_or(0)))
        })
    }

    /// `clear_expired`, calling `progress` with the number deleted so far after each
    /// batch (one short statement, sized by time to take about 25 ms, of at most
    /// [`PostgresConfig::with_batch_size`] rows). Sync, for
    /// command-line tools; async callers use [`AsyncClearExpired`].
    ///
    /// ```no_run
    /// let store = session_db::PostgresStore::connect("host=127.0.0.1 dbname=app")?;
    /// let total = store.clear_expired_with(|n| eprintln!("{n} deleted"))?;
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn clear_expired_with(&self, progress: impl FnMut(u64)) -> Result<u64> {
        self.block_on(self.sweep(progress))
    }

    async fn clear_now(&self) -> Result<u64> {
        self.sweep(|_| {}).await
    }

    async fn sweep(&self, mut progress: impl FnMut(u64)) -> Result<u64> {
        let now = SystemTime::now();
        let mut batches = SweepBatches::new(self.inner.batch_size);
        let mut total = 0u64;
        loop {
            let rows = batches.rows();
            let limit = i64::try_from(rows).unwrap_or(i64::MAX);
            let started = std::time::Instant::now();
            let deleted = self.call(Q::ClearBatch, &[&now, &limit]).await?.count();
            total += deleted;
            if deleted > 0 {
                progress(total);
            }
            if deleted < rows as u64 {
                break;
            }
            batches.took(rows, started.elapsed());
        }
        tracing::debug!(deleted = total, table = %self.inner.table, "cleared expired sessions");
        Ok(total)
    }

    /// A connection from the pool, within the connect timeout, once the table is known to
    /// be there.
    async fn checkout(&self) -> Result<Object> {
        let inner = &*self.inner;
        let get = async {
            match inner.pool.get().await {
                Ok(conn) => Ok(conn),
                Err(PoolError::Backend(e)) => Err(Error::backend(BACKEND, e)),
                Err(PoolError::Timeout(_)) => Err(Error::backend(
                    BACKEND,
                    Timeout {
                        what: "hand out a connection",
                        after: inner.connect_timeout,
                    },
                )),
                Err(e) => Err(Error::backend(BACKEND, e)),
            }
        };
        let mut conn = match tokio::time::timeout(inner.connect_timeout, get).await {
            Ok(conn) => conn?,
            Err(_) => {
                return Err(Error::backend(
                    BACKEND,
                    Timeout {
                        what: "hand out a connection",
                        after: inner.connect_timeout,
                    },
                ));
            }
        };
        if inner.schema.initialized() {
            return Ok(conn);
        }
        inner
            .schema
            .get_or_try_init(|| async {
                let wait = inner.statement_timeout + ANSWER_GRACE;
                match tokio::time::timeout(wait, ensure_schema(&mut conn, &inner.config)).await {
                    Ok(checked) => checked.map_err(|e| open_error(&inner.database, e)),
                    Err(_) => Err(open_error(
                        &inner.database,
                        Timeout {
                            what: "answer while checking the table",
                            after: wait,
                        },
                    )),
                }
            })
            .await?;
        Ok(conn)
    }

    /// Runs statement `q` on a pooled connection and waits at most the statement timeout
    /// (plus a margin) for its answer. A connection the server dropped is replaced and the
    /// statement run again, up to the pool's size (after a restart every idle connection
    /// may be dead); a connection that did not answer in time is closed, not reused.
    async fn call(&self, q: Q, params: &[&(dyn ToSql + Sync)]) -> Result<Answer> {
        let inner = &*self.inner;
        let wait = inner.statement_timeout + ANSWER_GRACE;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let conn = self.checkout().await?;
            let run = async {
                let stmt = conn.prepare_cached(inner.sql.get(q)).await?;
                if q.returns_row() {
                    conn.query_opt(&stmt, params).await.map(Answer::Row)
                } else {
                    conn.execute(&stmt, params).await.map(Answer::Count)
                }
            };
            match tokio::time::timeout(wait, run).await {
                Ok(Ok(answer)) => return Ok(answer),
                // (the pool's size is read only when a retry is due: `status` takes a lock)
                Ok(Err(e)) if dropped(&e, &conn) && attempt <= inner.pool.status().max_size => {
                    tracing::warn!(error = %e, "PostgreSQL connection lost; retrying on a new one");
                    drop(Object::take(conn));
                }
                Ok(Err(e)) => return Err(Error::backend(BACKEND, e)),
                Err(_) => {
                    // The answer may still come; this connection cannot be trusted to be
                    // in step any more.
                    drop(Object::take(conn));
                    return Err(Error::backend(
                        BACKEND,
                        Timeout {
                            what: "answer",
                            after: wait,
                        },
                    ));
                }
            }
        }
    }

    /// Runs `op` to completion for a sync caller (see the type's notes).
    fn block_on<T>(&self, op: impl Future<Output = Result<T>>) -> Result<T> {
        refuse_on_executor()?;
        self.inner.sync.block_on(op)
    }

    fn data_param<'a>(&self, data: &'a [u8]) -> Result<Box<dyn ToSql + Sync + Send + 'a>> {
        match self.inner.mode {
            Mode::Native => Ok(Box::new(data)),
            Mode::Django => std::str::from_utf8(data)
                .map(|s| Box::new(s) as Box<dyn ToSql + Sync + Send>)
                .map_err(|e| Error::Serialize(Box::new(e))),
        }
    }

    fn record_of(&self, row: &Row) -> Record {
        let data = match self.inner.mode {
            Mode::Native => row.get::<_, Vec<u8>>(0),
            Mode::Django => row.get::<_, String>(0).into_bytes(),
        };
        Record::new(data, row.get::<_, SystemTime>(1))
    }
}

/// Whether `e` means the connection is gone (the server restarted, failed over or
/// terminated the backend), so the statement may run again on another one.
fn dropped(e: &tokio_postgres::Error, conn: &Client) -> bool {
    const GONE: [SqlState; 3] = [
        SqlState::ADMIN_SHUTDOWN,
        SqlState::CRASH_SHUTDOWN,
        SqlState::CANNOT_CONNECT_NOW,
    ];
    conn.is_closed() || e.is_closed() || e.code().is_some_and(|code| GONE.contains(code))
}

/// Runs `$op` (an expression over `$s`, a `&PostgresStore`, borrowing only `Copy` or
/// reference arguments of the caller) where tokio is: here when the caller runs on a tokio
/// runtime, else as a task on the store's runtime, so any executor can drive the async
/// face. Arguments are cloned into the task only in that second case.
macro_rules! on_tokio {
    ($self:ident, |$s:ident| $s2:ident . $op:ident ( $($arg:ident),* )) => {{
        if tokio::runtime::Handle::try_current().is_ok() {
            let $s = $self;
            $s2.$op($(on_tokio!(@borrow $arg)),*).await
        } else {
            let $s = $self.clone();
            $(let $arg = on_tokio!(@own $arg);)*
            $self
                .inner
                .sync
                .spawn(async move { $s2.$op($(on_tokio!(@borrow $arg)),*).await })
                .await
        }
    }};
    (@own $arg:ident) => { $arg.to_owned() };
    (@borrow $arg:ident) => { std::borrow::Borrow::borrow(&$arg) };
}

/// Where the sync face runs the async operations: the runtime the store was built in, or
/// one of its own when it was built outside any.
enum SyncDriver {
    Caller(tokio::runtime::Handle),
    Own(OwnRuntime),
}

/// A runtime that shuts down without blocking whoever drops the last store.
struct OwnRuntime(Option<tokio::runtime::Runtime>);

impl Drop for OwnRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

impl SyncDriver {
    fn here() -> Self {
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            return SyncDriver::Caller(handle);
        }
        // One worker drives the connections while sync callers wait on their own threads.
        match tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("session-db-postgres")
            .enable_all()
            .build()
        {
            Ok(runtime) => SyncDriver::Own(OwnRuntime(Some(runtime))),
            Err(e) => {
                tracing::error!(error = %e, "cannot start a runtime for the PostgreSQL store's sync face");
                SyncDriver::Own(OwnRuntime(None))
            }
        }
    }

    /// Runs `op` as a task on this runtime (for callers on another executor).
    async fn spawn<T: Send + 'static>(
        &self,
        op: impl Future<Output = Result<T>> + Send + 'static,
    ) -> Result<T> {
        let task = match self {
            SyncDriver::Caller(handle) => handle.spawn(op),
            SyncDriver::Own(OwnRuntime(Some(runtime))) => runtime.spawn(op),
            SyncDriver::Own(OwnRuntime(None)) => return Err(no_runtime()),
        };
        task.await.unwrap_or_else(|e| match e.try_into_panic() {
            Ok(payload) => Err(Error::panicked(BACKEND, payload)),
            Err(_) => Err(Error::backend(BACKEND, RuntimeGone)),
        })
    }

    fn block_on<T>(&self, op: impl Future<Output = Result<T>>) -> Result<T> {
        match self {
            SyncDriver::Caller(handle) => handle.block_on(op),
            SyncDriver::Own(OwnRuntime(Some(runtime))) => runtime.block_on(op),
            SyncDriver::Own(OwnRuntime(None)) => Err(no_runtime()),
        }
    }
}

/// The runtime the store runs its tasks on shut down under an operation.
#[derive(Debug, thiserror::Error)]
#[error("the runtime that ran this PostgreSQL operation shut down")]
struct RuntimeGone;

fn no_runtime() -> Error {
    Error::Unsupported {
        backend: BACKEND,
        operation: "calls from outside tokio (no runtime could be started for them)",
    }
}

/// A `PostgresStore` sync method was called on a thread that runs async tasks.
///
/// Waiting there for the database would stall every task of that thread (and on a
/// single-threaded runtime, the very task that must deliver the answer). Use the store's
/// async face, or call the sync one from `spawn_blocking` or a thread of your own.
#[derive(Debug, thiserror::Error)]
#[error(
    "the PostgreSQL store's sync methods wait for the network, so they cannot run on an \
     async executor thread: use its async face (AsyncSessionStore), \
     tokio::task::spawn_blocking or a thread of your own"
)]
struct OnExecutor;

/// `Err(OnExecutor)` on a thread of a tokio runtime other than its blocking pool: an async
/// task (a worker thread, or the thread inside `Runtime::block_on`). Threads of the
/// blocking pool and threads outside any runtime are fine.
fn refuse_on_executor() -> Result<()> {
    if session_core::on_tokio_executor_thread!() {
        Err(Error::backend(BACKEND, OnExecutor))
    } else {
        Ok(())
    }
}

/// The operations, run on a tokio runtime (see `on_tokio!`).
impl PostgresStore {
    async fn load_record_now(&self, key: &str) -> Result<Option<Record>> {
        let Some(k) = PgKey::new(self.inner.mode, key) else {
            return Ok(None);
        };
        let now = SystemTime::now();
        let row = self.call(Q::Load, &[k.param(), &now]).await?.row();
        Ok(row.map(|r| self.record_of(&r)))
    }

    async fn create_now(&self, record: &Record) -> Result<String> {
        let data = self.data_param(&record.data)?;
        let expires_at = bounded(record.expires_at);
        for _ in 0..CREATE_ATTEMPTS {
            let key = key::generate();
            let k = PgKey::new(self.inner.mode, &key).ok_or(Error::InvalidKey)?;
            let params: [&(dyn ToSql + Sync); 3] = [k.param(), &*data, &expires_at];
            match self.call(Q::Insert, &params).await {
                Ok(_) => return Ok(key),
                Err(Error::Backend { source, .. }) if is_unique_violation(&*source) => {
                    // Taken: by another session, or by this very insert, whose answer was
                    // lost with its connection before the retry. Ours has our bytes.
                    if self.call(Q::Holds, &params).await?.row().is_some() {
                        return Ok(key);
                    }
                }
                Err(e) => return Err(e),
            }
            tracing::warn!(key = %key_prefix(&key), "generated session key already existed; retrying");
            session_core::telemetry::record_create_collision("postgres");
        }
        Err(Error::KeyExists)
    }

    async fn save_now(&self, key: &str, record: &Record) -> Result<String> {
        let data = self.data_param(&record.data)?;
        let Some(k) = PgKey::new(self.inner.mode, key) else {
            return Err(Error::Interrupted);
        };
        let expires_at = bounded(record.expires_at);
        let now = SystemTime::now();
        let updated = self
            .call(Q::Update, &[k.param(), &*data, &expires_at, &now])
            .await?
            .count();
        if updated == 1 {
            Ok(key.to_owned())
        } else {
            tracing::debug!(key = %key_prefix(key), "save of a deleted or expired session refused");
            Err(Error::Interrupted)
        }
    }

    async fn delete_now(&self, key: &str) -> Result<()> {
        let Some(k) = PgKey::new(self.inner.mode, key) else {
            return Ok(());
        };
        self.call(Q::Delete, &[k.param()]).await?;
        Ok(())
    }

    async fn exists_now(&self, key: &str) -> Result<bool> {
        let Some(k) = PgKey::new(self.inner.mode, key) else {
            return Ok(false);
        };
        let now = SystemTime::now();
        Ok(self
            .call(Q::Exists, &[k.param(), &now])
            .await?
            .row()
            .is_some())
    }

    async fn touch_now(&self, key: &str, expires_at: &SystemTime) -> Result<()> {
        let Some(k) = PgKey::new(self.inner.mode, key) else {
            return Err(Error::Interrupted);
        };
        let expires_at = bounded(*expires_at);
        let now = SystemTime::now();
        let updated = self
            .call(Q::Touch, &[k.param(), &expires_at, &now])
            .await?
            .count();
        if updated == 1 {
            Ok(())
        } else {
            Err(Error::Interrupted)
        }
    }
}

impl AsyncSessionStore for PostgresStore {
    async fn load_record(&self, key: &str) -> Result<Option<Record>> {
        on_tokio!(self, |s| s.load_record_now(key))
    }

    async fn create(&self, record: &Record) -> Result<String> {
        on_tokio!(self, |s| s.create_now(record))
    }

    async fn save(&self, key: &str, record: &Record) -> Result<String> {
        on_tokio!(self, |s| s.save_now(key, record))
    }

    async fn delete(&self, key: &str) -> Result<()> {
        on_tokio!(self, |s| s.delete_now(key))
    }

    async fn exists(&self, key: &str) -> Result<bool> {
        on_tokio!(self, |s| s.exists_now(key))
    }

    async fn touch(&self, key: &str, expires_at: SystemTime) -> Result<()> {
        on_tokio!(self, |s| s.touch_now(key, expires_at))
    }

    fn backend_name(&self) -> &'static str {
        BACKEND
    }
}

fn is_unique_violation(source: &(dyn std::error::Error + 'static)) -> bool {
    source
        .downcast_ref::<tokio_postgres::Error>()
        .and_then(tokio_postgres::Error::code)
        == Some(&SqlState::UNIQUE_VIOLATION)
}

impl AsyncClearExpired for PostgresStore {
    async fn clear_expired(&self) -> Result<u64> {
        on_tokio!(self, |s| s.clear_now())
    }
}

// The sync face: each operation run to completion by `SyncDriver`.
impl SessionStore for PostgresStore {
    fn load_record(&self, key: &str) -> Result<Option<Record>> {
        self.block_on(AsyncSessionStore::load_record(self, key))
    }

    fn create(&self, record: &Record) -> Result<String> {
        self.block_on(AsyncSessionStore::create(self, record))
    }

    fn save(&self, key: &str, record: &Record) -> Result<String> {
        self.block_on(AsyncSessionStore::save(self, key, record))
    }

    fn delete(&self, key: &str) -> Result<()> {
        self.block_on(AsyncSessionStore::delete(self, key))
    }

    fn exists(&self, key: &str) -> Result<bool> {
        self.block_on(AsyncSessionStore::exists(self, key))
    }

    fn touch(&self, key: &str, expires_at: SystemTime) -> Result<()> {
        self.block_on(AsyncSessionStore::touch(self, key, expires_at))
    }
}

impl ClearExpired for PostgresStore {
    fn clear_expired(&self) -> Result<u64> {
        self.clear_expired_with(|_| {})
    }
}
