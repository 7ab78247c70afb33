//! Every Django vector verifies and decodes; uncompressed ones are reproduced byte for byte.

use session_signing::{SignError, Signer};

use crate::vectors;

#[test]
fn django_cookies_verify_and_decode() {
    let v = vectors();
    let signer = Signer::new(&v.secret_key)
        .unwrap()
        .with_salt(&v.cookie_salt);
    for vector in &v.vectors {
        let payload = signer
            .unsign_at(&vector.cookie, Some(v.age()), v.time())
            .unwrap_or_else(|e| panic!("{}: {e}", vector.json));
        assert_eq!(payload, vector.json.as_bytes());
        assert_eq!(vector.cookie.starts_with('.'), vector.compressed);
    }
}

#[test]
fn django_db_session_data_verifies_and_decodes() {
    let v = vectors();
    let signer = Signer::new(&v.secret_key).unwrap().with_salt(&v.db_salt);
    for vector in &v.vectors {
        assert_eq!(
            signer
                .unsign_at(&vector.db_session_data, None, v.time())
                .unwrap(),
            vector.json.as_bytes()
        );
    }
}

#[test]
fn fallback_signed_cookies_need_the_fallback() {
    let v = vectors();
    let without = Signer::new(&v.secret_key)
        .unwrap()
        .with_salt(&v.cookie_salt);
    let with = without
        .clone()
        .with_fallbacks(&v.secret_key_fallbacks)
        .unwrap();
    for vector in &v.vectors {
        let token = &vector.cookie_signed_with_fallback;
        assert!(matches!(
            without.unsign_at(token, None, v.time()),
            Err(SignError::BadSignature)
        ));
        assert_eq!(
            with.unsign_at(token, None, v.time()).unwrap(),
            vector.json.as_bytes()
        );
    }
}

#[test]
fn uncompressed_tokens_are_reproduced_exactly() {
    let v = vectors();
    let cookie = Signer::new(&v.secret_key)
        .unwrap()
        .with_salt(&v.cookie_salt);
    let db = Signer::new(&v.secret_key).unwrap().with_salt(&v.db_salt);
    let old = Signer::new(&v.secret_key_fallbacks[0])
        .unwrap()
        .with_salt(&v.cookie_salt);
    let mut checked = 0;
    for vector in v.vectors.iter().filter(|v| !v.compressed) {
        let json = vector.json.as_bytes();
        // Compression on: Django's rule decides it does not pay, so the bytes match too.
        assert_eq!(cookie.sign_at(json, true, v.time()), vector.cookie);
        assert_eq!(cookie.sign_at(json, false, v.time()), vector.cookie);
        assert_eq!(db.sign_at(json, true, v.time()), vector.db_session_data);
        assert_eq!(
            old.sign_at(json, true, v.time()),
            vector.cookie_signed_with_fallback
        );
        checked += 1;
    }
    assert!(checked >= 5);
}

#[test]
fn compressed_tokens_round_trip_and_are_marked() {
    let v = vectors();
    let signer = Signer::new(&v.secret_key)
        .unwrap()
        .with_salt(&v.cookie_salt);
    for vector in v.vectors.iter().filter(|v| v.compressed) {
        let ours = signer.sign_at(vector.json.as_bytes(), true, v.time());
        // Below the threshold no zlib attempt is made: Django reads that form too.
        let big = vector.json.len() >= session_signing::COMPRESS_THRESHOLD;
        assert_eq!(ours.starts_with('.'), big, "{ours}");
        assert_eq!(
            signer.unsign_at(&ours, None, v.time()).unwrap(),
            vector.json.as_bytes()
        );
    }
}

#[test]
fn age_boundary_is_inclusive() {
    let v = vectors();
    let signer = Signer::new(&v.secret_key)
        .unwrap()
        .with_salt(&v.cookie_salt);
    let token = &v.vectors[1].cookie;
    let max = Some(v.age());
    assert!(signer.unsign_at(token, max, v.time() + v.age()).is_ok());
    let late = v.time() + v.age() + std::time::Duration::from_secs(1);
    match signer.unsign_at(token, max, late) {
        Err(SignError::Expired { age, max_age }) => {
            assert_eq!(max_age, v.age());
            assert_eq!(age, v.age() + std::time::Duration::from_secs(1));
        }
        other => panic!("expected Expired, got {other:?}"),
    }
    // A token from the future is not expired (Django: negative age).
    assert!(signer.unsign_at(token, max, v.time() - v.age()).is_ok());
    // Without max_age there is no age limit.
    assert!(signer.unsign_at(token, None, late + v.age()).is_ok());
}

#[test]
fn negative_vectors_are_refused() {
    let v = vectors();
    let signer = Signer::new(&v.secret_key)
        .unwrap()
        .with_salt(&v.cookie_salt)
        .with_fallbacks(&v.secret_key_fallbacks)
        .unwrap();
    assert!(v.negative.len() >= 5);
    for negative in &v.negative {
        let result = signer.unsign_at(&negative.cookie, Some(v.age()), v.time());
        assert!(result.is_err(), "{} verified", negative.label);
    }
}
