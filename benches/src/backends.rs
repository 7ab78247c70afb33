//! Every backend under bench, as a list of named constructors (tracing's
//! `for_all_recording` pattern): each bench body is written once and run over
//! [`Backend::all`].

use std::sync::Arc;
use std::time::Duration;

use session_core::{
    AsyncSessionStore, ClearExpired, DjangoJson, DynAsyncStore, Expiry, Json, MessagePack, Record,
    SessionData, SessionManager, SessionStore, key,
};
use session_signing::{DJANGO_SESSION_SALT, DjangoCodec, Signer};
use tempfile::TempDir;

use crate::floor::{
    CachedFloor, DjangoSqliteFloor, FileFloor, Floor, MokaFloor, PgFloor, RedisFloor, SignerFloor,
    SqliteFloor,
};
use crate::{Payload, Size, live_until};

/// The signing secret of every bench store.
pub const SECRET: &str = "session-benches-secret-key-not-for-production-use";

/// Env var with a PostgreSQL URL; when set, `postgres` is benched (table `session_bench`,
/// dropped and recreated per fixture).
pub const POSTGRES_URL_VAR: &str = "SESSION_TEST_POSTGRES_URL";
/// Env var with a Redis URL; when set, `redis` is benched (keys under `session-bench:`).
pub const REDIS_URL_VAR: &str = "SESSION_TEST_REDIS_URL";

/// `url` with `sslmode=disable` unless it names a mode: the store then talks to the server
/// as its floors do (plaintext), instead of taking the TLS a server offers to the default
/// `prefer`.
///
/// ```
/// assert_eq!(session_benches::plaintext("host=db"), "host=db sslmode=disable");
/// assert_eq!(session_benches::plaintext("postgres://db/x"), "postgres://db/x?sslmode=disable");
/// assert_eq!(session_benches::plaintext("host=db sslmode=require"), "host=db sslmode=require");
/// ```
pub fn plaintext(url: &str) -> String {
    if url.contains("sslmode=") {
        url.to_owned()
    } else if url.contains("://") {
        let join = if url.contains('?') { '&' } else { '?' };
        format!("{url}{join}sslmode=disable")
    } else {
        format!("{url} sslmode=disable")
    }
}

/// The PostgreSQL table the benches use.
/// The PostgreSQL table the benches use.
pub const PG_TABLE: &str = "session_bench";
/// The Redis key prefix the benches use.
pub const REDIS_PREFIX: &str = "session-bench:";

/// A session serializer as used by a [`SessionManager`], with its raw-serde floor.
///
/// ```
/// use session_benches::{Codec, Size};
/// let data = Size::Typical.data();
/// let bytes = Codec::MessagePack.raw_encode(&data);
/// assert_eq!(Codec::MessagePack.raw_decode(&bytes), data);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// `session_core::Json`.
    Json,
    /// `session_core::MessagePack`.
    MessagePack,
    /// `session_core::DjangoJson` (what a signed cookie Django reads holds).
    DjangoJson,
    /// `session_signing::DjangoCodec` (Django's signed `session_data`, Django mode).
    Django,
}

