//! `GET /metrics`: the session metrics in Prometheus text format, from a Prometheus
//! recorder the demo installs for its whole process (the library crates only count).

use std::sync::OnceLock;
use std::time::Duration;

use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Buckets of `session_store_op_seconds`: 50 µs to 5 s.
const LATENCY_BUCKETS: &[f64] = &[
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
    1.0, 2.5, 5.0,
];

/// How often the recorder's histograms are drained between scrapes.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// The process's recorder, installed on first use (the site's startup); `None` when
/// another recorder was installed first (then `/metrics` answers 404).
pub(crate) fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let installed = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full(session_core::telemetry::STORE_OP_SECONDS.to_owned()),
                    LATENCY_BUCKETS,
                )
                .and_then(PrometheusBuilder::install_recorder);
            match installed {
                Ok(handle) => {
                    session_core::telemetry::describe();
                    Some(handle)
                }
                Err(error) => {
                    tracing::warn!(
                        error = &error as &dyn std::error::Error,
                        "no Prometheus recorder: /metrics is off"
                    );
                    None
                }
            }
        })
        .as_ref()
}

/// Drains the histograms now and then, as the exporter's own HTTP listener would (the
/// demo serves `/metrics` itself).
pub(crate) fn spawn_upkeep() -> Option<tokio::task::JoinHandle<()>> {
    let handle = handle()?;
    Some(tokio::spawn(async move {
        let mut ticks = tokio::time::interval(UPKEEP_EVERY);
        loop {
            ticks.tick().await;
            handle.run_upkeep();
        }
    }))
}

/// The view: every metric in Prometheus text format.
pub(crate) async fn render() -> Response {
    match handle() {
        Some(handle) => {
            handle.run_upkeep();
            (
                [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
                handle.render(),
            )
                .into_response()
        }
        None => (StatusCode::NOT_FOUND, "metrics are off").into_response(),
    }
}
