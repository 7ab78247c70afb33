//! The Redis page of the book: `RedisStore` (session-cache, feature `redis`).
//!
//! `REDIS_URL=redis://127.0.0.1:6379/ cargo run -p session-examples --example backend_redis`
//! Without `REDIS_URL` it says so and exits.

use std::path::Path;
use std::time::Duration;

use session_cache::{RedisConfig, RedisStore, redis};
use session_core::{Error, Result, SessionManager};

// ANCHOR: open
fn open(url: &str) -> Result<SessionManager> {
    // Nothing is connected yet: a bad URL fails here, an unreachable server at first use.
    let store = RedisStore::open(url)?;
    Ok(SessionManager::new(store))
}
// ANCHOR_END: open

// ANCHOR: options
fn open_with_options(url: &str) -> Result<RedisStore> {
    let config = RedisConfig::new(url)
        .with_key_prefix("shop:session:") // share one server between applications
        .with_connect_timeout(Duration::from_millis(500))
        .with_io_timeout(Duration::from_secs(1)) // every command's response timeout
        .with_reconnect_retries(1);
    let store = RedisStore::with_config(config)?;
    store.ping()?; // fail fast at startup if the server is down
    Ok(store)
}
// ANCHOR_END: options

// ANCHOR: tls
/// A server behind TLS (`rediss://`), signed by your own CA: its certificate is checked
/// against `ca_file` instead of the system's roots.
fn open_tls(host: &str, ca_file: &Path) -> Result<RedisStore> {
    let config = RedisConfig::new(format!("rediss://{host}:6380/")).with_ca_file(ca_file);
    RedisStore::with_config(config) // reads the CA file; connects at first use
}
// ANCHOR_END: tls

// ANCHOR: cluster
/// A Redis Cluster, found through some of its nodes.
fn open_cluster(seeds: &[&str]) -> Result<SessionManager> {
    let store = RedisStore::with_config(
        RedisConfig::cluster(seeds.iter().copied()).with_io_timeout(Duration::from_secs(1)),
    )?;
    Ok(SessionManager::new(store))
}
// ANCHOR_END: cluster

// ANCHOR: own_client
/// The connection your application already has: one multiplexed connection, shared.
async fn with_own_connection(url: &str) -> redis::RedisResult<RedisStore> {
    let client = redis::Client::open(url)?;
    let manager = redis::aio::ConnectionManager::new(client).await?;
    // ... the application keeps using `manager` (it is a cheap handle) ...
    let config = RedisConfig::default().with_key_prefix("shop:session:");
    Ok(RedisStore::with_client(manager, config))
}
// ANCHOR_END: own_client

/// The whole tour against the server at `url`.
pub fn run(url: &str) -> Result<()> {
    let manager = open(url)?;
    let mut session = manager.session(None);
    session.insert("cart", [1, 2])?;
    session.save()?;
    let key = session.key().unwrap().to_owned();
    assert_eq!(
        manager.session(Some(&key)).get::<Vec<u8>>("cart")?,
        Some(vec![1, 2])
    );
    manager.session(Some(&key)).flush()?;
    open_with_options(url)?;
    // Built, not connected: both need servers this tour does not have.
    let missing = open_tls("redis.internal", Path::new("/no/such/ca.crt"));
    assert!(matches!(missing, Err(Error::Backend { .. })));
    open_cluster(&["redis://10.0.0.1:7000/", "redis://10.0.0.2:7000/"])?;
    let runtime = tokio::runtime::Runtime::new().map_err(|e| Error::backend("example", e))?;
    runtime.block_on(async {
        let store = with_own_connection(url)
            .await
            .map_err(|e| Error::backend("redis", e))?;
        store.ping_async().await
    })?;
    Ok(())
}

pub fn main() -> Result<()> {
    let Ok(url) = std::env::var("REDIS_URL") else {
        println!("skipped: set REDIS_URL (e.g. redis://127.0.0.1:6379/) to run");
        return Ok(());
    };
    run(&url)?;
    println!("ok");
    Ok(())
}
