//! The Django session_data codec.

use std::time::{Duration, SystemTime};

use session_core::{
    DjangoJson, Error, MemoryStore, Record, Serializer, SessionData, SessionManager, SessionStore,
};
use session_signing::{DJANGO_SESSION_SALT, DjangoCodec, SignError, Signer};

use crate::vectors;

#[test]
fn every_django_row_decodes_to_its_data() {
    let v = vectors();
    let codec = DjangoCodec::new(&v.secret_key).unwrap();
    for vector in &v.vectors {
        let data = codec.from_bytes(vector.db_session_data.as_bytes()).unwrap();
        assert_eq!(data, vector.data, "{}", vector.json);
    }
}

#[test]
fn fallback_signed_rows_need_the_fallback() {
    let v = vectors();
    let old = Signer::new(&v.secret_key_fallbacks[0])
        .unwrap()
        .with_salt(DJANGO_SESSION_SALT);
    let without = DjangoCodec::new(&v.secret_key).unwrap();
    let with = DjangoCodec::new(&v.secret_key)
        .unwrap()
        .with_fallbacks(&v.secret_key_fallbacks)
        .unwrap();
    for vector in &v.vectors {
        let row = old.sign_at(vector.json.as_bytes(), true, v.time());
        assert!(matches!(
            without.from_bytes(row.as_bytes()),
            Err(Error::Deserialize(_))
        ));
        assert_eq!(with.from_bytes(row.as_bytes()).unwrap(), vector.data);
    }
}

#[test]
fn rows_are_reproduced_exactly_when_not_compressed() {
    let v = vectors();
    let codec = DjangoCodec::new(&v.secret_key).unwrap();
    let mut exact = 0;
    for vector in v.vectors.iter().filter(|v| !v.compressed) {
        let ours = codec.encode_at(&vector.data, v.time()).unwrap();
        if DjangoJson.to_bytes(&vector.data).unwrap() == vector.json.as_bytes() {
            assert_eq!(ours, vector.db_session_data, "{}", vector.json);
            exact += 1;
        } else {
            // Only float spelling differs (serde_json `1e16` vs Python `1e+16`): same meaning.
            assert!(vector.json.contains("e+"), "{}", vector.json);
            assert_eq!(codec.decode(&ours).unwrap(), vector.data);
        }
    }
    assert!(exact >= 6, "{exact}");
}

#[test]
fn compressed_rows_round_trip() {
    let v = vectors();
    let codec = DjangoCodec::new(&v.secret_key).unwrap();
    for vector in v.vectors.iter().filter(|v| v.compressed) {
        let ours = codec.encode_at(&vector.data, v.time()).unwrap();
        let big = vector.json.len() >= session_signing::COMPRESS_THRESHOLD;
        assert_eq!(ours.starts_with('.'), big, "{}", vector.json);
        assert_eq!(codec.decode(&ours).unwrap(), vector.data);
    }
}

#[test]
fn age_is_ignored_like_django() {
    let v = vectors();
    let codec = DjangoCodec::new(&v.secret_key).unwrap();
    // Signed in 2023, read now (years later): the store's expiry governs, not the timestamp.
    assert!(codec.decode(&v.vectors[1].db_session_data).is_ok());
}

#[test]
fn cookie_salt_is_not_session_salt() {
    let v = vectors();
    let codec = DjangoCodec::new(&v.secret_key).unwrap();
    let err = codec
        .from_bytes(v.vectors[1].cookie.as_bytes())
        .unwrap_err();
    let Error::Deserialize(source) = &err else {
        panic!("{err:?}")
    };
    assert!(matches!(
        source.downcast_ref::<SignError>(),
        Some(SignError::BadSignature)
    ));
}

#[test]
fn corrupt_input_is_a_deserialize_error() {
    let v = vectors();
    let codec = DjangoCodec::new(&v.secret_key).unwrap();
    let signer = Signer::new(&v.secret_key)
        .unwrap()
        .with_salt(DJANGO_SESSION_SALT);
    let not_json = signer.sign(b"this is not json {", true);
    let not_object = signer.sign(b"[1,2,3]", true);
    let inputs: [&[u8]; 7] = [
        b"",
        b"\xff\xfe\x00 not utf-8",
        b"garbage",
        b"e30:1r31eq:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        not_json.as_bytes(),
        not_object.as_bytes(),
        &[b'x'; 1 << 20],
    ];
    for input in inputs {
        assert!(
            matches!(codec.from_bytes(input), Err(Error::Deserialize(_))),
            "{:?}",
            String::from_utf8_lossy(&input[..input.len().min(40)])
        );
    }
}

#[test]
fn non_ascii_is_escaped_for_django() {
    let codec = DjangoCodec::new("s").unwrap().with_compression(false);
    let mut data = SessionData::new();
    data.insert("name".into(), "Zoë ☃ 😀".into());
    let text = codec.to_bytes(&data).unwrap();
    assert!(text.is_ascii());
    let (payload, _) = std::str::from_utf8(&text).unwrap().split_once(':').unwrap();
    use base64::Engine;
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    assert_eq!(json, br#"{"name":"Zo\u00eb \u2603 \ud83d\ude00"}"#);
    assert_eq!(codec.from_bytes(&text).unwrap(), data);
}

#[test]
fn forged_row_loads_as_an_empty_session() {
    let store = std::sync::Arc::new(MemoryStore::new());
    let manager =
        SessionManager::new(store.clone()).with_serializer(DjangoCodec::new("secret").unwrap());
    let forged = DjangoCodec::new("attacker's guess")
        .unwrap()
        .to_bytes(
            &[("_auth_user_id".to_owned(), "1".into())]
                .into_iter()
                .collect(),
        )
        .unwrap();
    let key = store
        .create(&Record::new(
            forged,
            SystemTime::now() + Duration::from_secs(60),
        ))
        .unwrap();
    let mut session = manager.session(Some(&key));
    assert!(session.is_empty().unwrap());
    assert_eq!(session.get::<String>("_auth_user_id").unwrap(), None);

    // And a real one round-trips through the manager.
    let mut session = manager.session(None);
    session.insert("member_id", 7).unwrap();
    session.save().unwrap();
    let mut again = manager.session(session.key());
    assert_eq!(again.get::<u32>("member_id").unwrap(), Some(7));
}
