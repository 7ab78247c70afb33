//! The shared store-conformance suite, on every SQLite configuration.

use session_db::{DbConfig, DbStore};

use crate::common::TempDb;

session_core::conformance_tests!(native_memory, DbStore::in_memory().unwrap(), clear_expired);
session_core::conformance_tests!(native_file, TempDb::new(DbConfig::native()), clear_expired);
session_core::conformance_tests!(
    native_file_no_readers,
    TempDb::new(DbConfig::native().with_readers(0)),
    clear_expired
);
session_core::conformance_tests!(
    native_file_no_mmap,
    TempDb::new(DbConfig::native().with_mmap_size(0)),
    clear_expired
);
session_core::conformance_tests!(
    django_memory,
    DbConfig::django().open_in_memory().unwrap(),
    clear_expired,
    text_only
);
session_core::conformance_tests!(
    django_file,
    TempDb::new(DbConfig::django()),
    clear_expired,
    text_only
);

// The async side of the same stores, through their `AsyncSessionStore` methods.
session_core::async_conformance_tests!(
    async_native_memory,
    DbStore::in_memory().unwrap(),
    clear_expired
);
session_core::async_conformance_tests!(
    async_native_file,
    TempDb::new(DbConfig::native()),
    clear_expired
);
session_core::async_conformance_tests!(
    async_django_file,
    TempDb::new(DbConfig::django()),
    clear_expired,
    text_only
);
