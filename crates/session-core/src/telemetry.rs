//! Session metrics, through the [`metrics`](https://docs.rs/metrics) facade: the crates
//! count and time their work, the application chooses a recorder (Prometheus, StatsD, ...)
//! and installs it. No library crate of this project installs one.
//!
//! Without a recorder every call below is a thread-local read and an atomic load: store
//! operations are then neither timed nor labelled. The facade decides "no recorder" from
//! the recorder's size: a zero-sized recorder (the facade's own no-op) counts as none.
//!
//! | metric | kind | labels | recorded by |
//! |---|---|---|---|
//! | `session_loads_total` | counter | `backend`, `outcome` = `hit` / `miss` / `error` | every driver (a `miss` is an unknown, expired, malformed or forged key: stores do not tell them apart) |
//! | `session_load_refusals_total` | counter | `backend`, `reason` = `forged` / `expired` / `malformed` | stores that can tell why a key is refused (the signed-cookie store); each is also a `miss` |
//! | `session_creates_total` | counter | `backend`, `outcome` = `ok` / `error` | every driver |
//! | `session_saves_total` | counter | `backend`, `outcome` = `ok` / `interrupted` / `error` | every driver; `interrupted`: the session was deleted meanwhile (HTTP 400) |
//! | `session_touches_total` | counter | `backend`, `outcome` = `ok` / `interrupted` / `unsupported` / `error` | every driver ([rolling expiry](crate::SessionConfig::refresh_after)); `unsupported` is followed by a save |
//! | `session_deletes_total` | counter | `backend`, `outcome` = `ok` / `error` | every driver |
//! | `session_store_op_seconds` | histogram | `backend`, `op` = `load` / `create` / `save` / `touch` / `delete` | every driver |
//! | `session_create_collisions_total` | counter | `backend` | stores that retry a generated key already in use |
//! | `session_cache_lookups_total` | counter | `result` = `hit` / `miss` | `CachedStore` (hit ratio: `hit / (hit + miss)`) |
//! | `session_sweeps_total` | counter | `backend`, `outcome` = `ok` / `error` | sweeps of expired sessions ([`record_sweep`]) |
//! | `session_swept_total` | counter | `backend` | sessions deleted by those sweeps |
//!
//! `backend` is the store's [`backend_name`](crate::SessionStore::backend_name) with module
//! paths dropped (`SqliteStore`, `MokaStore`, `CachedStore<MokaStore, SqliteStore>`,
//! `postgres`, ...).
//!
//! ```
//! use session_core::{MemoryStore, SessionManager, telemetry};
//!
//! // No recorder installed: nothing is measured, nothing breaks.
//! assert!(!telemetry::recording());
//! let manager = SessionManager::new(MemoryStore::new());
//! let mut session = manager.session(None);
//! session.insert("a", 1)?;
//! session.save()?; // would count `session_creates_total{backend="MemoryStore",outcome="ok"}`
//! # Ok::<(), session_core::Error>(())
//! ```

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

use crate::{Error, Outcome, Result};

/// Loads: `backend`, `outcome` (`hit`, `miss`, `error`).
pub const LOADS: &str = "session_loads_total";
/// Keys a store refused and could say why: `backend`, `reason` (`forged`, `expired`,
/// `malformed`).
pub const LOAD_REFUSALS: &str = "session_load_refusals_total";
/// Creates: `backend`, `outcome` (`ok`, `error`).
pub const CREATES: &str = "session_creates_total";
/// Saves: `backend`, `outcome` (`ok`, `interrupted`, `error`).
pub const SAVES: &str = "session_saves_total";
/// Touches: `backend`, `outcome` (`ok`, `interrupted`, `unsupported`, `error`).
pub const TOUCHES: &str = "session_touches_total";
/// Deletes: `backend`, `outcome` (`ok`, `error`).
pub const DELETES: &str = "session_deletes_total";
/// Store operation latency in seconds: `backend`, `op`.
pub const STORE_OP_SECONDS: &str = "session_store_op_seconds";
/// Generated keys that were already in use (the create retried): `backend`.
pub const CREATE_COLLISIONS: &str = "session_create_collisions_total";
/// `CachedStore` lookups of its cache: `result` (`hit`, `miss`).
pub const CACHE_LOOKUPS: &str = "session_cache_lookups_total";
/// Sweeps of expired sessions: `backend`, `outcome` (`ok`, `error`).
pub const SWEEPS: &str = "session_sweeps_total";
/// Sessions deleted by sweeps: `backend`.
pub const SWEPT: &str = "session_swept_total";

/// Whether a metrics recorder is installed (globally, or for this thread): when not,
/// drivers neither time nor count.
///
/// ```
/// assert!(!session_core::telemetry::recording());
/// ```
pub fn recording() -> bool {
    metrics::with_recorder(|recorder| std::mem::size_of_val(recorder) != 0)
}

/// Describes every session metric to the installed recorder (help text and units, shown
/// by exporters such as Prometheus). Call it once, after installing the recorder.
///
/// ```
/// session_core::telemetry::describe(); // no recorder: does nothing
/// ```
pub fn describe() {
    use metrics::{Unit, describe_counter, describe_histogram};
    describe_counter!(
        LOADS,
        "Session loads by outcome (hit, miss: unknown/expired/forged, error)"
    );
    describe_counter!(
        LOAD_REFUSALS,
        "Session keys a store refused, by reason (forged, expired, malformed)"
    );
    describe_counter!(CREATES, "Sessions created");
    describe_counter!(
        SAVES,
        "Session saves by outcome (interrupted: deleted meanwhile, answered 400)"
    );
    describe_counter!(
        TOUCHES,
        "Session expiry renewals (rolling expiry) by outcome"
    );
    describe_counter!(DELETES, "Session deletes");
    describe_histogram!(
        STORE_OP_SECONDS,
        Unit::Seconds,
        "Latency of session store operations"
    );
    describe_counter!(
        CREATE_COLLISIONS,
        "Generated session keys already in use (the create retried)"
    );
    describe_counter!(
        CACHE_LOOKUPS,
        "CachedStore cache lookups by result (hit, miss)"
    );
    describe_counter!(SWEEPS, "Sweeps of expired sessions by outcome");
    describe_counter!(SWEPT, "Expired sessions deleted by sweeps");
}

