//! The raw floors: each engine's own operation with no session layer, so every backend
//! result reads as a ratio to what the engine alone costs in the same run.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OptionalExtension};
use session_signing::Signer;
use sha2::{Digest, Sha256};

/// One engine driven directly: `get` is a load, `put` an insert-or-update.
///
/// ```
/// use session_benches::{Floor, MokaFloor};
/// let floor = MokaFloor::new(100);
/// floor.put("k", b"v", session_benches::live_until());
/// assert_eq!(floor.get("k").as_deref(), Some(&b"v"[..]));
/// ```
pub trait Floor: Send + Sync {
    /// The bytes stored under `key`, if any.
    fn get(&self, key: &str) -> Option<Vec<u8>>;
    /// Stores `data` under `key` (insert or overwrite) until `expires_at`, where the
    /// engine keeps an expiry; returns the key to send back (the new token for a signed
    /// cookie, else `key`).
    fn put(&self, key: &str, data: &[u8], expires_at: SystemTime) -> String;
}

fn unix_millis(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis()
        .try_into()
        .unwrap_or(i64::MAX)
}

/// The prepared `SELECT` and `UPSERT` of the native `sessions` table via rusqlite
/// (SHA-256 of the key, unix-millisecond expiry), on its own connection.
///
/// ```
/// use session_benches::{Floor, SqliteFloor};
/// let floor = SqliteFloor::in_memory();
/// floor.put("abcdefgh", b"{}", session_benches::live_until());
/// assert_eq!(floor.get("abcdefgh").as_deref(), Some(&b"{}"[..]));
/// ```
#[derive(Debug)]
pub struct SqliteFloor {
    conn: Mutex<Connection>,
}

impl SqliteFloor {
    /// A connection to the session database at `path` (made by `SqliteStore::open`), with the
    /// store's pragmas (WAL, `synchronous = NORMAL`, the default memory map).
    ///
    /// # Panics
    /// When the file cannot be opened: a broken bench setup.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("s.sqlite3");
    /// session_db::SqliteStore::open(&path).unwrap();
    /// let _floor = session_benches::SqliteFloor::open(&path);
    /// ```
    pub fn open(path: &Path) -> Self {
        let conn = Connection::open(path).expect("open the bench database");
        conn.pragma_update(None, "journal_mode", "WAL")
            .expect("pragma");
        conn.pragma_update(None, "synchronous", "NORMAL")
            .expect("pragma");
        map(&conn);
        Self::with(conn)
    }

    /// A private in-memory database with the native table (the floor of `:memory:`).
    ///
    /// ```
    /// let _floor = session_benches::SqliteFloor::in_memory();
    /// ```
    pub fn in_memory() -> Self {
        let conn = Connection::open_in_memory().expect("in-memory sqlite");
        conn.execute_batch(
            "CREATE TABLE sessions (key_hash BLOB NOT NULL PRIMARY KEY, data BLOB NOT NULL, \
             expires_at INTEGER NOT NULL); \
             CREATE INDEX sessions_expires_at ON sessions (expires_at);",
        )
        .expect("create the floor table");
        Self::with(conn)
    }

    fn with(conn: Connection) -> Self {
        SqliteFloor {
            conn: Mutex::new(conn),
        }
    }
}

/// The store's memory map (`SqliteConfig`'s default), so floor and store read pages alike.
fn map(conn: &Connection) {
    conn.query_row(
        &format!("PRAGMA mmap_size = {}", session_db::DEFAULT_MMAP_SIZE),
        [],
        |_| Ok(()),
    )
    .optional()
    .expect("pragma");
}

impl Floor for SqliteFloor {
    fn get(&self, key: &str) -> Option<Vec<u8>> {
        let hash: [u8; 32] = Sha256::digest(key.as_bytes()).into();
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let mut stmt = conn
            .prepare_cached("SELECT data FROM sessions WHERE key_hash = ?1 AND expires_at > ?2")
            .expect("prepare");
        stmt.query_row((&hash[..], unix_millis(SystemTime::now())), |r| r.get(0))
            .optional()
            .expect("select")
    }

