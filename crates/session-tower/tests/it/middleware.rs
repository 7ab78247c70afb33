//! Django's SessionMiddleware tests, as plain async functions over any [`Env`];
//! `middleware_tests!` stamps out one `#[tokio::test]` per check and backend configuration.

use std::sync::Arc;

use axum::http::{StatusCode, header};
use cookie::{Cookie, SameSite as CookieSameSite};
use serde_json::json;
use session_core::{SameSite, SessionConfig, SessionStore};
use session_tower::{INTERRUPTED_MESSAGE, SessionKeyPrefix};

use crate::support::{Counting, Env, Gate, body, cookie_value, send, set_cookie, vary};

const DELETION: &str =
    r#"sessionid=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax"#;

/// Stamps out every check for one store configuration:
/// `middleware_tests!(name, store_expression, Mode::...)`.
#[macro_export]
macro_rules! middleware_tests {
    ($name:ident, $store:expr, $mode:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            fn env() -> $crate::support::Env {
                $crate::support::Env::new($store, $mode)
            }
            $crate::middleware_tests!(@each env;
                cookie_attributes_follow_config,
                http_only_off_is_absent,
                nothing_saved_on_5xx,
                session_deleted_meanwhile_gives_400,
                flush_with_cookie_deletes_it_exactly,
                flush_with_cookie_and_domain_path,
                flush_without_cookie_sets_nothing_but_varies,
                save_every_request_resends_cookie,
                removing_last_key_still_saves,
                two_extractors_share_one_session,
                untouched_session_costs_nothing,
                garbage_cookie_headers,
                forged_key_is_not_adopted,
                cycle_key_moves_the_session,
                vary_is_appended,
                concurrent_last_write_wins,
                concurrent_logout_is_not_undone,
                rolling_expiry_touches_a_read_only_request,
            );
        }
    };
    (@each $env:ident; $($check:ident),* $(,)?) => {$(
        #[tokio::test]
        async fn $check() {
            let env = $env();
            $crate::middleware::$check(&env).await;
            env.check_threads();
        }
    )*};
}

pub async fn cookie_attributes_follow_config(env: &Env) {
    let response = send(&env.app(SessionConfig::default()), "POST", "/insert", None).await;
    let header = set_cookie(&response).unwrap();
    assert!(
        header.ends_with("; HttpOnly; Max-Age=1209600; Path=/; SameSite=Lax"),
        "{header}"
    );
    assert!(!header.contains("Secure"));

    let config = SessionConfig::default()
        .with_cookie_secure(true)
        .with_cookie_same_site(Some(SameSite::Strict))
        .with_cookie_domain(".example.com")
        .with_cookie_path("/app");
    let response = send(&env.app(config), "POST", "/insert", None).await;
    let parsed = Cookie::parse(set_cookie(&response).unwrap()).unwrap();
    assert_eq!(parsed.secure(), Some(true));
    assert_eq!(parsed.http_only(), Some(true));
    assert_eq!(parsed.same_site(), Some(CookieSameSite::Strict));
    assert_eq!(parsed.domain(), Some("example.com"));
    assert_eq!(parsed.path(), Some("/app"));

    let config = SessionConfig::default().with_cookie_same_site(Some(SameSite::None));
    let response = send(&env.app(config), "POST", "/insert", None).await;
    let parsed = Cookie::parse(set_cookie(&response).unwrap()).unwrap();
    assert_eq!(parsed.same_site(), Some(CookieSameSite::None));

    let config = SessionConfig::default().with_cookie_same_site(None);
    let response = send(&env.app(config), "POST", "/insert", None).await;
    assert!(!set_cookie(&response).unwrap().contains("SameSite"));
}

pub async fn http_only_off_is_absent(env: &Env) {
    let config = SessionConfig::default().with_cookie_http_only(false);
    let response = send(&env.app(config), "POST", "/insert", None).await;
    let header = set_cookie(&response).unwrap();
    assert!(!header.contains("HttpOnly"), "{header}");
    assert_eq!(Cookie::parse(header).unwrap().http_only(), None);
}

