//! The two request/response headers a session driver reads and writes besides
//! `Set-Cookie`: the session cookie in the request's `Cookie` header(s), and `Cookie` added
//! to the response's `Vary`. Plain bytes in, plain values out, so that every web framework's
//! driver (whatever its header types) reads and patches them the same way.
//!
//! ```
//! use session_core::headers::{RequestCookie, VaryPatch};
//!
//! let cookie = RequestCookie::find([&b"theme=dark; sessionid=abcdefgh12345678"[..]], "sessionid");
//! assert_eq!(cookie.value.as_deref(), Some("abcdefgh12345678"));
//! assert_eq!(VaryPatch::for_cookie([&b"Accept-Encoding"[..]]), VaryPatch::Set("Accept-Encoding, Cookie".into()));
//! ```

use crate::MAX_COOKIE_VALUE_LEN;

/// The session cookie of a request.
///
/// ```
/// use session_core::headers::RequestCookie;
/// let cookie = RequestCookie::find([&b"sessionid=short"[..]], "sessionid");
/// assert!(cookie.present); // came in, so an empty session deletes it
/// assert_eq!(cookie.value, None); // but too short to name a session
/// ```
#[derive(Debug, Default, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestCookie {
    /// A cookie with the session cookie's name came in (whatever its value): Django's
    /// `settings.SESSION_COOKIE_NAME in request.COOKIES`, which decides cookie deletion.
    pub present: bool,
    /// The first usable value: 8 to [`MAX_COOKIE_VALUE_LEN`] bytes of UTF-8, surrounding
    /// double quotes removed.
    pub value: Option<String>,
}

impl RequestCookie {
    /// Finds the cookie `name` in every `Cookie` header of a request (HTTP/2 may send
    /// several), given as raw bytes.
    ///
    /// Never fails: each header is read as bytes, `;`-separated `name=value` pairs with
    /// whitespace around each part ignored and one pair of double quotes around the value
    /// removed; a pair without `=` or with an empty name is skipped. A value that is not
    /// UTF-8 is not usable (the cookie still counts as present). When the name appears
    /// several times the first usable value wins (browsers send the cookie with the most
    /// specific path first). Django's parser keeps the last one instead; the first is the
    /// safer choice and only matters for clients that send duplicates.
    ///
    /// ```
    /// use session_core::headers::RequestCookie;
    /// let headers: [&[u8]; 2] = [b"a=1; sessionid=short", b"sessionid=\"abcdefgh1\"; sessionid=zzzzzzzz9"];
    /// let cookie = RequestCookie::find(headers, "sessionid");
    /// assert_eq!(cookie.value.as_deref(), Some("abcdefgh1"));
    /// ```
    pub fn find<'a>(headers: impl IntoIterator<Item = &'a [u8]>, name: &str) -> RequestCookie {
        let mut found = RequestCookie::default();
        for header in headers {
            for pair in header.split(|&b| b == b';') {
                let Some(eq) = pair.iter().position(|&b| b == b'=') else {
                    continue;
                };
                if pair[..eq].trim_ascii() != name.as_bytes() {
                    continue;
                }
                found.present = true;
                let value = unquote(pair[eq + 1..].trim_ascii());
                if found.value.is_none()
                    && (crate::key::MIN_LEN..=MAX_COOKIE_VALUE_LEN).contains(&value.len())
                {
                    found.value = std::str::from_utf8(value).ok().map(str::to_owned);
                }
            }
        }
        found
    }
}

/// `value` without one pair of surrounding double quotes.
fn unquote(value: &[u8]) -> &[u8] {
    match value {
        [b'"', inner @ .., b'"'] => inner,
        _ => value,
    }
}

/// What to do to a response's `Vary` header(s) so that it varies on `Cookie`: Django's
/// `patch_vary_headers(response, ("Cookie",))`, which keeps the existing entries.
///
/// ```
/// use session_core::headers::VaryPatch;
/// assert_eq!(VaryPatch::for_cookie([]), VaryPatch::Append); // `Vary: Cookie`
/// assert_eq!(VaryPatch::for_cookie([&b"accept, COOKIE"[..]]), VaryPatch::Keep);
/// assert_eq!(VaryPatch::for_cookie([&b"*"[..]]), VaryPatch::Keep);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VaryPatch {
    /// `Cookie` (or `*`) is listed already: leave the headers alone.
    Keep,
    /// Replace every `Vary` header by this one value (the existing entries, then `Cookie`).
    Set(String),
    /// Add one more `Vary: Cookie` header and leave the others alone: there is none yet,
    /// or an existing value is not readable text (repeated `Vary` lines mean the same as
    /// one list).
    Append,
}

