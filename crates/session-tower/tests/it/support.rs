//! Test doubles and helpers: a counting store wrapper, the test router, request helpers.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use session_core::{Record, Result, SessionConfig, SessionManager, SessionStore};
use session_tower::{Session, SessionLayer};
use tokio::sync::{Notify, mpsc};
use tower::ServiceExt;

/// How a store double presents itself to the layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// As the wrapped store says (`runs_inline`), no override.
    Native,
    /// `runs_inline() == false`: the layer uses the blocking pool.
    Blocking,
    /// `runs_inline() == false`, but the layer is told `.inline(true)`.
    BlockingOptedInline,
}

/// Wraps any store; counts calls per operation and records the threads they ran on.
pub struct Counting {
    inner: Arc<dyn SessionStore>,
    reports_inline: bool,
    pub loads: AtomicUsize,
    pub creates: AtomicUsize,
    pub saves: AtomicUsize,
    pub deletes: AtomicUsize,
    pub exists: AtomicUsize,
    pub touches: AtomicUsize,
    threads: Mutex<Vec<ThreadId>>,
}

impl Counting {
    fn note(&self, counter: &AtomicUsize) {
        counter.fetch_add(1, Ordering::SeqCst);
        self.threads
            .lock()
            .unwrap()
            .push(std::thread::current().id());
    }

    /// Every store call so far.
    pub fn calls(&self) -> usize {
        [
            &self.loads,
            &self.creates,
            &self.saves,
            &self.deletes,
            &self.exists,
            &self.touches,
        ]
        .iter()
        .map(|c| c.load(Ordering::SeqCst))
        .sum()
    }

    pub fn count(counter: &AtomicUsize) -> usize {
        counter.load(Ordering::SeqCst)
    }
}

impl SessionStore for Counting {
    fn load_record(&self, key: &str) -> Result<Option<Record>> {
        self.note(&self.loads);
        self.inner.load_record(key)
    }
    fn create(&self, record: &Record) -> Result<String> {
        self.note(&self.creates);
        self.inner.create(record)
    }
    fn save(&self, key: &str, record: &Record) -> Result<String> {
        self.note(&self.saves);
        self.inner.save(key, record)
    }
    fn delete(&self, key: &str) -> Result<()> {
        self.note(&self.deletes);
        self.inner.delete(key)
    }
    fn exists(&self, key: &str) -> Result<bool> {
        self.note(&self.exists);
        self.inner.exists(key)
    }
    fn touch(&self, key: &str, expires_at: std::time::SystemTime) -> Result<()> {
        self.note(&self.touches);
        self.inner.touch(key, expires_at)
    }
    fn runs_inline(&self) -> bool {
        self.reports_inline
    }
}

/// One backend configuration for the middleware checks.
pub struct Env {
    /// The store itself, uncounted: for seeding and inspecting.
    pub raw: Arc<dyn SessionStore>,
    /// The same store as the layer sees it.
    pub counting: Arc<Counting>,
    mode: Mode,
    test_thread: ThreadId,
}

impl Env {
    pub fn new(store: impl SessionStore + 'static, mode: Mode) -> Self {
        let raw: Arc<dyn SessionStore> = Arc::new(store);
        let reports_inline = match mode {
            Mode::Native => raw.runs_inline(),
            Mode::Blocking | Mode::BlockingOptedInline => false,
        };
        let counting = Arc::new(Counting {
            inner: raw.clone(),
            reports_inline,
            loads: AtomicUsize::new(0),
            creates: AtomicUsize::new(0),
            saves: AtomicUsize::new(0),
            deletes: AtomicUsize::new(0),
            exists: AtomicUsize::new(0),
            touches: AtomicUsize::new(0),
            threads: Mutex::new(Vec::new()),
        });
        Env {
            raw,
            counting,
            mode,
            test_thread: std::thread::current().id(),
        }
    }

    /// A manager over the uncounted store, for seeding sessions outside requests.
    pub fn raw_manager(&self) -> SessionManager {
        SessionManager::new_sync(self.raw.clone())
    }

