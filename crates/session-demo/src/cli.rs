//! Command-line flags (hand-written: a handful of flags needs no parser crate).

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::DemoError;

/// The help text of `session-demo --help`.
pub const USAGE: &str = "\
session-demo: the views of Django's session docs, served on any session-engines backend

USAGE:
    session-demo [COMMAND] [OPTIONS]

COMMANDS:
    serve                   serve the site [the default]
    clear-expired           delete expired sessions, as Django's clearsessions (db,
                            postgres and file backends; a progress bar when there are many)

OPTIONS:
    --addr HOST:PORT        where to listen; HOST is an IP address or a host name
                            [default: 127.0.0.1:8000]
    --backend NAME          db | cache | file | cookie | postgres | redis | redis-cluster
                            [default: db]
    --db PATH               SQLite file of the db backend [default: sessions.sqlite3]
    --db-url URL            PostgreSQL of the postgres backend, e.g.
                            postgres://user@127.0.0.1/app or host=127.0.0.1 dbname=app
    --redis-url URL         Redis of the redis backend, e.g. redis://127.0.0.1:6379/
                            (rediss://… for TLS); for redis-cluster, seed nodes of the
                            cluster: URL[,URL...]
    --dir PATH              directory of the file backend, created (mode 0700) if missing
                            [default: sessions]
    --serializer NAME       json | msgpack [default: json]
    --secret S              signing secret of the cookie backend (random when absent);
                            other users see it in `ps`: prefer SESSION_SECRET or
    --secret-file PATH      a file holding the secret (a trailing newline is ignored)
    --inline                run the db or file store on the async threads instead of the
                            blocking pool (faster for a local SQLite file; see
                            session_tower::SessionLayer::inline)
    --django-secret S       Django mode: share sessions with a Django site that has this
                            SECRET_KEY (Django's signed cookies, django_session table and
                            session codec); prefer DJANGO_SECRET_KEY or
    --django-secret-file PATH
                            a file holding it (a trailing newline is ignored)
    --header-timeout SECS   close a connection that sends no complete request head within
                            SECS, idle keep-alive ones included [default: 10]
    --request-timeout SECS  answer 408 to a request not answered within SECS; also how long
                            a stop (Ctrl-C, SIGTERM) waits for requests in flight [default: 30]
    --max-connections N     open connections at most; a new one beyond closes the oldest
                            idle one [default: 1024, lowered to fit the open-files limit]
    -h, --help              print this help

ENVIRONMENT:
    SESSION_SECRET          the secret, when neither --secret nor --secret-file is given
    DJANGO_SECRET_KEY       Django mode's secret, when neither --django-secret nor
                            --django-secret-file is given
    RUST_LOG                what to log [default: info]

Secrets must have at least 8 characters; under 32 bytes a warning says they are weak.
";

/// Which store sessions live in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    /// `session-db`: SQLite.
    Db,
    /// `session-cache`: in-process moka cache.
    Cache,
    /// `session-file`: one file per session.
    File,
    /// `session-cookie`: the session in a signed cookie.
    Cookie,
    /// `session-db` with feature `postgres`: PostgreSQL.
    Postgres,
    /// `session-cache` with feature `redis`: Redis.
    Redis,
    /// `session-cache` with feature `redis`: a Redis Cluster.
    RedisCluster,
}

impl BackendKind {
    /// The flag value.
    ///
    /// ```
    /// assert_eq!(session_demo::BackendKind::Cookie.name(), "cookie");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Db => "db",
            BackendKind::Cache => "cache",
            BackendKind::File => "file",
            BackendKind::Cookie => "cookie",
            BackendKind::Postgres => "postgres",
            BackendKind::Redis => "redis",
            BackendKind::RedisCluster => "redis-cluster",
        }
    }
}

/// The encoding of session data (Django mode always uses Django's codec).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SerializerKind {
    /// JSON.
    Json,
    /// MessagePack.
    MessagePack,
}

/// What to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Serve the site.
    Serve,
    /// Django's `clearsessions`.
    ClearExpired,
    /// Print [`USAGE`].
    Help,
}

