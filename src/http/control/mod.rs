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
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::registry::{Answer, Api, BodyKind, Tag, TypeDoc};
use crate::config::InstanceSpec;
use crate::export::ExportLimits;
use crate::faults::{FaultRule, Rule};
use crate::instances::InstanceSummary;
use crate::jobs::Timing;
use crate::limits::CallLimits;
use crate::seed::{Records, SeedReport};
use crate::state::AppState;

pub fn routes() -> Api {
    Api::new(Tag::Control)
        .get("/_mock/health", "Liveness", health)
        .answers(json::<Health>())
        .get("/_mock/ready", "Readiness", ready)
        .answers(json::<Ready>())
        .get("/_mock/openapi.json", "This document", openapi)
        .answers(Answer::Text("application/json"))
        .get("/_mock/clock", "The clock's mode and time", time::clock)
        .answers(json::<time::ClockView>())
        .put(
            "/_mock/clock",
            "Switch the clock between real and frozen",
            time::set_clock,
        )
        .request::<time::ClockChange>()
        .answers(json::<time::ClockView>())
        .post(
            "/_mock/clock/advance",
            "Move the clock forward",
            BodyKind::Json,
            time::advance_clock,
        )
        .request::<time::Advance>()
        .answers(json::<time::ClockView>())
        .get("/_mock/timing", "Job timing", time::timing)
        .answers(json::<Timing>())
        .put(
            "/_mock/timing",
            "Set job timing or a preset",
            time::set_timing,
        )
        .request::<time::TimingChange>()
        .answers(json::<Timing>())
        .get("/_mock/jobs", "Every job", jobs::jobs)
        .answers(json::<jobs::JobsView>())
        .get(
            "/_mock/jobs/{jobId}",
            "One job, by batch id or export id",
            jobs::job,
        )
        .answers(json::<jobs::JobView>())
        .get(
            "/_mock/jobs/{jobId}/wait",
            "Wait for a job to reach a status",
            jobs::wait_for_job,
        )
        .params::<jobs::WaitParams>()
        .answers(json::<jobs::JobView>())
        .get(
            "/_mock/jobs/{jobId}/file",
            "A completed export's file, without an access token",
            jobs::export_file,
        )
        .answers(Answer::Text(jobs::FILE_TYPE))
        .get(
            "/_mock/export-limits",
            "Export queue limits, quota and retention, and the quota spent today",
            jobs::export_limits,
        )
        .answers(json::<jobs::ExportLimitsView>())
        .put(
            "/_mock/export-limits",
            "Set export queue limits, quota and retention",
            jobs::set_export_limits,
        )
        .request::<ExportLimits>()
        .answers(json::<ExportLimits>())
        .get("/_mock/faults", "Active fault rules", faults::list)
        .answers(json::<faults::FaultList>())
        .post(
            "/_mock/faults",
            "Add a fault rule",
            BodyKind::Json,
            faults::add,
        )
        .request::<FaultRule>()
        .answers(Answer::Created(TypeDoc::of::<Rule>()))
        .delete("/_mock/faults", "Remove every fault rule", faults::clear)
        .answers(Answer::NoContent)
        .delete("/_mock/faults/{id}", "Remove a fault rule", faults::remove)
        .answers(Answer::NoContent)
        .get(
            "/_mock/limits",
            "API call limits and their usage",
            faults::limits,
        )
        .answers(json::<faults::LimitsView>())
        .put("/_mock/limits", "Set API call limits", faults::set_limits)
        .request::<CallLimits>()
        .answers(json::<CallLimits>())
        .post(
            "/_mock/tokens/expire",
            "Expire every issued token",
            BodyKind::None,
            faults::expire_tokens,
        )
        .answers(Answer::NoContent)
        .get("/_mock/requests", "The request journal", data::requests)
        .answers(json::<data::Requests>())
        .delete(
            "/_mock/requests",
            "Clear the request journal",
            data::clear_requests,
        )
        .answers(Answer::NoContent)
        .post(
            "/_mock/reset",
            "Forget everything and reload the fixtures",
            BodyKind::None,
            data::reset,
        )
        .params::<data::ResetScope>()
        .answers(Answer::NoContent)
        .post(
            "/_mock/seed",
            "Upsert records as an import would",
            BodyKind::Json,
            data::seed,
        )
        .request::<Records>()
        .answers(json::<SeedReport>())
        .get("/_mock/export", "The whole state", data::export)
        .answers(json::<Records>())
        .get(
            "/_mock/instances",
            "Every instance, with its counts",
            instances::list,
        )
        .answers(json::<instances::InstanceList>())
        .post(
            "/_mock/instances",
            "Add an instance",
            BodyKind::Json,
            instances::create,
        )
        .request::<InstanceSpec>()
        .answers(Answer::Created(TypeDoc::of::<InstanceSummary>()))
        .get(
            "/_mock/instances/{clientId}",
            "One instance",
            instances::one,
        )
        .answers(json::<InstanceSummary>())
        .delete(
            "/_mock/instances/{clientId}",
            "Drop an instance; its tokens answer 601",
            instances::remove,
        )
        .answers(Answer::NoContent)
}

/// A control route's plain JSON answer of type `T`.
fn json<T: ToSchema>() -> Answer {
    Answer::Json(TypeDoc::of::<T>())
}

/// The OpenAPI document of every route, built once from the route table.
async fn openapi() -> axum::Json<Value> {
    static DOCUMENT: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    axum::Json(
        DOCUMENT
            .get_or_init(|| {
                let document = crate::http::openapi::document(crate::http::api().docs());
                serde_json::to_value(document).unwrap_or_default()
            })
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

/// `ok` while the server accepts requests.
#[derive(Serialize, ToSchema)]
struct Health {
    status: &'static str,
}

/// Liveness: answers as soon as the server accepts requests.
async fn health() -> axum::Json<Health> {
    axum::Json(Health { status: "ok" })
}

/// `ready`, and the queue limits the server admits jobs under.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct Ready {
    status: &'static str,
    max_queued_jobs: usize,
    max_importing_jobs: usize,
    max_queued_exports: usize,
    max_processing_exports: usize,
}

/// Readiness: fixtures are loaded and the engine admits imports.
async fn ready(state: AppState) -> axum::Json<Ready> {
    let limits = state.engine.limits();
    let exports = state.exports.limits();
    axum::Json(Ready {
        status: "ready",
        max_queued_jobs: limits.max_queued,
        max_importing_jobs: limits.max_importing,
        max_queued_exports: exports.max_queued,
        max_processing_exports: exports.max_processing,
    })
}
