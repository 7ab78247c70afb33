//! Secrets: an empty one is refused, a short one is accepted with a warning.

use std::io::Write;
use std::sync::{Arc, Mutex};

use session_core::Error;
use session_signing::{DjangoCodec, RECOMMENDED_SECRET_LEN, Signer};

#[test]
fn an_empty_secret_is_refused_everywhere() {
    assert!(matches!(Signer::new(""), Err(Error::EmptySecret)));
    assert!(matches!(
        Signer::new(Vec::<u8>::new()),
        Err(Error::EmptySecret)
    ));
    assert!(matches!(DjangoCodec::new(""), Err(Error::EmptySecret)));
    let signer = Signer::new("a secret").unwrap();
    assert!(matches!(
        signer.clone().with_fallbacks(["old", ""]),
        Err(Error::EmptySecret)
    ));
    assert!(matches!(
        DjangoCodec::new("a secret").unwrap().with_fallbacks([""]),
        Err(Error::EmptySecret)
    ));
    let message = Error::EmptySecret.to_string();
    assert!(message.contains("secret is empty"), "{message}");
}

/// Every log line written while `f` runs.
fn logs(f: impl FnOnce()) -> String {
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);
    impl Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        // Another test's thread may have registered a callsite as uninteresting while this
        // subscriber was being made (a race in tracing's interest cache): ask again.
        tracing::callsite::rebuild_interest_cache();
        f()
    });
    let bytes = buffer.0.lock().unwrap().clone();
    String::from_utf8(bytes).unwrap()
}

#[test]
fn a_short_secret_is_a_warning() {
    let short = "x".repeat(RECOMMENDED_SECRET_LEN - 1);
    let long = "x".repeat(RECOMMENDED_SECRET_LEN);
    let logged = logs(|| {
        Signer::new(&short).unwrap();
    });
    assert!(logged.contains("WARN"), "{logged}");
    assert!(logged.contains("31 bytes long"), "{logged}");
    let logged = logs(|| {
        DjangoCodec::new(&short).unwrap();
    });
    assert!(logged.contains("WARN"), "{logged}");
    let logged = logs(|| {
        Signer::new(&long)
            .unwrap()
            .with_fallbacks(["short"])
            .unwrap();
    });
    assert!(
        logged.contains("fallback secret is 5 bytes long"),
        "{logged}"
    );
    let logged = logs(|| {
        Signer::new(&long).unwrap().with_fallbacks([&long]).unwrap();
    });
    assert_eq!(logged, "", "no warning at {RECOMMENDED_SECRET_LEN} bytes");
}