/// Parsed command line.
///
/// ```
/// use session_demo::{BackendKind, Command, Options};
/// let options = Options::parse(["--backend", "cookie", "--secret=correct horse battery"])?;
/// assert_eq!(options.command, Command::Serve);
/// assert_eq!(options.backend, BackendKind::Cookie);
/// assert_eq!(options.addr.to_string(), "127.0.0.1:8000");
/// assert!(Options::parse(["--nope"]).is_err());
/// # Ok::<(), session_demo::DemoError>(())
/// ```
#[derive(Clone)]
pub struct Options {
    /// What to do.
    pub command: Command,
    /// `--addr`.
    pub addr: SocketAddr,
    /// `--backend`.
    pub backend: BackendKind,
    /// `--db` (db backend).
    pub db: PathBuf,
    /// `--dir` (file backend).
    pub dir: PathBuf,
    /// `--db-url` (postgres backend).
    pub db_url: Option<String>,
    /// `--redis-url` (redis backend; comma-separated seed nodes for redis-cluster).
    pub redis_url: Option<String>,
    /// `--serializer`.
    pub serializer: SerializerKind,
    /// `--secret`.
    pub secret: Option<String>,
    /// `--django-secret`.
    pub django_secret: Option<String>,
    /// `--inline`: store I/O on the executor threads.
    pub inline: bool,
    /// `--header-timeout`, `--request-timeout`, `--max-connections`.
    pub server: crate::ServerConfig,
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redact = |s: &Option<String>| s.as_ref().map(|_| "[redacted]");
        f.debug_struct("Options")
            .field("command", &self.command)
            .field("addr", &self.addr)
            .field("backend", &self.backend)
            .field("db", &self.db)
            .field("dir", &self.dir)
            // URLs may carry passwords.
            .field("db_url", &redact(&self.db_url))
            .field("redis_url", &redact(&self.redis_url))
            .field("serializer", &self.serializer)
            .field("secret", &redact(&self.secret))
            .field("django_secret", &redact(&self.django_secret))
            .field("inline", &self.inline)
            .field("server", &self.server)
            .finish()
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            command: Command::Serve,
            addr: SocketAddr::from(([127, 0, 0, 1], 8000)),
            backend: BackendKind::Db,
            db: PathBuf::from("sessions.sqlite3"),
            dir: PathBuf::from("sessions"),
            db_url: None,
            redis_url: None,
            serializer: SerializerKind::Json,
            secret: None,
            django_secret: None,
            inline: false,
            server: crate::ServerConfig::default(),
        }
    }
}

/// The shortest secret accepted: anything shorter is a typo or a placeholder.
pub const MIN_SECRET_LEN: usize = 8;

/// Where each secret comes from: its flag, its file flag, its environment variable.
const SECRETS: [(&str, &str, &str); 2] = [
    ("--secret", "--secret-file", "SESSION_SECRET"),
    (
        "--django-secret",
        "--django-secret-file",
        "DJANGO_SECRET_KEY",
    ),
];