pub async fn nothing_saved_on_5xx(env: &Env) {
    let app = env.app(SessionConfig::default());
    for code in [500, 503] {
        let response = send(&app, "POST", &format!("/fail/{code}"), None).await;
        assert_eq!(response.status().as_u16(), code);
        assert_eq!(set_cookie(&response), None);
    }
    assert_eq!(Counting::count(&env.counting.creates), 0);

    // An existing session modified by a failing request keeps its stored data.
    let key = env.seed(json!({"a": 1}));
    let response = send(&app, "POST", "/fail/500", Some(&key)).await;
    assert_eq!(set_cookie(&response), None);
    assert_eq!(Counting::count(&env.counting.saves), 0);
    let mut again = env.raw_manager().session(Some(&key));
    assert_eq!(again.get::<u32>("a").unwrap(), Some(1));
}

pub async fn session_deleted_meanwhile_gives_400(env: &Env) {
    let key = env.seed(json!({"a": 1}));
    let response = send(
        &env.app(SessionConfig::default()),
        "POST",
        "/delete-then-write",
        Some(&key),
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(set_cookie(&response), None);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "text/plain; charset=utf-8"
    );
    assert_eq!(body(response).await, INTERRUPTED_MESSAGE);
    assert!(
        !env.raw.exists(&key).unwrap(),
        "the deleted session was resurrected"
    );
}

