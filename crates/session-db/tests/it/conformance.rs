//! The shared store-conformance suite, on every SQLite configuration.

use session_db::{SqliteConfig, SqliteStore};

use crate::common::TempDb;

session_core::conformance_tests!(
    native_memory,
    SqliteStore::in_memory().unwrap(),
    clear_expired
);
session_core::conformance_tests!(
    native_file,
    TempDb::new(SqliteConfig::native()),
    clear_expired
);
session_core::conformance_tests!(
    native_file_no_readers,
    TempDb::new(SqliteConfig::native().with_readers(0)),
    clear_expired
);
session_core::conformance_tests!(
    native_file_no_mmap,
    TempDb::new(SqliteConfig::native().with_mmap_size(0)),
    clear_expired
);
session_core::conformance_tests!(
    django_memory,
    SqliteConfig::django().open_in_memory().unwrap(),
    clear_expired,
    text_only
);
session_core::conformance_tests!(
    django_file,
    TempDb::new(SqliteConfig::django()),
    clear_expired,
    text_only
);

// The async side of the same stores, through their `AsyncSessionStore` methods.
session_core::async_conformance_tests!(
    async_native_memory,
    SqliteStore::in_memory().unwrap(),
    clear_expired
);
session_core::async_conformance_tests!(
    async_native_file,
    TempDb::new(SqliteConfig::native()),
    clear_expired
);
session_core::async_conformance_tests!(
    async_django_file,
    TempDb::new(SqliteConfig::django()),
    clear_expired,
    text_only
);
