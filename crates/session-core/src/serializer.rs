//! Turning [`SessionData`] into bytes and back.
//!
//! Stores persist opaque bytes; only a [`Serializer`] chooses an encoding. Three come with
//! core:
//!
//! | serializer | bytes | use it for |
//! |---|---|---|
//! | [`Json`] | compact JSON, UTF-8 | the default: readable, what Django uses |
//! | [`DjangoJson`] | compact JSON, every non-ASCII char as `\uXXXX` | data a Django site reads |
//! | [`MessagePack`] | MessagePack with named map keys | smaller and faster for large sessions |

use std::io;

use serde_json::ser::{CompactFormatter, Formatter};

use crate::{Error, Result, SessionData};

/// Encodes and decodes session data. Implementations must be lossless for every value
/// they accept: `from_bytes(to_bytes(d)) == d`.
///
/// A custom serializer:
///
/// ```
/// use session_core::{Error, Result, SessionData, Serializer};
///
/// /// Pretty JSON, for people who read their session files by hand.
/// struct PrettyJson;
///
/// impl Serializer for PrettyJson {
///     fn to_bytes(&self, data: &SessionData) -> Result<Vec<u8>> {
///         serde_json::to_vec_pretty(data).map_err(|e| Error::Serialize(e.into()))
///     }
///     fn from_bytes(&self, bytes: &[u8]) -> Result<SessionData> {
///         serde_json::from_slice(bytes).map_err(|e| Error::Deserialize(e.into()))
///     }
/// }
///
/// let mut data = SessionData::new();
/// data.insert("a".into(), 1.into());
/// let bytes = PrettyJson.to_bytes(&data)?;
/// assert_eq!(PrettyJson.from_bytes(&bytes)?, data);
/// # Ok::<(), Error>(())
/// ```
pub trait Serializer: Send + Sync + 'static {
    /// Encodes `data`. Fails with [`Error::Serialize`].
    fn to_bytes(&self, data: &SessionData) -> Result<Vec<u8>>;
    /// Decodes bytes made by [`to_bytes`](Serializer::to_bytes). Fails with
    /// [`Error::Deserialize`] on anything else, never panics.
    #[allow(clippy::wrong_self_convention)] // the contract's name; `self` carries config
    fn from_bytes(&self, bytes: &[u8]) -> Result<SessionData>;
}

/// Compact JSON (`{"a":1}`), keys in insertion order, UTF-8 as is.
///
/// Integers beyond the 64-bit range decode as the nearest float (serde_json's behaviour
/// without `arbitrary_precision`); everything else round-trips exactly.
///
/// ```
/// use session_core::{Json, SessionData, Serializer};
/// let mut data = SessionData::new();
/// data.insert("name".into(), "Zoë".into());
/// assert_eq!(Json.to_bytes(&data).unwrap(), "{\"name\":\"Zoë\"}".as_bytes());
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Json;

impl Serializer for Json {
    fn to_bytes(&self, data: &SessionData) -> Result<Vec<u8>> {
        check_depth(data)?;
        serde_json::to_vec(data).map_err(|e| Error::Serialize(e.into()))
    }
    fn from_bytes(&self, bytes: &[u8]) -> Result<SessionData> {
        json_from_bytes(bytes)
    }
}

/// Compact JSON byte-compatible with Python's `json.dumps(obj, separators=(",", ":"))`:
/// every character outside printable ASCII (`0x20..=0x7e`) is escaped as `\uXXXX`, with
/// UTF-16 surrogate pairs above the BMP.
///
/// Django decodes session JSON as Latin-1, so raw UTF-8 would turn `"Zoë"` into `"ZoÃ«"`
/// on the Django side: use this serializer for anything a Django site reads.
///
/// ```
/// use session_core::{DjangoJson, SessionData, Serializer};
/// let mut data = SessionData::new();
/// data.insert("unicode".into(), "Zoë ☃ 😀".into());
/// assert_eq!(
///     DjangoJson.to_bytes(&data).unwrap(),
///     br#"{"unicode":"Zo\u00eb \u2603 \ud83d\ude00"}"#
/// );
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct DjangoJson;

impl Serializer for DjangoJson {
    fn to_bytes(&self, data: &SessionData) -> Result<Vec<u8>> {
        check_depth(data)?;
        let mut out = Vec::with_capacity(128);
        let mut ser = serde_json::Serializer::with_formatter(&mut out, AsciiFormatter);
        serde::Serialize::serialize(data, &mut ser).map_err(|e| Error::Serialize(e.into()))?;
        Ok(out)
    }
    fn from_bytes(&self, bytes: &[u8]) -> Result<SessionData> {
        json_from_bytes(bytes)
    }
}

