//! A session too big for a cookie is an error at save time, never a dropped cookie.

use session_core::{Error, SessionManager, SessionStore};

use super::*;

fn incompressible(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x9e37_79b9;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            b'a' + (x % 26) as u8
        })
        .collect()
}

#[test]
fn oversize_is_cookie_too_large_at_create_and_save() {
    for format in FORMATS {
        let store = CookieStore::new("s").unwrap().with_format(format);
        let big = Record::new(incompressible(8000), SystemTime::now() + secs(60));
        match store.create(&big) {
            Err(Error::CookieTooLarge { size, limit }) => {
                assert_eq!(limit, 4096);
                assert!(size > 4096);
            }
            other => panic!("{format:?}: {other:?}"),
        }
        let small = Record::new(b"{}".to_vec(), SystemTime::now() + secs(60));
        let key = store.create(&small).unwrap();
        assert!(matches!(
            store.save(&key, &big),
            Err(Error::CookieTooLarge { .. })
        ));
    }
}

#[test]
fn limit_counts_name_equals_value_exactly() {
    for format in [CookieFormat::Django, CookieFormat::Expiring] {
        let store = CookieStore::new("s")
            .unwrap()
            .with_format(format)
            .with_compression(false);
        let rec = record(&incompressible(1000), secs(60));
        let value = store.seal_at(&rec, t0()).unwrap();
        let exact = "sessionid=".len() + value.len();
        assert!(
            store
                .clone()
                .with_size_limit(exact)
                .seal_at(&rec, t0())
                .is_ok()
        );
        match store.clone().with_size_limit(exact - 1).seal_at(&rec, t0()) {
            Err(Error::CookieTooLarge { size, limit }) => {
                assert_eq!((size, limit), (exact, exact - 1))
            }
            other => panic!("{other:?}"),
        }
        // A longer cookie name counts too.
        let named = store
            .clone()
            .with_size_limit(exact)
            .with_cookie_name("sessionid2");
        assert!(matches!(
            named.seal_at(&rec, t0()),
            Err(Error::CookieTooLarge { .. })
        ));
    }
}

#[test]
fn compression_keeps_repetitive_sessions_small() {
    let store = CookieStore::new("s").unwrap();
    let big = format!(r#"{{"blob":"{}"}}"#, "ab".repeat(5000)).into_bytes();
    let value = store.seal_at(&record(&big, secs(60)), t0()).unwrap();
    assert!(value.len() < 300, "{}", value.len());
    assert_eq!(store.open_at(&value, t0()), Some(big));
}

#[test]
fn the_manager_reports_the_error() {
    let manager = SessionManager::new(CookieStore::new("s").unwrap());
    let mut session = manager.session(None);
    session
        .insert("blob", String::from_utf8(incompressible(8000)).unwrap())
        .unwrap();
    assert!(matches!(
        manager.finish(&mut session, 200, false),
        Err(Error::CookieTooLarge { .. })
    ));
}
