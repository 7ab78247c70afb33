//! Django's signed_cookies format: Django's cookies load, ours are Django's bytes.

use session_core::{DjangoJson, Expiry, Serializer, SessionData, SessionManager, SessionStore};

use super::*;

#[test]
fn every_django_cookie_loads() {
    let v = vectors();
    let store = CookieStore::new(&v.secret_key).unwrap();
    for vector in &v.vectors {
        let data = store.open_at(&vector.cookie, v.time()).expect(&vector.json);
        assert_eq!(data, vector.json.as_bytes());
        assert_eq!(DjangoJson.from_bytes(&data).unwrap(), vector.data);
    }
}

#[test]
fn fallback_cookies_load_only_with_the_fallback() {
    let v = vectors();
    let without = CookieStore::new(&v.secret_key).unwrap();
    let with = CookieStore::new(&v.secret_key)
        .unwrap()
        .with_fallbacks(&v.secret_key_fallbacks)
        .unwrap();
    for vector in &v.vectors {
        assert_eq!(
            without.open_at(&vector.cookie_signed_with_fallback, v.time()),
            None
        );
        assert_eq!(
            with.open_at(&vector.cookie_signed_with_fallback, v.time())
                .as_deref(),
            Some(vector.json.as_bytes())
        );
    }
}

#[test]
fn uncompressed_cookies_are_reproduced_byte_for_byte() {
    let v = vectors();
    let store = CookieStore::new(&v.secret_key).unwrap();
    let mut checked = 0;
    for vector in v.vectors.iter().filter(|v| !v.compressed) {
        let record = Record::new(vector.json.as_bytes().to_vec(), v.time() + v.age());
        assert_eq!(store.seal_at(&record, v.time()).unwrap(), vector.cookie);
        checked += 1;
    }
    assert!(checked >= 6);
    // Compressed ones: our zlib bytes differ from Python's, the meaning does not; below
    // COMPRESS_THRESHOLD we do not even try (Django reads both forms).
    for vector in v.vectors.iter().filter(|v| v.compressed) {
        let record = Record::new(vector.json.as_bytes().to_vec(), v.time() + v.age());
        let ours = store.seal_at(&record, v.time()).unwrap();
        let big = vector.json.len() >= session_signing::COMPRESS_THRESHOLD;
        assert_eq!(ours.starts_with('.'), big, "{}", vector.json);
        assert_eq!(
            store.open_at(&ours, v.time()).as_deref(),
            Some(vector.json.as_bytes())
        );
    }
}

#[test]
fn negative_vectors_load_nothing() {
    let v = vectors();
    let store = CookieStore::new(&v.secret_key)
        .unwrap()
        .with_fallbacks(&v.secret_key_fallbacks)
        .unwrap();
    for negative in &v.negative {
        assert_eq!(
            store.open_at(&negative.cookie, v.time()),
            None,
            "{}",
            negative.label
        );
    }
    // The db salt is not the cookie salt.
    assert_eq!(store.open_at(&v.vectors[1].db_session_data, v.time()), None);
}

#[test]
fn age_boundary_valid_at_max_age_expired_a_second_later() {
    let v = vectors();
    let store = CookieStore::new(&v.secret_key).unwrap();
    let cookie = &v.vectors[1].cookie;
    assert!(store.open_at(cookie, v.time() + v.age()).is_some());
    assert_eq!(store.open_at(cookie, v.time() + v.age() + secs(1)), None);
    let short = store.clone().with_max_age(secs(60));
    assert!(short.open_at(cookie, v.time() + secs(60)).is_some());
    assert_eq!(short.open_at(cookie, v.time() + secs(61)), None);
}

