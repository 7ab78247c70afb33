//! [`RedisConfig`]: where a [`RedisStore`](crate::RedisStore) finds Redis and how long it waits.

use std::path::PathBuf;
use std::time::Duration;

/// The default prefix of the Redis keys of [`RedisStore`](crate::RedisStore).
///
/// ```
/// let config = session_cache::RedisConfig::new("redis://127.0.0.1/");
/// assert_eq!(config.prefix(), session_cache::DEFAULT_REDIS_PREFIX);
/// ```
pub const DEFAULT_REDIS_PREFIX: &str = "session:";

/// Settings of a [`RedisStore`](crate::RedisStore), built with chained methods: the server
/// (or the seed nodes of a Redis Cluster), the key prefix, the timeouts and the TLS roots.
///
/// URLs may hold a password, and a client key is a secret, so `Debug` prints neither.
///
/// ```
/// use std::time::Duration;
/// use session_cache::RedisConfig;
/// let config = RedisConfig::new("redis://:hunter2@127.0.0.1:6379/0")
///     .with_key_prefix("myapp:session:")
///     .with_io_timeout(Duration::from_secs(1));
/// assert_eq!(config.prefix(), "myapp:session:");
/// assert!(!format!("{config:?}").contains("hunter2"));
/// ```
#[derive(Clone)]
pub struct RedisConfig {
    pub(crate) target: Target,
    pub(crate) key_prefix: String,
    pub(crate) connect_timeout: Duration,
    pub(crate) io_timeout: Duration,
    pub(crate) reconnect_retries: usize,
    pub(crate) root_certificate: Option<Pem>,
    pub(crate) client_identity: Option<ClientIdentity>,
}

/// Where the store connects to.
#[derive(Clone)]
pub(crate) enum Target {
    /// No URL: the store is given its client or connection ([`RedisStore::with_client`](crate::RedisStore::with_client)).
    None,
    /// One server (`redis://`, `rediss://`, `redis+unix://`).
    Server(String),
    /// Seed nodes of a Redis Cluster.
    Cluster(Vec<String>),
}

/// PEM text, given as bytes or as a file read when the store is built.
#[derive(Clone)]
pub(crate) enum Pem {
    Bytes(Vec<u8>),
    File(PathBuf),
}

/// A client certificate chain and its private key, both PEM.
#[derive(Clone)]
pub(crate) struct ClientIdentity {
    pub(crate) chain: Vec<u8>,
    pub(crate) key: Vec<u8>,
}

impl Default for RedisConfig {
    /// The defaults with no server: for [`RedisStore::with_client`](crate::RedisStore::with_client),
    /// which is given its client or connection.
    ///
    /// ```
    /// let config = session_cache::RedisConfig::default().with_key_prefix("shop:");
    /// assert_eq!(config.prefix(), "shop:");
    /// ```
    fn default() -> Self {
        RedisConfig {
            target: Target::None,
            key_prefix: DEFAULT_REDIS_PREFIX.to_owned(),
            connect_timeout: Duration::from_secs(5),
            io_timeout: Duration::from_secs(5),
            reconnect_retries: 1,
            root_certificate: None,
            client_identity: None,
        }
    }
}

impl RedisConfig {
    /// Defaults for the server at `url`: `redis://[user:password@]host[:port][/db]`,
    /// `rediss://…` for TLS (add `#insecure` to skip certificate checks, for tests only),
    /// or `redis+unix:///path`. Key prefix [`DEFAULT_REDIS_PREFIX`], 5 s connect and
    /// response timeouts, one reconnection retry.
    ///
    /// ```
    /// let config = session_cache::RedisConfig::new("rediss://redis.internal:6380/");
    /// assert_eq!(config.prefix(), session_cache::DEFAULT_REDIS_PREFIX);
    /// ```
    pub fn new(url: impl Into<String>) -> Self {
        RedisConfig {
            target: Target::Server(url.into()),
            ..RedisConfig::default()
        }
    }

