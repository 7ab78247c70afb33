//! Reading the session cookie from the request's `Cookie` header(s).

use http::HeaderMap;
use http::header::COOKIE;
use session_core::MAX_COOKIE_VALUE_LEN;

/// The session cookie of a request.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct RequestCookie {
    /// A cookie with the session cookie's name came in (whatever its value): Django's
    /// `settings.SESSION_COOKIE_NAME in request.COOKIES`, which decides cookie deletion.
    pub(crate) present: bool,
    /// The first usable value: 8 to [`MAX_COOKIE_VALUE_LEN`] bytes, surrounding double
    /// quotes removed.
    pub(crate) value: Option<String>,
}

/// Finds the cookie `name` in every `Cookie` header (HTTP/2 may send several).
///
/// Never fails: headers that are not UTF-8 are read lossily (a mangled value is then just
/// an unknown key), pairs the `cookie` crate cannot parse are skipped, and when the name
/// appears several times the first usable value wins (browsers send the cookie with the
/// most specific path first). Django's parser keeps the last one instead; the first is
/// the safer choice and only matters for clients that send duplicates.
pub(crate) fn session_cookie(headers: &HeaderMap, name: &str) -> RequestCookie {
    let mut found = RequestCookie::default();
    for header in headers.get_all(COOKIE) {
        let text = String::from_utf8_lossy(header.as_bytes());
        for cookie in cookie::Cookie::split_parse(text.as_ref()).flatten() {
            if cookie.name() != name {
                continue;
            }
            found.present = true;
            let value = cookie.value_trimmed();
            if found.value.is_none()
                && (session_core::key::MIN_LEN..=MAX_COOKIE_VALUE_LEN).contains(&value.len())
            {
                found.value = Some(value.to_owned());
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn parse(values: &[&[u8]]) -> RequestCookie {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append(COOKIE, HeaderValue::from_bytes(v).unwrap());
        }
        session_cookie(&headers, "sessionid")
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
}
