//! `RedisStore`: sessions in a Redis server (feature `redis`).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use redis::{Cmd, Connection, ConnectionLike, RedisError, Value};
use session_core::{CREATE_ATTEMPTS, Error, Record, Result, SessionStore, key, key_prefix};
use sha2::{Digest, Sha256};

use crate::cached::KeyedCache;
use crate::config::RedisConfig;

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
/// - Connections come from a small pool. A failure is [`Error::Backend`] with the
///   `redis` error as its source, never a panic. After a server restart, the first
///   command on a stale connection fails, every idle connection is dropped and the
///   command is retried once on a fresh one, so the application recovers by itself.
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
/// Retried commands: a command whose connection dropped is sent once more. Every command
/// is idempotent except `create`'s `SET NX`; if the first one did land, the retry finds
/// the key taken and `create` moves on to a new key, leaving an orphan record that
/// expires with its TTL.
///
/// ```no_run
/// use std::time::{Duration, SystemTime};
/// use session_cache::RedisStore;
/// use session_core::{Record, SessionStore};
///
/// let store = RedisStore::open("redis://127.0.0.1:6379/")?;
/// let key = store.create(&Record::new(b"{}".to_vec(), SystemTime::now() + Duration::from_secs(60)))?;
/// assert_eq!(store.load(&key)?.as_deref(), Some(&b"{}"[..]));
/// # Ok::<(), session_core::Error>(())
/// ```
#[derive(Clone)]
pub struct RedisStore {
    client: redis::Client,
    config: RedisConfig,
    idle: Arc<Mutex<Vec<Connection>>>,
}

impl RedisStore {
    /// A store on the server at `url`, with the default [`RedisConfig`]. Nothing is
    /// connected yet: a bad URL fails here, an unreachable server at the first operation.
    ///
    /// ```
    /// let store = session_cache::RedisStore::open("redis://127.0.0.1:6379/")?;
    /// assert!(session_cache::RedisStore::open("not a url").is_err());
    /// let tls = session_cache::RedisStore::open("rediss://127.0.0.1/").unwrap_err();
    /// let why = std::error::Error::source(&tls).unwrap().to_string();
    /// assert!(why.contains("TLS (rediss://) is not supported yet"), "{why}");
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn open(url: &str) -> Result<Self> {
        Self::with_config(RedisConfig::new(url))
    }

    /// A store with these settings.
    ///
    /// ```
    /// use session_cache::{RedisConfig, RedisStore};
    /// let store = RedisStore::with_config(RedisConfig::new("redis://127.0.0.1/").with_key_prefix("shop:"))?;
    /// assert_eq!(store.config().prefix(), "shop:");
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn with_config(config: RedisConfig) -> Result<Self> {
        if config.url.starts_with("rediss://") {
            return Err(Error::backend("redis", UrlError::Tls));
        }
        let client = redis::Client::open(config.url.as_str())
            .map_err(|e| Error::backend("redis", UrlError::Invalid(e)))?;
        Ok(RedisStore {
            client,
            config,
            idle: Arc::new(Mutex::new(Vec::new())),
        })
    }

    /// The settings of this store.
    ///
    /// ```
    /// let store = session_cache::RedisStore::open("redis://127.0.0.1/")?;
    /// assert_eq!(store.config().prefix(), session_cache::DEFAULT_REDIS_PREFIX);
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn config(&self) -> &RedisConfig {
        &self.config
    }

    /// Checks that the server answers (`PING`), e.g. for a health check at startup.
    ///
    /// ```
    /// let store = session_cache::RedisStore::open("redis://127.0.0.1:1/")?; // nothing listens there
    /// assert!(matches!(store.ping(), Err(session_core::Error::Backend { backend: "redis", .. })));
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn ping(&self) -> Result<()> {
        self.run(&redis::cmd("PING")).map(|_: Value| ())
    }

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

    fn idle(&self) -> MutexGuard<'_, Vec<Connection>> {
        // A Vec push/pop cannot be left half done by a panic.
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn connect(&self) -> Result<Connection> {
        let conn = self
            .client
            .get_connection_with_timeout(self.config.connect_timeout)
            .map_err(backend)?;
        let timeout = Some(self.config.io_timeout).filter(|t| !t.is_zero());
        conn.set_read_timeout(timeout).map_err(backend)?;
        conn.set_write_timeout(timeout).map_err(backend)?;
        Ok(conn)
    }

