//! Job inspection, for imports (by `batchId`) and exports (by `exportId`), and waiting on a
//! job's status without polling.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{ControlError, bad_request, not_found, parse_body};
use crate::clock::Timestamp;
use crate::export::{ExportJob, ExportLimits, ExportStatus};
use crate::http::bulk_export::format_name;
use crate::http::extract::{Params, Segment};
use crate::jobs::{Job, JobStatus};
use crate::state::AppState;

fn time(t: Option<Timestamp>) -> Option<String> {
    t.map(|t| t.to_rfc3339())
}

/// An import job as the control plane shows it: everything, including each transition's time.
fn job_view(job: &Job) -> Value {
    let snapshot = job.snapshot();
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

/// The control plane's own route to a completed export's file: no access token needed, so
/// the dashboard can link to it. An instance other than the default one is named in it.
pub fn file_path(state: &AppState, id: Uuid) -> String {
    let config = &state.settings.config;
    if state.client_id() == config.client_id {
        format!("/_mock/jobs/{id}/file")
    } else {
        let client = form_urlencoded::byte_serialize(state.client_id().as_bytes())
            .collect::<String>()
            .replace('+', "%20");
        format!("/_mock/instances/{client}/jobs/{id}/file")
    }
}

/// An export job as the control plane shows it.
fn export_view(state: &AppState, job: &ExportJob) -> Value {
    let snapshot = job.snapshot();
    let file = snapshot.file.as_deref();
    let downloadable = state.exports.file(job).is_some();
    json!({
        "exportId": job.id.to_string(),
        "type": job.kind.job_type(),
        "apiName": match &job.kind {
            crate::export::ExportKind::CustomObjects(api_name) => Some(api_name.as_str()),
            _ => None,
        },
        "status": snapshot.status.name(),
        "format": format_name(job.plan.format),
        "createdAt": job.created_at.to_rfc3339(),
        "queuedAt": time(snapshot.queued_at),
        "startedAt": time(snapshot.started_at),
        "finishedAt": time(snapshot.finished_at),
        "numberOfRecords": file.map(|file| file.records),
        "fileSize": file.map(|file| file.size()),
        "fileChecksum": file.map(|file| file.checksum.as_str()),
        "errorMsg": snapshot.error_msg,
        "fileUrl": downloadable.then(|| file_path(state, job.id)),
        "statusUrl": format!("/bulk/v1/{}/export/{}/status.json", job.kind.path(), job.id),
        "params": job.plan.shown,
    })
}

/// Every retained job: imports first, then exports, each oldest first.
pub(super) async fn jobs(state: AppState) -> axum::Json<Value> {
    let mut jobs: Vec<Value> = state
        .engine
        .jobs()
        .iter()
        .map(|job| job_view(job))
        .collect();
    jobs.extend(
        state
            .exports
            .jobs()
            .iter()
            .map(|job| export_view(&state, job)),
    );
    axum::Json(json!({
        "jobs": jobs,
        "mostImportingAtOnce": state.engine.most_importing_seen(),
        "mostProcessingExportsAtOnce": state.exports.most_processing_seen(),
    }))
}

/// The job a path segment names: a batch id, or an export id.
enum Found {
    Import(Arc<Job>),
    Export(Arc<ExportJob>),
}

fn find_job(state: &AppState, segment: &str) -> Result<Found, ControlError> {
    if let Ok(id) = segment.parse::<u32>() {
        return state
            .engine
            .job(id)
            .map(Found::Import)
            .ok_or_else(|| not_found(format!("no batch {id}")));
    }
    let id = Uuid::parse_str(segment).map_err(|_| {
        bad_request(format!(
            "'{segment}' is neither a batch id nor an export id"
        ))
    })?;
    state
        .exports
        .any_job(id)
        .map(Found::Export)
        .ok_or_else(|| not_found(format!("no export {id}")))
}

fn view(state: &AppState, found: &Found) -> Value {
    match found {
        Found::Import(job) => job_view(job),
        Found::Export(job) => export_view(state, job),
    }
}

pub(super) async fn job(
    state: AppState,
    Segment(segment): Segment,
) -> Result<axum::Json<Value>, ControlError> {
    Ok(axum::Json(view(&state, &find_job(&state, &segment)?)))
}

/// A completed export's file, as the export's own file route serves it whole.
pub(super) async fn export_file(
    state: AppState,
    Segment(segment): Segment,
) -> Result<Response, ControlError> {
    let Found::Export(job) = find_job(&state, &segment)? else {
        return Err(bad_request("only export jobs have a file"));
    };
    let file = state
        .exports
        .file(&job)
        .ok_or_else(|| not_found(format!("export {} has no file to download", job.id)))?;
    let name = format!("export-{}.{}", job.id, job.plan.format.name());
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/plain;charset=UTF-8".to_owned(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{name}\""),
            ),
        ],
        file.bytes.clone(),
    )
        .into_response())
}

