//! `SessionManager::finish`: Django's `SessionMiddleware.process_response`, and the exact
//! `Set-Cookie` strings Django sends.

use std::time::{Duration, SystemTime};

use session_core::{
    CookieAction, Error, Expiry, MemoryStore, SameSite, Session, SessionConfig, SessionManager,
};

const DELETE: &str =
    r#"sessionid=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax"#;

fn manager(config: SessionConfig) -> SessionManager {
    SessionManager::new(MemoryStore::new()).with_config(config)
}

fn saved(manager: &SessionManager) -> String {
    let mut s = manager.session(None);
    s.insert("member_id", 1).unwrap();
    s.save().unwrap();
    s.key().unwrap().to_owned()
}

fn header(
    manager: &SessionManager,
    s: &mut Session,
    status: u16,
    had_cookie: bool,
) -> (Option<String>, bool) {
    let action = manager.finish(s, status, had_cookie).unwrap();
    (manager.set_cookie_header(&action), action.vary_cookie())
}

#[test]
fn untouched_session_sends_nothing() {
    let m = manager(SessionConfig::default());
    let mut s = m.session(None);
    assert_eq!(
        m.finish(&mut s, 200, false).unwrap(),
        CookieAction::None { vary_cookie: false }
    );
}

#[test]
fn accessed_session_varies_on_cookie() {
    let m = manager(SessionConfig::default());
    let key = saved(&m);
    let mut s = m.session(Some(&key));
    s.get::<i32>("member_id").unwrap();
    assert_eq!(
        m.finish(&mut s, 200, true).unwrap(),
        CookieAction::None { vary_cookie: true }
    );
}

#[test]
fn modified_session_is_saved_with_djangos_exact_cookie() {
    let m = manager(SessionConfig::default());
    let mut s = m.session(None);
    s.insert("a", 1).unwrap();
    let before = SystemTime::now();
    let action = m.finish(&mut s, 200, false).unwrap();
    let key = s.key().unwrap().to_owned();
    let CookieAction::Set {
        value,
        max_age,
        expires,
        vary_cookie,
    } = &action
    else {
        panic!("{action:?}")
    };
    assert_eq!(value, &key);
    assert_eq!(*max_age, Some(Duration::from_secs(1_209_600)));
    assert!(*vary_cookie);
    let expires = expires.unwrap();
    assert!(expires >= before + Duration::from_secs(1_209_599));
    let expected = format!(
        "sessionid={key}; expires={}; HttpOnly; Max-Age=1209600; Path=/; SameSite=Lax",
        session_core::http_date(expires)
    );
    assert_eq!(m.set_cookie_header(&action).unwrap(), expected);
    assert!(m.store().exists(&key).unwrap());
}

#[test]
fn browser_close_cookie_has_no_expiry_attributes() {
    let m = manager(SessionConfig::default());
    let mut s = m.session(None);
    s.set_expiry(Expiry::BrowserClose).unwrap();
    let (h, _) = header(&m, &mut s, 200, false);
    assert_eq!(
        h.unwrap(),
        format!(
            "sessionid={}; HttpOnly; Path=/; SameSite=Lax",
            s.key().unwrap()
        )
    );
}

#[test]
fn flush_with_a_cookie_deletes_it_exactly() {
    let m = manager(SessionConfig::default());
    let key = saved(&m);
    let mut s = m.session(Some(&key));
    s.flush().unwrap();
    assert_eq!(
        header(&m, &mut s, 200, true),
        (Some(DELETE.to_owned()), true)
    );
}

#[test]
fn deletion_cookie_carries_domain_and_path() {
    let config = SessionConfig::default()
        .with_cookie_domain(".example.local")
        .with_cookie_path("/example/");
    let m = manager(config);
    let key = saved(&m);
    let mut s = m.session(Some(&key));
    s.flush().unwrap();
    assert_eq!(
        header(&m, &mut s, 200, true).0.unwrap(),
        r#"sessionid=""; Domain=.example.local; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/example/; SameSite=Lax"#
    );
}

#[test]
fn flush_without_a_cookie_sends_nothing_but_varies() {
    let m = manager(SessionConfig::default());
    let mut s = m.session(None);
    s.flush().unwrap();
    assert_eq!(header(&m, &mut s, 200, false), (None, true));
}

#[test]
fn unknown_cookie_that_was_read_is_deleted() {
    let m = manager(SessionConfig::default());
    let mut s = m.session(Some("stolenorinventedkey1234"));
    s.get::<i32>("member_id").unwrap();
    assert_eq!(
        header(&m, &mut s, 200, true),
        (Some(DELETE.to_owned()), true)
    );
}

#[test]
fn server_errors_save_nothing() {
    for status in [500, 503] {
        let store = std::sync::Arc::new(MemoryStore::new());
        let m = SessionManager::new(store.clone());
        let mut s = m.session(None);
        s.insert("a", 1).unwrap();
        let action = m.finish(&mut s, status, false).unwrap();
        assert_eq!(action, CookieAction::None { vary_cookie: true });
        assert!(store.is_empty(), "a {status} response saved the session");
    }
}