impl Codec {
    /// The name used in bench ids.
    ///
    /// ```
    /// assert_eq!(session_benches::Codec::MessagePack.name(), "msgpack");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Codec::Json => "json",
            Codec::MessagePack => "msgpack",
            Codec::DjangoJson => "django-json",
            Codec::Django => "django-codec",
        }
    }

    /// A manager over `store` with this serializer and the default config.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let m = session_benches::Codec::Json.manager(Arc::new(session_core::MemoryStore::new()));
    /// assert!(m.session(None).key().is_none());
    /// ```
    pub fn manager(self, store: Arc<dyn SessionStore>) -> SessionManager {
        self.configure(SessionManager::new_sync(store))
    }

    /// A manager over both faces of a store (what `SessionManager::new` builds), with this
    /// serializer: async drivers reach the store through its async face.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let store = Arc::new(session_core::MemoryStore::new());
    /// let m = session_benches::Codec::Json.manager_with_async(store.clone(), store);
    /// assert!(m.has_async_store());
    /// ```
    pub fn manager_with_async(
        self,
        store: Arc<dyn SessionStore>,
        async_store: Arc<dyn DynAsyncStore>,
    ) -> SessionManager {
        self.configure(SessionManager::from_dyn(store, async_store))
    }

    fn configure(self, manager: SessionManager) -> SessionManager {
        match self {
            Codec::Json => manager.with_serializer(Json),
            Codec::MessagePack => manager.with_serializer(MessagePack),
            Codec::DjangoJson => manager.with_serializer(DjangoJson),
            Codec::Django => {
                manager.with_serializer(DjangoCodec::new(SECRET).expect("a non-empty secret"))
            }
        }
    }

    /// The floor's encoding: serde alone (`serde_json::to_vec`, `rmp_serde::to_vec_named`),
    /// plus [`Signer`] for Django's codec.
    ///
    /// ```
    /// let b = session_benches::Codec::Json.raw_encode(&session_benches::Size::Typical.data());
    /// assert!(b.starts_with(b"{"));
    /// ```
    pub fn raw_encode(self, data: &SessionData) -> Vec<u8> {
        match self {
            Codec::Json | Codec::DjangoJson => serde_json::to_vec(data).expect("encode"),
            Codec::MessagePack => rmp_serde::to_vec_named(data).expect("encode"),
            Codec::Django => django_signer()
                .sign(&serde_json::to_vec(data).expect("encode"), false)
                .into_bytes(),
        }
    }

    /// The floor's decoding, the inverse of [`raw_encode`](Self::raw_encode).
    ///
    /// # Panics
    /// On bytes the floor did not make: a bench bug.
    ///
    /// ```
    /// use session_benches::Codec;
    /// let data = session_benches::Size::Large.data();
    /// assert_eq!(Codec::Django.raw_decode(&Codec::Django.raw_encode(&data)), data);
    /// ```
    pub fn raw_decode(self, bytes: &[u8]) -> SessionData {
        match self {
            Codec::Json | Codec::DjangoJson => serde_json::from_slice(bytes).expect("decode"),
            Codec::MessagePack => rmp_serde::from_slice(bytes).expect("decode"),
            Codec::Django => {
                let text = std::str::from_utf8(bytes).expect("text");
                let payload = django_signer().unsign(text, None).expect("signed");
                serde_json::from_slice(&payload).expect("decode")
            }
        }
    }
}

/// Built once: a `DjangoCodec` derives its keys once too, so the floor must not pay for
/// the derivation on every call.
fn django_signer() -> &'static Signer {
    static SIGNER: std::sync::LazyLock<Signer> = std::sync::LazyLock::new(|| {
        Signer::new(SECRET)
            .expect("a non-empty secret")
            .with_salt(DJANGO_SESSION_SALT)
    });
    &SIGNER
}

#[derive(Debug, Clone)]
enum Kind {
    DbFile,
    DbMemory,
    DbDjango,
    Cache,
    CachedDb,
    File { fsync: bool },
    Cookie,
    Postgres(String),
    Redis(String),
}

/// One backend configuration under bench: a name and a constructor.
///
/// ```
/// let names: Vec<_> = session_benches::Backend::all().iter().map(|b| b.name()).collect();
/// assert!(names.contains(&"db-file") && names.contains(&"cookie"));
/// ```
#[derive(Debug, Clone)]
pub struct Backend {
    name: &'static str,
    kind: Kind,
}

impl Backend {
    /// Every backend of this run: SQLite file, SQLite `:memory:`, SQLite in Django mode,
    /// moka, `cached_db` (moka over SQLite file), files with and without fsync, signed
    /// cookies, and PostgreSQL / Redis when their env vars are set.
    ///
    /// ```
    /// assert!(session_benches::Backend::all().len() >= 8);
    /// ```
    pub fn all() -> Vec<Backend> {
        let mut all = vec![
            Backend::new("db-file", Kind::DbFile),
            Backend::new("db-memory", Kind::DbMemory),
            Backend::new("db-django", Kind::DbDjango),
            Backend::new("cache", Kind::Cache),
            Backend::new("cached-db", Kind::CachedDb),
            Backend::new("file", Kind::File { fsync: true }),
            Backend::new("file-nosync", Kind::File { fsync: false }),
            Backend::new("cookie", Kind::Cookie),
        ];
        if let Ok(url) = std::env::var(POSTGRES_URL_VAR) {
            all.push(Backend::new("postgres", Kind::Postgres(url)));
        }
        if let Ok(url) = std::env::var(REDIS_URL_VAR) {
            all.push(Backend::new("redis", Kind::Redis(url)));
        }
        all
    }

