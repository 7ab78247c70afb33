//! Integration tests of session-tower: the middleware checks (over every store
//! configuration below), the extractor without a layer, and the sweeping task.

mod boundary;
mod middleware;
mod misc;
mod postgres;
mod support;

use session_core::MemoryStore;
use support::Mode;

// The reference store, inline as it asks.
middleware_tests!(memory, MemoryStore::new(), Mode::Native);
// A store double that says it blocks: every store call must leave the executor thread.
middleware_tests!(blocking_double, MemoryStore::new(), Mode::Blocking);
// The same double with the documented `.inline(true)` opt-in.
middleware_tests!(
    blocking_opted_inline,
    MemoryStore::new(),
    Mode::BlockingOptedInline
);

// Real backends. The signed-cookie store keeps nothing server-side (its `delete` is a
// no-op and every save is a new cookie), so it is covered by session-demo's HTTP flows
// rather than by these server-side checks.
middleware_tests!(
    sqlite,
    session_db::SqliteStore::in_memory().unwrap(),
    Mode::Native
);
middleware_tests!(
    sqlite_inline,
    session_db::SqliteStore::in_memory().unwrap(),
    Mode::BlockingOptedInline
);
middleware_tests!(file, support::file_store(), Mode::Native);
middleware_tests!(moka, session_cache::MokaStore::new(), Mode::Native);
