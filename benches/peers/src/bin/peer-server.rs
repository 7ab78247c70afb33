//! tower-sessions over one of its SQLite stores, serving `GET /read` and `GET /write` on
//! one tokio worker thread, for the root workspace's `http` bench (which starts it as a
//! child process when it has been built, and kills it at the end).
//!
//! `peer-server --store sqlx|rusqlite --addr 127.0.0.1:PORT [--db PATH]`
//!
//! Prints `listening on <addr>` once it accepts connections (`--addr 127.0.0.1:0` picks
//! a free port). Without `--db`, the SQLite file is in a temp dir of its own, removed
//! only when the server exits normally.

use std::net::SocketAddr;
use std::path::PathBuf;

use session_benches_peers::Peer;

const USAGE: &str = "usage: peer-server --store sqlx|rusqlite --addr 127.0.0.1:PORT [--db PATH]";

fn fail(message: &str) -> ! {
    eprintln!("peer-server: {message}\n{USAGE}");
    std::process::exit(2);
}

fn main() {
    let (mut store, mut addr, mut db) = (None, None, None);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .unwrap_or_else(|| fail(&format!("{arg} needs a value")))
        };
        match arg.as_str() {
            "--store" => {
                let name = value();
                store =
                    Some(Peer::parse(&name).unwrap_or_else(|| fail(&format!("no store {name}"))));
            }
            "--addr" => {
                let text = value();
                addr = Some(
                    text.parse::<SocketAddr>()
                        .unwrap_or_else(|e| fail(&format!("{text}: {e}"))),
                );
            }
            "--db" => db = Some(PathBuf::from(value())),
            "-h" | "--help" => {
                println!("{USAGE}");
                return;
            }
            other => fail(&format!("unknown argument {other}")),
        }
    }
    let store = store.unwrap_or_else(|| fail("--store is required"));
    let addr = addr.unwrap_or_else(|| fail("--addr is required"));
    let (_dir, path) = match db {
        Some(path) => (None, path),
        None => {
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join("sessions.sqlite3");
            (Some(dir), path)
        }
    };

    // one worker, as each server of the `http` bench runs on
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("server runtime");
    runtime.block_on(async move {
        let app = store.router(&path).await;
        let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
        println!("listening on {}", listener.local_addr().expect("addr"));
        axum::serve(listener, app).await.expect("serve");
    });
}
