//! Signed tokens and session cookies: `Signer::verify_at` and `CookieStore::load` in
//! every cookie format must refuse garbage without panicking.
#![no_main]

use std::sync::OnceLock;
use std::time::{Duration, UNIX_EPOCH};

use libfuzzer_sys::fuzz_target;
use session_cookie::{CookieFormat, CookieStore};
use session_core::SessionStore;
use session_signing::Signer;

fn stores() -> &'static [CookieStore; 3] {
    static STORES: OnceLock<[CookieStore; 3]> = OnceLock::new();
    STORES.get_or_init(|| {
        [CookieFormat::Django, CookieFormat::Expiring, CookieFormat::Encrypted]
            .map(|format| CookieStore::new("fuzz secret").expect("a non-empty secret").with_format(format))
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let signer = Signer::new("fuzz secret").expect("a non-empty secret").with_max_payload_len(1 << 20);
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    // A forged token never verifies (the fuzzer cannot find an HMAC-SHA256 collision; if
    // it ever "verifies", the parser accepted something it should not have).
    assert!(signer.verify_at(&text, Some(Duration::from_secs(60)), now).is_err());
    assert!(signer.verify_at(&text, None, now).is_err());
    for store in stores() {
        assert_eq!(store.load(&text).unwrap(), None);
        assert!(store.save(&text, &session_core::Record::new(Vec::new(), now)).is_err());
    }
    // Tokens we sign around the fuzz input always verify back to it.
    let token = signer.sign_at(data, data.first().is_some_and(|b| b & 1 == 1), now);
    assert_eq!(signer.unsign_at(&token, None, now).unwrap(), data);
});
