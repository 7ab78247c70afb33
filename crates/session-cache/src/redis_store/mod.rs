//! `RedisStore`: sessions in Redis or a Redis Cluster (feature `redis`), async-native.

mod config;
mod error;
mod link;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use redis::{Cmd, Value};
use session_core::{
    AsyncSessionStore, CREATE_ATTEMPTS, Error, Record, Result, SessionStore, key, key_prefix,
};
use sha2::{Digest, Sha256};

pub use config::{DEFAULT_REDIS_PREFIX, RedisConfig};
pub use link::RedisConnection;

use crate::cached::KeyedCache;
use link::Link;

/// The longest TTL we hand Redis: 100 years. Redis refuses expiry times that overflow
/// its millisecond clock; no session lives this long anyway.
const MAX_TTL_MS: u64 = 100 * 365 * 24 * 3600 * 1000;

/// Sessions in Redis: shared by every web node, expiring by themselves.
///
/// - `create` is `SET key value NX PX ttl`: atomic, never overwrites (retries with a new
///   key on a collision).
/// - `save` is `SET key value XX PX ttl`: only an existing, unexpired session is updated;
///   a session deleted (logout on another node) or expired gives [`Error::Interrupted`]
///   and is never resurrected.
/// - Expiry is the key's TTL, from each record's `expires_at`; Redis drops expired
///   sessions itself, so there is no `clear_expired`.
/// - Redis keys are `prefix + hex(SHA-256(session key))`: a dump of the server holds no
///   usable cookie. Malformed session keys never reach the server.
///
/// **Async-native.** The store holds one multiplexed connection (a
/// [`ConnectionManager`](redis::aio::ConnectionManager), which reconnects by itself), or
/// for a Redis Cluster one per node ([`ClusterConnection`](redis::cluster_async::ClusterConnection):
/// every command carries one key, so one slot, and `MOVED`/`ASK` redirects are followed);
/// a store with a runtime of its own (see below) has a second one for its sync face. Its
/// [`AsyncSessionStore`] face waits on the network without holding a thread. It connects
/// at its first operation: building a store does no I/O. It needs a tokio runtime with I/O
/// and time enabled (`#[tokio::main]` has them).
///
/// **Time limits.** Every command has the [response timeout](RedisConfig::with_io_timeout),
/// and an operation that must first wait for a (re)connection at most the
/// [connect timeout](RedisConfig::with_connect_timeout) more; past it, it fails with
/// [`Error::Backend`] (never a hang). A command whose connection dropped (a server
/// restart, a killed client, a failover) is sent once more on a fresh connection. Every
/// command is idempotent but `create`'s `SET NX`: its refusal is checked against the bytes
/// just written (a retried `SET NX` whose first reply was lost finds its own write), so a
/// create never reports a false collision nor leaves an orphan key.
///
/// **Sync callers** (the [`SessionStore`] face, [`KeyedCache`]) run each operation to
/// completion on the multi-thread tokio runtime the store was built in, or, when built
/// outside one, on a one-thread runtime of the store's own. Call the sync face from a
/// plain thread or tokio's blocking pool: on a thread that runs async tasks it fails at
/// once with [`Error::Backend`] instead of stalling the executor. The runtime the store was
/// built in must outlive its sync use.
///
/// **Redis eviction.** Every session key has a TTL, so under a `volatile-*` or `allkeys-*`
/// `maxmemory-policy` Redis may evict live sessions (their users are logged out) when it
/// runs out of memory. With `noeviction`, writes fail with an out-of-memory
/// [`Error::Backend`] instead. Size `maxmemory` for your sessions, or put the store behind
/// [`CachedStore`](crate::CachedStore) over a database where eviction only costs a miss.
///
/// It also implements [`KeyedCache`], so `CachedStore::new(redis, db)` puts a shared
/// Redis cache in front of a database. Give a cache and a primary `RedisStore` different
/// key prefixes if both live on one server.
///
/// ```no_run
/// use std::time::{Duration, SystemTime};
/// use session_cache::RedisStore;
/// use session_core::{AsyncSessionStore, Record};
///
/// # #[tokio::main] async fn main() -> session_core::Result<()> {
/// let store = RedisStore::open("rediss://redis.internal:6380/")?;
/// let record = Record::new(b"{}".to_vec(), SystemTime::now() + Duration::from_secs(60));
/// let key = store.create(&record).await?;
/// assert_eq!(store.load(&key).await?.as_deref(), Some(&b"{}"[..]));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisStore {
    inner: Arc<Inner>,
}

