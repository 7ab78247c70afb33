//! How a `RedisStore` reaches Redis: the connection (made at the first operation, or handed
//! in), the time limit around every command, the one retry after a dropped connection, and
//! the runtime its sync face waits on.

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};
use std::time::Duration;

use redis::aio::{ConnectionLike as _, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::io::tcp::TcpSettings;
use redis::io::tcp::socket2::TcpKeepalive;
use redis::{Cmd, FromRedisValue, RedisError, TlsCertificates, Value};
use session_core::{Error, Result};
use tokio::runtime::{Handle, Runtime, RuntimeFlavor};

use super::config::{Pem, RedisConfig, Target};
use super::error::{BACKEND, ConfigError, NoRuntime, OnExecutor, TimedOut};

/// The shortest and longest waits (ms) of a Cluster client before it retries a request (a
/// node that went away, `TRYAGAIN`): short, since the response timeout bounds the whole
/// request anyway.
const CLUSTER_MIN_RETRY_WAIT_MS: u64 = 10;
const CLUSTER_MAX_RETRY_WAIT_MS: u64 = 250;
/// Redirects and reconnections a Cluster request may go through.
const CLUSTER_RETRIES: u32 = 3;
/// Idle time before TCP keepalive probes start, and (where the OS has the option) how long
/// sent data may go unacknowledged before the connection is dropped.
const TCP_DEAD_PEER: Duration = Duration::from_secs(30);

/// The TCP settings of every connection the store makes: no Nagle delay on small commands;
/// keepalive probes on idle connections; and, on Linux, a connection whose sent data goes
/// unacknowledged for [`TCP_DEAD_PEER`] is dropped. So a server that vanished without a
/// word (a failover, a lost host) is noticed and reconnected to, instead of every command
/// timing out on a dead connection.
fn tcp_settings() -> TcpSettings {
    let settings = TcpSettings::default()
        .set_nodelay(true)
        .set_keepalive(TcpKeepalive::new().with_time(TCP_DEAD_PEER));
    #[cfg(any(target_os = "android", target_os = "fuchsia", target_os = "linux"))]
    let settings = settings.set_user_timeout(TCP_DEAD_PEER);
    settings
}

/// What a [`RedisStore`](crate::RedisStore) talks to: a client it connects with at its
/// first operation, or a connection your application already has. Made with `From`
/// (`.into()`), from
///
/// - a [`redis::Client`] (one server; `Client::build_with_tls` for your own TLS roots):
///   the store makes a [`ConnectionManager`] with the timeouts of its [`RedisConfig`];
/// - a [`redis::aio::ConnectionManager`]: used as it is (its own timeouts and
///   reconnection settings; the store's time limit still bounds every operation);
/// - a [`redis::cluster::ClusterClient`]: the store connects to the Cluster with it;
/// - a [`redis::cluster_async::ClusterConnection`]: used as it is.
///
/// ```
/// use session_cache::{RedisConnection, RedisStore};
/// let client = redis::Client::open("redis://127.0.0.1:6379/").unwrap();
/// let connection: RedisConnection = client.into();
/// assert!(!connection.is_cluster());
/// let store = RedisStore::new(connection);
/// # drop(store);
/// ```
#[derive(Clone)]
pub struct RedisConnection(Source);

#[derive(Clone)]
enum Source {
    Client(redis::Client),
    Manager(ConnectionManager),
    ClusterClient(ClusterClient),
    Cluster(ClusterConnection),
}

impl From<redis::Client> for RedisConnection {
    fn from(client: redis::Client) -> Self {
        RedisConnection(Source::Client(client))
    }
}

impl From<ConnectionManager> for RedisConnection {
    fn from(manager: ConnectionManager) -> Self {
        RedisConnection(Source::Manager(manager))
    }
}

impl From<ClusterClient> for RedisConnection {
    fn from(client: ClusterClient) -> Self {
        RedisConnection(Source::ClusterClient(client))
    }
}

impl From<ClusterConnection> for RedisConnection {
    fn from(connection: ClusterConnection) -> Self {
        RedisConnection(Source::Cluster(connection))
    }
}

impl RedisConnection {
    /// Whether this reaches a Redis Cluster.
    ///
    /// ```
    /// let client = redis::cluster::ClusterClient::new(["redis://127.0.0.1:7000/"]).unwrap();
    /// assert!(session_cache::RedisConnection::from(client).is_cluster());
    /// ```
    pub fn is_cluster(&self) -> bool {
        matches!(self.0, Source::ClusterClient(_) | Source::Cluster(_))
    }

    /// The client a [`RedisConfig`] describes; no I/O but reading a CA file.
    pub(crate) fn from_config(config: &RedisConfig) -> Result<Self> {
        let certificates = certificates(config)?;
        let invalid = |e| Error::backend(BACKEND, ConfigError::Invalid(e));
        match &config.target {
            Target::None => Err(Error::backend(BACKEND, ConfigError::NoTarget)),
            Target::Server(url) => {
                let client = match certificates {
                    None => redis::Client::open(url.as_str()).map_err(invalid)?,
                    Some(certificates) => {
                        require_tls(std::slice::from_ref(url))?;
                        redis::Client::build_with_tls(url.as_str(), certificates)
                            .map_err(|e| Error::backend(BACKEND, ConfigError::Certificates(e)))?
                    }
                };
                Ok(client.into())
            }
            Target::Cluster(seeds) => {
                if seeds.is_empty() {
                    return Err(Error::backend(BACKEND, ConfigError::NoSeeds));
                }
                let mut builder = ClusterClient::builder(seeds.iter().map(String::as_str))
                    .retries(CLUSTER_RETRIES)
                    .min_retry_wait(CLUSTER_MIN_RETRY_WAIT_MS)
                    .max_retry_wait(CLUSTER_MAX_RETRY_WAIT_MS)
                    .tcp_settings(tcp_settings());
                if !config.connect_timeout.is_zero() {
                    builder = builder.connection_timeout(config.connect_timeout);
                }
                if !config.io_timeout.is_zero() {
                    builder = builder.response_timeout(config.io_timeout);
                }
                if let Some(certificates) = certificates {
                    require_tls(seeds)?;
                    builder = builder.certs(certificates);
                }
                Ok(builder.build().map_err(invalid)?.into())
            }
        }
    }
}

/// The TLS settings of `config`, the CA file read.
fn certificates(config: &RedisConfig) -> Result<Option<TlsCertificates>> {
    if !config.has_tls_settings() {
        return Ok(None);
    }
    let root_cert = match &config.root_certificate {
        None => None,
        Some(Pem::Bytes(pem)) => Some(pem.clone()),
        Some(Pem::File(path)) => Some(std::fs::read(path).map_err(|source| {
            Error::backend(
                BACKEND,
                ConfigError::ReadPem {
                    path: path.clone(),
                    source,
                },
            )
        })?),
    };
    let client_tls = config
        .client_identity
        .as_ref()
        .map(|identity| redis::ClientTlsConfig {
            client_cert: identity.chain.clone(),
            client_key: identity.key.clone(),
        });
    Ok(Some(TlsCertificates {
        client_tls,
        root_cert,
    }))
}

fn require_tls(urls: &[String]) -> Result<()> {
    if urls.iter().all(|url| url.starts_with("rediss://")) {
        Ok(())
    } else {
        Err(Error::backend(BACKEND, ConfigError::NotTls))
    }
}

impl std::fmt::Debug for RedisConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The clients' own `Debug` would print their passwords.
        f.write_str(match self.0 {
            Source::Client(_) => "RedisConnection::Client",
            Source::Manager(_) => "RedisConnection::ConnectionManager",
            Source::ClusterClient(_) => "RedisConnection::ClusterClient",
            Source::Cluster(_) => "RedisConnection::ClusterConnection",
        })
    }
}

