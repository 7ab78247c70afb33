//! The reference store passes the whole suite.

use session_core::MemoryStore;

session_core::conformance_tests!(memory, MemoryStore::new(), clear_expired);
session_core::conformance_tests!(memory_client_side_subset, MemoryStore::new(), client_side);
session_core::conformance_tests!(
    memory_text_only,
    MemoryStore::new(),
    clear_expired,
    text_only
);
session_core::conformance_tests!(
    optional_present,
    optional Some(MemoryStore::new()),
    clear_expired
);
session_core::conformance_tests!(
    optional_absent,
    optional session_core::conformance::store_from_env("SESSION_TEST_NO_SUCH_SERVER", |_| {
        MemoryStore::new()
    })
);

// Attributes before the module name go on every generated test: `cfg(any())` removes the
// tests, so this store expression, which names nothing, is never compiled. Without the
// pass-through it would not compile.
session_core::conformance_tests!(
    #[cfg(all())]
    #[cfg(any())]
    attributes_reach_every_test,
    no_such_store(),
    clear_expired
);
session_core::conformance_tests!(
    #[cfg(any())]
    attributes_reach_every_optional_test,
    optional no_such_store(),
    client_side
);
