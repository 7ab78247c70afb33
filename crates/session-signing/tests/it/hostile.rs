//! Hostile and broken tokens: always an error, never a panic.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use session_signing::{SignError, Signer};
use sha2::{Digest, Sha256};

use crate::vectors;

fn signer() -> (Signer, crate::Vectors) {
    let v = vectors();
    let signer = Signer::new(&v.secret_key)
        .unwrap()
        .with_salt(&v.cookie_salt)
        .with_fallbacks(&v.secret_key_fallbacks)
        .unwrap();
    (signer, v)
}

/// Signs `value` (everything before the signature) the way Django does, independently of
/// `Signer`, so tests can build validly signed but otherwise broken tokens.
fn django_sign(secret: &str, salt: &str, value: &str) -> String {
    let key = Sha256::digest(format!("{salt}signer{secret}"));
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(value.as_bytes());
    let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{value}:{sig}")
}

#[test]
fn independent_signature_matches_the_vectors() {
    let v = vectors();
    let cookie = &v.vectors[1].cookie;
    let (value, _) = cookie.rsplit_once(':').unwrap();
    assert_eq!(&django_sign(&v.secret_key, &v.cookie_salt, value), cookie);
}

#[test]
fn every_tampered_byte_is_refused() {
    let (signer, v) = signer();
    for vector in &v.vectors {
        let token = vector.cookie.as_bytes();
        for i in 0..token.len() {
            for replacement in [b'A', b'-', b'.', b':', b'0'] {
                if token[i] == replacement {
                    continue;
                }
                let mut bad = token.to_vec();
                bad[i] = replacement;
                let bad = String::from_utf8(bad).unwrap();
                assert!(
                    signer.unsign_at(&bad, Some(v.age()), v.time()).is_err(),
                    "{bad} verified"
                );
            }
        }
    }
}

#[test]
fn tampered_parts_give_bad_signature() {
    let (signer, v) = signer();
    let token = &v.vectors[1].cookie;
    let (payload, rest) = token.split_once(':').unwrap();
    let (timestamp, signature) = rest.split_once(':').unwrap();
    let cases = [
        format!("{payload}:{timestamp}:{}", signature.replace('8', "9")),
        format!("e30:{timestamp}:{signature}"),
        format!("{payload}:1r31er:{signature}"),
        format!(".{payload}:{timestamp}:{signature}"),
        format!("{payload}:{timestamp}:{signature}A"),
        format!("{payload}:{timestamp}:{}", &signature[..42]),
    ];
    for case in cases {
        assert!(
            matches!(
                signer.unsign_at(&case, None, v.time()),
                Err(SignError::BadSignature)
            ),
            "{case}"
        );
    }
}

#[test]
fn wrong_secret_and_wrong_salt_are_refused() {
    let v = vectors();
    let token = &v.vectors[1].cookie;
    let wrong_secret = Signer::new("not the secret")
        .unwrap()
        .with_salt(&v.cookie_salt);
    let wrong_salt = Signer::new(&v.secret_key).unwrap().with_salt(&v.db_salt);
    let default_salt = Signer::new(&v.secret_key).unwrap();
    for signer in [wrong_secret, wrong_salt, default_salt] {
        assert!(matches!(
            signer.unsign_at(token, None, v.time()),
            Err(SignError::BadSignature)
        ));
    }
}

#[test]
fn every_truncation_is_refused() {
    let (signer, v) = signer();
    for vector in &v.vectors {
        for end in 0..vector.cookie.len() {
            let cut = &vector.cookie[..end];
            assert!(signer.unsign_at(cut, None, v.time()).is_err(), "{cut}");
        }
    }
}

#[test]
fn junk_is_refused_without_panic() {
    let (signer, v) = signer();
    let megabyte: String = (0..1 << 20)
        .map(|i: u32| char::from(b'!' + (i.wrapping_mul(2_654_435_761) >> 27) as u8))
        .collect();
    let megabyte_colons = format!("{megabyte}:{megabyte}:{megabyte}");
    let cases = [
        "",
        ":",
        "::",
        ":::",
        "abcdefgh",
        "no separators at all",
        "a:b",
        "a:b:c",
        "ÅÄÖ:åäö:☃",
        "\0:\0:\0",
        &megabyte,
        &megabyte_colons,
    ];
    for case in cases {
        let result = signer.unsign_at(case, Some(v.age()), v.time());
        assert!(result.is_err(), "{:.40} verified", case);
    }
    assert!(matches!(
        signer.unsign_at("", None, v.time()),
        Err(SignError::Malformed(_))
    ));
}

