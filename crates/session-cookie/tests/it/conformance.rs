//! The shared store-conformance suite, once per format.

use super::*;

session_core::conformance_tests!(
    django_format,
    CookieStore::new("secret").unwrap(),
    client_side
);
session_core::async_conformance_tests!(
    async_django_format,
    CookieStore::new("secret").unwrap(),
    client_side
);
session_core::conformance_tests!(
    expiring_format,
    CookieStore::new("secret")
        .unwrap()
        .with_format(CookieFormat::Expiring),
    client_side
);
session_core::conformance_tests!(
    encrypted_format,
    CookieStore::new("secret")
        .unwrap()
        .with_format(CookieFormat::Encrypted),
    client_side
);
