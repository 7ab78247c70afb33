//! The store operations a session asks for, and what the store answered: the seam between
//! the session's decisions (in core) and the drivers that perform its I/O.
//!
//! A [`Session`](crate::Session) never decides *how* to reach its store. Every method that
//! needs the store starts an operation (`begin_load`, `begin_save`, `begin_flush`,
//! `begin_cycle_key`); the session then says, one step at a time, what it needs
//! ([`Session::next_op`](crate::Session::next_op) → a [`StoreOp`]), a driver performs it and
//! reports the [`Outcome`] ([`Session::complete`](crate::Session::complete)). The sync
//! methods of `Session` are one such driver; a web integration drives the same steps
//! asynchronously. No rule of the session lives in a driver.
//!
//! ```
//! use session_core::{MemoryStore, SessionManager};
//!
//! let manager = SessionManager::new(MemoryStore::new());
//! let mut session = manager.session(None);
//! session.insert("cart", 3)?;
//!
//! // A driver: perform what the session asks for until it asks for nothing.
//! session.begin_save();
//! while let Some(op) = session.next_op()? {
//!     let outcome = op.perform(manager.store()); // or an async store, or another thread
//!     session.complete(outcome)?;
//! }
//! assert!(session.key().is_some());
//! # Ok::<(), session_core::Error>(())
//! ```

use std::time::SystemTime;

use crate::{Record, Result, SessionStore};

/// One store operation a session needs; see [the module](self).
///
/// ```
/// use std::time::SystemTime;
/// use session_core::{MemoryStore, Outcome, Record, StoreOp};
///
/// let store = MemoryStore::new();
/// let op = StoreOp::Create { record: Record::new(b"{}".to_vec(), SystemTime::now()) };
/// assert!(matches!(op.perform(&store)?, Outcome::Created(_)));
/// # Ok::<(), session_core::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreOp {
    /// Read the record of `key` ([`SessionStore::load`]); answer [`Outcome::Loaded`].
    Load {
        /// The client's key.
        key: String,
    },
    /// Store `record` under a fresh key ([`SessionStore::create`]); answer
    /// [`Outcome::Created`].
    Create {
        /// The new session.
        record: Record,
    },
    /// Replace the record of a live session ([`SessionStore::save`]); answer
    /// [`Outcome::Saved`].
    Save {
        /// The session's key.
        key: String,
        /// Its new record.
        record: Record,
    },
    /// Remove a session ([`SessionStore::delete`]); answer [`Outcome::Deleted`].
    Delete {
        /// The key to remove.
        key: String,
    },
    /// Read the record of `key` with its expiry ([`SessionStore::load_record`]); answer
    /// [`Outcome::LoadedRecord`]. Asked for instead of [`StoreOp::Load`] when
    /// [`SessionConfig::refresh_after`](crate::SessionConfig::refresh_after) is set: the
    /// stored expiry tells when the session was last renewed.
    LoadRecord {
        /// The client's key.
        key: String,
    },
    /// Move only the expiry of a live session ([`SessionStore::touch`]); answer
    /// [`Outcome::Touched`]. A store that answers [`Error::Unsupported`](crate::Error) is
    /// saved instead (the session asks for a [`StoreOp::Save`] next).
    Touch {
        /// The session's key.
        key: String,
        /// Its new expiry.
        expires_at: SystemTime,
    },
}

/// What the store answered to a [`StoreOp`].
///
/// ```
/// use session_core::Outcome;
/// let outcome = Outcome::Loaded(None); // the store does not know the key
/// # let _ = outcome;
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// The stored bytes of a live session, or `None`.
    Loaded(Option<Vec<u8>>),
    /// The key of the new session.
    Created(String),
    /// The key to send to the client now.
    Saved(String),
    /// The session is gone.
    Deleted,
    /// The record (bytes and expiry) of a live session, or `None`.
    LoadedRecord(Option<Record>),
    /// The expiry moved.
    Touched,
}

impl StoreOp {
    /// Performs the operation against a sync store: the whole of a sync driver's work.
    ///
    /// ```
    /// use session_core::{MemoryStore, Outcome, StoreOp};
    /// let op = StoreOp::Load { key: "nosuchkey123".into() };
    /// assert_eq!(op.perform(&MemoryStore::new())?, Outcome::Loaded(None));
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn perform(self, store: &(impl SessionStore + ?Sized)) -> Result<Outcome> {
        let backend = store.backend_name();
        let span = self.span(backend);
        // A span nobody takes is neither entered nor timed, nor an operation no metrics
        // recorder counts.
        let enabled = !span.is_disabled();
        let metered = crate::telemetry::recording();
        let op = self.name();
        let _entered = enabled.then(|| span.enter());
        let started = (enabled || metered).then(std::time::Instant::now);
        let outcome = match self {
            StoreOp::Load { key } => store.load(&key).map(Outcome::Loaded),
            StoreOp::Create { record } => store.create(&record).map(Outcome::Created),
            StoreOp::Save { key, record } => store.save(&key, &record).map(Outcome::Saved),
            StoreOp::Delete { key } => store.delete(&key).map(|()| Outcome::Deleted),
            StoreOp::LoadRecord { key } => store.load_record(&key).map(Outcome::LoadedRecord),
            StoreOp::Touch { key, expires_at } => {
                store.touch(&key, expires_at).map(|()| Outcome::Touched)
            }
        };
        if let (true, Some(started)) = (metered, started) {
            crate::telemetry::record_op(backend, op, &outcome, started.elapsed());
        }
        record_outcome(&span, &outcome, started.filter(|_| enabled));
        outcome
    }

