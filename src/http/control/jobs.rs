//! Job inspection, and waiting on a job's status without polling.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{ControlError, bad_request, not_found};
use crate::http::extract::{Params, Segment};
use crate::jobs::{Job, JobStatus};
use crate::state::AppState;

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

pub(super) async fn jobs(State(state): State<AppState>) -> axum::Json<Value> {
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
        .ok_or_else(|| not_found(format!("no batch {id}")))
}

pub(super) async fn job(
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
pub(super) async fn wait_for_job(
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
