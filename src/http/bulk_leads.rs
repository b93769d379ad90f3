//! Bulk lead import: `POST /bulk/v1/leads.json` and the batch's status, failures and warnings.

use axum::Router;
use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Serialize;
use serde_json::json;

use super::batch::{ResultKind, find, result_file};
use super::envelope::{RequestId, success};
use super::extract::{Authorized, Segment, json_segment_id, number_segment};
use super::upload::Upload;
use crate::error::ApiError;
use crate::import::Format;
use crate::import::driver::open_upload;
use crate::import::leads::{LeadParams, LeadTarget, plan};
use crate::jobs::{ImportKind, Job, JobStatus};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/bulk/v1/leads.json", post(create))
        .route("/bulk/v1/leads/batch/{batch}", get(status))
        .route("/bulk/v1/leads/batch/{batch}/failures.json", get(failures))
        .route("/bulk/v1/leads/batch/{batch}/warnings.json", get(warnings))
}

/// Reads `format`; absent means CSV.
pub fn format_param(value: Option<&str>) -> Result<Format, ApiError> {
    value.map_or(Ok(Format::Csv), |text| {
        text.parse().map_err(|_| ApiError::InvalidValue {
            value: text.to_owned(),
            expected: "csv, tsv, ssv",
        })
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Created {
    batch_id: u32,
    import_id: String,
    status: JobStatus,
}

async fn create(
    State(state): State<AppState>,
    request_id: RequestId,
    request: Request,
) -> Result<Response, ApiError> {
    let upload = Upload::read(&state, request).await?;
    let params = LeadParams {
        format: format_param(upload.params.get("format"))?,
        lookup_field: upload.params.get("lookupField").map(str::to_owned),
        list_id: upload.params.get("listId").map(str::to_owned),
        partition_name: upload.params.get("partitionName").map(str::to_owned),
    };
    let file = upload.file.ok_or(ApiError::MissingParameter("file"))?;
    let (header, rows) = open_upload(file, params.format)?;
    let plan = plan(&state.read_db().leads, &header, &params)?;
    let shown = json!({
        "format": plan.format,
        "lookupField": plan.lookup_name,
        "listId": plan.list,
        "partitionName": params.partition_name,
    });
    let work = LeadTarget::import(plan, &header, rows, state.db.clone());
    let job = state
        .engine
        .submit(ImportKind::Leads, shown, Box::new(work))?;
    let snapshot = job.snapshot();
    Ok(success(
        &request_id,
        &[Created {
            batch_id: job.id,
            import_id: job.id.to_string(),
            status: snapshot.status,
        }],
    ))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LeadStatus {
    batch_id: u32,
    import_id: String,
    status: JobStatus,
    num_of_leads_processed: u64,
    num_of_rows_failed: u64,
    num_of_rows_with_warning: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
}

/// The status record shared by lead and program-member batches.
pub fn lead_style_status(job: &Job) -> impl Serialize + use<> {
    let snapshot = job.snapshot();
    LeadStatus {
        batch_id: job.id,
        import_id: job.id.to_string(),
        status: snapshot.status,
        num_of_leads_processed: snapshot.counters.processed,
        num_of_rows_failed: snapshot.counters.failed,
        num_of_rows_with_warning: snapshot.counters.warned,
        message: snapshot.message,
    }
}

async fn status(
    _: Authorized,
    State(state): State<AppState>,
    request_id: RequestId,
    Segment(batch): Segment,
) -> Result<Response, ApiError> {
    let job = find(&state, json_segment_id(&batch)?, ImportKind::Leads)?;
    Ok(success(&request_id, &[lead_style_status(&job)]))
}

async fn failures(
    _: Authorized,
    State(state): State<AppState>,
    Segment(batch): Segment,
) -> Result<Response, ApiError> {
    result_file(
        &*find(&state, number_segment(&batch)?, ImportKind::Leads)?,
        ResultKind::Failures,
    )
}

async fn warnings(
    _: Authorized,
    State(state): State<AppState>,
    Segment(batch): Segment,
) -> Result<Response, ApiError> {
    result_file(
        &*find(&state, number_segment(&batch)?, ImportKind::Leads)?,
        ResultKind::Warnings,
    )
}
