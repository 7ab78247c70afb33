//! The tower layer: Django's `SessionMiddleware`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::header::{CONTENT_TYPE, SET_COOKIE, VARY};
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode};
use session_core::headers::VaryPatch;
use session_core::{CookieAction, Error, SessionManager, key_prefix};
use tower_layer::Layer;
use tower_service::Service;

use crate::cookies::session_cookie;
use crate::handle::{Drive, Handle};

/// The body of the `400 Bad Request` sent when the session was deleted while the request
/// ran (Django's `SessionInterrupted` message).
///
/// ```
/// assert!(session_tower::INTERRUPTED_MESSAGE.starts_with("The request's session was deleted"));
/// ```
pub const INTERRUPTED_MESSAGE: &str = "The request's session was deleted before the request \
     completed. The user may have logged out in a concurrent request, for example.";

/// Django's `SessionMiddleware` as a tower [`Layer`]: gives each request a
/// [`Session`](crate::Session) and, on the way out, saves it and sets, refreshes or deletes
/// the session cookie ([`SessionManager::finish`]).
///
/// - **Lazy**: the session is loaded when a handler first extracts it; a request that
///   never does costs no store access.
/// - **The store schedules its I/O**: the layer performs the session's store operations
///   through the store's async face ([`AsyncSessionStore`](session_core::AsyncSessionStore)):
///   memory-only stores (signed cookies, moka, [`MemoryStore`](session_core::MemoryStore))
///   answer in place; SQLite runs an operation in place when it cannot wait and on tokio's
///   blocking pool when it would; files read in place and write on the pool; the sync
///   PostgreSQL and Redis clients move each operation to the pool; async engines just
///   await. Which operations happen is the session's decision (core's steps), never the
///   layer's. A manager over a sync face alone ([`SessionManager::new_sync`]) runs on the
///   blocking pool in one hop per request phase.
/// - **Responses**: `Set-Cookie` exactly as Django writes it, `Vary: Cookie` added to (never
///   replacing) any existing `Vary`, nothing saved on 5xx, and `400 Bad Request` with
///   [`INTERRUPTED_MESSAGE`] when a concurrent request deleted the session (a logout is
///   never undone). Other store failures give `500` and an `error` log event.
///
/// Every response gets a [`SessionKeyPrefix`] extension for request logs.
///
/// ```
/// use axum::{Router, routing::get};
/// use session_core::{MemoryStore, SessionConfig, SessionManager};
/// use session_tower::{Session, SessionLayer};
///
/// let manager = SessionManager::new(MemoryStore::new())
///     .with_config(SessionConfig::default().with_cookie_secure(true));
/// let app: Router = Router::new()
///     .route("/", get(|session: Session| async move {
///         let visits = session.get::<u64>("visits").await.ok().flatten().unwrap_or(0) + 1;
///         session.insert("visits", visits).await.ok();
///         format!("visit number {visits}")
///     }))
///     .layer(SessionLayer::new(manager));
/// # let _ = app;
/// ```
#[derive(Debug, Clone)]
pub struct SessionLayer {
    manager: SessionManager,
    inline: Option<bool>,
}

impl SessionLayer {
    /// A layer over `manager`'s store, serializer and config.
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionManager};
    /// let layer = session_tower::SessionLayer::new(SessionManager::new(MemoryStore::new()));
    /// # let _ = layer;
    /// ```
    pub fn new(manager: SessionManager) -> Self {
        SessionLayer {
            manager,
            inline: None,
        }
    }

    /// Overrides where store I/O runs, using the store's sync face: `true` runs it on the
    /// async executor thread even for a store that would go to the blocking pool, `false`
    /// sends even a memory-only store there, in one hop per request phase. By default the
    /// store's async face decides.
    ///
    /// **Rarely needed now**: a hop to the blocking pool and back costs about 30 µs for a
    /// no-op and 45–50 µs per hop inside a request on a 2-core machine (`cargo run
    /// --release -p session-demo --example hop_cost`), more than a SQLite load (~7 µs), and
    /// the SQLite store already avoids it whenever nothing has to wait. `inline(true)`
    /// also runs the operations that *would* wait on the executor thread: while SQLite
    /// waits for another process's lock (up to its busy timeout), or a file is fsynced,
    /// that thread serves no other request. Never use it for network stores: a PostgreSQL
    /// store refuses to run inline, every request then failing with a 500. `inline(false)`
    /// puts every operation behind a hop, as a store without an async face would be.
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionManager};
    /// let manager = SessionManager::new(MemoryStore::new());
    /// let layer = session_tower::SessionLayer::new(manager).inline(true);
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub fn inline(mut self, inline: bool) -> Self {
        self.inline = Some(inline);
        self
    }

    /// The manager.
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionManager};
    /// let layer = session_tower::SessionLayer::new(SessionManager::new(MemoryStore::new()));
    /// assert_eq!(layer.manager().config().cookie_name, "sessionid");
    /// ```
    pub fn manager(&self) -> &SessionManager {
        &self.manager
    }
}

impl<S> Layer<S> for SessionLayer {
    type Service = SessionService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SessionService {
            inner,
            drive: match self.inline {
                Some(true) => Drive::Inline,
                Some(false) => Drive::Hop,
                None => Drive::default_for(&self.manager, Drive::Hop),
            },
            manager: self.manager.clone(),
        }
    }
}

