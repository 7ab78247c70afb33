//! Key generation and validation.

use std::collections::HashSet;

use session_core::key;

#[test]
fn generated_keys_are_32_lowercase_alphanumerics() {
    for _ in 0..1000 {
        let k = key::generate();
        assert_eq!(k.len(), 32);
        assert!(
            k.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
            "{k}"
        );
    }
}

#[test]
fn generated_keys_use_the_whole_alphabet_and_do_not_repeat() {
    let keys: Vec<String> = (0..2000).map(|_| key::generate()).collect();
    assert_eq!(keys.iter().collect::<HashSet<_>>().len(), keys.len());
    let chars: HashSet<char> = keys.iter().flat_map(|k| k.chars()).collect();
    assert_eq!(
        chars.len(),
        36,
        "every one of [a-z0-9] appears in 64,000 draws"
    );
}

#[test]
fn validation_boundaries() {
    assert!(!key::is_well_formed(""));
    assert!(!key::is_well_formed("1"));
    assert!(!key::is_well_formed("1234567"));
    assert!(key::is_well_formed("12345678"));
    assert!(key::is_well_formed(&"a".repeat(key::MAX_LEN)));
    assert!(!key::is_well_formed(&"a".repeat(key::MAX_LEN + 1)));
    for bad in [
        "abcdefg/",
        "abcdefg\\",
        "abcdefg\0",
        "abcdefgé",
        "abcdefg.",
        "ABCDEFGH",
        "abcd efgh",
    ] {
        assert!(!key::is_well_formed(bad), "{bad:?}");
        assert!(key::validate(bad).is_err());
    }
}

#[test]
fn key_prefix_never_shows_a_whole_generated_key() {
    let k = key::generate();
    let p = session_core::key_prefix(&k);
    assert!(p.starts_with(&k[..8]));
    assert!(!p.contains(&k[8..]));
    assert_eq!(
        session_core::key_prefix("é".repeat(20).as_str()),
        format!("{}…", "é".repeat(8))
    );
}
