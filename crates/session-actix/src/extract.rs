//! The `Session` extractor and the error types handlers return.

use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use session_core::Error;

use crate::middleware::{internal_error, interrupted};

/// The request's session, as an actix-web extractor. Needs a
/// [`SessionMiddleware`](crate::SessionMiddleware) around the route.
///
/// It has the methods of [`session_core::Session`], made `async` (they are those of
/// [`session_tower::Session`], reached through `Deref`: one async session, driven the same
/// way under both frameworks): `get`, `insert`, `remove`, `flush`, `cycle_key`,
/// `set_expiry`, ... Every extractor of one request (two handler arguments, a middleware
/// and a handler) sees the same session; each method locks it for one operation only, so
/// no order of calls can deadlock.
///
/// Extracting loads the session from its store (at most one store trip; none for a new
/// visitor). After that, reads and writes only touch memory; `flush`, `cycle_key` and
/// `save` go to the store again. Changes are saved by the middleware when the response goes
/// out. A handler that does not extract `Session` costs no store access.
///
/// ```
/// use actix_web::{App, web};
/// use session_actix::{Session, SessionError, SessionMiddleware};
/// use session_core::{MemoryStore, SessionManager};
///
/// async fn comment(session: Session) -> Result<&'static str, SessionError> {
///     if session.get::<bool>("has_commented").await?.unwrap_or(false) {
///         return Ok("You've already commented.");
///     }
///     session.insert("has_commented", true).await?;
///     Ok("Thanks for your comment!")
/// }
///
/// let app = App::new()
///     .wrap(SessionMiddleware::new(SessionManager::new(MemoryStore::new())))
///     .route("/comment", web::post().to(comment));
/// # let _ = app;
/// ```
///
/// `Option<Session>` is `None` when no middleware runs around the route (or the store
/// failed to load it: actix-web's `Option` extractor turns any rejection into `None`).
#[derive(Debug, Clone)]
pub struct Session(session_tower::Session);

impl Session {
    /// A session extractor over a core session, outside any middleware: for unit tests of
    /// handlers. Nothing is saved unless you call `save`.
    ///
    /// ```
    /// # actix_web::rt::System::new().block_on(async {
    /// use session_core::{MemoryStore, SessionManager};
    /// let manager = SessionManager::new(MemoryStore::new());
    /// let session = session_actix::Session::from_core(manager.session(None));
    /// session.insert("member_id", 1).await?;
    /// assert_eq!(session.get::<u32>("member_id").await?, Some(1));
    /// # Ok::<(), session_core::Error>(()) }).unwrap();
    /// ```
    pub fn from_core(session: session_core::Session) -> Self {
        Session(session_tower::Session::from_core(session))
    }
}

impl Deref for Session {
    type Target = session_tower::Session;

    fn deref(&self) -> &session_tower::Session {
        &self.0
    }
}

impl FromRequest for Session {
    type Error = SessionRejection;
    type Future = Pin<Box<dyn Future<Output = Result<Session, SessionRejection>>>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let session = request
            .extensions()
            .get::<session_tower::Session>()
            .cloned();
        Box::pin(async move {
            let session = session.ok_or(SessionRejection::MissingMiddleware)?;
            // The one store trip of the request phase; later extractions find it loaded,
            // and a session without a key (a new visitor) loads without touching the store.
            session
                .drive(|s| s.begin_load())
                .await
                .map_err(SessionRejection::Load)?;
            Ok(Session(session))
        })
    }
}

/// Why a [`Session`] could not be extracted. Answers `500 Internal Server Error` and logs
/// the cause.
///
/// ```
/// use actix_web::ResponseError;
/// let rejection = session_actix::SessionRejection::MissingMiddleware;
/// assert_eq!(rejection.error_response().status(), 500);
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionRejection {
    /// The route has no [`SessionMiddleware`](crate::SessionMiddleware): a programming error.
    #[error("no SessionMiddleware around this route: cannot extract the session")]
    MissingMiddleware,
    /// The store failed while loading the session.
    #[error("could not load the session")]
    Load(#[source] Error),
}

impl ResponseError for SessionRejection {
    fn status_code(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }

    fn error_response(&self) -> HttpResponse {
        tracing::error!(
            error = self as &dyn std::error::Error,
            "session extraction failed"
        );
        internal_error()
    }
}

/// A [`session_core::Error`] as an actix-web error, so that handlers can use `?` on session
/// calls: [`Error::Interrupted`] answers `400` with
/// [`INTERRUPTED_MESSAGE`](crate::INTERRUPTED_MESSAGE), anything else `500` (logged at
/// `error` level; the cause is never shown to the client).
///
/// ```
/// use actix_web::ResponseError;
/// use session_actix::SessionError;
///
/// let error = SessionError::from(session_core::Error::Interrupted);
/// assert_eq!(error.error_response().status(), 400);
/// let error = SessionError::from(session_core::Error::KeyExists);
/// assert_eq!(error.error_response().status(), 500);
/// ```
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct SessionError(pub Error);

impl From<Error> for SessionError {
    fn from(error: Error) -> Self {
        SessionError(error)
    }
}

impl ResponseError for SessionError {
    fn status_code(&self) -> StatusCode {
        match self.0 {
            Error::Interrupted => StatusCode::BAD_REQUEST,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match &self.0 {
            Error::Interrupted => interrupted(),
            error => {
                tracing::error!(error = error as &dyn std::error::Error, "session error");
                internal_error()
            }
        }
    }
}
