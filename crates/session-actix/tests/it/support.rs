//! The test server (a real actix-web `HttpServer` on a loopback port, in a thread of its
//! own), a raw HTTP/1.1 client, a counting store wrapper and the test routes.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, SystemTime};

use actix_web::body::MessageBody;
use actix_web::dev::{ServerHandle, ServiceRequest, ServiceResponse};
use actix_web::middleware::{Next, from_fn};
use actix_web::{App, HttpResponse, HttpServer, web};
use session_actix::{Session, SessionError, SessionMiddleware};
use session_core::{
    AsyncSessionStore, Record, Result, SessionConfig, SessionManager, SessionStore,
};

/// Wraps a store (both faces); counts the calls the middleware makes.
pub struct Counting<S> {
    inner: Arc<S>,
    pub loads: AtomicUsize,
    pub creates: AtomicUsize,
    pub saves: AtomicUsize,
    pub deletes: AtomicUsize,
    pub others: AtomicUsize,
}

fn note(counter: &AtomicUsize) {
    counter.fetch_add(1, Ordering::SeqCst);
}

pub fn count(counter: &AtomicUsize) -> usize {
    counter.load(Ordering::SeqCst)
}

impl<S: SessionStore> SessionStore for Counting<S> {
    fn load_record(&self, key: &str) -> Result<Option<Record>> {
        note(&self.loads);
        SessionStore::load_record(&*self.inner, key)
    }
    fn create(&self, record: &Record) -> Result<String> {
        note(&self.creates);
        SessionStore::create(&*self.inner, record)
    }
    fn save(&self, key: &str, record: &Record) -> Result<String> {
        note(&self.saves);
        SessionStore::save(&*self.inner, key, record)
    }
    fn delete(&self, key: &str) -> Result<()> {
        note(&self.deletes);
        SessionStore::delete(&*self.inner, key)
    }
    fn exists(&self, key: &str) -> Result<bool> {
        note(&self.others);
        SessionStore::exists(&*self.inner, key)
    }
    fn touch(&self, key: &str, expires_at: SystemTime) -> Result<()> {
        note(&self.others);
        SessionStore::touch(&*self.inner, key, expires_at)
    }
}

impl<S: AsyncSessionStore> AsyncSessionStore for Counting<S> {
    async fn load_record(&self, key: &str) -> Result<Option<Record>> {
        note(&self.loads);
        AsyncSessionStore::load_record(&*self.inner, key).await
    }
    async fn create(&self, record: &Record) -> Result<String> {
        note(&self.creates);
        AsyncSessionStore::create(&*self.inner, record).await
    }
    async fn save(&self, key: &str, record: &Record) -> Result<String> {
        note(&self.saves);
        AsyncSessionStore::save(&*self.inner, key, record).await
    }
    async fn delete(&self, key: &str) -> Result<()> {
        note(&self.deletes);
        AsyncSessionStore::delete(&*self.inner, key).await
    }
    async fn exists(&self, key: &str) -> Result<bool> {
        note(&self.others);
        AsyncSessionStore::exists(&*self.inner, key).await
    }
    async fn touch(&self, key: &str, expires_at: SystemTime) -> Result<()> {
        note(&self.others);
        AsyncSessionStore::touch(&*self.inner, key, expires_at).await
    }
}

/// One store configuration for the checks.
pub struct Env {
    /// The store itself, uncounted: for seeding and inspecting (sync face, test thread).
    pub raw: Arc<dyn SessionStore>,
    manager: Box<dyn Fn(SessionConfig) -> SessionManager>,
    counts: Arc<dyn Fn() -> [usize; 5] + Send + Sync>,
    /// Whatever must live as long as the store (a temp dir, a schema).
    _guard: Box<dyn std::any::Any>,
}

impl Env {
    pub fn new<S>(store: S) -> Env
    where
        S: SessionStore + AsyncSessionStore + 'static,
    {
        Env::with_guard(store, ())
    }

    pub fn with_guard<S>(store: S, guard: impl std::any::Any) -> Env
    where
        S: SessionStore + AsyncSessionStore + 'static,
    {
        let inner = Arc::new(store);
        let counting = Arc::new(Counting {
            inner: inner.clone(),
            loads: AtomicUsize::new(0),
            creates: AtomicUsize::new(0),
            saves: AtomicUsize::new(0),
            deletes: AtomicUsize::new(0),
            others: AtomicUsize::new(0),
        });
        let for_manager = counting.clone();
        Env {
            raw: inner,
            manager: Box::new(move |config| {
                SessionManager::new(for_manager.clone()).with_config(config)
            }),
            counts: Arc::new(move || {
                [
                    count(&counting.loads),
                    count(&counting.creates),
                    count(&counting.saves),
                    count(&counting.deletes),
                    count(&counting.others),
                ]
            }),
            _guard: Box::new(guard),
        }
    }

