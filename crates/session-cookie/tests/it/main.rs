//! Integration tests of session-cookie.

mod conformance;

pub use session_cookie::{CookieFormat, CookieStore};
