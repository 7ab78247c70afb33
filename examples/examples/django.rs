//! The Django interoperability chapter: sharing sessions with a Django site.
//!
//! `cargo run -p session-examples --example django` (uses a temporary database; point
//! `open_site_db` at your project's `db.sqlite3` to share real sessions).

use std::error::Error;
use std::path::Path;
use std::time::Duration;

use session_cookie::CookieStore;
use session_core::{SessionConfig, SessionManager, reserved};
use session_db::{DjangoCodec, PostgresStore, SqliteStore};

// ANCHOR: db
/// The Django site's own database and `SECRET_KEY`: both sides read and write
/// the `django_session` table in Django's format.
pub fn open_site_db(db_sqlite3: &Path, secret_key: &str) -> Result<SessionManager, Box<dyn Error>> {
    let store = SqliteStore::open_django(db_sqlite3)?; // django_session, created if absent
    Ok(store.django_manager(secret_key)?) // + Django's session_data codec
}
// ANCHOR_END: db

// ANCHOR: db_options
/// The same, with the site's `SECRET_KEY_FALLBACKS` and settings spelled out.
fn open_site_db_rotating(
    db_sqlite3: &Path,
    secret_key: &str,
    secret_key_fallbacks: &[&str],
) -> Result<SessionManager, Box<dyn Error>> {
    let store = SqliteStore::open_django(db_sqlite3)?;
    let codec = DjangoCodec::new(secret_key)?.with_fallbacks(secret_key_fallbacks)?;
    let config = SessionConfig::default() // Django's SESSION_* defaults...
        .with_cookie_name("sessionid") // ...must equal the site's settings
        .with_cookie_age(Duration::from_secs(1_209_600));
    Ok(SessionManager::new(store)
        .with_serializer(codec)
        .with_config(config))
}
// ANCHOR_END: db_options

// ANCHOR: postgres
fn open_site_postgres(url: &str, secret_key: &str) -> Result<SessionManager, Box<dyn Error>> {
    Ok(PostgresStore::connect_django(url)?.django_manager(secret_key)?)
}
// ANCHOR_END: postgres

// ANCHOR: cookie
/// A Django site with `SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"`.
fn signed_cookies(
    secret_key: &str,
    secret_key_fallbacks: &[&str],
) -> session_core::Result<SessionManager> {
    Ok(
        CookieStore::new(secret_key)? // an empty SECRET_KEY is an error, as in Django
            .with_fallbacks(secret_key_fallbacks)?
            .with_max_age(Duration::from_secs(1_209_600)) // SESSION_COOKIE_AGE
            .into_manager(),
    ) // DjangoJson, cookie name and age from the store
}
// ANCHOR_END: cookie

// ANCHOR: who
/// Who is logged in on the Django site? `django.contrib.auth` keeps the user's primary key
/// (as a string) under `_auth_user_id`.
pub fn django_user_id(manager: &SessionManager, cookie: &str) -> session_core::Result<Option<i64>> {
    let mut session = manager.session(Some(cookie));
    let id = session.get::<String>(reserved::AUTH_USER_ID)?;
    Ok(id.and_then(|id| id.parse().ok()))
}
// ANCHOR_END: who

pub fn main() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("db.sqlite3");
    let secret = "django-insecure-change-me";

    // Stand in for Django: write a session as Django's login would.
    let manager = open_site_db(&db, secret)?;
    let mut session = manager.session(None);
    session.reserved().insert(reserved::AUTH_USER_ID, "42")?;
    session.save()?;
    let cookie = session.key().unwrap().to_owned();

    let manager = open_site_db_rotating(&db, "a new secret", &[secret])?;
    assert_eq!(django_user_id(&manager, &cookie)?, Some(42));

    let cookies = signed_cookies(secret, &[])?;
    assert_eq!(cookies.config().cookie_name, "sessionid");
    if let Ok(url) = std::env::var("DATABASE_URL") {
        open_site_postgres(&url, secret)?;
    }
    println!("ok");
    Ok(())
}