    fn put(&self, key: &str, data: &[u8], expires_at: SystemTime) -> String {
        let hash: [u8; 32] = Sha256::digest(key.as_bytes()).into();
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let mut stmt = conn
            .prepare_cached(
                "INSERT INTO sessions (key_hash, data, expires_at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (key_hash) DO UPDATE SET data = excluded.data, \
                 expires_at = excluded.expires_at",
            )
            .expect("prepare");
        stmt.execute((&hash[..], data, unix_millis(expires_at)))
            .expect("upsert");
        key.to_owned()
    }
}

/// Inserts `count` sessions with fresh keys straight into the SQLite database at `path`
/// (native `sessions` table, or Django's `django_session` when `django`) in one
/// transaction — the rows `SqliteStore::create` would write — and returns their keys.
pub(crate) fn fill_sqlite(
    path: &Path,
    django: bool,
    count: usize,
    record: &session_core::Record,
) -> Vec<String> {
    let mut conn = Connection::open(path).expect("open the bench database");
    let tx = conn.transaction().expect("begin");
    let keys = {
        let sql = if django {
            "INSERT INTO django_session (session_key, session_data, expire_date) \
             VALUES (?1, ?2, ?3)"
        } else {
            "INSERT INTO sessions (key_hash, data, expires_at) VALUES (?1, ?2, ?3)"
        };
        let mut stmt = tx.prepare(sql).expect("prepare");
        let (millis, text) = (
            unix_millis(record.expires_at),
            django_datetime(record.expires_at),
        );
        let data = std::str::from_utf8(&record.data).ok();
        (0..count)
            .map(|_| {
                let key = session_core::key::generate();
                if django {
                    let data = data.expect("Django session data is text");
                    stmt.execute((&key, data, &text)).expect("insert");
                } else {
                    let hash: [u8; 32] = Sha256::digest(key.as_bytes()).into();
                    stmt.execute((&hash[..], &record.data, millis))
                        .expect("insert");
                }
                key
            })
            .collect()
    };
    tx.commit().expect("commit");
    keys
}

/// The prepared `SELECT` and `UPSERT` of Django's `django_session` table (key in clear,
/// `expire_date` as Django's datetime text, formatted per call as the store must).
///
/// ```
/// use session_benches::{DjangoSqliteFloor, Floor};
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("db.sqlite3");
/// session_db::SqliteStore::open_django(&path).unwrap();
/// let floor = DjangoSqliteFloor::open(&path);
/// floor.put("abcdefgh", b"x", session_benches::live_until());
/// assert_eq!(floor.get("abcdefgh").as_deref(), Some(&b"x"[..]));
/// ```
#[derive(Debug)]
pub struct DjangoSqliteFloor {
    conn: Mutex<Connection>,
}

/// Django's `expire_date` text: `YYYY-MM-DD HH:MM:SS.ffffff` in UTC.
fn django_datetime(t: SystemTime) -> String {
    let t = time::OffsetDateTime::from(t);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:06}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

impl DjangoSqliteFloor {
    /// A connection to a database made by `SqliteStore::open_django`.
    ///
    /// # Panics
    /// When the file cannot be opened.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("db.sqlite3");
    /// # session_db::SqliteStore::open_django(&path).unwrap();
    /// let _floor = session_benches::DjangoSqliteFloor::open(&path);
    /// ```
    pub fn open(path: &Path) -> Self {
        let conn = Connection::open(path).expect("open the bench database");
        conn.pragma_update(None, "synchronous", "NORMAL")
            .expect("pragma");
        map(&conn);
        DjangoSqliteFloor {
            conn: Mutex::new(conn),
        }
    }
}

impl Floor for DjangoSqliteFloor {
    fn get(&self, key: &str) -> Option<Vec<u8>> {
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let mut stmt = conn
            .prepare_cached(
                "SELECT session_data FROM django_session WHERE session_key = ?1 \
                 AND expire_date > ?2",
            )
            .expect("prepare");
        stmt.query_row((key, django_datetime(SystemTime::now())), |r| {
            r.get::<_, String>(0)
        })
        .optional()
        .expect("select")
        .map(String::into_bytes)
    }