    /// Defaults for a Redis Cluster reached through these seed nodes (one URL each, all
    /// `redis://` or all `rediss://`, with the same credentials): the store learns the
    /// rest of the cluster from them and follows its slot map (`MOVED`/`ASK`).
    ///
    /// ```
    /// let config = session_cache::RedisConfig::cluster(["redis://10.0.0.1:7000/", "redis://10.0.0.2:7000/"]);
    /// assert!(config.is_cluster());
    /// ```
    pub fn cluster<S: Into<String>>(seeds: impl IntoIterator<Item = S>) -> Self {
        RedisConfig {
            target: Target::Cluster(seeds.into_iter().map(Into::into).collect()),
            ..RedisConfig::default()
        }
    }

    /// Whether this configuration names a Redis Cluster ([`RedisConfig::cluster`]).
    ///
    /// ```
    /// assert!(!session_cache::RedisConfig::new("redis://127.0.0.1/").is_cluster());
    /// ```
    pub fn is_cluster(&self) -> bool {
        matches!(self.target, Target::Cluster(_))
    }

    /// Prepended to every Redis key, to share a server between applications. Keep braces
    /// out of it on a Cluster: a `{hash tag}` would put every session in one slot.
    ///
    /// ```
    /// let config = session_cache::RedisConfig::new("redis://127.0.0.1/").with_key_prefix("shop:");
    /// assert_eq!(config.prefix(), "shop:");
    /// ```
    pub fn with_key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.key_prefix = prefix.into();
        self
    }

    /// The name of [`with_key_prefix`](Self::with_key_prefix) before the builders were named alike.
    #[deprecated(note = "renamed to `with_key_prefix`")]
    pub fn key_prefix(self, prefix: impl Into<String>) -> Self {
        self.with_key_prefix(prefix)
    }

    /// The key prefix.
    ///
    /// ```
    /// assert_eq!(session_cache::RedisConfig::new("redis://127.0.0.1/").prefix(), "session:");
    /// ```
    pub fn prefix(&self) -> &str {
        &self.key_prefix
    }

    /// How long one attempt to connect (TCP, TLS handshake, `AUTH`) may take. A command
    /// that has to wait for a reconnection waits at most this long plus the
    /// [response timeout](Self::with_io_timeout). `Duration::ZERO` removes the limit.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let config = session_cache::RedisConfig::new("redis://127.0.0.1/")
    ///     .with_connect_timeout(Duration::from_millis(500));
    /// # drop(config);
    /// ```
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The name of [`with_connect_timeout`](Self::with_connect_timeout) before the builders were named alike.
    #[deprecated(note = "renamed to `with_connect_timeout`")]
    pub fn connect_timeout(self, timeout: Duration) -> Self {
        self.with_connect_timeout(timeout)
    }

    /// The response timeout: how long to wait for Redis to answer a command before the
    /// operation fails with [`Error::Backend`](session_core::Error::Backend). A timed-out
    /// command is not retried (it may have run). `Duration::ZERO` removes the limit (a
    /// stalled server then stalls the request).
    ///
    /// ```
    /// # use std::time::Duration;
    /// let config = session_cache::RedisConfig::new("redis://127.0.0.1/")
    ///     .with_io_timeout(Duration::from_secs(1));
    /// # drop(config);
    /// ```
    pub fn with_io_timeout(mut self, timeout: Duration) -> Self {
        self.io_timeout = timeout;
        self
    }

    /// The name of [`with_io_timeout`](Self::with_io_timeout) before the builders were named alike.
    #[deprecated(note = "renamed to `with_io_timeout`")]
    pub fn io_timeout(self, timeout: Duration) -> Self {
        self.with_io_timeout(timeout)
    }

    /// How many more times a lost connection to a single server is re-established before
    /// the commands waiting on it fail (default 1: at once, then once more after one to
    /// two seconds, so a server restart or a failover of that length costs no request).
    /// The next command after a failure starts over. `0` fails at the first refusal. A
    /// Cluster follows its own slot map instead, within the response timeout.
    ///
    /// ```
    /// let config = session_cache::RedisConfig::new("redis://127.0.0.1/").with_reconnect_retries(0);
    /// # drop(config);
    /// ```
    pub fn with_reconnect_retries(mut self, retries: usize) -> Self {
        self.reconnect_retries = retries;
        self
    }

    /// Trusts the CA certificate(s) in this PEM file instead of the system's roots, for a
    /// `rediss://` server signed by a private CA. The file is read when the store is built.
    ///
    /// ```
    /// let config = session_cache::RedisConfig::new("rediss://redis.internal:6380/")
    ///     .with_ca_file("/etc/redis/tls/ca.crt");
    /// # drop(config);
    /// ```
    pub fn with_ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.root_certificate = Some(Pem::File(path.into()));
        self
    }

    /// Trusts these PEM CA certificate(s) instead of the system's roots (see
    /// [`with_ca_file`](Self::with_ca_file)).
    ///
    /// ```
    /// let pem = b"-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n";
    /// let config = session_cache::RedisConfig::new("rediss://redis.internal:6380/")
    ///     .with_root_certificate(pem.to_vec());
    /// # drop(config);
    /// ```
    pub fn with_root_certificate(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.root_certificate = Some(Pem::Bytes(pem.into()));
        self
    }

    /// Presents this client certificate (PEM chain and PEM private key) in the TLS
    /// handshake, for servers that check clients (Redis' default `tls-auth-clients yes`).
    ///
    /// ```
    /// # let (chain, key) = (Vec::new(), Vec::new());
    /// let config = session_cache::RedisConfig::new("rediss://redis.internal:6380/")
    ///     .with_client_certificate(chain, key);
    /// assert!(!format!("{config:?}").contains("PRIVATE KEY"));
    /// ```
    pub fn with_client_certificate(
        mut self,
        chain_pem: impl Into<Vec<u8>>,
        key_pem: impl Into<Vec<u8>>,
    ) -> Self {
        self.client_identity = Some(ClientIdentity {
            chain: chain_pem.into(),
            key: key_pem.into(),
        });
        self
    }

    /// Does nothing: the store keeps one multiplexed connection per Redis node, so there
    /// are no idle connections to bound.
    #[deprecated(
        note = "the store keeps one multiplexed connection per Redis node; this setting does nothing and will be removed"
    )]
    pub fn with_max_idle(self, _n: usize) -> Self {
        self
    }

    /// Does nothing (see [`with_max_idle`](Self::with_max_idle)).
    #[deprecated(
        note = "the store keeps one multiplexed connection per Redis node; this setting does nothing and will be removed"
    )]
    pub fn max_idle(self, _n: usize) -> Self {
        self
    }

    /// Whether TLS settings were given (a CA or a client certificate).
    pub(crate) fn has_tls_settings(&self) -> bool {
        self.root_certificate.is_some() || self.client_identity.is_some()
    }
}

impl std::fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let target = match &self.target {
            Target::None => "none (a client was given)".to_owned(),
            Target::Server(_) => "server [redacted]".to_owned(),
            Target::Cluster(seeds) => format!("cluster of {} seed(s) [redacted]", seeds.len()),
        };
        f.debug_struct("RedisConfig")
            .field("target", &target)
            .field("key_prefix", &self.key_prefix)
            .field("connect_timeout", &self.connect_timeout)
            .field("io_timeout", &self.io_timeout)
            .field("reconnect_retries", &self.reconnect_retries)
            .field(
                "root_certificate",
                &self.root_certificate.as_ref().map(|pem| match pem {
                    Pem::Bytes(_) => "PEM bytes".to_owned(),
                    Pem::File(path) => path.display().to_string(),
                }),
            )
            .field(
                "client_certificate",
                &self.client_identity.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}
