//! The mock's own control plane under `/_mock/`: health, the clock and job timing, job
//! inspection, faults and limits, the request journal, and the state itself (reset, seed,
//! export). Errors here are plain JSON `{"error": "..."}` with an HTTP status, since no
//! Marketo client ever calls these routes.

mod data;
mod faults;
mod jobs;
mod time;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/_mock/health", get(health))
        .route("/_mock/ready", get(ready))
        .route("/_mock/clock", get(time::clock).put(time::set_clock))
        .route("/_mock/clock/advance", post(time::advance_clock))
        .route("/_mock/timing", get(time::timing).put(time::set_timing))
        .route("/_mock/jobs", get(jobs::jobs))
        .route("/_mock/jobs/{batch}", get(jobs::job))
        .route("/_mock/jobs/{batch}/wait", get(jobs::wait_for_job))
        .route(
            "/_mock/faults",
            get(faults::list).post(faults::add).delete(faults::clear),
        )
        .route("/_mock/faults/{id}", axum::routing::delete(faults::remove))
        .route("/_mock/limits", get(faults::limits).put(faults::set_limits))
        .route("/_mock/tokens/expire", post(faults::expire_tokens))
        .route(
            "/_mock/requests",
            get(data::requests).delete(data::clear_requests),
        )
        .route("/_mock/reset", post(data::reset))
        .route("/_mock/seed", post(data::seed))
        .route("/_mock/export", get(data::export))
}

/// A control-plane failure.
pub struct ControlError(StatusCode, String);

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        (self.0, axum::Json(json!({ "error": self.1 }))).into_response()
    }
}

fn bad_request(message: impl Into<String>) -> ControlError {
    ControlError(StatusCode::BAD_REQUEST, message.into())
}

fn not_found(message: impl Into<String>) -> ControlError {
    ControlError(StatusCode::NOT_FOUND, message.into())
}

/// Reads a JSON body, answering 400 with the parser's reason rather than axum's plain text.
fn parse_body<T: DeserializeOwned>(body: &Bytes) -> Result<T, ControlError> {
    serde_json::from_slice(body).map_err(|error| bad_request(format!("invalid JSON body: {error}")))
}

/// Liveness: answers as soon as the server accepts requests.
async fn health() -> axum::Json<Value> {
    axum::Json(json!({ "status": "ok" }))
}

/// Readiness: fixtures are loaded and the engine admits imports.
async fn ready(State(state): State<AppState>) -> axum::Json<Value> {
    let limits = state.engine.limits();
    axum::Json(json!({
        "status": "ready",
        "maxQueuedJobs": limits.max_queued,
        "maxImportingJobs": limits.max_importing,
    }))
}
