//! The mock's own control plane under `/_mock/`: health, the clock and job timing, job
//! inspection, faults and limits, the request journal, and the state itself (reset, seed,
//! export). Errors here are plain JSON `{"error": "..."}` with an HTTP status, since no
//! Marketo client ever calls these routes.

mod data;
mod faults;
mod instances;
mod jobs;
mod time;

pub(crate) use data::{reset_instances, seed_off_thread};
pub(crate) use jobs::{DEFAULT_WAIT, Wait, wait_for};

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::registry::{Api, BodyKind, Tag};
use crate::state::AppState;

pub fn routes() -> Api {
    Api::new(Tag::Control)
        .get("/_mock/health", "Liveness", health)
        .get("/_mock/ready", "Readiness", ready)
        .get("/_mock/openapi.json", "This document", openapi)
        .get("/_mock/clock", "The clock's mode and time", time::clock)
        .put(
            "/_mock/clock",
            "Switch the clock between real and frozen",
            time::set_clock,
        )
        .post(
            "/_mock/clock/advance",
            "Move the clock forward",
            BodyKind::Json,
            time::advance_clock,
        )
        .get("/_mock/timing", "Job timing", time::timing)
        .put(
            "/_mock/timing",
            "Set job timing or a preset",
            time::set_timing,
        )
        .get("/_mock/jobs", "Every job", jobs::jobs)
        .get(
            "/_mock/jobs/{jobId}",
            "One job, by batch id or export id",
            jobs::job,
        )
        .get(
            "/_mock/jobs/{jobId}/wait",
            "Wait for a job to reach a status",
            jobs::wait_for_job,
        )
        .get(
            "/_mock/jobs/{jobId}/file",
            "A completed export's file, without an access token",
            jobs::export_file,
        )
        .get(
            "/_mock/export-limits",
            "Export queue limits, quota and retention, and the quota spent today",
            jobs::export_limits,
        )
        .put(
            "/_mock/export-limits",
            "Set export queue limits, quota and retention",
            jobs::set_export_limits,
        )
        .get("/_mock/faults", "Active fault rules", faults::list)
        .post(
            "/_mock/faults",
            "Add a fault rule",
            BodyKind::Json,
            faults::add,
        )
        .delete("/_mock/faults", "Remove every fault rule", faults::clear)
        .delete("/_mock/faults/{id}", "Remove a fault rule", faults::remove)
        .get(
            "/_mock/limits",
            "API call limits and their usage",
            faults::limits,
        )
        .put("/_mock/limits", "Set API call limits", faults::set_limits)
        .post(
            "/_mock/tokens/expire",
            "Expire every issued token",
            BodyKind::None,
            faults::expire_tokens,
        )
        .get("/_mock/requests", "The request journal", data::requests)
        .delete(
            "/_mock/requests",
            "Clear the request journal",
            data::clear_requests,
        )
        .post(
            "/_mock/reset",
            "Forget everything and reload the fixtures",
            BodyKind::None,
            data::reset,
        )
        .post(
            "/_mock/seed",
            "Upsert records as an import would",
            BodyKind::Json,
            data::seed,
        )
        .get("/_mock/export", "The whole state", data::export)
        .get(
            "/_mock/instances",
            "Every instance, with its counts",
            instances::list,
        )
        .post(
            "/_mock/instances",
            "Add an instance",
            BodyKind::Json,
            instances::create,
        )
        .get(
            "/_mock/instances/{clientId}",
            "One instance",
            instances::one,
        )
        .delete(
            "/_mock/instances/{clientId}",
            "Drop an instance; its tokens answer 601",
            instances::remove,
        )
}

/// The OpenAPI document of every route, built once from the route table.
async fn openapi() -> axum::Json<Value> {
    static DOCUMENT: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    axum::Json(
        DOCUMENT
            .get_or_init(|| crate::http::openapi::document(crate::http::api().docs()))
            .clone(),
    )
}

/// A control-plane failure: the HTTP status and why.
pub struct ControlError(pub(crate) StatusCode, pub(crate) String);

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
async fn ready(state: AppState) -> axum::Json<Value> {
    let limits = state.engine.limits();
    let exports = state.exports.limits();
    axum::Json(json!({
        "status": "ready",
        "maxQueuedJobs": limits.max_queued,
        "maxImportingJobs": limits.max_importing,
        "maxQueuedExports": exports.max_queued,
        "maxProcessingExports": exports.max_processing,
    }))
}
