//! The demo's errors: each prints as one line.

use std::net::SocketAddr;

use session_core::BoxError;

/// What stops the demo. [`report`](Self::report) gives the one-line message for the
/// terminal, with every cause.
///
/// ```
/// let err = session_demo::Options::parse(["--frobnicate"]).unwrap_err();
/// assert_eq!(err.report(), "unknown flag `--frobnicate` (see --help)");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DemoError {
    /// Bad command line.
    #[error("{0} (see --help)")]
    Usage(String),
    /// The store could not be opened (bad path, not a database, no permission…).
    #[error("cannot open {what}")]
    Open {
        /// What was being opened.
        what: String,
        /// Why not.
        #[source]
        source: BoxError,
    },
    /// A secret was refused by the signing code (an empty one).
    #[error("the secret was refused")]
    Secret(#[source] session_core::Error),
    /// The address could not be bound.
    #[error("cannot listen on {addr}")]
    Listen {
        /// `--addr`.
        addr: SocketAddr,
        /// Why not.
        #[source]
        source: std::io::Error,
    },
    /// The store failed while working.
    #[error("the session store failed")]
    Store {
        /// The store's error.
        #[source]
        source: session_core::Error,
    },
    /// `--addr` names a host that does not resolve.
    #[error("cannot resolve `--addr {addr}`")]
    Resolve {
        /// `--addr`.
        addr: String,
        /// Why not.
        #[source]
        source: std::io::Error,
    },
    /// The server stopped with an error.
    #[error("the server failed")]
    Serve(#[source] std::io::Error),
}

impl DemoError {
    /// The error and all its causes on one line, joined by `: `.
    ///
    /// ```
    /// let io = std::io::Error::other("permission denied");
    /// let err = session_demo::DemoError::Serve(io);
    /// assert_eq!(err.report(), "the server failed: permission denied");
    /// ```
    pub fn report(&self) -> String {
        let mut line = self.to_string();
        let mut cause = std::error::Error::source(self);
        while let Some(error) = cause {
            let text = error.to_string();
            // "sqlite backend error" and "cannot open the session database `…`" repeat
            // what this error already says; their causes do not.
            let wrapper = matches!(
                error.downcast_ref::<session_core::Error>(),
                Some(session_core::Error::Backend { .. })
            ) || error.is::<session_db::OpenError>();
            if !wrapper && !line.ends_with(&text) {
                line.push_str(": ");
                line.push_str(&text);
            }
            cause = error.source();
        }
        line.replace('\n', " ")
    }
}
