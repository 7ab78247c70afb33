//! What the layer benches (`tower`, `stall`, the `layer_profile` example) serve: the
//! handler of `handler.rs` for our layer and for tower-sessions, and the sessions they
//! start from.

use axum::Router;
use axum::body::Body;
use http::{Request, header};
use session_core::SessionManager;
use tower::ServiceExt;

counter_handler!(
    /// The handler of the layer benches: reads `member_id` and writes it back incremented,
    /// so every request loads its session and really saves it.
    ///
    /// ```
    /// let _handler = session_benches::visit;
    /// ```
    visit(session_tower::Session)
);

counter_handler!(
    /// [`visit`] for tower-sessions: the same reads and writes.
    ///
    /// ```
    /// let _handler = session_benches::peer_visit;
    /// ```
    peer_visit(tower_sessions::Session)
);

/// 64 sessions with a `member_id` made through `manager`, as `Cookie` header values.
///
/// ```
/// let manager = session_core::SessionManager::new(session_core::MemoryStore::new());
/// let cookies = session_benches::seed_cookies(&manager);
/// assert_eq!(cookies.len(), 64);
/// assert!(cookies[0].starts_with("sessionid="));
/// ```
pub fn seed_cookies(manager: &SessionManager) -> Vec<String> {
    (0..64)
        .map(|i| {
            let mut s = manager.session(None);
            s.insert("member_id", i).expect("insert");
            s.save().expect("save");
            format!(
                "{}={}",
                manager.config().cookie_name,
                s.key().expect("a key")
            )
        })
        .collect()
}

/// 64 sessions made through a tower-sessions `app` (one request each, no cookie), as
/// `Cookie` header values.
///
/// ```
/// use axum::{Router, routing::get};
/// let rt = tokio::runtime::Builder::new_current_thread().build()?;
/// let app = Router::new().route("/", get(session_benches::peer_visit)).layer(
///     tower_sessions::SessionManagerLayer::new(tower_sessions::MemoryStore::default()),
/// );
/// assert_eq!(session_benches::peer_cookies(&rt, &app).len(), 64);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn peer_cookies(rt: &tokio::runtime::Runtime, app: &Router) -> Vec<String> {
    (0..64)
        .map(|_| {
            let req = Request::builder()
                .uri("/")
                .body(Body::empty())
                .expect("request");
            let res = rt.block_on(app.clone().oneshot(req)).expect("infallible");
            let set = res.headers()[header::SET_COOKIE].to_str().expect("ASCII");
            set.split(';').next().unwrap_or_default().to_owned()
        })
        .collect()
}

/// Prints `table` and leaves it as `target/criterion/<name>` for `report` (the benches
/// that are not criterion benches write their results this way).
///
/// ```no_run
/// session_benches::publish_table("example.md", "| a | b |\n");
/// ```
pub fn publish_table(name: &str, table: &str) {
    print!("{table}");
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"),
        std::path::PathBuf::from,
    );
    let dir = target.join("criterion");
    if std::fs::create_dir_all(&dir).is_ok() {
        let _ = std::fs::write(dir.join(name), table);
    }
}

/// What [`drive`] measured: each request's latency (sorted), how many answers were not a
/// success, and requests per second.
#[derive(Debug, Default)]
pub struct Driven {
    /// Latencies, shortest first.
    pub took: Vec<std::time::Duration>,
    /// Answers that were not 2xx.
    pub errors: usize,
    /// Requests per second over the run.
    pub per_second: f64,
}

impl Driven {
    /// The latency at quantile `q` (0.5, 0.99, 1.0 for the longest).
    ///
    /// ```
    /// use std::time::Duration;
    /// let driven = session_benches::Driven {
    ///     took: vec![Duration::from_millis(1), Duration::from_millis(3)],
    ///     ..Default::default()
    /// };
    /// assert_eq!(driven.at(1.0), Duration::from_millis(3));
    /// ```
    pub fn at(&self, q: f64) -> std::time::Duration {
        self.took[((self.took.len() - 1) as f64 * q) as usize]
    }
}

/// One client task per cookie, each sending `GET /` with its cookie through `app`
/// (in-process, `oneshot`) back to back until `stop` is set.
///
/// ```
/// use std::sync::{Arc, atomic::AtomicBool};
/// use axum::{Router, routing::get};
/// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
/// let app = Router::new().route("/", get(|| async { "ok" }));
/// let stop = Arc::new(AtomicBool::new(true)); // already set: each client sends nothing
/// let driven = rt.block_on(session_benches::drive(app, &["sessionid=x".into()], stop));
/// assert_eq!(driven.errors, 0);
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn drive(
    app: Router,
    cookies: &[String],
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> Driven {
    use std::sync::atomic::Ordering;
    use std::time::Instant;
    let started = Instant::now();
    let tasks: Vec<_> = cookies
        .iter()
        .cloned()
        .map(|cookie| {
            let (app, stop) = (app.clone(), stop.clone());
            tokio::spawn(async move {
                let (mut took, mut errors) = (Vec::new(), 0usize);
                while !stop.load(Ordering::Relaxed) {
                    let req = Request::builder()
                        .uri("/")
                        .header(header::COOKIE, &cookie)
                        .body(Body::empty())
                        .expect("request");
                    let sent = Instant::now();
                    let res = app.clone().oneshot(req).await.expect("infallible");
                    took.push(sent.elapsed());
                    errors += usize::from(!res.status().is_success());
                }
                (took, errors)
            })
        })
        .collect();
    let mut driven = Driven::default();
    for task in tasks {
        let (took, errors) = task.await.expect("client");
        driven.took.extend(took);
        driven.errors += errors;
    }
    driven.per_second = driven.took.len() as f64 / started.elapsed().as_secs_f64();
    driven.took.sort_unstable();
    driven
}
