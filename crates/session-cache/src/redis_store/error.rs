//! The sources of the [`Error::Backend`](session_core::Error::Backend)s a `RedisStore`
//! returns besides the `redis` crate's own errors.

use std::path::PathBuf;
use std::time::Duration;

use redis::RedisError;

/// The `backend` of every error of the Redis store.
pub(crate) const BACKEND: &str = "redis";

/// A configuration refused before any connection.
#[derive(Debug)]
pub(crate) enum ConfigError {
    /// `with_config` of a config made by `RedisConfig::default()`.
    NoTarget,
    /// `RedisConfig::cluster` with no seed.
    NoSeeds,
    /// A URL the `redis` crate cannot parse (or seeds it refuses together).
    Invalid(RedisError),
    /// A CA or client certificate for a URL that is not `rediss://`.
    NotTls,
    /// The CA file could not be read.
    ReadPem {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The certificates were refused (not PEM, no certificate in them).
    Certificates(RedisError),
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigError::NoTarget => f.write_str(
                "the Redis config names no server: use RedisConfig::new(url) or \
                 RedisConfig::cluster(seeds), or give the store a client with RedisStore::with_client",
            ),
            ConfigError::NoSeeds => f.write_str("a Redis Cluster needs at least one seed URL"),
            ConfigError::Invalid(_) => f.write_str(
                "not a Redis URL: use redis://[user:password@]host[:port][/db], rediss://… for \
                 TLS, or redis+unix:///path/to/socket",
            ),
            ConfigError::NotTls => f.write_str(
                "TLS certificates were given for a Redis URL without TLS: use rediss://",
            ),
            ConfigError::ReadPem { path, .. } => {
                write!(f, "cannot read the Redis CA file {}", path.display())
            }
            ConfigError::Certificates(_) => {
                f.write_str("the TLS certificates for Redis are not usable PEM")
            }
        }
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConfigError::Invalid(e) | ConfigError::Certificates(e) => Some(e),
            ConfigError::ReadPem { source, .. } => Some(source),
            ConfigError::NoTarget | ConfigError::NoSeeds | ConfigError::NotTls => None,
        }
    }
}

/// Redis did not connect or answer in time. The command may or may not have run.
#[derive(Debug)]
pub(crate) struct TimedOut {
    pub(crate) what: &'static str,
    pub(crate) after: Duration,
    pub(crate) source: Option<RedisError>,
}

impl std::fmt::Display for TimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Redis did not {} within {:?} (the store's timeout)",
            self.what, self.after
        )
    }
}

impl std::error::Error for TimedOut {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// A sync method was called on a thread that runs async tasks.
#[derive(Debug)]
pub(crate) struct OnExecutor;

impl std::fmt::Display for OnExecutor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(
            "the Redis store's sync methods wait for the network, so they cannot run on an \
             async executor thread: use its async face (AsyncSessionStore), \
             tokio::task::spawn_blocking or a thread of your own (with session-tower, do not \
             set SessionLayer::inline(true))",
        )
    }
}

impl std::error::Error for OnExecutor {}

/// The private runtime of the sync face could not be started.
#[derive(Debug)]
pub(crate) struct NoRuntime(pub(crate) std::io::Error);

impl std::fmt::Display for NoRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("cannot start the runtime that drives the Redis store outside async code")
    }
}

impl std::error::Error for NoRuntime {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}
