//! Expiry in the Expiring format, and what each format enforces.

use session_core::{Error, Expiry, MessagePack, SessionManager, SessionStore};

use super::*;

#[test]
fn expiring_format_enforces_the_record_expiry() {
    let store = CookieStore::new("s")
        .unwrap()
        .with_format(CookieFormat::Expiring);
    let token = store
        .seal_at(&record(b"\x81\xa1a\x01", secs(10)), t0())
        .unwrap();
    assert!(
        store
            .open_at(&token, t0() + Duration::from_millis(9_999))
            .is_some()
    );
    assert_eq!(store.open_at(&token, t0() + secs(10)), None);
    // Already expired at creation: never loads.
    let past = Record::new(b"x".to_vec(), t0() - secs(1));
    let token = store.seal_at(&past, t0()).unwrap();
    assert_eq!(store.open_at(&token, t0()), None);
    // Before the epoch: long expired, no panic.
    let ancient = Record::new(b"x".to_vec(), UNIX_EPOCH - secs(10));
    let token = store.seal_at(&ancient, t0()).unwrap();
    assert_eq!(store.open_at(&token, t0()), None);
}

#[test]
fn max_age_caps_every_format() {
    for format in FORMATS {
        let store = CookieStore::new("s")
            .unwrap()
            .with_format(format)
            .with_max_age(secs(50));
        let token = store.seal_at(&record(b"{}", secs(3600)), t0()).unwrap();
        assert!(
            store.open_at(&token, t0() + secs(50)).is_some(),
            "{format:?}"
        );
        assert_eq!(store.open_at(&token, t0() + secs(51)), None, "{format:?}");
    }
}

#[test]
fn expiring_is_not_django_format() {
    let expiring = CookieStore::new("s")
        .unwrap()
        .with_format(CookieFormat::Expiring);
    let django = CookieStore::new("s").unwrap();
    let a = expiring.seal_at(&record(b"{}", secs(60)), t0()).unwrap();
    let b = django.seal_at(&record(b"{}", secs(60)), t0()).unwrap();
    assert_eq!(django.open_at(&a, t0()), None);
    assert_eq!(expiring.open_at(&b, t0()), None);
}

#[test]
fn idle_expiry_with_message_pack_is_enforced_by_the_expiring_format() {
    let store = CookieStore::new("s")
        .unwrap()
        .with_format(CookieFormat::Expiring);
    let manager = SessionManager::new(store.clone()).with_serializer(MessagePack);
    let mut session = manager.session(None);
    session.insert("a", 1).unwrap();
    session.set_expiry(Expiry::Idle(secs(30))).unwrap();
    session.save().unwrap();
    let value = session.key().unwrap().to_owned();
    let now = SystemTime::now();
    assert!(store.open_at(&value, now).is_some());
    assert_eq!(store.open_at(&value, now + secs(31)), None);
}

#[test]
fn save_of_a_dead_cookie_is_interrupted() {
    for format in FORMATS {
        let store = CookieStore::new("s").unwrap().with_format(format);
        let fresh = Record::new(b"{}".to_vec(), SystemTime::now() + secs(60));
        for dead in [
            "",
            "garbage",
            "e30:1r31eq:NLy8rgu_xsifzV_3lfGvd1_fkTLBKlpt_S3WndxXvdU",
        ] {
            assert!(
                matches!(store.save(dead, &fresh), Err(Error::Interrupted)),
                "{format:?}"
            );
        }
        let key = store.create(&fresh).unwrap();
        let next = store.save(&key, &fresh).unwrap();
        assert!(store.load(&next).unwrap().is_some());
    }
}
