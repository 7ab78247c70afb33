//! The actix-web middleware: Django's `SessionMiddleware`.

use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::rc::Rc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::{HttpMessage, HttpResponse};
use session_core::headers::{RequestCookie, VaryPatch};
use session_core::{CookieAction, Error, SessionManager, key_prefix};
use session_tower::{INTERRUPTED_MESSAGE, SessionKeyPrefix};

/// Django's `SessionMiddleware` for actix-web: gives each request a
/// [`Session`](crate::Session) and, on the way out, saves it and sets, refreshes or deletes
/// the session cookie as [`SessionManager::plan`] decides.
///
/// - **Lazy**: the session is loaded when a handler first extracts it; a request that never
///   does costs no store access.
/// - **The store schedules its I/O**: store operations go through the store's async face
///   ([`AsyncSessionStore`](session_core::AsyncSessionStore)) on the worker's runtime
///   (actix-web runs on tokio): memory-only stores answer in place, SQLite in place when it
///   cannot wait and on tokio's blocking pool when it would, files write on the pool, and
///   the PostgreSQL and Redis stores await the network on the request's task. A manager
///   over a sync face alone ([`SessionManager::new_sync`]) runs its store on the worker
///   thread.
/// - **Responses**: `Set-Cookie` exactly as Django writes it, `Vary: Cookie` added to (never
///   replacing) any existing `Vary`, nothing saved on 5xx, and `400 Bad Request` with
///   [`INTERRUPTED_MESSAGE`] when a concurrent request deleted the session (a logout is
///   never undone). Other store failures give `500` and an `error` log event.
///
/// Every response gets a [`SessionKeyPrefix`] extension for request logs.
///
/// ```
/// use actix_web::{App, web};
/// use session_actix::{Session, SessionMiddleware};
/// use session_core::{MemoryStore, SessionConfig, SessionManager};
///
/// async fn visit(session: Session) -> String {
///     let visits = session.get::<u64>("visits").await.ok().flatten().unwrap_or(0) + 1;
///     session.insert("visits", visits).await.ok();
///     format!("visit number {visits}")
/// }
///
/// let manager = SessionManager::new(MemoryStore::new())
///     .with_config(SessionConfig::default().with_cookie_secure(true));
/// let app = App::new()
///     .wrap(SessionMiddleware::new(manager))
///     .route("/", web::get().to(visit));
/// # let _ = app;
/// ```
#[derive(Debug, Clone)]
pub struct SessionMiddleware {
    manager: SessionManager,
}

impl SessionMiddleware {
    /// A middleware over `manager`'s store, serializer and config. Build it once, outside
    /// `HttpServer::new`'s factory, and clone it into each worker's `App`: the manager (and
    /// its store's pool) is shared, not opened per worker.
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionManager};
    /// let middleware = session_actix::SessionMiddleware::new(SessionManager::new(MemoryStore::new()));
    /// # let _ = middleware;
    /// ```
    pub fn new(manager: SessionManager) -> Self {
        SessionMiddleware { manager }
    }

    /// The manager.
    ///
    /// ```
    /// # use session_core::{MemoryStore, SessionManager};
    /// let middleware = session_actix::SessionMiddleware::new(SessionManager::new(MemoryStore::new()));
    /// assert_eq!(middleware.manager().config().cookie_name, "sessionid");
    /// ```
    pub fn manager(&self) -> &SessionManager {
        &self.manager
    }
}

impl<S, B> Transform<S, ServiceRequest> for SessionMiddleware
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = SessionService<S>;
    type InitError = ();
    type Future = Ready<Result<SessionService<S>, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(SessionService {
            service: Rc::new(service),
            manager: self.manager.clone(),
        }))
    }
}

/// The service made by [`SessionMiddleware`] around an app's routes (actix-web builds it;
/// you name it only in type signatures).
///
/// ```
/// use actix_web::{App, test, web};
/// # use session_core::{MemoryStore, SessionManager};
/// # actix_web::rt::System::new().block_on(async {
/// let middleware = session_actix::SessionMiddleware::new(SessionManager::new(MemoryStore::new()));
/// let app = test::init_service(App::new().wrap(middleware).route("/", web::get().to(|| async { "hi" }))).await;
/// let response = test::call_service(&app, test::TestRequest::get().uri("/").to_request()).await;
/// assert!(response.status().is_success());
/// # });
/// ```
pub struct SessionService<S> {
    service: Rc<S>,
    manager: SessionManager,
}

