#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod backend;
mod cli;
mod error;
mod metrics;
mod run;
mod serve;
mod views;

use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use session_tower::{SessionKeyPrefix, SessionLayer};

pub use backend::{Backend, PROGRESS_THRESHOLD, Store, clear_expired};
pub use cli::{BackendKind, Command, MIN_SECRET_LEN, Options, SerializerKind, USAGE, redis_seeds};
pub use error::DemoError;
pub use run::run;
pub use serve::{MAX_BODY_BYTES, ServerConfig, serve};
pub use views::{MEMBERS, escape};

/// The site: the demo's routes behind a [`SessionLayer`] over `backend`'s manager, request
/// bodies capped at [`MAX_BODY_BYTES`], and one log line per request (method, path, status,
/// session key prefix, time). The first call installs the process's Prometheus recorder,
/// which `GET /metrics` renders.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use tower::ServiceExt;
/// let backend = session_demo::Backend::open(&session_demo::Options::parse(["--backend", "cache"])?)?;
/// let request = axum::http::Request::post("/login")
///     .header("content-type", "application/x-www-form-urlencoded")
///     .body(axum::body::Body::from("username=alice&password=wonderland"))?;
/// let response = session_demo::app(&backend).oneshot(request).await?;
/// assert!(response.headers().contains_key("set-cookie"));
/// # Ok(()) }
/// ```
pub fn app(backend: &Backend) -> Router {
    // The session metrics are recorded from the first request on.
    let _ = metrics::handle();
    let site = views::Site::new(backend);
    let mut layer = SessionLayer::new(backend.manager.clone());
    if backend.inline {
        layer = layer.inline(true);
    }
    Router::new()
        .route("/", get(views::index))
        .route("/comment", post(views::comment))
        .route("/login", post(views::login))
        .route("/logout", post(views::logout))
        .route("/session", get(views::session_json))
        .route("/metrics", get(metrics::render))
        .with_state(site)
        .layer(layer)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn(log_request))
}

/// The access log: one line per request, after the session layer has answered.
async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let key = response
        .extensions()
        .get::<SessionKeyPrefix>()
        .and_then(|p| p.0.clone())
        .unwrap_or_else(|| "-".to_owned());
    tracing::info!(
        target: "session_demo::access",
        "{method} {path} {} session={key} {:?}",
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}
