//! The on-disk format: file names and file contents.
//!
//! # File names
//! A session lives in `sess-<hex>`, where `<hex>` is the SHA-256 of its key in lower-case
//! hex (64 chars): a directory listing shows no usable cookie. With sharding on, the file
//! sits in a subdirectory named by the first two hex chars (`<dir>/3f/sess-3f…`).
//! Temporary files start with [`TEMP_PREFIX`]. In Django mode a session lives in
//! `<prefix><key>` (`sessionid<key>`), as Django's file backend names it.
//!
//! # File contents (native format, version 1)
//! ```text
//! offset  size  field
//!      0     4  magic  b"SESF"
//!      4     1  version (1)
//!      5     8  expires_at: unix milliseconds, i64 little-endian (at most the expiry ceiling)
//!     13     8  payload length, u64 little-endian
//!     21     n  payload (the session's opaque bytes)
//! ```
//! A file whose magic, version or length does not match is corrupt: it never loads.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use session_core::expiry::{clamp, max_expiry};
use sha2::{Digest, Sha256};

/// The first bytes of every native session file.
pub const MAGIC: [u8; 4] = *b"SESF";
/// The format version this crate writes (and the only one it reads).
pub const VERSION: u8 = 1;
/// Size of the fixed header before the payload.
pub const HEADER_LEN: usize = 21;
/// Prefix of native session file names.
pub const FILE_PREFIX: &str = "sess-";
/// Prefix of temporary files (writes in progress, or left behind by a crash).
pub const TEMP_PREFIX: &str = ".sess-tmp-";

/// Why a file's bytes are not a session.
///
/// ```
/// use session_file::format::{parse, FormatError};
/// assert_eq!(parse(b"SE").unwrap_err(), FormatError::Truncated);
/// assert_eq!(parse(b"nope").unwrap_err(), FormatError::BadMagic);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FormatError {
    /// Shorter than its header, or than the payload length the header announces.
    Truncated,
    /// The magic bytes are not `SESF`: not one of our files.
    BadMagic,
    /// A version this crate does not read.
    UnknownVersion(u8),
    /// Bytes after the announced payload.
    TrailingBytes,
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormatError::Truncated => f.write_str("session file is truncated"),
            FormatError::BadMagic => f.write_str("not a session file (bad magic)"),
            FormatError::UnknownVersion(v) => write!(f, "unknown session file version {v}"),
            FormatError::TrailingBytes => f.write_str("session file has trailing bytes"),
        }
    }
}

impl std::error::Error for FormatError {}

/// The header of a native session file, for `payload_len` bytes expiring at `expires_at`.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use session_file::format::{header, parse};
/// let t = UNIX_EPOCH + Duration::from_millis(1_700_000_000_000);
/// let mut file = header(t, 2).to_vec();
/// file.extend_from_slice(b"{}");
/// assert_eq!(parse(&file).unwrap(), (t, &b"{}"[..]));
/// ```
pub fn header(expires_at: SystemTime, payload_len: usize) -> [u8; HEADER_LEN] {
    let mut h = [0u8; HEADER_LEN];
    h[..4].copy_from_slice(&MAGIC);
    h[4] = VERSION;
    h[5..13].copy_from_slice(&to_millis(clamp(expires_at)).to_le_bytes());
    h[13..21].copy_from_slice(&(payload_len as u64).to_le_bytes());
    h
}

/// Parses a whole native session file into its expiry and payload. Never panics: any
/// byte string gives either a session or a [`FormatError`].
///
/// ```
/// use session_file::format::{parse, FormatError};
/// assert_eq!(parse(b"SESF\x09aaaaaaaaaaaaaaaa").unwrap_err(), FormatError::UnknownVersion(9));
/// ```
pub fn parse(bytes: &[u8]) -> Result<(SystemTime, &[u8]), FormatError> {
    let (expires_at, len) = parse_header(bytes)?;
    let payload = &bytes[HEADER_LEN..];
    let len = usize::try_from(len).map_err(|_| FormatError::Truncated)?;
    match payload.len().cmp(&len) {
        std::cmp::Ordering::Less => Err(FormatError::Truncated),
        std::cmp::Ordering::Greater => Err(FormatError::TrailingBytes),
        std::cmp::Ordering::Equal => Ok((expires_at, payload)),
    }
}

