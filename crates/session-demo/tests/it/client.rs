//! A tiny cookie-keeping client over the app's `Router` (no socket).

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use session_demo::{Backend, Options};
use tower::ServiceExt;

/// A browser in miniature: sends requests through the router and keeps `sessionid`.
pub struct Client {
    pub app: Router,
    pub cookie: Option<String>,
}

pub struct Reply {
    pub status: StatusCode,
    pub set_cookie: Option<String>,
    pub body: String,
}

impl Client {
    pub fn new(options: &Options) -> Client {
        let backend = Backend::open(options).unwrap();
        Client {
            app: session_demo::app(&backend),
            cookie: None,
        }
    }

    pub async fn request(&mut self, method: &str, path: &str, form: Option<&str>) -> Reply {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(cookie) = &self.cookie {
            request = request.header(header::COOKIE, format!("sessionid={cookie}"));
        }
        let body = match form {
            Some(form) => {
                request = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                Body::from(form.to_owned())
            }
            None => Body::empty(),
        };
        let response = self
            .app
            .clone()
            .oneshot(request.body(body).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let set_cookie = response
            .headers()
            .get(header::SET_COOKIE)
            .map(|v| v.to_str().unwrap().to_owned());
        if let Some(header) = &set_cookie {
            let parsed = cookie::Cookie::parse(header.clone()).unwrap();
            self.cookie = match parsed.max_age() {
                Some(age) if age.is_zero() => None,
                _ => Some(parsed.value().to_owned()),
            };
        }
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        Reply {
            status,
            set_cookie,
            body: String::from_utf8(bytes.to_vec()).unwrap(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Reply {
        self.request("GET", path, None).await
    }

    pub async fn post(&mut self, path: &str, form: &str) -> Reply {
        self.request("POST", path, Some(form)).await
    }

    /// `GET /session`, parsed.
    pub async fn session(&mut self) -> serde_json::Value {
        let reply = self.get("/session").await;
        assert_eq!(reply.status, StatusCode::OK);
        serde_json::from_str(&reply.body).unwrap()
    }
}
