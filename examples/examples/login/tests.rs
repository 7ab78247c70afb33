//! The chapter's flow as a test: `cargo test` runs it, no server or socket needed.

// ANCHOR: browser
use axum::body::Body;
use axum::http::{Request, header};
use tower::ServiceExt;

use super::*;

/// A tiny browser: sends requests to `app` and keeps the `sessionid` cookie.
struct Browser {
    app: Router,
    cookie: Option<String>,
}

impl Browser {
    fn new(app: Router) -> Self {
        Browser { app, cookie: None }
    }

    async fn send(&mut self, method: &str, uri: &str, form: &str) -> (StatusCode, String) {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(cookie) = &self.cookie {
            request = request.header(header::COOKIE, format!("sessionid={cookie}"));
        }
        if !form.is_empty() {
            request = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        }
        let request = request.body(Body::from(form.to_owned())).unwrap();
        let response = self.app.clone().oneshot(request).await.unwrap();
        if let Some(set) = response.headers().get(header::SET_COOKIE) {
            let set = set.to_str().unwrap();
            let value = set
                .split(';')
                .next()
                .unwrap()
                .trim_start_matches("sessionid=");
            self.cookie = (value != "\"\"").then(|| value.to_owned());
        }
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }
}
// ANCHOR_END: browser

// ANCHOR: login_test
#[tokio::test]
async fn login_logout_and_the_protected_page() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("s.sqlite3")).unwrap();
    let mut browser = Browser::new(app(SessionManager::new(store)));

    let (status, body) = browser.send("GET", "/", "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("You are not logged in."));
    assert_eq!(
        browser.send("GET", "/account", "").await.0,
        StatusCode::SEE_OTHER
    );

    let (status, body) = browser
        .send("POST", "/login", "username=alice&password=nope")
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("didn't match"));
    assert_eq!(browser.cookie, None);

    let (status, _) = browser
        .send("POST", "/login", "username=alice&password=wonderland")
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let logged_in = browser
        .cookie
        .clone()
        .expect("a session cookie after login");
    assert!(
        browser
            .send("GET", "/", "")
            .await
            .1
            .contains("Hello, alice!")
    );
    let (status, body) = browser.send("GET", "/account", "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("alice's account (id 1)"));

    // Logging in again cycles the key: the old cookie no longer works.
    browser
        .send("POST", "/login", "username=bob&password=builder")
        .await;
    assert_ne!(browser.cookie.as_deref(), Some(logged_in.as_str()));
    assert!(browser.send("GET", "/", "").await.1.contains("Hello, bob!"));
    let bobs = browser.cookie.clone();

    browser.send("POST", "/logout", "").await;
    assert_eq!(browser.cookie, None, "logout deletes the cookie");
    assert!(
        browser
            .send("GET", "/", "")
            .await
            .1
            .contains("not logged in")
    );

    // The logged-out session is gone from the store: replaying its cookie gets nothing.
    browser.cookie = bobs;
    assert!(
        browser
            .send("GET", "/", "")
            .await
            .1
            .contains("not logged in")
    );
}
// ANCHOR_END: login_test