/// How deeply arrays and objects may nest in JSON session data, the session map counting as
/// one: the most serde_json decodes (its recursion limit is 128); writing data that could not be read
/// back would silently empty the session at its next load, so the writers refuse it first.
///
/// ```
/// use serde_json::Value;
/// use session_core::{Json, MAX_JSON_DEPTH, Serializer, SessionData};
/// let mut deep = Value::Null;
/// for _ in 0..MAX_JSON_DEPTH {
///     deep = Value::Array(vec![deep]);
/// }
/// let mut data = SessionData::new();
/// data.insert("deep".into(), deep);
/// assert!(Json.to_bytes(&data).is_err());
/// ```
pub const MAX_JSON_DEPTH: usize = 127;

/// The nesting too deep to write as JSON, as an error with its source.
#[derive(Debug, thiserror::Error)]
#[error("session data nests arrays and objects deeper than {MAX_JSON_DEPTH} levels")]
struct TooDeep;

fn check_depth(data: &SessionData) -> Result<()> {
    if data.values().any(|v| too_deep(v, 2)) {
        return Err(Error::Serialize(Box::new(TooDeep)));
    }
    Ok(())
}

/// Whether `value`, at nesting level `depth`, holds containers deeper than
/// [`MAX_JSON_DEPTH`]. Recursive but bounded: it stops one level past the limit, so hostile
/// data cannot overflow the stack; and it allocates nothing (it runs on every save).
fn too_deep(value: &serde_json::Value, depth: usize) -> bool {
    match value {
        serde_json::Value::Array(items) => {
            depth > MAX_JSON_DEPTH || items.iter().any(|v| too_deep(v, depth + 1))
        }
        serde_json::Value::Object(map) => {
            depth > MAX_JSON_DEPTH || map.values().any(|v| too_deep(v, depth + 1))
        }
        _ => false,
    }
}

fn json_from_bytes(bytes: &[u8]) -> Result<SessionData> {
    serde_json::from_slice(bytes).map_err(|e| Error::Deserialize(e.into()))
}

/// serde_json's compact output with Python's `ensure_ascii` escaping.
struct AsciiFormatter;

impl Formatter for AsciiFormatter {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let bytes = fragment.as_bytes();
        // Most session text is printable ASCII: written as it is, in one call.
        let Some(first) = bytes.iter().position(|b| !(b' '..=b'~').contains(b)) else {
            return writer.write_all(bytes);
        };
        // Everything before `first` is ASCII, so `first` is a char boundary.
        let mut start = 0;
        for (i, ch) in fragment[first..]
            .char_indices()
            .map(|(i, c)| (i + first, c))
        {
            if (' '..='~').contains(&ch) {
                continue;
            }
            writer.write_all(&bytes[start..i])?;
            let mut units = [0u16; 2];
            for unit in ch.encode_utf16(&mut units) {
                write!(writer, "\\u{unit:04x}")?;
            }
            start = i + ch.len_utf8();
        }
        writer.write_all(&bytes[start..])
    }

    fn write_char_escape<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        escape: serde_json::ser::CharEscape,
    ) -> io::Result<()> {
        CompactFormatter.write_char_escape(writer, escape)
    }
}

/// MessagePack with map keys as strings (`rmp_serde::to_vec_named`): smaller and faster
/// than JSON for large sessions, not readable by Django.
///
/// ```
/// use session_core::{MessagePack, SessionData, Serializer};
/// let mut data = SessionData::new();
/// data.insert("a".into(), 1.into());
/// assert_eq!(MessagePack.to_bytes(&data).unwrap(), [0x81, 0xa1, b'a', 0x01]);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct MessagePack;

impl Serializer for MessagePack {
    fn to_bytes(&self, data: &SessionData) -> Result<Vec<u8>> {
        rmp_serde::to_vec_named(data).map_err(|e| Error::Serialize(e.into()))
    }
    fn from_bytes(&self, bytes: &[u8]) -> Result<SessionData> {
        rmp_serde::from_slice(bytes).map_err(|e| Error::Deserialize(e.into()))
    }
}

impl<S: Serializer + ?Sized> Serializer for std::sync::Arc<S> {
    fn to_bytes(&self, data: &SessionData) -> Result<Vec<u8>> {
        (**self).to_bytes(data)
    }
    fn from_bytes(&self, bytes: &[u8]) -> Result<SessionData> {
        (**self).from_bytes(bytes)
    }
}

impl<S: Serializer + ?Sized> Serializer for Box<S> {
    fn to_bytes(&self, data: &SessionData) -> Result<Vec<u8>> {
        (**self).to_bytes(data)
    }
    fn from_bytes(&self, bytes: &[u8]) -> Result<SessionData> {
        (**self).from_bytes(bytes)
    }
}
