//! Opening the store the flags ask for, and `clear-expired`.

use std::sync::Arc;

use session_cache::{MokaStore, RedisStore};
use session_cookie::{CookieFormat, CookieStore};
use session_core::{ClearExpired, DjangoJson, Json, MessagePack, SessionManager};
use session_db::{PostgresStore, SqliteStore};
use session_file::{FileConfig, FileStore};
use session_signing::DjangoCodec;

use crate::{BackendKind, DemoError, Options, SerializerKind};

/// The opened store, by kind: `clear-expired` needs the concrete type for its progress bar.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Store {
    /// `--backend db`.
    Db(SqliteStore),
    /// `--backend cache`.
    Cache(Arc<MokaStore>),
    /// `--backend file`.
    File(Arc<FileStore>),
    /// `--backend cookie`.
    Cookie(Arc<CookieStore>),
    /// `--backend postgres`.
    Postgres(PostgresStore),
    /// `--backend redis` or `redis-cluster`.
    Redis(Arc<RedisStore>),
}

/// A ready backend: the manager for [`app`](crate::app), plus what the server needs to know.
///
/// ```
/// let options = session_demo::Options::parse(["--backend", "cache"])?;
/// let backend = session_demo::Backend::open(&options)?;
/// assert_eq!(backend.describe(), "cache (in-process moka), json");
/// # Ok::<(), session_demo::DemoError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Backend {
    /// Store, serializer and config.
    pub manager: SessionManager,
    /// The store itself.
    pub store: Store,
    /// Run store I/O inline (`--inline`), see [`session_tower::SessionLayer::inline`].
    pub inline: bool,
    description: String,
}