/// A live connection: cheap handles on one multiplexed connection per node.
#[derive(Clone)]
enum Conn {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

impl Conn {
    async fn send(&mut self, cmd: &Cmd) -> redis::RedisResult<Value> {
        match self {
            Conn::Single(manager) => manager.send_packed_command(cmd).await,
            // Routed by the command's key: one key per command, so one slot.
            Conn::Cluster(cluster) => cluster.req_packed_command(cmd).await,
        }
    }
}

/// Why one attempt at a command failed.
enum Failure {
    /// No connection could be made.
    Connect(RedisError),
    /// The command failed on a connection.
    Command(RedisError),
    /// The store's own limit ran out.
    Elapsed(Duration),
}

/// The connections of a store, its time limits and the runtime of its sync face.
///
/// A connection's I/O is driven by the runtime it was made in. So when the store has a
/// runtime of its own (built outside a multi-thread runtime), the sync face (which runs
/// there) has its own connection, made there, and the async face another, made in the
/// runtime of its first caller: neither face waits on a runtime that nobody drives, nor
/// pays a hop to another runtime's thread. Otherwise both faces share one.
pub(crate) struct Link {
    source: Source,
    conn: tokio::sync::OnceCell<Conn>,
    /// The connection of the store's own runtime (its sync face), when it has one.
    own_conn: tokio::sync::OnceCell<Conn>,
    connect_timeout: Duration,
    io_timeout: Duration,
    reconnect_retries: usize,
    home: Home,
}

impl Link {
    /// A link over `connection`, connecting at the first command (unless handed a live
    /// connection). The runtime for the sync face is the caller's when it has one.
    pub(crate) fn new(connection: RedisConnection, config: &RedisConfig) -> Self {
        let live = match &connection.0 {
            Source::Manager(manager) => Some(Conn::Single(manager.clone())),
            Source::Cluster(cluster) => Some(Conn::Cluster(cluster.clone())),
            Source::Client(_) | Source::ClusterClient(_) => None,
        };
        Link {
            source: connection.0,
            conn: tokio::sync::OnceCell::new_with(live.clone()),
            own_conn: tokio::sync::OnceCell::new_with(live),
            connect_timeout: config.connect_timeout,
            io_timeout: config.io_timeout,
            reconnect_retries: config.reconnect_retries,
            home: Home::here(),
        }
    }

