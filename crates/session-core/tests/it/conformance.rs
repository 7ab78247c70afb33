//! The reference store passes the whole suite.

use session_core::MemoryStore;

session_core::conformance_tests!(memory, MemoryStore::new(), clear_expired);
session_core::conformance_tests!(memory_client_side_subset, MemoryStore::new(), client_side);