    fn new(name: &'static str, kind: Kind) -> Self {
        Backend { name, kind }
    }

    /// The name used in bench ids.
    ///
    /// ```
    /// assert_eq!(session_benches::Backend::all()[0].name(), "db-file");
    /// ```
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The serializers benched on this backend: Json and MessagePack on server-side
    /// stores, Django's codec in Django mode, DjangoJson and MessagePack in cookies.
    ///
    /// ```
    /// use session_benches::{Backend, Codec};
    /// let django = Backend::all().into_iter().find(|b| b.name() == "db-django").unwrap();
    /// assert_eq!(django.codecs(), [Codec::Django]);
    /// ```
    pub fn codecs(&self) -> &'static [Codec] {
        match self.kind {
            Kind::DbDjango => &[Codec::Django],
            Kind::Cookie => &[Codec::DjangoJson, Codec::MessagePack],
            _ => &[Codec::Json, Codec::MessagePack],
        }
    }

    /// Whether the backend is also benched with a million live sessions (engines whose
    /// cost could grow with the store; files and cookies are left out: a million files
    /// take minutes to make, and cookies store nothing).
    ///
    /// ```
    /// let all = session_benches::Backend::all();
    /// assert!(all.iter().any(|b| b.at_scale()));
    /// ```
    pub fn at_scale(&self) -> bool {
        matches!(self.kind, Kind::DbFile | Kind::DbMemory | Kind::Cache)
    }

    /// Whether the backend can sweep expired sessions (`ClearExpired`).
    ///
    /// ```
    /// let all = session_benches::Backend::all();
    /// assert!(!all.iter().find(|b| b.name() == "cookie").unwrap().sweeps());
    /// ```
    pub fn sweeps(&self) -> bool {
        !matches!(
            self.kind,
            Kind::Cookie | Kind::Redis(_) | Kind::File { fsync: false }
        )
    }

    /// Builds the store with `live` sessions of `size` (JSON-encoded, an hour to live),
    /// and its raw floor beside it with as many entries. Done once, outside timed loops.
    ///
    /// # Panics
    /// When the store cannot be made (a full disk, a server that went away): the bench
    /// cannot run.
    ///
    /// ```
    /// use session_benches::{Backend, Size};
    /// let cache = Backend::all().into_iter().find(|b| b.name() == "cache").unwrap();
    /// let f = cache.build(100, Size::Typical);
    /// assert_eq!(f.keys.len(), 100);
    /// assert!(f.store.load(&f.keys[0]).unwrap().is_some());
    /// ```
    pub fn build(&self, live: usize, size: Size) -> Fixture {
        let payload = Payload::new(Codec::Json.raw_encode(&size.data()));
        let (parts, filler) = self.open(live);
        let record = Record::new(payload.bytes().to_vec(), live_until());
        let count = if matches!(self.kind, Kind::Cookie) {
            live.min(1_000)
        } else {
            live
        };
        let keys = match &parts.floor {
            // A million single-row commits take minutes: fill the native table in one
            // transaction instead (same rows as `create` writes).
            Some(FloorSetup::Sqlite(path)) => {
                crate::floor::fill_sqlite(path, false, count, &record)
            }
            Some(FloorSetup::Postgres(url)) => {
                crate::floor::fill_postgres(url, PG_TABLE, count, &record)
            }
            _ => (0..count)
                .map(|_| filler.create(&record).expect("fill the store"))
                .collect(),
        };
        drop(filler);
        let mut fixture = Fixture {
            store: parts.store,
            async_store: parts.async_store,
            sweeper: parts.sweeper,
            keys,
            floor: None,
            floor_keys: Vec::new(),
            payload,
            size,
            sqlite: parts.sqlite,
            file_dir: parts.file_dir,
            pg_url: parts.pg_url,
            pg_pool: parts.pg_pool,
            _dirs: parts.dirs,
        };
        fixture.attach_floor(parts.floor, live);
        fixture
    }

    /// An empty store of this backend (for sweeping benches), with its sweeper. Its
    /// `store` is the one to fill it through (files: without fsync; the sweep is the
    /// same).
    ///
    /// # Panics
    /// When the store cannot be made, or the backend does not sweep ([`sweeps`](Self::sweeps)).
    ///
    /// ```
    /// let db = session_benches::Backend::all().into_iter().next().unwrap();
    /// let f = db.empty();
    /// assert_eq!(f.sweeper.as_ref().unwrap().clear_expired().unwrap(), 0);
    /// ```
    pub fn empty(&self) -> Fixture {
        let (parts, filler) = self.open(0);
        assert!(parts.sweeper.is_some(), "{} does not sweep", self.name);
        Fixture {
            store: filler,
            async_store: parts.async_store,
            sweeper: parts.sweeper,
            keys: Vec::new(),
            floor: None,
            floor_keys: Vec::new(),
            payload: Payload::new(Codec::Json.raw_encode(&Size::Typical.data())),
            size: Size::Typical,
            sqlite: parts.sqlite,
            file_dir: parts.file_dir,
            pg_url: parts.pg_url,
            pg_pool: parts.pg_pool,
            _dirs: parts.dirs,
        }
    }

    /// The store, plus a store to fill it through (the same one, except for files with
    /// fsync, which are filled without it), its floor and its directories.
    fn open(&self, live: usize) -> (Parts, Arc<dyn SessionStore>) {
        let dir = || tempfile::tempdir().expect("temp dir");
        match &self.kind {
            Kind::DbFile | Kind::DbDjango => {
                let d = dir();
                let path = d.path().join("sessions.sqlite3");
                let (store, floor) = if matches!(self.kind, Kind::DbDjango) {
                    let store = session_db::SqliteStore::open_django(&path).expect("open");
                    (store, FloorSetup::DjangoSqlite(path))
                } else {
                    let store = session_db::SqliteStore::open(&path).expect("open");
                    (store, FloorSetup::Sqlite(path))
                };
                Parts::sweeping(Arc::new(store), Some(floor), vec![d])
            }
            Kind::DbMemory => Parts::sweeping(
                Arc::new(session_db::SqliteStore::in_memory().expect("open")),
                Some(FloorSetup::SqliteMemory),
                vec![],
            ),
            Kind::Cache => {
                Parts::sweeping(Arc::new(cache_store(live)), Some(FloorSetup::Moka), vec![])
            }
            Kind::CachedDb => {
                let d = dir();
                let path = d.path().join("sessions.sqlite3");
                let db = session_db::SqliteStore::open(&path).expect("open");
                let store = session_cache::CachedStore::new(cache_store(live), db);
                Parts::sweeping(Arc::new(store), Some(FloorSetup::Cached(path)), vec![d])
            }
            Kind::File { fsync } => {
                let (d, floor_dir) = (dir(), dir());
                let open = |fsync| {
                    let config = session_file::FileConfig::default().with_fsync(fsync);
                    session_file::FileStore::with_config(d.path(), config).expect("open")
                };
                let store = Arc::new(open(*fsync));
                let filler: Arc<dyn SessionStore> = Arc::new(open(false));
                let floor = FloorSetup::File(floor_dir.path().to_owned(), *fsync);
                let path = d.path().to_owned();
                let (mut parts, _) = Parts::sweeping(store, Some(floor), vec![d, floor_dir]);
                parts.file_dir = Some(path);
                (parts, filler)
            }
            Kind::Cookie => {
                let store =
                    Arc::new(session_cookie::CookieStore::new(SECRET).expect("a non-empty secret"));
                let parts = Parts {
                    store: store.clone(),
                    async_store: store.clone(),
                    sqlite: None,
                    file_dir: None,
                    pg_url: None,
                    pg_pool: None,
                    sweeper: None,
                    floor: Some(FloorSetup::Signer),
                    dirs: vec![],
                };
                (parts, store)
            }
            Kind::Postgres(url) => {
                let mut client = postgres::Client::connect(url, postgres::NoTls)
                    .expect("connect to SESSION_TEST_POSTGRES_URL");
                client
                    .batch_execute(&format!("DROP TABLE IF EXISTS {PG_TABLE}"))
                    .expect("drop the bench table");
                let store = session_db::PostgresConfig::native()
                    .with_table(PG_TABLE)
                    .expect("table name")
                    .connect(&plaintext(url))
                    .expect("connect");
                let floor = FloorSetup::Postgres(url.clone());
                let pool = store.pool().clone();
                let (mut parts, filler) = Parts::sweeping(Arc::new(store), Some(floor), vec![]);
                parts.pg_url = Some(url.clone());
                parts.pg_pool = Some(pool);
                (parts, filler)
            }
            Kind::Redis(url) => {
                let config =
                    session_cache::RedisConfig::new(url.clone()).with_key_prefix(REDIS_PREFIX);
                let store =
                    Arc::new(session_cache::RedisStore::with_config(config).expect("redis"));
                let parts = Parts {
                    store: store.clone(),
                    async_store: store.clone(),
                    sqlite: None,
                    file_dir: None,
                    pg_url: None,
                    pg_pool: None,
                    sweeper: None,
                    floor: Some(FloorSetup::Redis(url.clone())),
                    dirs: vec![],
                };
                (parts, store)
            }
        }
    }
}

