//! What the three import types share over HTTP: admission to the one queue, finding a batch,
//! its status records, and its failures and warnings files.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use bytes::Bytes;
use serde::Serialize;
use utoipa::ToSchema;

use super::envelope::{RequestId, success};
use super::extract::{IdWidth, path_id};
use super::guard::with_batch;
use crate::clock::Clock;
use crate::error::ApiError;
use crate::import::{ImportRequest, prepare};
use crate::jobs::engine::QueueFull;
use crate::jobs::{BatchId, ImportKind, Job, JobSnapshot, JobStatus, ResultFiles};
use crate::state::AppState;

/// Prepares an import from its request and admits it to the queue.
pub fn submit(
    state: &AppState,
    request: ImportRequest,
    file: Option<Bytes>,
) -> Result<Arc<Job>, ApiError> {
    let prepared = prepare(request, file, state.import_context())?;
    Ok(state.engine.submit(prepared.params, prepared.work)?)
}

impl From<QueueFull> for ApiError {
    fn from(full: QueueFull) -> ApiError {
        ApiError::TooManyImports(full.limit)
    }
}

/// A batch id from its path segment: Marketo's document types it int32.
pub fn batch_id(segment: &str) -> Result<Option<BatchId>, ApiError> {
    path_id(segment, IdWidth::Int32)
}

/// A retained batch of the given kind; any other id is Marketo's 1013.
pub fn find(state: &AppState, id: Option<BatchId>, kind: ImportKind) -> Result<Arc<Job>, ApiError> {
    id.and_then(|id| state.engine.job(id))
        .filter(|job| job.kind() == kind)
        .ok_or(ApiError::ObjectNotFound)
}

/// The create answer of lead and program member imports.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Created {
    batch_id: u32,
    import_id: String,
    status: JobStatus,
}

impl Created {
    pub fn of(job: &Job) -> Created {
        Created {
            batch_id: job.id,
            import_id: job.id.to_string(),
            status: job.snapshot().status,
        }
    }
}

/// The status record of lead and program member batches, borrowed from the job's snapshot:
/// the answer most polled, so it is written without copying anything first.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LeadStatus<'a> {
    batch_id: u32,
    /// The batch id again, as a string.
    #[serde(serialize_with = "crate::jobs::params::as_string")]
    #[schema(value_type = String)]
    import_id: u32,
    status: JobStatus,
    num_of_leads_processed: u64,
    num_of_rows_failed: u64,
    num_of_rows_with_warning: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
}

impl LeadStatus<'_> {
    pub fn of(id: BatchId, snapshot: &JobSnapshot) -> LeadStatus<'_> {
        LeadStatus {
            batch_id: id,
            import_id: id,
            status: snapshot.status,
            num_of_leads_processed: snapshot.counters.processed,
            num_of_rows_failed: snapshot.counters.failed,
            num_of_rows_with_warning: snapshot.counters.warned,
            message: snapshot.message.as_deref(),
        }
    }
}

/// The status record of custom object batches, in the field order of Marketo's example.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ObjectStatus {
    batch_id: u32,
    operation: &'static str,
    status: JobStatus,
    object_api_name: String,
    num_of_objects_processed: u64,
    num_of_rows_failed: u64,
    num_of_rows_with_warning: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    import_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
}

impl ObjectStatus {
    pub fn of(job: &Job, api_name: &str, clock: &Clock) -> ObjectStatus {
        let snapshot = job.snapshot();
        // Whole seconds, rounded up, from the start to the end (or to now while importing).
        let import_time = snapshot.started_at.map(|started| {
            let end = snapshot.finished_at.unwrap_or_else(|| clock.now());
            let seconds = started.until(end).as_millis().div_ceil(1000).max(1);
            format!("{seconds} second(s)")
        });
        ObjectStatus {
            batch_id: job.id,
            operation: "import",
            status: snapshot.status,
            object_api_name: api_name.to_owned(),
            num_of_objects_processed: snapshot.counters.processed,
            num_of_rows_failed: snapshot.counters.failed,
            num_of_rows_with_warning: snapshot.counters.warned,
            import_time,
            message: snapshot.message,
        }
    }
}

/// Which result file a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultKind {
    Failures,
    Warnings,
}

/// The status of a lead or program member batch.
pub fn lead_style_status(
    state: &AppState,
    request_id: &RequestId,
    batch: Option<BatchId>,
    kind: ImportKind,
) -> Result<Response, ApiError> {
    let job = find(state, batch, kind)?;
    let answer =
        job.with_snapshot(|snapshot| success(request_id, &[LeadStatus::of(job.id, snapshot)]));
    Ok(with_batch(answer, job.id))
}

/// The failures or warnings file of a lead or program member batch.
pub fn batch_file(
    state: &AppState,
    batch: &str,
    kind: ImportKind,
    which: ResultKind,
) -> Result<Response, ApiError> {
    result_file(&*find(state, batch_id(batch)?, kind)?, which)
}

/// The content type of failures and warnings files.
pub const RESULT_FILE: &str = "text/csv;charset=UTF-8";

/// Serves a result file as Marketo does: CSV-typed text, or HTTP 404 when the batch has none.
pub fn result_file(job: &Job, which: ResultKind) -> Result<Response, ApiError> {
    let (pick, name): (fn(&ResultFiles) -> Option<Bytes>, _) = match which {
        ResultKind::Failures => (|files| files.failures.clone(), "failures"),
        ResultKind::Warnings => (|files| files.warnings.clone(), "warnings"),
    };
    let bytes = job
        .files()
        .and_then(pick)
        .ok_or(ApiError::NoSuchFile(name))?;
    let mut response = Response::new(Body::from(bytes));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(RESULT_FILE));
    Ok(response)
}