#[test]
fn custom_idle_expiry_is_enforced_beyond_django() {
    // {"_session_expiry":300}, signed by Django at t0: Django would accept it for two weeks.
    let v = vectors();
    let store = CookieStore::new(&v.secret_key).unwrap();
    let cookie = &v.vectors[7].cookie;
    assert_eq!(v.vectors[7].json, r#"{"_session_expiry":300}"#);
    assert!(store.open_at(cookie, v.time() + secs(300)).is_some());
    assert_eq!(store.open_at(cookie, v.time() + secs(301)), None);
}

#[test]
fn browser_close_and_iso_expiry() {
    let v = vectors();
    // {"_session_expiry":0}: browser close, max_age applies.
    let store = CookieStore::new(&v.secret_key).unwrap();
    assert!(
        store
            .open_at(&v.vectors[8].cookie, v.time() + v.age())
            .is_some()
    );
    assert_eq!(
        store.open_at(&v.vectors[8].cookie, v.time() + v.age() + secs(1)),
        None
    );
    // {"_session_expiry":"2030-01-01T00:00:00+00:00"}: enforced as an instant.
    let cookie = &v.vectors[9].cookie;
    let long = CookieStore::new(&v.secret_key)
        .unwrap()
        .with_max_age(secs(20 * 365 * 86_400));
    let new_year = UNIX_EPOCH + secs(1_893_456_000);
    assert!(long.open_at(cookie, new_year - secs(1)).is_some());
    assert_eq!(long.open_at(cookie, new_year), None);
    // max_age still caps it.
    assert_eq!(store.open_at(cookie, v.time() + v.age() + secs(1)), None);
}

#[test]
fn odd_expiry_values_fall_back_to_max_age() {
    let store = CookieStore::new("s").unwrap();
    for data in [
        &br#"{"_session_expiry":"not a date"}"#[..],
        br#"{"_session_expiry":null}"#,
        br#"{"_session_expiry":[1]}"#,
        br#"{"_session_expiry":1e400}"#,
        br#"{"a":1,"#,
        b"\x81\xa1a\x01",
    ] {
        let token = store.seal_at(&record(data, secs(60)), t0()).unwrap();
        // Expiring records are ignored in Django format: max_age only (unless JSON says so).
        assert_eq!(
            store.open_at(&token, t0() + secs(3600)).as_deref(),
            Some(data)
        );
    }
    let token = store
        .seal_at(&record(br#"{"_session_expiry":-5}"#, secs(60)), t0())
        .unwrap();
    assert_eq!(
        store.open_at(&token, t0()),
        None,
        "a negative expiry is already expired"
    );
}

#[test]
fn manager_round_trip_with_django_json() {
    let manager =
        SessionManager::new(CookieStore::new("secret").unwrap()).with_serializer(DjangoJson);
    let mut session = manager.session(None);
    session.insert("name", "Zoë ☃ 😀").unwrap();
    session.set_expiry(Expiry::Idle(secs(300))).unwrap();
    let action = manager.finish(&mut session, 200, false).unwrap();
    let header = manager.set_cookie_header(&action).unwrap();
    let value = session.key().unwrap().to_owned();
    assert!(value.is_ascii());
    assert!(
        header.starts_with(&format!("sessionid={value}; expires=")),
        "{header}"
    );
    assert!(header.contains("; Max-Age=300;"), "{header}");

    let mut next = manager.session(Some(&value));
    assert_eq!(
        next.get::<String>("name").unwrap().as_deref(),
        Some("Zoë ☃ 😀")
    );
    // The payload is Django's JSON, escaped.
    let payload = CookieStore::new("secret")
        .unwrap()
        .load(&value)
        .unwrap()
        .unwrap();
    assert_eq!(
        payload,
        br#"{"name":"Zo\u00eb \u2603 \ud83d\ude00","_session_expiry":300}"#
    );
    let _: SessionData = DjangoJson.from_bytes(&payload).unwrap();
}

#[test]
fn store_exceptions_are_as_documented() {
    let store = CookieStore::new("s").unwrap();
    let value = store
        .create(&Record::new(b"{}".to_vec(), SystemTime::now() + secs(60)))
        .unwrap();
    assert!(!store.exists(&value).unwrap());
    store.delete(&value).unwrap();
    assert!(
        store.load(&value).unwrap().is_some(),
        "delete cannot revoke a cookie"
    );
    assert!(store.runs_inline());
}