struct Inner {
    config: RedisConfig,
    link: Link,
}

impl RedisStore {
    /// A store on the server at `url` (see [`RedisConfig::new`]), with the default
    /// settings. Nothing is connected yet: a bad URL fails here, an unreachable server at
    /// the first operation.
    ///
    /// ```
    /// let store = session_cache::RedisStore::open("redis://127.0.0.1:6379/")?;
    /// let tls = session_cache::RedisStore::open("rediss://redis.internal:6380/")?;
    /// assert!(session_cache::RedisStore::open("not a url").is_err());
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn open(url: &str) -> Result<Self> {
        Self::with_config(RedisConfig::new(url))
    }

    /// A store on the Redis Cluster reached through these seed nodes (see
    /// [`RedisConfig::cluster`]), with the default settings. Nothing is connected yet.
    ///
    /// ```
    /// let store = session_cache::RedisStore::open_cluster(&[
    ///     "redis://10.0.0.1:7000/",
    ///     "redis://10.0.0.2:7000/",
    /// ])?;
    /// assert!(store.config().is_cluster());
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn open_cluster<S: AsRef<str>>(seeds: &[S]) -> Result<Self> {
        Self::with_config(RedisConfig::cluster(
            seeds.iter().map(|seed| seed.as_ref().to_owned()),
        ))
    }

    /// A store with these settings: the server or Cluster of `config`, its TLS roots
    /// (a CA file is read here), timeouts and key prefix. Nothing is connected yet.
    ///
    /// ```
    /// use session_cache::{RedisConfig, RedisStore};
    /// let store = RedisStore::with_config(RedisConfig::new("redis://127.0.0.1/").with_key_prefix("shop:"))?;
    /// assert_eq!(store.config().prefix(), "shop:");
    /// // TLS settings need a rediss:// URL.
    /// let plain = RedisConfig::new("redis://127.0.0.1/").with_root_certificate(b"...".to_vec());
    /// assert!(RedisStore::with_config(plain).is_err());
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn with_config(config: RedisConfig) -> Result<Self> {
        let connection = RedisConnection::from_config(&config)?;
        Ok(Self::with_client(connection, config))
    }

    /// A store over the client or connection your application already has (see
    /// [`RedisConnection`]), with the default settings.
    ///
    /// ```
    /// let client = redis::Client::open("redis://127.0.0.1:6379/").unwrap();
    /// let store = session_cache::RedisStore::new(client);
    /// # drop(store);
    /// ```
    pub fn new(connection: impl Into<RedisConnection>) -> Self {
        Self::with_client(connection, RedisConfig::default())
    }

    /// A store over your client or connection, with the key prefix and timeouts of
    /// `config` (its server URLs and TLS settings are not used: the client has its own).
    /// Connections the store makes from a [`redis::Client`] take the config's timeouts; a
    /// connection or Cluster client handed in keeps its own, and the store's limit (connect
    /// plus response timeout) still bounds every operation.
    ///
    /// ```no_run
    /// use session_cache::{RedisConfig, RedisStore};
    /// # #[tokio::main] async fn main() -> redis::RedisResult<()> {
    /// let client = redis::Client::open("redis://127.0.0.1:6379/")?;
    /// let manager = redis::aio::ConnectionManager::new(client).await?; // shared with the app
    /// let store = RedisStore::with_client(manager, RedisConfig::default().with_key_prefix("shop:"));
    /// # Ok(()) }
    /// ```
    pub fn with_client(connection: impl Into<RedisConnection>, config: RedisConfig) -> Self {
        let link = Link::new(connection.into(), &config);
        RedisStore {
            inner: Arc::new(Inner { config, link }),
        }
    }

    /// The settings of this store.
    ///
    /// ```
    /// let store = session_cache::RedisStore::open("redis://127.0.0.1/")?;
    /// assert_eq!(store.config().prefix(), session_cache::DEFAULT_REDIS_PREFIX);
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn config(&self) -> &RedisConfig {
        &self.inner.config
    }

