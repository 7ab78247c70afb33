//! The signed-cookie page of the book: `CookieStore` (session-cookie).
//!
//! `cargo run -p session-examples --example backend_cookie`

use std::time::Duration;

use session_cookie::{CookieFormat, CookieStore};
use session_core::{CookieAction, Error, Result, SessionManager};

// ANCHOR: open
fn open(secret: &str) -> Result<SessionManager> {
    // Django's signed-cookie format; `into_manager` picks the matching serializer
    // (DjangoJson) and sets the manager's cookie name and age from the store.
    // An empty secret is an error; one under 32 bytes is logged as a warning.
    Ok(CookieStore::new(secret)?.into_manager())
}
// ANCHOR_END: open

// ANCHOR: options
fn configured(secret: &str, old_secret: &str) -> Result<SessionManager> {
    let store = CookieStore::new(secret)?
        .with_fallbacks([old_secret])? // still accept cookies signed with the old secret
        .with_format(CookieFormat::Encrypted) // the client cannot read the data either
        .with_max_age(Duration::from_secs(8 * 3600)) // accepted this long after it was made
        .with_cookie_name("__Host-session")
        .with_size_limit(4096); // the default: what every browser keeps
    let manager = store.into_manager();
    let config = manager.config().clone().with_cookie_secure(true);
    Ok(manager.with_config(config))
}
// ANCHOR_END: options

// ANCHOR: size
fn too_large(manager: &SessionManager) -> Result<()> {
    let mut session = manager.session(None);
    let noise: Vec<String> = (0..400)
        .map(|i| format!("{:x}", i * 2_654_435_761_u64))
        .collect();
    session.insert("noise", noise)?;
    // An error when the response is prepared, never a cookie the browser drops silently.
    let err = manager.finish(&mut session, 200, false).unwrap_err();
    assert!(matches!(err, Error::CookieTooLarge { limit: 4096, .. }));
    Ok(())
}
// ANCHOR_END: size

pub fn main() -> Result<()> {
    let manager = open("a long random secret, 32 bytes or more")?;
    let mut session = manager.session(None);
    session.insert("member_id", 7)?;
    let CookieAction::Set { value, .. } = manager.finish(&mut session, 200, false)? else {
        unreachable!("a modified session sets its cookie")
    };
    // The cookie *is* the session: data:timestamp:signature.
    assert_eq!(
        manager.session(Some(&value)).get::<u32>("member_id")?,
        Some(7)
    );

    let manager = configured(
        "the new secret, long and random as the old one",
        "the old secret, long and random as the new one",
    )?;
    assert_eq!(manager.config().cookie_name, "__Host-session");
    too_large(&manager)?;
    println!("ok");
    Ok(())
}
