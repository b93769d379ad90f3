//! The mock's own control plane under `/_mock/`: health, the clock, job timing and job
//! inspection. Errors here are plain JSON `{"error": "..."}` with an HTTP status, since no
//! Marketo client ever calls these routes.

use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::extract::{Params, Segment};
use crate::clock::ClockMode;
use crate::jobs::{Job, JobStatus, Timing};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/_mock/health", get(health))
        .route("/_mock/ready", get(ready))
        .route("/_mock/clock", get(clock).put(set_clock))
        .route("/_mock/clock/advance", post(advance_clock))
        .route("/_mock/timing", get(timing).put(set_timing))
        .route("/_mock/jobs", get(jobs))
        .route("/_mock/jobs/{batch}", get(job))
        .route("/_mock/jobs/{batch}/wait", get(wait_for_job))
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

fn clock_view(state: &AppState) -> axum::Json<Value> {
    axum::Json(json!({ "mode": state.clock.mode(), "now": state.clock.now().to_rfc3339() }))
}

async fn clock(State(state): State<AppState>) -> axum::Json<Value> {
    clock_view(&state)
}

#[derive(Deserialize)]
struct ClockChange {
    mode: ClockMode,
}

async fn set_clock(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<axum::Json<Value>, ControlError> {
    let change: ClockChange = parse_body(&body)?;
    state.clock.set_mode(change.mode);
    Ok(clock_view(&state))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    seconds: Option<u64>,
    milliseconds: Option<u64>,
}

async fn advance_clock(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<axum::Json<Value>, ControlError> {
    let advance: Advance = parse_body(&body)?;
    let millis = match (advance.seconds, advance.milliseconds) {
        (Some(seconds), None) => seconds.saturating_mul(1000),
        (None, Some(millis)) => millis,
        _ => {
            return Err(bad_request(
                "give exactly one of \"seconds\" or \"milliseconds\"",
            ));
        }
    };
    state.clock.advance(Duration::from_millis(millis));
    Ok(clock_view(&state))
}

async fn timing(State(state): State<AppState>) -> axum::Json<Timing> {
    axum::Json(state.engine.timing())
}

async fn set_timing(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<axum::Json<Timing>, ControlError> {
    let timing: Timing = parse_body(&body)?;
    state.engine.set_timing(timing);
    Ok(axum::Json(timing))
}

/// A job as the control plane shows it: everything, including each transition's time.
fn job_view(job: &Job) -> Value {
    let snapshot = job.snapshot();
    let time = |t: Option<crate::clock::Timestamp>| t.map(|t| t.to_rfc3339());
    json!({
        "batchId": job.id,
        "type": job.kind,
        "status": snapshot.status,
        "numOfRowsProcessed": snapshot.counters.processed,
        "numOfRowsFailed": snapshot.counters.failed,
        "numOfRowsWithWarning": snapshot.counters.warned,
        "message": snapshot.message,
        "queuedAt": snapshot.queued_at.to_rfc3339(),
        "startedAt": time(snapshot.started_at),
        "finishedAt": time(snapshot.finished_at),
        "params": job.params,
    })
}

async fn jobs(State(state): State<AppState>) -> axum::Json<Value> {
    let jobs: Vec<Value> = state
        .engine
        .jobs()
        .iter()
        .map(|job| job_view(job))
        .collect();
    axum::Json(json!({ "jobs": jobs, "mostImportingAtOnce": state.engine.most_importing_seen() }))
}

fn find_job(state: &AppState, batch: &str) -> Result<std::sync::Arc<Job>, ControlError> {
    let id: u32 = batch
        .parse()
        .map_err(|_| bad_request(format!("'{batch}' is not a batch id")))?;
    state
        .engine
        .job(id)
        .ok_or_else(|| ControlError(StatusCode::NOT_FOUND, format!("no batch {id}")))
}

async fn job(
    State(state): State<AppState>,
    Segment(batch): Segment,
) -> Result<axum::Json<Value>, ControlError> {
    Ok(axum::Json(job_view(&*find_job(&state, &batch)?)))
}

/// The longest a wait may last, so a forgotten test cannot hold a connection for ever.
const MAX_WAIT: Duration = Duration::from_secs(600);

/// Answers once the job reaches `status` (or a later one) and, with `rows=N`, has handled at
/// least N rows; or 408 after `timeoutMs` of real time. Waiting for `Complete` is satisfied
/// by `Failed` too: both are the end.
async fn wait_for_job(
    State(state): State<AppState>,
    Segment(batch): Segment,
    request: axum::extract::Request,
) -> Result<Response, ControlError> {
    let params = Params::parse(request.uri().query().unwrap_or_default().as_bytes());
    let target = match params.get("status").unwrap_or("Complete") {
        "Queued" => JobStatus::Queued,
        "Importing" => JobStatus::Importing,
        "Complete" => JobStatus::Complete,
        "Failed" => JobStatus::Failed,
        other => return Err(bad_request(format!("unknown status '{other}'"))),
    };
    let timeout = match params.get("timeoutMs") {
        None => Duration::from_secs(30),
        Some(text) => Duration::from_millis(
            text.parse()
                .map_err(|_| bad_request("timeoutMs must be a number"))?,
        ),
    }
    .min(MAX_WAIT);
    let rows: u64 = match params.get("rows") {
        None => 0,
        Some(text) => text
            .parse()
            .map_err(|_| bad_request("rows must be a number"))?,
    };
    let job = find_job(&state, &batch)?;
    let mut changes = job.subscribe();
    let reached = |s: &crate::jobs::JobSnapshot| {
        s.status.rank() >= target.rank() && (s.counters.rows() >= rows || s.status.is_terminal())
    };
    let reached = tokio::time::timeout(timeout, changes.wait_for(reached)).await;
    match reached {
        Ok(Ok(_)) => Ok(axum::Json(job_view(&job)).into_response()),
        _ => Ok((StatusCode::REQUEST_TIMEOUT, axum::Json(job_view(&job))).into_response()),
    }
}
