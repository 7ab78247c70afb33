//! HTTP load over loopback: a small keep-alive load generator against servers that run the
//! same routes with no session layer, with ours (SQLite file by default, moka) and with
//! tower-sessions (its `MemoryStore` and `MokaStore`), each server on one worker thread.
//! tower-sessions' SQLite stores cannot link into this workspace (another
//! `libsqlite3-sys`): their server, `peer-server` of the `benches/peers` workspace, runs as
//! a child process when it has been built (`cargo build --release --manifest-path
//! benches/peers/Cargo.toml`, or a path in `SESSION_BENCH_PEER_SERVER`).
//!
//! `GET /read` loads the session and reads `member_id`; `GET /write` also saves it back
//! incremented. `CONNECTIONS` connections, each with its own session, send requests back to
//! back for the run's length; the table gives requests per second, latency percentiles and
//! the ratio to the no-session server. Target: SQLite by default serves reads at ≥ 0.8× of
//! the moka figure.
//!
//! `cargo bench -p session-benches --bench http`; it prints a Markdown table and writes it to
//! `target/criterion/http.md`, which `report` includes.

use std::io::BufRead as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use session_benches::{RunMode, peer_visit, publish_table, seed_cookies, visit};
use session_cache::MokaStore;
use session_core::SessionManager;
use session_db::SqliteConfig;
use session_tower::{Session, SessionLayer};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const CONNECTIONS: usize = 8;

async fn read(session: Session) -> String {
    let n = session.get::<i64>("member_id").await.ok().flatten();
    n.unwrap_or(0).to_string()
}

async fn peer_read(session: tower_sessions::Session) -> String {
    let n = session.get::<i64>("member_id").await.ok().flatten();
    n.unwrap_or(0).to_string()
}

async fn plain() -> &'static str {
    "0"
}

/// Serves `app` on a loopback port from a one-worker runtime on its own thread.
fn serve(app: Router) -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("server runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            axum::serve(listener, app).await.expect("serve");
        });
    });
    addr
}

/// The variable naming a `peer-server` binary, where it is not in its workspace's
/// `target/release`.
const PEER_SERVER_VAR: &str = "SESSION_BENCH_PEER_SERVER";

/// tower-sessions' SQLite stores, as `peer-server --store` names them, with their rows.
const PEER_SQLITE: [(&str, &str); 2] = [
    ("sqlx", "peer-tower-sessions-sqlx"),
    ("rusqlite", "peer-tower-sessions-rusqlite"),
];

/// The `peer-server` binary, when it has been built.
fn peer_server() -> Option<PathBuf> {
    let path = std::env::var_os(PEER_SERVER_VAR).map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("peers/target/release/peer-server"),
        PathBuf::from,
    );
    path.is_file().then_some(path)
}

/// A server in a child process, killed when dropped.
struct PeerServer(Child);

impl PeerServer {
    /// Starts `bin --store store` on a free loopback port with its SQLite file at `db`,
    /// and waits for the address it prints.
    fn start(bin: &Path, store: &str, db: &Path) -> (Self, SocketAddr) {
        let mut child = Command::new(bin)
            .args(["--store", store, "--addr", "127.0.0.1:0", "--db"])
            .arg(db)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{}: {e}", bin.display()));
        let stdout = child.stdout.take().expect("piped");
        let server = PeerServer(child);
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the server's first line");
        let addr = line
            .trim()
            .strip_prefix("listening on ")
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("{store} peer-server printed {line:?}"));
        (server, addr)
    }
}

impl Drop for PeerServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One keep-alive HTTP/1.1 connection.
struct Client {
    stream: BufReader<TcpStream>,
    line: String,
}

/// A response's status and first `Set-Cookie` pair.
struct Reply {
    status: u16,
    set_cookie: Option<String>,
}

impl Client {
    async fn connect(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        Client {
            stream: BufReader::new(stream),
            line: String::new(),
        }
    }