    /// Stores a session holding `data` and returns its key (the cookie value).
    pub fn seed(&self, data: serde_json::Value) -> String {
        let mut session = self.raw_manager().session(None);
        for (k, v) in data.as_object().unwrap() {
            session.insert(k.clone(), v.clone()).unwrap();
        }
        session.save().unwrap();
        session.key().unwrap().to_owned()
    }

    /// The test router over the counting store with `config`.
    pub fn app(&self, config: SessionConfig) -> Router {
        self.app_with(config, Gate::new())
    }

    pub fn app_with(&self, config: SessionConfig, gate: Arc<Gate>) -> Router {
        // The sync side only: these checks are about where the layer runs a sync store.
        let manager = SessionManager::new_sync(self.counting.clone()).with_config(config);
        let mut layer = SessionLayer::new(manager);
        if self.mode == Mode::BlockingOptedInline {
            layer = layer.inline(true);
        }
        routes(self.raw.clone(), gate).layer(layer)
    }

    /// Store calls made from the test's own (executor) thread must be none when the layer
    /// uses the blocking pool, and all of them otherwise.
    pub fn check_threads(&self) {
        let threads = self.counting.threads.lock().unwrap();
        let on_executor = threads.iter().filter(|t| **t == self.test_thread).count();
        match (self.mode, self.counting.reports_inline) {
            (Mode::Blocking, _) | (Mode::Native, false) => {
                assert_eq!(on_executor, 0, "blocking store ran on the executor thread")
            }
            _ => assert_eq!(on_executor, threads.len(), "inline store left the executor"),
        }
    }
}

/// Lets a test hold a request inside its handler.
pub struct Gate {
    pub ready_tx: mpsc::UnboundedSender<()>,
    pub ready_rx: tokio::sync::Mutex<mpsc::UnboundedReceiver<()>>,
    pub go: Notify,
}

impl Gate {
    pub fn new() -> Arc<Self> {
        let (ready_tx, ready_rx) = mpsc::unbounded_channel();
        Arc::new(Gate {
            ready_tx,
            ready_rx: tokio::sync::Mutex::new(ready_rx),
            go: Notify::new(),
        })
    }

    pub async fn wait_ready(&self) {
        self.ready_rx.lock().await.recv().await.unwrap();
    }
}

#[derive(Clone)]
struct AppState {
    raw: Arc<dyn SessionStore>,
    gate: Arc<Gate>,
}

type Res = std::result::Result<Response, Response>;