/// Parses the header only: the expiry and the announced payload length.
///
/// ```
/// use std::time::UNIX_EPOCH;
/// use session_file::format::{header, parse_header};
/// assert_eq!(parse_header(&header(UNIX_EPOCH, 7)).unwrap(), (UNIX_EPOCH, 7));
/// ```
pub fn parse_header(bytes: &[u8]) -> Result<(SystemTime, u64), FormatError> {
    if bytes.len() < HEADER_LEN {
        // A short file that does not even start like ours is "not ours", not "truncated".
        if bytes.len() >= 4 && bytes[..4] != MAGIC {
            return Err(FormatError::BadMagic);
        }
        return Err(FormatError::Truncated);
    }
    if bytes[..4] != MAGIC {
        return Err(FormatError::BadMagic);
    }
    if bytes[4] != VERSION {
        return Err(FormatError::UnknownVersion(bytes[4]));
    }
    let millis = i64::from_le_bytes(bytes[5..13].try_into().expect("8 bytes"));
    let len = u64::from_le_bytes(bytes[13..21].try_into().expect("8 bytes"));
    Ok((from_millis(millis), len))
}

/// The native file name of `key`: `sess-` + SHA-256(key) in hex.
///
/// ```
/// let name = session_file::format::file_name("abcdefgh12345678");
/// assert!(name.starts_with("sess-"));
/// assert_eq!(name.len(), 5 + 64);
/// assert!(!name.contains("abcdefgh"));
/// ```
pub fn file_name(key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    let mut name = String::with_capacity(FILE_PREFIX.len() + 64);
    name.push_str(FILE_PREFIX);
    for b in digest {
        name.push(char::from(HEX[usize::from(b >> 4)]));
        name.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    name
}

/// Whether `name` is a native session file name (`sess-` + 64 lower-case hex chars).
///
/// ```
/// use session_file::format::{file_name, is_session_file_name};
/// assert!(is_session_file_name(&file_name("abcdefgh")));
/// assert!(!is_session_file_name("sess-notes.txt"));
/// ```
pub fn is_session_file_name(name: &str) -> bool {
    name.strip_prefix(FILE_PREFIX)
        .is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| HEX.contains(&b)))
}

/// Whether `name` is a shard directory name (two lower-case hex chars).
///
/// ```
/// assert!(session_file::format::is_shard_name("3f"));
/// assert!(!session_file::format::is_shard_name("3F"));
/// ```
pub fn is_shard_name(name: &str) -> bool {
    name.len() == 2 && name.bytes().all(|b| HEX.contains(&b))
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn to_millis(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_millis()).map_or(i64::MIN, |m| -m),
    }
}

fn from_millis(millis: i64) -> SystemTime {
    let magnitude = Duration::from_millis(millis.unsigned_abs());
    let t = if millis >= 0 {
        UNIX_EPOCH.checked_add(magnitude)
    } else {
        UNIX_EPOCH.checked_sub(magnitude)
    };
    // Out of the platform's range: far past is expired, far future is the ceiling.
    match t {
        Some(t) => clamp(t),
        None if millis >= 0 => max_expiry(),
        None => UNIX_EPOCH,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millis_round_trip_and_extremes() {
        let t = UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
        assert_eq!(from_millis(to_millis(t)), t);
        let before = UNIX_EPOCH - Duration::from_millis(5);
        assert_eq!(from_millis(to_millis(before)), before);
        assert_eq!(from_millis(i64::MAX), max_expiry());
        assert!(from_millis(i64::MIN) <= UNIX_EPOCH);
        let far = UNIX_EPOCH + Duration::from_secs(u64::MAX / 4);
        assert_eq!(parse_header(&header(far, 0)).unwrap().0, max_expiry());
    }

    #[test]
    fn parse_rejects_every_prefix_and_extension() {
        let mut file = header(UNIX_EPOCH, 3).to_vec();
        file.extend_from_slice(b"abc");
        assert!(parse(&file).is_ok());
        for n in 0..file.len() {
            assert!(parse(&file[..n]).is_err(), "prefix of {n} bytes parsed");
        }
        file.push(0);
        assert_eq!(parse(&file).unwrap_err(), FormatError::TrailingBytes);
        let mut huge = header(UNIX_EPOCH, 0).to_vec();
        huge[13..21].copy_from_slice(&u64::MAX.to_le_bytes());
        assert_eq!(parse(&huge).unwrap_err(), FormatError::Truncated);
    }
}
