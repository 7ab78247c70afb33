//! Django's SessionMiddleware checks over a real socket, as plain functions over any
//! [`Env`]; `middleware_tests!` stamps out one `#[test]` per check and store.

use serde_json::json;
use session_actix::INTERRUPTED_MESSAGE;
use session_core::{SameSite, SessionConfig};

use crate::support::{Env, Gate};

const DELETION: &str =
    r#"sessionid=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax"#;

/// Stamps out every check for one store configuration: `middleware_tests!(name, env_expr)`,
/// with an optional `#[cfg_attr(...)]` put on each test.
#[macro_export]
macro_rules! middleware_tests {
    ($(#[$attr:meta])* $name:ident, $env:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            fn env() -> $crate::support::Env {
                $env
            }
            $crate::middleware_tests!(@each env; [$(#[$attr])*];
                cookie_attributes_follow_config,
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
            );
        }
    };
    (@each $env:ident; $attrs:tt; $($check:ident),* $(,)?) => {$(
        $crate::middleware_tests!(@one $env; $attrs; $check);
    )*};
    (@one $env:ident; [$(#[$attr:meta])*]; $check:ident) => {
        #[test]
        $(#[$attr])*
        fn $check() {
            let env = $env();
            $crate::checks::$check(&env);
        }
    };
}

pub fn cookie_attributes_follow_config(env: &Env) {
    let response = env
        .server(SessionConfig::default())
        .send("POST", "/insert", None);
    let header = response.set_cookie().unwrap();
    assert!(
        header.ends_with("; HttpOnly; Max-Age=1209600; Path=/; SameSite=Lax"),
        "{header}"
    );
    assert!(!header.contains("Secure"));
    let expires = header
        .split("; ")
        .find(|p| p.starts_with("expires="))
        .unwrap();
    assert!(expires.ends_with(" GMT"), "{header}");

    let config = SessionConfig::default()
        .with_cookie_secure(true)
        .with_cookie_same_site(Some(SameSite::Strict))
        .with_cookie_domain(".example.com")
        .with_cookie_path("/app")
        .with_cookie_http_only(false);
    let response = env.server(config).send("POST", "/insert", None);
    let header = response.set_cookie().unwrap();
    for part in [
        "; Domain=.example.com",
        "; Path=/app",
        "; SameSite=Strict",
        "; Secure",
    ] {
        assert!(header.contains(part), "{part} in {header}");
    }
    assert!(!header.contains("HttpOnly"), "{header}");
}

pub fn nothing_saved_on_5xx(env: &Env) {
    let server = env.server(SessionConfig::default());
    for code in [500, 503] {
        let response = server.send("POST", &format!("/fail/{code}"), None);
        assert_eq!(response.status, code);
        assert_eq!(response.set_cookie(), None);
    }
    assert_eq!(env.counts()[1], 0, "no create");

    // An existing session modified by a failing request keeps its stored data.
    let key = env.seed(json!({"a": 1}));
    let response = server.send("POST", "/fail/500", Some(&key));
    assert_eq!(response.set_cookie(), None);
    assert_eq!(env.counts()[2], 0, "no save");
    let mut again = env.raw_manager().session(Some(&key));
    assert_eq!(again.get::<u32>("a").unwrap(), Some(1));
}

pub fn session_deleted_meanwhile_gives_400(env: &Env) {
    let key = env.seed(json!({"a": 1}));
    let response =
        env.server(SessionConfig::default())
            .send("POST", "/delete-then-write", Some(&key));
    assert_eq!(response.status, 400);
    assert_eq!(response.set_cookie(), None);
    assert_eq!(
        response.header_all("content-type"),
        ["text/plain; charset=utf-8"]
    );
    assert_eq!(response.body, INTERRUPTED_MESSAGE);
    assert!(
        !env.raw.exists(&key).unwrap(),
        "the deleted session was resurrected"
    );
}

pub fn flush_with_cookie_deletes_it_exactly(env: &Env) {
    let key = env.seed(json!({"member_id": 1}));
    let response = env
        .server(SessionConfig::default())
        .send("POST", "/flush", Some(&key));
    assert_eq!(response.status, 200);
    assert_eq!(response.set_cookie(), Some(DELETION));
    assert_eq!(response.vary(), ["Cookie"]);
    assert!(!env.raw.exists(&key).unwrap());
}

pub fn flush_with_cookie_and_domain_path(env: &Env) {
    let key = env.seed(json!({"member_id": 1}));
    let config = SessionConfig::default()
        .with_cookie_domain(".example.com")
        .with_cookie_path("/example/");
    let response = env.server(config).send("POST", "/flush", Some(&key));
    assert_eq!(
        response.set_cookie(),
        Some(
            r#"sessionid=""; Domain=.example.com; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/example/; SameSite=Lax"#
        )
    );
    assert_eq!(response.vary(), ["Cookie"]);
}

pub fn flush_without_cookie_sets_nothing_but_varies(env: &Env) {
    let response = env
        .server(SessionConfig::default())
        .send("POST", "/flush", None);
    assert_eq!(response.set_cookie(), None);
    assert_eq!(response.vary(), ["Cookie"]);
}

pub fn save_every_request_resends_cookie(env: &Env) {
    let key = env.seed(json!({"a": 1}));
    let config = SessionConfig::default().with_save_every_request(true);
    let response = env.server(config).send("GET", "/untouched", Some(&key));
    assert_eq!(response.cookie_value(), key);
    assert_eq!(response.vary(), ["Cookie"]);
    assert_eq!(env.counts()[2] + env.counts()[4], 1, "one save (or touch)");
}

pub fn removing_last_key_still_saves(env: &Env) {
    let key = env.seed(json!({"a": 1}));
    let response = env
        .server(SessionConfig::default())
        .send("POST", "/remove", Some(&key));
    assert_eq!(response.cookie_value(), key);
    assert_eq!(response.vary(), ["Cookie"]);
    let mut again = env.raw_manager().session(Some(&key));
    assert!(again.is_empty().unwrap());
    assert_eq!(
        again.key(),
        Some(key.as_str()),
        "the empty session is still stored"
    );
}

pub fn two_extractors_share_one_session(env: &Env) {
    let server = env.server(SessionConfig::default());
    let response = server.send("POST", "/two", None);
    assert_eq!(response.status, 200);
    assert!(response.set_cookie().is_some());
    assert_eq!(response.body, "Some(1)");

    // With a stored session: one load for both extractors.
    let key = env.seed(json!({"a": 1}));
    let loads = env.counts()[0];
    let response = server.send("POST", "/two", Some(&key));
    assert_eq!(response.body, "Some(1)");
    assert_eq!(env.counts()[0] - loads, 1);

    // A middleware and its handler: same session, one load.
    let loads = env.counts()[0];
    let response = server.send("GET", "/mw", Some(&key));
    assert_eq!(response.cookie_value(), key);
    assert_eq!(response.body, "Some(true)");
    assert_eq!(env.counts()[0] - loads, 1);
}

pub fn untouched_session_costs_nothing(env: &Env) {
    let key = env.seed(json!({"a": 1}));
    let response = env
        .server(SessionConfig::default())
        .send("GET", "/untouched", Some(&key));
    assert_eq!(response.status, 200);
    assert_eq!(env.calls(), 0, "lazy: no store call");
    assert_eq!(response.set_cookie(), None);
    assert!(response.vary().is_empty());
}

pub fn garbage_cookie_headers(env: &Env) {
    let key = env.seed(json!({"a": 7}));
    let server = env.server(SessionConfig::default());
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
        let response = server.send_raw("POST", "/insert", [raw.as_slice()], "");
        assert_eq!(response.status, 200, "{raw:?}");
        assert_eq!(
            response.cookie_value().len(),
            32,
            "a fresh key, never the client's value"
        );
    }

    // Duplicates and junk around a good cookie: the first usable value is used.
    let good = format!("junk; sessionid={key}; sessionid=zzzzzzzzzz");
    let response = server.send_raw(
        "GET",
        "/read",
        [&b"sessionid=short; x=\"unterminated"[..], good.as_bytes()],
        "",
    );
    assert_eq!(response.body, "Some(Number(7))");
}

pub fn forged_key_is_not_adopted(env: &Env) {
    let forged = "abcdefghijklmnopqrstuvwxyz012345";
    let response = env
        .server(SessionConfig::default())
        .send("POST", "/insert", Some(forged));
    assert_ne!(response.cookie_value(), forged);
    assert!(!env.raw.exists(forged).unwrap());
}

pub fn cycle_key_moves_the_session(env: &Env) {
    let key = env.seed(json!({"a": 1}));
    let response = env
        .server(SessionConfig::default())
        .send("POST", "/cycle", Some(&key));
    let new_key = response.cookie_value();
    assert_ne!(new_key, key);
    assert!(!env.raw.exists(&key).unwrap());
    let mut again = env.raw_manager().session(Some(&new_key));
    assert_eq!(again.get::<u32>("member_id").unwrap(), Some(1));
    assert_eq!(again.get::<u32>("a").unwrap(), Some(1));
}

pub fn vary_is_appended(env: &Env) {
    let response = env
        .server(SessionConfig::default())
        .send("GET", "/vary", None);
    assert_eq!(response.vary(), ["Accept-Encoding, Cookie"]);
}

pub fn concurrent_last_write_wins(env: &Env) {
    let key = env.seed(json!({"x": "seed"}));
    let gate = Gate::new();
    let server = std::sync::Arc::new(env.server_with(SessionConfig::default(), gate.clone()));
    // A reads the session and stops inside its handler ...
    let slow = std::thread::spawn({
        let (server, key) = (server.clone(), key.clone());
        move || server.send("POST", "/gated/first", Some(&key))
    });
    gate.wait_ready();
    // ... B writes and finishes ...
    let fast = server.send("POST", "/set/second", Some(&key));
    assert_eq!(fast.status, 200);
    // ... then A finishes: its write is the last one.
    gate.go.notify_one();
    let slow = slow.join().unwrap();
    assert_eq!(slow.status, 200);
    assert_eq!(slow.cookie_value(), key);
    let mut stored = env.raw_manager().session(Some(&key));
    assert_eq!(stored.get::<String>("x").unwrap().as_deref(), Some("first"));
}

pub fn concurrent_logout_is_not_undone(env: &Env) {
    let key = env.seed(json!({"member_id": 1}));
    let gate = Gate::new();
    let server = std::sync::Arc::new(env.server_with(SessionConfig::default(), gate.clone()));
    let slow = std::thread::spawn({
        let (server, key) = (server.clone(), key.clone());
        move || server.send("POST", "/gated/late", Some(&key))
    });
    gate.wait_ready();
    let logout = server.send("POST", "/flush", Some(&key));
    assert_eq!(logout.set_cookie(), Some(DELETION));
    gate.go.notify_one();
    let slow = slow.join().unwrap();
    assert_eq!(slow.status, 400);
    assert_eq!(slow.body, INTERRUPTED_MESSAGE);
    assert_eq!(slow.set_cookie(), None);
    assert!(!env.raw.exists(&key).unwrap(), "logout undone");
}
