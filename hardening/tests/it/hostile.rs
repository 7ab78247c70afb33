//! Hostile `Cookie` headers through the HTTP layer, on every store: each request gets a
//! fresh session or a 4xx, never a 5xx or a panic, never another user's data.

use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::Body;
use axum::extract::Path;
use axum::routing::get;
use http::{HeaderValue, Request, StatusCode, header};
use serde_json::Value;
use session_cache::{CachedStore, MokaStore};
use session_cookie::{CookieFormat, CookieStore};
use session_core::{Json, MemoryStore, SessionManager};
use session_db::SqliteStore;
use session_file::{FileConfig, FileStore};
use session_signing::{DJANGO_COOKIE_SALT, DjangoCodec, Signer};
use session_tower::{Session, SessionLayer};
use tower::ServiceExt;

const VICTIM: u64 = 4242;

/// A tiny site: `/login/N` logs in (cycling the key), `/whoami` shows the session.
fn site(manager: SessionManager) -> Router {
    Router::new()
        .route(
            "/login/{member}",
            get(|session: Session, Path(member): Path<u64>| async move {
                session.cycle_key().await.unwrap();
                session.insert("member_id", member).await.unwrap();
                "ok"
            }),
        )
        .route(
            "/whoami",
            get(|session: Session| async move {
                let map = session.to_map().await.unwrap();
                session.insert("seen", true).await.unwrap();
                axum::Json(Value::Object(map))
            }),
        )
        .layer(SessionLayer::new(manager))
}

/// What a request with these raw `Cookie` headers gets.
struct Outcome {
    status: StatusCode,
    body: Vec<u8>,
    set_cookie: Option<String>,
}

async fn send(app: &Router, path: &str, cookies: &[&[u8]]) -> Outcome {
    let mut request = Request::get(path);
    for raw in cookies {
        request = request.header(header::COOKIE, HeaderValue::from_bytes(raw).unwrap());
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let set_cookie = response
        .headers()
        .get(header::SET_COOKIE)
        .map(|v| v.to_str().unwrap().to_owned());
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap()
        .to_vec();
    Outcome {
        status,
        body,
        set_cookie,
    }
}

fn cookie_value(set_cookie: &str) -> String {
    let rest = set_cookie
        .strip_prefix("sessionid=")
        .expect("the session cookie");
    rest.split(';').next().unwrap().trim_matches('"').to_owned()
}

/// Logs the victim in and returns their session cookie value.
async fn victim(app: &Router) -> String {
    let login = send(app, &format!("/login/{VICTIM}"), &[]).await;
    assert_eq!(login.status, StatusCode::OK);
    let value = cookie_value(&login.set_cookie.expect("login sets a cookie"));
    let me = send(app, "/whoami", &[format!("sessionid={value}").as_bytes()]).await;
    let data: Value = serde_json::from_slice(&me.body).unwrap();
    assert_eq!(data["member_id"], VICTIM, "the victim's own session works");
    value
}

/// Cookie headers an attacker controls (none holds the victim's exact value).
pub(crate) fn hostile_headers(victim: &str) -> Vec<(String, Vec<Vec<u8>>)> {
    let mut cases: Vec<(String, Vec<Vec<u8>>)> = Vec::new();
    let mut one = |name: &str, header: Vec<u8>| cases.push((name.to_owned(), vec![header]));
    one(
        "8 KB value",
        format!("sessionid={}", "a".repeat(8 * 1024)).into_bytes(),
    );
    one(
        "64 KB value",
        format!("sessionid={}", "b".repeat(64 * 1024)).into_bytes(),
    );
    let many: Vec<String> = (0..2_000).map(|i| format!("sessionid={i:032}")).collect();
    one("2,000 sessionid cookies", many.join("; ").into_bytes());
    let mixed: Vec<String> = (0..500)
        .map(|i| format!("c{i}=v; sessionid=\"{}\"", "z".repeat(8 + i % 40)))
        .collect();
    one("64 KB of mixed cookies", mixed.join("; ").into_bytes());
    one(
        "non-UTF-8 bytes",
        b"sessionid=\xff\xfe\xc3\x28abcdefgh\x80\x81".to_vec(),
    );
    one("non-UTF-8 around the victim's key", {
        let mut v = b"sessionid=\xff".to_vec();
        v.extend_from_slice(victim.as_bytes());
        v
    });
    for key in [
        "../../../../../../etc/passwd",
        "..%2f..%2f..%2fetc%2fpasswd",
        "abcdefgh/../../ijklmnop",
        "abcdefgh\\..\\..\\ijklmnop",
        "/abcdefghijklmnop",
        "sess-0000000000000000000000000000000000000000000000000000000000000000",
        ".sess-tmp-abcdefgh",
        "abcdefgh%00ijklmnop",
        "abcdefgh\tijklmnop",
    ] {
        one(
            &format!("path-like key {key:?}"),
            format!("sessionid={key}").into_bytes(),
        );
    }
    one(
        "victim key upper-cased",
        format!("sessionid={}", victim.to_uppercase()).into_bytes(),
    );
    one(
        "victim key truncated",
        format!("sessionid={}", &victim[..victim.len() - 1]).into_bytes(),
    );
    one(
        "victim key extended",
        format!("sessionid={victim}a").into_bytes(),
    );
    one(
        "victim key with a space",
        format!("sessionid= {victim}x").into_bytes(),
    );
    one("quote soup", b"sessionid=\"\"\"\"\"\"\"\"\"\"".to_vec());
    one("empty and semicolons", b";;;;sessionid=;;;=;".to_vec());
    cases.push((
        "many Cookie headers".to_owned(),
        (0..200)
            .map(|i| format!("sessionid=k{i:031}").into_bytes())
            .collect(),
    ));
    cases
}

/// Every hostile header on `app`: a fresh session or a 4xx, never the victim's data.
async fn matrix(name: &str, app: Router, extra: Vec<(String, Vec<Vec<u8>>)>) {
    let victim = victim(&app).await;
    let mut cases = hostile_headers(&victim);
    cases.extend(extra);
    for (case, headers) in cases {
        let headers: Vec<&[u8]> = headers.iter().map(Vec::as_slice).collect();
        let outcome = send(&app, "/whoami", &headers).await;
        let what = format!("{name}: {case}");
        assert!(
            outcome.status.is_success() || outcome.status.is_client_error(),
            "{what}: status {}",
            outcome.status
        );
        if outcome.status.is_success() {
            let data: Value = serde_json::from_slice(&outcome.body).unwrap();
            assert_eq!(
                data,
                Value::Object(Default::default()),
                "{what}: not a fresh session"
            );
        }
        if let Some(set) = outcome
            .set_cookie
            .filter(|s| !s.starts_with("sessionid=\"\";"))
        {
            assert_ne!(
                cookie_value(&set),
                victim,
                "{what}: handed out the victim's cookie"
            );
        }
    }
    // The victim is still logged in.
    let me = send(&app, "/whoami", &[format!("sessionid={victim}").as_bytes()]).await;
    let data: Value = serde_json::from_slice(&me.body).unwrap();
    assert_eq!(
        data["member_id"], VICTIM,
        "{name}: the victim lost their session"
    );
}

#[tokio::test]
async fn memory_store() {
    matrix(
        "memory",
        site(SessionManager::new(MemoryStore::new())),
        vec![],
    )
    .await;
}

#[tokio::test]
async fn db_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("s.sqlite3")).unwrap();
    matrix("db", site(SessionManager::new(store)), vec![]).await;
}

