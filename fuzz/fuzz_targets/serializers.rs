//! `Json`, `DjangoJson` and `MessagePack` decoding of arbitrary bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use session_core::{DjangoJson, Json, MessagePack, Serializer};

fuzz_target!(|data: &[u8]| {
    if let Ok(session) = MessagePack.from_bytes(data) {
        // What MessagePack reads, it writes and reads back identically.
        let bytes = MessagePack.to_bytes(&session).unwrap();
        assert_eq!(MessagePack.from_bytes(&bytes).unwrap(), session);
    }
    for serializer in [&Json as &dyn Serializer, &DjangoJson] {
        if let Ok(session) = serializer.from_bytes(data) {
            // What JSON reads, it writes and reads back identically (floats too: the
            // workspace turns on serde_json's `float_roundtrip`).
            let bytes = serializer.to_bytes(&session).unwrap();
            assert_eq!(serializer.from_bytes(&bytes).unwrap(), session);
        }
    }
});
