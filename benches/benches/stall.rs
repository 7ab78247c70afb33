//! Executor stalls: how long one poll of a request blocks a tokio worker thread, through
//! the session layer over the SQLite file store, while another connection takes SQLite's
//! write lock at intervals (as another process, Django or a sweep, would).
//!
//! The file store runs the same load without the lock holder: its reads run in place, its
//! (fsynced) writes on the blocking pool.
//!
//! Two workers serve `CLIENTS` concurrent clients, each reading and saving its session in
//! a loop; every poll of every request is timed. The store's default (in place when
//! nothing waits, the blocking pool otherwise) must keep the p99.9 poll at 1 ms or less
//! and never block a worker as long as the busy timeout; `inline(true)` (the sync face on
//! the executor) shows what waiting for the lock on a worker costs.
//!
//! `cargo bench -p session-benches --bench stall`; it prints a Markdown table and writes it
//! to `target/criterion/stall.md`, which `report` includes.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use http::{Request, header};
use session_benches::{RunMode, publish_table, seed_cookies, visit};
use session_core::SessionManager;
use session_db::{SqliteConfig, Synchronous};
use session_file::{FileConfig, FileStore};
use session_tower::SessionLayer;
use tower::ServiceExt;

const WORKERS: usize = 2;
const CLIENTS: usize = 32;
const BUSY_TIMEOUT: Duration = Duration::from_secs(1);
/// The other connection holds the write lock this long, every `LOCK_EVERY`.
const LOCK_HELD: Duration = Duration::from_millis(20);
const LOCK_EVERY: Duration = Duration::from_millis(100);

thread_local! {
    /// This thread's scheduler statistics (Linux), kept open and re-read in place.
    static SCHEDSTAT: Option<std::fs::File> = std::fs::File::open("/proc/thread-self/schedstat").ok();
}

/// Nanoseconds this thread has spent runnable but waiting for a CPU (Linux's `run_delay`);
/// 0 where the kernel does not say.
fn run_delay() -> u64 {
    use std::os::unix::fs::FileExt as _;
    SCHEDSTAT.with(|file| {
        let mut buf = [0u8; 96];
        let Some(Ok(n)) = file.as_ref().map(|f| f.read_at(&mut buf, 0)) else {
            return 0;
        };
        std::str::from_utf8(&buf[..n])
            .ok()
            .and_then(|s| s.split_whitespace().nth(1)?.parse().ok())
            .unwrap_or(0)
    })
}

/// Per poll: wall time, and the stall, i.e. wall time minus the time the OS kept the
/// thread off a CPU it was ready for (two workers on a shared machine get preempted; that
/// is not the session layer blocking them).
#[derive(Default)]
struct Polls {
    wall: Vec<u64>,
    stall: Vec<u64>,
}

/// A future whose every poll is timed into `polls` (nanoseconds).
struct Timed<'a, F> {
    inner: Pin<Box<F>>,
    polls: &'a mut Polls,
}

impl<F: Future> Future for Timed<'_, F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let waited_before = run_delay();
        let started = Instant::now();
        let out = self.inner.as_mut().poll(cx);
        let wall = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        let preempted = run_delay().saturating_sub(waited_before);
        self.polls.wall.push(wall);
        self.polls.stall.push(wall.saturating_sub(preempted));
        out
    }
}

