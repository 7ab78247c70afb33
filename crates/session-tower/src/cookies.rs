//! Reading the session cookie from the request's `Cookie` header(s).

use http::HeaderMap;
use http::header::COOKIE;

pub(crate) use session_core::headers::RequestCookie;

/// Finds the cookie `name` in every `Cookie` header (HTTP/2 may send several); see
/// [`RequestCookie::find`] for how hostile headers are read.
pub(crate) fn session_cookie(headers: &HeaderMap, name: &str) -> RequestCookie {
    RequestCookie::find(headers.get_all(COOKIE).iter().map(|v| v.as_bytes()), name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn every_cookie_header_is_read() {
        let mut headers = HeaderMap::new();
        headers.append(COOKIE, HeaderValue::from_static("a=1; sessionid=short"));
        headers.append(COOKIE, HeaderValue::from_static("sessionid=abcdefgh1"));
        let got = session_cookie(&headers, "sessionid");
        assert!(got.present);
        assert_eq!(got.value.as_deref(), Some("abcdefgh1"));
    }
}
