//! The demo binary over a real loopback socket: slow and idle clients are dropped, many
//! half-open connections do not lock out a normal client, big bodies get 413, SIGTERM
//! finishes the request in flight. Every wait is bounded; the bounds are generous limits,
//! not speed targets.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const DEMO: &str = env!("CARGO_BIN_EXE_session-demo");

/// A running `session-demo` with its SQLite file in a temp dir, on a port it picked itself.
struct Demo {
    child: Child,
    addr: SocketAddr,
    stderr: Arc<Mutex<String>>,
    _dir: tempfile::TempDir,
}

impl Demo {
    fn start(args: &[&str]) -> Demo {
        Demo::start_with("127.0.0.1:0", args, None)
    }

    /// Starts the demo on `addr`, with at most `open_files` file descriptors when given.
    fn start_with(addr: &str, args: &[&str], open_files: Option<u32>) -> Demo {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("s.sqlite3");
        let mut demo_args: Vec<String> = vec!["--addr".into(), addr.into()];
        if !args.contains(&"--backend") {
            demo_args.extend(["--db".into(), db.display().to_string()]);
        }
        demo_args.extend(args.iter().map(|a| a.to_string()));
        let mut command = match open_files {
            Some(limit) => {
                let mut sh = Command::new("sh");
                sh.arg("-c")
                    .arg(format!("ulimit -n {limit} && exec \"$0\" \"$@\""))
                    .arg(DEMO);
                sh
            }
            None => Command::new(DEMO),
        };
        let mut child = command
            .args(&demo_args)
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
                    let _ = tx.send(rest.split_whitespace().next().unwrap().to_owned());
                }
                let mut log = log.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let addr = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(addr) => addr.parse().unwrap(),
            Err(_) => {
                let _ = child.kill();
                panic!("the demo did not start: {}", stderr.lock().unwrap());
            }
        };
        Demo {
            child,
            addr,
            stderr,
            _dir: dir,
        }
    }

    fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect_timeout(&self.addr, Duration::from_secs(5)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        stream
    }

    /// `GET /session` on a new connection: the status code.
    fn get_status(&self) -> u16 {
        let mut stream = self.connect();
        stream
            .write_all(b"GET /session HTTP/1.1\r\nHost: demo\r\nConnection: close\r\n\r\n")
            .unwrap();
        status_of(&read_response(&mut stream))
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([format!("-{name}"), self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for the process to exit, at most `bound`.
    fn wait_exit(&mut self, bound: Duration) -> Option<ExitStatus> {
        let started = Instant::now();
        while started.elapsed() < bound {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    fn log(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads one response: head and a `Content-Length` body, or up to EOF.
fn read_response(stream: &mut TcpStream) -> String {
    let mut reader = BufReader::new(stream);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
            break;
        }
        head.push_str(&line);
    }
    let length = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    head + "\r\n" + &String::from_utf8_lossy(&body)
}

fn status_of(response: &str) -> u16 {
    response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not a response: {response:?}"))
}

/// Whether the server closes `stream` within `bound` (reads return EOF or a reset).
fn closed_within(stream: &mut TcpStream, bound: Duration) -> bool {
    stream.set_read_timeout(Some(bound)).unwrap();
    let mut buf = [0u8; 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue, // a response (e.g. 408) before the close is fine
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => return false, // timed out: still open
        }
    }
}

#[test]
fn a_half_sent_request_head_is_dropped() {
    let demo = Demo::start(&["--header-timeout", "1"]);
    let mut stream = demo.connect();
    stream
        .write_all(b"GET /session HTTP/1.1\r\nHost: demo\r\nCookie: sessionid=ab")
        .unwrap();
    assert!(
        closed_within(&mut stream, Duration::from_secs(20)),
        "a client that never finishes its head keeps its connection"
    );
    assert_eq!(demo.get_status(), 200);
}

#[test]
fn a_silent_connection_is_dropped() {
    let demo = Demo::start(&["--header-timeout", "1"]);
    let mut stream = demo.connect();
    assert!(closed_within(&mut stream, Duration::from_secs(20)));
}

#[test]
fn an_idle_keep_alive_connection_is_dropped() {
    let demo = Demo::start(&["--header-timeout", "1"]);
    let mut stream = demo.connect();
    stream
        .write_all(b"GET /session HTTP/1.1\r\nHost: demo\r\n\r\n")
        .unwrap();
    assert_eq!(status_of(&read_response(&mut stream)), 200);
    assert!(
        closed_within(&mut stream, Duration::from_secs(20)),
        "an idle keep-alive connection stays open"
    );
}

#[test]
fn a_body_that_never_comes_gets_408() {
    let demo = Demo::start(&["--request-timeout", "1"]);
    let mut stream = demo.connect();
    stream
        .write_all(
            b"POST /comment HTTP/1.1\r\nHost: demo\r\n\
              Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ncomm",
        )
        .unwrap();
    let response = read_response(&mut stream);
    assert_eq!(status_of(&response), 408, "{response}");
    assert!(closed_within(&mut stream, Duration::from_secs(20)));
    assert_eq!(demo.get_status(), 200);
}

/// The review's case: 300 half-sent heads against a 128-file limit locked everyone out until
/// the clients gave up. Now each new connection closes the oldest idle one, so a normal
/// client is served even though the header timeout (60 s) has not struck.
#[test]
fn half_open_connections_do_not_lock_out_a_client() {
    let demo = Demo::start_with("127.0.0.1:0", &["--header-timeout", "60"], Some(128));
    let mut holders = Vec::new();
    for _ in 0..300 {
        let Ok(mut stream) = TcpStream::connect_timeout(&demo.addr, Duration::from_secs(5)) else {
            continue;
        };
        let _ = stream.write_all(b"GET / HTTP/1.1\r\nHost: demo\r\n");
        holders.push(stream);
    }
    let mut stream = demo.connect();
    stream
        .write_all(b"GET /session HTTP/1.1\r\nHost: demo\r\nConnection: close\r\n\r\n")
        .unwrap();
    let response = read_response(&mut stream);
    assert_eq!(status_of(&response), 200, "{response}");
    drop(holders);
    assert!(!demo.log().contains("panicked"), "{}", demo.log());
}

/// Same with the cap set by flag: 20 connections at most, 100 half-open ones.
#[test]
fn max_connections_evicts_the_oldest_idle_connection() {
    let demo = Demo::start(&["--header-timeout", "60", "--max-connections", "20"]);
    let holders: Vec<TcpStream> = (0..100)
        .map(|_| {
            let mut stream = demo.connect();
            stream.write_all(b"GET / HTTP/1.1\r\n").unwrap();
            stream
        })
        .collect();
    assert_eq!(demo.get_status(), 200);
    let mut first = holders.into_iter().next().unwrap();
    assert!(
        closed_within(&mut first, Duration::from_secs(20)),
        "the oldest half-open connection was evicted"
    );
}

#[test]
fn a_body_over_the_cap_gets_413_and_the_server_keeps_serving() {
    let demo = Demo::start(&[]);
    let body = format!(
        "comment={}",
        "a".repeat(session_demo::MAX_BODY_BYTES + 1024)
    );
    let mut stream = demo.connect();
    let head = format!(
        "POST /comment HTTP/1.1\r\nHost: demo\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    // The server may answer and close before reading it all.
    let _ = stream.write_all(body.as_bytes());
    let response = read_response(&mut stream);
    assert_eq!(status_of(&response), 413, "{response}");
    assert_eq!(demo.get_status(), 200);
    // A form under the cap is still read.
    let mut stream = demo.connect();
    let body = "comment=hello";
    let request = format!(
        "POST /comment HTTP/1.1\r\nHost: demo\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let response = read_response(&mut stream);
    assert!(response.ends_with("Thanks for your comment!"), "{response}");
}

/// SIGTERM while a request waits for its body: the request is answered, then the process
/// exits 0. `Expect: 100-continue` tells us the handler is reading the body.
#[test]
fn sigterm_finishes_the_request_in_flight() {
    let mut demo = Demo::start(&[]);
    let mut stream = demo.connect();
    let body = "comment=last+words";
    let head = format!(
        "POST /comment HTTP/1.1\r\nHost: demo\r\nExpect: 100-continue\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    assert!(line.starts_with("HTTP/1.1 100"), "{line:?}");
    reader.read_line(&mut line).unwrap(); // the blank line after 100 Continue
    let idle = demo.connect(); // a second, idle connection must not hold the stop up
    demo.signal("TERM");
    std::thread::sleep(Duration::from_millis(200));
    stream.write_all(body.as_bytes()).unwrap();
    let response = read_response(&mut stream);
    assert_eq!(status_of(&response), 200, "{response}");
    assert!(response.ends_with("Thanks for your comment!"), "{response}");
    let status = demo.wait_exit(Duration::from_secs(20));
    assert!(
        status.is_some_and(|s| s.success()),
        "exit {status:?}: {}",
        demo.log()
    );
    drop(idle);
    assert!(demo.log().contains("stopped"), "{}", demo.log());
}

#[test]
fn addr_takes_a_host_name() {
    let demo = Demo::start_with("localhost:0", &[], None);
    assert!(demo.addr.ip().is_loopback(), "{}", demo.addr);
    assert_eq!(demo.get_status(), 200);
}

#[test]
fn a_bad_addr_is_a_one_line_error() {
    for addr in [
        "localhost",
        "localhost:",
        ":8000",
        "localhost:99999",
        "[::1",
    ] {
        let output = Command::new(DEMO).args(["--addr", addr]).output().unwrap();
        assert_eq!(output.status.code(), Some(1), "{addr}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{addr}: {stderr}");
        assert!(stderr.contains("--addr"), "{addr}: {stderr}");
    }
}

#[test]
fn addr_and_server_flags_parse() {
    use session_demo::{DemoError, Options, ServerConfig};
    let options = Options::parse(["--addr", "localhost:8001"]).unwrap();
    assert!(options.addr.ip().is_loopback(), "{}", options.addr);
    assert_eq!(options.addr.port(), 8001);
    assert_eq!(options.server, ServerConfig::default());
    let options = Options::parse([
        "--header-timeout=3",
        "--request-timeout",
        "7",
        "--max-connections",
        "50",
    ])
    .unwrap();
    assert_eq!(options.server.header_timeout, Duration::from_secs(3));
    assert_eq!(options.server.request_timeout, Duration::from_secs(7));
    assert_eq!(options.server.max_connections, 50);
    for args in [
        ["--header-timeout", "0"],
        ["--request-timeout", "-1"],
        ["--max-connections", "many"],
        ["--addr", "localhost:http"],
    ] {
        let err = Options::parse(args).unwrap_err();
        assert!(matches!(err, DemoError::Usage(_)), "{args:?}: {err:?}");
    }
}

impl Demo {
    /// One request on a new connection, with `sessionid=cookie` when given: the status,
    /// the new `sessionid` value when one is set (empty when deleted), and the body.
    fn request(
        &self,
        method: &str,
        path: &str,
        cookie: Option<&str>,
        form: Option<&str>,
    ) -> (u16, Option<String>, String) {
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: demo\r\nConnection: close\r\n");
        if let Some(cookie) = cookie {
            head.push_str(&format!("Cookie: sessionid={cookie}\r\n"));
        }
        let body = form.unwrap_or_default();
        if form.is_some() {
            head.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
        let mut stream = self.connect();
        stream.write_all(head.as_bytes()).unwrap();
        let response = read_response(&mut stream);
        let set_cookie = response.lines().find_map(|line| {
            let (name, value) = line.split_once(':')?;
            let value = value.trim().strip_prefix("sessionid=")?;
            name.eq_ignore_ascii_case("set-cookie").then(|| {
                value
                    .split(';')
                    .next()
                    .unwrap_or_default()
                    .trim_matches('"')
                    .to_owned()
            })
        });
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, body)| body.to_owned())
            .unwrap_or_default();
        (status_of(&response), set_cookie, body)
    }
}

/// The seed flows (GET /, POST /login, /comment, /logout, GET /session) against the demo
/// binary on a Redis Cluster, over a real socket.
#[cfg_attr(
    not(session_test_redis_cluster),
    ignore = "needs SESSION_TEST_REDIS_CLUSTER_URLS"
)]
#[test]
fn seed_flows_on_a_redis_cluster() {
    let Some(seeds) = std::env::var("SESSION_TEST_REDIS_CLUSTER_URLS")
        .ok()
        .filter(|s| !s.is_empty())
    else {
        println!("skipped: set SESSION_TEST_REDIS_CLUSTER_URLS to run");
        return;
    };
    let demo = Demo::start(&["--backend", "redis-cluster", "--redis-url", &seeds]);

    let (status, cookie, page) = demo.request("GET", "/", None, None);
    assert_eq!(status, 200);
    assert!(page.contains("<form"), "{page}");
    assert_eq!(cookie, None);

    let (_, cookie, body) = demo.request(
        "POST",
        "/login",
        None,
        Some("username=alice&password=wonderland"),
    );
    assert_eq!(body, "You're logged in.");
    let key = cookie.expect("a session cookie at login");
    let (_, _, body) = demo.request("POST", "/comment", Some(&key), Some("comment=Hi"));
    assert_eq!(body, "Thanks for your comment!");
    let (_, _, body) = demo.request("POST", "/comment", Some(&key), Some("comment=Again"));
    assert_eq!(body, "You've already commented.");
    let (_, _, body) = demo.request("GET", "/session", Some(&key), None);
    assert_eq!(body, r#"{"member_id":1,"has_commented":true}"#);
    let (_, _, page) = demo.request("GET", "/", Some(&key), None);
    assert!(page.contains("alice"), "{page}");
    let (_, _, body) = demo.request("POST", "/logout", Some(&key), None);
    assert_eq!(body, "You're logged out.");
    let (_, _, body) = demo.request("GET", "/session", Some(&key), None);
    assert_eq!(body, r#"{"has_commented":true}"#);
    // A forged key is never adopted: an empty session, its cookie deleted.
    let (_, cookie, body) = demo.request(
        "GET",
        "/session",
        Some("forgedforgedforged0123456789abcde"),
        None,
    );
    assert_eq!(body, "{}");
    assert_eq!(cookie.as_deref(), Some(""));
    assert!(
        demo.log().contains("sessions in redis-cluster"),
        "{}",
        demo.log()
    );
}

#[test]
fn metrics_show_the_session_samples_after_a_login() {
    let demo = Demo::start(&[]);
    let form = "username=alice&password=wonderland";
    let mut stream = demo.connect();
    write!(
        stream,
        "POST /login HTTP/1.1\r\nHost: demo\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
        form.len()
    )
    .unwrap();
    let login = read_response(&mut stream);
    assert_eq!(status_of(&login), 200, "{login}");
    assert!(login.contains("You're logged in."), "{login}");

    let mut stream = demo.connect();
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: demo\r\nConnection: close\r\n\r\n")
        .unwrap();
    let metrics = read_response(&mut stream);
    assert_eq!(status_of(&metrics), 200, "{metrics}");
    assert!(
        metrics
            .to_ascii_lowercase()
            .contains("content-type: text/plain"),
        "{metrics}"
    );
    // The login created a session (cycle_key) and saved it.
    for sample in [
        r#"session_creates_total{backend="SqliteStore",outcome="ok"} "#,
        r#"session_store_op_seconds_bucket{backend="SqliteStore",op="create","#,
        "# TYPE session_creates_total counter",
    ] {
        assert!(
            metrics.contains(sample),
            "{sample} missing from:\n{metrics}"
        );
    }
}