fn cache_store(live: usize) -> session_cache::MokaStore {
    let entries = (live as u64).saturating_mul(2).max(200_000);
    session_cache::MokaStore::with_config(
        session_cache::CacheConfig::new().with_max_entries(entries),
    )
}

enum FloorSetup {
    Sqlite(std::path::PathBuf),
    DjangoSqlite(std::path::PathBuf),
    SqliteMemory,
    Moka,
    Cached(std::path::PathBuf),
    File(std::path::PathBuf, bool),
    Signer,
    Postgres(String),
    Redis(String),
}

struct Parts {
    store: Arc<dyn SessionStore>,
    async_store: Arc<dyn DynAsyncStore>,
    sqlite: Option<(std::path::PathBuf, bool)>,
    /// The directory of a (flat, native-format) file store.
    file_dir: Option<std::path::PathBuf>,
    /// The URL of a PostgreSQL store (table [`PG_TABLE`]).
    pg_url: Option<String>,
    /// The pool of a PostgreSQL store.
    pg_pool: Option<session_db::deadpool_postgres::Pool>,
    sweeper: Option<Arc<dyn ClearExpired>>,
    floor: Option<FloorSetup>,
    dirs: Vec<TempDir>,
}

impl Parts {
    fn sweeping<S: ClearExpired + AsyncSessionStore + 'static>(
        store: Arc<S>,
        floor: Option<FloorSetup>,
        dirs: Vec<TempDir>,
    ) -> (Parts, Arc<dyn SessionStore>) {
        let sqlite = match &floor {
            Some(FloorSetup::Sqlite(p) | FloorSetup::Cached(p)) => Some((p.clone(), false)),
            Some(FloorSetup::DjangoSqlite(p)) => Some((p.clone(), true)),
            _ => None,
        };
        let parts = Parts {
            store: store.clone(),
            async_store: store.clone(),
            sqlite,
            file_dir: None,
            pg_url: None,
            pg_pool: None,
            sweeper: Some(store.clone()),
            floor,
            dirs,
        };
        (parts, store)
    }
}