impl Backend {
    /// Opens the store of `options` (creating the database file or directory if needed) and
    /// builds its manager. Django mode (`--django-secret`) uses Django's formats.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let db = dir.path().join("s.sqlite3");
    /// let options = session_demo::Options::parse(["--db", db.to_str().unwrap()])?;
    /// let backend = session_demo::Backend::open(&options)?;
    /// assert!(db.exists());
    /// # let _ = backend;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(options: &Options) -> Result<Backend, DemoError> {
        let django = options.django_secret.as_deref();
        let serializer = match (django, options.serializer) {
            (Some(_), _) => "Django codec",
            (None, SerializerKind::Json) => "json",
            (None, SerializerKind::MessagePack) => "msgpack",
        };
        let (manager, store, what) = match options.backend {
            BackendKind::Db => {
                let opened = match django {
                    Some(_) => SqliteStore::open_django(&options.db),
                    None => SqliteStore::open(&options.db),
                };
                let store = opened.map_err(|source| DemoError::Open {
                    what: format!("database `{}` (--db)", options.db.display()),
                    source: explain_sqlite(&options.db).unwrap_or_else(|| source.into()),
                })?;
                let manager = server_side(SessionManager::new(store.clone()), options)?;
                let what = match django {
                    Some(_) => format!("db (Django's django_session in {})", options.db.display()),
                    None => format!("db (SQLite {})", options.db.display()),
                };
                (manager, Store::Db(store), what)
            }
            BackendKind::Cache => {
                let store = Arc::new(MokaStore::new());
                let manager = server_side(SessionManager::new(store.clone()), options)?;
                (
                    manager,
                    Store::Cache(store),
                    "cache (in-process moka)".to_owned(),
                )
            }
            BackendKind::File => {
                let mut config = FileConfig::default();
                if options.django_secret.is_some() {
                    config = config.with_django(session_core::SessionConfig::default().cookie_age);
                }
                // Made if missing (mode 0700), and proven writable now: a directory the
                // sessions cannot be written to fails here, not at the first login.
                let config = config.with_create_dir(true);
                let open_failed = |how: &str, source: session_core::BoxError| DemoError::Open {
                    what: format!("session directory `{}`{how}", options.dir.display()),
                    source,
                };
                let store = FileStore::with_config(&options.dir, config)
                    .map_err(|e| open_failed("", e.into()))?;
                check_writable(&options.dir).map_err(|e| open_failed(" for writing", e.into()))?;
                let store = Arc::new(store);
                let manager = server_side(SessionManager::new(store.clone()), options)?;
                let what = match django {
                    Some(_) => format!("file (Django's layout in {})", options.dir.display()),
                    None => format!("file ({})", options.dir.display()),
                };
                (manager, Store::File(store), what)
            }
            BackendKind::Postgres => {
                let url = options.db_url.as_deref().unwrap_or_default();
                let opened = match django {
                    Some(_) => PostgresStore::connect_django(url),
                    None => PostgresStore::connect(url),
                };
                let store = opened.map_err(|source| DemoError::Open {
                    what: "the PostgreSQL database of --db-url".to_owned(),
                    source: source.into(),
                })?;
                let manager = server_side(SessionManager::new(store.clone()), options)?;
                let what = match django {
                    Some(_) => "postgres (Django's django_session)",
                    None => "postgres",
                };
                (manager, Store::Postgres(store), what.to_owned())
            }
            BackendKind::Redis | BackendKind::RedisCluster => {
                let url = options.redis_url.as_deref().unwrap_or_default();
                let (opened, what) = if options.backend == BackendKind::Redis {
                    (RedisStore::open(url), "redis".to_owned())
                } else {
                    let seeds: Vec<&str> = crate::redis_seeds(url).collect();
                    let what = format!("redis-cluster ({} seed nodes)", seeds.len());
                    (RedisStore::open_cluster(&seeds), what)
                };
                // The store connects lazily: ping now, so a wrong URL fails at startup.
                let store = opened
                    .and_then(|store| ping(&store).map(|()| store))
                    .map_err(|source| DemoError::Open {
                        what: "the Redis server of --redis-url".to_owned(),
                        source: source.into(),
                    })?;
                let store = Arc::new(store);
                let manager = server_side(SessionManager::new(store.clone()), options)?;
                (manager, Store::Redis(store), what)
            }
            BackendKind::Cookie => {
                let (store, manager) = match django {
                    Some(secret) => {
                        if options.secret.is_some() {
                            tracing::warn!("--django-secret given: --secret is not used");
                        }
                        let store = CookieStore::new(secret).map_err(secret_refused)?;
                        let manager =
                            SessionManager::new(store.clone()).with_serializer(DjangoJson);
                        (store, manager)
                    }
                    None => {
                        let secret = options.secret.clone().unwrap_or_else(|| {
                            tracing::warn!(
                                "no --secret given: signing with a random secret, so cookies \
                                 won't survive a restart"
                            );
                            random_secret()
                        });
                        // The expiring format signs the record's expiry into the cookie, so
                        // `set_expiry` holds whatever the serializer.
                        let store = CookieStore::new(secret)
                            .map_err(secret_refused)?
                            .with_format(CookieFormat::Expiring);
                        let manager = with_serializer(SessionManager::new(store.clone()), options);
                        (store, manager)
                    }
                };
                let what = match django {
                    Some(_) => "cookie (Django's signed cookies)",
                    None => "cookie (signed, expiring)",
                };
                (manager, Store::Cookie(Arc::new(store)), what.to_owned())
            }
        };
        if options.secret.is_some() && options.backend != BackendKind::Cookie {
            tracing::info!("--secret only signs cookies of the cookie backend; not used here");
        }
        Ok(Backend {
            manager,
            store,
            inline: options.inline,
            description: format!(
                "{what}, {serializer}{}",
                if options.inline { ", inline I/O" } else { "" }
            ),
        })
    }

    /// One line for the startup log: backend, where, serializer.
    ///
    /// ```
    /// let options = session_demo::Options::parse(["--backend", "cache", "--serializer", "msgpack"])?;
    /// let backend = session_demo::Backend::open(&options)?;
    /// assert!(backend.describe().ends_with("msgpack"));
    /// # Ok::<(), session_demo::DemoError>(())
    /// ```
    pub fn describe(&self) -> &str {
        &self.description
    }

    /// The store as something that can sweep expired sessions, for the background task;
    /// `None` for stores that need no sweeping (cookies carry their own expiry, Redis
    /// expires keys itself). The moka cache is swept to give expired sessions' memory back.
    ///
    /// ```
    /// let options = session_demo::Options::parse(["--backend", "cookie"])?;
    /// assert!(session_demo::Backend::open(&options)?.sweeper().is_none());
    /// let options = session_demo::Options::parse(["--backend", "cache"])?;
    /// assert!(session_demo::Backend::open(&options)?.sweeper().is_some());
    /// # Ok::<(), session_demo::DemoError>(())
    /// ```
    pub fn sweeper(&self) -> Option<Arc<dyn ClearExpired>> {
        match &self.store {
            Store::Db(store) => Some(Arc::new(store.clone())),
            Store::File(store) => Some(store.clone()),
            Store::Postgres(store) => Some(Arc::new(store.clone())),
            Store::Cache(store) => Some(store.clone()),
            Store::Cookie(_) | Store::Redis(_) => None,
        }
    }
}

