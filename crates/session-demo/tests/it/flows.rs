//! Login, comment, logout and forged-cookie flows, on every backend and serializer and in
//! Django mode.

use axum::http::StatusCode;
use serde_json::json;
use session_core::{DjangoJson, SessionManager};
use session_demo::{BackendKind, Options};

use crate::client::Client;

pub const DJANGO_SECRET: &str = "django-insecure-demo-secret-for-tests";

/// Options for one backend configuration, with its temporary directory.
pub struct Setup {
    pub options: Options,
    pub _dir: tempfile::TempDir,
}

pub fn setup(args: &[&str]) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let mut all: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let backend = args
        .windows(2)
        .find(|w| w[0] == "--backend")
        .map(|w| w[1])
        .unwrap_or("db");
    match backend {
        "db" => all.extend([
            "--db".into(),
            dir.path().join("s.sqlite3").display().to_string(),
        ]),
        "file" => all.extend(["--dir".into(), dir.path().display().to_string()]),
        _ => {}
    }
    Setup {
        options: Options::parse(all).unwrap(),
        _dir: dir,
    }
}

macro_rules! flows {
    ($($name:ident: [$($arg:expr),*];)*) => {$(
        mod $name {
            use super::*;
            fn setup() -> Setup {
                super::setup(&[$($arg),*])
            }
            #[tokio::test]
            async fn login_comment_logout() {
                super::login_comment_logout(&setup()).await;
            }
            #[tokio::test]
            async fn forged_cookies_are_not_adopted() {
                super::forged_cookies_are_not_adopted(&setup()).await;
            }
            #[tokio::test]
            async fn django_mode_shares_sessions() {
                super::django_mode_shares_sessions(&setup()).await;
            }
            #[tokio::test]
            async fn the_page_tells_the_truth() {
                super::the_page_tells_the_truth(&setup()).await;
            }
        }
    )*};
}

flows! {
    db_json: [];
    db_msgpack: ["--serializer", "msgpack"];
    db_django: ["--django-secret", DJANGO_SECRET];
    db_inline: ["--inline"];
    file_json: ["--backend", "file"];
    file_msgpack: ["--backend", "file", "--serializer", "msgpack"];
    file_django: ["--backend", "file", "--django-secret", DJANGO_SECRET];
    file_inline: ["--backend", "file", "--inline"];
    cache_json: ["--backend", "cache"];
    cache_msgpack: ["--backend", "cache", "--serializer", "msgpack"];
    cache_django: ["--backend", "cache", "--django-secret", DJANGO_SECRET];
    cookie_json: ["--backend", "cookie", "--secret", "a test secret, long enough"];
    cookie_msgpack: ["--backend", "cookie", "--serializer", "msgpack", "--secret", "another test secret"];
    cookie_random_secret: ["--backend", "cookie"];
    cookie_django: ["--backend", "cookie", "--django-secret", DJANGO_SECRET];
}

/// A configuration on a server backend, or `None` (and a "skipped" line) without its URL.
pub fn server_setup(var: &str, args: &[&str]) -> Option<Setup> {
    let Some(url) = std::env::var(var).ok().filter(|u| !u.is_empty()) else {
        println!("skipped: set {var} to run");
        return None;
    };
    let flag = if var.contains("POSTGRES") {
        "--db-url"
    } else {
        "--redis-url"
    };
    let mut all = args.to_vec();
    all.extend([flag, url.as_str()]);
    Some(setup(&all))
}