impl<S> std::fmt::Debug for SessionService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionService")
            .field("manager", &self.manager)
            .finish_non_exhaustive()
    }
}

impl<S, B> Service<ServiceRequest> for SessionService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>>>>;

    forward_ready!(service);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        let cookie = RequestCookie::find(
            request
                .headers()
                .get_all(header::COOKIE)
                .map(|v| v.as_bytes()),
            &self.manager.config().cookie_name,
        );
        let session =
            session_tower::Session::from_core(self.manager.session(cookie.value.as_deref()));
        request.extensions_mut().insert(session.clone());
        let response = self.service.call(request);
        let manager = self.manager.clone();
        Box::pin(async move {
            let response = response.await?;
            Ok(finish(&manager, &session, cookie, response).await)
        })
    }
}

/// The response phase: core's plan, performed through the session's driver, then the
/// cookie and `Vary` headers.
async fn finish<B>(
    manager: &SessionManager,
    session: &session_tower::Session,
    cookie: RequestCookie,
    mut response: ServiceResponse<B>,
) -> ServiceResponse<EitherBody<B>> {
    let request_prefix = || cookie.value.as_deref().map(key_prefix);
    let status = response.status().as_u16();
    let result = session.respond(status, cookie.present).await;
    let (answer, prefix) = match result {
        Ok((action, prefix)) => match apply(manager, &action, response.headers_mut()) {
            Ok(()) => {
                response
                    .response_mut()
                    .extensions_mut()
                    .insert(SessionKeyPrefix(prefix));
                return response.map_into_left_body();
            }
            Err(error) => {
                tracing::error!(error = %error, "session cookie is not a valid header value");
                (internal_error(), request_prefix())
            }
        },
        Err(Error::Interrupted) => {
            let prefix = request_prefix();
            tracing::warn!(
                key = prefix.as_deref().unwrap_or("-"),
                "session deleted while the request ran; answering 400"
            );
            (interrupted(), prefix)
        }
        Err(error) => {
            let prefix = request_prefix();
            tracing::error!(
                key = prefix.as_deref().unwrap_or("-"),
                error = &error as &dyn std::error::Error,
                "could not save the session"
            );
            (internal_error(), prefix)
        }
    };
    let (request, _) = response.into_parts();
    let mut answer = answer;
    answer.extensions_mut().insert(SessionKeyPrefix(prefix));
    ServiceResponse::new(request, answer).map_into_right_body()
}

/// The `400` for [`Error::Interrupted`]: Django's `SessionInterrupted`.
pub(crate) fn interrupted() -> HttpResponse {
    text_response(StatusCode::BAD_REQUEST, INTERRUPTED_MESSAGE)
}

/// A `500` that shows the client nothing of the cause.
pub(crate) fn internal_error() -> HttpResponse {
    text_response(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
}

fn text_response(status: StatusCode, text: &'static str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/plain; charset=utf-8")
        .body(text)
}

/// Writes the cookie and `Vary` headers of `action`.
fn apply(
    manager: &SessionManager,
    action: &CookieAction,
    headers: &mut HeaderMap,
) -> Result<(), header::InvalidHeaderValue> {
    if let Some(cookie) = manager.set_cookie_header(action) {
        headers.append(header::SET_COOKIE, HeaderValue::try_from(cookie)?);
    }
    if action.vary_cookie() {
        let cookie = HeaderValue::from_static("Cookie");
        match VaryPatch::for_cookie(headers.get_all(header::VARY).map(|v| v.as_bytes())) {
            VaryPatch::Keep => {}
            VaryPatch::Set(value) => match HeaderValue::try_from(value) {
                Ok(value) => {
                    headers.insert(header::VARY, value);
                }
                Err(_) => headers.append(header::VARY, cookie),
            },
            VaryPatch::Append => headers.append(header::VARY, cookie),
        }
    }
    Ok(())
}