    /// The `tracing` span of one store operation (target `session::store`): `backend`,
    /// `op`, `key` (its prefix only), and, once it is done, `outcome` and `micros`.
    pub(crate) fn span(&self, backend: &'static str) -> tracing::Span {
        let key = match self {
            StoreOp::Load { key }
            | StoreOp::LoadRecord { key }
            | StoreOp::Save { key, .. }
            | StoreOp::Touch { key, .. }
            | StoreOp::Delete { key } => key,
            StoreOp::Create { .. } => "",
        };
        tracing::debug_span!(
            target: "session::store",
            "session.store",
            backend,
            op = self.name(),
            key = %crate::KeyPrefix(key),
            outcome = tracing::field::Empty,
            micros = tracing::field::Empty,
        )
    }

    /// The operation's name, for logs, traces and metrics: `load`, `create`, `save`,
    /// `delete` or `touch` (a [`StoreOp::LoadRecord`] is a `load`).
    ///
    /// ```
    /// let op = session_core::StoreOp::Delete { key: "abcdefgh".into() };
    /// assert_eq!(op.name(), "delete");
    /// ```
    pub fn name(&self) -> &'static str {
        match self {
            StoreOp::Load { .. } | StoreOp::LoadRecord { .. } => "load",
            StoreOp::Touch { .. } => "touch",
            StoreOp::Create { .. } => "create",
            StoreOp::Save { .. } => "save",
            StoreOp::Delete { .. } => "delete",
        }
    }
}

// Keys are bearer credentials and data may hold secrets: Debug shows key prefixes and sizes.
impl std::fmt::Debug for StoreOp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut out = f.debug_struct(self.name());
        match self {
            StoreOp::Load { key } | StoreOp::LoadRecord { key } | StoreOp::Delete { key } => {
                out.field("key", &crate::key_prefix(key));
            }
            StoreOp::Touch { key, expires_at } => {
                out.field("key", &crate::key_prefix(key));
                out.field("expires_at", expires_at);
            }
            StoreOp::Create { record } => {
                out.field("record", record);
            }
            StoreOp::Save { key, record } => {
                out.field("key", &crate::key_prefix(key));
                out.field("record", record);
            }
        }
        out.finish()
    }
}

impl std::fmt::Debug for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Loaded(None) => f.write_str("Loaded(None)"),
            Outcome::Loaded(Some(bytes)) => write!(f, "Loaded([{} bytes])", bytes.len()),
            Outcome::Created(key) => write!(f, "Created({})", crate::key_prefix(key)),
            Outcome::Saved(key) => write!(f, "Saved({})", crate::key_prefix(key)),
            Outcome::Deleted => f.write_str("Deleted"),
            Outcome::LoadedRecord(None) => f.write_str("LoadedRecord(None)"),
            Outcome::LoadedRecord(Some(record)) => write!(f, "LoadedRecord({record:?})"),
            Outcome::Touched => f.write_str("Touched"),
        }
    }
}

/// Records how a store operation ended on its span; `started` is `None` when no subscriber
/// takes the span (then nothing is measured or recorded).
pub(crate) fn record_outcome(
    span: &tracing::Span,
    outcome: &Result<Outcome>,
    started: Option<std::time::Instant>,
) {
    let Some(started) = started else {
        return;
    };
    let name = match outcome {
        Ok(Outcome::Loaded(None) | Outcome::LoadedRecord(None)) => "miss",
        Ok(Outcome::Loaded(Some(_)) | Outcome::LoadedRecord(Some(_))) => "hit",
        Ok(_) => "ok",
        Err(crate::Error::Interrupted) => "interrupted",
        Err(crate::Error::Unsupported { .. }) => "unsupported",
        Err(_) => "error",
    };
    span.record("outcome", name);
    span.record(
        "micros",
        u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
    );
}

/// An operation a session has started and not finished; the head of its queue decides the
/// next [`StoreOp`].
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Intent {
    /// Make the data available (lazy load).
    Load,
    /// Create or update the record.
    Save,
    /// Create the record under a new key, then delete the old one.
    CycleKey,
    /// Remove this key from the store.
    Delete(String),
    /// Move the expiry of the loaded session (rolling expiry); a save when the store
    /// cannot.
    Touch,
}

impl std::fmt::Debug for Intent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Intent::Load => f.write_str("Load"),
            Intent::Save => f.write_str("Save"),
            Intent::CycleKey => f.write_str("CycleKey"),
            Intent::Delete(key) => write!(f, "Delete({})", crate::key_prefix(key)),
            Intent::Touch => f.write_str("Touch"),
        }
    }
}
