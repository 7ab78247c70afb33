//! The concepts chapter of the book, as a program that checks what the chapter says.
//!
//! `cargo run -p session-examples --example concepts` runs every section and prints `ok`.

use std::time::{Duration, SystemTime};

use serde_json::json;
use session_core::expiry::max_expiry;
use session_core::{
    CookieAction, Error, Expiry, MemoryStore, Result, SameSite, SessionConfig, SessionManager,
    reserved,
};

// ANCHOR: map
fn the_session_map() -> Result<()> {
    let manager = SessionManager::new(MemoryStore::new());
    let mut session = manager.session(None); // a request without a cookie

    // Any serde value goes in; it is kept as JSON.
    session.insert("cart", vec![3, 14])?;
    session.insert("theme", "dark")?;
    assert_eq!(session.get::<Vec<u32>>("cart")?, Some(vec![3, 14]));
    assert_eq!(session.get::<String>("missing")?, None);
    assert!(session.get::<String>("cart").is_err()); // wrong type: an error, not a panic

    // Django's dict methods.
    assert_eq!(session.set_default("visits", 0)?, json!(0)); // inserts when absent
    session.update([("lang", "fr"), ("tz", "Europe/Paris")])?;
    assert_eq!(session.remove("theme")?, Some(json!("dark")));
    assert_eq!(session.pop_or("theme", json!("light"))?, json!("light"));
    assert_eq!(session.keys()?, ["cart", "visits", "lang", "tz"]); // insertion order
    session.clear(); // empty, but the key (if any) stays
    assert!(session.is_empty()?);
    Ok(())
}
// ANCHOR_END: map

// ANCHOR: flags
fn accessed_and_modified() -> Result<()> {
    let manager = SessionManager::new(MemoryStore::new());
    let mut session = manager.session(None);
    assert!(!session.is_accessed() && !session.is_modified());

    session.contains_key("cart")?; // any read: accessed (the response varies on Cookie)
    assert!(session.is_accessed() && !session.is_modified());

    session.remove("cart")?; // removing an absent key changes nothing
    assert!(!session.is_modified());

    session.insert("cart", [1])?; // a real change: modified (the session will be saved)
    assert!(session.is_modified());

    // Django's `session.accessed = session.modified = False`: the data stays, and only
    // later changes make the response save.
    session.reset_flags();
    assert!(!session.is_accessed() && !session.is_modified());
    assert_eq!(session.get::<Vec<u32>>("cart")?, Some(vec![1]));
    Ok(())
}
// ANCHOR_END: flags

// ANCHOR: reserved
fn reserved_keys() -> Result<()> {
    let manager = SessionManager::new(MemoryStore::new());
    let mut session = manager.session(None);

    // Keys starting with `_` belong to the framework: the public API refuses them.
    let err = session.insert("_auth_user_id", "1").unwrap_err();
    assert!(matches!(err, Error::ReservedKey(key) if key == "_auth_user_id"));

    // Framework code (an auth layer, Django interop) writes them on purpose.
    session.reserved().insert(reserved::AUTH_USER_ID, "1")?;
    // Anyone may read them.
    assert_eq!(
        session.get::<String>(reserved::AUTH_USER_ID)?.as_deref(),
        Some("1")
    );
    Ok(())
}
// ANCHOR_END: reserved

// ANCHOR: keys
fn keys() -> Result<()> {
    let manager = SessionManager::new(MemoryStore::new());

    // A new session has no key until it is saved.
    let mut session = manager.session(None);
    session.insert("cart", [1])?;
    assert_eq!(session.key(), None);
    session.save()?;
    let key = session.key().unwrap().to_owned();
    assert_eq!(key.len(), 32); // 32 chars of [a-z0-9] from the OS CSPRNG

    // A key the store does not know is never adopted (no session fixation): the
    // session starts empty and gets a fresh key when saved.
    let mut planted = manager.session(Some("attackerchosenkey123"));
    assert!(planted.is_empty()?);
    assert_eq!(planted.key(), None);

    // cycle_key: the same data under a new key; the old key stops working.
    let mut session = manager.session(Some(&key));
    session.cycle_key()?;
    assert_ne!(session.key(), Some(key.as_str()));
    assert!(manager.session(Some(&key)).is_empty()?);
    assert_eq!(session.get::<Vec<u32>>("cart")?, Some(vec![1]));
    Ok(())
}
// ANCHOR_END: keys