#[test]
fn validly_signed_garbage_is_a_clear_error() {
    let v = vectors();
    let signer = Signer::new(&v.secret_key)
        .unwrap()
        .with_salt(&v.cookie_salt);
    let sign = |value: &str| django_sign(&v.secret_key, &v.cookie_salt, value);

    // Not base64 (Django would raise too).
    let token = sign("not*base64!:1r31eq");
    assert!(matches!(
        signer.unsign_at(&token, None, v.time()),
        Err(SignError::Malformed(_))
    ));
    // `.`-marked but not zlib.
    let token = sign(&format!(".{}:1r31eq", URL_SAFE_NO_PAD.encode(b"{\"a\":1}")));
    assert!(matches!(
        signer.unsign_at(&token, None, v.time()),
        Err(SignError::Decompress(_))
    ));
    // `.`-marked, empty.
    let token = sign(".:1r31eq");
    assert!(signer.unsign_at(&token, None, v.time()).is_err());
    // Truncated zlib stream.
    let full = signer.sign_at(&[b'z'; 1000], true, v.time());
    let (value, _) = full.rsplit_once(':').unwrap();
    let (payload, ts) = value.rsplit_once(':').unwrap();
    let token = sign(&format!("{}:{ts}", &payload[..payload.len() - 4]));
    assert!(signer.unsign_at(&token, None, v.time()).is_err());
    // Timestamps that are not base62, or overflow.
    for ts in ["", "-", "1r3!eq", "zzzzzzzzzzzzzzzzzzzzzzzz", "--1"] {
        let token = sign(&format!("e30:{ts}"));
        assert!(
            matches!(
                signer.unsign_at(&token, Some(v.age()), v.time()),
                Err(SignError::Malformed(_))
            ),
            "{ts:?}"
        );
    }
    // No timestamp at all (a plain `Signer` token): Django's TimestampSigner refuses it too.
    let token = sign("e30");
    assert!(matches!(
        signer.unsign_at(&token, None, v.time()),
        Err(SignError::Malformed(_))
    ));
    // Extreme but valid timestamps never panic in the age arithmetic.
    for ts in ["-AzL8n0Y58m7", "AzL8n0Y58m7", "0", "-1"] {
        let token = sign(&format!("e30:{ts}"));
        let _ = signer.unsign_at(&token, Some(v.age()), v.time());
        let _ = signer.unsign_at(&token, Some(Duration::MAX), v.time());
    }
}

#[test]
fn decompression_is_bounded() {
    let signer = Signer::new("s").unwrap().with_max_payload_len(1 << 16);
    let bomb = signer.sign(&vec![0u8; 1 << 20], true);
    assert!(
        bomb.len() < 3000,
        "1 MiB of zeros compresses well: {}",
        bomb.len()
    );
    assert!(matches!(
        signer.unsign(&bomb, None),
        Err(SignError::TooLarge { limit: 65536 })
    ));
    assert_eq!(
        signer
            .unsign(&signer.sign(&[0u8; 1 << 16], true), None)
            .unwrap()
            .len(),
        1 << 16
    );
}

#[test]
fn large_payloads_round_trip() {
    let signer = Signer::new("s").unwrap();
    let data: Vec<u8> = (0..1 << 20)
        .map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    for compress in [false, true] {
        let token = signer.sign(&data, compress);
        assert_eq!(signer.unsign(&token, None).unwrap(), data);
    }
    assert_eq!(signer.unsign(&signer.sign(b"", true), None).unwrap(), b"");
}

#[test]
fn debug_never_shows_secrets() {
    let signer = Signer::new("top-secret-value")
        .unwrap()
        .with_fallbacks(["older-secret-value"])
        .unwrap();
    let debug = format!("{signer:?}");
    assert!(
        !debug.contains("top-secret") && !debug.contains("older-secret"),
        "{debug}"
    );
    assert!(debug.contains("[redacted]"));
}
