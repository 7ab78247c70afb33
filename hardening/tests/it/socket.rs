//! The hostile `Cookie` matrix of `hostile.rs`, sent over a real loopback socket to the demo
//! running as a process (the `demo` binary of this package runs `session_demo::run`, as
//! `session-demo` does): every answer is under 500 and a fresh session, nobody gets the
//! victim's cookie, the victim stays logged in, and the demo's stderr has no panic.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use crate::hostile::{forged_django_cookies, hostile_headers};

const DEMO: &str = env!("CARGO_BIN_EXE_demo");

/// The demo as a child process on a port it picked, killed on drop.
pub(crate) struct Demo {
    child: Child,
    pub(crate) addr: SocketAddr,
    stderr: Arc<Mutex<String>>,
}

impl Demo {
    pub(crate) fn start(args: &[String]) -> Demo {
        let mut child = Command::new(DEMO)
            .args(["--addr", "127.0.0.1:0"])
            .args(args)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let pipe = child.stderr.take().unwrap();
        let log = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.split("serving http://").nth(1) {
                    let _ = tx.send(rest.split_whitespace().next().unwrap_or("").to_owned());
                }
                let mut log = log.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(addr) => Demo {
                child,
                addr: addr.parse().unwrap(),
                stderr,
            },
            Err(_) => {
                let _ = child.kill();
                panic!("the demo did not start: {}", stderr.lock().unwrap());
            }
        }
    }
}

impl Demo {
    /// What the demo wrote to stderr so far.
    pub(crate) fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One answer over its own connection (`Connection: close`, read to the end).
struct Answer {
    status: u16,
    set_cookies: Vec<String>,
    body: Vec<u8>,
}

/// Sends `method path` with these raw `Cookie` header values (and a form body for POST).
fn send(addr: SocketAddr, method: &str, path: &str, cookies: &[&[u8]], form: &str) -> Answer {
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: demo\r\nConnection: close\r\n").into_bytes();
    for cookie in cookies {
        request.extend_from_slice(b"Cookie: ");
        request.extend_from_slice(cookie);
        request.extend_from_slice(b"\r\n");
    }
    if method == "POST" {
        request.extend_from_slice(
            format!(
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
                form.len()
            )
            .as_bytes(),
        );
    }
    request.extend_from_slice(b"\r\n");
    request.extend_from_slice(form.as_bytes());
    let raw = exchange(addr, &request).unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status code");
    let set_cookies = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
        .map(|(_, value)| value.trim().to_owned())
        .collect();
    Answer {
        status,
        set_cookies,
        body: raw[split + 4..].to_vec(),
    }
}

fn exchange(addr: SocketAddr, request: &[u8]) -> io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    stream.write_all(request)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    Ok(raw)
}

fn session_value(set_cookies: &[String]) -> Option<String> {
    set_cookies.iter().find_map(|header| {
        let value = header.strip_prefix("sessionid=")?.split(';').next()?;
        Some(value.trim_matches('"').to_owned()).filter(|v| !v.is_empty())
    })
}

/// The matrix on the demo started with `args`.
fn matrix(args: &[&str]) {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let demo = Demo::start(&args);
    let login = send(
        demo.addr,
        "POST",
        "/login",
        &[],
        "username=alice&password=wonderland",
    );
    assert_eq!(login.status, 200, "{args:?}: login");
    let alice = session_value(&login.set_cookies).expect("login sets the session cookie");
    let alice_cookie = format!("sessionid={alice}");
    let mut cases = hostile_headers(&alice);
    cases.extend(forged_django_cookies());
    let mut fresh = 0;
    for (case, headers) in &cases {
        let headers: Vec<&[u8]> = headers.iter().map(Vec::as_slice).collect();
        let answer = send(demo.addr, "GET", "/session", &headers, "");
        let what = format!("{args:?}: {case}");
        assert!(answer.status < 500, "{what}: status {}", answer.status);
        if answer.status == 200 {
            let data: Value = serde_json::from_slice(&answer.body).unwrap();
            assert_eq!(data, serde_json::json!({}), "{what}: not a fresh session");
            fresh += 1;
        }
        assert_ne!(
            session_value(&answer.set_cookies).as_deref(),
            Some(alice.as_str()),
            "{what}: handed out alice's cookie"
        );
    }
    // Most cases are well-formed HTTP and get a page; only the oversized ones get a 4xx.
    assert!(
        fresh * 4 > cases.len() * 3,
        "{args:?}: {fresh} of {} fresh",
        cases.len()
    );
    let me = send(demo.addr, "GET", "/session", &[alice_cookie.as_bytes()], "");
    let data: Value = serde_json::from_slice(&me.body).unwrap();
    assert_eq!(data["member_id"], 1, "{args:?}: alice lost her session");
    let log = demo.stderr.lock().unwrap().clone();
    assert!(!log.contains("panicked"), "{args:?}: {log}");
    assert!(!log.contains(" 500 "), "{args:?}: {log}");
}

