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