#[tokio::test]
async fn cache_and_cached_db() {
    matrix("cache", site(SessionManager::new(MokaStore::new())), vec![]).await;
    let cached = CachedStore::new(MokaStore::new(), SqliteStore::in_memory().unwrap());
    matrix("cached_db", site(SessionManager::new(cached)), vec![]).await;
}

#[tokio::test]
async fn file_store_native_and_django() {
    let dir = tempfile::tempdir().unwrap();
    let store =
        FileStore::with_config(dir.path(), FileConfig::default().with_fsync(false)).unwrap();
    matrix("file", site(SessionManager::new(store)), vec![]).await;
    let dir = tempfile::tempdir().unwrap();
    let config = FileConfig::default()
        .with_fsync(false)
        .with_django(Duration::from_secs(1_209_600));
    let store = FileStore::with_config(dir.path(), config).unwrap();
    let manager =
        SessionManager::new(store).with_serializer(DjangoCodec::new("django secret").unwrap());
    matrix("file (Django)", site(manager), vec![]).await;
}

#[cfg_attr(not(session_test_redis), ignore = "needs SESSION_TEST_REDIS_URL")]
#[tokio::test]
async fn redis_store_when_configured() {
    let Some(url) = session_hardening::server_url("SESSION_TEST_REDIS_URL") else {
        return;
    };
    let config = session_cache::RedisConfig::new(url).with_key_prefix("hardening-hostile:");
    let store = session_cache::RedisStore::with_config(config).unwrap();
    matrix("redis", site(SessionManager::new(store)), vec![]).await;
}

#[cfg_attr(not(session_test_postgres), ignore = "needs SESSION_TEST_POSTGRES_URL")]
#[tokio::test]
async fn postgres_store_when_configured() {
    let Some(url) = session_hardening::server_url("SESSION_TEST_POSTGRES_URL") else {
        return;
    };
    let store = session_db::PostgresConfig::native()
        .with_table("hardening_hostile")
        .unwrap()
        .connect(&url)
        .unwrap();
    matrix("postgres", site(SessionManager::new(store)), vec![]).await;
}