    async fn get(&mut self, path: &str, cookie: Option<&str>) -> Reply {
        let cookie = cookie.map_or(String::new(), |c| format!("Cookie: {c}\r\n"));
        let head = format!("GET {path} HTTP/1.1\r\nHost: bench\r\n{cookie}\r\n");
        self.stream
            .get_mut()
            .write_all(head.as_bytes())
            .await
            .expect("send");
        let mut reply = Reply {
            status: 0,
            set_cookie: None,
        };
        let mut length = 0usize;
        loop {
            self.line.clear();
            self.stream.read_line(&mut self.line).await.expect("read");
            let line = self.line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(status) = line.strip_prefix("HTTP/1.1 ") {
                reply.status = status[..3].parse().expect("status");
            } else if let Some((name, value)) = line.split_once(':') {
                let value = value.trim();
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.parse().expect("length");
                } else if name.eq_ignore_ascii_case("set-cookie") && reply.set_cookie.is_none() {
                    reply.set_cookie = value.split(';').next().map(str::to_owned);
                }
            }
        }
        let mut body = vec![0; length];
        self.stream.read_exact(&mut body).await.expect("body");
        reply
    }
}

struct Row {
    server: &'static str,
    route: &'static str,
    per_second: f64,
    p50: Duration,
    p99: Duration,
    errors: usize,
}

/// `CONNECTIONS` clients on `addr`, each with its cookie, for `length`.
async fn load(
    addr: SocketAddr,
    path: &'static str,
    cookies: &[String],
    length: Duration,
) -> (f64, Vec<Duration>, usize) {
    let started = Instant::now();
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|i| {
            let cookie = cookies.get(i).cloned();
            tokio::spawn(async move {
                let mut client = Client::connect(addr).await;
                let (mut took, mut errors) = (Vec::new(), 0);
                while started.elapsed() < length {
                    let sent = Instant::now();
                    let reply = client.get(path, cookie.as_deref()).await;
                    took.push(sent.elapsed());
                    errors += usize::from(reply.status != 200);
                }
                (took, errors)
            })
        })
        .collect();
    let (mut all, mut errors) = (Vec::new(), 0);
    for task in tasks {
        let (took, e) = task.await.expect("client");
        all.extend(took);
        errors += e;
    }
    let per_second = all.len() as f64 / started.elapsed().as_secs_f64();
    all.sort_unstable();
    (per_second, all, errors)
}