/// Records a sweep of expired sessions by `backend` (a store's
/// [`backend_name`](crate::SessionStore::backend_name)): its outcome, and how many sessions
/// it deleted. For code that runs `clear_expired` (a background task, a command).
///
/// ```
/// use session_core::{ClearExpired, MemoryStore, SessionStore, telemetry};
/// let store = MemoryStore::new();
/// let swept = store.clear_expired();
/// telemetry::record_sweep(store.backend_name(), &swept);
/// ```
pub fn record_sweep(backend: &'static str, result: &Result<u64>) {
    if !recording() {
        return;
    }
    let backend = backend_label(backend);
    match result {
        Ok(count) => {
            metrics::counter!(SWEEPS, "backend" => backend, "outcome" => "ok").increment(1);
            metrics::counter!(SWEPT, "backend" => backend).increment(*count);
        }
        Err(_) => {
            metrics::counter!(SWEEPS, "backend" => backend, "outcome" => "error").increment(1)
        }
    }
}

/// Counts a generated key that was already in use, for stores that retry their create.
///
/// ```
/// session_core::telemetry::record_create_collision("MyStore");
/// ```
pub fn record_create_collision(backend: &'static str) {
    if recording() {
        metrics::counter!(CREATE_COLLISIONS, "backend" => backend_label(backend)).increment(1);
    }
}

/// Counts a key a store refused, with the reason (`forged`, `expired`, `malformed`), for
/// stores that can tell (the load itself still counts as a `miss`).
///
/// ```
/// session_core::telemetry::record_load_refusal("CookieStore", "forged");
/// ```
pub fn record_load_refusal(backend: &'static str, reason: &'static str) {
    if recording() {
        metrics::counter!(LOAD_REFUSALS, "backend" => backend_label(backend), "reason" => reason)
            .increment(1);
    }
}

/// Counts a lookup in a cache in front of a store (`CachedStore`).
///
/// ```
/// session_core::telemetry::record_cache_lookup(true);
/// ```
pub fn record_cache_lookup(hit: bool) {
    if recording() {
        let result = if hit { "hit" } else { "miss" };
        metrics::counter!(CACHE_LOOKUPS, "result" => result).increment(1);
    }
}

/// Counts and times one store operation (`op` as [`StoreOp::name`](crate::StoreOp::name)
/// gives it); called by the drivers' `perform` only when [`recording`].
pub(crate) fn record_op(
    backend: &'static str,
    op: &'static str,
    outcome: &Result<Outcome>,
    elapsed: Duration,
) {
    let backend = backend_label(backend);
    let name = match op {
        "load" => LOADS,
        "create" => CREATES,
        "save" => SAVES,
        "touch" => TOUCHES,
        _ => DELETES,
    };
    let result = match outcome {
        Ok(Outcome::Loaded(None) | Outcome::LoadedRecord(None)) => "miss",
        Ok(Outcome::Loaded(Some(_)) | Outcome::LoadedRecord(Some(_))) => "hit",
        Ok(_) => "ok",
        Err(Error::Interrupted) => "interrupted",
        Err(Error::Unsupported { .. }) => "unsupported",
        Err(_) => "error",
    };
    metrics::counter!(name, "backend" => backend, "outcome" => result).increment(1);
    metrics::histogram!(STORE_OP_SECONDS, "backend" => backend, "op" => op)
        .record(elapsed.as_secs_f64());
}

/// `backend` without module paths: `session_db::store::SqliteStore` → `SqliteStore`
/// (computed once per name).
fn backend_label(backend: &'static str) -> &'static str {
    if !backend.contains("::") {
        return backend;
    }
    static LABELS: OnceLock<Mutex<HashMap<&'static str, &'static str>>> = OnceLock::new();
    let mut labels = LABELS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    // one leaked string per store type: a handful per process
    labels
        .entry(backend)
        .or_insert_with(|| Box::leak(strip_paths(backend).into_boxed_str()))
}

/// Drops the module path of every type name in `name`.
fn strip_paths(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut token = String::new();
    let flush = |token: &mut String, out: &mut String| {
        out.push_str(token.rsplit("::").next().unwrap_or_default());
        token.clear();
    };
    for c in name.chars() {
        if c.is_alphanumeric() || c == '_' || c == ':' {
            token.push(c);
        } else {
            flush(&mut token, &mut out);
            out.push(c);
        }
    }
    flush(&mut token, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_lose_their_paths() {
        assert_eq!(strip_paths("session_db::store::SqliteStore"), "SqliteStore");
        assert_eq!(
            strip_paths(
                "session_cache::cached::CachedStore<session_cache::store::MokaStore, \
                 alloc::sync::Arc<dyn session_core::store::SessionStore>>"
            ),
            "CachedStore<MokaStore, Arc<dyn SessionStore>>"
        );
        assert_eq!(strip_paths("postgres"), "postgres");
        assert_eq!(backend_label("a::B"), "B");
        assert_eq!(backend_label("a::B"), "B");
    }
}
