//! Keys that belong to the framework, and the one rule that guards them.
//!
//! Every key that starts with `_` is reserved: the public map API of
//! [`Session`](crate::Session) refuses to write it with [`Error::ReservedKey`]. Framework
//! code (authentication, the expiry logic, Django interop) writes them through
//! [`Session::reserved`](crate::Session::reserved).
//!
//! ```
//! use session_core::reserved;
//! assert!(reserved::is_reserved(reserved::SESSION_EXPIRY));
//! assert!(!reserved::is_reserved("cart"));
//! ```

use crate::{Error, Result};

/// The custom expiry, stored exactly as Django stores it: an integer number of seconds
/// (`0` = at browser close) or an ISO-8601 instant with offset.
pub const SESSION_EXPIRY: &str = "_session_expiry";
/// Django auth: the logged-in user's primary key, as a string.
pub const AUTH_USER_ID: &str = "_auth_user_id";
/// Django auth: the dotted path of the authentication backend.
pub const AUTH_USER_BACKEND: &str = "_auth_user_backend";
/// Django auth: the session-auth hash that invalidates sessions on password change.
pub const AUTH_USER_HASH: &str = "_auth_user_hash";

/// Whether `key` is reserved for the framework (starts with `_`).
///
/// ```
/// assert!(session_core::reserved::is_reserved("_anything"));
/// ```
pub fn is_reserved(key: &str) -> bool {
    key.starts_with('_')
}

/// `Ok` for a key the public API may write, [`Error::ReservedKey`] otherwise.
///
/// ```
/// use session_core::reserved::check_user_key;
/// assert!(check_user_key("cart").is_ok());
/// assert!(check_user_key("_auth_user_id").is_err());
/// ```
pub fn check_user_key(key: &str) -> Result<()> {
    if is_reserved(key) {
        Err(Error::ReservedKey(key.to_owned()))
    } else {
        Ok(())
    }
}
