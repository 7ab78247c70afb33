//! `RedisStore` against a real server, switched on by `SESSION_TEST_REDIS_URL`
//! (e.g. `redis://127.0.0.1:6379/`). Each test works under its own random key prefix and
//! deletes its keys when done.

use std::time::{Duration, SystemTime};

use session_cache::{CachedStore, KeyedCache, RedisConfig, RedisStore};
use session_core::{Error, MemoryStore, Record, Result, SessionStore, key};

use crate::doubles::{capture_logs, live};

const VAR: &str = "SESSION_TEST_REDIS_URL";

pub fn url() -> Option<String> {
    let url = std::env::var(VAR).ok().filter(|u| !u.is_empty());
    if url.is_none() {
        println!("skipped: set {VAR} to run");
    }
    url
}

/// A `RedisStore` under a fresh random prefix that deletes its keys when dropped.
pub struct TestRedis {
    pub store: RedisStore,
    admin: redis::Client,
    pub prefix: String,
}

impl TestRedis {
    pub fn new(url: &str) -> Self {
        Self::with(url, |c| c)
    }

    pub fn with(url: &str, f: impl FnOnce(RedisConfig) -> RedisConfig) -> Self {
        let prefix = format!("session-engines-test:{}:", key::generate());
        let store =
            RedisStore::with_config(f(RedisConfig::new(url).with_key_prefix(&prefix))).unwrap();
        TestRedis {
            store,
            admin: redis::Client::open(url).unwrap(),
            prefix,
        }
    }

    fn admin(&self) -> redis::Connection {
        self.admin.get_connection().unwrap()
    }

    fn keys(&self) -> Vec<String> {
        let mut conn = self.admin();
        let (mut cursor, mut keys) = (0u64, Vec::new());
        loop {
            let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(format!("{}*", self.prefix))
                .arg("COUNT")
                .arg(1000)
                .query(&mut conn)
                .unwrap();
            keys.extend(batch);
            if next == 0 {
                return keys;
            }
            cursor = next;
        }
    }
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        let keys = self.keys();
        if !keys.is_empty() {
            let mut conn = self.admin();
            for chunk in keys.chunks(500) {
                let _: i64 = redis::cmd("DEL").arg(chunk).query(&mut conn).unwrap();
            }
        }
    }
}

session_core::forward_store!(TestRedis => store, async);

impl KeyedCache for TestRedis {
    fn get(&self, key: &str) -> Result<Option<Record>> {
        self.store.get(key)
    }
    fn put(&self, key: &str, record: &Record) -> Result<()> {
        self.store.put(key, record)
    }
    fn remove(&self, key: &str) -> Result<()> {
        self.store.remove(key)
    }
    fn contains(&self, key: &str) -> Result<bool> {
        self.store.contains(key)
    }
}

session_core::conformance_tests!(
    #[cfg_attr(not(session_test_redis), ignore = "needs SESSION_TEST_REDIS_URL")]
    conformance,
    optional url().map(|url| TestRedis::new(&url))
);
session_core::async_conformance_tests!(
    #[cfg_attr(not(session_test_redis), ignore = "needs SESSION_TEST_REDIS_URL")]
    async_conformance,
    optional url().map(|url| TestRedis::new(&url))
);
session_core::conformance_tests!(
    #[cfg_attr(not(session_test_redis), ignore = "needs SESSION_TEST_REDIS_URL")]
    cached_over_memory,
    optional url().map(|url| CachedStore::new(TestRedis::new(&url), MemoryStore::new()))
);

#[cfg_attr(not(session_test_redis), ignore = "needs SESSION_TEST_REDIS_URL")]
#[test]
fn keys_are_hashed_and_expire_with_the_session() {
    let Some(url) = url() else { return };
    let t = TestRedis::new(&url);
    let key = t.store.create(&live(b"{}")).unwrap();
    let keys = t.keys();
    assert_eq!(keys.len(), 1);
    assert!(
        !keys[0].contains(&key),
        "the session key is stored in clear"
    );
    assert_eq!(keys[0].len(), t.prefix.len() + 64);
    let pttl: i64 = redis::cmd("PTTL")
        .arg(&keys[0])
        .query(&mut t.admin())
        .unwrap();
    assert!(pttl > 0 && pttl <= 3_600_000, "{pttl}");
}

