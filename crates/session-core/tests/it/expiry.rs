//! `_session_expiry` exactly as Django stores it, and the expiry arithmetic.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::json;
use session_core::expiry::{format_iso, parse_iso};
use session_core::{Expiry, MemoryStore, SessionConfig, SessionManager, reserved};

const AGE: Duration = Duration::from_secs(1_209_600);

#[test]
fn django_forms_round_trip() {
    let t = UNIX_EPOCH + Duration::from_micros(1_795_710_013_628_050);
    for (expiry, value) in [
        (Expiry::BrowserClose, json!(0)),
        (Expiry::Idle(Duration::from_secs(300)), json!(300)),
        (Expiry::At(t), json!("2026-11-26T16:20:13.628050+00:00")),
        (
            Expiry::At(UNIX_EPOCH + Duration::from_secs(1_893_456_000)),
            json!("2030-01-01T00:00:00+00:00"),
        ),
    ] {
        assert_eq!(expiry.to_value(), Some(value.clone()));
        assert_eq!(Expiry::from_value(Some(&value)), expiry);
    }
    assert_eq!(Expiry::Default.to_value(), None);
}

#[test]
fn iso_reading_is_lenient_like_fromisoformat() {
    let t = UNIX_EPOCH + Duration::from_secs(1_893_456_000);
    assert_eq!(parse_iso("2030-01-01T00:00:00Z"), Some(t));
    assert_eq!(parse_iso("2029-12-31T19:00:00-05:00"), Some(t));
    assert_eq!(
        parse_iso("2030-01-01T00:00:00.5+00:00"),
        Some(t + Duration::from_millis(500))
    );
    assert_eq!(parse_iso("2030-01-01T00:00:00"), Some(t));
    for bad in [
        "",
        "2030",
        "2030-13-01T00:00:00+00:00",
        "yesterday",
        "2030-01-01T25:00:00+00:00",
    ] {
        assert_eq!(parse_iso(bad), None, "{bad:?}");
    }
}

#[test]
fn iso_writing_truncates_to_microseconds_and_handles_extremes() {
    assert_eq!(
        format_iso(UNIX_EPOCH + Duration::from_nanos(1_999)),
        "1970-01-01T00:00:00.000001+00:00"
    );
    assert_eq!(
        format_iso(UNIX_EPOCH - Duration::from_secs(86_400)),
        "1969-12-31T00:00:00+00:00"
    );
    // Far outside the representable years: clamped, never a panic.
    let far = UNIX_EPOCH + Duration::from_secs(u64::MAX / 4);
    assert!(format_iso(far).starts_with("9999-12-31T23:59:59"));
}

#[test]
fn odd_stored_values_fall_back_safely() {
    assert_eq!(Expiry::from_value(Some(&json!(null))), Expiry::Default);
    assert_eq!(Expiry::from_value(Some(&json!("garbage"))), Expiry::Default);
    assert_eq!(Expiry::from_value(Some(&json!([1]))), Expiry::Default);
    assert_eq!(
        Expiry::from_value(Some(&json!(300.0))),
        Expiry::Idle(Duration::from_secs(300))
    );
    assert_eq!(Expiry::from_value(Some(&json!(-5))), Expiry::At(UNIX_EPOCH));
}

#[test]
fn ages_and_dates() {
    let now = SystemTime::now();
    assert_eq!(Expiry::Default.age(now, AGE), AGE);
    assert_eq!(Expiry::BrowserClose.age(now, AGE), AGE);
    assert_eq!(
        Expiry::Idle(Duration::from_secs(10)).age(now, AGE),
        Duration::from_secs(10)
    );
    assert_eq!(Expiry::Idle(Duration::ZERO).age(now, AGE), AGE);
    assert_eq!(
        Expiry::At(now - Duration::from_secs(5)).age(now, AGE),
        Duration::ZERO
    );
    assert_eq!(Expiry::Default.date(now, AGE), now + AGE);
    assert_eq!(Expiry::At(now).date(now + AGE, AGE), now);
}

fn session(config: SessionConfig) -> session_core::Session {
    SessionManager::new(MemoryStore::new())
        .with_config(config)
        .session(None)
}

// TESTS.md: default expiry age = cookie_age, also after set_expiry(BrowserClose)
#[test]
fn default_expiry_is_cookie_age_also_for_browser_close() {
    let mut s = session(SessionConfig::default());
    assert_eq!(s.expiry_age().unwrap(), AGE);
    s.set_expiry(Expiry::BrowserClose).unwrap();
    assert_eq!(s.expiry_age().unwrap(), AGE);
}

// TESTS.md: set_expiry(Idle 10 s) → date = modification + 10 s, age 10 s; same with an instant
#[test]
fn custom_expiry_seconds_and_instant() {
    // Python datetimes have microsecond precision; so do stored instants.
    let micros = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_micros() as u64;
    let now = UNIX_EPOCH + Duration::from_micros(micros);
    let mut s = session(SessionConfig::default());
    s.set_expiry(Expiry::Idle(Duration::from_secs(10))).unwrap();
    assert_eq!(
        s.expiry_date_at(now).unwrap(),
        now + Duration::from_secs(10)
    );
    assert_eq!(s.expiry_age_at(now).unwrap(), Duration::from_secs(10));

    let at = now + Duration::from_secs(10);
    s.set_expiry(Expiry::At(at)).unwrap();
    assert_eq!(s.expiry_date_at(now).unwrap(), at);
    assert_eq!(s.expiry_age_at(now).unwrap(), Duration::from_secs(10));
}

// TESTS.md: set_expiry(Default) after a custom one restores cookie_age
#[test]
fn default_after_custom_restores_cookie_age() {
    let mut s = session(SessionConfig::default());
    s.set_expiry(Expiry::Idle(Duration::from_secs(10))).unwrap();
    s.set_expiry(Expiry::Default).unwrap();
    assert_eq!(s.expiry_age().unwrap(), AGE);
    assert!(!s.contains_key(reserved::SESSION_EXPIRY).unwrap());
}

// TESTS.md: expire_at_browser_close with the global setting off and on
#[test]
fn expire_at_browser_close_matrix() {
    for global in [false, true] {
        let mut s = session(SessionConfig::default().with_expire_at_browser_close(global));
        s.set_expiry(Expiry::Idle(Duration::from_secs(10))).unwrap();
        assert!(!s.expire_at_browser_close().unwrap());
        s.set_expiry(Expiry::BrowserClose).unwrap();
        assert!(s.expire_at_browser_close().unwrap());
        s.set_expiry(Expiry::Default).unwrap();
        assert_eq!(s.expire_at_browser_close().unwrap(), global);
    }
}

#[test]
fn set_expiry_default_when_absent_is_not_a_change() {
    let mut s = session(SessionConfig::default());
    s.set_expiry(Expiry::Default).unwrap();
    assert!(!s.is_modified());
    s.set_expiry(Expiry::BrowserClose).unwrap();
    assert!(s.is_modified());
}
