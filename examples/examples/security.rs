//! The security chapter: what the library does for you, and the settings that matter.
//!
//! `cargo run -p session-examples --example security`

use std::time::Duration;

use session_cookie::{CookieFormat, CookieStore};
use session_core::{
    CookieAction, MemoryStore, Record, Result, SameSite, SessionConfig, SessionManager,
    SessionStore,
};
use session_db::SqliteStore;

// ANCHOR: config
/// Cookie settings for a site served over HTTPS only.
fn production_config() -> SessionConfig {
    SessionConfig::default()
        .with_cookie_name("__Host-sessionid") // browser-enforced: Secure, Path=/, no Domain
        .with_cookie_secure(true) // never sent over plain HTTP
        .with_cookie_http_only(true) // the default: JavaScript cannot read it
        .with_cookie_same_site(Some(SameSite::Lax)) // the default: no cross-site POSTs
        .with_cookie_age(Duration::from_secs(12 * 3600)) // shorter than Django's two weeks
}
// ANCHOR_END: config

// ANCHOR: fixation
fn login_cycles_the_key() -> Result<()> {
    let manager = SessionManager::new(MemoryStore::new());
    // An attacker got a valid session key into the victim's browser (an anonymous one).
    let mut anonymous = manager.session(None);
    anonymous.insert("cart", [1])?;
    anonymous.save()?;
    let planted = anonymous.key().unwrap().to_owned();

    // The victim logs in: the handler cycles the key before storing who logged in.
    let mut session = manager.session(Some(&planted));
    session.cycle_key()?;
    session.insert("member_id", 1)?;
    manager.finish(&mut session, 200, true)?;

    // The planted key is dead; it never sees the login.
    assert!(manager.session(Some(&planted)).is_empty()?);
    Ok(())
}
// ANCHOR_END: fixation

// ANCHOR: hashed
fn keys_are_hashed_at_rest() -> Result<()> {
    let dir = tempfile::tempdir().map_err(|e| session_core::Error::backend("tempdir", e))?;
    let store = SqliteStore::open(dir.path().join("s.sqlite3"))?;
    let key = store.create(&Record::new(
        b"{}".to_vec(),
        std::time::SystemTime::now() + Duration::from_secs(60),
    ))?;
    // The table holds SHA-256(key): the key itself appears nowhere in the file.
    drop(store);
    let bytes = std::fs::read(dir.path().join("s.sqlite3")).unwrap_or_default();
    let wal = std::fs::read(dir.path().join("s.sqlite3-wal")).unwrap_or_default();
    let needle = key.as_bytes();
    assert!(!bytes.windows(needle.len()).any(|w| w == needle));
    assert!(!wal.windows(needle.len()).any(|w| w == needle));
    Ok(())
}
// ANCHOR_END: hashed

// ANCHOR: rotation
fn rotate_the_cookie_secret() -> Result<()> {
    let record = Record::new(
        b"{}".to_vec(),
        std::time::SystemTime::now() + Duration::from_secs(60),
    );
    let old_cookie = CookieStore::new("old secret")?.create(&record)?;

    // Step 1: the new secret signs, the old one still verifies.
    let rotating = CookieStore::new("new secret")?.with_fallbacks(["old secret"])?;
    assert!(rotating.load(&old_cookie)?.is_some());
    // Step 2, after max_age: drop the fallback. Old cookies stop working.
    let rotated = CookieStore::new("new secret")?;
    assert!(rotated.load(&old_cookie)?.is_none());
    Ok(())
}
// ANCHOR_END: rotation

// ANCHOR: encrypted
fn signed_versus_encrypted() -> Result<()> {
    let secret = "a long random secret";
    for (format, client_can_read) in [
        (CookieFormat::Django, true),
        (CookieFormat::Encrypted, false),
    ] {
        let manager = CookieStore::new(secret)?.with_format(format).into_manager();
        let mut session = manager.session(None);
        session.insert("plan", "gold-plan")?;
        let CookieAction::Set { value, .. } = manager.finish(&mut session, 200, false)? else {
            unreachable!()
        };
        // A signed cookie is base64: anyone holding it can decode the data.
        let payload = value.split(':').next().unwrap_or_default();
        let decoded = base64_url_decode(payload);
        assert_eq!(
            decoded.windows(9).any(|w| w == b"gold-plan"),
            client_can_read
        );
    }
    Ok(())
}

/// URL-safe base64 without padding, as a curious user would decode it.
fn base64_url_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    let s = s.trim_start_matches('.'); // `.` marks compressed data
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .unwrap_or_default()
}
// ANCHOR_END: encrypted

// ANCHOR: revoke
fn revocation() -> Result<()> {
    // Server-side: deleting the record ends the session everywhere, at once.
    let store = std::sync::Arc::new(MemoryStore::new());
    let manager = SessionManager::new(store.clone());
    let mut session = manager.session(None);
    session.insert("member_id", 1)?;
    session.save()?;
    let stolen = session.key().unwrap().to_owned();
    store.delete(&stolen)?; // "log out this session" from an admin page
    assert!(manager.session(Some(&stolen)).is_empty()?);

    // Signed cookie: a logout deletes the cookie in this browser, but a copy of the old
    // value keeps working until max_age, because the server keeps nothing to delete.
    let manager = CookieStore::new("secret")?.into_manager();
    let mut session = manager.session(None);
    session.insert("member_id", 1)?;
    let CookieAction::Set { value: stolen, .. } = manager.finish(&mut session, 200, false)? else {
        unreachable!()
    };
    let mut session = manager.session(Some(&stolen));
    session.flush()?; // logout
    assert_eq!(
        manager.session(Some(&stolen)).get::<u32>("member_id")?,
        Some(1)
    );
    Ok(())
}
// ANCHOR_END: revoke

pub fn main() -> Result<()> {
    let manager = SessionManager::new(MemoryStore::new()).with_config(production_config());
    assert!(manager.config().cookie_secure);
    login_cycles_the_key()?;
    keys_are_hashed_at_rest()?;
    rotate_the_cookie_secret()?;
    signed_versus_encrypted()?;
    revocation()?;
    println!("ok");
    Ok(())
}