#[cfg_attr(not(session_test_redis), ignore = "needs SESSION_TEST_REDIS_URL")]
#[test]
fn two_nodes_share_sessions_and_logout_interrupts() {
    let Some(url) = url() else { return };
    let a = TestRedis::new(&url);
    // A second store with its own connections and the same prefix: another web node.
    let b = RedisStore::with_config(RedisConfig::new(&url).with_key_prefix(&a.prefix)).unwrap();
    let key = a.create(&live(b"{\"member_id\":1}")).unwrap();
    assert_eq!(
        b.load(&key).unwrap().as_deref(),
        Some(&b"{\"member_id\":1}"[..])
    );
    b.save(&key, &live(b"{\"member_id\":1,\"cart\":2}"))
        .unwrap();
    assert_eq!(
        a.load(&key).unwrap().as_deref(),
        Some(&b"{\"member_id\":1,\"cart\":2}"[..])
    );
    b.delete(&key).unwrap(); // logout on node B
    assert!(matches!(
        a.save(&key, &live(b"{}")),
        Err(Error::Interrupted)
    ));
    assert_eq!(a.load(&key).unwrap(), None, "the session was resurrected");
}

#[cfg_attr(not(session_test_redis), ignore = "needs SESSION_TEST_REDIS_URL")]
#[test]
fn cached_store_with_redis_in_front_of_two_nodes() {
    let Some(url) = url() else { return };
    let db = std::sync::Arc::new(MemoryStore::new()); // the shared database
    let a = CachedStore::new(TestRedis::new(&url), std::sync::Arc::clone(&db));
    let prefix = a.cache().prefix.clone();
    let b = CachedStore::new(
        RedisStore::with_config(RedisConfig::new(&url).with_key_prefix(prefix)).unwrap(),
        std::sync::Arc::clone(&db),
    );
    let key = a.create(&live(b"1")).unwrap();
    assert!(b.cache().contains(&key).unwrap(), "not written through");
    b.save(&key, &live(b"2")).unwrap();
    assert_eq!(a.load(&key).unwrap().as_deref(), Some(&b"2"[..]));
    b.delete(&key).unwrap();
    assert!(matches!(a.save(&key, &live(b"3")), Err(Error::Interrupted)));
    assert_eq!(a.load(&key).unwrap(), None);
}

#[cfg_attr(not(session_test_redis), ignore = "needs SESSION_TEST_REDIS_URL")]
#[test]
fn save_with_past_expiry_ends_the_session() {
    let Some(url) = url() else { return };
    let t = TestRedis::new(&url);
    let key = t.create(&live(b"{}")).unwrap();
    let past = Record::new(vec![], SystemTime::now() - Duration::from_secs(1));
    assert_eq!(t.save(&key, &past).unwrap(), key);
    assert!(!t.exists(&key).unwrap());
    assert!(matches!(t.save(&key, &past), Err(Error::Interrupted)));
}

