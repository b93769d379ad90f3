//! Bulk lead import: `POST /bulk/v1/leads.json` and the batch's status, failures and warnings.

use axum::extract::Request;
use axum::response::Response;

use super::batch::{
    Created, LeadStatus, RESULT_FILE, ResultKind, batch_file, lead_style_status, submit,
};
use super::envelope::{RequestId, marketo, success};
use super::extract::{Authorized, IdWidth, Segment, json_segment_id};
use super::guard::with_batch;
use super::registry::{Answer, Api, BodyKind, Tag};
use super::upload::Upload;
use crate::error::ApiError;
use crate::import::{ImportRequest, LeadParams};
use crate::jobs::ImportKind;
use crate::state::AppState;

pub fn routes() -> Api {
    Api::new(Tag::BulkLeads)
        .post(
            "/bulk/v1/leads.json",
            "Import leads",
            BodyKind::Upload,
            create,
        )
        .params::<LeadParams>()
        .request::<Upload>()
        .answers(marketo::<Created>())
        .get(
            "/bulk/v1/leads/batch/{batchId}.json",
            "Get import lead status",
            status,
        )
        .answers(marketo::<LeadStatus>())
        .get(
            "/bulk/v1/leads/batch/{batchId}/failures.json",
            "Get import lead failures",
            |_: Authorized, state: AppState, Segment(batch): Segment| async move {
                batch_file(&state, &batch, ImportKind::Leads, ResultKind::Failures)
            },
        )
        .answers(Answer::Text(RESULT_FILE))
        .get(
            "/bulk/v1/leads/batch/{batchId}/warnings.json",
            "Get import lead warnings",
            |_: Authorized, state: AppState, Segment(batch): Segment| async move {
                batch_file(&state, &batch, ImportKind::Leads, ResultKind::Warnings)
            },
        )
        .answers(Answer::Text(RESULT_FILE))
}

async fn create(
    state: AppState,
    request_id: RequestId,
    request: Request,
) -> Result<Response, ApiError> {
    let upload = Upload::read(&state, request).await?;
    let params = LeadParams {
        format: upload.params.get("format").map(str::to_owned),
        lookup_field: upload.params.get("lookupField").map(str::to_owned),
        list_id: upload.params.get("listId").map(str::to_owned),
        partition_name: upload.params.get("partitionName").map(str::to_owned),
    };
    let job = submit(&state, ImportRequest::Leads(params), upload.file)?;
    Ok(with_batch(
        success(&request_id, &[Created::of(&job)]),
        job.id,
    ))
}

async fn status(
    _: Authorized,
    state: AppState,
    request_id: RequestId,
    Segment(batch): Segment,
) -> Result<Response, ApiError> {
    lead_style_status(
        &state,
        &request_id,
        json_segment_id(&batch, IdWidth::Int32)?,
        ImportKind::Leads,
    )
}