    /// Store calls by the middleware so far: loads, creates, saves, deletes, others.
    pub fn counts(&self) -> [usize; 5] {
        (self.counts)()
    }

    pub fn calls(&self) -> usize {
        self.counts().iter().sum()
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

    /// The test server over the counting store with `config`.
    pub fn server(&self, config: SessionConfig) -> Server {
        self.server_with(config, Gate::new())
    }

    pub fn server_with(&self, config: SessionConfig, gate: Arc<Gate>) -> Server {
        Server::start(
            SessionMiddleware::new((self.manager)(config)),
            self.raw.clone(),
            gate,
        )
    }
}

/// Lets a test hold a request inside its handler.
pub struct Gate {
    ready_tx: Mutex<mpsc::Sender<()>>,
    ready_rx: Mutex<mpsc::Receiver<()>>,
    pub go: tokio::sync::Notify,
}

impl Gate {
    pub fn new() -> Arc<Self> {
        let (tx, rx) = mpsc::channel();
        Arc::new(Gate {
            ready_tx: Mutex::new(tx),
            ready_rx: Mutex::new(rx),
            go: tokio::sync::Notify::new(),
        })
    }

    /// Blocks the test thread until a gated request is inside its handler.
    pub fn wait_ready(&self) {
        self.ready_rx
            .lock()
            .unwrap()
            .recv_timeout(Duration::from_secs(30))
            .expect("the gated request never arrived");
    }
}

/// A real server on a loopback port, stopped on drop.
pub struct Server {
    pub addr: SocketAddr,
    handle: ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
}

#[derive(Clone)]
struct State {
    raw: Arc<dyn SessionStore>,
    gate: Arc<Gate>,
}

impl Server {
    pub fn start(
        middleware: SessionMiddleware,
        raw: Arc<dyn SessionStore>,
        gate: Arc<Gate>,
    ) -> Server {
        let state = State { raw, gate };
        Server::serve(
            move |config| {
                config
                    .app_data(web::Data::new(state.clone()))
                    .configure(routes);
            },
            middleware,
        )
    }

    /// Serves `routes` behind `middleware` on two workers.
    pub fn serve(
        routes: impl Fn(&mut web::ServiceConfig) + Clone + Send + 'static,
        middleware: SessionMiddleware,
    ) -> Server {
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(move || {
                    App::new()
                        .wrap(middleware.clone())
                        .configure(routes.clone())
                })
                .workers(2)
                .disable_signals()
                .shutdown_timeout(1)
                .bind(("127.0.0.1", 0))
                .expect("bind a loopback port");
                let addr = server.addrs()[0];
                let server = server.run();
                tx.send((addr, server.handle())).unwrap();
                server.await.expect("the server failed");
            })
        });
        let (addr, handle) = rx.recv().expect("the server did not start");
        Server {
            addr,
            handle,
            thread: Some(thread),
        }
    }

    /// Sends one request with an optional session cookie.
    pub fn send(&self, method: &str, path: &str, cookie: Option<&str>) -> Response {
        let cookie = cookie.map(|c| format!("sessionid={c}").into_bytes());
        self.send_raw(
            method,
            path,
            cookie.as_slice().iter().map(|c| c.as_slice()),
            "",
        )
    }

    /// Sends one request with these raw `Cookie` header values and a form body.
    pub fn send_raw<'a>(
        &self,
        method: &str,
        path: &str,
        cookies: impl IntoIterator<Item = &'a [u8]>,
        form: &str,
    ) -> Response {
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.addr,
            form.len()
        )
        .into_bytes();
        if !form.is_empty() {
            request.extend_from_slice(b"Content-Type: application/x-www-form-urlencoded\r\n");
        }
        for cookie in cookies {
            request.extend_from_slice(b"Cookie: ");
            request.extend_from_slice(cookie);
            request.extend_from_slice(b"\r\n");
        }
        request.extend_from_slice(b"\r\n");
        request.extend_from_slice(form.as_bytes());
        let mut stream = TcpStream::connect(self.addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        stream.write_all(&request).unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).expect("read the response");
        Response::parse(&raw)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        actix_web::rt::System::new().block_on(handle.stop(false));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A parsed HTTP/1.1 response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    fn parse(raw: &[u8]) -> Response {
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a complete response head");
        let head = String::from_utf8_lossy(&raw[..split]);
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let headers: Vec<(String, String)> = lines
            .map(|line| {
                let (name, value) = line.split_once(':').unwrap();
                (name.trim().to_ascii_lowercase(), value.trim().to_owned())
            })
            .collect();
        let mut body = raw[split + 4..].to_vec();
        if headers
            .iter()
            .any(|(n, v)| n == "transfer-encoding" && v == "chunked")
        {
            body = dechunk(&body);
        }
        Response {
            status,
            headers,
            body: String::from_utf8(body).unwrap(),
        }
    }

    pub fn header_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The single `Set-Cookie` header, if any.
    pub fn set_cookie(&self) -> Option<&str> {
        let all = self.header_all("set-cookie");
        assert!(all.len() <= 1, "several Set-Cookie headers: {all:?}");
        all.first().copied()
    }

    /// The session key a `Set-Cookie` header sets.
    pub fn cookie_value(&self) -> String {
        let header = self.set_cookie().expect("a Set-Cookie header");
        let pair = header.split(';').next().unwrap();
        pair.strip_prefix("sessionid=").unwrap().to_owned()
    }

    pub fn vary(&self) -> Vec<&str> {
        self.header_all("vary")
    }
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = body.windows(2).position(|w| w == b"\r\n").unwrap();
        let size =
            usize::from_str_radix(std::str::from_utf8(&body[..line_end]).unwrap().trim(), 16)
                .unwrap();
        body = &body[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&body[..size]);
        body = &body[size + 2..];
    }
}