fn fail(e: session_core::Error) -> Response {
    (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response()
}

fn routes(raw: Arc<dyn SessionStore>, gate: Arc<Gate>) -> Router<()> {
    Router::new()
        .route("/untouched", get(|| async { "ok" }))
        .route(
            "/read",
            get(|s: Session| async move {
                let v = s.get_value("a").await.map_err(fail)?;
                Res::Ok(format!("{v:?}").into_response())
            }),
        )
        .route(
            "/insert",
            post(|s: Session| async move {
                s.insert("a", 1).await.map_err(fail)?;
                Res::Ok("ok".into_response())
            }),
        )
        .route(
            "/set/{value}",
            post(|s: Session, Path(value): Path<String>| async move {
                s.insert("x", value).await.map_err(fail)?;
                Res::Ok("ok".into_response())
            }),
        )
        .route(
            "/remove",
            post(|s: Session| async move {
                s.remove("a").await.map_err(fail)?;
                Res::Ok("ok".into_response())
            }),
        )
        .route(
            "/flush",
            post(|s: Session| async move {
                s.flush().await.map_err(fail)?;
                Res::Ok("ok".into_response())
            }),
        )
        .route(
            "/cycle",
            post(|s: Session| async move {
                s.insert("member_id", 1).await.map_err(fail)?;
                s.cycle_key().await.map_err(fail)?;
                Res::Ok("ok".into_response())
            }),
        )
        .route(
            "/fail/{code}",
            post(|s: Session, Path(code): Path<u16>| async move {
                s.insert("a", 2).await.map_err(fail)?;
                Res::Ok(StatusCode::from_u16(code).unwrap().into_response())
            }),
        )
        .route(
            "/vary",
            get(|s: Session| async move {
                s.get_value("a").await.map_err(fail)?;
                let mut headers = HeaderMap::new();
                headers.insert(header::VARY, "Accept-Encoding".parse().unwrap());
                Res::Ok((headers, "ok").into_response())
            }),
        )
        .route(
            "/two",
            post(|a: Session, b: Session| async move {
                a.insert("x", 1).await.map_err(fail)?;
                let seen = b.get::<u32>("x").await.map_err(fail)?;
                // Both handles at once: neither waits for the other forever.
                let (r1, r2) = tokio::join!(a.insert("y", 2), b.get::<u32>("y"));
                r1.map_err(fail)?;
                r2.map_err(fail)?;
                Res::Ok(format!("{seen:?}").into_response())
            }),
        )
        .route(
            "/mw",
            get(|s: Session| async move {
                let seen = s.get::<bool>("from_middleware").await.map_err(fail)?;
                Res::Ok(format!("{seen:?}").into_response())
            })
            .route_layer(axum::middleware::from_fn(
                |s: Session, request: axum::extract::Request, next: axum::middleware::Next| async move {
                    // A middleware and the handler extract the same session.
                    s.insert("from_middleware", true).await.map_err(fail)?;
                    Res::Ok(next.run(request).await)
                },
            )),
        )
        .route(
            "/delete-then-write",
            post(|s: Session, State(state): State<AppState>| async move {
                // A concurrent logout, simulated: the record vanishes under the request.
                let key = s.key().await.unwrap();
                state.raw.delete(&key).unwrap();
                s.insert("a", 3).await.map_err(fail)?;
                Res::Ok("ok".into_response())
            }),
        )
        .route(
            "/read-then-delete",
            get(|s: Session, State(state): State<AppState>| async move {
                // A concurrent logout after the read: the renewal finds nothing.
                s.get_value("a").await.map_err(fail)?;
                let key = s.key().await.unwrap();
                state.raw.delete(&key).unwrap();
                Res::Ok("ok".into_response())
            }),
        )
        .route(
            "/gated/{value}",
            post(
                |s: Session, State(state): State<AppState>, Path(value): Path<String>| async move {
                    s.insert("x", value).await.map_err(fail)?;
                    state.gate.ready_tx.send(()).unwrap();
                    state.gate.go.notified().await;
                    Res::Ok("ok".into_response())
                },
            ),
        )
        .with_state(AppState { raw, gate })
}

/// Sends one request through `app`.
pub async fn send(app: &Router, method: &str, path: &str, cookie: Option<&str>) -> Response {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, format!("sessionid={cookie}"));
    }
    app.clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap()
}

/// The single `Set-Cookie` header, if any.
pub fn set_cookie(response: &Response) -> Option<String> {
    let all: Vec<_> = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .collect();
    assert!(all.len() <= 1, "several Set-Cookie headers: {all:?}");
    all.first().map(|v| v.to_str().unwrap().to_owned())
}

/// The session key a `Set-Cookie` header sets.
pub fn cookie_value(response: &Response) -> String {
    let header = set_cookie(response).expect("a Set-Cookie header");
    cookie::Cookie::parse(header).unwrap().value().to_owned()
}

/// The `Vary` header values.
pub fn vary(response: &Response) -> Vec<String> {
    response
        .headers()
        .get_all(header::VARY)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

pub async fn body(response: Response) -> String {
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// A store that owns the temporary directory it lives in.
pub struct InTempDir<S> {
    store: S,
    _dir: tempfile::TempDir,
}

/// A file store in a fresh temporary directory (fsync off: tests need no durability).
pub fn file_store() -> InTempDir<session_file::FileStore> {
    let dir = tempfile::tempdir().unwrap();
    let config = session_file::FileConfig::default().with_fsync(false);
    let store = session_file::FileStore::with_config(dir.path(), config).unwrap();
    InTempDir { store, _dir: dir }
}

session_core::forward_store!(InTempDir<session_file::FileStore> => store);
