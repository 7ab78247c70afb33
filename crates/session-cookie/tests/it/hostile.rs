//! Garbage, forged and tampered cookie values: `None`, never an error or a panic.

use session_core::SessionStore;

use super::*;

fn junk() -> Vec<String> {
    let megabyte: String = (0..1u32 << 20)
        .map(|i| char::from(b'0' + (i.wrapping_mul(2_654_435_761) >> 26) as u8 % 75))
        .collect();
    let mut cases: Vec<String> = [
        "",
        ":",
        "::",
        "abcdefgh",
        "a:b:c",
        ".:.:.",
        ".e30:1r31eq:x",
        "ÅÄÖ:åäö:☃",
        "\0\0\0\0\0\0\0\0",
        "e30:1r31eq:",
        "e30::NLy8rgu_xsifzV_3lfGvd1_fkTLBKlpt_S3WndxXvdU",
        "not base64 at all!",
        "====",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    cases.push("a".repeat(4097));
    cases.push(megabyte.clone());
    cases.push(format!("{megabyte}:{megabyte}:{megabyte}"));
    cases
}

#[test]
fn junk_loads_nothing_in_every_format() {
    for format in FORMATS {
        let store = CookieStore::new("s").unwrap().with_format(format);
        for case in junk() {
            assert_eq!(store.load(&case).unwrap(), None, "{format:?} {:.40}", case);
        }
    }
}

#[test]
fn tampered_signed_cookies_load_nothing() {
    for format in [CookieFormat::Django, CookieFormat::Expiring] {
        let store = CookieStore::new("s").unwrap().with_format(format);
        for data in [&br#"{"member_id":1}"#[..], &[b'a'; 600][..]] {
            let token = store.seal_at(&record(data, secs(60)), t0()).unwrap();
            assert!(store.open_at(&token, t0()).is_some());
            let bytes = token.as_bytes();
            for i in 0..bytes.len() {
                for c in [b'A', b'_', b'.', b':'] {
                    if bytes[i] == c {
                        continue;
                    }
                    let mut bad = bytes.to_vec();
                    bad[i] = c;
                    let bad = String::from_utf8(bad).unwrap();
                    assert_eq!(store.open_at(&bad, t0()), None, "{bad}");
                }
            }
            for end in 0..bytes.len() {
                assert_eq!(store.open_at(&token[..end], t0()), None);
            }
        }
    }
}

#[test]
fn wrong_secret_or_salt_loads_nothing() {
    for format in FORMATS {
        let store = CookieStore::new("s").unwrap().with_format(format);
        let token = store.seal_at(&record(b"{}", secs(60)), t0()).unwrap();
        for other in [
            CookieStore::new("t").unwrap().with_format(format),
            CookieStore::new("s")
                .unwrap()
                .with_format(format)
                .with_salt("x"),
        ] {
            assert_eq!(other.open_at(&token, t0()), None, "{format:?}");
        }
    }
}

#[test]
fn debug_never_shows_secrets() {
    let store = CookieStore::new("top-secret-value")
        .unwrap()
        .with_fallbacks(["older-secret-value"])
        .unwrap();
    let debug = format!("{store:?}");
    assert!(
        !debug.contains("top-secret") && !debug.contains("older-secret"),
        "{debug}"
    );
    assert!(debug.contains("[redacted]"));
}

#[test]
fn an_empty_secret_or_fallback_is_refused() {
    assert!(matches!(
        CookieStore::new(""),
        Err(session_core::Error::EmptySecret)
    ));
    let store = CookieStore::new("a secret").unwrap();
    for format in FORMATS {
        assert!(matches!(
            store
                .clone()
                .with_format(format)
                .with_fallbacks(["old", ""]),
            Err(session_core::Error::EmptySecret)
        ));
    }
}