pub async fn flush_with_cookie_deletes_it_exactly(env: &Env) {
    let key = env.seed(json!({"member_id": 1}));
    let response = send(
        &env.app(SessionConfig::default()),
        "POST",
        "/flush",
        Some(&key),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(set_cookie(&response).as_deref(), Some(DELETION));
    assert_eq!(vary(&response), ["Cookie"]);
    assert!(!env.raw.exists(&key).unwrap());
}

pub async fn flush_with_cookie_and_domain_path(env: &Env) {
    let key = env.seed(json!({"member_id": 1}));
    let config = SessionConfig::default()
        .with_cookie_domain(".example.com")
        .with_cookie_path("/example/");
    let response = send(&env.app(config), "POST", "/flush", Some(&key)).await;
    assert_eq!(
        set_cookie(&response).as_deref(),
        Some(
            r#"sessionid=""; Domain=.example.com; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/example/; SameSite=Lax"#
        )
    );
    assert_eq!(vary(&response), ["Cookie"]);
}

pub async fn flush_without_cookie_sets_nothing_but_varies(env: &Env) {
    let response = send(&env.app(SessionConfig::default()), "POST", "/flush", None).await;
    assert_eq!(set_cookie(&response), None);
    assert_eq!(vary(&response), ["Cookie"]);
}

pub async fn save_every_request_resends_cookie(env: &Env) {
    let key = env.seed(json!({"a": 1}));
    let config = SessionConfig::default().with_save_every_request(true);
    let response = send(&env.app(config), "GET", "/untouched", Some(&key)).await;
    assert_eq!(cookie_value(&response), key);
    assert_eq!(vary(&response), ["Cookie"]);
    assert_eq!(Counting::count(&env.counting.saves), 1);
}

pub async fn removing_last_key_still_saves(env: &Env) {
    let key = env.seed(json!({"a": 1}));
    let response = send(
        &env.app(SessionConfig::default()),
        "POST",
        "/remove",
        Some(&key),
    )
    .await;
    assert_eq!(cookie_value(&response), key);
    assert_eq!(vary(&response), ["Cookie"]);
    let mut again = env.raw_manager().session(Some(&key));
    assert!(again.is_empty().unwrap());
    assert_eq!(
        again.key(),
        Some(key.as_str()),
        "the empty session is still stored"
    );
}

pub async fn two_extractors_share_one_session(env: &Env) {
    let app = env.app(SessionConfig::default());
    let response = send(&app, "POST", "/two", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(set_cookie(&response).is_some());
    assert_eq!(body(response).await, "Some(1)");

    // With a stored session: one load for both extractors.
    let key = env.seed(json!({"a": 1}));
    let loads = Counting::count(&env.counting.loads);
    let response = send(&app, "POST", "/two", Some(&key)).await;
    assert_eq!(body(response).await, "Some(1)");
    assert_eq!(Counting::count(&env.counting.loads) - loads, 1);

    // A middleware and its handler: same session, one load.
    let loads = Counting::count(&env.counting.loads);
    let response = send(&app, "GET", "/mw", Some(&key)).await;
    assert_eq!(cookie_value(&response), key);
    assert_eq!(body(response).await, "Some(true)");
    assert_eq!(Counting::count(&env.counting.loads) - loads, 1);
}

pub async fn untouched_session_costs_nothing(env: &Env) {
    let key = env.seed(json!({"a": 1}));
    let response = send(
        &env.app(SessionConfig::default()),
        "GET",
        "/untouched",
        Some(&key),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(env.counting.calls(), 0);
    assert_eq!(set_cookie(&response), None);
    assert!(vary(&response).is_empty());
    let prefix = response.extensions().get::<SessionKeyPrefix>().unwrap();
    assert_eq!(
        prefix.0.as_deref(),
        Some(session_core::key_prefix(&key).as_str())
    );
}

pub async fn garbage_cookie_headers(env: &Env) {
    let key = env.seed(json!({"a": 7}));
    let app = env.app(SessionConfig::default());
    let garbage: Vec<Vec<u8>> = vec![
        b";;;".to_vec(),
        b"=".to_vec(),
        b"sessionid".to_vec(),
        b"sessionid=".to_vec(),
        b"sessionid=\"".to_vec(),
        b"sessionid=../../etc/passwd".to_vec(),
        b"sessionid=\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8".to_vec(),
        format!("sessionid={}", "a".repeat(10_000)).into_bytes(),
        format!("sessionid={}", "%00".repeat(30)).into_bytes(),
    ];
    for raw in &garbage {
        let request = axum::http::Request::post("/insert")
            .header(
                header::COOKIE,
                axum::http::HeaderValue::from_bytes(raw).unwrap(),
            )
            .body(axum::body::Body::empty())
            .unwrap();
        let response = tower::ServiceExt::oneshot(app.clone(), request)
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{raw:?}");
        let value = cookie_value(&response);
        assert_eq!(value.len(), 32, "a fresh key, never the client's value");
    }

    // Duplicates and junk around a good cookie: the first usable value is used.
    let request = axum::http::Request::get("/read")
        .header(header::COOKIE, "sessionid=short; x=\"unterminated")
        .header(
            header::COOKIE,
            format!("junk; sessionid={key}; sessionid=zzzzzzzzzz"),
        )
        .body(axum::body::Body::empty())
        .unwrap();
    let response = tower::ServiceExt::oneshot(app.clone(), request)
        .await
        .unwrap();
    assert_eq!(body(response).await, "Some(Number(7))");
}

pub async fn forged_key_is_not_adopted(env: &Env) {
    let forged = "abcdefghijklmnopqrstuvwxyz012345";
    let response = send(
        &env.app(SessionConfig::default()),
        "POST",
        "/insert",
        Some(forged),
    )
    .await;
    let value = cookie_value(&response);
    assert_ne!(value, forged);
    assert!(!env.raw.exists(forged).unwrap());
}

pub async fn cycle_key_moves_the_session(env: &Env) {
    let key = env.seed(json!({"a": 1}));
    let response = send(
        &env.app(SessionConfig::default()),
        "POST",
        "/cycle",
        Some(&key),
    )
    .await;
    let new_key = cookie_value(&response);
    assert_ne!(new_key, key);
    assert!(!env.raw.exists(&key).unwrap());
    let mut again = env.raw_manager().session(Some(&new_key));
    assert_eq!(again.get::<u32>("member_id").unwrap(), Some(1));
    assert_eq!(again.get::<u32>("a").unwrap(), Some(1));
}

pub async fn vary_is_appended(env: &Env) {
    let response = send(&env.app(SessionConfig::default()), "GET", "/vary", None).await;
    assert_eq!(vary(&response), ["Accept-Encoding, Cookie"]);
}

pub async fn concurrent_last_write_wins(env: &Env) {
    let key = env.seed(json!({"x": "seed"}));
    let gate = Gate::new();
    let app = env.app_with(SessionConfig::default(), Arc::clone(&gate));
    // A reads the session and stops inside its handler ...
    let slow = tokio::spawn({
        let (app, key) = (app.clone(), key.clone());
        async move { send(&app, "POST", "/gated/first", Some(&key)).await }
    });
    gate.wait_ready().await;
    // ... B writes and finishes ...
    let fast = send(&app, "POST", "/set/second", Some(&key)).await;
    assert_eq!(fast.status(), StatusCode::OK);
    // ... then A finishes: its write is the last one.
    gate.go.notify_one();
    let slow = slow.await.unwrap();
    assert_eq!(slow.status(), StatusCode::OK);
    assert_eq!(cookie_value(&slow), key);
    let mut stored = env.raw_manager().session(Some(&key));
    assert_eq!(stored.get::<String>("x").unwrap().as_deref(), Some("first"));
}

pub async fn concurrent_logout_is_not_undone(env: &Env) {
    let key = env.seed(json!({"member_id": 1}));
    let gate = Gate::new();
    let app = env.app_with(SessionConfig::default(), Arc::clone(&gate));
    let slow = tokio::spawn({
        let (app, key) = (app.clone(), key.clone());
        async move { send(&app, "POST", "/gated/late", Some(&key)).await }
    });
    gate.wait_ready().await;
    let logout = send(&app, "POST", "/flush", Some(&key)).await;
    assert_eq!(set_cookie(&logout).as_deref(), Some(DELETION));
    gate.go.notify_one();
    let slow = slow.await.unwrap();
    assert_eq!(slow.status(), StatusCode::BAD_REQUEST);
    assert_eq!(set_cookie(&slow), None);
    assert!(!env.raw.exists(&key).unwrap(), "logout undone");
}

pub async fn rolling_expiry_touches_a_read_only_request(env: &Env) {
    use std::time::{Duration, SystemTime};
    const HOUR: Duration = Duration::from_secs(3600);
    let age = SessionConfig::default().cookie_age;
    let config = SessionConfig::default().with_refresh_after(Some(HOUR));
    let app = env.app(config);
    // A session last renewed two hours ago (its record expires `age` after that).
    let stale = |data: &[u8]| {
        let expires_at = SystemTime::now() + age - 2 * HOUR;
        let record = session_core::Record::new(data.to_vec(), expires_at);
        env.raw.create(&record).unwrap()
    };
    let key = stale(br#"{"a":1}"#);
    let before = env.raw.load_record(&key).unwrap().unwrap().expires_at;
    // Files and signed cookies keep the expiry inside the data: they are saved instead.
    let probe = stale(b"{}");
    let can_touch = !matches!(
        env.raw.touch(&probe, SystemTime::now() + age),
        Err(session_core::Error::Unsupported { .. })
    );

    let response = send(&app, "GET", "/read", Some(&key)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let header = set_cookie(&response).expect("a renewed session re-sends its cookie");
    let parsed = Cookie::parse(header).unwrap();
    assert_eq!(parsed.value(), key);
    assert_eq!(
        parsed.max_age(),
        Some(cookie::time::Duration::seconds(1_209_600))
    );
    let after = env.raw.load_record(&key).unwrap().unwrap();
    assert!(after.expires_at > before + HOUR, "the stored expiry moved");
    assert_eq!(after.data, br#"{"a":1}"#);
    if can_touch {
        assert_eq!(Counting::count(&env.counting.touches), 1);
        assert_eq!(
            Counting::count(&env.counting.saves),
            0,
            "the data was not rewritten"
        );
    } else {
        assert_eq!(Counting::count(&env.counting.saves), 1);
    }

    // Renewed just now: the next read costs no write and sends no cookie.
    let response = send(&app, "GET", "/read", Some(&key)).await;
    assert_eq!(set_cookie(&response), None);
    assert!(Counting::count(&env.counting.touches) <= 1);

    // A session deleted while the request ran is not resurrected by the touch: 400.
    let gone = stale(br#"{"a":1}"#);
    let app = env.app(SessionConfig::default().with_refresh_after(Some(HOUR)));
    let response = send(&app, "GET", "/read-then-delete", Some(&gone)).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(body(response).await, INTERRUPTED_MESSAGE);
    assert!(!env.raw.exists(&gone).unwrap());
}