#[cfg_attr(not(session_test_redis), ignore = "needs SESSION_TEST_REDIS_URL")]
#[test]
fn reconnects_after_the_server_drops_every_connection() {
    let Some(url) = url() else { return };
    // The store logs in as its own ACL user, so that killing "its" connections cannot
    // disturb any other test running against the same server.
    let user = format!("session-engines-test-{}", key::generate());
    let password = key::generate();
    let mut admin = redis::Client::open(url.as_str())
        .unwrap()
        .get_connection()
        .unwrap();
    let _: () = redis::cmd("ACL")
        .arg("SETUSER")
        .arg(&user)
        .arg("on")
        .arg(format!(">{password}"))
        .arg("~*")
        .arg("+@all")
        .query(&mut admin)
        .unwrap();
    let user_url = url::parse_user_url(&url, &user, &password);
    let t = TestRedis::new(&user_url);

    // Several threads on the one multiplexed connection.
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..20 {
                    t.create(&live(b"{}")).unwrap();
                }
            });
        }
    });
    let key = t.create(&live(b"before")).unwrap();

    for round in 0..3 {
        let killed: i64 = redis::cmd("CLIENT")
            .arg("KILL")
            .arg("USER")
            .arg(&user)
            .query(&mut admin)
            .unwrap();
        assert!(
            killed >= 1,
            "round {round}: no connection of the store was open"
        );
        let (first, logs) = capture_logs(|| t.load(&key));
        match first {
            Ok(data) => assert_eq!(data.as_deref(), Some(&b"before"[..])),
            Err(e) => assert!(
                matches!(
                    e,
                    Error::Backend {
                        backend: "redis",
                        ..
                    }
                ),
                "round {round}: unclear error {e:?}"
            ),
        }
        assert!(logs.contains("reconnecting"), "{logs}");
        assert_eq!(
            t.load(&key).unwrap().as_deref(),
            Some(&b"before"[..]),
            "round {round}: not recovered"
        );
        t.save(&key, &live(b"before")).unwrap();
    }
    drop(t); // deletes its keys while the user still exists
    let _: i64 = redis::cmd("ACL")
        .arg("DELUSER")
        .arg(&user)
        .query(&mut admin)
        .unwrap();
}

/// Puts a user name and password into a `redis://` URL.
mod url {
    pub fn parse_user_url(url: &str, user: &str, password: &str) -> String {
        let rest = url
            .strip_prefix("redis://")
            .expect("SESSION_TEST_REDIS_URL must start with redis://");
        let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
        format!("redis://{user}:{password}@{host}")
    }
}

#[test]
fn unreachable_server_is_a_clear_error() {
    // Nothing listens on port 1 of the loopback interface: refused at once, no server needed.
    let store = RedisStore::with_config(
        RedisConfig::new("redis://127.0.0.1:1/")
            .with_connect_timeout(Duration::from_secs(1))
            .with_reconnect_retries(0),
    )
    .unwrap();
    let key = key::generate();
    let errors = [
        store.load(&key).unwrap_err(),
        store.create(&live(b"{}")).unwrap_err(),
        store.save(&key, &live(b"{}")).unwrap_err(),
        store.delete(&key).unwrap_err(),
        store.exists(&key).unwrap_err(),
        store.ping().unwrap_err(),
    ];
    for e in errors {
        assert!(
            matches!(
                e,
                Error::Backend {
                    backend: "redis",
                    ..
                }
            ),
            "{e:?}"
        );
        let source = std::error::Error::source(&e).expect("the redis error is kept");
        assert!(source.downcast_ref::<redis::RedisError>().is_some());
    }
    // Malformed keys never reach the server, so they cannot fail on it either.
    assert_eq!(store.load("../x").unwrap(), None);
}

#[test]
fn unreachable_redis_cache_never_fails_the_request() {
    let cache = RedisStore::with_config(
        RedisConfig::new("redis://127.0.0.1:1/")
            .with_connect_timeout(Duration::from_secs(1))
            .with_reconnect_retries(0),
    )
    .unwrap();
    let store = CachedStore::new(cache, MemoryStore::new());
    let (key, logs) = capture_logs(|| {
        let key = store.create(&live(b"1")).unwrap();
        store.save(&key, &live(b"2")).unwrap();
        assert_eq!(store.load(&key).unwrap().as_deref(), Some(&b"2"[..]));
        key
    });
    assert!(store.exists(&key).unwrap());
    assert!(logs.contains("session cache failed"), "{logs}");
}

#[test]
fn debug_hides_the_password() {
    let store = RedisStore::open("redis://:hunter2@127.0.0.1:1/").unwrap();
    assert!(!format!("{store:?}").contains("hunter2"));
}

