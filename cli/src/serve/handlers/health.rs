//! Health, readiness and metrics: `GET /healthz`, `/readyz`, `/metrics`.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::clock::system_now;
use crate::serve::metrics::list_label;
use crate::serve::problem::{Problem, ProblemBody};
use crate::serve::state::App;

/// What `/readyz` says.
#[derive(Serialize, ToSchema)]
pub(crate) struct Readiness {
    /// `ready`.
    status: &'static str,
}

/// The process runs.
#[utoipa::path(get, tag = "handlers", path = "/healthz", responses((status = 200, description = "The process runs", body = Readiness)))]
pub(crate) async fn healthz() -> Json<Readiness> {
    Json(Readiness { status: "ok" })
}

/// Ready to verify: every signed list is fresh and the replay guard answers.
#[utoipa::path(get, tag = "handlers", path = "/readyz", responses(
    (status = 200, description = "Ready", body = Readiness),
    (status = 503, description = "A list is stale (trust_list_stale) or the shared replay guard does not answer (replay_guard_unavailable)", body = ProblemBody),
))]
pub(crate) async fn readyz(State(app): State<Arc<App>>) -> Result<Json<Readiness>, Problem> {
    let now = system_now();
    if let Some(stale) = app
        .verifier
        .list_status(now)
        .into_iter()
        .find(|s| s.refused)
    {
        return Err(Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "trust_list_stale",
            format!(
                "the {} list in force (sequence {}) is stale: every code is refused until a newer one is installed",
                list_label(stale.info.kind),
                stale.info.sequence
            ),
        ));
    }
    // Asked now, not remembered from the last code: a shared guard that is
    // down shows before the first code is refused, and one that is back
    // shows before the next code is accepted.
    let verifier = app.verifier.clone();
    let answer = tokio::task::spawn_blocking(move || verifier.check_replay_guard(now))
        .await
        .map_err(|_| Problem::for_status(StatusCode::INTERNAL_SERVER_ERROR))?;
    if answer.is_err() {
        return Err(Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "replay_guard_unavailable",
            "the shared replay guard does not answer",
        ));
    }
    Ok(Json(Readiness { status: "ready" }))
}

/// The metrics, in the OpenMetrics text format Prometheus reads.
#[utoipa::path(get, tag = "handlers", path = "/metrics", responses((status = 200, description = "OpenMetrics text", content_type = "application/openmetrics-text")))]
pub(crate) async fn metrics(State(app): State<Arc<App>>) -> Response {
    let recorder = app.usage.as_ref().map(|u| u.recorder.as_ref());
    let text = app.metrics.render(
        &app.verifier,
        recorder,
        crate::serve::log::dropped(),
        system_now(),
    );
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response()
}