/// Django-format cookies signed the wrong way: wrong salt, wrong secret, a retired secret.
pub(crate) fn forged_django_cookies() -> Vec<(String, Vec<Vec<u8>>)> {
    let payload = format!("{{\"member_id\":{VICTIM}}}");
    let signed = |signer: Signer| -> Vec<Vec<u8>> {
        vec![format!("sessionid={}", signer.sign(payload.as_bytes(), true)).into_bytes()]
    };
    vec![
        (
            "Django cookie with the wrong salt".to_owned(),
            signed(
                Signer::new("cookie secret")
                    .unwrap()
                    .with_salt("django.core.signing"),
            ),
        ),
        (
            "Django cookie with the session-data salt".to_owned(),
            signed(
                Signer::new("cookie secret")
                    .unwrap()
                    .with_salt(session_signing::DJANGO_SESSION_SALT),
            ),
        ),
        (
            "Django cookie signed with a retired secret".to_owned(),
            signed(
                Signer::new("retired secret")
                    .unwrap()
                    .with_salt(DJANGO_COOKIE_SALT),
            ),
        ),
    ]
}

#[tokio::test]
async fn cookie_store_every_format() {
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
            &format!("cookie {format:?}"),
            site(manager),
            forged_django_cookies(),
        )
        .await;
    }
}

#[tokio::test]
async fn retired_secret_after_rotation() {
    // The victim logged in while "retired secret" was current.
    let old = site(SessionManager::new(
        CookieStore::new("retired secret").unwrap(),
    ));
    let cookie = victim(&old).await;
    let header = format!("sessionid={cookie}");
    // During rotation the fallback still reads it...
    let rotating = CookieStore::new("cookie secret")
        .unwrap()
        .with_fallbacks(["retired secret"])
        .unwrap();
    let got = send(
        &site(SessionManager::new(rotating)),
        "/whoami",
        &[header.as_bytes()],
    )
    .await;
    let data: Value = serde_json::from_slice(&got.body).unwrap();
    assert_eq!(data["member_id"], VICTIM);
    // ...and once the fallback is removed, the cookie is worth nothing: a fresh session and
    // an instruction to delete the stale cookie.
    let rotated = site(SessionManager::new(
        CookieStore::new("cookie secret").unwrap(),
    ));
    let got = send(&rotated, "/whoami", &[header.as_bytes()]).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(
        serde_json::from_slice::<Value>(&got.body).unwrap(),
        serde_json::json!({})
    );
    let set = got.set_cookie.expect("a new cookie replaces the stale one");
    assert_ne!(cookie_value(&set), cookie);

    // Same for server-side data under Django's codec: rows signed with a retired secret
    // load as an empty session.
    let store = SqliteStore::in_memory().unwrap();
    let before = site(
        SessionManager::new(store.clone())
            .with_serializer(DjangoCodec::new("retired secret").unwrap()),
    );
    let key = victim(&before).await;
    let after = site(
        SessionManager::new(store).with_serializer(DjangoCodec::new("cookie secret").unwrap()),
    );
    let got = send(&after, "/whoami", &[format!("sessionid={key}").as_bytes()]).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(
        serde_json::from_slice::<Value>(&got.body).unwrap(),
        serde_json::json!({})
    );
}

/// The demo site itself, on its db, cache and cookie backends: hostile headers on `/session`.
#[tokio::test]
async fn demo_site_backends() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite3");
    let configs: Vec<Vec<String>> = vec![
        vec![
            "--backend".into(),
            "db".into(),
            "--db".into(),
            db.display().to_string(),
        ],
        vec!["--backend".into(), "cache".into()],
        vec![
            "--backend".into(),
            "cookie".into(),
            "--secret".into(),
            "demo cookie secret".into(),
        ],
        vec![
            "--backend".into(),
            "cookie".into(),
            "--django-secret".into(),
            "cookie secret".into(),
        ],
    ];
    for args in configs {
        let options = session_demo::Options::parse(args.clone()).unwrap();
        let backend = session_demo::Backend::open(&options).unwrap();
        let app = session_demo::app(&backend);
        // Log alice in.
        let login = app
            .clone()
            .oneshot(
                Request::post("/login")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from("username=alice&password=wonderland"))
                    .unwrap(),
            )
            .await
            .unwrap();
        let alice = cookie_value(login.headers()[header::SET_COOKIE].to_str().unwrap());
        let mut cases = hostile_headers(&alice);
        cases.extend(forged_django_cookies());
        for (case, headers) in cases {
            let mut request = Request::get("/session");
            for h in &headers {
                request = request.header(header::COOKIE, HeaderValue::from_bytes(h).unwrap());
            }
            let response = app
                .clone()
                .oneshot(request.body(Body::empty()).unwrap())
                .await
                .unwrap();
            let status = response.status();
            assert!(
                status.as_u16() < 500,
                "demo {args:?}: {case}: status {status}"
            );
            let body = axum::body::to_bytes(response.into_body(), 1 << 20)
                .await
                .unwrap();
            if status.is_success() {
                let data: Value = serde_json::from_slice(&body).unwrap();
                assert!(
                    data.get("member_id").is_none(),
                    "demo {args:?}: {case}: leaked {data}"
                );
            }
        }
    }
    let _ = SystemTime::now();
}