/// A built store with its live sessions and its raw floor.
///
/// ```
/// use session_benches::{Backend, Codec, Size};
/// let db = Backend::all().into_iter().find(|b| b.name() == "db-memory").unwrap();
/// let f = db.build(10, Size::Typical);
/// let (manager, keys) = f.seed(Codec::MessagePack, 2);
/// assert!(manager.session(Some(&keys[0])).get::<i64>("member_id").unwrap().is_some());
/// ```
pub struct Fixture {
    /// The store under bench.
    pub store: Arc<dyn SessionStore>,
    /// The same store's async face (what the tower layer drives by default).
    pub async_store: Arc<dyn DynAsyncStore>,
    /// The same store as a sweeper, when it can sweep.
    pub sweeper: Option<Arc<dyn ClearExpired>>,
    /// The keys of the live sessions it was filled with.
    pub keys: Vec<String>,
    /// The engine alone, filled like the store.
    pub floor: Option<Box<dyn Floor>>,
    /// Keys the floor holds entries under.
    pub floor_keys: Vec<String>,
    /// The encoded session the store was filled with, with its counter slot.
    pub payload: Payload,
    /// The session size the store was filled with.
    pub size: Size,
    /// The SQLite file under the store, and whether it is in Django's layout.
    sqlite: Option<(std::path::PathBuf, bool)>,
    /// The directory of a file store.
    file_dir: Option<std::path::PathBuf>,
    /// The URL of a PostgreSQL store.
    pg_url: Option<String>,
    /// The pool of a PostgreSQL store.
    pg_pool: Option<session_db::deadpool_postgres::Pool>,
    _dirs: Vec<TempDir>,
}

