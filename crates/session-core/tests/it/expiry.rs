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

// Django: default expiry age = cookie_age, also after set_expiry(BrowserClose)
#[test]
fn default_expiry_is_cookie_age_also_for_browser_close() {
    let mut s = session(SessionConfig::default());
    assert_eq!(s.expiry_age().unwrap(), AGE);
    s.set_expiry(Expiry::BrowserClose).unwrap();
    assert_eq!(s.expiry_age().unwrap(), AGE);
}

// Django: set_expiry(Idle 10 s) → date = modification + 10 s, age 10 s; same with an instant
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

// Django: set_expiry(Default) after a custom one restores cookie_age
#[test]
fn default_after_custom_restores_cookie_age() {
    let mut s = session(SessionConfig::default());
    s.set_expiry(Expiry::Idle(Duration::from_secs(10))).unwrap();
    s.set_expiry(Expiry::Default).unwrap();
    assert_eq!(s.expiry_age().unwrap(), AGE);
    assert!(!s.contains_key(reserved::SESSION_EXPIRY).unwrap());
}

// Django: expire_at_browser_close with the global setting off and on
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

// ---- the ceiling: absurd stored values never panic, never expire at once ----------------

use proptest::prelude::*;
use session_core::CookieAction;
use session_core::expiry::{MAX_UNIX_SECONDS, max_expiry};

/// What a Django site sharing the store (or anyone holding the secret) can write.
fn absurd_values() -> Vec<serde_json::Value> {
    vec![
        json!(i64::MAX),
        json!(9.2e18),
        json!(1e300),
        json!(u64::MAX),
        json!(f64::MAX),
        json!("9999-12-31T23:59:59.999999+00:00"),
        json!("9999-12-31T23:59:59-05:00"),
        json!("2555-01-01T00:00:00+00:00"),
    ]
}

#[test]
fn finish_saturates_absurd_expiry_at_the_ceiling() {
    for value in absurd_values() {
        let manager = SessionManager::new(MemoryStore::new());
        let mut s = manager.session(None);
        s.reserved()
            .insert(reserved::SESSION_EXPIRY, value.clone())
            .unwrap();
        let action = manager
            .finish(&mut s, 200, false)
            .unwrap_or_else(|e| panic!("{value}: {e}"));
        let CookieAction::Set {
            max_age, expires, ..
        } = action
        else {
            panic!("{value}: no cookie set");
        };
        let expires = expires.unwrap();
        assert!(expires <= max_expiry(), "{value}");
        assert!(
            expires > SystemTime::now() + Duration::from_secs(365 * 86_400 * 500),
            "{value}: a far expiry must not turn into an early one"
        );
        assert!(
            max_age.unwrap().as_secs() <= MAX_UNIX_SECONDS as u64,
            "{value}"
        );
        // and it loads back: the record is live
        let key = s.key().unwrap().to_owned();
        assert!(
            manager
                .session(Some(&key))
                .contains_key(reserved::SESSION_EXPIRY)
                .unwrap()
        );
    }
}

#[test]
fn iso_dates_after_2554_do_not_wrap() {
    let t = parse_iso("2555-01-01T00:00:00+00:00").unwrap();
    assert!(t > parse_iso("2554-12-31T00:00:00+00:00").unwrap());
    assert_eq!(format_iso(t), "2555-01-01T00:00:00+00:00");
    assert_eq!(
        parse_iso("9999-12-31T23:59:59.999999+00:00"),
        Some(max_expiry())
    );
    assert_eq!(
        Expiry::from_value(Some(&json!("3000-06-01T12:00:00+00:00"))).date(SystemTime::now(), AGE),
        parse_iso("3000-06-01T12:00:00+00:00").unwrap()
    );
}

#[test]
fn negative_seconds_expire_at_once_like_django() {
    let manager = SessionManager::new(MemoryStore::new());
    let mut s = manager.session(None);
    s.insert("a", 1).unwrap();
    s.set_expiry(-1).unwrap();
    assert!(s.is_modified());
    assert_eq!(s.expiry_age().unwrap(), Duration::ZERO);
    assert!(s.expiry_date().unwrap() <= SystemTime::now());
    let CookieAction::Set { max_age, .. } = manager.finish(&mut s, 200, false).unwrap() else {
        panic!("expected a cookie");
    };
    assert_eq!(
        max_age,
        Some(Duration::ZERO),
        "the browser drops it at once"
    );
    let key = s.key().unwrap().to_owned();
    assert!(
        manager.session(Some(&key)).is_empty().unwrap(),
        "never loads"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_integer_expiry_saturates(secs in any::<i64>()) {
        let now = SystemTime::now();
        let expiry = Expiry::from_value(Some(&json!(secs)));
        let date = expiry.date(now, AGE);
        let age = expiry.age(now, AGE);
        prop_assert!(date <= max_expiry());
        if secs > 0 {
            prop_assert!(date > now);
            prop_assert!(age > Duration::ZERO);
        }
        if secs < 0 {
            prop_assert!(date < now);
        }
    }

    #[test]
    fn any_float_expiry_saturates(secs in any::<f64>()) {
        let now = SystemTime::now();
        let value = serde_json::Number::from_f64(secs).map(serde_json::Value::Number);
        let expiry = Expiry::from_value(value.as_ref());
        prop_assert!(expiry.date(now, AGE) <= max_expiry());
        let _ = expiry.age(now, AGE);
    }

    #[test]
    fn iso_round_trips_for_every_year(
        year in 1i32..=9999,
        month in 1u8..=12,
        day in 1u8..=28,
        hour in 0u8..24,
        minute in 0u8..60,
        second in 0u8..60,
        micros in 0u32..1_000_000,
    ) {
        let text = if micros == 0 {
            format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}+00:00")
        } else {
            format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{micros:06}+00:00")
        };
        let t = parse_iso(&text).expect("every year Python writes reads");
        prop_assert_eq!(format_iso(t), text);
    }
}