// ANCHOR: expiry
fn expiry() -> Result<()> {
    let manager = SessionManager::new(MemoryStore::new());
    let mut session = manager.session(None);
    let two_weeks = Duration::from_secs(1_209_600);

    // Default: `cookie_age` (two weeks) after the last save. Django's set_expiry(None).
    assert_eq!(session.expiry()?, Expiry::Default);
    assert_eq!(session.expiry_age()?, two_weeks);

    // Idle: this long after the last save. Django's set_expiry(300), which works here
    // too: whole seconds convert to an `Expiry`.
    session.set_expiry(Expiry::Idle(Duration::from_secs(300)))?;
    assert_eq!(session.expiry_age()?, Duration::from_secs(300));
    assert_eq!(
        session.get_value(reserved::SESSION_EXPIRY)?,
        Some(&json!(300))
    );
    session.set_expiry(300)?;
    assert_eq!(session.expiry()?, Expiry::Idle(Duration::from_secs(300)));

    // A negative number of seconds: expired at once, as in Django; no store loads such
    // a session again.
    session.set_expiry(-1)?;
    assert_eq!(session.expiry_age()?, Duration::ZERO);

    // At: a fixed instant. Django's set_expiry(datetime).
    let new_year = SystemTime::UNIX_EPOCH + Duration::from_secs(1_893_456_000);
    session.set_expiry(Expiry::At(new_year))?;
    assert_eq!(
        session.get_value(reserved::SESSION_EXPIRY)?,
        Some(&json!("2030-01-01T00:00:00+00:00"))
    );

    // BrowserClose: a cookie without Max-Age; the server keeps the session for
    // `cookie_age`. Django's set_expiry(0).
    session.set_expiry(Expiry::BrowserClose)?;
    assert!(session.expire_at_browser_close()?);
    assert_eq!(session.expiry_age()?, two_weeks);

    // No session outlives the ceiling, 9999-12-31T23:59:59Z: every expiry saturates there.
    session.set_expiry(i64::MAX)?;
    assert_eq!(session.expiry_date()?, max_expiry());
    let year_20000 = SystemTime::UNIX_EPOCH + Duration::from_secs(568_971_820_800);
    session.set_expiry(year_20000)?;
    assert_eq!(
        session.get_value(reserved::SESSION_EXPIRY)?,
        Some(&json!("9999-12-31T23:59:59+00:00"))
    );

    // Back to the default: the reserved key is removed.
    session.set_expiry(Expiry::Default)?;
    assert!(!session.contains_key(reserved::SESSION_EXPIRY)?);
    Ok(())
}
// ANCHOR_END: expiry

// ANCHOR: saving
fn when_a_session_is_saved() -> Result<()> {
    let manager = SessionManager::new(MemoryStore::new());

    // Modified, not empty, status < 500: saved, cookie set.
    let mut session = manager.session(None);
    session.insert("has_commented", true)?;
    let action = manager.finish(&mut session, 200, false)?;
    let CookieAction::Set { value: key, .. } = action else {
        panic!("expected a cookie")
    };

    // Only read: nothing saved, no cookie, but `Vary: Cookie`.
    let mut session = manager.session(Some(&key));
    session.get::<bool>("has_commented")?;
    let action = manager.finish(&mut session, 200, true)?;
    assert_eq!(action, CookieAction::None { vary_cookie: true });

    // A server error: nothing saved, whatever changed.
    let mut session = manager.session(Some(&key));
    session.insert("draft", "lost")?;
    assert!(matches!(
        manager.finish(&mut session, 500, true)?,
        CookieAction::None { .. }
    ));

    // A cookie came in and the session is now empty (logout): delete the cookie.
    let mut session = manager.session(Some(&key));
    session.flush()?;
    let action = manager.finish(&mut session, 200, true)?;
    assert_eq!(action, CookieAction::Delete { vary_cookie: true });

    // `save_every_request`: every non-empty session is saved and its cookie refreshed.
    let manager = manager.with_config(SessionConfig::default().with_save_every_request(true));
    let mut session = manager.session(None);
    session.insert("a", 1)?;
    manager.finish(&mut session, 200, false)?;
    let key = session.key().unwrap().to_owned();
    let mut session = manager.session(Some(&key));
    assert!(matches!(
        manager.finish(&mut session, 200, true)?,
        CookieAction::Set { .. }
    ));
    Ok(())
}
// ANCHOR_END: saving

// ANCHOR: interrupted
fn a_logout_is_never_undone() -> Result<()> {
    let manager = SessionManager::new(MemoryStore::new());
    let mut session = manager.session(None);
    session.insert("member_id", 1)?;
    session.save()?;
    let key = session.key().unwrap().to_owned();

    // Two requests of one user: the slow one loaded the session before the other logged out.
    let mut slow = manager.session(Some(&key));
    slow.load()?;
    manager.session(Some(&key)).flush()?; // the logout
    slow.insert("cart", [1])?;
    // Saving would bring the session back: refused (session-tower answers 400).
    assert!(matches!(
        manager.finish(&mut slow, 200, true),
        Err(Error::Interrupted)
    ));
    Ok(())
}
// ANCHOR_END: interrupted

// ANCHOR: cookie
fn cookie_attributes() -> Result<()> {
    let config = SessionConfig::default()
        .with_cookie_name("__Host-session") // `__Host-`: Secure, Path=/, no Domain
        .with_cookie_secure(true) // only over HTTPS
        .with_cookie_same_site(Some(SameSite::Strict))
        .with_cookie_age(Duration::from_secs(8 * 3600));
    let manager = SessionManager::new(MemoryStore::new()).with_config(config);

    let mut session = manager.session(None);
    session.insert("member_id", 1)?;
    let action = manager.finish(&mut session, 200, false)?;
    let header = manager.set_cookie_header(&action).unwrap();
    // __Host-session=<key>; expires=<8 hours from now>; HttpOnly; Max-Age=28800; Path=/;
    //   SameSite=Strict; Secure
    assert!(header.starts_with("__Host-session="));
    assert!(header.ends_with("; HttpOnly; Max-Age=28800; Path=/; SameSite=Strict; Secure"));
    Ok(())
}
// ANCHOR_END: cookie

pub fn main() -> Result<()> {
    the_session_map()?;
    accessed_and_modified()?;
    reserved_keys()?;
    keys()?;
    expiry()?;
    when_a_session_is_saved()?;
    a_logout_is_never_undone()?;
    cookie_attributes()?;
    println!("ok");
    Ok(())
}