/// Takes the write lock for [`LOCK_HELD`] every [`LOCK_EVERY`] (and commits a page, so
/// checkpoints have work) until `stop`.
fn lock_holder(path: std::path::PathBuf, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<u64> {
    std::thread::spawn(move || {
        let conn = rusqlite::Connection::open(path).expect("open");
        conn.busy_timeout(Duration::from_secs(10))
            .expect("busy timeout");
        conn.execute_batch("CREATE TABLE IF NOT EXISTS noise (x BLOB)")
            .expect("noise table");
        let mut held = 0;
        while !stop.load(Ordering::Relaxed) {
            conn.execute_batch("BEGIN IMMEDIATE; INSERT INTO noise VALUES (randomblob(4096))")
                .expect("take the lock");
            std::thread::sleep(LOCK_HELD);
            conn.execute_batch("COMMIT").expect("commit");
            held += 1;
            std::thread::sleep(LOCK_EVERY - LOCK_HELD);
        }
        held
    })
}

struct Row {
    name: &'static str,
    requests: usize,
    errors: usize,
    per_second: f64,
    polls: Polls,
    locks: u64,
}

/// The `q` quantile of sorted nanoseconds.
fn quantile(sorted: &[u64], q: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    Duration::from_nanos(sorted[i])
}

/// The store a row runs on.
#[derive(Clone, Copy)]
enum Store {
    /// The SQLite file store, its write lock taken by another connection at intervals.
    Sqlite,
    /// The same with `synchronous = OFF`: no commit or checkpoint syncs anything.
    SqliteNoSync,
    /// The file store (fsync on, its default).
    Files,
    /// The same with every read on the blocking pool too.
    FilesPooled,
    /// An in-memory store: no I/O at all, so its figures are the machine's own noise
    /// (threads preempted by the OS count as blocked).
    Memory,
}

fn run(name: &'static str, store: Store, inline: Option<bool>, length: Duration) -> Row {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("sessions.sqlite3");
    let manager = match store {
        Store::Sqlite | Store::SqliteNoSync => {
            let synchronous = if matches!(store, Store::Sqlite) {
                Synchronous::Normal
            } else {
                Synchronous::Off
            };
            SessionManager::new(
                SqliteConfig::native()
                    .with_busy_timeout(BUSY_TIMEOUT)
                    .with_synchronous(synchronous)
                    .open(&path)
                    .expect("open"),
            )
        }
        Store::Files | Store::FilesPooled => {
            let config = FileConfig::default().with_inline_reads(matches!(store, Store::Files));
            SessionManager::new(FileStore::with_config(dir.path(), config).expect("open"))
        }
        Store::Memory => SessionManager::new(session_core::MemoryStore::new()),
    };
    let mut cookies = seed_cookies(&manager);
    cookies.truncate(CLIENTS);
    let mut layer = SessionLayer::new(manager);
    if let Some(inline) = inline {
        layer = layer.inline(inline);
    }
    let app = Router::new().route("/", get(visit)).layer(layer);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .enable_time()
        .build()
        .expect("runtime");
    let stop = Arc::new(AtomicBool::new(false));
    let holder = matches!(store, Store::Sqlite | Store::SqliteNoSync)
        .then(|| lock_holder(path, stop.clone()));
    let started = Instant::now();
    let results = runtime.block_on(async {
        let clients = cookies.into_iter().map(|cookie| {
            let app = app.clone();
            tokio::spawn(async move {
                let (mut polls, mut requests, mut errors) = (Polls::default(), 0, 0);
                while started.elapsed() < length {
                    let req = Request::builder()
                        .uri("/")
                        .header(header::COOKIE, &cookie)
                        .body(Body::empty())
                        .expect("request");
                    let timed = Timed {
                        inner: Box::pin(app.clone().oneshot(req)),
                        polls: &mut polls,
                    };
                    let res = timed.await.expect("infallible");
                    requests += 1;
                    errors += usize::from(!res.status().is_success());
                }
                (polls, requests, errors)
            })
        });
        let mut all = Vec::new();
        for client in clients.collect::<Vec<_>>() {
            all.push(client.await.expect("client task"));
        }
        all
    });
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let locks = holder.map_or(0, |h| h.join().expect("lock holder"));
    let mut row = Row {
        name,
        requests: 0,
        errors: 0,
        per_second: 0.0,
        polls: Polls::default(),
        locks,
    };
    for (polls, requests, errors) in results {
        row.polls.wall.extend(polls.wall);
        row.polls.stall.extend(polls.stall);
        row.requests += requests;
        row.errors += errors;
    }
    row.polls.wall.sort_unstable();
    row.polls.stall.sort_unstable();
    row.per_second = row.requests as f64 / elapsed.as_secs_f64();
    row
}

fn main() {
    // libtest-style flags (`--bench`, `--quick`) are accepted and ignored
    let length = match RunMode::from_env() {
        RunMode::Smoke => Duration::from_millis(300),
        RunMode::Standard => Duration::from_secs(3),
        RunMode::Full => Duration::from_secs(10),
    };
    let rows = [
        run("db-file (default)", Store::Sqlite, None, length),
        run("db-file synchronous=OFF", Store::SqliteNoSync, None, length),
        run("db-file inline(true)", Store::Sqlite, Some(true), length),
        run("db-file inline(false)", Store::Sqlite, Some(false), length),
        run("file (default)", Store::Files, None, length),
        run("file inline_reads=false", Store::FilesPooled, None, length),
        run("memory (noise floor)", Store::Memory, None, length),
    ];
    let ms = |d: Duration| format!("{:.3} ms", d.as_secs_f64() * 1e3);
    let mut out = format!(
        "\n## Executor stalls ({WORKERS} workers, {CLIENTS} clients; on SQLite another \
         connection holds the write lock {} ms of every {} ms)\n\n\
         A poll's stall is its wall time less the time the OS kept the worker waiting for a \
         CPU. Target for the defaults: stall p99.9 ≤ 1 ms and max < the busy timeout ({} ms).\n\n\
         | driven | req/s | errors | poll wall p99.9 | wall max | stall p50 | stall p99 | stall p99.9 | stall max | target |\n\
         |---|---|---|---|---|---|---|---|---|---|\n",
        LOCK_HELD.as_millis(),
        LOCK_EVERY.as_millis(),
        BUSY_TIMEOUT.as_millis(),
    );
    for row in &rows {
        let stall = &row.polls.stall;
        let (p999, max) = (quantile(stall, 0.999), quantile(stall, 1.0));
        let target = if row.name.contains("default") {
            if p999 <= Duration::from_millis(1) && max < BUSY_TIMEOUT {
                "met"
            } else {
                "MISSED"
            }
        } else {
            "–"
        };
        out.push_str(&format!(
            "| {} | {:.0} | {} | {} | {} | {} | {} | {} | {} | {target} |\n",
            row.name,
            row.per_second,
            row.errors,
            ms(quantile(&row.polls.wall, 0.999)),
            ms(quantile(&row.polls.wall, 1.0)),
            ms(quantile(stall, 0.5)),
            ms(quantile(stall, 0.99)),
            ms(p999),
            ms(max),
        ));
        let locked = row.locks > 0 || !row.name.starts_with("db-file");
        assert!(locked && row.requests > 0, "{}: nothing ran", row.name);
    }
    publish_table("stall.md", &out);
}
