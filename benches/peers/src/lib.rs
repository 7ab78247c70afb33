//! tower-sessions over its two SQLite stores — `tower-sessions-sqlx-store` (sqlx 0.8) and
//! `tower-sessions-rusqlite-store` (tokio-rusqlite) — serving the handler of our layer
//! benches, for the head-to-head with `session_db::SqliteStore` through our layer.
//!
//! Both stores take a database the application opened; [`Peer::router`] opens a SQLite
//! file the way ours is opened by default (WAL, `synchronous = NORMAL`), so the two sides
//! differ in the session layer and store only, not in durability.
//!
//! ```no_run
//! use session_benches_peers::Peer;
//! # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
//! let dir = tempfile::tempdir()?;
//! let app = rt.block_on(Peer::Sqlx.router(&dir.path().join("sessions.sqlite3")));
//! let cookies = rt.block_on(session_benches_peers::seed(&app, 64));
//! assert_eq!(cookies.len(), 64);
//! # Ok::<(), std::io::Error>(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

use std::path::Path;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use http::{Request, header};
use tower::ServiceExt;
use tower_sessions::SessionManagerLayer;

// The root workspace's handler file, compiled here too: the same code on both sides.
#[macro_use]
#[path = "../../src/handler.rs"]
mod handler;

counter_handler!(
    /// `session_benches::peer_visit`, from the same source: reads `member_id` and writes
    /// it back incremented, so every request loads its session and really saves it.
    visit(tower_sessions::Session)
);

/// `GET /read` of the HTTP bench: loads the session and reads `member_id`.
pub async fn read(session: tower_sessions::Session) -> String {
    let n = session.get::<i64>("member_id").await.ok().flatten();
    n.unwrap_or(0).to_string()
}

/// One of tower-sessions' SQLite stores.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Peer {
    /// `tower_sessions_sqlx_store::SqliteStore` on a `sqlx::SqlitePool` (default pool
    /// options; each connection runs on a thread of its own, as sqlx does).
    Sqlx,
    /// `tower_sessions_rusqlite_store::RusqliteStore` on one `tokio_rusqlite::Connection`
    /// (a thread of its own, which every call is sent to).
    Rusqlite,
}

impl Peer {
    /// Both stores, in the order the benches run them.
    pub const ALL: [Peer; 2] = [Peer::Sqlx, Peer::Rusqlite];

    /// `sqlx` or `rusqlite`, as `peer-server --store` takes it.
    ///
    /// ```
    /// use session_benches_peers::Peer;
    /// assert_eq!(Peer::parse(Peer::Rusqlite.name()), Some(Peer::Rusqlite));
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Peer::Sqlx => "sqlx",
            Peer::Rusqlite => "rusqlite",
        }
    }

    /// The store named `name` ([`name`](Self::name)).
    ///
    /// ```
    /// assert_eq!(session_benches_peers::Peer::parse("mysql"), None);
    /// ```
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }

    /// The bench id and the HTTP table's row name: `peer-tower-sessions-<name>`.
    ///
    /// ```
    /// assert_eq!(session_benches_peers::Peer::Sqlx.id(), "peer-tower-sessions-sqlx");
    /// ```
    pub fn id(self) -> String {
        format!("peer-tower-sessions-{}", self.name())
    }

    /// An app over this store on the SQLite file at `path` (created, WAL, `synchronous =
    /// NORMAL`, the store's table migrated): `GET /` and `GET /write` serve [`visit`],
    /// `GET /read` serves [`read`]. Call it inside a tokio runtime (sqlx's pool spawns
    /// its tasks there).
    ///
    /// # Panics
    ///
    /// When the file cannot be opened or the table made.
    pub async fn router(self, path: &Path) -> Router {
        let routes = Router::new()
            .route("/", get(visit))
            .route("/write", get(visit))
            .route("/read", get(read));
        match self {
            Peer::Sqlx => {
                use tower_sessions_sqlx_store::SqliteStore;
                use tower_sessions_sqlx_store::sqlx::sqlite::{
                    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqliteSynchronous,
                };
                let options = SqliteConnectOptions::new()
                    .filename(path)
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal);
                let pool = SqlitePool::connect_with(options).await.expect("open");
                let store = SqliteStore::new(pool);
                store.migrate().await.expect("migrate");
                routes.layer(SessionManagerLayer::new(store).with_secure(false))
            }
            Peer::Rusqlite => {
                use tower_sessions_rusqlite_store::RusqliteStore;
                use tower_sessions_rusqlite_store::tokio_rusqlite::Connection;
                let conn = Connection::open(path).await.expect("open");
                conn.call(|conn| {
                    let mode: String =
                        conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
                    assert_eq!(mode, "wal");
                    conn.pragma_update(None, "synchronous", "NORMAL")?;
                    Ok(())
                })
                .await
                .expect("pragmas");
                let store = RusqliteStore::new(conn);
                store.migrate().await.expect("migrate");
                routes.layer(SessionManagerLayer::new(store).with_secure(false))
            }
        }
    }
}

/// `n` sessions made through `app` (one `GET /` each, no cookie), as `Cookie` header
/// values; `session_benches::peer_cookies` does the same for 64.
///
/// # Panics
///
/// When a response sets no cookie.
pub async fn seed(app: &Router, n: usize) -> Vec<String> {
    let mut cookies = Vec::with_capacity(n);
    for _ in 0..n {
        let req = Request::builder()
            .uri("/")
            .body(Body::empty())
            .expect("request");
        let res = app.clone().oneshot(req).await.expect("infallible");
        let set = res.headers()[header::SET_COOKIE].to_str().expect("ASCII");
        cookies.push(set.split(';').next().unwrap_or_default().to_owned());
    }
    cookies
}
