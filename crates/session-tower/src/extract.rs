//! The axum extractor: one request's session, with the methods of core's `Session`.

use axum_core::extract::FromRequestParts;
use axum_core::response::{IntoResponse, Response};
use http::StatusCode;
use http::request::Parts;
use session_core::Error;

use crate::handle::Handle;

/// The request's session, as an axum extractor. Needs a [`SessionLayer`](crate::SessionLayer)
/// around the route.
///
/// The methods are those of [`session_core::Session`], made `async` because the session
/// is shared: any number of extractors in one request (two handler arguments, a
/// middleware and a handler) see the same data. Each method locks the session for that one
/// operation only, so no order of calls can deadlock.
///
/// Extracting loads the session from its store (one trip to the blocking thread pool for
/// stores that touch disk or network; inline for memory-only stores). After that, reads and
/// writes only touch memory; [`flush`](Self::flush), [`cycle_key`](Self::cycle_key) and
/// [`save`](Self::save) go to the store again. Changes are saved by the layer when the
/// response goes out. A handler that does not extract `Session` costs no store access.
///
/// ```
/// use axum::{Router, routing::post};
/// use session_core::{MemoryStore, SessionManager};
/// use session_tower::{Session, SessionLayer};
///
/// use session_tower::SessionError;
///
/// async fn comment(session: Session) -> Result<&'static str, SessionError> {
///     if session.get::<bool>("has_commented").await?.unwrap_or(false) {
///         return Ok("You've already commented.");
///     }
///     session.insert("has_commented", true).await?;
///     Ok("Thanks for your comment!")
/// }
///
/// let app: Router = Router::new()
///     .route("/comment", post(comment))
///     .layer(SessionLayer::new(SessionManager::new(MemoryStore::new())));
/// # let _ = app;
/// ```
///
/// Handlers return [`SessionError`] to turn a `session_core::Error` into a response with `?`.
#[derive(Clone)]
pub struct Session {
    pub(crate) handle: Handle,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("drive", &self.handle.drive_mode())
            .finish_non_exhaustive()
    }
}

/// Why a [`Session`] could not be extracted. Answers `500 Internal Server Error` and logs
/// the cause.
///
/// ```
/// use axum_core::response::IntoResponse;
/// let response = session_tower::SessionRejection::MissingLayer.into_response();
/// assert_eq!(response.status(), 500);
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionRejection {
    /// The route has no [`SessionLayer`](crate::SessionLayer): a programming error.
    #[error("no SessionLayer around this route: cannot extract the session")]
    MissingLayer,
    /// The store failed while loading the session.
    #[error("could not load the session")]
    Load(#[source] Error),
}

impl IntoResponse for SessionRejection {
    fn into_response(self) -> Response {
        tracing::error!(
            error = &self as &dyn std::error::Error,
            "session extraction failed"
        );
        (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Session {
    type Rejection = SessionRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let handle = parts
            .extensions
            .get::<Handle>()
            .cloned()
            .ok_or(SessionRejection::MissingLayer)?;
        // The one store trip of the request phase; later extractions find it loaded, and
        // a session without a key (a new visitor) loads without touching the store.
        handle
            .drive(|s| s.begin_load())
            .await
            .map_err(SessionRejection::Load)?;
        Ok(Session { handle })
    }
}

/// A [`session_core::Error`] as an axum response, so that handlers can use `?` on session
/// calls: [`Error::Interrupted`] answers `400` with
/// [`INTERRUPTED_MESSAGE`](crate::INTERRUPTED_MESSAGE), anything else `500` (logged at
/// `error` level; the cause is never shown to the client).
///
/// ```
/// use axum_core::response::IntoResponse;
/// use session_tower::SessionError;
///
/// let response = SessionError::from(session_core::Error::Interrupted).into_response();
/// assert_eq!(response.status(), 400);
/// let response = SessionError::from(session_core::Error::KeyExists).into_response();
/// assert_eq!(response.status(), 500);
/// ```
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct SessionError(pub Error);

impl From<Error> for SessionError {
    fn from(error: Error) -> Self {
        SessionError(error)
    }
}

impl IntoResponse for SessionError {
    fn into_response(self) -> Response {
        match self.0 {
            Error::Interrupted => crate::layer::interrupted(),
            error => {
                tracing::error!(error = &error as &dyn std::error::Error, "session error");
                (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response()
            }
        }
    }
}