type Answer = std::result::Result<HttpResponse, SessionError>;

fn ok() -> Answer {
    Ok(HttpResponse::Ok().body("ok"))
}

/// A middleware that writes to the session before the handler runs: both extract it.
async fn writes_first(
    mut request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> std::result::Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let session = request.extract::<Session>().await?;
    session
        .insert("from_middleware", true)
        .await
        .map_err(SessionError::from)?;
    next.call(request).await
}

fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/untouched", web::get().to(|| async { "ok" }))
        .route(
            "/read",
            web::get().to(|s: Session| async move {
                let v = s.get_value("a").await?;
                Answer::Ok(HttpResponse::Ok().body(format!("{v:?}")))
            }),
        )
        .route(
            "/insert",
            web::post().to(|s: Session| async move {
                s.insert("a", 1).await?;
                ok()
            }),
        )
        .route(
            "/set/{value}",
            web::post().to(|s: Session, value: web::Path<String>| async move {
                s.insert("x", value.into_inner()).await?;
                ok()
            }),
        )
        .route(
            "/remove",
            web::post().to(|s: Session| async move {
                s.remove("a").await?;
                ok()
            }),
        )
        .route(
            "/flush",
            web::post().to(|s: Session| async move {
                s.flush().await?;
                ok()
            }),
        )
        .route(
            "/cycle",
            web::post().to(|s: Session| async move {
                s.insert("member_id", 1).await?;
                s.cycle_key().await?;
                ok()
            }),
        )
        .route(
            "/fail/{code}",
            web::post().to(|s: Session, code: web::Path<u16>| async move {
                s.insert("a", 2).await?;
                let status = actix_web::http::StatusCode::from_u16(*code).unwrap();
                Answer::Ok(HttpResponse::build(status).finish())
            }),
        )
        .route(
            "/vary",
            web::get().to(|s: Session| async move {
                s.get_value("a").await?;
                Answer::Ok(
                    HttpResponse::Ok()
                        .insert_header(("Vary", "Accept-Encoding"))
                        .body("ok"),
                )
            }),
        )
        .route(
            "/two",
            web::post().to(|a: Session, b: Session| async move {
                a.insert("x", 1).await?;
                let seen = b.get::<u32>("x").await?;
                // Both at once: neither waits for the other forever.
                let (r1, r2) = tokio::join!(a.insert("y", 2), b.get::<u32>("y"));
                r1?;
                r2?;
                Answer::Ok(HttpResponse::Ok().body(format!("{seen:?}")))
            }),
        )
        .service(
            web::resource("/mw")
                .wrap(from_fn(writes_first))
                .route(web::get().to(|s: Session| async move {
                    let seen = s.get::<bool>("from_middleware").await?;
                    Answer::Ok(HttpResponse::Ok().body(format!("{seen:?}")))
                })),
        )
        .route(
            "/delete-then-write",
            web::post().to(|s: Session, state: web::Data<State>| async move {
                // A concurrent logout, simulated: the record vanishes under the request.
                let key = s.key().await.unwrap();
                let raw = state.raw.clone();
                tokio::task::spawn_blocking(move || raw.delete(&key))
                    .await
                    .unwrap()
                    .unwrap();
                s.insert("a", 3).await?;
                ok()
            }),
        )
        .route(
            "/gated/{value}",
            web::post().to(
                |s: Session, state: web::Data<State>, value: web::Path<String>| async move {
                    s.insert("x", value.into_inner()).await?;
                    let notified = state.gate.go.notified();
                    state.gate.ready_tx.lock().unwrap().send(()).unwrap();
                    notified.await;
                    ok()
                },
            ),
        );
}
