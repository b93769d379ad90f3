//! Job inspection, for imports (by `batchId`) and exports (by `exportId`), and waiting on a
//! job's status without polling.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{ControlError, bad_request, not_found, parse_body};
use crate::clock::Timestamp;
use crate::export::{ExportJob, ExportLimits, ExportStatus, QuotaUsage};
use crate::faults::JobType;
use crate::http::bulk_export::format_name;
use crate::http::extract::{Params, Segment};
use crate::jobs::{ImportKind, Job, JobParams, JobStatus};
use crate::state::AppState;

fn time(t: Option<Timestamp>) -> Option<String> {
    t.map(|t| t.to_rfc3339())
}

/// An import job as the control plane shows it: everything, including each transition's time.
/// An import job as the control plane shows it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ImportJobView {
    batch_id: u32,
    #[serde(rename = "type")]
    kind: ImportKind,
    status: JobStatus,
    num_of_rows_processed: u64,
    num_of_rows_failed: u64,
    num_of_rows_with_warning: u64,
    message: Option<String>,
    queued_at: String,
    started_at: Option<String>,
    finished_at: Option<String>,
    /// The create request's parameters.
    params: JobParams,
}

fn job_view(job: &Job) -> ImportJobView {
    let snapshot = job.snapshot();
    ImportJobView {
        batch_id: job.id,
        kind: job.kind(),
        status: snapshot.status,
        num_of_rows_processed: snapshot.counters.processed,
        num_of_rows_failed: snapshot.counters.failed,
        num_of_rows_with_warning: snapshot.counters.warned,
        message: snapshot.message,
        queued_at: snapshot.queued_at.to_rfc3339(),
        started_at: time(snapshot.started_at),
        finished_at: time(snapshot.finished_at),
        params: job.params.clone(),
    }
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
/// An export job as the control plane shows it, with where to fetch its file.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ExportJobView {
    export_id: String,
    #[serde(rename = "type")]
    kind: JobType,
    /// The custom object, for a custom object export.
    api_name: Option<String>,
    status: &'static str,
    format: &'static str,
    created_at: String,
    queued_at: Option<String>,
    started_at: Option<String>,
    finished_at: Option<String>,
    number_of_records: Option<u64>,
    file_size: Option<u64>,
    file_checksum: Option<String>,
    error_msg: Option<String>,
    /// The file without an access token, once it can be downloaded.
    file_url: Option<String>,
    status_url: String,
    /// The create request's members.
    #[schema(value_type = Object)]
    params: Value,
}

fn export_view(state: &AppState, job: &ExportJob) -> ExportJobView {
    let snapshot = job.snapshot();
    let file = snapshot.file.as_deref();
    let downloadable = state.exports.file(job).is_some();
    ExportJobView {
        export_id: job.id.to_string(),
        kind: job.kind.job_type(),
        api_name: match &job.kind {
            crate::export::ExportKind::CustomObjects(api_name) => Some(api_name.clone()),
            _ => None,
        },
        status: snapshot.status.name(),
        format: format_name(job.plan.format),
        created_at: job.created_at.to_rfc3339(),
        queued_at: time(snapshot.queued_at),
        started_at: time(snapshot.started_at),
        finished_at: time(snapshot.finished_at),
        number_of_records: file.map(|file| file.records),
        file_size: file.map(|file| file.size()),
        file_checksum: file.map(|file| file.checksum.clone()),
        error_msg: snapshot.error_msg,
        file_url: downloadable.then(|| file_path(state, job.id)),
        status_url: format!("/bulk/v1/{}/export/{}/status.json", job.kind.path(), job.id),
        params: job.plan.shown.clone(),
    }
}

/// Any job: an import's batch or an export.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub(crate) enum JobView {
    Import(ImportJobView),
    Export(ExportJobView),
}

/// Every job, and the most that ran at once.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct JobsView {
    jobs: Vec<JobView>,
    most_importing_at_once: usize,
    most_processing_exports_at_once: usize,
}

/// Every retained job: imports first, then exports, each oldest first.
pub(super) async fn jobs(state: AppState) -> axum::Json<JobsView> {
    let mut jobs: Vec<JobView> = state
        .engine
        .jobs()
        .iter()
        .map(|job| JobView::Import(job_view(job)))
        .collect();
    jobs.extend(
        state
            .exports
            .jobs()
            .iter()
            .map(|job| JobView::Export(export_view(&state, job))),
    );
    axum::Json(JobsView {
        jobs,
        most_importing_at_once: state.engine.most_importing_seen(),
        most_processing_exports_at_once: state.exports.most_processing_seen(),
    })
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

fn view(state: &AppState, found: &Found) -> JobView {
    match found {
        Found::Import(job) => JobView::Import(job_view(job)),
        Found::Export(job) => JobView::Export(export_view(state, job)),
    }
}

pub(super) async fn job(
    state: AppState,
    Segment(segment): Segment,
) -> Result<axum::Json<JobView>, ControlError> {
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
            (axum::http::header::CONTENT_TYPE, FILE_TYPE.to_owned()),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{name}\""),
            ),
        ],
        file.bytes.clone(),
    )
        .into_response())
}

/// The content type of an export file served here, whatever its format, so a browser shows
/// it rather than saving it.
pub(super) const FILE_TYPE: &str = "text/plain;charset=UTF-8";

/// The longest a wait may last, so a forgotten test cannot hold a connection for ever.
const MAX_WAIT: Duration = Duration::from_secs(600);

/// What a wait waits for.
#[derive(IntoParams)]
#[into_params(rename_all = "camelCase")]
pub(super) struct WaitParams {
    /// A status of the job's kind; the end (`Complete` or `Completed`) when absent.
    status: Option<String>,
    /// For an import, the rows it must have handled too; 0 when absent.
    #[param(value_type = Option<u64>)]
    rows: u64,
    /// How long to wait, in milliseconds: 30 000 when absent, 600 000 at most.
    #[param(value_type = Option<u64>)]
    timeout_ms: Duration,
}

impl WaitParams {
    fn read(params: &Params) -> Result<WaitParams, ControlError> {
        let number = |name: &str| -> Result<Option<u64>, ControlError> {
            params
                .get(name)
                .map(|text| {
                    text.parse()
                        .map_err(|_| bad_request(format!("{name} must be a number")))
                })
                .transpose()
        };
        Ok(WaitParams {
            status: params.get("status").map(str::to_owned),
            rows: number("rows")?.unwrap_or(0),
            timeout_ms: number("timeoutMs")?
                .map_or(DEFAULT_WAIT, Duration::from_millis)
                .min(MAX_WAIT),
        })
    }
}

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
) -> Result<(bool, JobView), ControlError> {
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
    let WaitParams {
        status,
        rows,
        timeout_ms: timeout,
    } = WaitParams::read(&params)?;
    let wait = Wait {
        job: &segment,
        status: status.as_deref(),
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
/// The export limits, and the quota spent today.
#[derive(Serialize, ToSchema)]
pub(super) struct ExportLimitsView {
    #[serde(flatten)]
    limits: ExportLimits,
    quota: QuotaUsage,
}

pub(super) async fn export_limits(state: AppState) -> axum::Json<ExportLimitsView> {
    axum::Json(ExportLimitsView {
        limits: state.exports.limits(),
        quota: state.exports.quota(),
    })
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