    pub(crate) fn is_cluster(&self) -> bool {
        matches!(self.source, Source::ClusterClient(_) | Source::Cluster(_))
    }

    pub(crate) fn is_connected(&self) -> bool {
        self.conn.initialized() || self.own_conn.initialized()
    }

    /// The connection for the runtime this runs in: the own runtime's inside it, else the
    /// shared one.
    fn cell(&self) -> &tokio::sync::OnceCell<Conn> {
        let Home::Own(own) = &self.home else {
            return &self.conn;
        };
        match (own.get(), Handle::try_current()) {
            (Some(own), Ok(current)) if current.id() == own.id => &self.own_conn,
            _ => &self.conn,
        }
    }

    /// Runs `cmd`; a command whose connection dropped is sent once more (so a command
    /// that is not idempotent must check what its first attempt did).
    pub(crate) async fn query<T: FromRedisValue>(&self, cmd: &Cmd) -> Result<T> {
        let value = match self.attempt(cmd).await {
            Ok(value) => value,
            Err(Failure::Command(e)) if is_dead_connection(&e) => {
                tracing::warn!(error = %e, "redis connection lost; reconnecting and retrying once");
                self.attempt(cmd).await.map_err(|f| self.error(f))?
            }
            Err(failure) => return Err(self.error(failure)),
        };
        T::from_redis_value(&value).map_err(|e| Error::backend(BACKEND, e))
    }

    /// One send of `cmd` (connecting first if need be), within the store's limit: the
    /// connect timeout (a reconnection may be under way) plus the response timeout.
    async fn attempt(&self, cmd: &Cmd) -> std::result::Result<Value, Failure> {
        let work = async {
            let conn = self
                .cell()
                .get_or_try_init(|| self.connect())
                .await
                .map_err(Failure::Connect)?;
            conn.clone().send(cmd).await.map_err(Failure::Command)
        };
        if self.connect_timeout.is_zero() || self.io_timeout.is_zero() {
            return work.await;
        }
        let limit = self.connect_timeout + self.io_timeout;
        tokio::time::timeout(limit, work)
            .await
            .unwrap_or(Err(Failure::Elapsed(limit)))
    }

    async fn connect(&self) -> redis::RedisResult<Conn> {
        match &self.source {
            Source::Client(client) => {
                let mut config = ConnectionManagerConfig::new()
                    .set_number_of_retries(self.reconnect_retries)
                    .set_tcp_settings(tcp_settings());
                if !self.connect_timeout.is_zero() {
                    config = config.set_connection_timeout(self.connect_timeout);
                }
                if !self.io_timeout.is_zero() {
                    config = config.set_response_timeout(self.io_timeout);
                }
                let manager = ConnectionManager::new_with_config(client.clone(), config).await?;
                Ok(Conn::Single(manager))
            }
            Source::ClusterClient(client) => {
                Ok(Conn::Cluster(client.get_async_connection().await?))
            }
            Source::Manager(manager) => Ok(Conn::Single(manager.clone())),
            Source::Cluster(cluster) => Ok(Conn::Cluster(cluster.clone())),
        }
    }

