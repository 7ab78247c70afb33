//! Session keys: generation and validation.
//!
//! A generated key is 32 characters of `[a-z0-9]` drawn from the operating system's CSPRNG
//! (about 165 bits), exactly like Django's. Anything shorter than [`MIN_LEN`] characters is
//! never a valid key, whatever the store.

use crate::{Error, Result};

/// Length of a generated key.
pub const LEN: usize = 32;
/// Keys shorter than this are invalid everywhere (Django's rule).
pub const MIN_LEN: usize = 8;
/// The longest key a server-side store accepts; longer ones are refused before any lookup.
pub const MAX_LEN: usize = 64;

const ALPHABET: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// A fresh random session key: 32 chars of `[a-z0-9]` from the OS CSPRNG.
///
/// ```
/// let key = session_core::key::generate();
/// assert_eq!(key.len(), 32);
/// assert!(session_core::key::is_well_formed(&key));
/// ```
///
/// # Panics
/// Only if the operating system has no working random source, which no session can be
/// safely created without.
pub fn generate() -> String {
    let mut key = String::with_capacity(LEN);
    let mut buf = [0u8; 64];
    while key.len() < LEN {
        getrandom::fill(&mut buf).expect("the OS random number generator failed");
        // 252 = 7 * 36: rejection sampling keeps every character equally likely.
        for &b in buf.iter().filter(|&&b| b < 252) {
            if key.len() == LEN {
                break;
            }
            key.push(ALPHABET[usize::from(b % 36)] as char);
        }
    }
    key
}

/// Whether `key` is a well-formed server-side session key: [`MIN_LEN`]..=[`MAX_LEN`]
/// characters, all of `[a-z0-9]`.
///
/// This is what a store may rely on: a key that passes cannot contain path separators,
/// NUL, quotes or anything else that could escape a file name, SQL literal or cache key.
/// Stores call it before touching storage and treat a malformed key as unknown.
///
/// ```
/// use session_core::key::is_well_formed;
/// assert!(is_well_formed("abcdefgh"));
/// assert!(!is_well_formed("abcdefg"));    // 7 chars
/// assert!(!is_well_formed("../etc/passwd"));
/// assert!(!is_well_formed("ABCDEFGH"));   // upper case never comes out of generate()
/// ```
pub fn is_well_formed(key: &str) -> bool {
    // every byte looked at, without an early exit: the compiler checks them many at once
    (MIN_LEN..=MAX_LEN).contains(&key.len())
        && key.bytes().fold(true, |ok, b| {
            ok & (b.is_ascii_lowercase() | b.is_ascii_digit())
        })
}

/// [`is_well_formed`] as a `Result`, for stores that want to return [`Error::InvalidKey`].
///
/// ```
/// assert!(session_core::key::validate("1").is_err());
/// ```
pub fn validate(key: &str) -> Result<()> {
    if is_well_formed(key) {
        Ok(())
    } else {
        Err(Error::InvalidKey)
    }
}