    /// Checks that Redis answers (`PING`; on a Cluster, every primary), e.g. for a health
    /// check at startup. Sync: from async code, use [`ping_async`](Self::ping_async).
    ///
    /// ```
    /// let store = session_cache::RedisStore::open("redis://127.0.0.1:1/")?; // nothing listens there
    /// assert!(matches!(store.ping(), Err(session_core::Error::Backend { backend: "redis", .. })));
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn ping(&self) -> Result<()> {
        self.inner.link.block_on(self.inner.ping())
    }

    /// [`ping`](Self::ping) for async code.
    ///
    /// ```no_run
    /// # #[tokio::main] async fn main() -> session_core::Result<()> {
    /// let store = session_cache::RedisStore::open("redis://127.0.0.1:6379/")?;
    /// store.ping_async().await?;
    /// # Ok(()) }
    /// ```
    pub async fn ping_async(&self) -> Result<()> {
        self.inner.link.run(self.inner.ping()).await
    }
}

/// What a `SET` did.
enum Written {
    Yes,
    No,
    /// Nothing sent: the record had already expired (Redis refuses a TTL of 0).
    AlreadyExpired(String),
}

/// The value and the milliseconds it has left, in one round trip (one key: one slot).
const GET_WITH_TTL: &str = "return {redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[1])}";

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The operations, written once for both faces.
impl Inner {
    /// The Redis key of a session key: prefix + hex SHA-256.
    fn redis_key(&self, key: &str) -> String {
        let digest = Sha256::digest(key.as_bytes());
        let mut out = String::with_capacity(self.config.key_prefix.len() + 64);
        out.push_str(&self.config.key_prefix);
        for b in digest {
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        }
        out
    }

    async fn query<T: redis::FromRedisValue>(&self, cmd: &Cmd) -> Result<T> {
        self.link.query(cmd).await
    }

    async fn ping(&self) -> Result<()> {
        self.query::<Value>(&redis::cmd("PING")).await.map(|_| ())
    }

    async fn set(&self, key: &str, record: &Record, mode: Option<&str>) -> Result<Written> {
        let rkey = self.redis_key(key);
        let Some(ttl) = ttl_ms(record.expires_at) else {
            return Ok(Written::AlreadyExpired(rkey));
        };
        let mut cmd = redis::cmd("SET");
        cmd.arg(&rkey).arg(record.data.as_slice());
        if let Some(mode) = mode {
            cmd.arg(mode);
        }
        cmd.arg("PX").arg(ttl);
        Ok(match self.query::<Value>(&cmd).await? {
            // A refused SET NX may be its own first attempt, run by the server while its
            // reply was lost, then sent again (by us after a dropped connection, by a Cluster
            // client after a redirect or reconnection). It is ours if the key holds our
            // bytes: a random key colliding with a session of identical bytes at that very
            // moment is not a case to plan for.
            Value::Nil if mode == Some("NX") && self.holds(&rkey, &record.data).await? => {
                Written::Yes
            }
            Value::Nil => Written::No,
            _ => Written::Yes,
        })
    }

    /// Whether `rkey` holds exactly `data`.
    async fn holds(&self, rkey: &str, data: &[u8]) -> Result<bool> {
        let stored: Option<Vec<u8>> = self.query(redis::cmd("GET").arg(rkey)).await?;
        Ok(stored.as_deref() == Some(data))
    }

    async fn del(&self, rkey: &str) -> Result<bool> {
        Ok(self.query::<i64>(redis::cmd("DEL").arg(rkey)).await? > 0)
    }

    async fn load_record(&self, key: &str) -> Result<Option<Record>> {
        if !key::is_well_formed(key) {
            return Ok(None);
        }
        let now = SystemTime::now();
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(GET_WITH_TTL).arg(1).arg(self.redis_key(key));
        let (data, ttl_ms): (Option<Vec<u8>>, i64) = self.query(&cmd).await?;
        Ok(data.and_then(|data| {
            // -2: gone meanwhile; -1: no expiry (never written by this store): live.
            let expires_at = match ttl_ms {
                -2 => return None,
                ms if ms < 0 => session_core::expiry::max_expiry(),
                ms => session_core::expiry::saturating_add(
                    now,
                    Duration::from_millis(ms.unsigned_abs()),
                ),
            };
            Some(Record::new(data, expires_at))
        }))
    }

