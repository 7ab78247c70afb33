//! Load test of the demo site, per backend, on loopback. Not run by `cargo test`.
//!
//! ```text
//! cargo build --release -p session-demo -p session-hardening
//! target/release/loadtest [--secs 30] [--warmup 5] [--clients 8] [--backends db,cache,file,cookie]
//!                         [--demo target/release/session-demo]
//! ```
//!
//! For each backend it starts `session-demo` as a child on a free 127.0.0.1 port, runs N
//! client threads doing login → /session → comment → /session → / → logout for the given
//! time, and checks: zero 5xx, zero cross-session leaks (every client only ever reads its own
//! `member_id`; no two clients are handed the same server-side session key), and RSS at the
//! end within 20 % of RSS after the warm-up. Prints one line per backend; exits 1 on any
//! failed check.

use std::collections::HashSet;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use session_hardening::client::Client;
use session_hardening::rss_kib;

#[derive(Default)]
struct Counters {
    requests: AtomicU64,
    server_errors: AtomicU64,
    leaks: AtomicU64,
    io_errors: AtomicU64,
}

struct Args {
    secs: u64,
    warmup: u64,
    clients: usize,
    backends: Vec<String>,
    demo: PathBuf,
}

fn parse_args() -> Result<Args, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut args = Args {
        secs: 30,
        warmup: 5,
        clients: 8,
        backends: ["db", "cache", "file", "cookie"].map(String::from).to_vec(),
        demo: exe.with_file_name("session-demo"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--secs" => args.secs = value()?.parse().map_err(|_| "bad --secs")?,
            "--warmup" => args.warmup = value()?.parse().map_err(|_| "bad --warmup")?,
            "--clients" => args.clients = value()?.parse().map_err(|_| "bad --clients")?,
            "--backends" => args.backends = value()?.split(',').map(String::from).collect(),
            "--demo" => args.demo = PathBuf::from(value()?),
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok(args)
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local addr").port()
}

/// One client's loop; `member` is 1 (alice) or 2 (bob).
fn client_loop(
    addr: SocketAddr,
    member: u64,
    stop: &AtomicBool,
    counters: &Counters,
    keys: &Mutex<HashSet<String>>,
    track_keys: bool,
) {
    let (user, password) = if member == 1 {
        ("alice", "wonderland")
    } else {
        ("bob", "builder")
    };
    let login = format!("username={user}&password={password}");
    let mut client = Client::new(addr);
    while !stop.load(Ordering::Relaxed) {
        let steps: [(&str, &str, Option<&str>); 7] = [
            ("POST", "/login", Some(login.as_str())),
            ("GET", "/session", None),
            ("POST", "/comment", Some("comment=load+test")),
            ("GET", "/session", None),
            ("GET", "/", None),
            ("POST", "/logout", Some("")),
            ("GET", "/session", None),
        ];
        for (i, (method, path, form)) in steps.into_iter().enumerate() {
            let reply = match method {
                "GET" => client.get(path),
                _ => client.post_form(path, form.unwrap_or("")),
            };
            counters.requests.fetch_add(1, Ordering::Relaxed);
            let reply = match reply {
                Ok(reply) => reply,
                Err(_) => {
                    counters.io_errors.fetch_add(1, Ordering::Relaxed);
                    break;
                }
            };
            if reply.status >= 500 {
                counters.server_errors.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            if i == 0
                && track_keys
                && let Some(key) = client.session_cookie()
                && !keys.lock().unwrap().insert(key.to_owned())
            {
                eprintln!("session key handed out twice");
                counters.leaks.fetch_add(1, Ordering::Relaxed);
            }
            if path == "/session" {
                let data: Value = serde_json::from_slice(&reply.body).unwrap_or(Value::Null);
                let expected = (i != 6).then_some(member);
                if data.get("member_id").and_then(Value::as_u64) != expected {
                    eprintln!("client of member {member} read {data} at step {i}");
                    counters.leaks.fetch_add(1, Ordering::Relaxed);
                }
            }
            if path == "/" {
                let page = String::from_utf8_lossy(&reply.body);
                if !page.contains(&format!("logged in as <strong>{user}</strong>")) {
                    counters.leaks.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }
}

struct Outcome {
    requests: u64,
    rate: f64,
    server_errors: u64,
    leaks: u64,
    io_errors: u64,
    rss_warm: u64,
    rss_end: u64,
}

fn run_backend(args: &Args, backend: &str) -> Result<Outcome, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let port = free_port();
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let mut command = Command::new(&args.demo);
    command.args(["--addr", &addr.to_string(), "--backend", backend]);
    match backend {
        "db" => {
            command.arg("--db").arg(dir.path().join("load.sqlite3"));
        }
        "file" => {
            command.arg("--dir").arg(dir.path());
        }
        "cookie" => {
            command.args(["--secret", "load test cookie secret"]);
        }
        _ => {}
    }
    let mut child = command
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("start {}: {e}", args.demo.display()))?;
    let started = Instant::now();
    while TcpStream::connect(addr).is_err() {
        if started.elapsed() > Duration::from_secs(20) || child.try_wait().ok().flatten().is_some()
        {
            let _ = child.kill();
            return Err(format!("{backend}: the demo did not start"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let pid = child.id();
    let stop = AtomicBool::new(false);
    let counters = Counters::default();
    let keys = Mutex::new(HashSet::new());
    let track_keys = backend != "cookie";
    let mut rss_warm = 0;
    let mut rss_end = 0;
    let mut measured = 0;
    std::thread::scope(|scope| {
        for i in 0..args.clients {
            let (stop, counters, keys) = (&stop, &counters, &keys);
            scope.spawn(move || {
                client_loop(addr, 1 + (i % 2) as u64, stop, counters, keys, track_keys)
            });
        }
        std::thread::sleep(Duration::from_secs(args.warmup));
        rss_warm = rss_kib(pid).unwrap_or(0);
        let before = counters.requests.load(Ordering::Relaxed);
        let t = Instant::now();
        std::thread::sleep(Duration::from_secs(args.secs));
        measured = counters.requests.load(Ordering::Relaxed) - before;
        let elapsed = t.elapsed().as_secs_f64();
        rss_end = rss_kib(pid).unwrap_or(0);
        stop.store(true, Ordering::Relaxed);
        measured = (measured as f64 / elapsed) as u64;
    });
    let _ = child.kill();
    let _ = child.wait();
    Ok(Outcome {
        requests: counters.requests.load(Ordering::Relaxed),
        rate: measured as f64,
        server_errors: counters.server_errors.load(Ordering::Relaxed),
        leaks: counters.leaks.load(Ordering::Relaxed),
        io_errors: counters.io_errors.load(Ordering::Relaxed),
        rss_warm,
        rss_end,
    })
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("loadtest: {e}");
            return ExitCode::from(2);
        }
    };
    println!(
        "{} clients, {} s warm-up + {} s measured per backend, demo {}",
        args.clients,
        args.warmup,
        args.secs,
        args.demo.display()
    );
    let mut ok = true;
    for backend in &args.backends {
        match run_backend(&args, backend) {
            Ok(o) => {
                let ratio = o.rss_end as f64 / o.rss_warm.max(1) as f64;
                let pass = o.server_errors == 0
                    && o.leaks == 0
                    && o.io_errors == 0
                    && (0.8..=1.2).contains(&ratio);
                ok &= pass;
                println!(
                    "{backend:>6}: {} requests, {:.0} req/s, 5xx {}, leaks {}, io errors {}, RSS {} KiB after warm-up -> {} KiB at end ({:+.1} %) {}",
                    o.requests,
                    o.rate,
                    o.server_errors,
                    o.leaks,
                    o.io_errors,
                    o.rss_warm,
                    o.rss_end,
                    (ratio - 1.0) * 100.0,
                    if pass { "PASS" } else { "FAIL" }
                );
            }
            Err(e) => {
                ok = false;
                println!("{backend:>6}: {e}");
            }
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