    fn put(&self, key: &str, data: &[u8], expires_at: SystemTime) -> String {
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let mut stmt = conn
            .prepare_cached(
                "INSERT INTO django_session (session_key, session_data, expire_date) \
                 VALUES (?1, ?2, ?3) ON CONFLICT (session_key) DO UPDATE SET \
                 session_data = excluded.session_data, expire_date = excluded.expire_date",
            )
            .expect("prepare");
        let text = std::str::from_utf8(data).expect("Django session data is text");
        stmt.execute((key, text, django_datetime(expires_at)))
            .expect("upsert");
        key.to_owned()
    }
}

/// A bare `moka::sync::Cache<String, Vec<u8>>` (LRU, as `MokaStore` uses): `get` and
/// `insert`.
///
/// ```
/// let _floor = session_benches::MokaFloor::new(1_000);
/// ```
#[derive(Debug)]
pub struct MokaFloor {
    cache: moka::sync::Cache<String, Vec<u8>>,
}

impl MokaFloor {
    /// A cache holding up to `capacity` entries.
    ///
    /// ```
    /// let _floor = session_benches::MokaFloor::new(10);
    /// ```
    pub fn new(capacity: u64) -> Self {
        MokaFloor {
            cache: moka::sync::Cache::builder()
                .max_capacity(capacity)
                .eviction_policy(moka::policy::EvictionPolicy::lru())
                .build(),
        }
    }
}

impl Floor for MokaFloor {
    fn get(&self, key: &str) -> Option<Vec<u8>> {
        self.cache.get(key)
    }

    fn put(&self, key: &str, data: &[u8], _expires_at: SystemTime) -> String {
        self.cache.insert(key.to_owned(), data.to_vec());
        key.to_owned()
    }
}

/// Django's `cached_db` by hand: reads from the cache floor, falling back to the database
/// floor; writes to the database floor, then the cache floor.
///
/// ```
/// use session_benches::{CachedFloor, Floor, MokaFloor, SqliteFloor};
/// let floor = CachedFloor::new(MokaFloor::new(10), SqliteFloor::in_memory());
/// floor.put("abcdefgh", b"v", session_benches::live_until());
/// assert!(floor.get("abcdefgh").is_some());
/// ```
#[derive(Debug)]
pub struct CachedFloor<C, S> {
    cache: C,
    store: S,
}

impl<C: Floor, S: Floor> CachedFloor<C, S> {
    /// `cache` in front of `store`.
    ///
    /// ```
    /// # use session_benches::{CachedFloor, MokaFloor};
    /// let _f = CachedFloor::new(MokaFloor::new(10), MokaFloor::new(10));
    /// ```
    pub fn new(cache: C, store: S) -> Self {
        CachedFloor { cache, store }
    }
}

impl<C: Floor, S: Floor> Floor for CachedFloor<C, S> {
    fn get(&self, key: &str) -> Option<Vec<u8>> {
        self.cache.get(key).or_else(|| {
            let data = self.store.get(key)?;
            self.cache.put(key, &data, crate::live_until());
            Some(data)
        })
    }

    fn put(&self, key: &str, data: &[u8], expires_at: SystemTime) -> String {
        self.store.put(key, data, expires_at);
        self.cache.put(key, data, expires_at)
    }
}

/// A file per key in a directory: `get` reads it, `put` writes a temp file in the same
/// directory and renames it over the target; when asked, durably, as `FileStore` does with
/// fsync on: the file is synced before the rename and the directory after it.
///
/// ```
/// use session_benches::{FileFloor, Floor};
/// let dir = tempfile::tempdir().unwrap();
/// let floor = FileFloor::new(dir.path(), false);
/// floor.put("abcdefgh", b"v", session_benches::live_until());
/// assert_eq!(floor.get("abcdefgh").as_deref(), Some(&b"v"[..]));
/// ```
#[derive(Debug)]
pub struct FileFloor {
    dir: PathBuf,
    fsync: bool,
}

impl FileFloor {
    /// Files in `dir`; with `fsync`, the file synced before the rename and the directory
    /// after it.
    ///
    /// ```
    /// let _f = session_benches::FileFloor::new(std::env::temp_dir(), true);
    /// ```
    pub fn new(dir: impl Into<PathBuf>, fsync: bool) -> Self {
        FileFloor {
            dir: dir.into(),
            fsync,
        }
    }
}

impl Floor for FileFloor {
    fn get(&self, key: &str) -> Option<Vec<u8>> {
        fs::read(self.dir.join(key)).ok()
    }

