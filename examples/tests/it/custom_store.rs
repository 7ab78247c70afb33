//! The custom store of the book passes the same conformance suite as every backend.

#[allow(dead_code)]
#[path = "../../examples/custom_store.rs"]
mod example;

// ANCHOR: conformance
use example::MapStore;

// One `#[test]` per duty of the contract, plus the `ClearExpired` checks.
session_core::conformance_tests!(map_store, MapStore::default(), clear_expired);
// ANCHOR_END: conformance
