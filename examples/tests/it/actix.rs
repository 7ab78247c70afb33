//! The actix-web example against the axum demo on one store: a session made through one
//! framework loads through the other (SQLite always; PostgreSQL and Redis when their
//! variables are set). The actix-web side is the example's server on a loopback socket.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};

use axum::body::Body;
use axum::http::{Request, header};
use serde_json::Value;
use session_demo::{Backend, Options};
use tower::ServiceExt;

#[allow(dead_code)]
#[path = "../../examples/actix.rs"]
mod actix_example;

/// One request to the actix-web server: `(status, Set-Cookie key if any, body)`.
fn actix(
    addr: SocketAddr,
    method: &str,
    path: &str,
    key: Option<&str>,
    form: &str,
) -> (u16, Option<String>, String) {
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\n",
        form.len()
    );
    if let Some(key) = key {
        request.push_str(&format!("Cookie: sessionid={key}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(form);
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    let status = head[9..12].parse().unwrap();
    let key = head
        .lines()
        .find_map(|line| line.strip_prefix("set-cookie: sessionid="))
        .map(|rest| rest.split(';').next().unwrap().to_owned());
    (status, key, body.to_owned())
}

/// One request to the axum demo, in process: `(status, Set-Cookie key if any, body)`.
async fn axum(
    app: &axum::Router,
    method: &str,
    path: &str,
    key: Option<&str>,
    form: &str,
) -> (u16, Option<String>, String) {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(key) = key {
        request = request.header(header::COOKIE, format!("sessionid={key}"));
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::from(form.to_owned())).unwrap())
        .await
        .unwrap();
    let key = response.headers().get(header::SET_COOKIE).map(|v| {
        v.to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .trim_start_matches("sessionid=")
            .to_owned()
    });
    let status = response.status().as_u16();
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, key, String::from_utf8(body.to_vec()).unwrap())
}

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap()
}

/// The seed's flows, half through each framework, on the store of `args` (the demo's flags).
fn shared_flows(args: &[&str]) {
    // Two openings of one store, as two processes would have.
    let options = Options::parse(args.iter().copied()).unwrap();
    let for_axum = Backend::open(&options).unwrap();
    let for_actix = Backend::open(&options).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    // The example's server, on actix-web's runtime in a thread of its own (it runs until
    // the test process ends).
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(actix_example::serve(for_actix.manager, listener))
    });

    actix_web::rt::System::new().block_on(async move {
        let demo = session_demo::app(&for_axum);
        // axum logs alice in; actix-web sees her.
        let (status, key, body) = axum(
            &demo,
            "POST",
            "/login",
            None,
            "username=alice&password=wonderland",
        )
        .await;
        assert_eq!((status, body.as_str()), (200, "You're logged in."));
        let alice = key.expect("the login sets a cookie");
        let (status, _, body) = actix(addr, "GET", "/session", Some(&alice), "");
        assert_eq!(status, 200);
        assert_eq!(json(&body)["member_id"], 1);

        // actix-web records the comment; the demo refuses a second one.
        let (_, _, body) = actix(addr, "POST", "/comment", Some(&alice), "comment=hello");
        assert_eq!(body, "Thanks for your comment!");
        let (_, _, body) = axum(&demo, "POST", "/comment", Some(&alice), "comment=again").await;
        assert!(body.contains("You've already commented."), "{body}");

        // actix-web logs bob in (a new key); the demo sees him.
        let (status, key, body) = actix(
            addr,
            "POST",
            "/login",
            None,
            "username=bob&password=builder",
        );
        assert_eq!((status, body.as_str()), (200, "You're logged in."));
        let bob = key.expect("the login sets a cookie");
        let (_, _, body) = axum(&demo, "GET", "/session", Some(&bob), "").await;
        assert_eq!(json(&body)["member_id"], 2);
        let (_, _, body) = actix(addr, "POST", "/login", None, "username=bob&password=wrong");
        assert_eq!(body, "Your username and password didn't match.");

        // actix-web logs alice out; the demo sees it.
        let (_, _, body) = actix(addr, "POST", "/logout", Some(&alice), "");
        assert_eq!(body, "You're logged out.");
        let (_, _, body) = axum(&demo, "GET", "/session", Some(&alice), "").await;
        let data = json(&body);
        assert!(data.get("member_id").is_none(), "{data}");
        assert_eq!(data["has_commented"], true);

        // A key neither made is adopted by neither.
        let forged = "abcdefghijklmnopqrstuvwxyz012345";
        let (_, key, _) = actix(addr, "POST", "/comment", Some(forged), "comment=x");
        assert_ne!(key.as_deref(), Some(forged));
    });
}

#[test]
fn a_session_crosses_between_axum_and_actix_on_one_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sessions.sqlite3");
    shared_flows(&["--db", db.to_str().unwrap()]);
}

#[test]
#[cfg_attr(not(session_test_postgres), ignore = "needs SESSION_TEST_POSTGRES_URL")]
fn a_session_crosses_between_axum_and_actix_on_postgres() {
    let url = std::env::var("SESSION_TEST_POSTGRES_URL").unwrap();
    shared_flows(&["--backend", "postgres", "--db-url", &url]);
}

#[test]
#[cfg_attr(not(session_test_redis), ignore = "needs SESSION_TEST_REDIS_URL")]
fn a_session_crosses_between_axum_and_actix_on_redis() {
    let url = std::env::var("SESSION_TEST_REDIS_URL").unwrap();
    shared_flows(&["--backend", "redis", "--redis-url", &url]);
}