    fn put(&self, key: &str, data: &[u8], _expires_at: SystemTime) -> String {
        let mut tmp = tempfile::NamedTempFile::new_in(&self.dir).expect("temp file");
        tmp.write_all(data).expect("write");
        if self.fsync {
            tmp.as_file().sync_all().expect("fsync");
        }
        tmp.persist(self.dir.join(key)).expect("rename");
        if self.fsync {
            // A durable replace: the rename itself reaches the disk with the directory.
            fs::File::open(&self.dir)
                .and_then(|d| d.sync_all())
                .expect("fsync the directory");
        }
        key.to_owned()
    }
}

/// Django's signing alone: HMAC-SHA256 + base64 + base62 timestamp via
/// [`Signer`] (`unsign` checks the signature and the age; the key is the token).
///
/// ```
/// use session_benches::{Floor, SignerFloor};
/// let floor = SignerFloor::new("secret", "salt");
/// let token = floor.put("", b"{}", session_benches::live_until());
/// assert_eq!(floor.get(&token).as_deref(), Some(&b"{}"[..]));
/// ```
#[derive(Debug)]
pub struct SignerFloor {
    signer: Signer,
}

impl SignerFloor {
    /// A signer with `secret` and `salt`.
    ///
    /// ```
    /// let _f = session_benches::SignerFloor::new("s", "django.contrib.sessions.backends.signed_cookies");
    /// ```
    pub fn new(secret: &str, salt: &str) -> Self {
        SignerFloor {
            signer: Signer::new(secret)
                .expect("a non-empty secret")
                .with_salt(salt),
        }
    }
}

impl Floor for SignerFloor {
    fn get(&self, key: &str) -> Option<Vec<u8>> {
        self.signer
            .unsign(key, Some(Duration::from_secs(1_209_600)))
            .ok()
    }

    fn put(&self, _key: &str, data: &[u8], _expires_at: SystemTime) -> String {
        self.signer.sign(data, false)
    }
}

/// The prepared `SELECT` and `UPSERT` of the native PostgreSQL table (SHA-256 of the key,
/// `timestamptz` expiry) on one connection of its own.
///
/// ```no_run
/// use session_benches::{Floor, PgFloor};
/// let floor = PgFloor::connect("host=127.0.0.1 user=postgres dbname=test", "session_bench");
/// floor.put("abcdefgh", b"{}", session_benches::live_until());
/// ```
pub struct PgFloor {
    conn: Mutex<(postgres::Client, postgres::Statement, postgres::Statement)>,
}

impl std::fmt::Debug for PgFloor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgFloor").finish_non_exhaustive()
    }
}

impl PgFloor {
    /// A connection to `url`, with both statements prepared on `table` (made by
    /// `PostgresConfig::native().with_table(table)`).
    ///
    /// # Panics
    /// When the server cannot be reached: a broken bench setup.
    ///
    /// ```no_run
    /// let _floor = session_benches::PgFloor::connect("host=127.0.0.1 user=postgres dbname=test", "session_bench");
    /// ```
    pub fn connect(url: &str, table: &str) -> Self {
        let mut client = postgres::Client::connect(url, postgres::NoTls).expect("connect");
        let get = client
            .prepare(&format!(
                "SELECT data FROM {table} WHERE key_hash = $1 AND expires_at > $2"
            ))
            .expect("prepare");
        let put = client
            .prepare(&format!(
                "INSERT INTO {table} (key_hash, data, expires_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (key_hash) DO UPDATE SET data = excluded.data, \
                 expires_at = excluded.expires_at"
            ))
            .expect("prepare");
        PgFloor {
            conn: Mutex::new((client, get, put)),
        }
    }
}

impl Floor for PgFloor {
    fn get(&self, key: &str) -> Option<Vec<u8>> {
        let hash: [u8; 32] = Sha256::digest(key.as_bytes()).into();
        let mut conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let (client, get, _) = &mut *conn;
        client
            .query_opt(&*get, &[&&hash[..], &SystemTime::now()])
            .expect("select")
            .map(|row| row.get(0))
    }