impl std::fmt::Debug for Fixture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fixture")
            .field("keys", &self.keys.len())
            .field("floor_keys", &self.floor_keys.len())
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

impl Fixture {
    /// Closes the pooled connections of a PostgreSQL store (nothing for other stores), so
    /// that the next ones open on the runtime that uses them: a store built outside any
    /// runtime opens connections for its sync callers (the fill, seeding) on a runtime of
    /// its own, and an async caller elsewhere would then reach the server through that
    /// runtime's thread.
    ///
    /// ```
    /// let db = session_benches::Backend::all().into_iter().next().unwrap();
    /// db.build(1, session_benches::Size::Typical).forget_connections();
    /// ```
    pub fn forget_connections(&self) {
        if let Some(pool) = &self.pg_pool {
            pool.retain(|_, _| false);
        }
    }

    fn attach_floor(&mut self, setup: Option<FloorSetup>, live: usize) {
        let Some(setup) = setup else { return };
        let fill = |floor: &dyn Floor, n: usize, bytes: &[u8]| -> Vec<String> {
            (0..n)
                .map(|_| floor.put(&key::generate(), bytes, live_until()))
                .collect()
        };
        let bytes = self.payload.bytes().to_vec();
        let (floor, keys): (Box<dyn Floor>, Vec<String>) = match setup {
            FloorSetup::Sqlite(path) => (Box::new(SqliteFloor::open(&path)), self.keys.clone()),
            FloorSetup::DjangoSqlite(path) => {
                (Box::new(DjangoSqliteFloor::open(&path)), self.keys.clone())
            }
            FloorSetup::Cached(path) => {
                let cache = MokaFloor::new((live as u64).saturating_mul(2).max(200_000));
                for k in &self.keys {
                    cache.put(k, &bytes, live_until());
                }
                let floor = CachedFloor::new(cache, SqliteFloor::open(&path));
                (Box::new(floor), self.keys.clone())
            }
            FloorSetup::SqliteMemory => {
                let floor = SqliteFloor::in_memory();
                let keys = fill(&floor, live, &bytes);
                (Box::new(floor), keys)
            }
            FloorSetup::Moka => {
                let floor = MokaFloor::new((live as u64).saturating_mul(2).max(200_000));
                let keys = fill(&floor, live, &bytes);
                (Box::new(floor), keys)
            }
            FloorSetup::File(dir, fsync) => {
                let keys = fill(&FileFloor::new(&dir, false), live.min(10_000), &bytes);
                (Box::new(FileFloor::new(dir, fsync)), keys)
            }
            FloorSetup::Signer => {
                let floor = SignerFloor::new(SECRET, session_cookie::DEFAULT_SALT);
                let keys = fill(&floor, live.min(1_000), &bytes);
                (Box::new(floor), keys)
            }
            // Both servers: the same table / key space as the store, so the same rows.
            FloorSetup::Postgres(url) => (
                Box::new(PgFloor::connect(&url, PG_TABLE)),
                self.keys.clone(),
            ),
            FloorSetup::Redis(url) => (
                Box::new(RedisFloor::connect(&url, REDIS_PREFIX)),
                self.keys.clone(),
            ),
        };
        self.floor = Some(floor);
        self.floor_keys = keys;
    }