/// The service made by [`SessionLayer`].
///
/// ```
/// use tower_layer::Layer;
/// # use session_core::{MemoryStore, SessionManager};
/// let layer = session_tower::SessionLayer::new(SessionManager::new(MemoryStore::new()));
/// let service = layer.layer(tower::service_fn(|_req: http::Request<()>| async {
///     let response: axum_core::response::Response = Default::default();
///     Ok::<_, std::convert::Infallible>(response)
/// }));
/// # let _ = service;
/// ```
#[derive(Debug, Clone)]
pub struct SessionService<S> {
    inner: S,
    manager: SessionManager,
    drive: Drive,
}

/// The first characters of the session key (see [`session_core::key_prefix`]), put into
/// every response's extensions by [`SessionLayer`] so that an outer logging layer can
/// correlate requests without ever logging a usable key. `None`: no session key.
///
/// ```
/// let prefix = session_tower::SessionKeyPrefix(Some("abcdefgh…".into()));
/// assert_eq!(prefix.0.as_deref(), Some("abcdefgh…"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionKeyPrefix(pub Option<String>);

/// Generic over the response body, as tower layers are: any body that can be made from a
/// `&'static str` (for the `400`/`500` the layer answers itself): axum's `Body`,
/// `http_body_util::Full<Bytes>`, `String`, ...
impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for SessionService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Future: Send + 'static,
    ResBody: From<&'static str> + Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<ResBody>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let cookie = session_cookie(request.headers(), &self.manager.config().cookie_name);
        let handle = Handle::new(self.manager.session(cookie.value.as_deref()), self.drive);
        request.extensions_mut().insert(handle.clone());
        let response = self.inner.call(request);
        let manager = self.manager.clone();
        Box::pin(async move {
            let response = response.await?;
            Ok(finish(manager, handle, cookie.present, cookie.value, response).await)
        })
    }
}

/// The response phase: at most one hop, and only when the session must be saved.
async fn finish<B: From<&'static str>>(
    manager: SessionManager,
    handle: Handle,
    had_cookie: bool,
    request_key: Option<String>,
    mut response: Response<B>,
) -> Response<B> {
    // for the error paths only: the prefix of the key the request came with
    let request_prefix = || request_key.as_deref().map(key_prefix);
    let status = response.status().as_u16();
    match handle.respond(status, had_cookie).await {
        Ok((action, prefix)) => {
            if let Err(error) = apply(&manager, &action, response.headers_mut()) {
                tracing::error!(error = %error, "session cookie is not a valid header value");
                return server_error(request_prefix());
            }
            response.extensions_mut().insert(SessionKeyPrefix(prefix));
            response
        }
        Err(Error::Interrupted) => {
            let request_prefix = request_prefix();
            tracing::warn!(
                key = request_prefix.as_deref().unwrap_or("-"),
                "session deleted while the request ran; answering 400"
            );
            let mut response = interrupted();
            response
                .extensions_mut()
                .insert(SessionKeyPrefix(request_prefix));
            response
        }
        Err(error) => {
            let request_prefix = request_prefix();
            tracing::error!(
                key = request_prefix.as_deref().unwrap_or("-"),
                error = &error as &dyn std::error::Error,
                "could not save the session"
            );
            server_error(request_prefix)
        }
    }
}

/// The `400` for [`Error::Interrupted`].
pub(crate) fn interrupted<B: From<&'static str>>() -> Response<B> {
    text_response(StatusCode::BAD_REQUEST, INTERRUPTED_MESSAGE)
}

fn server_error<B: From<&'static str>>(prefix: Option<String>) -> Response<B> {
    let mut response = text_response(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
    response.extensions_mut().insert(SessionKeyPrefix(prefix));
    response
}

fn text_response<B: From<&'static str>>(status: StatusCode, text: &'static str) -> Response<B> {
    let mut response = Response::new(B::from(text));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// Writes the cookie and `Vary` headers of `action`.
fn apply(
    manager: &SessionManager,
    action: &CookieAction,
    headers: &mut HeaderMap,
) -> Result<(), http::header::InvalidHeaderValue> {
    if let Some(cookie) = manager.set_cookie_header(action) {
        // room for `Set-Cookie` and `Vary` at once: one growth of the map, not two
        headers.reserve(2);
        headers.append(SET_COOKIE, HeaderValue::try_from(cookie)?);
    }
    if action.vary_cookie() {
        patch_vary(headers);
    }
    Ok(())
}

/// Django's `patch_vary_headers(response, ("Cookie",))` ([`VaryPatch`]): adds `Cookie` to
/// the `Vary` list unless it (or `*`) is there already, keeping the existing entries.
fn patch_vary(headers: &mut HeaderMap) {
    match VaryPatch::for_cookie(headers.get_all(VARY).iter().map(|v| v.as_bytes())) {
        VaryPatch::Keep => {}
        VaryPatch::Set(value) => match HeaderValue::try_from(value) {
            Ok(value) => {
                headers.insert(VARY, value);
            }
            Err(_) => {
                headers.append(VARY, HeaderValue::from_static("Cookie"));
            }
        },
        VaryPatch::Append => {
            headers.append(VARY, HeaderValue::from_static("Cookie"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vary(existing: &[&str]) -> Vec<String> {
        let mut headers = HeaderMap::new();
        for e in existing {
            headers.append(VARY, HeaderValue::from_str(e).unwrap());
        }
        patch_vary(&mut headers);
        headers
            .get_all(VARY)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn vary_is_appended_once() {
        assert_eq!(vary(&[]), ["Cookie"]);
        assert_eq!(vary(&["Accept-Encoding"]), ["Accept-Encoding, Cookie"]);
        assert_eq!(
            vary(&["Accept-Encoding", "Accept-Language"]),
            ["Accept-Encoding, Accept-Language, Cookie"]
        );
        assert_eq!(vary(&["accept, COOKIE"]), ["accept, COOKIE"]);
        assert_eq!(vary(&["*"]), ["*"]);
    }
}