    fn put(&self, key: &str, data: &[u8], expires_at: SystemTime) -> String {
        let hash: [u8; 32] = Sha256::digest(key.as_bytes()).into();
        let mut conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let (client, _, put) = &mut *conn;
        client
            .execute(&*put, &[&&hash[..], &data, &expires_at])
            .expect("upsert");
        key.to_owned()
    }
}

/// The statements a request makes of the native PostgreSQL table — `SELECT` the data, then
/// `UPDATE` it — through one tokio-postgres connection with no session layer: the tower
/// bench's floor for the `postgres` row, on the bench's own runtime.
///
/// ```no_run
/// # async fn demo() {
/// let floor = session_benches::PgAsyncFloor::connect("host=127.0.0.1 user=postgres dbname=test", "session_bench").await;
/// floor.visit("abcdefgh").await;
/// # }
/// ```
#[derive(Clone)]
pub struct PgAsyncFloor {
    client: std::sync::Arc<session_db::tokio_postgres::Client>,
    get: session_db::tokio_postgres::Statement,
    put: session_db::tokio_postgres::Statement,
}

impl PgAsyncFloor {
    /// A connection to `url` (its driver task spawned on the current runtime), with both
    /// statements prepared on `table`.
    ///
    /// # Panics
    /// When the server cannot be reached: a broken bench setup.
    ///
    /// ```no_run
    /// # async fn demo() {
    /// let _floor = session_benches::PgAsyncFloor::connect("host=127.0.0.1 user=postgres dbname=test", "session_bench").await;
    /// # }
    /// ```
    pub async fn connect(url: &str, table: &str) -> Self {
        use session_db::tokio_postgres;
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .expect("connect");
        tokio::spawn(connection);
        let get = client
            .prepare(&format!(
                "SELECT data FROM {table} WHERE key_hash = $1 AND expires_at > $2"
            ))
            .await
            .expect("prepare");
        let put = client
            .prepare(&format!(
                "UPDATE {table} SET data = $2, expires_at = $3 \
                 WHERE key_hash = $1 AND expires_at > $4"
            ))
            .await
            .expect("prepare");
        PgAsyncFloor {
            client: std::sync::Arc::new(client),
            get,
            put,
        }
    }

    /// A request's read and write-back of session `key`.
    ///
    /// ```no_run
    /// # async fn demo(floor: session_benches::PgAsyncFloor) {
    /// floor.visit("abcdefgh").await;
    /// # }
    /// ```
    pub async fn visit(&self, key: &str) {
        let hash: [u8; 32] = Sha256::digest(key.as_bytes()).into();
        let now = SystemTime::now();
        let data: Vec<u8> = self
            .client
            .query_opt(&self.get, &[&&hash[..], &now])
            .await
            .expect("select")
            .map_or_else(Vec::new, |row| row.get(0));
        let expires = now + Duration::from_secs(1_209_600);
        self.client
            .execute(&self.put, &[&&hash[..], &data, &expires, &now])
            .await
            .expect("update");
    }
}

/// Inserts `count` sessions with fresh keys straight into the native PostgreSQL `table`
/// in one transaction (the rows `PostgresStore::create` would write) and returns their keys.
pub(crate) fn fill_postgres(
    url: &str,
    table: &str,
    count: usize,
    record: &session_core::Record,
) -> Vec<String> {
    let mut client = postgres::Client::connect(url, postgres::NoTls).expect("connect");
    let mut tx = client.transaction().expect("begin");
    let insert = tx
        .prepare(&format!(
            "INSERT INTO {table} (key_hash, data, expires_at) VALUES ($1, $2, $3)"
        ))
        .expect("prepare");
    let keys = (0..count)
        .map(|_| {
            let key = session_core::key::generate();
            let hash: [u8; 32] = Sha256::digest(key.as_bytes()).into();
            tx.execute(&insert, &[&&hash[..], &record.data, &record.expires_at])
                .expect("insert");
            key
        })
        .collect();
    tx.commit().expect("commit");
    keys
}