/// A TCP proxy in front of the Redis server that, once armed, lets the next `SET … NX`
/// through to the server and then closes the client's connection instead of passing the
/// reply on: the write happened, the client cannot know it.
struct LostReplyProxy {
    addr: std::net::SocketAddr,
    armed: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl LostReplyProxy {
    fn start(upstream: String) -> Self {
        use std::io::{Read, Write};
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, Ordering};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let armed = Arc::new(AtomicBool::new(false));
        let armed_for_proxy = armed.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(mut client) = client else { return };
                let Ok(mut server) = std::net::TcpStream::connect(&upstream) else {
                    return;
                };
                let swallow = Arc::new(AtomicBool::new(false));
                let (armed, swallow_up) = (armed_for_proxy.clone(), swallow.clone());
                let (mut client_in, mut server_out) =
                    (client.try_clone().unwrap(), server.try_clone().unwrap());
                // client → server: spot the armed SET NX, and swallow its reply
                std::thread::spawn(move || {
                    let mut buf = [0u8; 16 * 1024];
                    while let Ok(n @ 1..) = client_in.read(&mut buf) {
                        let chunk = &buf[..n];
                        if chunk.windows(4).any(|w| w == b"\r\nNX")
                            && armed.swap(false, Ordering::SeqCst)
                        {
                            swallow_up.store(true, Ordering::SeqCst);
                        }
                        if server_out.write_all(chunk).is_err() {
                            return;
                        }
                    }
                });
                // server → client: pass replies on, unless one is to be lost
                std::thread::spawn(move || {
                    let mut buf = [0u8; 16 * 1024];
                    while let Ok(n @ 1..) = server.read(&mut buf) {
                        if swallow.load(Ordering::SeqCst) {
                            let _ = client.shutdown(std::net::Shutdown::Both);
                            let _ = server.shutdown(std::net::Shutdown::Both);
                            return;
                        }
                        if client.write_all(&buf[..n]).is_err() {
                            return;
                        }
                    }
                });
            }
        });
        LostReplyProxy { addr, armed }
    }

    fn arm(&self) {
        self.armed.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// A create whose reply is lost after the server ran it is retried; the retry's refusal is
/// the first attempt's own write, so the session is created once, under one key, with no
/// false "already in use" and no orphan key left behind.
#[cfg_attr(not(session_test_redis), ignore = "needs SESSION_TEST_REDIS_URL")]
#[test]
fn create_retried_after_a_lost_reply_is_not_a_collision() {
    let Some(url) = url() else { return };
    let Some(upstream) = url
        .strip_prefix("redis://")
        .and_then(|rest| rest.split('/').next())
        .filter(|authority| !authority.contains('@'))
        .map(str::to_owned)
    else {
        println!("skipped: the proxy needs a redis://host:port/ URL without credentials");
        return;
    };
    let proxy = LostReplyProxy::start(upstream);
    let t = TestRedis::new(&format!("redis://{}/", proxy.addr));
    // connected first, so that the lost reply is retried on a fresh connection
    t.store.ping().unwrap();
    proxy.arm();
    let (key, logs) = capture_logs(|| t.create(&live(b"ours")).unwrap());
    assert!(
        logs.contains("reconnecting"),
        "the reply was not lost: {logs}"
    );
    assert!(!logs.contains("already in use"), "{logs}");
    assert_eq!(t.load(&key).unwrap().as_deref(), Some(&b"ours"[..]));
    assert_eq!(t.keys().len(), 1, "an orphan key was left");
}

fn is_redis_backend(e: &Error) -> bool {
    matches!(
        e,
        Error::Backend {
            backend: "redis",
            ..
        }
    )
}

/// The sync face on a thread that runs async tasks fails at once (no I/O, no panic, no
/// stalled executor); the async face is the one to use there.
#[test]
fn sync_face_refuses_on_an_executor() {
    let store = RedisStore::open("redis://127.0.0.1:1/").unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let e = runtime.block_on(async { store.load(&key::generate()).unwrap_err() });
    assert!(is_redis_backend(&e), "{e:?}");
    let why = std::error::Error::source(&e).unwrap().to_string();
    assert!(why.contains("async face"), "{why}");
    let multi = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let in_task = multi
        .block_on(multi.spawn({
            let store = store.clone();
            async move { store.ping() }
        }))
        .unwrap();
    assert!(
        matches!(in_task, Err(ref e) if is_redis_backend(e)),
        "{in_task:?}"
    );
}

/// The async face against nothing: a clear error, within the limits, from any runtime.
#[tokio::test]
async fn unreachable_server_async_face() {
    let store = RedisStore::with_config(
        RedisConfig::new("redis://127.0.0.1:1/").with_connect_timeout(Duration::from_secs(1)),
    )
    .unwrap();
    let e = session_core::AsyncSessionStore::load(&store, &key::generate())
        .await
        .unwrap_err();
    assert!(is_redis_backend(&e), "{e:?}");
    let e = store.ping_async().await.unwrap_err();
    assert!(is_redis_backend(&e), "{e:?}");
}

#[test]
fn bad_configurations_are_refused_clearly() {
    let cases = [
        (RedisConfig::default(), "names no server"),
        (
            RedisConfig::cluster(Vec::<String>::new()),
            "at least one seed",
        ),
        (
            RedisConfig::new("redis://127.0.0.1/").with_root_certificate(b"pem".to_vec()),
            "use rediss://",
        ),
        (
            RedisConfig::new("rediss://127.0.0.1/").with_ca_file("/no/such/ca.crt"),
            "/no/such/ca.crt",
        ),
        (
            RedisConfig::cluster(["rediss://127.0.0.1:7000/", "redis://127.0.0.1:7001/"])
                .with_root_certificate(b"pem".to_vec()),
            "use rediss://",
        ),
        (RedisConfig::new("http://127.0.0.1/"), "not a Redis URL"),
    ];
    for (config, expected) in cases {
        let e = RedisStore::with_config(config).unwrap_err();
        assert!(is_redis_backend(&e), "{e:?}");
        let why = std::error::Error::source(&e).unwrap().to_string();
        assert!(why.contains(expected), "{why} does not say {expected:?}");
    }
    // TLS URLs, and Cluster seeds, need no server to build a store.
    RedisStore::open("rediss://127.0.0.1:6380/").unwrap();
    RedisStore::open("rediss://127.0.0.1:6380/#insecure").unwrap();
    RedisStore::open_cluster(&["redis://127.0.0.1:7000/", "redis://127.0.0.1:7001/"]).unwrap();
}

/// Many sessions at once through the async face of one store on a multi-thread runtime:
/// one multiplexed connection carries them all.
#[cfg_attr(not(session_test_redis), ignore = "needs SESSION_TEST_REDIS_URL")]
#[test]
fn async_face_concurrent_sessions() {
    let Some(url) = url() else { return };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let t = runtime.block_on(async { TestRedis::new(&url) });
    let store = t.store.clone();
    runtime.block_on(async move {
        let tasks: Vec<_> = (0..64)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move {
                    let data = format!("{{\"n\":{i}}}").into_bytes();
                    let key = session_core::AsyncSessionStore::create(&store, &live(&data)).await?;
                    assert_eq!(
                        session_core::AsyncSessionStore::load(&store, &key).await?,
                        Some(data)
                    );
                    session_core::AsyncSessionStore::save(&store, &key, &live(b"{}")).await?;
                    session_core::AsyncSessionStore::delete(&store, &key).await?;
                    assert!(!session_core::AsyncSessionStore::exists(&store, &key).await?);
                    Ok::<_, Error>(())
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
    });
    drop(t);
}

/// The sync face from tokio's blocking pool (where session-tower sends sync stores), and a
/// `CachedStore` with a Redis cache reached through its async face.
#[cfg_attr(not(session_test_redis), ignore = "needs SESSION_TEST_REDIS_URL")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_face_on_the_blocking_pool() {
    let Some(url) = url() else { return };
    let t = std::sync::Arc::new(TestRedis::new(&url));
    let key = tokio::task::spawn_blocking({
        let t = t.clone();
        move || t.store.create(&live(b"blocking"))
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(
        session_core::AsyncSessionStore::load(&t.store, &key)
            .await
            .unwrap(),
        Some(b"blocking".to_vec())
    );

    let cached = CachedStore::new(t.store.clone(), MemoryStore::new());
    let key = session_core::AsyncSessionStore::create(&cached, &live(b"cached"))
        .await
        .unwrap();
    assert!(t.contains_async(&key).await, "not written through");
    assert_eq!(
        session_core::AsyncSessionStore::load(&cached, &key)
            .await
            .unwrap(),
        Some(b"cached".to_vec())
    );
    session_core::AsyncSessionStore::delete(&cached, &key)
        .await
        .unwrap();
    assert!(!t.contains_async(&key).await);
    let t = std::sync::Arc::into_inner(t).unwrap();
    tokio::task::spawn_blocking(move || drop(t)).await.unwrap();
}

/// Bringing your own client or connection.
#[cfg_attr(not(session_test_redis), ignore = "needs SESSION_TEST_REDIS_URL")]
#[tokio::test]
async fn bring_your_own_client_or_connection() {
    let Some(url) = url() else { return };
    let t = TestRedis::new(&url);
    let config = || RedisConfig::default().with_key_prefix(&t.prefix);
    let client = redis::Client::open(url.as_str()).unwrap();
    let manager = redis::aio::ConnectionManager::new(client.clone())
        .await
        .unwrap();
    let stores = [
        RedisStore::with_client(client, config()),
        RedisStore::with_client(manager, config()),
    ];
    for store in &stores {
        let key = session_core::AsyncSessionStore::create(store, &live(b"mine"))
            .await
            .unwrap();
        assert_eq!(
            session_core::AsyncSessionStore::load(&t.store, &key)
                .await
                .unwrap(),
            Some(b"mine".to_vec())
        );
    }
    assert!(format!("{:?}", stores[1]).contains("connected: true"));
    let plain = RedisStore::new(redis::Client::open(url.as_str()).unwrap());
    assert_eq!(plain.config().prefix(), session_cache::DEFAULT_REDIS_PREFIX);
    plain.ping_async().await.unwrap();
}

/// A store built outside any runtime serves async callers and sync callers alike.
#[cfg_attr(not(session_test_redis), ignore = "needs SESSION_TEST_REDIS_URL")]
#[test]
fn store_built_outside_a_runtime_serves_both_faces() {
    let Some(url) = url() else { return };
    let t = TestRedis::new(&url);
    let key = t.store.create(&live(b"sync")).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let loaded = runtime.block_on(session_core::AsyncSessionStore::load(&t.store, &key));
    assert_eq!(loaded.unwrap(), Some(b"sync".to_vec()));
    // its sync face from that runtime's blocking pool (a CachedStore with a Redis cache)
    let cached = CachedStore::new(t.store.clone(), MemoryStore::new());
    let cached_key = runtime
        .block_on(session_core::AsyncSessionStore::create(
            &cached,
            &live(b"cached"),
        ))
        .unwrap();
    assert!(t.store.exists(&cached_key).unwrap(), "not written through");
    drop(runtime);
    // and from an executor that is not tokio at all
    let loaded =
        session_core::conformance::block_on(session_core::AsyncSessionStore::load(&t.store, &key));
    assert_eq!(loaded.unwrap(), Some(b"sync".to_vec()));
    assert_eq!(t.store.load(&key).unwrap(), Some(b"sync".to_vec()));
}

impl TestRedis {
    async fn contains_async(&self, key: &str) -> bool {
        session_core::AsyncSessionStore::exists(&self.store, key)
            .await
            .unwrap()
    }
}
