//! The axum extractor: one request's session, with the methods of core's `Session`.

use axum_core::extract::{FromRequestParts, OptionalFromRequestParts};
use axum_core::response::{IntoResponse, Response};
use http::StatusCode;
use http::request::Parts;
use session_core::Error;

use crate::Session;
use crate::handle::Handle;

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

/// `Option<Session>`: `None` when no [`SessionLayer`](crate::SessionLayer) runs around the
/// route (a handler shared by routes with and without sessions), instead of the `500` of a
/// plain `Session` extractor. With the layer, the session is loaded as for `Session`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use axum::{Router, body::Body, http::Request, routing::get};
/// use session_tower::Session;
/// use tower::ServiceExt;
///
/// async fn maybe(session: Option<Session>) -> &'static str {
///     if session.is_some() { "with a session" } else { "without" }
/// }
/// let app = Router::new().route("/", get(maybe)); // no SessionLayer
/// let response = app.oneshot(Request::get("/").body(Body::empty()).unwrap()).await.unwrap();
/// let body = axum::body::to_bytes(response.into_body(), 64).await.unwrap();
/// assert_eq!(&body[..], b"without");
/// # }
/// ```
impl<S: Send + Sync> OptionalFromRequestParts<S> for Session {
    type Rejection = SessionRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        if parts.extensions.get::<Handle>().is_none() {
            return Ok(None);
        }
        <Session as FromRequestParts<S>>::from_request_parts(parts, state)
            .await
            .map(Some)
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
            Error::Interrupted => crate::layer::interrupted::<axum_core::body::Body>(),
            error => {
                tracing::error!(error = &error as &dyn std::error::Error, "session error");
                (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response()
            }
        }
    }
}
