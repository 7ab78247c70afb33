//! The server loop: hyper's HTTP/1 connections with a header timeout, a timeout on each
//! request, a cap on open connections and a graceful stop.
//!
//! `axum::serve` has none of these: a client that sends half a request head, or keeps an
//! idle connection open, holds a socket forever, and a few hundred of them exhaust the
//! process's file descriptors.

use std::collections::BTreeMap;
use std::future::Future;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};

use crate::DemoError;

/// The largest request body the site reads: a form over 1 MiB gets `413 Payload Too Large`
/// (the demo's forms are a few dozen bytes).
///
/// ```
/// assert_eq!(session_demo::MAX_BODY_BYTES, 1024 * 1024);
/// ```
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// File descriptors kept out of the connection cap: the listener, the store's files and
/// connections, logs.
const RESERVED_FDS: u64 = 64;

/// How the server treats slow, idle and numerous clients (`--header-timeout`,
/// `--request-timeout`, `--max-connections`).
///
/// ```
/// use std::time::Duration;
/// let config = session_demo::ServerConfig::default();
/// assert_eq!(config.header_timeout, Duration::from_secs(10));
/// assert_eq!(config.request_timeout, Duration::from_secs(30));
/// assert_eq!(config.max_connections, 1024);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerConfig {
    /// A connection must deliver a complete request head within this time, counted from
    /// when the server starts waiting for it: on a new connection, and after each response
    /// of a keep-alive one (so it is the idle timeout too). Otherwise it is closed.
    pub header_timeout: Duration,
    /// A request not answered within this time (reading its body included) gets
    /// `408 Request Timeout` and its connection is closed. A stop waits this long, plus a
    /// second, for the requests in flight.
    pub request_timeout: Duration,
    /// Open connections at most (lowered to fit the open-files limit). A new connection
    /// beyond it closes the oldest one that is not serving a request; when all are, it
    /// waits for one to finish.
    pub max_connections: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_connections: 1024,
        }
    }
}

impl ServerConfig {
    /// Sets the setting of `flag` (`--header-timeout SECS`, `--request-timeout SECS`,
    /// `--max-connections N`) from its value; both must be positive integers.
    pub(crate) fn set_flag(&mut self, flag: &str, value: &str) -> Result<(), DemoError> {
        let number = value
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| {
                DemoError::Usage(format!("`{flag} {value}` needs a whole number above 0"))
            })?;
        match flag {
            "--header-timeout" => self.header_timeout = Duration::from_secs(number.into()),
            "--request-timeout" => self.request_timeout = Duration::from_secs(number.into()),
            _ => self.max_connections = number as usize,
        }
        Ok(())
    }
}

/// `--addr`: an IP address and port, or a host name and port resolved now (its first IPv4
/// address when it has one, so `localhost:8001` listens where `127.0.0.1:8001` does).
pub(crate) fn resolve_addr(value: &str) -> Result<SocketAddr, DemoError> {
    if let Ok(addr) = value.parse() {
        return Ok(addr);
    }
    let malformed = || DemoError::Usage(format!("`--addr {value}` is not HOST:PORT"));
    let (host, port) = value.rsplit_once(':').ok_or_else(malformed)?;
    if host.trim().is_empty() || port.parse::<u16>().is_err() {
        return Err(malformed());
    }
    let unresolved = |source| DemoError::Resolve {
        addr: value.to_owned(),
        source,
    };
    let addrs: Vec<SocketAddr> = value.to_socket_addrs().map_err(unresolved)?.collect();
    addrs
        .iter()
        .find(|addr| addr.is_ipv4())
        .or(addrs.first())
        .copied()
        .ok_or_else(|| unresolved(io::Error::new(io::ErrorKind::NotFound, "no address")))
}