fn main() {
    let length = match RunMode::from_env() {
        RunMode::Smoke => Duration::from_millis(300),
        RunMode::Standard => Duration::from_secs(3),
        RunMode::Full => Duration::from_secs(10),
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite = SessionManager::new(
        SqliteConfig::native()
            .open(dir.path().join("sessions.sqlite3"))
            .expect("open"),
    );
    let moka = SessionManager::new(MokaStore::new());
    let memory = SessionManager::new(session_core::MemoryStore::new());
    let ours = |manager: &SessionManager| {
        Router::new()
            .route("/read", get(read))
            .route("/write", get(visit))
            .layer(SessionLayer::new(manager.clone()))
    };
    let peer = |app: Router| {
        app.route("/read", get(peer_read))
            .route("/write", get(peer_visit))
    };
    let mut servers: Vec<(&'static str, SocketAddr, Vec<String>)> = vec![
        (
            "no-session",
            serve(
                Router::new()
                    .route("/read", get(plain))
                    .route("/write", get(plain)),
            ),
            Vec::new(),
        ),
        ("db-file", serve(ours(&sqlite)), seed_cookies(&sqlite)),
        ("cache", serve(ours(&moka)), seed_cookies(&moka)),
        ("memory", serve(ours(&memory)), seed_cookies(&memory)),
        (
            "peer-tower-sessions-memory",
            serve(peer(Router::new()).layer(
                tower_sessions::SessionManagerLayer::new(tower_sessions::MemoryStore::default())
                    .with_secure(false),
            )),
            Vec::new(),
        ),
        (
            "peer-tower-sessions-moka",
            serve(peer(Router::new()).layer(
                tower_sessions::SessionManagerLayer::new(
                    tower_sessions_moka_store::MokaStore::new(Some(100_000)),
                )
                .with_secure(false),
            )),
            Vec::new(),
        ),
    ];
    // tower-sessions' SQLite stores, in child processes (each its own file in `dir`)
    let mut children = Vec::new();
    match peer_server() {
        Some(bin) => {
            for (store, server) in PEER_SQLITE {
                let db = dir.path().join(format!("peer-{store}.sqlite3"));
                let (child, addr) = PeerServer::start(&bin, store, &db);
                children.push(child);
                servers.push((server, addr, Vec::new()));
            }
        }
        None => println!(
            "tower-sessions' SQLite stores skipped: `cargo build --release --manifest-path \
             benches/peers/Cargo.toml` builds their server (or set {PEER_SERVER_VAR})"
        ),
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("client runtime");
    let mut rows = Vec::new();
    runtime.block_on(async {
        for (server, addr, mut cookies) in servers {
            if server.starts_with("peer") {
                // sessions made by the peer itself, one request each
                for _ in 0..CONNECTIONS {
                    let reply = Client::connect(addr).await.get("/write", None).await;
                    cookies.push(reply.set_cookie.expect("the peer sets its cookie"));
                }
            }
            for route in ["/read", "/write"] {
                let (per_second, took, errors) = load(addr, route, &cookies, length).await;
                let at = |q: f64| took[((took.len() - 1) as f64 * q) as usize];
                rows.push(Row {
                    server,
                    route,
                    per_second,
                    p50: at(0.5),
                    p99: at(0.99),
                    errors,
                });
            }
        }
    });
    let base = |route: &str| {
        rows.iter()
            .find(|r| r.server == "no-session" && r.route == route)
            .map_or(1.0, |r| r.per_second)
    };
    let ms = |d: Duration| format!("{:.3} ms", d.as_secs_f64() * 1e3);
    let mut out = format!(
        "\n## HTTP load ({CONNECTIONS} keep-alive connections over loopback, each server on one worker)\n\n\
         | server | route | req/s | vs no session | p50 | p99 | errors |\n|---|---|---|---|---|---|---|\n"
    );
    for row in &rows {
        out.push_str(&format!(
            "| {} | {} | {:.0} | {:.2}× | {} | {} | {} |\n",
            row.server,
            row.route,
            row.per_second,
            row.per_second / base(row.route),
            ms(row.p50),
            ms(row.p99),
            row.errors
        ));
    }
    let rate = |server: &str, route: &str| {
        rows.iter()
            .find(|r| r.server == server && r.route == route)
            .map(|r| r.per_second)
    };
    for (ours, peer) in [
        ("memory", "peer-tower-sessions-memory"),
        ("cache", "peer-tower-sessions-moka"),
    ] {
        for route in ["/read", "/write"] {
            if let (Some(a), Some(b)) = (rate(ours, route), rate(peer, route)) {
                let verdict = if a / b >= 1.3 { "met" } else { "missed" };
                out.push_str(&format!(
                    "\n`{ours}` {route} at {:.2}× `{peer}` (target ≥ 1.3×: {verdict}).\n",
                    a / b
                ));
            }
        }
    }
    for (_, peer) in PEER_SQLITE {
        for route in ["/read", "/write"] {
            if let (Some(a), Some(b)) = (rate("db-file", route), rate(peer, route)) {
                out.push_str(&format!("\n`db-file` {route} at {:.2}× `{peer}`.\n", a / b));
            }
        }
    }
    if let (Some(db), Some(moka)) = (rate("db-file", "/read"), rate("cache", "/read")) {
        let ratio = db / moka;
        let verdict = if ratio >= 0.8 { "met" } else { "missed" };
        out.push_str(&format!(
            "\nSQLite reads at {ratio:.2}× the moka figure (target ≥ 0.8×: {verdict}).\n"
        ));
    }
    publish_table("http.md", &out);
    drop(children);
    assert!(rows.iter().all(|r| r.errors == 0), "a request failed");
}