    fn error(&self, failure: Failure) -> Error {
        let timed_out = |what, after, source| {
            Error::backend(
                BACKEND,
                TimedOut {
                    what,
                    after,
                    source,
                },
            )
        };
        match failure {
            Failure::Connect(e) if e.is_timeout() => {
                timed_out("connect", self.connect_timeout, Some(e))
            }
            Failure::Command(e) if e.is_timeout() => timed_out("answer", self.io_timeout, Some(e)),
            Failure::Connect(e) | Failure::Command(e) => Error::backend(BACKEND, e),
            Failure::Elapsed(limit) => timed_out("connect and answer", limit, None),
        }
    }

    /// Runs `op` for the async face: in place inside a tokio runtime; from any other
    /// executor, inside the store's runtime context (its timers and connection tasks need
    /// one).
    pub(crate) async fn run<T>(&self, op: impl Future<Output = Result<T>> + Send) -> Result<T> {
        if Handle::try_current().is_ok() {
            return op.await;
        }
        let handle = self.home.handle()?.clone();
        InRuntime {
            handle,
            op: Box::pin(op),
        }
        .await
    }

    /// Runs `op` to completion for the sync face, on the runtime the store was built in
    /// (or its own); refused on a thread that runs async tasks.
    pub(crate) fn block_on<T>(&self, op: impl Future<Output = Result<T>>) -> Result<T> {
        refuse_on_executor()?;
        self.home.handle()?.block_on(op)
    }
}

/// A dropped connection, worth one retry on a fresh one. Timeouts are not retried (the
/// command may have run, and the wait would double).
fn is_dead_connection(e: &RedisError) -> bool {
    !e.is_timeout() && (e.is_connection_dropped() || e.is_unrecoverable_error())
}

/// `Err(OnExecutor)` on a thread of a tokio runtime other than its blocking pool: an async
/// task (a worker thread, or the thread inside `Runtime::block_on`). Threads of the
/// blocking pool (`spawn_blocking`) and threads outside any runtime are fine.
fn refuse_on_executor() -> Result<()> {
    if session_core::on_tokio_executor_thread!() {
        Err(Error::backend(BACKEND, OnExecutor))
    } else {
        Ok(())
    }
}

/// The runtime the sync face waits on.
enum Home {
    /// The multi-thread runtime the store was built in.
    Caller(Handle),
    /// Built outside one (or in a current-thread runtime, whose connections only move
    /// while its own thread drives them): a one-worker runtime of the store's own, started
    /// at the first sync call.
    Own(OnceLock<OwnRuntime>),
}

impl Home {
    fn here() -> Self {
        match Handle::try_current() {
            Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => {
                Home::Caller(handle)
            }
            _ => Home::Own(OnceLock::new()),
        }
    }

    fn handle(&self) -> Result<&Handle> {
        let own = match self {
            Home::Caller(handle) => return Ok(handle),
            Home::Own(own) => own,
        };
        if own.get().is_none() {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("session-redis")
                .enable_all()
                .build()
                .map_err(|e| Error::backend(BACKEND, NoRuntime(e)))?;
            // Two first calls at once: the loser's runtime is shut down on drop.
            let _ = own.set(OwnRuntime {
                handle: runtime.handle().clone(),
                id: runtime.handle().id(),
                runtime: Some(runtime),
            });
        }
        own.get().map(|own| &own.handle).ok_or_else(|| {
            Error::backend(
                BACKEND,
                NoRuntime(std::io::Error::other("the runtime vanished")),
            )
        })
    }
}

/// A runtime that shuts down without blocking whoever drops the last store (possibly an
/// async task).
struct OwnRuntime {
    handle: Handle,
    id: tokio::runtime::Id,
    runtime: Option<Runtime>,
}

impl Drop for OwnRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// A future polled inside a runtime's context, for callers on another executor.
struct InRuntime<F> {
    handle: Handle,
    op: Pin<Box<F>>,
}

impl<F: Future> Future for InRuntime<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = &mut *self;
        let _context = this.handle.enter();
        this.op.as_mut().poll(cx)
    }
}