    fn give_back(&self, conn: Connection) {
        let mut idle = self.idle();
        if conn.is_open() && idle.len() < self.config.max_idle {
            idle.push(conn);
        }
    }

    /// Runs one command on a pooled connection, retrying once on a fresh connection when
    /// a reused one turns out to be dead (server restarted, idle connection killed).
    fn run<T: redis::FromRedisValue>(&self, cmd: &Cmd) -> Result<T> {
        self.run_retried(cmd).map(|(value, _)| value)
    }

    /// [`run`](Self::run), also saying whether the command was sent a second time: then the
    /// first may have run too, its reply lost with the connection.
    fn run_retried<T: redis::FromRedisValue>(&self, cmd: &Cmd) -> Result<(T, bool)> {
        let pooled = self.idle().pop();
        let reused = pooled.is_some();
        let mut conn = match pooled {
            Some(conn) => conn,
            None => self.connect()?,
        };
        match cmd.query::<T>(&mut conn) {
            Ok(v) => {
                self.give_back(conn);
                Ok((v, false))
            }
            Err(e) if reused && is_dead_connection(&e) => {
                // The server went away since this connection was last used: so did every
                // other idle connection.
                self.idle().clear();
                tracing::warn!(error = %e, "redis connection lost; reconnecting and retrying once");
                let mut conn = self.connect()?;
                let v = cmd.query::<T>(&mut conn).map_err(backend)?;
                self.give_back(conn);
                Ok((v, true))
            }
            Err(e) => {
                // After an I/O error or timeout the connection's state is unknown
                // (a late reply would answer the next command): never reuse it.
                if !e.is_io_error() && !e.is_unrecoverable_error() {
                    self.give_back(conn);
                }
                Err(backend(e))
            }
        }
    }

    fn set(&self, key: &str, record: &Record, mode: Option<&str>) -> Result<Written> {
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
        Ok(match self.run_retried::<Value>(&cmd)? {
            // Sent twice, the first reply lost: a refusal may be the first attempt's own
            // write. It is ours if the key holds our bytes (a random key colliding with a
            // session of identical bytes at that very moment is not a case to plan for).
            (Value::Nil, true) if self.holds(&rkey, &record.data)? => Written::Yes,
            (Value::Nil, _) => Written::No,
            _ => Written::Yes,
        })
    }

    /// Whether `rkey` holds exactly `data`.
    fn holds(&self, rkey: &str, data: &[u8]) -> Result<bool> {
        let stored: Option<Vec<u8>> = self.run(redis::cmd("GET").arg(rkey))?;
        Ok(stored.as_deref() == Some(data))
    }

    fn del(&self, rkey: &str) -> Result<bool> {
        Ok(self.run::<i64>(redis::cmd("DEL").arg(rkey))? > 0)
    }
}

enum Written {
    Yes,
    No,
    /// Nothing sent: the record had already expired (Redis refuses a TTL of 0).
    AlreadyExpired(String),
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Why a Redis URL was refused before any connection.
#[derive(Debug)]
enum UrlError {
    Tls,
    Invalid(RedisError),
}

impl std::fmt::Display for UrlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            UrlError::Tls => {
                "TLS (rediss://) is not supported yet by the redis backend: use redis://, \
                 e.g. through a local TLS tunnel"
            }
            UrlError::Invalid(_) => {
                "not a Redis URL: use redis://[user:password@]host[:port][/db] or \
                 unix:///path/to/socket"
            }
        })
    }
}

impl std::error::Error for UrlError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            UrlError::Tls => None,
            UrlError::Invalid(e) => Some(e),
        }
    }
}

fn backend(e: RedisError) -> Error {
    Error::backend("redis", e)
}