impl Options {
    /// Parses the arguments after the program name. Flags take `--flag value` or
    /// `--flag=value`; each may appear once. Reads no environment variable: see
    /// [`parse_with_env`](Self::parse_with_env).
    ///
    /// ```
    /// use session_demo::{Command, Options};
    /// let options = Options::parse(["clear-expired", "--db", "/tmp/x.sqlite3"])?;
    /// assert_eq!(options.command, Command::ClearExpired);
    /// assert!(Options::parse(["--backend", "nosql"]).is_err());
    /// # Ok::<(), session_demo::DemoError>(())
    /// ```
    pub fn parse<I, S>(args: I) -> Result<Options, DemoError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::parse_with_env(args, |_| None)
    }

    /// [`parse`](Self::parse), taking the secrets that no flag gives from `env`
    /// (`SESSION_SECRET`, `DJANGO_SECRET_KEY`): the program passes
    /// `|name| std::env::var(name).ok()`. A secret comes from its flag (`--secret`), else
    /// its file (`--secret-file`), else the environment; the flag and the file together are
    /// an error, and so is an empty or short secret from any of them.
    ///
    /// ```
    /// use session_demo::Options;
    /// let env = |name: &str| (name == "SESSION_SECRET").then(|| "from the environment".to_owned());
    /// let options = Options::parse_with_env(["--backend", "cookie"], env)?;
    /// assert_eq!(options.secret.as_deref(), Some("from the environment"));
    /// let options = Options::parse_with_env(["--backend", "cookie", "--secret", "from the flag"], env)?;
    /// assert_eq!(options.secret.as_deref(), Some("from the flag"));
    /// let empty = |_: &str| Some(String::new());
    /// let err = Options::parse_with_env(["--backend", "cookie"], empty).unwrap_err();
    /// assert!(err.report().starts_with("SESSION_SECRET is empty"), "{}", err.report());
    /// # Ok::<(), session_demo::DemoError>(())
    /// ```
    pub fn parse_with_env<I, S>(
        args: I,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Options, DemoError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        // Per entry of SECRETS: the flag's value, the file flag's path.
        let mut secrets: [(Option<String>, Option<String>); 2] = Default::default();
        let mut options = Options::default();
        let mut seen: Vec<String> = Vec::new();
        let mut command = None;
        let (mut db_set, mut dir_set) = (false, false);
        let mut args = args.into_iter().map(Into::into);
        while let Some(arg) = args.next() {
            if arg == "-h" || arg == "--help" {
                options.command = Command::Help;
                return Ok(options);
            }
            if arg == "--inline" {
                if options.inline {
                    return Err(usage("`--inline` given twice"));
                }
                options.inline = true;
                continue;
            }
            if !arg.starts_with("--") {
                if command.is_some() {
                    return Err(usage(format!("unexpected argument `{arg}`")));
                }
                command = Some(match arg.as_str() {
                    "serve" => Command::Serve,
                    "clear-expired" => Command::ClearExpired,
                    _ => return Err(usage(format!("unknown command `{arg}`"))),
                });
                continue;
            }
            let (flag, inline_value) = match arg.split_once('=') {
                Some((flag, value)) => (flag.to_owned(), Some(value.to_owned())),
                None => (arg.clone(), None),
            };
            const FLAGS: [&str; 14] = [
                "--addr",
                "--backend",
                "--db",
                "--db-url",
                "--redis-url",
                "--dir",
                "--serializer",
                "--secret",
                "--django-secret",
                "--secret-file",
                "--django-secret-file",
                "--header-timeout",
                "--request-timeout",
                "--max-connections",
            ];
            if !FLAGS.contains(&flag.as_str()) {
                return Err(usage(format!("unknown flag `{flag}`")));
            }
            if seen.contains(&flag) {
                return Err(usage(format!("`{flag}` given twice")));
            }
            seen.push(flag.clone());
            let value = match inline_value.or_else(|| args.next()) {
                Some(value) => value,
                None => return Err(usage(format!("`{flag}` needs a value"))),
            };
            match flag.as_str() {
                "--addr" => options.addr = crate::serve::resolve_addr(&value)?,
                "--header-timeout" | "--request-timeout" | "--max-connections" => {
                    options.server.set_flag(&flag, &value)?
                }
                "--backend" => {
                    options.backend = match value.as_str() {
                        "db" => BackendKind::Db,
                        "cache" => BackendKind::Cache,
                        "file" => BackendKind::File,
                        "cookie" => BackendKind::Cookie,
                        "postgres" => BackendKind::Postgres,
                        "redis" => BackendKind::Redis,
                        "redis-cluster" => BackendKind::RedisCluster,
                        _ => {
                            return Err(usage(format!(
                                "unknown backend `{value}` \
                                 (db, cache, file, cookie, postgres, redis or redis-cluster)"
                            )));
                        }
                    }
                }
                "--db" => (options.db, db_set) = (path(&flag, value)?, true),
                "--dir" => (options.dir, dir_set) = (path(&flag, value)?, true),
                "--db-url" => options.db_url = Some(url(&flag, value)?),
                "--redis-url" => options.redis_url = Some(url(&flag, value)?),
                "--serializer" => {
                    options.serializer = match value.as_str() {
                        "json" => SerializerKind::Json,
                        "msgpack" => SerializerKind::MessagePack,
                        _ => {
                            return Err(usage(format!(
                                "unknown serializer `{value}` (json or msgpack)"
                            )));
                        }
                    }
                }
                "--secret" => secrets[0].0 = Some(value),
                "--secret-file" => secrets[0].1 = Some(value),
                "--django-secret" => secrets[1].0 = Some(value),
                _ => secrets[1].1 = Some(value),
            }
        }
        let [secret, django] = secrets;
        options.secret = resolve_secret(SECRETS[0], secret, &env)?;
        options.django_secret = resolve_secret(SECRETS[1], django, &env)?;
        options.command = command.unwrap_or(Command::Serve);
        if db_set && options.backend != BackendKind::Db {
            return Err(usage("`--db` needs `--backend db`"));
        }
        if dir_set && options.backend != BackendKind::File {
            return Err(usage("`--dir` needs `--backend file`"));
        }
        let redis = matches!(
            options.backend,
            BackendKind::Redis | BackendKind::RedisCluster
        );
        match (options.backend, &options.db_url, &options.redis_url) {
            (BackendKind::Postgres, None, _) => {
                return Err(usage("`--backend postgres` needs `--db-url URL`"));
            }
            (BackendKind::Redis, _, None) => {
                return Err(usage("`--backend redis` needs `--redis-url URL`"));
            }
            (BackendKind::RedisCluster, _, None) => {
                return Err(usage(
                    "`--backend redis-cluster` needs `--redis-url URL[,URL...]` (seed nodes)",
                ));
            }
            (b, Some(_), _) if b != BackendKind::Postgres => {
                return Err(usage("`--db-url` needs `--backend postgres`"));
            }
            (_, _, Some(_)) if !redis => {
                return Err(usage(
                    "`--redis-url` needs `--backend redis` or `--backend redis-cluster`",
                ));
            }
            (BackendKind::Redis, _, Some(url)) => redis_url(url)?,
            (BackendKind::RedisCluster, _, Some(urls)) => {
                if redis_seeds(urls).next().is_none() {
                    return Err(usage(
                        "`--redis-url` of redis-cluster needs at least one seed URL",
                    ));
                }
                for seed in redis_seeds(urls) {
                    redis_url(seed)?;
                }
            }
            _ => {}
        }
        if options.inline && (redis || options.backend == BackendKind::Postgres) {
            return Err(usage(format!(
                "`--inline` would run the {} store's network waits on the async threads: drop `--inline` (the store already schedules its own I/O)",
                options.backend.name()
            )));
        }
        if options.django_secret.is_some() && options.serializer == SerializerKind::MessagePack {
            return Err(usage(
                "Django mode (--django-secret or DJANGO_SECRET_KEY) uses Django's JSON codec: \
                 drop `--serializer msgpack`",
            ));
        }
        if options.command == Command::ClearExpired
            && !matches!(
                options.backend,
                BackendKind::Db | BackendKind::File | BackendKind::Postgres
            )
        {
            return Err(usage(format!(
                "clear-expired works on the db, postgres and file backends, not `{}`",
                options.backend.name()
            )));
        }
        Ok(options)
    }
}