/// Serves `app` on `listener` with the limits of `config` until `shutdown` completes, then
/// stops accepting, closes idle connections, and waits up to `request_timeout` + 1 s for
/// the requests in flight. Request bodies are capped at [`MAX_BODY_BYTES`] by
/// [`app`](crate::app) itself.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use session_demo::{Backend, Options, ServerConfig};
/// let backend = Backend::open(&Options::parse(["--backend", "cache"])?)?;
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// let stop = tokio::time::sleep(std::time::Duration::from_millis(10));
/// session_demo::serve(listener, session_demo::app(&backend), ServerConfig::default(), stop).await;
/// # Ok(()) }
/// ```
pub async fn serve<F>(listener: TcpListener, app: Router, config: ServerConfig, shutdown: F)
where
    F: Future<Output = ()>,
{
    let app = app.layer(middleware::from_fn_with_state(
        config.request_timeout,
        limit_time,
    ));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(config.header_timeout)
        .keep_alive(true);
    let open = Arc::new(Open::new(connection_cap(config.max_connections)));
    let (stopping, stop_signal) = watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(error) if is_connection_error(&error) => continue,
            Err(error) => {
                // Most often out of file descriptors: free one, then try again.
                let evicted = open.evict_oldest_idle();
                tracing::warn!(
                    "cannot accept a connection: {error}{}",
                    if evicted {
                        " (closed the oldest idle one)"
                    } else {
                        ""
                    }
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        tokio::select! {
            () = open.make_room() => {}
            () = &mut shutdown => break,
        }
        let _ = stream.set_nodelay(true);
        let connection = open.register();
        tokio::spawn(drive(
            &http,
            stream,
            app.clone(),
            connection,
            stop_signal.clone(),
        ));
    }
    drop(listener);
    let _ = stopping.send(true);
    open.evict_all_idle();
    let in_flight = open.len();
    if in_flight > 0 {
        tracing::info!("stopping: finishing {in_flight} request(s)");
    }
    let grace = config.request_timeout + Duration::from_secs(1);
    if tokio::time::timeout(grace, open.drained()).await.is_err() {
        tracing::warn!(
            "stopping: {} connection(s) still open after {grace:?}",
            open.len()
        );
    }
}

/// The stop signal of the demo: Ctrl-C (SIGINT) or SIGTERM.
pub(crate) async fn stop_signal() {
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                terminate.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}

/// One connection, until it ends, is evicted or the server stops.
fn drive(
    http: &hyper::server::conn::http1::Builder,
    stream: TcpStream,
    app: Router,
    connection: Registration,
    mut stop_signal: watch::Receiver<bool>,
) -> impl Future<Output = ()> + Send + 'static {
    let state = connection.state.clone();
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let serving = Serving::enter(&state);
        let mut app = app.clone();
        async move {
            let response = tower_service::Service::call(&mut app, request.map(Body::new)).await;
            response.map(|response| {
                response.map(|body| Guarded {
                    body,
                    _serving: serving,
                })
            })
        }
    });
    let conn = http.serve_connection(TokioIo::new(stream), service);
    async move {
        let mut conn = std::pin::pin!(conn);
        let state = &connection.state;
        let mut stopping = false;
        loop {
            tokio::select! {
                result = conn.as_mut() => {
                    if let Err(error) = result {
                        tracing::debug!("connection closed: {error}");
                    }
                    break;
                }
                () = state.evict.notified() => {
                    if state.serving.load(Ordering::SeqCst) == 0 {
                        break; // dropping the connection closes its socket
                    }
                    // A request came in meanwhile: answer it, then close.
                    conn.as_mut().graceful_shutdown();
                }
                _ = stop_signal.changed(), if !stopping => {
                    stopping = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// The whole-request timeout: `408` and `Connection: close` when `limit` passes first.
async fn limit_time(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!("{method} {path}: no answer within {limit:?}, 408");
            (
                StatusCode::REQUEST_TIMEOUT,
                [(header::CONNECTION, "close")],
                "Request Timeout",
            )
                .into_response()
        }
    }
}

fn is_connection_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// `max` lowered so that connections leave [`RESERVED_FDS`] of the open-files limit free.
fn connection_cap(max: usize) -> usize {
    #[cfg(unix)]
    if let Some(limit) = rustix::process::getrlimit(rustix::process::Resource::Nofile).current {
        let fit = usize::try_from(limit.saturating_sub(RESERVED_FDS).max(8)).unwrap_or(max);
        if fit < max {
            tracing::info!("at most {fit} connections (open-files limit {limit})");
            return fit;
        }
    }
    max
}

/// The open connections, oldest first.
struct Open {
    cap: usize,
    conns: Mutex<(u64, BTreeMap<u64, Arc<ConnState>>)>,
    /// Signalled when a connection ends or is evicted.
    closed: Notify,
}

struct ConnState {
    /// Requests being served: from the head read to the last byte of the response body.
    serving: AtomicUsize,
    evict: Notify,
}

impl Open {
    fn new(cap: usize) -> Self {
        Open {
            cap: cap.max(1),
            conns: Mutex::new((0, BTreeMap::new())),
            closed: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (u64, BTreeMap<u64, Arc<ConnState>>)> {
        self.conns.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn len(&self) -> usize {
        self.lock().1.len()
    }

    fn register(self: &Arc<Self>) -> Registration {
        let state = Arc::new(ConnState {
            serving: AtomicUsize::new(0),
            evict: Notify::new(),
        });
        let mut conns = self.lock();
        let id = conns.0;
        conns.0 += 1;
        conns.1.insert(id, state.clone());
        Registration {
            id,
            state,
            open: self.clone(),
        }
    }

    /// Tells the oldest connection that is not serving a request to close, and forgets it.
    /// False when every connection is serving one.
    fn evict_oldest_idle(&self) -> bool {
        let mut conns = self.lock();
        let idle = conns
            .1
            .iter()
            .find(|(_, state)| state.serving.load(Ordering::SeqCst) == 0)
            .map(|(id, _)| *id);
        match idle.and_then(|id| conns.1.remove(&id)) {
            Some(state) => {
                state.evict.notify_one();
                self.closed.notify_one();
                true
            }
            None => false,
        }
    }

    fn evict_all_idle(&self) {
        while self.evict_oldest_idle() {}
    }

    /// Returns once there is room for one more connection, evicting an idle one if need be.
    async fn make_room(&self) {
        loop {
            let closed = self.closed.notified();
            if self.len() < self.cap || self.evict_oldest_idle() {
                return;
            }
            closed.await;
        }
    }

    async fn drained(&self) {
        loop {
            let closed = self.closed.notified();
            if self.len() == 0 {
                return;
            }
            closed.await;
        }
    }
}

/// A connection's place in [`Open`], given up when its task ends.
struct Registration {
    id: u64,
    state: Arc<ConnState>,
    open: Arc<Open>,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.open.lock().1.remove(&self.id);
        self.open.closed.notify_one();
    }
}

/// One request being served, counted in its connection's [`ConnState::serving`].
struct Serving(Arc<ConnState>);

impl Serving {
    fn enter(state: &Arc<ConnState>) -> Self {
        state.serving.fetch_add(1, Ordering::SeqCst);
        Serving(state.clone())
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        self.0.serving.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A response body that keeps its request counted as served until hyper has sent it.
struct Guarded {
    body: Body,
    _serving: Serving,
}

impl http_body::Body for Guarded {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