    async fn load(&self, key: &str) -> Result<Option<Vec<u8>>> {
        if !key::is_well_formed(key) {
            return Ok(None);
        }
        self.query(redis::cmd("GET").arg(self.redis_key(key))).await
    }

    async fn create(&self, record: &Record) -> Result<String> {
        for _ in 0..CREATE_ATTEMPTS {
            let key = key::generate();
            match self.set(&key, record, Some("NX")).await? {
                // An expired record is never loadable: storing it would only waste memory.
                Written::Yes | Written::AlreadyExpired(_) => return Ok(key),
                Written::No => {
                    tracing::warn!(key = %key_prefix(&key), "generated session key already in use; retrying");
                    session_core::telemetry::record_create_collision("RedisStore");
                }
            }
        }
        Err(Error::KeyExists)
    }

    async fn save(&self, key: &str, record: &Record) -> Result<String> {
        if !key::is_well_formed(key) {
            return Err(Error::Interrupted);
        }
        match self.set(key, record, Some("XX")).await? {
            Written::Yes => Ok(key.to_owned()),
            Written::No => Err(Error::Interrupted),
            // Saving with an expiry in the past ends a live session; a gone one is still
            // interrupted.
            Written::AlreadyExpired(rkey) => {
                if self.del(&rkey).await? {
                    Ok(key.to_owned())
                } else {
                    Err(Error::Interrupted)
                }
            }
        }
    }

    async fn delete(&self, key: &str) -> Result<()> {
        if key::is_well_formed(key) {
            self.del(&self.redis_key(key)).await?;
        }
        Ok(())
    }

    async fn exists(&self, key: &str) -> Result<bool> {
        if !key::is_well_formed(key) {
            return Ok(false);
        }
        let rkey = self.redis_key(key);
        Ok(self.query::<i64>(redis::cmd("EXISTS").arg(&rkey)).await? > 0)
    }

    async fn touch(&self, key: &str, expires_at: SystemTime) -> Result<()> {
        if !key::is_well_formed(key) {
            return Err(Error::Interrupted);
        }
        let rkey = self.redis_key(key);
        let touched = match ttl_ms(expires_at) {
            Some(ttl) => {
                self.query::<i64>(redis::cmd("PEXPIRE").arg(&rkey).arg(ttl))
                    .await?
                    > 0
            }
            // Moving the expiry into the past ends a live session.
            None => self.del(&rkey).await?,
        };
        if touched {
            Ok(())
        } else {
            Err(Error::Interrupted)
        }
    }

    /// [`KeyedCache::put`]: an unconditional `SET` (an expired record removes the key).
    async fn put(&self, key: &str, record: &Record) -> Result<()> {
        if !key::is_well_formed(key) {
            return Err(Error::InvalidKey);
        }
        if let Written::AlreadyExpired(rkey) = self.set(key, record, None).await? {
            self.del(&rkey).await?;
        }
        Ok(())
    }
}

/// Milliseconds until `expires_at`, rounded up; `None` when it has passed.
fn ttl_ms(expires_at: SystemTime) -> Option<u64> {
    let left = expires_at.duration_since(SystemTime::now()).ok()?;
    if left.is_zero() {
        return None;
    }
    let ms = left.as_micros().div_ceil(1000);
    Some(u64::try_from(ms).unwrap_or(u64::MAX).min(MAX_TTL_MS))
}

/// The native face: each operation waits on the network without holding a thread.
impl AsyncSessionStore for RedisStore {
    async fn load_record(&self, key: &str) -> Result<Option<Record>> {
        self.inner.link.run(self.inner.load_record(key)).await
    }

    async fn load(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.inner.link.run(self.inner.load(key)).await
    }

    async fn create(&self, record: &Record) -> Result<String> {
        self.inner.link.run(self.inner.create(record)).await
    }

    async fn save(&self, key: &str, record: &Record) -> Result<String> {
        self.inner.link.run(self.inner.save(key, record)).await
    }