macro_rules! server_flows {
    ($($(#[$meta:meta])* $name:ident: $var:literal [$($arg:expr),*];)*) => {$(
        mod $name {
            use super::*;
            fn setup() -> Option<Setup> {
                super::server_setup($var, &[$($arg),*])
            }
            $(#[$meta])*
            #[tokio::test]
            async fn login_comment_logout() {
                if let Some(setup) = setup() {
                    super::login_comment_logout(&setup).await;
                }
            }
            $(#[$meta])*
            #[tokio::test]
            async fn forged_cookies_are_not_adopted() {
                if let Some(setup) = setup() {
                    super::forged_cookies_are_not_adopted(&setup).await;
                }
            }
        }
    )*};
}

server_flows! {
    #[cfg_attr(not(session_test_postgres), ignore = "needs SESSION_TEST_POSTGRES_URL")]
    postgres_json: "SESSION_TEST_POSTGRES_URL" ["--backend", "postgres"];
    #[cfg_attr(not(session_test_postgres), ignore = "needs SESSION_TEST_POSTGRES_URL")]
    postgres_msgpack: "SESSION_TEST_POSTGRES_URL" ["--backend", "postgres", "--serializer", "msgpack"];
    #[cfg_attr(not(session_test_postgres_tls), ignore = "needs SESSION_TEST_POSTGRES_TLS_URL")]
    postgres_tls: "SESSION_TEST_POSTGRES_TLS_URL" ["--backend", "postgres"];
    #[cfg_attr(not(session_test_redis), ignore = "needs SESSION_TEST_REDIS_URL")]
    redis_json: "SESSION_TEST_REDIS_URL" ["--backend", "redis"];
    #[cfg_attr(not(session_test_redis), ignore = "needs SESSION_TEST_REDIS_URL")]
    redis_msgpack: "SESSION_TEST_REDIS_URL" ["--backend", "redis", "--serializer", "msgpack"];
    #[cfg_attr(not(session_test_redis_tls), ignore = "needs SESSION_TEST_REDIS_TLS_URL")]
    redis_tls: "SESSION_TEST_REDIS_TLS_URL" ["--backend", "redis"];
    #[cfg_attr(not(session_test_redis_cluster), ignore = "needs SESSION_TEST_REDIS_CLUSTER_URLS")]
    redis_cluster_json: "SESSION_TEST_REDIS_CLUSTER_URLS" ["--backend", "redis-cluster"];
}

pub async fn login_comment_logout(setup: &Setup) {
    let mut client = Client::new(&setup.options);
    assert_eq!(client.session().await, json!({}));
    assert_eq!(
        client.cookie, None,
        "reading an empty session sets no cookie"
    );

    let reply = client
        .post("/login", "username=alice&password=rabbit")
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, "Your username and password didn't match.");
    assert_eq!(reply.set_cookie, None);
    let reply = client
        .post("/login", "username=mallory&password=wonderland")
        .await;
    assert_eq!(reply.body, "Your username and password didn't match.");

    assert_eq!(
        client.post("/comment", "comment=First!").await.body,
        "Thanks for your comment!"
    );
    let before_login = client.cookie.clone().expect("commenting starts a session");
    assert_eq!(
        client.post("/comment", "comment=Again").await.body,
        "You've already commented."
    );

    let reply = client
        .post("/login", "username=alice&password=wonderland")
        .await;
    assert_eq!(reply.body, "You're logged in.");
    let after_login = client.cookie.clone().unwrap();
    assert_ne!(after_login, before_login, "login cycles the key");
    assert_eq!(
        client.session().await,
        json!({"has_commented": true, "member_id": 1})
    );
    let page = client.get("/").await;
    assert!(
        page.body.contains("logged in as <strong>alice</strong>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("First!"));
    assert!(
        page.body.contains("&quot;member_id&quot;: 1"),
        "the session's contents are shown"
    );

    if setup.options.backend != BackendKind::Cookie {
        // The pre-login key is gone from the server (the cookie store keeps nothing).
        let mut old = Client {
            app: client.app.clone(),
            cookie: Some(before_login),
        };
        assert_eq!(old.session().await, json!({}));
    }

    let reply = client.post("/logout", "").await;
    assert_eq!(reply.body, "You're logged out.");
    assert_eq!(client.session().await, json!({"has_commented": true}));
    assert!(
        client
            .get("/")
            .await
            .body
            .contains("You are not logged in.")
    );

    // Bob on a fresh browser.
    let mut bob = Client {
        app: client.app.clone(),
        cookie: None,
    };
    assert_eq!(
        bob.post("/login", "username=bob&password=builder")
            .await
            .body,
        "You're logged in."
    );
    assert_eq!(bob.session().await, json!({"member_id": 2}));
}

pub async fn forged_cookies_are_not_adopted(setup: &Setup) {
    let mut client = Client::new(&setup.options);
    let forged = "forgedsessionkey0123456789abcdef".to_owned();
    client.cookie = Some(forged.clone());
    assert_eq!(client.session().await, json!({}));
    assert_eq!(
        client.post("/comment", "comment=hi").await.body,
        "Thanks for your comment!"
    );
    assert_ne!(
        client.cookie.as_deref(),
        Some(forged.as_str()),
        "a fresh key, not the forged one"
    );

    // A real cookie with one character changed.
    let mut alice = Client {
        app: client.app.clone(),
        cookie: None,
    };
    alice
        .post("/login", "username=alice&password=wonderland")
        .await;
    let real = alice.cookie.clone().unwrap();
    let mut tampered: Vec<char> = real.chars().collect();
    let i = tampered.len() / 2;
    tampered[i] = if tampered[i] == 'a' { 'b' } else { 'a' };
    let mut mallory = Client {
        app: client.app.clone(),
        cookie: Some(tampered.into_iter().collect()),
    };
    assert_eq!(mallory.session().await, json!({}));
    assert!(
        mallory
            .get("/")
            .await
            .body
            .contains("You are not logged in.")
    );

    // Garbage of every kind: never an error page.
    for garbage in [
        "",
        "x",
        "\"\"",
        "../../../etc/passwd",
        "%00%00%00%00%00%00",
        ".eJyrVsrNzFOyUkpJTM5OzEvMTVSqBQBR9Ad4:1:x",
    ] {
        let mut client = Client {
            app: client.app.clone(),
            cookie: Some(garbage.to_owned()),
        };
        let reply = client.get("/session").await;
        assert_eq!(reply.status, StatusCode::OK, "{garbage}");
        assert_eq!(reply.body, "{}");
    }
}

/// In Django mode a Django site with the same secret reads what the demo wrote: checked
/// here through the Django formats of session-db and session-cookie.
pub async fn django_mode_shares_sessions(setup: &Setup) {
    let Some(secret) = setup.options.django_secret.as_deref() else {
        return;
    };
    let mut client = Client::new(&setup.options);
    client
        .post("/login", "username=alice&password=wonderland")
        .await;
    let cookie = client.cookie.clone().unwrap();
    let manager = match setup.options.backend {
        BackendKind::Db => session_db::SqliteStore::open_django(&setup.options.db)
            .unwrap()
            .django_manager(secret)
            .unwrap(),
        BackendKind::File => {
            let config = session_file::FileConfig::default()
                .with_django(session_core::SessionConfig::default().cookie_age);
            let store = session_file::FileStore::with_config(&setup.options.dir, config).unwrap();
            SessionManager::new(store)
                .with_serializer(session_signing::DjangoCodec::new(secret).unwrap())
        }
        BackendKind::Cookie => {
            assert!(
                cookie.contains(':'),
                "Django's signed-cookie format: {cookie}"
            );
            SessionManager::new(session_cookie::CookieStore::new(secret).unwrap())
                .with_serializer(DjangoJson)
        }
        // The cache lives in the app's process only; the codec is covered by session-signing.
        _ => return,
    };
    let mut session = manager.session(Some(&cookie));
    assert_eq!(session.get::<u64>("member_id").unwrap(), Some(1));
}

/// A browser's POST: it asks for HTML.
async fn browser_post(client: &Client, path: &str, form: &str) -> String {
    use tower::ServiceExt;
    let mut request = axum::http::Request::post(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "text/html,application/xhtml+xml");
    if let Some(cookie) = &client.cookie {
        request = request.header("cookie", format!("sessionid={cookie}"));
    }
    let request = request
        .body(axum::body::Body::from(form.to_owned()))
        .unwrap();
    let response = client.app.clone().oneshot(request).await.unwrap();
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    String::from_utf8(body.to_vec()).unwrap()
}

/// What the HTML page says: the login form after a wrong password, where comments live,
/// and what the cookie holds on this backend.
pub async fn the_page_tells_the_truth(setup: &Setup) {
    let mut client = Client::new(&setup.options);
    let page = browser_post(&client, "/login", "username=alice&password=rabbit").await;
    assert!(
        page.contains("Your username and password didn&#x27;t match."),
        "{page}"
    );
    assert!(
        page.contains("action=\"/login\""),
        "the form to try again: {page}"
    );
    assert!(page.contains("name=\"password\""), "{page}");

    client.post("/comment", "comment=Remember me").await;
    let page = client.get("/").await.body;
    assert!(page.contains("Remember me"));
    assert!(
        page.contains("Comments live in this server's memory: a restart forgets them."),
        "{page}"
    );
    if setup.options.backend == BackendKind::Cookie {
        assert!(
            page.contains("the cookie holds the whole session"),
            "{page}"
        );
        assert!(!page.contains("password)"), "{page}");
    } else {
        assert!(page.contains("<p>Key: <code>"), "{page}");
        assert!(page.contains("like a password"), "{page}");
    }
}