/// The longest a wait may last, so a forgotten test cannot hold a connection for ever.
const MAX_WAIT: Duration = Duration::from_secs(600);

/// How long a wait lasts when the caller names no timeout.
pub(crate) const DEFAULT_WAIT: Duration = Duration::from_secs(30);

/// What a wait asks for: the job (a batch id or an export id), the status (the end when
/// absent), for an import the rows handled, and how long to wait at most (real time).
pub(crate) struct Wait<'a> {
    pub job: &'a str,
    pub status: Option<&'a str>,
    pub rows: u64,
    pub timeout: Duration,
}

/// Waits until the job reaches the status (or a later one) and, for an import, has handled
/// the rows; whether it did in time, and the job as it is then. Waiting for the end
/// (`Complete` of an import, `Completed` of an export) is satisfied by any end. Both the
/// wait route and the Rust API wait here.
pub(crate) async fn wait_for(
    state: &AppState,
    wait: Wait<'_>,
) -> Result<(bool, Value), ControlError> {
    let timeout = wait.timeout.min(MAX_WAIT);
    let found = find_job(state, wait.job)?;
    let reached = match &found {
        Found::Import(job) => {
            let target = match wait.status.unwrap_or("Complete") {
                "Queued" => JobStatus::Queued,
                "Importing" => JobStatus::Importing,
                "Complete" => JobStatus::Complete,
                "Failed" => JobStatus::Failed,
                other => return Err(bad_request(format!("unknown status '{other}'"))),
            };
            let mut changes = job.subscribe();
            let reached = |s: &crate::jobs::JobSnapshot| {
                s.status.rank() >= target.rank()
                    && (s.counters.rows() >= wait.rows || s.status.is_terminal())
            };
            tokio::time::timeout(timeout, changes.wait_for(reached))
                .await
                .is_ok_and(|changed| changed.is_ok())
        }
        Found::Export(job) => {
            let wanted = wait.status.unwrap_or("Completed");
            let target = ExportStatus::parse(wanted)
                .ok_or_else(|| bad_request(format!("unknown status '{wanted}'")))?;
            let mut changes = job.subscribe();
            let reached = |s: &crate::export::ExportSnapshot| s.status.rank() >= target.rank();
            tokio::time::timeout(timeout, changes.wait_for(reached))
                .await
                .is_ok_and(|changed| changed.is_ok())
        }
    };
    Ok((reached, view(state, &found)))
}

/// Answers once the job reaches `status` (or a later one) and, for an import with `rows=N`,
/// has handled at least N rows; or 408 after `timeoutMs` of real time.
pub(super) async fn wait_for_job(
    state: AppState,
    Segment(segment): Segment,
    request: axum::extract::Request,
) -> Result<Response, ControlError> {
    let params = Params::parse(request.uri().query().unwrap_or_default().as_bytes());
    let timeout = match params.get("timeoutMs") {
        None => DEFAULT_WAIT,
        Some(text) => Duration::from_millis(
            text.parse()
                .map_err(|_| bad_request("timeoutMs must be a number"))?,
        ),
    };
    let rows: u64 = match params.get("rows") {
        None => 0,
        Some(text) => text
            .parse()
            .map_err(|_| bad_request("rows must be a number"))?,
    };
    let wait = Wait {
        job: &segment,
        status: params.get("status"),
        rows,
        timeout,
    };
    let (reached, view) = wait_for(&state, wait).await?;
    let status = if reached {
        StatusCode::OK
    } else {
        StatusCode::REQUEST_TIMEOUT
    };
    Ok((status, axum::Json(view)).into_response())
}

/// The export limits and the quota spent today.
pub(super) async fn export_limits(state: AppState) -> axum::Json<Value> {
    let mut view = json!(state.exports.limits());
    view["quota"] = json!(state.exports.quota());
    axum::Json(view)
}

/// Sets the export limits: `maxQueued`, `maxProcessing`, `dailyQuotaMb`,
/// `fileRetentionHours`, `jobRetentionHours` (all required).
pub(super) async fn set_export_limits(
    state: AppState,
    body: Bytes,
) -> Result<axum::Json<ExportLimits>, ControlError> {
    let limits: ExportLimits = parse_body(&body)?;
    if limits.max_queued == 0 || limits.max_processing == 0 {
        return Err(bad_request(
            "maxQueued and maxProcessing must be at least 1",
        ));
    }
    state.exports.set_limits(limits);
    Ok(axum::Json(limits))
}