/// `GET` and `SET … PX` through the `redis` crate's async client alone: one multiplexed
/// connection, under the key the store uses (`prefix + hex(SHA-256(key))`). As a sync
/// [`Floor`] it waits on a one-worker runtime of its own, as the store's sync face does;
/// [`RedisFloor::visit`] is a request's `GET` and `SET` for an async handler (the tower
/// bench's floor, on the bench's runtime).
///
/// ```no_run
/// use session_benches::{Floor, RedisFloor};
/// let floor = RedisFloor::connect("redis://127.0.0.1:6379/", "session-bench:");
/// floor.put("abcdefgh", b"{}", session_benches::live_until());
/// ```
#[derive(Clone)]
pub struct RedisFloor {
    conn: redis::aio::MultiplexedConnection,
    prefix: std::sync::Arc<str>,
    runtime: Option<std::sync::Arc<tokio::runtime::Runtime>>,
}

impl std::fmt::Debug for RedisFloor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisFloor")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisFloor {
    /// A connection to `url` made on a runtime of the floor's own; keys under `prefix`.
    ///
    /// # Panics
    /// When the server cannot be reached.
    ///
    /// ```no_run
    /// let _floor = session_benches::RedisFloor::connect("redis://127.0.0.1:6379/", "p:");
    /// ```
    pub fn connect(url: &str, prefix: &str) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime for the Redis floor");
        let mut floor = runtime.block_on(Self::connect_async(url, prefix));
        floor.runtime = Some(std::sync::Arc::new(runtime));
        floor
    }

    /// A connection to `url` made on the calling runtime, for [`RedisFloor::visit`].
    ///
    /// # Panics
    /// When the server cannot be reached.
    ///
    /// ```no_run
    /// # async fn f() {
    /// let floor = session_benches::RedisFloor::connect_async("redis://127.0.0.1:6379/", "p:").await;
    /// floor.visit("abcdefgh").await;
    /// # }
    /// ```
    pub async fn connect_async(url: &str, prefix: &str) -> Self {
        let conn = redis::Client::open(url)
            .expect("a Redis URL")
            .get_multiplexed_async_connection()
            .await
            .expect("connect to Redis");
        RedisFloor {
            conn,
            prefix: prefix.into(),
            runtime: None,
        }
    }

    fn key(&self, key: &str) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = String::with_capacity(self.prefix.len() + 64);
        out.push_str(&self.prefix);
        for b in Sha256::digest(key.as_bytes()) {
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        }
        out
    }

    async fn get_async(&self, rkey: &str) -> Option<Vec<u8>> {
        redis::cmd("GET")
            .arg(rkey)
            .query_async(&mut self.conn.clone())
            .await
            .expect("GET")
    }

    async fn set_async(&self, rkey: &str, data: &[u8], ttl_ms: u64, mode: Option<&str>) {
        let mut cmd = redis::cmd("SET");
        cmd.arg(rkey).arg(data);
        if let Some(mode) = mode {
            cmd.arg(mode);
        }
        cmd.arg("PX").arg(ttl_ms.max(1));
        cmd.query_async::<()>(&mut self.conn.clone())
            .await
            .expect("SET");
    }

    /// What one request of the tower bench costs the engine: the session's `GET`, then a
    /// `SET … XX PX` of the same bytes with a new two-week expiry.
    ///
    /// ```no_run
    /// # async fn f(floor: session_benches::RedisFloor) {
    /// floor.visit("abcdefgh").await;
    /// # }
    /// ```
    pub async fn visit(&self, key: &str) {
        let rkey = self.key(key);
        let data = self.get_async(&rkey).await.unwrap_or_default();
        self.set_async(&rkey, &data, 1_209_600_000, Some("XX"))
            .await;
    }

    fn block_on<T>(&self, f: impl std::future::Future<Output = T>) -> T {
        match &self.runtime {
            Some(runtime) => runtime.block_on(f),
            None => panic!("a floor made by connect_async serves async callers only"),
        }
    }
}

impl Floor for RedisFloor {
    fn get(&self, key: &str) -> Option<Vec<u8>> {
        let rkey = self.key(key);
        self.block_on(self.get_async(&rkey))
    }

    fn put(&self, key: &str, data: &[u8], expires_at: SystemTime) -> String {
        let rkey = self.key(key);
        let ttl_ms = expires_at
            .duration_since(SystemTime::now())
            .unwrap_or_default()
            .as_millis() as u64;
        self.block_on(self.set_async(&rkey, data, ttl_ms, None));
        key.to_owned()
    }
}
