//! How a [`MokaStore`](crate::MokaStore) is bounded.

/// The bound on what a [`MokaStore`](crate::MokaStore) holds. When it is reached, the
/// least recently used sessions are evicted: **an evicted session is gone** (its user is
/// logged out) unless the cache sits in front of a persistent store with
/// [`CachedStore`](crate::CachedStore).
///
/// ```
/// use session_cache::Capacity;
/// assert_eq!(Capacity::default(), Capacity::Entries(100_000));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capacity {
    /// At most this many sessions.
    Entries(u64),
    /// At most about this many bytes: each session weighs its key plus its data plus
    /// [`ENTRY_OVERHEAD`] bytes of bookkeeping. A single session heavier than the whole
    /// bound is refused with an error rather than silently dropped.
    Bytes(u64),
}

impl Default for Capacity {
    fn default() -> Self {
        Capacity::Entries(DEFAULT_MAX_ENTRIES)
    }
}

/// The default bound: 100,000 sessions.
pub const DEFAULT_MAX_ENTRIES: u64 = 100_000;

/// Bytes each entry is charged on top of its key and data under [`Capacity::Bytes`]: a
/// rough figure for moka's per-entry bookkeeping, the `Arc` and the expiry.
pub const ENTRY_OVERHEAD: u64 = 128;

/// Settings of a [`MokaStore`](crate::MokaStore), built with chained methods.
///
/// ```
/// use session_cache::{CacheConfig, MokaStore, Capacity};
/// let config = CacheConfig::new().with_max_bytes(64 << 20);
/// assert_eq!(config.capacity(), Capacity::Bytes(64 << 20));
/// let store = MokaStore::with_config(config);
/// # drop(store);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CacheConfig {
    capacity: Capacity,
}

impl CacheConfig {
    /// The defaults: at most [`DEFAULT_MAX_ENTRIES`] sessions.
    ///
    /// ```
    /// assert_eq!(session_cache::CacheConfig::new().capacity(), session_cache::Capacity::Entries(100_000));
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Bound the cache to `n` sessions.
    ///
    /// ```
    /// let config = session_cache::CacheConfig::new().with_max_entries(10);
    /// assert_eq!(config.capacity(), session_cache::Capacity::Entries(10));
    /// ```
    pub fn with_max_entries(mut self, n: u64) -> Self {
        self.capacity = Capacity::Entries(n);
        self
    }

    /// The name of [`with_max_entries`](Self::with_max_entries) before the builders were named alike.
    #[deprecated(note = "renamed to `with_max_entries`")]
    pub fn max_entries(self, n: u64) -> Self {
        self.with_max_entries(n)
    }

    /// Bound the cache to about `bytes` bytes of sessions (see [`Capacity::Bytes`]).
    ///
    /// ```
    /// let config = session_cache::CacheConfig::new().with_max_bytes(1 << 20);
    /// assert_eq!(config.capacity(), session_cache::Capacity::Bytes(1 << 20));
    /// ```
    pub fn with_max_bytes(mut self, bytes: u64) -> Self {
        self.capacity = Capacity::Bytes(bytes);
        self
    }

    /// The name of [`with_max_bytes`](Self::with_max_bytes) before the builders were named alike.
    #[deprecated(note = "renamed to `with_max_bytes`")]
    pub fn max_bytes(self, bytes: u64) -> Self {
        self.with_max_bytes(bytes)
    }

    /// Sets the bound directly.
    ///
    /// ```
    /// use session_cache::{CacheConfig, Capacity};
    /// let config = CacheConfig::new().with_capacity_bound(Capacity::Entries(5));
    /// assert_eq!(config.capacity(), Capacity::Entries(5));
    /// ```
    pub fn with_capacity_bound(mut self, capacity: Capacity) -> Self {
        self.capacity = capacity;
        self
    }

    /// The name of [`with_capacity_bound`](Self::with_capacity_bound) before the builders were named alike.
    #[deprecated(note = "renamed to `with_capacity_bound`")]
    pub fn capacity_bound(self, capacity: Capacity) -> Self {
        self.with_capacity_bound(capacity)
    }