    async fn delete(&self, key: &str) -> Result<()> {
        self.inner.link.run(self.inner.delete(key)).await
    }

    async fn exists(&self, key: &str) -> Result<bool> {
        self.inner.link.run(self.inner.exists(key)).await
    }

    async fn touch(&self, key: &str, expires_at: SystemTime) -> Result<()> {
        self.inner.link.run(self.inner.touch(key, expires_at)).await
    }
}

/// The sync face: the adapter for sync callers (see [`RedisStore`]), each operation run to
/// completion on the store's runtime.
///
/// ```no_run
/// use std::time::{Duration, SystemTime};
/// use session_cache::RedisStore;
/// use session_core::{Record, SessionStore};
///
/// let store = RedisStore::open("redis://127.0.0.1:6379/")?; // outside any runtime
/// let key = store.create(&Record::new(b"{}".to_vec(), SystemTime::now() + Duration::from_secs(60)))?;
/// assert_eq!(store.load(&key)?.as_deref(), Some(&b"{}"[..]));
/// # Ok::<(), session_core::Error>(())
/// ```
impl SessionStore for RedisStore {
    fn load_record(&self, key: &str) -> Result<Option<Record>> {
        self.inner.link.block_on(self.inner.load_record(key))
    }

    fn load(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.inner.link.block_on(self.inner.load(key))
    }

    fn create(&self, record: &Record) -> Result<String> {
        self.inner.link.block_on(self.inner.create(record))
    }

    fn save(&self, key: &str, record: &Record) -> Result<String> {
        self.inner.link.block_on(self.inner.save(key, record))
    }

    fn delete(&self, key: &str) -> Result<()> {
        self.inner.link.block_on(self.inner.delete(key))
    }

    fn exists(&self, key: &str) -> Result<bool> {
        self.inner.link.block_on(self.inner.exists(key))
    }

    fn touch(&self, key: &str, expires_at: SystemTime) -> Result<()> {
        self.inner.link.block_on(self.inner.touch(key, expires_at))
    }
}

/// `RedisStore` as the shared cache of a [`CachedStore`](crate::CachedStore), through its
/// sync face (a `CachedStore` reached asynchronously calls it on tokio's blocking pool).
///
/// ```no_run
/// use session_cache::{CachedStore, RedisStore};
/// use session_core::MemoryStore; // a database store in a real application
///
/// let store = CachedStore::new(RedisStore::open("redis://127.0.0.1:6379/")?, MemoryStore::new());
/// # Ok::<(), session_core::Error>(())
/// ```
impl KeyedCache for RedisStore {
    fn get(&self, key: &str) -> Result<Option<Record>> {
        SessionStore::load_record(self, key)
    }

    fn put(&self, key: &str, record: &Record) -> Result<()> {
        self.inner.link.block_on(self.inner.put(key, record))
    }

    fn remove(&self, key: &str) -> Result<()> {
        SessionStore::delete(self, key)
    }

    fn contains(&self, key: &str) -> Result<bool> {
        SessionStore::exists(self, key)
    }
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("config", &self.inner.config)
            .field("cluster", &self.inner.link.is_cluster())
            .field("connected", &self.inner.link.is_connected())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_rounds_up_and_is_bounded() {
        let now = SystemTime::now();
        assert_eq!(ttl_ms(now - Duration::from_secs(1)), None);
        let ms = ttl_ms(now + Duration::from_secs(10)).unwrap();
        assert!((9_000..=10_000).contains(&ms), "{ms}");
        assert_eq!(
            ttl_ms(now + Duration::from_secs(1_000 * 365 * 24 * 3600)),
            Some(MAX_TTL_MS)
        );
    }

    #[test]
    fn redis_keys_are_hashed_and_prefixed() {
        let store = RedisStore::open("redis://127.0.0.1:1/").unwrap();
        let rkey = store.inner.redis_key("abcdefgh");
        assert_eq!(rkey.len(), "session:".len() + 64);
        assert!(rkey.starts_with("session:"));
        assert!(!rkey.contains("abcdefgh"));
        // SHA-256("abcdefgh")
        assert!(rkey.ends_with("9c56cc51b374c3ba189210d5b6d4bf57790d351c96c47c02190ecf1e430635ab"));
    }
}