/// `RedisStore::ping`, wherever `open` runs: its sync face refuses a thread that runs async
/// tasks (the server opens the backend inside its runtime), so the check runs on a thread
/// of its own. Startup only.
fn ping(store: &RedisStore) -> session_core::Result<()> {
    std::thread::scope(|scope| {
        scope
            .spawn(|| store.ping())
            .join()
            .unwrap_or_else(|payload| Err(session_core::Error::panicked("redis", payload)))
    })
}

/// Server-side stores: Django's codec in Django mode, else the chosen serializer.
fn server_side(manager: SessionManager, options: &Options) -> Result<SessionManager, DemoError> {
    Ok(match options.django_secret.as_deref() {
        Some(secret) => manager.with_serializer(DjangoCodec::new(secret).map_err(secret_refused)?),
        None => with_serializer(manager, options),
    })
}

/// Why SQLite cannot open `path`, when the file system can tell: SQLite's own error says
/// only "unable to open database file".
fn explain_sqlite(path: &std::path::Path) -> Option<session_core::BoxError> {
    let reason = if path.is_dir() {
        "it is a directory: name a file, e.g. sessions.sqlite3 in it".to_owned()
    } else {
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty())?;
        if dir.is_dir() {
            return None;
        }
        format!(
            "the directory `{}` does not exist: create it or choose another path",
            dir.display()
        )
    };
    Some(reason.into())
}

/// A secret the signing crates refused (the command line already refuses empty ones).
fn secret_refused(source: session_core::Error) -> DemoError {
    DemoError::Secret(source)
}

/// Creates and removes a file in `dir`, so that a directory the sessions cannot be written
/// to is an error at startup instead of a failed save at the first login.
fn check_writable(dir: &std::path::Path) -> std::io::Result<()> {
    let probe = dir.join(format!(".write-check-{}", session_core::key::generate()));
    std::fs::File::create_new(&probe)?;
    std::fs::remove_file(&probe)
}

fn with_serializer(manager: SessionManager, options: &Options) -> SessionManager {
    match options.serializer {
        SerializerKind::Json => manager.with_serializer(Json),
        SerializerKind::MessagePack => manager.with_serializer(MessagePack),
    }
}

/// 330 bits from the OS CSPRNG, as two session keys.
fn random_secret() -> String {
    format!(
        "{}{}",
        session_core::key::generate(),
        session_core::key::generate()
    )
}

/// Django's `clearsessions`: deletes the expired sessions of the db or file store of
/// `options` and returns how many. For the db backend, shows a progress bar on a terminal
/// when there are many (at least [`PROGRESS_THRESHOLD`]); for the file backend, a spinner.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let db = dir.path().join("s.sqlite3");
/// let options = session_demo::Options::parse(["clear-expired", "--db", db.to_str().unwrap()])?;
/// assert_eq!(session_demo::clear_expired(&options)?, 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn clear_expired(options: &Options) -> Result<u64, DemoError> {
    let backend = Backend::open(options)?;
    let failed = |source: session_core::Error| DemoError::Store { source };
    match &backend.store {
        Store::Db(store) => with_progress(store.count_expired(), |progress| {
            store.clear_expired_with(progress)
        })
        .map_err(failed),
        Store::Postgres(store) => with_progress(store.count_expired(), |progress| {
            store.clear_expired_with(progress)
        })
        .map_err(failed),
        Store::File(store) => {
            // The file store sweeps in one call with no progress report: a spinner shows
            // that it is working (on a terminal only).
            let spinner = indicatif::ProgressBar::new_spinner()
                .with_message(format!("sweeping {}", store.dir().display()));
            spinner.enable_steady_tick(std::time::Duration::from_millis(100));
            let deleted = store.clear_expired().map_err(failed);
            spinner.finish_and_clear();
            deleted
        }
        Store::Cache(_) | Store::Cookie(_) | Store::Redis(_) => Err(DemoError::Usage(format!(
            "clear-expired works on the db, postgres and file backends, not `{}`",
            options.backend.name()
        ))),
    }
}

/// The number of expired sessions from which `clear-expired` shows a progress bar.
pub const PROGRESS_THRESHOLD: u64 = 1_000;

/// Runs a batched sweep of `total` expired sessions under a progress bar.
fn with_progress(
    total: session_core::Result<u64>,
    sweep: impl FnOnce(&mut dyn FnMut(u64)) -> session_core::Result<u64>,
) -> session_core::Result<u64> {
    let bar = progress_bar(total?);
    let deleted = sweep(&mut |done| bar.set_position(done));
    bar.finish_and_clear();
    deleted
}

fn progress_bar(total: u64) -> indicatif::ProgressBar {
    if total < PROGRESS_THRESHOLD {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{bar:40} {pos}/{len} expired sessions deleted ({eta} left)",
    ) {
        bar.set_style(style);
    }
    bar
}