    /// Adds `count` sessions holding `record` and returns their keys: straight into the
    /// SQLite file in one transaction where the store sits on one (so a sweep bench can
    /// refill 100,000 rows in a second; a `cached_db` cache is then cold), straight into
    /// the directory of a file store (the files `create` writes, without its temp file and
    /// rename: 100,000 creates took a minute), in one transaction into a PostgreSQL table,
    /// else through `create`.
    ///
    /// # Panics
    /// When the store refuses a session.
    ///
    /// ```
    /// # use session_benches::{Backend, live_until};
    /// let db = Backend::all().into_iter().find(|b| b.name() == "db-django").unwrap();
    /// let f = db.empty();
    /// let keys = f.fill(3, &session_core::Record::new(b"x".to_vec(), live_until()));
    /// assert!(f.store.exists(&keys[2]).unwrap());
    /// let files = Backend::all().into_iter().find(|b| b.name() == "file").unwrap().empty();
    /// let keys = files.fill(2, &session_core::Record::new(b"{}".to_vec(), live_until()));
    /// assert_eq!(files.store.load(&keys[1]).unwrap().as_deref(), Some(&b"{}"[..]));
    /// ```
    pub fn fill(&self, count: usize, record: &Record) -> Vec<String> {
        if let Some((path, django)) = &self.sqlite {
            return crate::floor::fill_sqlite(path, *django, count, record);
        }
        if let Some(url) = &self.pg_url {
            return crate::floor::fill_postgres(url, PG_TABLE, count, record);
        }
        if let Some(dir) = &self.file_dir {
            let header = session_file::format::header(record.expires_at, record.data.len());
            let contents = [&header[..], &record.data].concat();
            return (0..count)
                .map(|_| {
                    let key = key::generate();
                    let path = dir.join(session_file::format::file_name(&key));
                    std::fs::write(path, &contents).expect("write a session file");
                    key
                })
                .collect();
        }
        (0..count)
            .map(|_| self.store.create(record).expect("fill the store"))
            .collect()
    }

    /// Makes `count` sessions of this fixture's size through a manager with `codec` (so
    /// a request round trip loads what that serializer wrote) and returns the manager
    /// and their cookie values.
    ///
    /// # Panics
    /// When the store refuses a session: the bench cannot run.
    ///
    /// ```
    /// # use session_benches::{Backend, Codec, Size};
    /// # let f = Backend::all().into_iter().find(|b| b.name() == "cookie").unwrap().build(1, Size::Typical);
    /// let (_manager, keys) = f.seed(Codec::DjangoJson, 3);
    /// assert_eq!(keys.len(), 3);
    /// ```
    pub fn seed(&self, codec: Codec, count: usize) -> (SessionManager, Vec<String>) {
        let manager = codec.manager(self.store.clone());
        let data = self.size.data();
        let keys = (0..count)
            .map(|_| {
                let mut session = manager.session(None);
                for (k, v) in &data {
                    if k == session_core::reserved::SESSION_EXPIRY {
                        let secs = v.as_u64().unwrap_or(1_209_600);
                        session
                            .set_expiry(Expiry::Idle(Duration::from_secs(secs)))
                            .expect("expiry");
                    } else {
                        session.insert(k.clone(), v.clone()).expect("insert");
                    }
                }
                session.save().expect("save the seed session");
                session.key().expect("a saved session has a key").to_owned()
            })
            .collect();
        (manager, keys)
    }

    /// Puts `count` entries encoded with `codec`'s floor encoding into the floor and
    /// returns their keys (tokens for the signer floor); empty without a floor.
    ///
    /// ```
    /// # use session_benches::{Backend, Codec, Size};
    /// # let f = Backend::all().into_iter().find(|b| b.name() == "cache").unwrap().build(1, Size::Typical);
    /// let keys = f.seed_floor(Codec::Json, 2);
    /// assert!(f.floor.as_ref().unwrap().get(&keys[1]).is_some());
    /// ```
    pub fn seed_floor(&self, codec: Codec, count: usize) -> Vec<String> {
        let Some(floor) = &self.floor else {
            return Vec::new();
        };
        let bytes = codec.raw_encode(&self.size.data());
        (0..count)
            .map(|_| floor.put(&key::generate(), &bytes, live_until()))
            .collect()
    }
}