impl VaryPatch {
    /// The patch for a response whose `Vary` headers are `existing` (raw bytes, in order).
    ///
    /// ```
    /// use session_core::headers::VaryPatch;
    /// let existing: [&[u8]; 2] = [b"Accept-Encoding", b"Accept-Language"];
    /// assert_eq!(
    ///     VaryPatch::for_cookie(existing),
    ///     VaryPatch::Set("Accept-Encoding, Accept-Language, Cookie".into())
    /// );
    /// assert_eq!(VaryPatch::for_cookie([&b"\xff"[..]]), VaryPatch::Append);
    /// ```
    pub fn for_cookie<'a>(existing: impl IntoIterator<Item = &'a [u8]>) -> VaryPatch {
        let mut entries: Vec<&str> = Vec::new();
        let mut readable = true;
        let mut none = true;
        for value in existing {
            none = false;
            match std::str::from_utf8(value) {
                Ok(text) if text.is_ascii() => entries.extend(
                    text.split(',')
                        .map(str::trim)
                        .filter(|entry| !entry.is_empty()),
                ),
                _ => readable = false,
            }
        }
        if entries
            .iter()
            .any(|e| *e == "*" || e.eq_ignore_ascii_case("cookie"))
        {
            return VaryPatch::Keep;
        }
        if !readable || none {
            return VaryPatch::Append;
        }
        entries.push("Cookie");
        VaryPatch::Set(entries.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(values: &[&[u8]]) -> RequestCookie {
        RequestCookie::find(values.iter().copied(), "sessionid")
    }

    #[test]
    fn first_usable_value_wins_across_headers() {
        let got = parse(&[
            b"a=1; sessionid=short",
            b"sessionid=\"abcdefgh1\"; sessionid=zzzzzzzz9",
        ]);
        assert!(got.present);
        assert_eq!(got.value.as_deref(), Some("abcdefgh1"));
    }

    #[test]
    fn garbage_never_panics() {
        for raw in [
            &b""[..],
            b";;;",
            b"=",
            b"sessionid",
            b"sessionid=",
            b"\xff\xfe=\xff; sessionid=\xc3\x28abcdefgh",
            b"sessionid=\"",
            b"  sessionid  =  spaced12345  ",
        ] {
            let _ = parse(&[raw]);
        }
        assert!(!parse(&[b"other=abcdefghij"]).present);
        assert_eq!(parse(&[b"sessionid="]).value, None);
    }

    #[test]
    fn pairs_are_split_and_trimmed_like_cookie_headers() {
        let got = parse(&[b"  sessionid  =  spaced12345  ; x=1"]);
        assert_eq!(got.value.as_deref(), Some("spaced12345"));
        // the name must match whole; a pair without `=` is skipped
        assert!(!parse(&[b"xsessionid=abcdefgh1; sessionid"]).present);
        // a value that is not UTF-8 is present but unusable; the next usable one wins
        let got = parse(&[b"sessionid=\xff\xfeabcdefgh; sessionid=abcdefgh2"]);
        assert!(got.present);
        assert_eq!(got.value.as_deref(), Some("abcdefgh2"));
        // one pair of quotes goes, a lone quote stays
        assert_eq!(
            parse(&[b"sessionid=\"abcdefgh3\""]).value.as_deref(),
            Some("abcdefgh3")
        );
        assert_eq!(
            parse(&[b"sessionid=\"abcdefgh4"]).value.as_deref(),
            Some("\"abcdefgh4")
        );
        // `=` inside the value belongs to the value
        assert_eq!(
            parse(&[b"sessionid=abc=defgh5"]).value.as_deref(),
            Some("abc=defgh5")
        );
    }

    #[test]
    fn vary_is_appended_once() {
        let patch =
            |existing: &[&str]| VaryPatch::for_cookie(existing.iter().map(|e| e.as_bytes()));
        assert_eq!(patch(&[]), VaryPatch::Append);
        assert_eq!(
            patch(&["Accept-Encoding"]),
            VaryPatch::Set("Accept-Encoding, Cookie".into())
        );
        assert_eq!(
            patch(&["Accept-Encoding", "Accept-Language"]),
            VaryPatch::Set("Accept-Encoding, Accept-Language, Cookie".into())
        );
        assert_eq!(patch(&["accept, COOKIE"]), VaryPatch::Keep);
        assert_eq!(patch(&["*"]), VaryPatch::Keep);
        assert_eq!(patch(&[" , ,"]), VaryPatch::Set("Cookie".into()));
        assert_eq!(
            VaryPatch::for_cookie([&b"caf\xc3\xa9"[..]]),
            VaryPatch::Append
        );
    }
}
