//! The metrics chapter: the session metrics on a Prometheus `/metrics` route.
//!
//! `cargo run -p session-examples --example metrics` serves one request, scrapes
//! `/metrics` and prints the session samples.

use std::error::Error;

use axum::Router;
use axum::routing::get;
use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusHandle};
use session_core::{MemoryStore, SessionManager, telemetry};
use session_tower::{Session, SessionLayer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

// ANCHOR: install
/// Installs the process's recorder, once, at startup: from then on every store operation
/// is counted and timed. Without it the session crates record nothing and time nothing.
fn install_recorder() -> Result<PrometheusHandle, BuildError> {
    let handle = PrometheusBuilder::new()
        // latency as a histogram with buckets (alerts on p99 need them), 50 µs to 5 s
        .set_buckets_for_metric(
            Matcher::Full(telemetry::STORE_OP_SECONDS.to_owned()),
            &[0.000_05, 0.000_25, 0.001, 0.005, 0.025, 0.1, 0.5, 1.0, 5.0],
        )?
        .install_recorder()?;
    telemetry::describe(); // HELP lines for every session metric
    Ok(handle)
}
// ANCHOR_END: install

// ANCHOR: route
fn app(manager: SessionManager, metrics: PrometheusHandle) -> Router {
    Router::new()
        .route(
            "/",
            get(|session: Session| async move {
                let visits: u64 = session.get("visits").await.ok().flatten().unwrap_or(0);
                session
                    .insert("visits", visits + 1)
                    .await
                    .is_ok()
                    .to_string()
            }),
        )
        .layer(SessionLayer::new(manager))
        // after the layer: a scrape never touches a session
        .route(
            "/metrics",
            get(move || {
                let metrics = metrics.clone();
                async move {
                    metrics.run_upkeep(); // drains the histograms (no exporter thread here)
                    metrics.render()
                }
            }),
        )
}
// ANCHOR_END: route

/// One request over a socket, the whole response as text.
async fn fetch(addr: std::net::SocketAddr, path: &str) -> std::io::Result<String> {
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: example\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    Ok(response)
}

/// Serves `app` with `metrics`, sends a request and a scrape, and returns the scrape's
/// session samples. One thread: the recorder may be local to it.
pub fn scrape(metrics: PrometheusHandle) -> Result<Vec<String>, Box<dyn Error>> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let manager = SessionManager::new(MemoryStore::new());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let server = tokio::spawn(axum::serve(listener, app(manager, metrics)).into_future());
        let visit = fetch(addr, "/").await?;
        assert!(visit.contains("set-cookie: sessionid="), "{visit}");
        let scraped = fetch(addr, "/metrics").await?;
        server.abort();
        Ok(scraped
            .lines()
            .filter(|line| line.starts_with("session_"))
            .map(str::to_owned)
            .collect())
    })
}

pub fn main() -> Result<(), Box<dyn Error>> {
    let samples = scrape(install_recorder()?)?;
    for sample in &samples {
        println!("{sample}");
    }
    assert!(
        samples
            .iter()
            .any(|s| s.starts_with("session_creates_total{"))
    );
    Ok(())
}
