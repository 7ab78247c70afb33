//! The operations chapter: the server settings a production axum app should set, which
//! `axum::serve` does not (no header timeout, no request timeout, no connection cap).
//!
//! `cargo run -p session-examples --example server`

use std::error::Error;
use std::future::Future;
use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

// ANCHOR: request_timeout
/// A request not answered in 30 s (a slow body upload included) gets 408, and its
/// connection is closed.
async fn request_timeout(request: Request, next: Next) -> Response {
    match tokio::time::timeout(Duration::from_secs(30), next.run(request)).await {
        Ok(response) => response,
        Err(_) => (StatusCode::REQUEST_TIMEOUT, [(header::CONNECTION, "close")]).into_response(),
    }
}
// ANCHOR_END: request_timeout

// ANCHOR: serve
async fn serve(listener: TcpListener, app: Router, shutdown: impl Future<Output = ()>) {
    let app = app
        // Bodies: axum's extractors read at most 1 MiB, 413 beyond.
        .layer(DefaultBodyLimit::max(1024 * 1024))
        .layer(middleware::from_fn(request_timeout));
    // Heads: with a timer, hyper closes a connection that has not sent a complete request
    // head within 10 s, counted from when it waits for one, so an idle keep-alive
    // connection is closed after 10 s too.
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(10));
    // Connections: 1,024 at most (keep it under `ulimit -n`); the next ones wait in the
    // kernel's accept queue until one closes.
    let permits = Arc::new(Semaphore::new(1024));
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => permit.expect("never closed"),
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => continue, // e.g. out of file descriptors: try again
            },
            () = &mut shutdown => break,
        };
        let service = TowerToHyperService::new(app.clone());
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            let _ = connection.await;
            drop(permit);
        });
    }
    // Stop: accept nothing more, close idle connections, let requests in flight finish
    // (bounded: they time out after 30 s anyway).
    drop(listener);
    let _ = tokio::time::timeout(Duration::from_secs(31), graceful.shutdown()).await;
}
// ANCHOR_END: serve

#[tokio::main]
pub async fn main() -> Result<(), Box<dyn Error>> {
    let app = Router::new().route(
        "/echo",
        post(|body: String| async move { body.len().to_string() }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, app, async {
        let _ = stopped.await;
    }));
    let answer = |body_len: usize| {
        tokio::task::spawn_blocking(move || -> std::io::Result<String> {
            let mut stream = std::net::TcpStream::connect(addr)?;
            let head = format!(
                "POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {body_len}\r\n\r\n"
            );
            stream.write_all(head.as_bytes())?;
            let _ = stream.write_all(&vec![b'a'; body_len]);
            let mut response = String::new();
            let _ = stream.read_to_string(&mut response);
            Ok(response)
        })
    };
    let small = answer(5).await??;
    assert!(small.starts_with("HTTP/1.1 200"), "{small}");
    let big = answer(2 * 1024 * 1024).await??;
    assert!(big.starts_with("HTTP/1.1 413"), "{big}");
    let _ = stop.send(());
    server.await?;
    println!("ok");
    Ok(())
}