fn usage(message: impl Into<String>) -> DemoError {
    DemoError::Usage(message.into())
}

fn path(flag: &str, value: String) -> Result<PathBuf, DemoError> {
    if value.trim().is_empty() {
        return Err(usage(format!("`{flag}` needs a non-empty path")));
    }
    Ok(PathBuf::from(value))
}

fn url(flag: &str, value: String) -> Result<String, DemoError> {
    if value.trim().is_empty() {
        return Err(usage(format!("`{flag}` needs a non-empty URL")));
    }
    Ok(value)
}

/// A Redis URL's scheme, checked here so that the error is one clear line (the URL is not
/// repeated: it may hold a password).
fn redis_url(value: &str) -> Result<(), DemoError> {
    const SCHEMES: [&str; 4] = ["redis://", "rediss://", "unix://", "redis+unix://"];
    if !SCHEMES.iter().any(|scheme| value.starts_with(scheme)) {
        return Err(usage(
            "`--redis-url` is not a Redis URL: use redis://HOST[:PORT][/DB] \
             (rediss://… for TLS), e.g. redis://127.0.0.1:6379/",
        ));
    }
    Ok(())
}

/// The seed URLs of `--backend redis-cluster`: `--redis-url` split at commas.
///
/// ```
/// let seeds: Vec<&str> = session_demo::redis_seeds("redis://a:7000/, redis://b:7000/").collect();
/// assert_eq!(seeds, ["redis://a:7000/", "redis://b:7000/"]);
/// ```
pub fn redis_seeds(urls: &str) -> impl Iterator<Item = &str> {
    urls.split(',').map(str::trim).filter(|url| !url.is_empty())
}

/// The secret of one `(flag, file flag, variable)` entry of [`SECRETS`], from the flag's
/// value, else the file, else the environment; checked.
fn resolve_secret(
    (flag, file_flag, var): (&str, &str, &str),
    (value, file): (Option<String>, Option<String>),
    env: &impl Fn(&str) -> Option<String>,
) -> Result<Option<String>, DemoError> {
    let (value, what) = match (value, file) {
        (Some(_), Some(_)) => {
            return Err(usage(format!("give `{flag}` or `{file_flag}`, not both")));
        }
        (Some(value), None) => (value, format!("`{flag}`")),
        (None, Some(path)) => {
            if path.trim().is_empty() {
                return Err(usage(format!("`{file_flag}` needs a non-empty path")));
            }
            let text = std::fs::read_to_string(&path).map_err(|source| DemoError::Open {
                what: format!("the secret file `{path}` of {file_flag}"),
                source: source.into(),
            })?;
            let value = text.trim_end_matches(['\n', '\r']).to_owned();
            (value, format!("the secret in `{path}` ({file_flag})"))
        }
        (None, None) => match env(var) {
            Some(value) => (value, var.to_owned()),
            None => return Ok(None),
        },
    };
    if value.trim().is_empty() {
        return Err(usage(format!(
            "{what} is empty: anyone could forge sessions; give a long random secret"
        )));
    }
    if value.trim().chars().count() < MIN_SECRET_LEN {
        return Err(usage(format!(
            "{what} is too short: use at least {MIN_SECRET_LEN} characters, better 32 or more"
        )));
    }
    Ok(Some(value))
}
