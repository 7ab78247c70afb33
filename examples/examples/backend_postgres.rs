//! The PostgreSQL page of the book: `PostgresStore` (session-db, feature `postgres`).
//!
//! `DATABASE_URL='host=127.0.0.1 user=postgres dbname=test' cargo run -p session-examples --example backend_postgres`
//! Without `DATABASE_URL` it says so and exits.

use std::error::Error;
use std::time::Duration;

use session_core::{AsyncSessionStore, ClearExpired, Record, SessionManager};
use session_db::{PostgresConfig, PostgresStore, deadpool_postgres, tokio_postgres};

// ANCHOR: connect
fn connect(url: &str) -> Result<SessionManager, Box<dyn Error>> {
    // `postgres://user:password@host/db?sslmode=verify-full` or `host=... user=...
    // dbname=...`; one connection checks the server now and creates the table `sessions`
    // if absent, then the pool connects as requests need it.
    let store = PostgresStore::connect(url)?;
    Ok(SessionManager::new(store))
}
// ANCHOR_END: connect

// ANCHOR: options
fn connect_with_options(url: &str) -> Result<PostgresStore, Box<dyn Error>> {
    let store = PostgresConfig::native()
        .with_schema("public")? // a plain identifier, else an error
        .with_table("web_sessions")?
        .with_pool_size(16) // connections in the pool
        .with_connect_timeout(Duration::from_secs(2)) // connecting, and a pool checkout
        .with_statement_timeout(Duration::from_secs(2)) // each statement
        .with_batch_size(5_000) // the most rows of one clear_expired transaction
        .connect(url)?;
    Ok(store)
}
// ANCHOR_END: options

// ANCHOR: tls
/// TLS as the URL asks: here `sslmode=verify-full` (the certificate chains to the CA in
/// `ca_file`, and names the host).
fn connect_tls(host: &str, ca_file: &str) -> Result<PostgresStore, Box<dyn Error>> {
    let url = format!("postgres://app@{host}/app?sslmode=verify-full");
    let store = PostgresConfig::native()
        .with_ca_file(ca_file)
        .connect(&url)?;
    Ok(store)
}
// ANCHOR_END: tls

// ANCHOR: own_pool
/// The pool your application already has: the store draws from it (its size, TLS and
/// timeouts rule) and checks its table at the first operation.
fn with_your_pool(url: &str) -> Result<PostgresStore, Box<dyn Error>> {
    let config: tokio_postgres::Config = url.parse()?;
    let manager = deadpool_postgres::Manager::new(config, tokio_postgres::NoTls);
    let pool = deadpool_postgres::Pool::builder(manager)
        .max_size(16)
        .build()?;
    Ok(PostgresStore::new(pool))
}

async fn handler_side(store: &PostgresStore) -> session_core::Result<()> {
    // What the layer does for a request: each operation awaits the network, no thread
    // waits for it.
    let expires = std::time::SystemTime::now() + Duration::from_secs(60);
    let key = store.create(&Record::new(b"{}".to_vec(), expires)).await?;
    assert!(store.exists(&key).await?);
    store.delete(&key).await
}
// ANCHOR_END: own_pool

/// The whole tour against the server at `url`.
pub fn run(url: &str) -> Result<(), Box<dyn Error>> {
    let manager = connect(url)?;
    let mut session = manager.session(None);
    session.insert("cart", [1, 2])?;
    session.save()?;
    let key = session.key().unwrap().to_owned();
    assert_eq!(
        manager.session(Some(&key)).get::<Vec<u8>>("cart")?,
        Some(vec![1, 2])
    );
    manager.session(Some(&key)).flush()?;

    let store = connect_with_options(url)?;
    store.clear_expired()?;

    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let store = with_your_pool(url)?;
        handler_side(&store).await?;
        Ok::<_, Box<dyn Error>>(())
    })?;
    // Without a server at the other end, TLS setup still reads the CA file first.
    assert!(connect_tls("db.invalid", "/nonexistent/ca.pem").is_err());
    Ok(())
}

// ANCHOR: main
pub fn main() -> Result<(), Box<dyn Error>> {
    let Ok(url) = std::env::var("DATABASE_URL") else {
        println!(
            "skipped: set DATABASE_URL (e.g. 'host=127.0.0.1 user=postgres dbname=test') to run"
        );
        return Ok(());
    };
    run(&url)?;
    println!("ok");
    Ok(())
}
// ANCHOR_END: main
