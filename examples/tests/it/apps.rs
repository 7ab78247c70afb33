//! The book's web examples, driven in-process: what the book says they do, they do.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use session_db::SqliteStore;
use tower::ServiceExt;

#[allow(dead_code)]
#[path = "../../examples/quickstart.rs"]
mod quickstart;

/// With its own tests (`login/tests.rs`, the chapter's "Test it"), which run in here.
#[allow(dead_code)]
#[path = "../../examples/login/main.rs"]
mod login;

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

#[tokio::test]
async fn quickstart_counts_visits() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("s.sqlite3")).unwrap();
    let mut browser = Browser::new(quickstart::app(store));
    assert_eq!(
        browser.send("GET", "/", "").await.1,
        "You have been here 1 time."
    );
    assert_eq!(
        browser.send("GET", "/", "").await.1,
        "You have been here 2 times."
    );
    browser.cookie = None; // another browser
    assert_eq!(
        browser.send("GET", "/", "").await.1,
        "You have been here 1 time."
    );
}
