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