#[test]
fn demo_db_over_a_socket() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite3");
    matrix(&["--backend", "db", "--db", db.to_str().unwrap()]);
}

#[test]
fn demo_cache_over_a_socket() {
    matrix(&["--backend", "cache"]);
}

#[test]
fn demo_file_over_a_socket() {
    let dir = tempfile::tempdir().unwrap();
    matrix(&["--backend", "file", "--dir", dir.path().to_str().unwrap()]);
}

#[test]
fn demo_cookie_over_a_socket() {
    matrix(&["--backend", "cookie", "--secret", "demo cookie secret"]);
}

#[test]
fn demo_django_cookie_over_a_socket() {
    matrix(&["--backend", "cookie", "--django-secret", "cookie secret"]);
}

/// `_session_expiry` values a Django site sharing the secret or the table can store, from
/// absurdly far to long past: every request answers (no dropped connection, no 5xx), a far
/// expiry keeps the session, a past one starts a fresh session.
fn extreme_expiries(args: &[&str], store: impl Fn(&serde_json::Value) -> String) {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let demo = Demo::start(&args);
    let far = [
        serde_json::json!(i64::MAX),
        serde_json::json!(9.2e18),
        serde_json::json!(1e300),
        serde_json::json!("9999-12-31T23:59:59.999999+00:00"),
        serde_json::json!("2555-01-01T00:00:00+00:00"),
    ];
    let past = [
        serde_json::json!(-1),
        serde_json::json!(-9.2e18),
        serde_json::json!(-1e300),
        serde_json::json!("0001-01-01T00:00:00+00:00"),
    ];
    for (value, live) in far
        .iter()
        .map(|v| (v, true))
        .chain(past.iter().map(|v| (v, false)))
    {
        let cookie = format!("sessionid={}", store(value));
        let what = format!("{args:?}: _session_expiry = {value}");
        let page = send(demo.addr, "GET", "/session", &[cookie.as_bytes()], "");
        assert_eq!(page.status, 200, "{what}");
        let data: Value = serde_json::from_slice(&page.body).unwrap();
        assert_eq!(data.get("member_id").is_some(), live, "{what}: {data}");
        // A write: the response computes the cookie's Max-Age from the expiry.
        let comment = send(
            demo.addr,
            "POST",
            "/comment",
            &[cookie.as_bytes()],
            "comment=hi",
        );
        assert_eq!(comment.status, 200, "{what}");
        assert!(session_value(&comment.set_cookies).is_some(), "{what}");
    }
    let log = demo.stderr.lock().unwrap().clone();
    assert!(!log.contains("panicked"), "{args:?}: {log}");
}

fn session_with_expiry(value: &serde_json::Value) -> session_core::SessionData {
    let mut data = session_core::SessionData::new();
    data.insert(session_core::reserved::SESSION_EXPIRY.into(), value.clone());
    data.insert("member_id".into(), serde_json::json!(1));
    data
}

fn a_day_from_now() -> std::time::SystemTime {
    std::time::SystemTime::now() + Duration::from_secs(86_400)
}

#[test]
fn extreme_expiries_in_django_cookies_over_a_socket() {
    use session_core::{DjangoJson, Record, Serializer, SessionStore};
    const SECRET: &str = "django cookie secret";
    let cookies = session_cookie::CookieStore::new(SECRET).unwrap();
    extreme_expiries(
        &["--backend", "cookie", "--django-secret", SECRET],
        |value| {
            let bytes = DjangoJson.to_bytes(&session_with_expiry(value)).unwrap();
            cookies
                .create(&Record::new(bytes, a_day_from_now()))
                .unwrap()
        },
    );
}

#[test]
fn extreme_expiries_in_django_rows_over_a_socket() {
    use session_core::{Record, Serializer, SessionStore};
    const SECRET: &str = "django table secret";
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("django.sqlite3");
    let rows = session_db::SqliteStore::open_django(&path).unwrap();
    let codec = session_db::DjangoCodec::new(SECRET).unwrap();
    extreme_expiries(
        &[
            "--backend",
            "db",
            "--db",
            path.to_str().unwrap(),
            "--django-secret",
            SECRET,
        ],
        |value| {
            let bytes = codec.to_bytes(&session_with_expiry(value)).unwrap();
            rows.create(&Record::new(bytes, a_day_from_now())).unwrap()
        },
    );
}
