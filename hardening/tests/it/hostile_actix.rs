//! The hostile `Cookie` headers of `hostile.rs`, through actix-web's middleware: each
//! request gets a fresh session or a 4xx, never a 5xx or a panic, never another user's
//! data.

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::test::{TestRequest, call_service, init_service, read_body};
use actix_web::{App, web};
use serde_json::Value;
use session_actix::{Session, SessionError, SessionMiddleware};
use session_cookie::{CookieFormat, CookieStore};
use session_core::{Json, MemoryStore, SessionManager};
use session_db::SqliteStore;

use crate::hostile::{forged_django_cookies, hostile_headers};

const VICTIM: u64 = 4343;

/// The site of `hostile.rs` on actix-web: `/login/N` logs in (cycling the key), `/whoami`
/// shows the session.
fn routes(config: &mut web::ServiceConfig) {
    config
        .route(
            "/login/{member}",
            web::get().to(|session: Session, member: web::Path<u64>| async move {
                session.cycle_key().await?;
                session.insert("member_id", *member).await?;
                Ok::<_, SessionError>("ok")
            }),
        )
        .route(
            "/whoami",
            web::get().to(|session: Session| async move {
                let map = session.to_map().await?;
                session.insert("seen", true).await?;
                Ok::<_, SessionError>(web::Json(Value::Object(map)))
            }),
        );
}

/// What a request with these raw `Cookie` headers gets: status, body, `Set-Cookie`.
async fn send<B: MessageBody>(
    app: &impl Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    path: &str,
    cookies: &[&[u8]],
) -> (StatusCode, Vec<u8>, Option<String>) {
    let mut request = TestRequest::get().uri(path);
    for raw in cookies {
        request = request.append_header((
            "cookie",
            actix_web::http::header::HeaderValue::from_bytes(raw).unwrap(),
        ));
    }
    let response = call_service(app, request.to_request()).await;
    let status = response.status();
    let set_cookie = response
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, read_body(response).await.to_vec(), set_cookie)
}

fn cookie_value(set_cookie: &str) -> String {
    let rest = set_cookie
        .strip_prefix("sessionid=")
        .expect("the session cookie");
    rest.split(';').next().unwrap().trim_matches('"').to_owned()
}

/// Every hostile header against a logged-in victim.
async fn matrix(name: &str, manager: SessionManager, extra: Vec<(String, Vec<Vec<u8>>)>) {
    let app = init_service(
        App::new()
            .wrap(SessionMiddleware::new(manager))
            .configure(routes),
    )
    .await;
    let (status, _, set_cookie) = send(&app, &format!("/login/{VICTIM}"), &[]).await;
    assert_eq!(status, StatusCode::OK);
    let victim = cookie_value(&set_cookie.expect("login sets a cookie"));
    let mine = format!("sessionid={victim}");

    let mut cases = hostile_headers(&victim);
    cases.extend(extra);
    for (case, headers) in cases {
        let headers: Vec<&[u8]> = headers.iter().map(Vec::as_slice).collect();
        let (status, body, set_cookie) = send(&app, "/whoami", &headers).await;
        let what = format!("{name}: {case}");
        assert!(
            status.is_success() || status.is_client_error(),
            "{what}: status {status}"
        );
        if status.is_success() {
            let data: Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(
                data,
                Value::Object(Default::default()),
                "{what}: not a fresh session"
            );
        }
        if let Some(set) = set_cookie.filter(|s| !s.starts_with("sessionid=\"\";")) {
            assert_ne!(
                cookie_value(&set),
                victim,
                "{what}: handed out the victim's cookie"
            );
        }
    }
    // The victim is still logged in.
    let (_, body, _) = send(&app, "/whoami", &[mine.as_bytes()]).await;
    let data: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        data["member_id"], VICTIM,
        "{name}: the victim lost their session"
    );
}

#[actix_web::test]
async fn actix_memory_and_sqlite() {
    matrix(
        "actix memory",
        SessionManager::new(MemoryStore::new()),
        vec![],
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("s.sqlite3")).unwrap();
    matrix("actix db", SessionManager::new(store), vec![]).await;
}

#[actix_web::test]
async fn actix_cookie_store_every_format() {
    for format in [
        CookieFormat::Django,
        CookieFormat::Expiring,
        CookieFormat::Encrypted,
    ] {
        let store = CookieStore::new("cookie secret")
            .unwrap()
            .with_format(format);
        let manager = SessionManager::new(store).with_serializer(Json);
        matrix(
            &format!("actix cookie {format:?}"),
            manager,
            forged_django_cookies(),
        )
        .await;
    }
}