    /// The configured bound.
    ///
    /// ```
    /// let config = session_cache::CacheConfig::default();
    /// assert!(matches!(config.capacity(), session_cache::Capacity::Entries(_)));
    /// ```
    pub fn capacity(&self) -> Capacity {
        self.capacity
    }
}

/// Settings of a [`RedisStore`](crate::RedisStore), built with chained methods.
///
/// The URL may hold a password, so `Debug` prints it as `[redacted]`.
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
#[cfg(feature = "redis")]
#[derive(Clone)]
pub struct RedisConfig {
    pub(crate) url: String,
    pub(crate) key_prefix: String,
    pub(crate) connect_timeout: std::time::Duration,
    pub(crate) io_timeout: std::time::Duration,
    pub(crate) max_idle: usize,
}

#[cfg(feature = "redis")]
impl RedisConfig {
    /// Defaults for the server at `url` (`redis://host:port/db`, `rediss://` with TLS
    /// features of the `redis` crate, `redis+unix:///path`): key prefix [`DEFAULT_REDIS_PREFIX`],
    /// 5 s connect and I/O timeouts, up to 16 idle connections kept.
    ///
    /// ```
    /// let config = session_cache::RedisConfig::new("redis://127.0.0.1:6379/");
    /// assert_eq!(config.prefix(), session_cache::DEFAULT_REDIS_PREFIX);
    /// ```
    pub fn new(url: impl Into<String>) -> Self {
        RedisConfig {
            url: url.into(),
            key_prefix: DEFAULT_REDIS_PREFIX.to_owned(),
            connect_timeout: std::time::Duration::from_secs(5),
            io_timeout: std::time::Duration::from_secs(5),
            max_idle: 16,
        }
    }

    /// Prepended to every Redis key, to share a server between applications.
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

    /// How long to wait for a new connection before failing.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let config = session_cache::RedisConfig::new("redis://127.0.0.1/")
    ///     .with_connect_timeout(Duration::from_millis(500));
    /// # drop(config);
    /// ```
    pub fn with_connect_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The name of [`with_connect_timeout`](Self::with_connect_timeout) before the builders were named alike.
    #[deprecated(note = "renamed to `with_connect_timeout`")]
    pub fn connect_timeout(self, timeout: std::time::Duration) -> Self {
        self.with_connect_timeout(timeout)
    }

    /// How long to wait for the server to read a command or answer it before failing.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let config = session_cache::RedisConfig::new("redis://127.0.0.1/")
    ///     .with_io_timeout(Duration::from_secs(1));
    /// # drop(config);
    /// ```
    pub fn with_io_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.io_timeout = timeout;
        self
    }

    /// The name of [`with_io_timeout`](Self::with_io_timeout) before the builders were named alike.
    #[deprecated(note = "renamed to `with_io_timeout`")]
    pub fn io_timeout(self, timeout: std::time::Duration) -> Self {
        self.with_io_timeout(timeout)
    }

    /// How many idle connections to keep for reuse (more are opened under load and
    /// closed after use).
    ///
    /// ```
    /// let config = session_cache::RedisConfig::new("redis://127.0.0.1/").with_max_idle(4);
    /// # drop(config);
    /// ```
    pub fn with_max_idle(mut self, n: usize) -> Self {
        self.max_idle = n;
        self
    }

    /// The name of [`with_max_idle`](Self::with_max_idle) before the builders were named alike.
    #[deprecated(note = "renamed to `with_max_idle`")]
    pub fn max_idle(self, n: usize) -> Self {
        self.with_max_idle(n)
    }
}

#[cfg(feature = "redis")]
impl std::fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisConfig")
            .field("url", &"[redacted]")
            .field("key_prefix", &self.key_prefix)
            .field("connect_timeout", &self.connect_timeout)
            .field("io_timeout", &self.io_timeout)
            .field("max_idle", &self.max_idle)
            .finish()
    }
}

/// The default prefix of the Redis keys of [`RedisStore`](crate::RedisStore).
#[cfg(feature = "redis")]
pub const DEFAULT_REDIS_PREFIX: &str = "session:";
