//! Integration tests of session-tower: the middleware checks (over every store
//! configuration below), the extractor without a layer, and the sweeping task.

mod middleware;
mod misc;
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
