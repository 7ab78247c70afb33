//! Django `session_data` text: `DjangoCodec::from_bytes` on anything, and on validly
//! signed envelopes around fuzzed (maybe compressed) payloads.
#![no_main]

use std::time::{Duration, UNIX_EPOCH};

use libfuzzer_sys::fuzz_target;
use session_core::Serializer;
use session_signing::DjangoCodec;

fuzz_target!(|data: &[u8]| {
    let codec = DjangoCodec::new("fuzz secret").expect("a non-empty secret");
    // Raw input: never a panic, and never data without a valid signature.
    assert!(codec.from_bytes(data).is_err());
    // A correctly signed envelope around fuzzed bytes reaches the zlib and JSON decoders.
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let compress = data.first().is_some_and(|b| b & 1 == 1);
    let token = codec.signer().sign_at(data, compress, now);
    if let Ok(session) = codec.from_bytes(token.as_bytes()) {
        let again = codec.to_bytes(&session).unwrap();
        assert!(codec.from_bytes(&again).is_ok());
    }
    // A compressed marker on raw (maybe not zlib) bytes: the decompressor must fail cleanly.
    let mut forged = String::from(".");
    forged.push_str(&token);
    let _ = codec.from_bytes(forged.as_bytes());
});