/// A reused connection that the server closed: worth one retry on a fresh connection.
/// Timeouts are not retried (they would double the wait).
fn is_dead_connection(e: &RedisError) -> bool {
    !e.is_timeout() && (e.is_connection_dropped() || e.is_unrecoverable_error())
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

/// The value and the milliseconds it has left, in one round trip.
const GET_WITH_TTL: &str = "return {redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[1])}";

impl SessionStore for RedisStore {
    fn load_record(&self, key: &str) -> Result<Option<Record>> {
        if !key::is_well_formed(key) {
            return Ok(None);
        }
        let now = SystemTime::now();
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(GET_WITH_TTL).arg(1).arg(self.redis_key(key));
        let (data, ttl_ms): (Option<Vec<u8>>, i64) = self.run(&cmd)?;
        Ok(data.and_then(|data| {
            // -2: gone meanwhile; -1: no expiry (never written by this store): live.
            let expires_at = match ttl_ms {
                -2 => return None,
                ms if ms < 0 => session_core::expiry::max_expiry(),
                ms => session_core::expiry::saturating_add(
                    now,
                    std::time::Duration::from_millis(ms.unsigned_abs()),
                ),
            };
            Some(Record::new(data, expires_at))
        }))
    }

    fn load(&self, key: &str) -> Result<Option<Vec<u8>>> {
        if !key::is_well_formed(key) {
            return Ok(None);
        }
        self.run(redis::cmd("GET").arg(self.redis_key(key)))
    }

    fn create(&self, record: &Record) -> Result<String> {
        for _ in 0..CREATE_ATTEMPTS {
            let key = key::generate();
            match self.set(&key, record, Some("NX"))? {
                // An expired record is never loadable: storing it would only waste memory.
                Written::Yes | Written::AlreadyExpired(_) => return Ok(key),
                Written::No => {
                    tracing::warn!(key = %key_prefix(&key), "generated session key already in use; retrying");
                }
            }
        }
        Err(Error::KeyExists)
    }

    fn save(&self, key: &str, record: &Record) -> Result<String> {
        if !key::is_well_formed(key) {
            return Err(Error::Interrupted);
        }
        match self.set(key, record, Some("XX"))? {
            Written::Yes => Ok(key.to_owned()),
            Written::No => Err(Error::Interrupted),
            // Saving with an expiry in the past ends a live session; a gone one is still
            // interrupted.
            Written::AlreadyExpired(rkey) => {
                if self.del(&rkey)? {
                    Ok(key.to_owned())
                } else {
                    Err(Error::Interrupted)
                }
            }
        }
    }

    fn delete(&self, key: &str) -> Result<()> {
        if key::is_well_formed(key) {
            self.del(&self.redis_key(key))?;
        }
        Ok(())
    }

    fn exists(&self, key: &str) -> Result<bool> {
        if !key::is_well_formed(key) {
            return Ok(false);
        }
        Ok(self.run::<i64>(redis::cmd("EXISTS").arg(self.redis_key(key)))? > 0)
    }

    fn touch(&self, key: &str, expires_at: SystemTime) -> Result<()> {
        if !key::is_well_formed(key) {
            return Err(Error::Interrupted);
        }
        let rkey = self.redis_key(key);
        let touched = match ttl_ms(expires_at) {
            Some(ttl) => self.run::<i64>(redis::cmd("PEXPIRE").arg(&rkey).arg(ttl))? > 0,
            // Moving the expiry into the past ends a live session.
            None => self.del(&rkey)?,
        };
        if touched {
            Ok(())
        } else {
            Err(Error::Interrupted)
        }
    }
}

/// `RedisStore` as the shared cache of a [`CachedStore`](crate::CachedStore).
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
        self.load_record(key)
    }

    fn put(&self, key: &str, record: &Record) -> Result<()> {
        if !key::is_well_formed(key) {
            return Err(Error::InvalidKey);
        }
        if let Written::AlreadyExpired(rkey) = self.set(key, record, None)? {
            self.del(&rkey)?;
        }
        Ok(())
    }

    fn remove(&self, key: &str) -> Result<()> {
        self.delete(key)
    }

    fn contains(&self, key: &str) -> Result<bool> {
        self.exists(key)
    }
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("config", &self.config)
            .field("idle_connections", &self.idle().len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

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
        let rkey = store.redis_key("abcdefgh");
        assert_eq!(rkey.len(), "session:".len() + 64);
        assert!(rkey.starts_with("session:"));
        assert!(!rkey.contains("abcdefgh"));
        // SHA-256("abcdefgh")
        assert!(rkey.ends_with("9c56cc51b374c3ba189210d5b6d4bf57790d351c96c47c02190ecf1e430635ab"));
    }
}
