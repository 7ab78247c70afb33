//! Properties: signing round-trips anything, and no input makes verification panic.

use std::time::{Duration, UNIX_EPOCH};

use proptest::prelude::*;
use session_core::{Serializer, SessionData};
use session_signing::{DjangoCodec, Signer};

proptest! {
    #[test]
    fn sign_then_unsign_is_identity(
        payload in proptest::collection::vec(any::<u8>(), 0..2048),
        compress in any::<bool>(),
        secs in 0u64..4_000_000_000,
        salt in "[ -~]{0,40}",
    ) {
        let signer = Signer::new("secret").unwrap().with_salt(salt);
        let t = UNIX_EPOCH + Duration::from_secs(secs);
        let token = signer.sign_at(&payload, compress, t);
        prop_assert!(token.is_ascii() && !token.contains(['=', '+', '/', ' ']));
        prop_assert_eq!(signer.unsign_at(&token, Some(Duration::ZERO), t).unwrap(), payload);
    }

    #[test]
    fn arbitrary_text_never_panics(token in "\\PC{0,300}") {
        let signer = Signer::new("secret").unwrap().with_fallbacks(["old"]).unwrap();
        prop_assert!(signer.unsign(&token, Some(Duration::from_secs(60))).is_err());
        prop_assert!(DjangoCodec::new("secret").unwrap().from_bytes(token.as_bytes()).is_err());
    }

    #[test]
    fn token_shaped_junk_never_panics(
        dot in any::<bool>(),
        payload in "[A-Za-z0-9_-]{0,200}",
        ts in "-?[0-9A-Za-z]{0,14}",
        sig in "[A-Za-z0-9_-]{0,50}",
    ) {
        let token = format!("{}{payload}:{ts}:{sig}", if dot { "." } else { "" });
        prop_assert!(Signer::new("secret").unwrap().unsign(&token, None).is_err());
    }

    #[test]
    fn codec_round_trips_strings(
        entries in proptest::collection::vec(("[a-z_]{1,12}", "\\PC{0,40}"), 0..8),
    ) {
        let data: SessionData = entries.into_iter().map(|(k, v)| (k, v.into())).collect();
        let codec = DjangoCodec::new("secret").unwrap();
        let text = codec.to_bytes(&data).unwrap();
        prop_assert!(text.is_ascii());
        prop_assert_eq!(codec.from_bytes(&text).unwrap(), data);
    }
}