#[test]
fn save_every_request_resends_an_untouched_session() {
    let m = manager(SessionConfig::default().with_save_every_request(true));
    let key = saved(&m);
    let mut s = m.session(Some(&key));
    let (h, vary) = header(&m, &mut s, 200, true);
    assert!(
        h.unwrap()
            .starts_with(&format!("sessionid={key}; expires="))
    );
    assert!(vary);
}

#[test]
fn save_every_request_does_not_create_sessions_for_visitors_without_one() {
    let store = std::sync::Arc::new(MemoryStore::new());
    let m = SessionManager::new(store.clone())
        .with_config(SessionConfig::default().with_save_every_request(true));
    let mut s = m.session(None);
    assert_eq!(header(&m, &mut s, 200, false), (None, false));
    assert!(store.is_empty());
}

#[test]
fn removing_the_last_key_still_saves_and_sets_the_cookie() {
    let m = manager(SessionConfig::default());
    let key = saved(&m);
    let mut s = m.session(Some(&key));
    s.remove("member_id").unwrap();
    let (h, vary) = header(&m, &mut s, 200, true);
    assert!(h.unwrap().starts_with(&format!("sessionid={key};")));
    assert!(vary);
    let mut again = m.session(Some(&key));
    assert!(again.is_empty().unwrap());
    assert_eq!(
        again.key(),
        Some(key.as_str()),
        "the empty session still exists"
    );
}

#[test]
fn a_session_deleted_meanwhile_is_interrupted() {
    let m = manager(SessionConfig::default());
    let key = saved(&m);
    let mut a = m.session(Some(&key));
    let mut b = m.session(Some(&key));
    b.load().unwrap();
    a.flush().unwrap();
    m.finish(&mut a, 200, true).unwrap();
    b.insert("x", 1).unwrap();
    assert!(matches!(
        m.finish(&mut b, 200, true),
        Err(Error::Interrupted)
    ));
}

#[test]
fn cookie_attributes_follow_the_config() {
    let config = SessionConfig::default()
        .with_cookie_secure(true)
        .with_cookie_http_only(false)
        .with_cookie_same_site(Some(SameSite::Strict))
        .with_cookie_name("sid");
    let m = manager(config);
    let mut s = m.session(None);
    s.set_expiry(Expiry::BrowserClose).unwrap();
    let h = header(&m, &mut s, 200, false).0.unwrap();
    assert_eq!(
        h,
        format!("sid={}; Path=/; SameSite=Strict; Secure", s.key().unwrap())
    );

    let m = manager(SessionConfig::default().with_cookie_same_site(None));
    let mut s = m.session(None);
    s.set_expiry(Expiry::BrowserClose).unwrap();
    assert_eq!(
        header(&m, &mut s, 200, false).0.unwrap(),
        format!("sessionid={}; HttpOnly; Path=/", s.key().unwrap())
    );
}

#[test]
fn deleting_a_samesite_none_cookie_is_secure() {
    let m = manager(SessionConfig::default().with_cookie_same_site(Some(SameSite::None)));
    let h = m
        .set_cookie_header(&CookieAction::Delete { vary_cookie: true })
        .unwrap();
    assert!(h.ends_with("; SameSite=None; Secure"), "{h}");
    let m = manager(SessionConfig::default().with_cookie_name("__Host-sid"));
    let h = m
        .set_cookie_header(&CookieAction::Delete { vary_cookie: true })
        .unwrap();
    assert!(h.ends_with("; Secure"), "{h}");
}

#[test]
fn idle_expiry_sets_max_age() {
    let m = manager(SessionConfig::default());
    let mut s = m.session(None);
    s.set_expiry(Expiry::Idle(Duration::from_secs(300)))
        .unwrap();
    let action = m.finish(&mut s, 200, false).unwrap();
    assert!(
        matches!(action, CookieAction::Set { max_age: Some(a), .. } if a == Duration::from_secs(300))
    );
    assert!(
        m.set_cookie_header(&action)
            .unwrap()
            .contains("; Max-Age=300; ")
    );
}

/// `http_date` is written by hand; it must agree with `time`'s RFC 2822 formatting
/// (Django's `http_date` is RFC 7231's IMF-fixdate: the same text with `GMT`) on every
/// kind of day: leap days, year ends, weekdays, single-digit fields.
#[test]
fn http_date_agrees_with_rfc_2822_formatting() {
    use time::format_description::well_known::Rfc2822;
    let mut secs: i64 = 0;
    while secs < 4_102_444_800 * 2 {
        let t = std::time::UNIX_EPOCH + Duration::from_secs(secs as u64);
        let expected = time::OffsetDateTime::from_unix_timestamp(secs)
            .unwrap()
            .format(&Rfc2822)
            .unwrap()
            .replace("+0000", "GMT");
        assert_eq!(session_core::http_date(t), expected, "{secs}");
        secs += 86_400 * 13 + 3_607; // steps through weekdays, hours, minutes and seconds
    }
    // Before the epoch and past year 9999: the epoch, never a panic.
    let epoch = "Thu, 01 Jan 1970 00:00:00 GMT";
    assert_eq!(
        session_core::http_date(std::time::UNIX_EPOCH - Duration::from_secs(5)),
        epoch
    );
    let far = std::time::UNIX_EPOCH + Duration::from_secs(253_402_300_800 + 10);
    assert_eq!(session_core::http_date(far), epoch);
}
