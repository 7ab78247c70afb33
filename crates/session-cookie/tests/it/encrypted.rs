//! The encrypted format: confidential, authenticated, bound to the cookie name.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use session_core::{MessagePack, SessionManager};

use super::*;

fn store() -> CookieStore {
    CookieStore::new("secret")
        .unwrap()
        .with_format(CookieFormat::Encrypted)
}

const DATA: &[u8] = br#"{"credit_card":"4111111111111111","member_id":7}"#;

#[test]
fn round_trip() {
    let store = store();
    let token = store.seal_at(&record(DATA, secs(3600)), t0()).unwrap();
    assert_eq!(store.open_at(&token, t0()).as_deref(), Some(DATA));
    assert_eq!(
        store.open_at(&token, t0() + secs(3599)).as_deref(),
        Some(DATA)
    );
    // Empty and binary payloads too.
    for data in [&b""[..], &[0u8, 255, 0, 1][..]] {
        let token = store.seal_at(&record(data, secs(60)), t0()).unwrap();
        assert_eq!(store.open_at(&token, t0()).as_deref(), Some(data));
    }
}

#[test]
fn the_client_cannot_read_it() {
    let store = store();
    let token = store.seal_at(&record(DATA, secs(3600)), t0()).unwrap();
    let raw = URL_SAFE_NO_PAD.decode(&token).unwrap();
    assert!(!raw.windows(16).any(|w| w == b"4111111111111111"));
    assert!(!token.contains(':'), "not the signed format");
    // The signed formats, by contrast, are only base64.
    let signed = CookieStore::new("secret").unwrap().with_compression(false);
    let token = signed.seal_at(&record(DATA, secs(3600)), t0()).unwrap();
    let (payload, _) = token.split_once(':').unwrap();
    assert_eq!(URL_SAFE_NO_PAD.decode(payload).unwrap(), DATA);
}

#[test]
fn fresh_nonce_every_time() {
    let store = store();
    let a = store.seal_at(&record(DATA, secs(60)), t0()).unwrap();
    let b = store.seal_at(&record(DATA, secs(60)), t0()).unwrap();
    assert_ne!(a, b);
    assert_ne!(a[..32], b[..32]);
}

#[test]
fn every_tampered_byte_is_refused() {
    let store = store();
    let token = store.seal_at(&record(DATA, secs(3600)), t0()).unwrap();
    let raw = URL_SAFE_NO_PAD.decode(&token).unwrap();
    for i in 0..raw.len() {
        let mut bad = raw.clone();
        bad[i] ^= 0x01;
        assert_eq!(
            store.open_at(&URL_SAFE_NO_PAD.encode(&bad), t0()),
            None,
            "byte {i}"
        );
    }
    for end in 0..raw.len() {
        assert_eq!(
            store.open_at(&URL_SAFE_NO_PAD.encode(&raw[..end]), t0()),
            None
        );
    }
    let mut longer = raw.clone();
    longer.push(0);
    assert_eq!(store.open_at(&URL_SAFE_NO_PAD.encode(&longer), t0()), None);
}

#[test]
fn another_cookie_name_does_not_open_it() {
    let store = store();
    let token = store.seal_at(&record(DATA, secs(3600)), t0()).unwrap();
    let other = store.clone().with_cookie_name("csrftoken");
    assert_eq!(other.open_at(&token, t0()), None);
    let renamed = store.clone().with_cookie_name("__Host-session");
    let token2 = renamed.seal_at(&record(DATA, secs(3600)), t0()).unwrap();
    assert_eq!(store.open_at(&token2, t0()), None);
    assert_eq!(renamed.open_at(&token2, t0()).as_deref(), Some(DATA));
}

#[test]
fn wrong_secret_salt_or_format_does_not_open_it() {
    let token = store().seal_at(&record(DATA, secs(3600)), t0()).unwrap();
    let wrong = [
        CookieStore::new("other")
            .unwrap()
            .with_format(CookieFormat::Encrypted),
        store().with_salt("another salt"),
        CookieStore::new("secret").unwrap(),
        CookieStore::new("secret")
            .unwrap()
            .with_format(CookieFormat::Expiring),
    ];
    for store in wrong {
        assert_eq!(store.open_at(&token, t0()), None, "{store:?}");
    }
    // And a signed cookie does not open as an encrypted one.
    let signed = CookieStore::new("secret")
        .unwrap()
        .seal_at(&record(DATA, secs(60)), t0())
        .unwrap();
    assert_eq!(store().open_at(&signed, t0()), None);
}

#[test]
fn fallback_secrets_decrypt_old_cookies() {
    let old = CookieStore::new("old")
        .unwrap()
        .with_format(CookieFormat::Encrypted);
    let token = old.seal_at(&record(DATA, secs(3600)), t0()).unwrap();
    let rotated = store().with_fallbacks(["older", "old"]).unwrap();
    assert_eq!(rotated.open_at(&token, t0()).as_deref(), Some(DATA));
    // New cookies use the new secret: the old store cannot read them.
    let new = rotated.seal_at(&record(DATA, secs(3600)), t0()).unwrap();
    assert_eq!(old.open_at(&new, t0()), None);
}

#[test]
fn max_age_and_record_expiry_are_enforced() {
    let store = store().with_max_age(secs(100));
    let token = store.seal_at(&record(DATA, secs(1000)), t0()).unwrap();
    assert!(store.open_at(&token, t0() + secs(100)).is_some());
    assert_eq!(store.open_at(&token, t0() + secs(101)), None);
    let token = store.seal_at(&record(DATA, secs(10)), t0()).unwrap();
    assert!(store.open_at(&token, t0() + secs(9)).is_some());
    assert_eq!(store.open_at(&token, t0() + secs(10)), None);
}

#[test]
fn compression_when_asked() {
    let big = format!(r#"{{"blob":"{}"}}"#, "a".repeat(3000)).into_bytes();
    let plain = store();
    assert!(matches!(
        plain.seal_at(&record(&big, secs(60)), t0()),
        Err(session_core::Error::CookieTooLarge { .. })
    ));
    let compressed = store().with_compression(true);
    let token = compressed.seal_at(&record(&big, secs(60)), t0()).unwrap();
    assert!(token.len() < 200, "{}", token.len());
    assert_eq!(compressed.open_at(&token, t0()), Some(big));
}

#[test]
fn works_with_message_pack_through_the_manager() {
    let manager = SessionManager::new(store()).with_serializer(MessagePack);
    let mut session = manager.session(None);
    session.insert("member_id", 7).unwrap();
    session.save().unwrap();
    let value = session.key().unwrap().to_owned();
    let mut next = manager.session(Some(&value));
    assert_eq!(next.get::<u32>("member_id").unwrap(), Some(7));
}
