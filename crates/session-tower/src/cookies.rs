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
/// Never fails: the header is read as bytes, `;`-separated `name=value` pairs with
/// whitespace around each part ignored and one pair of double quotes around the value
/// removed; a pair without `=` or with an empty name is skipped. A value that is not UTF-8
/// is not usable (the cookie still counts as present). When the name appears several times
/// the first usable value wins (browsers send the cookie with the most specific path
/// first). Django's parser keeps the last one instead; the first is the safer choice and
/// only matters for clients that send duplicates.
pub(crate) fn session_cookie(headers: &HeaderMap, name: &str) -> RequestCookie {
    let mut found = RequestCookie::default();
    for header in headers.get_all(COOKIE) {
        for pair in header.as_bytes().split(|&b| b == b';') {
            let Some(eq) = pair.iter().position(|&b| b == b'=') else {
                continue;
            };
            if pair[..eq].trim_ascii() != name.as_bytes() {
                continue;
            }
            found.present = true;
            let value = unquote(pair[eq + 1..].trim_ascii());
            if found.value.is_none()
                && (session_core::key::MIN_LEN..=MAX_COOKIE_VALUE_LEN).contains(&value.len())
            {
                found.value = std::str::from_utf8(value).ok().map(str::to_owned);
            }
        }
    }
    found
}

/// `value` without one pair of surrounding double quotes.
fn unquote(value: &[u8]) -> &[u8] {
    match value {
        [b'"', inner @ .., b'"'] => inner,
        _ => value,
    }
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
}
